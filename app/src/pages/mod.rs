//! The pages, one module per route, and the application shell around them.

mod account;
mod code;
mod components;
mod home;
mod login;
mod not_found;
mod recovery;
mod register;
mod verify;

use crate::api::auth::{
    get_current_user, get_rules, Login, LoginWithCode, Logout, Register, ResetPassword, VerifyEmail,
};
use crate::domain::{AuthRules, User};
use crate::error::AppError;
use components::header::Header;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in and the published rules, shared by every page, plus the actions that
/// change who is signed in (so the user is fetched again after each of them).
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    pub reset_password: ServerAction<ResetPassword>,
    pub login_with_code: ServerAction<LoginWithCode>,
    pub verify_email: ServerAction<VerifyEmail>,
    /// Bumped by anything that changes the signed-in account, so it is fetched again.
    pub changed: RwSignal<u32>,
    pub user: Resource<Result<Option<User>, AppError>>,
    pub rules: Resource<Result<AuthRules, AppError>>,
}

impl Auth {
    fn new() -> Auth {
        let login = ServerAction::<Login>::new();
        let register = ServerAction::<Register>::new();
        let logout = ServerAction::<Logout>::new();
        let reset_password = ServerAction::<ResetPassword>::new();
        let login_with_code = ServerAction::<LoginWithCode>::new();
        let verify_email = ServerAction::<VerifyEmail>::new();
        let changed = RwSignal::new(0);
        let user = Resource::new_blocking(
            move || {
                (
                    login.version().get(),
                    register.version().get(),
                    logout.version().get(),
                    reset_password.version().get(),
                    login_with_code.version().get(),
                    verify_email.version().get(),
                    changed.get(),
                )
            },
            |_| get_current_user(),
        );
        let rules = Resource::new_blocking(|| (), |_| get_rules());
        Auth {
            login,
            register,
            logout,
            reset_password,
            login_with_code,
            verify_email,
            changed,
            user,
            rules,
        }
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

impl Auth {
    /// The signed-in account changed (profile, picture): fetch it again.
    pub fn refresh(&self) {
        self.changed.update(|n| *n += 1);
    }

    /// The published rules, or the defaults until they have loaded.
    pub fn rules_or_default(&self) -> AuthRules {
        self.rules.get().and_then(Result::ok).unwrap_or_default()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Auth::new());

    view! {
        <Stylesheet id="leptos" href="/pkg/latchkey.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Latchkey".to_owned() } else { format!("{page} · Latchkey") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=not_found::NotFound>
                    <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=login::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/register") view=register::RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/code") view=code::CodeLoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=recovery::ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=recovery::ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view=verify::VerifyEmailPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
