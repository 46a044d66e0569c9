//! `/auth/*`: sign-up, sign-in, sign-out and the published policy.

use super::error::{ApiError, ApiJson};
use super::extract::{session, Client, CurrentUser};
use app::backend::services::{accounts, sessions};
use app::backend::AppState;
use app::domain::{pick_language, AuthMethods, AuthRules, RegisterInput, Secret, User};
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::Deserialize;

pub async fn methods(State(state): State<AppState>) -> Json<AuthMethods> {
    Json(AuthMethods::from_rules(state.rules()))
}

pub async fn rules(State(state): State<AppState>) -> Json<AuthRules> {
    Json(state.rules().clone())
}

/// `POST /auth/register` -> 201 with the new account, signed in.
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    parts: Parts,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let language = pick_language(
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let user = accounts::register(&state, &input, language).await?;
    sessions::sign_in(&session(&parts)?, &user, &client).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct LoginRequest {
    login: String,
    password: Secret,
}

/// `POST /auth/login` with a username or email -> 200 with the account, signed in.
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    parts: Parts,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<User>, ApiError> {
    let user =
        accounts::authenticate(&state, &request.login, request.password.expose(), &client).await?;
    sessions::sign_in(&session(&parts)?, &user, &client).await?;
    Ok(Json(user))
}

/// `POST /auth/logout` -> 204; the session is forgotten by the server.
pub async fn logout(_: CurrentUser, parts: Parts) -> Result<StatusCode, ApiError> {
    sessions::sign_out(&session(&parts)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
