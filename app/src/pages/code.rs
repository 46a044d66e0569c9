//! `/login/code`: sign in with a code mailed to the account's address. First the
//! address, then (once a code was sent) the code.

use super::components::form::{
    show_field_errors, submission_error, Control, Field, FieldState, FormAlert, SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::{on_success, use_auth};
use crate::api::auth::{LoginWithCode, RequestLoginCode};
use crate::domain::Email;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;

#[component]
pub fn CodeLoginPage() -> impl IntoView {
    let auth = use_auth();
    let request = ServerAction::<RequestLoginCode>::new();
    let verify = ServerAction::<LoginWithCode>::new();
    let query = use_query_map();
    let sent = Memo::new(move |_| query.read().get_str("sent") == Some("1"));
    let email = FieldState::from_query("email");
    let code = FieldState::new();
    let request_error = submission_error(request);
    let verify_error = submission_error(verify);
    show_field_errors(request_error, vec![("email", email)]);
    let email_check = Signal::derive(move || Email::parse(&email.value.get()).err());
    let code_check = Signal::derive(move || {
        let code = code.value.get();
        (code.trim().len() != 6 || !code.trim().bytes().all(|b| b.is_ascii_digit()))
            .then(|| "Enter the 6 digits from the message".to_owned())
    });
    let navigate = use_navigate();
    on_success(request, {
        let navigate = navigate.clone();
        move |()| {
            let address = Url::escape(email.value.get_untracked().trim());
            navigate(
                &format!("/login/code?email={address}&sent=1"),
                Default::default(),
            );
        }
    });
    on_success(verify, move |user| {
        auth.user.set(Some(user));
        navigate("/", Default::default());
    });
    let minutes = auth.rules().tokens.login_code_minutes;
    view! {
        <Title text="Sign in with a code"/>
        <SignedOutOnly>
        <section class="card auth-card" aria-labelledby="code-title">
            <h1 id="code-title">"Sign in with a code"</h1>
            <Show
                when=move || sent.get()
                fallback=move || view! {
                    <p>"We mail a 6-digit code to the address of your account."</p>
                    <FormAlert error=request_error/>
                    <ActionForm action=request attr:novalidate=true>
                        <Field label="Email" name="email" state=email check=email_check
                            control=Control::Input("email") autocomplete="email"/>
                        <SubmitButton label="Email me a code" busy_label="Sending…" pending=request.pending() wide=true
                            valid=move || Email::parse(&email.value.get_untracked()).is_ok()
                            fields=vec![email]/>
                    </ActionForm>
                }
            >
                <p class="alert ok" role="status" data-testid="code-sent">
                    {move || format!(
                        "If an account has the address {}, a code is on its way. It works once, for {} minutes.",
                        email.value.get(),
                        minutes
                    )}
                </p>
                <FormAlert error=verify_error/>
                <ActionForm action=verify attr:novalidate=true>
                    <input type="hidden" name="email" value=move || email.value.get()/>
                    <input type="hidden" name="next" value=""/>
                    <Field label="Code" name="code" state=code check=code_check
                        control=Control::Input("text") autocomplete="one-time-code"/>
                    <SubmitButton label="Sign in" busy_label="Signing in…" pending=verify.pending() wide=true
                        valid=move || code_check.with_untracked(Option::is_none)
                        fields=vec![code]/>
                </ActionForm>
                <p class="aside"><A href="/login/code">"Use another address or send a new code"</A></p>
            </Show>
            <p class="aside"><A href="/login">"Sign in with a password instead"</A></p>
        </section>
        </SignedOutOnly>
    }
}
