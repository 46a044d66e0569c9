use super::components::form::{
    required, show_field_errors, submission_error, Control, Field, FieldState, FormAlert,
    SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::{on_success, use_auth};
use crate::api::auth::Login;
use crate::domain::{local_path, Registration};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Sign in with a username or email address and a password.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = Memo::new(move |_| {
        query
            .read()
            .get_str("next")
            .and_then(|n| local_path(Some(n)))
            .map(str::to_owned)
    });

    let action = ServerAction::<Login>::new();
    let navigate = use_navigate();
    on_success(action, move |user| {
        auth.user.set(Some(user));
        let target = next.get_untracked().unwrap_or_else(|| "/".into());
        navigate(&target, Default::default());
    });

    let deleted = query.read_untracked().get_str("deleted") == Some("1");
    let registered = query.read_untracked().get_str("registered") == Some("1");
    let login = FieldState::from_query("login");
    let password = FieldState::new();
    let error = submission_error(action);
    show_field_errors(error, vec![("login", login), ("password", password)]);
    let pending = action.pending();
    let registration_open = auth.rules().registration == Registration::Open;

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
                <FormAlert error/>
                <ActionForm action attr:novalidate=true>
                    <input type="hidden" name="next" value=move || next.get().unwrap_or_default()/>
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
                </ActionForm>
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
