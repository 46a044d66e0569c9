use super::components::copy::SuggestPassword;
use super::components::form::{
    page_error, show_field_errors, submission_error, typed, Control, Field, FieldState, FormAlert,
    PageError, PostForm, SubmitButton,
};
use super::components::guard::SignedOutOnly;
use super::components::island::{go_to, hydrated, on_success};
use super::components::providers::ProviderButtons;
use super::use_auth;
use crate::api::auth::{Register, SignIn};
use crate::domain::{AuthRules, FieldErrors, NewAccount, RegisterInput, Registration, Secret};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Create an account, when registration is open.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let rules = use_auth().rules;
    view! {
        <Title text="Create an account"/>
        <SignedOutOnly>
            {if rules.registration != Registration::Open {
                view! {
                    <section class="card auth-card">
                        <h1>"Create an account"</h1>
                        <p class="alert info" role="status">
                            "This site does not take new registrations. Ask an administrator for an invitation."
                        </p>
                        <p class="aside">"Already have an account? " <A href="/login">"Sign in"</A></p>
                    </section>
                }
                .into_any()
            } else {
                view! {
                    <section class="card auth-card" aria-labelledby="register-title">
                        <h1 id="register-title">"Create an account"</h1>
                        <RegisterForm rules error=page_error()/>
                        <ProviderButtons next=None/>
                        <p class="aside">"Already have an account? " <A href="/login">"Sign in"</A></p>
                    </section>
                }
                .into_any()
            }}
        </SignedOutOnly>
    }
}

/// The form. Every field is checked as it is typed, with the same domain types the
/// server uses, against the rules the server publishes. Once the account exists it is
/// signed in and goes home, unless it must confirm its address first.
#[island(lazy)]
fn RegisterForm(rules: AuthRules, error: Option<PageError>) -> impl IntoView {
    hydrated();
    let action = ServerAction::<Register>::new();
    on_success(action, |outcome| {
        go_to(match outcome {
            SignIn::Done => "/",
            SignIn::ConfirmAddressFirst => "/login?registered=1",
        })
    });
    let username = FieldState::with_value(typed::<Register>(&error, "username"));
    let email = FieldState::with_value(typed::<Register>(&error, "email"));
    let password = FieldState::new();
    let confirmation = FieldState::new();
    let fields = [username, email, password, confirmation];

    let error = submission_error(action, error);
    show_field_errors(
        error,
        vec![
            ("username", username),
            ("email", email),
            ("password", password),
            ("password_confirmation", confirmation),
        ],
    );

    // Every field's message, from one parse of the whole form (the password must differ
    // from the username and email, so fields depend on each other).
    let problems = Memo::new({
        let rules = rules.clone();
        move |_| {
            let input = RegisterInput {
                username: username.value.get(),
                email: email.value.get(),
                password: Secret::new(password.value.get()),
                password_confirmation: Secret::new(confirmation.value.get()),
            };
            NewAccount::parse(&input, &rules).err().unwrap_or_default()
        }
    });
    let check =
        move |name: &'static str| Signal::derive(move || problems.read().get(name).cloned());
    let pending = action.pending();
    let username_hint = format!(
        "{} to {} characters: letters, digits, '.', '_' or '-'",
        rules.username.min_length, rules.username.max_length
    );
    let password_hint = format!(
        "{} to {} characters; not your username, email or a common password",
        rules.password.min_length, rules.password.max_length
    );

    let call = move || Register {
        username: username.value.get_untracked(),
        email: email.value.get_untracked(),
        password: Secret::new(password.value.get_untracked()),
        password_confirmation: Secret::new(confirmation.value.get_untracked()),
    };
    view! {
        <FormAlert error/>
        <PostForm action novalidate=true call>
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
            <SuggestPassword fields=[password, confirmation]/>
            <SubmitButton label="Create account" busy_label="Creating your account…" pending wide=true
                valid=move || problems.with_untracked(FieldErrors::is_empty)
                fields=fields.to_vec()/>
        </PostForm>
    }
}
