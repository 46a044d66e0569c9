//! Extractors shared by the REST routes.

use super::error::ApiError;
use app::AppError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use backend::services::api_tokens::{self, Bearer};
use backend::{internal_error, AppState, ClientInfo};
use domain::{Scope, User};
use tower_sessions::Session;

/// Who is calling: a browser session (its cookie), or a program with an API token
/// (`Authorization: Bearer`). A request that shows a token is judged by the token alone.
pub enum Caller {
    /// Signed in with a session cookie.
    Session(User),
    /// An API token, with its scopes.
    Token(Bearer),
}

impl Caller {
    async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
        if let Some(presented) = bearer_token(parts) {
            return Ok(Some(Caller::Token(
                api_tokens::authenticate(state, presented).await?,
            )));
        }
        let session = session(parts)?;
        Ok(app::api::session::current_user(state, &session)
            .await?
            .map(Caller::Session))
    }

    /// The caller's account, if it may use `scope` (a session may do anything its
    /// account may); 403 `insufficient_scope` for a token without it.
    fn user_with(self, scope: Scope) -> Result<User, ApiError> {
        match self {
            Caller::Session(user) => Ok(user),
            Caller::Token(bearer) if bearer.scopes.contains(&scope) => Ok(bearer.user),
            Caller::Token(_) => Err(ApiError(AppError::InsufficientScope {
                scope: scope.as_str().to_owned(),
            })),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header, if the request has one.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Any signed-in caller, by session or token; 401 when there is none.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::resolve(parts, state)
            .await?
            .ok_or(ApiError(AppError::Unauthenticated))
    }
}

/// A caller signed in with a browser session, for the routes API.md marks "session"
/// (credentials, the password, the address, devices, deletion): an API token gets 403
/// `session_required`, nobody 401.
pub struct SessionUser(pub User);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Session(user) => Ok(SessionUser(user)),
            Caller::Token(_) => Err(ApiError(AppError::SessionRequired)),
        }
    }
}

/// A caller who may read the account's data: a session, or a token with `read`.
pub struct ReadUser(pub User);

impl FromRequestParts<AppState> for ReadUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.user_with(Scope::Read).map(ReadUser)
    }
}

/// A caller who may change the account's data: a session, or a token with `write`.
pub struct WriteUser(pub User);

impl FromRequestParts<AppState> for WriteUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.user_with(Scope::Write).map(WriteUser)
    }
}

/// The request's session (the session layer puts one on every request).
pub fn session(parts: &Parts) -> Result<Session, ApiError> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| ApiError(internal_error("session layer missing")))
}

/// The language of ours the request's `Accept-Language` prefers (for a new account).
pub fn language(parts: &Parts) -> &'static str {
    domain::pick_language(
        parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    )
}

/// Who is calling (the client-info middleware puts it on every request).
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ClientInfo>()
            .cloned()
            .map(Client)
            .ok_or_else(|| ApiError(internal_error("client info missing")))
    }
}
