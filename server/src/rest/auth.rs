//! `/auth/*`: sign-up, sign-in, sign-out and the published policy.

use super::error::{ApiError, ApiJson};
use super::extract::{session, Client, CurrentUser};
use app::api::session as browser_session;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use backend::services::{accounts, codes, credentials, email, recovery};
use backend::AppState;
use domain::{
    pick_language, AuthMethods, AuthRules, PasswordResetInput, RegisterInput, Secret, User,
};
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
    browser_session::sign_in_if_allowed(&state, &session(&parts)?, &user, &client).await?;
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
        credentials::authenticate(&state, &request.login, request.password.expose(), &client)
            .await?;
    browser_session::sign_in(&session(&parts)?, &user, &client).await?;
    Ok(Json(user))
}

/// `POST /auth/logout` -> 204; the session is forgotten by the server.
pub async fn logout(_: CurrentUser, parts: Parts) -> Result<StatusCode, ApiError> {
    browser_session::sign_out(&session(&parts)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EmailRequest {
    email: String,
}

/// The body of every 202: the same whether or not the address has an account.
fn accepted(message: &str) -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "status": "accepted", "message": message })),
    )
}

const SENT_IF_ACCOUNT: &str = "If an account has this address, a message is on its way";

/// `POST /auth/password/reset` -> 202, the same answer whether or not the account exists.
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    recovery::request(&state, &request.email).await?;
    Ok(accepted(SENT_IF_ACCOUNT))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ResetConfirmation {
    token: String,
    new_password: Secret,
    new_password_confirmation: Secret,
}

/// `POST /auth/password/reset/confirm` -> 204; every session of the account ends.
pub async fn confirm_reset(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ResetConfirmation>,
) -> Result<StatusCode, ApiError> {
    let input = PasswordResetInput {
        new_password: request.new_password,
        new_password_confirmation: request.new_password_confirmation,
    };
    recovery::confirm(&state, &request.token, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct TokenRequest {
    token: String,
}

/// `POST /auth/email/verify` -> 204.
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<StatusCode, ApiError> {
    email::verify(&state, &request.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/email/verify/resend` -> 202 always.
pub async fn resend_verification(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    email::resend(&state, &request.email).await?;
    Ok(accepted(SENT_IF_ACCOUNT))
}

/// `POST /auth/code` -> 202 always; mails a one-time code to an account's address.
pub async fn request_code(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    codes::request(&state, &request.email).await?;
    Ok(accepted(SENT_IF_ACCOUNT))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CodeRequest {
    email: String,
    code: String,
}

/// `POST /auth/code/verify` -> 200 with the account, signed in.
pub async fn verify_code(
    State(state): State<AppState>,
    Client(client): Client,
    parts: Parts,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<Json<User>, ApiError> {
    let user = codes::verify(&state, &request.email, &request.code, &client).await?;
    browser_session::sign_in(&session(&parts)?, &user, &client).await?;
    Ok(Json(user))
}
