//! `/verify-email?token=…`: confirms an address (or an email change) from a mailed
//! link. Confirming takes a click, so that mail scanners that open links do not spend it.

use super::components::form::submission_error;
use super::{on_success, use_auth};
use crate::api::auth::VerifyEmail;
use crate::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let auth = use_auth();
    let action = ServerAction::<VerifyEmail>::new();
    // Whoever clicks the link, only the account signed in here is shown the change.
    on_success(action, move |verified| {
        auth.user.update(|user| {
            if user.as_ref().is_some_and(|user| user.id == verified.id) {
                *user = Some(verified);
            }
        });
    });
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let error = submission_error(action);
    let verified = move || match action.value().get() {
        Some(Ok(user)) => Some(user.email),
        _ => None,
    };
    let pending = action.pending();
    view! {
        <Title text="Confirm your email address"/>
        <section class="card auth-card" aria-labelledby="verify-title">
            <h1 id="verify-title">"Confirm your email address"</h1>
            {move || match (verified(), error.get()) {
                (Some(email), _) => view! {
                    <p class="alert ok" role="status" data-testid="email-verified">
                        {format!("{email} is confirmed. Thank you!")}
                    </p>
                    <p class="aside"><A href="/">"Go to your account"</A></p>
                }
                .into_any(),
                (None, Some(AppError::InvalidToken)) => view! {
                    <p class="alert error" role="alert">
                        "This link is invalid, was already used, or has expired. You can ask for a new one from your account page."
                    </p>
                }
                .into_any(),
                (None, other) => view! {
                    {other.map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })}
                    <p>"One click confirms that this address is yours."</p>
                    <ActionForm action>
                        <input type="hidden" name="token" value=move || token.get()/>
                        <button type="submit" class="button primary wide" disabled=move || pending.get()>
                            "Confirm my email address"
                        </button>
                    </ActionForm>
                }
                .into_any(),
            }}
        </section>
    }
}
