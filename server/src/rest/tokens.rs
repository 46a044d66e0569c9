//! `/tokens`: the caller's personal API tokens.

use super::error::{accepted, Accepted, ApiError, ApiJson, ErrorBody};
use super::extract::{session, ReadUser, SessionUser, WriteUser};
use app::api::session as browser_session;
use app::AppError;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use backend::services::api_tokens;
use backend::AppState;
use domain::{ApiToken, CreatedApiToken, ListParams, NewApiTokenInput, Page};
use utoipa::IntoParams;

/// What the token list can be ordered by.
const TOKEN_ORDERING: &[&str] = &["created_at", "expires_at", "last_used_at"];

/// The query of the token list: paging, and an ordering by one of `TOKEN_ORDERING`.
pub struct TokenListQuery;

impl IntoParams for TokenListQuery {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        super::openapi::list_params(TOKEN_ORDERING, "-created_at")
    }
}

/// The caller's API tokens (never their secrets), paged.
#[utoipa::path(get, path = "/tokens", tag = "tokens", security(("session" = []), ("bearer" = [])),
    params(TokenListQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Page<ApiToken>),
        (status = 400, description = "bad_request: the query could not be read", body = ErrorBody),
        (status = 422, description = "validation_failed: bad paging or ordering", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    ReadUser(user): ReadUser,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<ApiToken>>, ApiError> {
    let query = params
        .parse(TOKEN_ORDERING, "-created_at")
        .map_err(AppError::from)?;
    let tokens = api_tokens::list(&state, &user.id).await?;
    Ok(Json(query.apply(tokens, |token, field| match field {
        "expires_at" => Some(token.expires_at),
        "last_used_at" => token.last_used_at,
        _ => Some(token.created_at),
    })))
}

/// Makes a token. Its secret is in the answer, this once; the owner is mailed a notice.
#[utoipa::path(post, path = "/tokens", tag = "tokens", security(("session" = [])),
    request_body = NewApiTokenInput,
    responses(
        (status = 201, description = "Made: `token` is the secret, shown this once", body = CreatedApiToken),
        (status = 403, description = "session_required (a token never mints tokens) or impersonating", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    parts: Parts,
    ApiJson(input): ApiJson<NewApiTokenInput>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    browser_session::may_make_credentials(&session(&parts)?).await?;
    let created = api_tokens::create(&state, &user, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One of the caller's tokens (never its secret).
#[utoipa::path(get, path = "/tokens/{id}", tag = "tokens", security(("session" = []), ("bearer" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token", body = ApiToken),
        (status = 404, description = "not_found: the caller has no token with this id", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    ReadUser(user): ReadUser,
    Path(id): Path<String>,
) -> Result<Json<ApiToken>, ApiError> {
    Ok(Json(api_tokens::get(&state, &user.id, &id).await?))
}

/// Revokes one of the caller's tokens: it stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", security(("session" = []), ("bearer" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "not_found: the caller has no token with this id", body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    WriteUser(user): WriteUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    api_tokens::revoke(&state, &user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails the caller a summary of one of their tokens: name, scopes, dates, where to
/// revoke it; never its secret.
#[utoipa::path(post, path = "/tokens/{id}/email", tag = "tokens", security(("session" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 202, description = "Accepted: the summary is on its way", body = Accepted),
        (status = 404, description = "not_found: the caller has no token with this id", body = ErrorBody),
    ))]
pub async fn email(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    api_tokens::email_summary(&state, &user, &id).await?;
    Ok(accepted("A summary of the token is on its way"))
}
