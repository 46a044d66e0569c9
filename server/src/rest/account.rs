//! `/account`, `/users/{username}/picture`, `/auth/password/change`: the caller's own
//! account.

use super::error::{Accepted, ApiError, ApiJson, ErrorBody, OptionalJson};
use super::extract::{session, Client, ReadUser, SessionUser, WriteUser};
use app::api::session as browser_session;
use app::AppError;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::services::{accounts, email, oidc, pictures, sessions};
use backend::AppState;
use domain::{
    AccountExport, Device, LinkedIdentity, ListParams, Page, PasswordChangeInput, ProfilePatch,
    Secret, User,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The caller's profile.
#[utoipa::path(get, path = "/account", tag = "account", security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The profile", body = User)))]
pub async fn profile(ReadUser(user): ReadUser) -> Json<User> {
    Json(user)
}

/// Changes any subset of the editable profile fields; an empty body changes nothing.
#[utoipa::path(patch, path = "/account", tag = "account", security(("session" = []), ("bearer" = [])),
    request_body = Option<ProfilePatch>,
    responses((status = 200, description = "The profile, changed", body = User)))]
pub async fn update(
    State(state): State<AppState>,
    WriteUser(user): WriteUser,
    OptionalJson(patch): OptionalJson<ProfilePatch>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        accounts::update_profile(&state, &user.id, &patch).await?,
    ))
}

/// A picture upload: multipart/form-data with a `file` field.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body that `upload_picture` reads as a stream
pub struct PictureUpload {
    /// A PNG, JPEG, GIF or WebP image (recognised by its content), within the limit that
    /// `/auth/rules` publishes.
    #[schema(content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Replaces the picture: the image is checked by content, decoded with limits, cropped to
/// a square and re-encoded (which drops its metadata).
#[utoipa::path(put, path = "/account/picture", tag = "account", security(("session" = []), ("bearer" = [])),
    request_body(content = PictureUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The profile, with its new picture_url", body = User),
        (status = 400, description = "bad_request: the upload could not be read", body = ErrorBody),
        (status = 413, description = "payload_too_large: over the picture limit", body = ErrorBody),
        (status = 415, description = "unsupported_media_type: not multipart, or not an accepted image", body = ErrorBody),
        (status = 422, description = "validation_failed: no file, or an image that does not decode", body = ErrorBody),
    ))]
pub async fn upload_picture(
    State(state): State<AppState>,
    WriteUser(user): WriteUser,
    request: Request,
) -> Result<Json<User>, ApiError> {
    let boundary = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| AppError::UnsupportedMediaType {
            message: "Send the picture as multipart/form-data with a `file` field".into(),
        })?;
    let multipart = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
    let upload =
        app::api::upload::read_upload(multipart, state.rules().upload.picture_max_bytes).await?;
    Ok(Json(pictures::replace(&state, &user, upload).await?))
}

/// Removes the picture.
#[utoipa::path(delete, path = "/account/picture", tag = "account", security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "The picture is gone")))]
pub async fn delete_picture(
    State(state): State<AppState>,
    WriteUser(user): WriteUser,
) -> Result<StatusCode, ApiError> {
    pictures::remove(&state, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PictureQuery {
    /// The version from `picture_url`; with it the answer is cacheable for a year.
    v: Option<String>,
}

/// An account's processed picture: public. Cached for a year when the URL names the
/// current version (`?v=`, as `picture_url` does), else revalidated with the ETag.
#[utoipa::path(get, path = "/users/{username}/picture", tag = "account",
    params(("username" = String, Path, description = "The account's username"), PictureQuery),
    responses(
        (status = 200, description = "The picture, with ETag and Cache-Control", content(("image/jpeg"), ("image/png"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "bad_request: the query could not be read", body = ErrorBody),
        (status = 404, description = "not_found: no such account, or no picture", body = ErrorBody),
    ))]
pub async fn picture(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Query(query): Query<PictureQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let picture = pictures::of_user(&state, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", picture.etag);
    let cache = if query.v.as_deref() == Some(picture.etag.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(picture.content_type),
            )],
            Body::from(picture.bytes),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// Changes the password after checking the current one; the other sessions end, this
/// one stays.
#[utoipa::path(post, path = "/auth/password/change", tag = "auth", security(("session" = [])),
    request_body = PasswordChangeInput,
    responses(
        (status = 204, description = "Changed; every other session has ended"),
        (status = 422, description = "validation_failed, including a wrong current password", body = ErrorBody),
        (status = 429, description = "too_many_requests: too many wrong passwords", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    Client(client): Client,
    parts: Parts,
    ApiJson(input): ApiJson<PasswordChangeInput>,
) -> Result<StatusCode, ApiError> {
    let keep = browser_session::current_id(&state, &session(&parts)?);
    accounts::change_password(&state, &user, &input, keep.as_deref(), &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the devices list can be ordered by.
const DEVICE_ORDERING: &[&str] = &["created_at", "last_seen_at"];

/// The query of the devices list: paging, and an ordering by one of `DEVICE_ORDERING`.
pub struct DeviceListQuery;

impl IntoParams for DeviceListQuery {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        super::openapi::list_params(DEVICE_ORDERING, "-last_seen_at")
    }
}

/// The signed-in devices, paged.
#[utoipa::path(get, path = "/account/sessions", tag = "account", security(("session" = [])),
    params(DeviceListQuery),
    responses(
        (status = 200, description = "A page of devices", body = Page<Device>),
        (status = 400, description = "bad_request: the query could not be read", body = ErrorBody),
        (status = 422, description = "validation_failed: bad paging or ordering", body = ErrorBody),
    ))]
pub async fn devices(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    parts: Parts,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Device>>, ApiError> {
    let query = params
        .parse(DEVICE_ORDERING, "-last_seen_at")
        .map_err(AppError::from)?;
    let current = browser_session::current_id(&state, &session(&parts)?);
    let devices = sessions::devices(&state, &user.id, current.as_deref()).await?;
    Ok(Json(query.apply(devices, |device, field| match field {
        "created_at" => device.created_at,
        _ => device.last_seen_at,
    })))
}

/// Signs one of the caller's devices out.
#[utoipa::path(delete, path = "/account/sessions/{id}", tag = "account", security(("session" = [])),
    params(("id" = String, Path, description = "The device's id, from the list")),
    responses(
        (status = 204, description = "That device is signed out"),
        (status = 404, description = "not_found: the account has no such device", body = ErrorBody),
    ))]
pub async fn sign_out_device(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    parts: Parts,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    browser_session::sign_out_device(&state, &user.id, &session(&parts)?, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The identities at outside providers linked to the caller's account.
#[utoipa::path(get, path = "/account/identities", tag = "account", security(("session" = [])),
    responses((status = 200, description = "The linked identities, oldest first", body = Vec<LinkedIdentity>)))]
pub async fn identities(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
) -> Result<Json<Vec<LinkedIdentity>>, ApiError> {
    Ok(Json(oidc::identities(&state, &user.id).await?))
}

/// Unlinks one of the caller's identities, unless it is the account's last way to sign in.
#[utoipa::path(delete, path = "/account/identities/{id}", tag = "account", security(("session" = [])),
    params(("id" = String, Path, description = "The identity's id, from the list")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 404, description = "not_found: the account has no such identity", body = ErrorBody),
        (status = 409, description = "last_sign_in_method: the account has no password and no other identity", body = ErrorBody),
    ))]
pub async fn unlink_identity(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    oidc::unlink(&state, &user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything stored about the caller (never a hash or a secret), as a JSON download.
#[utoipa::path(get, path = "/account/export", tag = "account", security(("session" = [])),
    responses((status = 200, description = "The export", body = AccountExport,
        headers(("Content-Disposition" = String, description = "attachment; filename=..."))))
)]
pub async fn export(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    parts: Parts,
) -> Result<Response, ApiError> {
    let current = browser_session::current_id(&state, &session(&parts)?);
    let export = accounts::export(&state, &user, current.as_deref()).await?;
    let disposition = format!("attachment; filename=\"latchkey-{}.json\"", user.username);
    let mut response = Json(export).into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The confirmation that deletes an account: its password.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DeleteRequest {
    #[schema(schema_with = domain::openapi::password, required = true)]
    password: Secret,
}

/// Deletes the account and its data, after checking its password.
#[utoipa::path(delete, path = "/account", tag = "account", security(("session" = [])),
    request_body = Option<DeleteRequest>,
    responses(
        (status = 204, description = "The account and everything about it are gone"),
        (status = 422, description = "validation_failed: no password, or a wrong one", body = ErrorBody),
        (status = 429, description = "too_many_requests: too many wrong passwords", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    Client(client): Client,
    parts: Parts,
    OptionalJson(request): OptionalJson<DeleteRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::delete_account(&state, &user, request.password.expose(), &client).await?;
    browser_session::sign_out(&session(&parts)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A move to another address, confirmed with the password.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct EmailChange {
    #[schema(schema_with = domain::openapi::email, required = true)]
    new_email: String,
    #[schema(schema_with = domain::openapi::password, required = true)]
    password: Secret,
}

/// Asks to move the account to another address: a link goes to the new address, a
/// notice to the old; the change takes effect when the link is followed.
#[utoipa::path(post, path = "/account/email", tag = "account", security(("session" = [])),
    request_body = EmailChange,
    responses(
        (status = 202, description = "Accepted: a confirmation link is on its way to the new address", body = Accepted),
        (status = 422, description = "validation_failed, including a wrong password", body = ErrorBody),
        (status = 429, description = "too_many_requests", body = ErrorBody),
    ))]
pub async fn change_email(
    State(state): State<AppState>,
    SessionUser(user): SessionUser,
    Client(client): Client,
    ApiJson(request): ApiJson<EmailChange>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    email::request_change(
        &state,
        &user,
        &request.new_email,
        request.password.expose(),
        &client,
    )
    .await?;
    Ok(super::error::accepted(
        "A confirmation link is on its way to the new address",
    ))
}
