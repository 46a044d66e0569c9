use super::components::form::{
    page_error, query_value, required, show_field_errors, submission_error, typed, Control, Field,
    FieldState, FormAlert, PageError, PostForm, SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::components::island::{go_to, hydrated, on_success};
use super::components::providers::{ProviderAlert, ProviderButtons};
use super::use_auth;
use crate::api::auth::Login;
use crate::domain::{local_path, Registration, Secret};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Sign in with a username or email address and a password.
#[component]
pub fn LoginPage() -> impl IntoView {
    let next = local_path(Some(&query_value("next"))).map(str::to_owned);
    let deleted = query_value("deleted") == "1";
    let registered = query_value("registered") == "1";
    let registration_open = use_auth().rules.registration == Registration::Open;

    view! {
        <Title text="Sign in"/>
        <SignedOutOnly>
            <section class="card auth-card" aria-labelledby="login-title">
                <h1 id="login-title">"Sign in"</h1>
                {deleted.then(|| view! {
                    <p class="alert ok" role="status">"Your account was deleted."</p>
                })}
                {registered.then(|| view! {
                    <p class="alert ok" role="status">
                        "Your account is ready. Confirm your address with the link we mailed you, then sign in."
                    </p>
                })}
                <ProviderAlert problem=query_value("oidc")/>
                <LoginForm next=next.clone() error=page_error()/>
                <ProviderButtons next/>
                <p class="aside links">
                    <A href="/forgot-password">"Forgot your password?"</A>
                    <A href="/login/code">"Email me a sign-in code"</A>
                </p>
                {registration_open.then(|| view! {
                    <p class="aside">"New here? " <A href="/register">"Create an account"</A></p>
                })}
            </section>
        </SignedOutOnly>
    }
}

/// The form, with the error (and what was typed) it came back with when it was posted
/// without JavaScript. Signed in, it goes on to `next` or home.
#[island(lazy)]
fn LoginForm(next: Option<String>, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let action = ServerAction::<Login>::new();
    let target = next.clone().unwrap_or_else(|| "/".to_owned());
    on_success(action, move |_| go_to(&target));
    let login = FieldState::with_value(typed::<Login>(&error, "login"));
    let password = FieldState::new();
    let error = submission_error(action, error);
    show_field_errors(error, vec![("login", login), ("password", password)]);
    let pending = action.pending();

    let next_path = next.clone().unwrap_or_default();
    let call = move || Login {
        login: login.value.get_untracked(),
        password: Secret::new(password.value.get_untracked()),
        next: next.clone(),
    };
    view! {
        <FormAlert error/>
        <PostForm action novalidate=true call>
            <input type="hidden" name="next" value=next_path/>
            <Field
                label="Username or email"
                name="login"
                state=login
                check=required(login)
                autocomplete="username"
            />
            <Field
                label="Password"
                name="password"
                state=password
                check=required(password)
                control=Control::Input("password")
                autocomplete="current-password"
            />
            <SubmitButton label="Sign in" busy_label="Signing in…" pending wide=true
                valid=move || !login.value.get_untracked().is_empty() && !password.value.get_untracked().is_empty()
                fields=vec![login, password]/>
        </PostForm>
    }
}
