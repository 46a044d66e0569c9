//! `/verify-email?token=…`: confirms an address (or an email change) from a mailed
//! link. Confirming takes a click, so that mail scanners that open links do not spend it.

use super::components::form::{page_error, query_value, submission_error, PageError, PostForm};
use super::components::island::hydrated;
use crate::api::auth::VerifyEmail;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! {
        <Title text="Confirm your email address"/>
        <section class="card auth-card" aria-labelledby="verify-title">
            <h1 id="verify-title">"Confirm your email address"</h1>
            <VerifyForm token=query_value("token") error=page_error()/>
        </section>
    }
}

/// One button that spends the mailed `token`, then what came of it.
#[island(lazy)]
fn VerifyForm(token: String, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let action = ServerAction::<VerifyEmail>::new();
    let error = submission_error(action, error);
    let verified = move || match action.value().get() {
        Some(Ok(email)) => Some(email),
        _ => None,
    };
    let pending = action.pending();
    let token = StoredValue::new(token);
    move || {
        match (verified(), error.get()) {
        (Some(email), _) => view! {
            <p class="alert ok" role="status" data-testid="email-verified">
                {format!("{email} is confirmed. Thank you!")}
            </p>
            <p class="aside"><a href="/">"Go to your account"</a></p>
        }
        .into_any(),
        (None, Some(AppError::InvalidToken)) => view! {
            <p class="alert error" role="alert">
                "This link is invalid, was already used, or has expired. You can ask for a new one from your account page."
            </p>
        }
        .into_any(),
        (None, other) => {
            view! {
                {other.map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })}
                <p>"One click confirms that this address is yours."</p>
                <PostForm action call=move || VerifyEmail { token: token.get_value() }>
                    <input type="hidden" name="token" value=token.get_value()/>
                    <button type="submit" class="button primary wide" disabled=move || pending.get()>
                        "Confirm my email address"
                    </button>
                </PostForm>
            }
            .into_any()
        }
    }
    }
}
