//! Forgotten password: ask for a link, then choose a new password from it.

use super::components::form::{
    show_field_errors, submission_error, Control, Field, FieldState, FormAlert, SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::{on_sign_in_unless_unverified, use_auth};
use crate::api::auth::{RequestPasswordReset, ResetPassword};
use crate::domain::{Email, PasswordResetInput, Secret};
use crate::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// `/forgot-password`: one field; the answer is the same whether or not the address has
/// an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let auth = use_auth();
    let action = ServerAction::<RequestPasswordReset>::new();
    let email = FieldState::from_query("email");
    let error = submission_error(action);
    show_field_errors(error, vec![("email", email)]);
    let check = Signal::derive(move || Email::parse(&email.value.get()).err());
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    let minutes = auth.rules().tokens.reset_minutes;
    let pending = action.pending();
    view! {
        <Title text="Reset your password"/>
        <SignedOutOnly>
        <section class="card auth-card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Reset your password"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p>"Enter the address of your account. We will mail you a link to choose a new password."</p>
                    <FormAlert error/>
                    <ActionForm action attr:novalidate=true>
                        <Field label="Email" name="email" state=email check=check
                            control=Control::Input("email") autocomplete="email"/>
                        <SubmitButton label="Send me a link" busy_label="Sending…" pending wide=true
                            valid=move || Email::parse(&email.value.get_untracked()).is_ok()
                            fields=vec![email]/>
                    </ActionForm>
                }
            >
                <p class="alert ok" role="status" data-testid="reset-sent">
                    {move || format!(
                        "If an account has this address, a link is on its way. It works once, for {} minutes.",
                        minutes
                    )}
                </p>
            </Show>
            <p class="aside"><A href="/login">"Back to sign in"</A></p>
        </section>
        </SignedOutOnly>
    }
}

/// `/reset-password?token=…`: the new password, twice.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let auth = use_auth();
    let rules = auth.rules();
    let action = ServerAction::<ResetPassword>::new();
    // Every other session has ended; this one is signed in.
    on_sign_in_unless_unverified(action, "/login");
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let new = FieldState::new();
    let confirmation = FieldState::new();
    let fields = [new, confirmation];
    let error = submission_error(action);
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
    view! {
        <Title text="Choose a new password"/>
        <SignedOutOnly>
        <section class="card auth-card" aria-labelledby="reset-title">
            <h1 id="reset-title">"Choose a new password"</h1>
            <Show
                when=spent
                fallback=move || view! {
                    <FormAlert error/>
                    <ActionForm action attr:novalidate=true>
                        <input type="hidden" name="token" value=move || token.get()/>
                        <Field label="New password" name="new_password" state=new check=check("new_password")
                            control=Control::Input("password") autocomplete="new-password"/>
                        <Field label="Confirm new password" name="new_password_confirmation" state=confirmation
                            check=check("new_password_confirmation") control=Control::Input("password")
                            autocomplete="new-password"/>
                        <SubmitButton label="Set password and sign in" busy_label="Saving…" pending wide=true
                            valid=move || problems.with_untracked(|p| p.is_empty())
                            fields=fields.to_vec()/>
                    </ActionForm>
                }
            >
                <p class="alert error" role="alert">
                    "This link is invalid, was already used, or has expired. "
                    <A href="/forgot-password">"Ask for a new one"</A>
                </p>
            </Show>
        </section>
        </SignedOutOnly>
    }
}
