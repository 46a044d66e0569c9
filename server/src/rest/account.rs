//! `/account`, `/users/{username}/picture`, `/auth/password/change`: the caller's own
//! account.

use super::error::{ApiError, ApiJson, OptionalJson};
use super::extract::{session, Client, CurrentUser};
use app::api::session as browser_session;
use app::AppError;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::services::{accounts, email, pictures, sessions};
use backend::AppState;
use domain::{Device, ListParams, Page, PasswordChangeInput, ProfilePatch, Secret, User};
use serde::Deserialize;

pub async fn profile(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}

/// `PATCH /account`: any subset of the editable fields; an empty body changes nothing.
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    OptionalJson(patch): OptionalJson<ProfilePatch>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        accounts::update_profile(&state, &user.id, &patch).await?,
    ))
}

/// `PUT /account/picture`: multipart field `file`.
pub async fn upload_picture(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
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

pub async fn delete_picture(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<StatusCode, ApiError> {
    pictures::remove(&state, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct PictureQuery {
    v: Option<String>,
}

/// `GET /users/{username}/picture`: public. Cached for a year when the URL names the
/// current version (`?v=`, as `picture_url` does), else revalidated with the ETag.
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

/// `POST /auth/password/change` -> 204; the other sessions end, this one stays.
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Client(client): Client,
    parts: Parts,
    ApiJson(input): ApiJson<PasswordChangeInput>,
) -> Result<StatusCode, ApiError> {
    let keep = browser_session::current_id(&state, &session(&parts)?);
    accounts::change_password(&state, &user, &input, keep.as_deref(), &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /account/sessions`: the signed-in devices, paged.
pub async fn devices(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    parts: Parts,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Device>>, ApiError> {
    let query = params
        .parse(&["created_at", "last_seen_at"], "-last_seen_at")
        .map_err(AppError::from)?;
    let current = browser_session::current_id(&state, &session(&parts)?);
    let devices = sessions::devices(&state, &user.id, current.as_deref()).await?;
    Ok(Json(query.apply(devices, |device, field| match field {
        "created_at" => device.created_at,
        _ => device.last_seen_at,
    })))
}

/// `DELETE /account/sessions/{id}` -> 204; 404 when the account has no such session.
pub async fn sign_out_device(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    parts: Parts,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    browser_session::sign_out_device(&state, &user.id, &session(&parts)?, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /account/export`: everything stored about the caller, as a download.
pub async fn export(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
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

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DeleteRequest {
    password: Secret,
}

/// `DELETE /account` with the password -> 204; the account and its data are gone.
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Client(client): Client,
    parts: Parts,
    OptionalJson(request): OptionalJson<DeleteRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::delete_account(&state, &user, request.password.expose(), &client).await?;
    browser_session::sign_out(&session(&parts)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EmailChange {
    new_email: String,
    password: Secret,
}

/// `POST /account/email` -> 202: a link goes to the new address, a notice to the old.
pub async fn change_email(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Client(client): Client,
    ApiJson(request): ApiJson<EmailChange>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    email::request_change(
        &state,
        &user,
        &request.new_email,
        request.password.expose(),
        &client,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "status": "accepted",
            "message": "A confirmation link is on its way to the new address"
        })),
    ))
}
