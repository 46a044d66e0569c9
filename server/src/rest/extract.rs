//! Extractors shared by the REST routes.

use super::error::ApiError;
use app::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use backend::{internal_error, AppState, ClientInfo};
use domain::User;
use tower_sessions::Session;

/// The signed-in caller; 401 when there is none.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session(parts)?;
        match app::api::session::current_user(state, &session).await? {
            Some(user) => Ok(CurrentUser(user)),
            None => Err(ApiError(AppError::Unauthenticated)),
        }
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
