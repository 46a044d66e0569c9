//! `/auth/oidc/{provider}/*`: signing in with an outside OpenID provider.
//!
//! `login` sends the browser to the provider, keeping the sign-in (state, nonce, PKCE
//! verifier, where to go on to, the account to link to) in a sealed, HttpOnly cookie
//! that only these two routes receive; `callback` takes it back (once: the cookie is
//! cleared whatever happens), checks the answer against it and signs in or links. Every
//! way it can fail ends on a page with a message (`/login?oidc=...`, or `/account` for
//! a link), with nothing signed in.

use super::error::{ApiError, ErrorBody};
use super::extract::{language, session, Client};
use app::api::session as browser_session;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use backend::oidc::{PendingSignIn, FLOW_LIFETIME};
use backend::services::oidc::{self, Refusal};
use backend::{internal_error, AppState, ClientInfo};
use domain::{local_path, AppError, ProviderProblem};
use serde::Deserialize;
use tower_cookies::cookie::SameSite;
use tower_cookies::{Cookie, Cookies};
use tower_sessions::Session;
use utoipa::IntoParams;

/// The cookie that carries a sign-in to the provider and back.
const FLOW_COOKIE: &str = "latchkey_oidc";
/// Only the provider routes receive it.
const FLOW_COOKIE_PATH: &str = "/api/v1/auth/oidc/";

const LOGIN_PAGE: &str = "/login";
const ACCOUNT_PAGE: &str = "/account";
/// Where a signed-in person lands when nothing else was asked for (as the sign-in form).
const HOME: &str = "/";

/// Where to go on to after signing in.
#[derive(Deserialize, IntoParams)]
pub struct LoginQuery {
    /// A page of this site (anything else is ignored).
    next: Option<String>,
}

/// Starts a sign-in with the provider: 302 to its sign-in page. Signed in, it links the
/// identity to the account instead.
#[utoipa::path(get, path = "/auth/oidc/{provider}/login", tag = "auth",
    params(("provider" = String, Path, description = "The provider's id, as /auth/methods lists it"), LoginQuery),
    responses(
        (status = 302, description = "To the provider (with state, nonce and a PKCE S256 challenge); to /login?oidc=unavailable when it cannot be reached",
            headers(("Location" = String, description = "Where the browser goes"))),
        (status = 404, description = "not_found: no provider has that id", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Path(provider): Path<String>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    if !state.oidc.knows(&provider) {
        return Err(AppError::NotFound.into());
    }
    let signed_in = browser_session::current_user(&state, &session(&parts)?).await?;
    let link_to = signed_in.map(|user| user.id);
    let back = back_page(&link_to);
    // Another site could start a link after signing the browser in to the provider as
    // someone else; a browser says where a navigation comes from.
    if link_to.is_some() && from_another_site(&parts) {
        return Ok(found(&problem_page(back, ProviderProblem::CrossSiteLink)));
    }
    let next = local_path(query.next.as_deref()).map(str::to_owned);
    match state
        .oidc
        .begin(&provider, next, link_to, state.clock.now())
        .await
    {
        Ok((url, pending)) => {
            cookies(&parts)?.add(flow_cookie(&state, pending.seal(&state.secret)));
            Ok(found(&url))
        }
        Err(problem) => Ok(found(&problem_page(back, problem))),
    }
}

/// The provider's answer.
#[derive(Deserialize, IntoParams)]
pub struct CallbackQuery {
    /// The authorization code.
    code: Option<String>,
    /// Must be the `state` the sign-in was started with.
    state: Option<String>,
    /// The provider's error, when it did not sign the person in.
    error: Option<String>,
    /// The provider's words on its error (logged, never shown).
    error_description: Option<String>,
}

/// Finishes a sign-in: 302 to the page asked for (or home), signed in; linked, to
/// `/account`; otherwise to `/login?oidc=<problem>` (or `/account?oidc=<problem>` for a
/// link), with nothing signed in.
#[utoipa::path(get, path = "/auth/oidc/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "The provider's id"), CallbackQuery),
    responses(
        (status = 302, description = "Signed in and sent on; or sent to /login (or /account) with the problem",
            headers(("Location" = String, description = "Where the browser goes"),
                ("Set-Cookie" = String, description = "The session cookie, when signed in"))),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    Client(client): Client,
    parts: Parts,
    Path(provider): Path<String>,
    Query(answer): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let session = session(&parts)?;
    let cookies = cookies(&parts)?;
    let pending = cookies
        .get(FLOW_COOKIE)
        .and_then(|cookie| PendingSignIn::open(cookie.value(), &state.secret, state.clock.now()));
    // Taken once, whatever happens next.
    cookies.remove(Cookie::build(FLOW_COOKIE).path(FLOW_COOKIE_PATH).build());
    let Some(pending) = pending.filter(|pending| pending.provider == provider) else {
        tracing::info!(%provider, "provider answer without a sign-in started in this browser");
        return Ok(found(&problem_page(
            LOGIN_PAGE,
            ProviderProblem::WrongState,
        )));
    };
    let back = back_page(&pending.link_to);
    match finish(
        &state,
        &session,
        &client,
        &pending,
        &answer,
        language(&parts),
    )
    .await
    {
        Ok(to) => Ok(found(&to)),
        Err(Refusal::Problem(problem)) => {
            tracing::info!(%provider, problem = problem.as_str(), "sign-in through a provider refused");
            Ok(found(&problem_page(back, problem)))
        }
        Err(Refusal::Error(error)) => Err(error.into()),
    }
}

/// Checks the answer against the sign-in this browser started, and signs in or links;
/// returns where the browser goes.
async fn finish(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    pending: &PendingSignIn,
    answer: &CallbackQuery,
    language: &str,
) -> Result<String, Refusal> {
    if let Some(error) = &answer.error {
        tracing::info!(
            provider = %pending.provider,
            %error,
            description = answer.error_description.as_deref().unwrap_or(""),
            "the provider answered with an error"
        );
        return Err(ProviderProblem::Refused.into());
    }
    if !answer
        .state
        .as_deref()
        .is_some_and(|state| pending.state_matches(state))
    {
        return Err(ProviderProblem::WrongState.into());
    }
    let code = answer
        .code
        .as_deref()
        .filter(|code| !code.is_empty())
        .ok_or(ProviderProblem::WrongState)?;
    let identity = state.oidc.finish(pending, code).await?;
    match &pending.link_to {
        Some(user_id) => {
            // The account that asked for the link must still be the one signed in.
            let current = browser_session::current_user(state, session).await?;
            if current.is_none_or(|user| &user.id != user_id) {
                return Err(ProviderProblem::WrongState.into());
            }
            oidc::link(state, user_id, &identity).await?;
            Ok(format!("{ACCOUNT_PAGE}?identity=linked#identities"))
        }
        None => {
            let user = oidc::sign_in(state, &identity, language).await?;
            browser_session::sign_in(session, &user, client).await?;
            tracing::info!(user_id = %user.id, provider = %pending.provider, "signed in through a provider");
            Ok(pending.next.clone().unwrap_or_else(|| HOME.to_owned()))
        }
    }
}

/// Whether the browser says the request comes from another site (`Sec-Fetch-Site`; a
/// browser that does not say is taken at its word).
fn from_another_site(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|site| site != "same-origin" && site != "none")
}

fn cookies(parts: &Parts) -> Result<Cookies, ApiError> {
    parts
        .extensions
        .get::<Cookies>()
        .cloned()
        .ok_or_else(|| ApiError(internal_error("cookie layer missing")))
}

/// The sign-in, sealed, for the provider routes only, for as long as it may take. `Lax`:
/// the provider's answer is a top-level navigation from its site.
fn flow_cookie(state: &AppState, sealed: String) -> Cookie<'static> {
    Cookie::build((FLOW_COOKIE, sealed))
        .path(FLOW_COOKIE_PATH)
        .http_only(true)
        .secure(state.config.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(FLOW_LIFETIME)
        .build()
}

/// The page a sign-in comes back to when it fails: the account page for a link.
fn back_page(link_to: &Option<String>) -> &'static str {
    if link_to.is_some() {
        ACCOUNT_PAGE
    } else {
        LOGIN_PAGE
    }
}

fn problem_page(page: &str, problem: ProviderProblem) -> String {
    let anchor = if page == ACCOUNT_PAGE {
        "#identities"
    } else {
        ""
    };
    format!("{page}?oidc={}{anchor}", problem.as_str())
}

/// 302 to `location`; never kept by a cache.
fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}
