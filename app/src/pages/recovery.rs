//! Forgotten password: ask for a link, then choose a new password from it.

use super::components::form::{
    page_error, query_value, show_field_errors, submission_error, typed, Control, Field,
    FieldState, FormAlert, PageError, PostForm, SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::components::island::{go_to, hydrated, on_success};
use super::use_auth;
use crate::api::auth::{RequestPasswordReset, ResetPassword, SignIn};
use crate::domain::{AuthRules, Email, PasswordResetInput, Secret};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// `/forgot-password`: one field; the answer is the same whether or not the address has
/// an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let minutes = use_auth().rules.tokens.reset_minutes;
    view! {
        <Title text="Reset your password"/>
        <SignedOutOnly>
        <section class="card auth-card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Reset your password"</h1>
            <ForgotForm minutes error=page_error()/>
            <p class="aside"><A href="/login">"Back to sign in"</A></p>
        </section>
        </SignedOutOnly>
    }
}

/// The address, then the news that a link (valid `minutes`) is on its way.
#[island(lazy)]
fn ForgotForm(minutes: u32, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let action = ServerAction::<RequestPasswordReset>::new();
    let email = FieldState::with_value(typed::<RequestPasswordReset>(&error, "email"));
    let error = submission_error(action, error);
    show_field_errors(error, vec![("email", email)]);
    let check = Signal::derive(move || Email::parse(&email.value.get()).err());
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    let pending = action.pending();
    view! {
        <Show
            when=sent
            fallback=move || view! {
                <p>"Enter the address of your account. We will mail you a link to choose a new password."</p>
                <FormAlert error/>
                <PostForm action novalidate=true call=move || RequestPasswordReset {
                    email: email.value.get_untracked(),
                }>
                    <Field label="Email" name="email" state=email check=check
                        control=Control::Input("email") autocomplete="email"/>
                    <SubmitButton label="Send me a link" busy_label="Sending…" pending wide=true
                        valid=move || Email::parse(&email.value.get_untracked()).is_ok()
                        fields=vec![email]/>
                </PostForm>
            }
        >
            <p class="alert ok" role="status" data-testid="reset-sent">
                {format!(
                    "If an account has this address, a link is on its way. It works once, for {minutes} minutes."
                )}
            </p>
        </Show>
    }
}

/// `/reset-password?token=…`: the new password, twice.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    view! {
        <Title text="Choose a new password"/>
        <SignedOutOnly>
        <section class="card auth-card" aria-labelledby="reset-title">
            <h1 id="reset-title">"Choose a new password"</h1>
            <ResetForm token=query_value("token") rules=use_auth().rules error=page_error()/>
        </section>
        </SignedOutOnly>
    }
}

/// The new password for the mailed `token`. Every other session ends; this browser is
/// signed in and goes home, unless the account must confirm its address first.
#[island(lazy)]
fn ResetForm(token: String, rules: AuthRules, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let action = ServerAction::<ResetPassword>::new();
    on_success(action, |outcome| {
        go_to(match outcome {
            SignIn::Done => "/",
            SignIn::ConfirmAddressFirst => "/login",
        })
    });
    let new = FieldState::new();
    let confirmation = FieldState::new();
    let fields = [new, confirmation];
    let error = submission_error(action, error);
    show_field_errors(
        error,
        vec![
            ("new_password", new),
            ("new_password_confirmation", confirmation),
        ],
    );
    let problems = Memo::new(move |_| {
        let input = PasswordResetInput {
            new_password: Secret::new(new.value.get()),
            new_password_confirmation: Secret::new(confirmation.value.get()),
        };
        // The account is not known here; the server also checks the username and email.
        input.parse(&rules, &[]).err().unwrap_or_default()
    });
    let check =
        move |name: &'static str| Signal::derive(move || problems.read().get(name).cloned());
    let spent = move || matches!(error.get(), Some(AppError::InvalidToken));
    let pending = action.pending();
    let token = StoredValue::new(token);
    view! {
        <Show
            when=spent
            fallback=move || view! {
                <FormAlert error/>
                <PostForm action novalidate=true call=move || ResetPassword {
                    token: token.get_value(),
                    new_password: Secret::new(new.value.get_untracked()),
                    new_password_confirmation: Secret::new(confirmation.value.get_untracked()),
                }>
                    <input type="hidden" name="token" value=token.get_value()/>
                    <Field label="New password" name="new_password" state=new check=check("new_password")
                        control=Control::Input("password") autocomplete="new-password"/>
                    <Field label="Confirm new password" name="new_password_confirmation" state=confirmation
                        check=check("new_password_confirmation") control=Control::Input("password")
                        autocomplete="new-password"/>
                    <SubmitButton label="Set password and sign in" busy_label="Saving…" pending wide=true
                        valid=move || problems.with_untracked(|p| p.is_empty())
                        fields=fields.to_vec()/>
                </PostForm>
            }
        >
            <p class="alert error" role="alert">
                "This link is invalid, was already used, or has expired. "
                <a href="/forgot-password">"Ask for a new one"</a>
            </p>
        </Show>
    }
}
