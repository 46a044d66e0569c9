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

use crate::domain::{AuthRules, User};
use components::header::Header;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{provide_meta_context, MetaTags, Title};
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
                // The bundle's directory is named by its content (see the server's assets).
                <link rel="stylesheet" href=format!("/{}/latchkey.css", options.site_pkg_dir)/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in and the published rules, shared by every page.
///
/// The server resolves both before it renders (who is signed in once per request, the
/// rules once per process) and serialises them into the page, so the browser starts from
/// the same values and no page ever waits for them. Whatever signs in or out, or changes
/// the account, sets `user` from the account it returns.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: RwSignal<Option<User>>,
    rules: StoredValue<AuthRules>,
}

impl Auth {
    /// The published rules (lengths, registration, lifetimes, ...).
    pub fn rules(&self) -> AuthRules {
        self.rules.get_value()
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Runs `then` with the output of each successful submission of `action`. A form
/// posted without JavaScript is redirected by the server instead; with JavaScript the
/// page decides here what changed and where to go, after the fact, so that no page
/// ever sees a sign-in as done while `Auth::user` still says otherwise.
pub fn on_success<S>(action: ServerAction<S>, then: impl Fn(S::Output) + 'static)
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Effect::watch(
        move || action.value().get(),
        move |value, _, _| {
            if let Some(Ok(output)) = value {
                then(output.clone());
            }
        },
        false,
    );
}

/// After an action that signs this browser in unless the account must confirm its
/// address first (registration, a password reset): shows the account and goes home, or
/// goes to `otherwise`.
pub fn on_sign_in_unless_unverified<S>(action: ServerAction<S>, otherwise: &'static str)
where
    S: ServerFn<Output = User> + Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    let auth = use_auth();
    let rules = auth.rules();
    let navigate = leptos_router::hooks::use_navigate();
    on_success(action, move |user| {
        if rules.may_sign_in(&user) {
            auth.user.set(Some(user));
            navigate("/", Default::default());
        } else {
            navigate(otherwise, Default::default());
        }
    });
}

/// Who the server found signed in on the request it renders (the router resolves it
/// before rendering); nobody in the browser, where the page's serialised copy is read.
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

/// The rules the server publishes; the defaults in the browser, where the page's
/// serialised copy is read.
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

#[component]
pub fn App() -> impl IntoView {
    // First, before anything else that numbers what the page carries for hydration
    // (resources, boundaries): the server's values, serialised into the page and read
    // back, in the same order, by the browser.
    let user = SharedValue::new(request_user).into_inner();
    let rules = SharedValue::new(published_rules).into_inner();
    provide_context(Auth {
        user: RwSignal::new(user),
        rules: StoredValue::new(rules),
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
