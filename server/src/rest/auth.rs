//! `/auth/*`: sign-up, sign-in, sign-out and the published policy.

use super::error::{accepted, Accepted, ApiError, ApiJson, ErrorBody};
use super::extract::{language, session, Caller, Client, SessionUser};
use app::api::session as browser_session;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use backend::services::{accounts, codes, credentials, email, grants, oidc, passwords, recovery};
use backend::AppState;
use domain::{
    AuthMethods, AuthRules, GeneratedPassword, PasswordResetInput, RegisterInput, Secret,
    SignUrlInput, SignedUrl, Ticket, TicketCheck, User,
};
use serde::Deserialize;
use utoipa::ToSchema;

/// The sign-in methods this site offers.
#[utoipa::path(get, path = "/auth/methods", tag = "auth",
    responses((status = 200, description = "The enabled sign-in methods", body = AuthMethods)))]
pub async fn methods(State(state): State<AppState>) -> Json<AuthMethods> {
    Json(oidc::methods(&state))
}

/// The policy as data: what a client can check before it submits.
#[utoipa::path(get, path = "/auth/rules", tag = "auth",
    responses((status = 200, description = "Username and password rules, upload limits, lifetimes, throttling", body = AuthRules)))]
pub async fn rules(State(state): State<AppState>) -> Json<AuthRules> {
    Json(state.rules().clone())
}

/// Creates an account and signs this client in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterInput,
    responses(
        (status = 201, description = "Created, and signed in (the session cookie is set) unless the address must be confirmed first", body = User,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 403, description = "registration_disabled: registration is closed or by invitation", body = ErrorBody),
        (status = 409, description = "conflict: the username or the email is taken (`fields` says which)", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    parts: Parts,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = accounts::register(&state, &input, language(&parts)).await?;
    browser_session::sign_in_if_allowed(&state, &session(&parts)?, &user, &client).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// A sign-in: a username or an email address, and the password.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct LoginRequest {
    #[schema(schema_with = domain::openapi::login, required = true)]
    login: String,
    #[schema(schema_with = domain::openapi::password, required = true)]
    password: Secret,
}

/// Signs in with a username or an email address and the password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = User,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 401, description = "invalid_credentials, whatever was wrong", body = ErrorBody),
        (status = 403, description = "email_not_verified: the address must be confirmed first", body = ErrorBody),
        (status = 429, description = "too_many_requests: too many failed sign-ins", body = ErrorBody),
    ))]
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

/// Ends the session: the server forgets it. With an API token: nothing to end (the token
/// is not revoked).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Signed out; the server forgets the session")))]
pub async fn logout(caller: Caller, parts: Parts) -> Result<StatusCode, ApiError> {
    // A bearer token is not revoked by this: there is no session to end.
    if let Caller::Session(_) = caller {
        browser_session::sign_out(&session(&parts)?).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// An address to mail something to.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct EmailRequest {
    #[schema(schema_with = domain::openapi::email, required = true)]
    email: String,
}

const SENT_IF_ACCOUNT: &str = "If an account has this address, a message is on its way";

/// Mails a single-use reset link, if the address has an account.
#[utoipa::path(post, path = "/auth/password/reset", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted: the same answer whether or not the address has an account", body = Accepted),
        (status = 429, description = "too_many_requests: too many messages to this address", body = ErrorBody),
    ))]
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    recovery::request(&state, &request.email).await?;
    Ok(accepted(SENT_IF_ACCOUNT))
}

/// A new password, chosen from a mailed reset link.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ResetConfirmation {
    #[schema(schema_with = domain::openapi::token, required = true)]
    token: String,
    #[schema(schema_with = domain::openapi::new_password, required = true)]
    new_password: Secret,
    #[schema(schema_with = domain::openapi::confirmation, required = true)]
    new_password_confirmation: Secret,
}

/// Sets a new password from a reset link; every session of the account ends.
#[utoipa::path(post, path = "/auth/password/reset/confirm", tag = "auth", request_body = ResetConfirmation,
    responses(
        (status = 204, description = "The password is set; every session of the account has ended"),
        (status = 400, description = "invalid_token: unknown, expired or spent", body = ErrorBody),
    ))]
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

/// A token from a mailed link.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct TokenRequest {
    #[schema(schema_with = domain::openapi::token, required = true)]
    token: String,
}

/// Confirms the address a verification (or email change) link was mailed to.
#[utoipa::path(post, path = "/auth/email/verify", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 204, description = "The address is confirmed (and, for a change, the account's)"),
        (status = 400, description = "invalid_token: unknown, expired or spent", body = ErrorBody),
        (status = 409, description = "conflict: the new address now belongs to another account", body = ErrorBody),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<StatusCode, ApiError> {
    email::verify(&state, &request.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a new verification link, if the address has an account that is not verified.
#[utoipa::path(post, path = "/auth/email/verify/resend", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted: the same answer whether or not the address has an account", body = Accepted),
        (status = 429, description = "too_many_requests: too many messages to this address", body = ErrorBody),
    ))]
pub async fn resend_verification(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    email::resend(&state, &request.email).await?;
    Ok(accepted(SENT_IF_ACCOUNT))
}

/// Mails a one-time sign-in code, if the address has an account.
#[utoipa::path(post, path = "/auth/code", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted: the same answer whether or not the address has an account", body = Accepted),
        (status = 429, description = "too_many_requests: too many messages to this address", body = ErrorBody),
    ))]
pub async fn request_code(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    codes::request(&state, &request.email).await?;
    Ok(accepted(SENT_IF_ACCOUNT))
}

/// A mailed sign-in code, and the address it went to.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CodeRequest {
    #[schema(schema_with = domain::openapi::email, required = true)]
    email: String,
    #[schema(schema_with = domain::openapi::code, required = true)]
    code: String,
}

/// Signs in with a mailed code.
#[utoipa::path(post, path = "/auth/code/verify", tag = "auth", request_body = CodeRequest,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = User,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 400, description = "invalid_token: unknown, wrong, expired or spent", body = ErrorBody),
        (status = 429, description = "too_many_requests: too many failed sign-ins", body = ErrorBody),
    ))]
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

/// Signs a URL of this site: a GET of the answer within `signed_url_seconds` signs that
/// browser in as the caller, once, and is sent on to the URL without its `sign`.
#[utoipa::path(post, path = "/auth/signing", tag = "auth", security(("session" = [])),
    request_body = SignUrlInput,
    responses(
        (status = 200, description = "The URL with its `sign` parameter", body = SignedUrl),
        (status = 403, description = "session_required or impersonating", body = ErrorBody),
        (status = 422, description = "validation_failed: not a URL of this site", body = ErrorBody),
    ))]
pub async fn sign_url(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    parts: Parts,
    ApiJson(input): ApiJson<SignUrlInput>,
) -> Result<Json<SignedUrl>, ApiError> {
    browser_session::may_make_credentials(&session(&parts)?).await?;
    Ok(Json(grants::sign_url(&state, &user, &input.url).await?))
}

/// Makes a one-time ticket to sign in elsewhere, as the caller.
#[utoipa::path(post, path = "/auth/tickets", tag = "auth", security(("session" = [])),
    responses(
        (status = 201, description = "The ticket; it works once, for `ticket_seconds`", body = Ticket),
        (status = 403, description = "session_required or impersonating", body = ErrorBody),
    ))]
pub async fn create_ticket(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    parts: Parts,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    browser_session::may_make_credentials(&session(&parts)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(grants::create_ticket(&state, &user).await?),
    ))
}

/// Signs in with a ticket; the ticket is then spent.
#[utoipa::path(post, path = "/auth/tickets/check", tag = "auth", request_body = TicketCheck,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = User,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 400, description = "invalid_token: unknown, expired or spent", body = ErrorBody),
    ))]
pub async fn check_ticket(
    State(state): State<AppState>,
    Client(client): Client,
    parts: Parts,
    ApiJson(input): ApiJson<TicketCheck>,
) -> Result<Json<User>, ApiError> {
    let user = grants::check_ticket(&state, &input.ticket).await?;
    browser_session::sign_in(&session(&parts)?, &user, &client).await?;
    Ok(Json(user))
}

/// A strong random password that the current policy accepts.
#[utoipa::path(post, path = "/auth/generate-password", tag = "auth",
    responses((status = 200, description = "A password to suggest", body = GeneratedPassword)))]
pub async fn generate_password(State(state): State<AppState>) -> Json<GeneratedPassword> {
    Json(GeneratedPassword {
        password: passwords::generate(&state.rules().password),
    })
}
