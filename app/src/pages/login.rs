use super::components::form::{
    required, show_field_errors, submission_error, Control, Field, FieldState, FormAlert,
    SubmitButton,
};
use super::use_auth;
use crate::domain::{local_path, Registration};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_query_map;

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

    let deleted = query.read_untracked().get_str("deleted") == Some("1");
    let registered = query.read_untracked().get_str("registered") == Some("1");
    let login = FieldState::from_query("login");
    let password = FieldState::new();
    let error = submission_error(auth.login);
    show_field_errors(error, vec![("login", login), ("password", password)]);
    let pending = auth.login.pending();

    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                if let Ok(Some(_)) = auth.user.await {
                    let target = next.get_untracked().unwrap_or_else(|| "/".into());
                    return view! { <Redirect path=target/> }.into_any();
                }
                let registration_open = auth
                    .rules
                    .await
                    .is_ok_and(|rules| rules.registration == Registration::Open);
                view! {
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
                        <ActionForm action=auth.login attr:novalidate=true>
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
                }
                .into_any()
            })}
        </Suspense>
    }
}
