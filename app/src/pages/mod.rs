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

use crate::domain::{AuthRules, OidcProvider, User};
use components::header::Header;
#[cfg(feature = "hydrate")]
pub use components::island::mark_if_no_islands;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document the server renders around the app. `bundle` is the URL prefix the
/// bundle is served under (its `pkg/` directory sits below it); it changes with every
/// build, so browsers may keep the files for good.
pub fn shell(options: LeptosOptions, bundle: String) -> impl IntoView {
    let stylesheet = format!("{bundle}/{}/latchkey.css", options.site_pkg_dir);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=stylesheet/>
                <HydrationScripts options islands=true root=bundle/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in and the published rules, for the pages the server renders.
///
/// The server resolves both before it renders (who is signed in once per request, the
/// rules once per process). Pages are rendered on the server only: the browser runs the
/// islands (`#[island]`), which get what they need of these as their props.
#[derive(Clone)]
pub struct Auth {
    pub user: Option<User>,
    pub rules: AuthRules,
    /// The outside OpenID providers people can sign in with.
    pub providers: Vec<OidcProvider>,
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Who the server found signed in on the request it renders (the router resolves it
/// before rendering).
fn request_user() -> Option<User> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::api::SignedInUser>().cloned())
            .and_then(|signed_in| signed_in.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The rules the server publishes.
fn published_rules() -> AuthRules {
    #[cfg(feature = "ssr")]
    {
        use_context::<backend::AppState>()
            .map(|state| state.rules().clone())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        AuthRules::default()
    }
}

/// The outside providers, and whether each answers.
fn providers() -> Vec<OidcProvider> {
    #[cfg(feature = "ssr")]
    {
        use_context::<backend::AppState>()
            .map(|state| state.oidc.listed())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Vec::new()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(Auth {
        user: request_user(),
        rules: published_rules(),
        providers: providers(),
    });
    provide_meta_context();

    view! {
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
