//! `/login/code`: sign in with a code mailed to the account's address. First the
//! address, then (once a code was sent) the code.

use super::components::form::{
    page_error, query_value, show_field_errors, submission_error, Control, Field, FieldState,
    FormAlert, PageError, PostForm, SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::components::island::{go_to, hydrated, on_success};
use super::use_auth;
use crate::api::auth::{LoginWithCode, RequestLoginCode};
use crate::domain::Email;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::location::Url;

#[component]
pub fn CodeLoginPage() -> impl IntoView {
    let sent = query_value("sent") == "1";
    let email = query_value("email");
    let minutes = use_auth().rules.tokens.login_code_minutes;
    view! {
        <Title text="Sign in with a code"/>
        <SignedOutOnly>
        <section class="card auth-card" aria-labelledby="code-title">
            <h1 id="code-title">"Sign in with a code"</h1>
            {if sent {
                view! {
                    <p class="alert ok" role="status" data-testid="code-sent">
                        {format!(
                            "If an account has the address {email}, a code is on its way. It works once, for {minutes} minutes."
                        )}
                    </p>
                    <CodeForm email error=page_error()/>
                    <p class="aside"><A href="/login/code">"Use another address or send a new code"</A></p>
                }
                .into_any()
            } else {
                view! {
                    <p>"We mail a 6-digit code to the address of your account."</p>
                    <RequestCodeForm email error=page_error()/>
                }
                .into_any()
            }}
            <p class="aside"><A href="/login">"Sign in with a password instead"</A></p>
        </section>
        </SignedOutOnly>
    }
}

/// The address to mail a code to. Once sent, the page asks for the code.
#[island(lazy)]
fn RequestCodeForm(email: String, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let request = ServerAction::<RequestLoginCode>::new();
    let email = FieldState::with_value(email);
    let error = submission_error(request, error);
    show_field_errors(error, vec![("email", email)]);
    let email_check = Signal::derive(move || Email::parse(&email.value.get()).err());
    on_success(request, move |()| {
        let address = Url::escape(email.value.get_untracked().trim());
        go_to(&format!("/login/code?email={address}&sent=1"));
    });
    view! {
        <FormAlert error/>
        <PostForm action=request novalidate=true call=move || RequestLoginCode {
            email: email.value.get_untracked(),
        }>
            <Field label="Email" name="email" state=email check=email_check
                control=Control::Input("email") autocomplete="email"/>
            <SubmitButton label="Email me a code" busy_label="Sending…" pending=request.pending() wide=true
                valid=move || Email::parse(&email.value.get_untracked()).is_ok()
                fields=vec![email]/>
        </PostForm>
    }
}

/// The mailed code, for the address it was mailed to. Signed in, it goes home.
#[island(lazy)]
fn CodeForm(email: String, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let verify = ServerAction::<LoginWithCode>::new();
    let code = FieldState::new();
    let error = submission_error(verify, error);
    let code_check = Signal::derive(move || {
        let code = code.value.get();
        (code.trim().len() != 6 || !code.trim().bytes().all(|b| b.is_ascii_digit()))
            .then(|| "Enter the 6 digits from the message".to_owned())
    });
    let email = StoredValue::new(email);
    on_success(verify, |_| go_to("/"));
    view! {
        <FormAlert error/>
        <PostForm action=verify novalidate=true call=move || LoginWithCode {
            email: email.get_value(),
            code: code.value.get_untracked(),
            next: None,
        }>
            <input type="hidden" name="email" value=email.get_value()/>
            <input type="hidden" name="next" value=""/>
            <Field label="Code" name="code" state=code check=code_check
                control=Control::Input("text") autocomplete="one-time-code"/>
            <SubmitButton label="Sign in" busy_label="Signing in…" pending=verify.pending() wide=true
                valid=move || code_check.with_untracked(Option::is_none)
                fields=vec![code]/>
        </PostForm>
    }
}
