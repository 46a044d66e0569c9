use super::components::form::{
    show_field_errors, submission_error, Control, Field, FieldState, FormAlert, SubmitButton,
};
use super::use_auth;
use crate::domain::{AuthRules, FieldErrors, NewAccount, RegisterInput, Registration, Secret};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

/// Create an account. Every field is checked as it is typed, with the same domain types
/// the server uses, against the rules the server publishes.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let username = FieldState::from_query("username");
    let email = FieldState::from_query("email");
    let password = FieldState::new();
    let confirmation = FieldState::new();
    let fields = [username, email, password, confirmation];

    let error = submission_error(auth.register);
    show_field_errors(
        error,
        vec![
            ("username", username),
            ("email", email),
            ("password", password),
            ("password_confirmation", confirmation),
        ],
    );

    let rules = move || auth.rules.get().and_then(Result::ok);
    // Every field's message, from one parse of the whole form (the password must differ
    // from the username and email, so fields depend on each other).
    let problems = Memo::new(move |_| {
        let Some(rules): Option<AuthRules> = rules() else {
            return FieldErrors::new();
        };
        let input = RegisterInput {
            username: username.value.get(),
            email: email.value.get(),
            password: Secret::new(password.value.get()),
            password_confirmation: Secret::new(confirmation.value.get()),
        };
        NewAccount::parse(&input, &rules).err().unwrap_or_default()
    });
    let check =
        move |name: &'static str| Signal::derive(move || problems.read().get(name).cloned());
    let pending = auth.register.pending();

    view! {
        <Title text="Create an account"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                if let Ok(Some(_)) = auth.user.await {
                    return view! { <Redirect path="/"/> }.into_any();
                }
                let rules = auth.rules.await;
                let open = rules.as_ref().is_ok_and(|r| r.registration == Registration::Open);
                if !open {
                    return view! {
                        <section class="card auth-card">
                            <h1>"Create an account"</h1>
                            <p class="alert info" role="status">
                                "This site does not take new registrations. Ask an administrator for an invitation."
                            </p>
                            <p class="aside">"Already have an account? " <A href="/login">"Sign in"</A></p>
                        </section>
                    }
                    .into_any();
                }
                let (username_hint, password_hint) = rules
                    .map(|r| {
                        (
                            format!(
                                "{} to {} characters: letters, digits, '.', '_' or '-'",
                                r.username.min_length, r.username.max_length
                            ),
                            format!(
                                "{} to {} characters; not your username, email or a common password",
                                r.password.min_length, r.password.max_length
                            ),
                        )
                    })
                    .unwrap_or_default();
                view! {
                    <section class="card auth-card" aria-labelledby="register-title">
                        <h1 id="register-title">"Create an account"</h1>
                        <FormAlert error/>
                        <ActionForm action=auth.register attr:novalidate=true>
                            <Field
                                label="Username"
                                name="username"
                                state=username
                                check=check("username")
                                autocomplete="username"
                                hint=username_hint
                            />
                            <Field
                                label="Email"
                                name="email"
                                state=email
                                check=check("email")
                                control=Control::Input("email")
                                autocomplete="email"
                            />
                            <Field
                                label="Password"
                                name="password"
                                state=password
                                check=check("password")
                                control=Control::Input("password")
                                autocomplete="new-password"
                                hint=password_hint
                            />
                            <Field
                                label="Confirm password"
                                name="password_confirmation"
                                state=confirmation
                                check=check("password_confirmation")
                                control=Control::Input("password")
                                autocomplete="new-password"
                            />
                            <SubmitButton label="Create account" busy_label="Creating your account…" pending wide=true
                                valid=move || problems.with_untracked(FieldErrors::is_empty)
                                fields=fields.to_vec()/>
                        </ActionForm>
                        <p class="aside">"Already have an account? " <A href="/login">"Sign in"</A></p>
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
