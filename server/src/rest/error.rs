//! How the REST layer speaks errors: `AppError` as `{"error": {code, message, fields?}}`
//! with its status, and a JSON body extractor whose every failure is one of those.

use app::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::FieldErrors;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

/// An `AppError` on its way out of a REST route.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self.0)
    }
}

/// The error body of API.md: `{"error": {"code", "message", "fields"?}}`. The OpenAPI
/// document describes this very type.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code (`validation_failed`, `invalid_credentials`, ...).
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// For validation errors and conflicts: a message per field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, String>>)]
    pub fields: Option<FieldErrors>,
    /// Only on 500: the id of the request, which the server's log line carries too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl From<&AppError> for ErrorBody {
    fn from(error: &AppError) -> ErrorBody {
        let request_id = match error {
            AppError::InternalError { request_id } => request_id.clone(),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: error.code(),
                message: error.to_string(),
                fields: error.fields().cloned(),
                request_id,
            },
        }
    }
}

/// The body of every 202: the work is queued (mail), and the answer is the same whether
/// or not an account has the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    #[schema(example = "accepted")]
    pub status: &'static str,
    pub message: &'static str,
}

/// A 202 with `message`.
pub fn accepted(message: &'static str) -> (StatusCode, Json<Accepted>) {
    (
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "accepted",
            message,
        }),
    )
}

/// The JSON error body of API.md, with the status (and `Retry-After` for 429).
pub fn error_response(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(ErrorBody::from(error))).into_response();
    if let AppError::TooManyRequests { retry_after } = error {
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// A JSON request body. Not JSON -> 415; too large -> 413; unreadable -> 400; the
/// wrong shape (a number where a string belongs, ...) -> 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body(req, state).await?;
        parse_json(&bytes).map(ApiJson).map_err(ApiError)
    }
}

/// A JSON body that may be absent: no body at all, or `null`, reads as `T::default()`
/// (e.g. a `PATCH` that changes nothing); a body is held to the same rules as `ApiJson`.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0");
        let no_body = declared_empty || req.headers().get(header::CONTENT_TYPE).is_none();
        let bytes = if no_body {
            read_body(req, state).await?
        } else {
            json_body(req, state).await?
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        if no_body {
            // Something was sent without saying what it is.
            return Err(ApiError(not_json()));
        }
        parse_json::<Option<T>>(&bytes)
            .map(|body| OptionalJson(body.unwrap_or_default()))
            .map_err(ApiError)
    }
}

fn not_json() -> AppError {
    AppError::UnsupportedMediaType {
        message: "Send a JSON body with Content-Type: application/json".into(),
    }
}

/// The body of a request that says it is JSON (415 otherwise).
async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(req.headers().get(header::CONTENT_TYPE)) {
        return Err(ApiError(not_json()));
    }
    read_body(req, state).await
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(AppError::PayloadTooLarge)
        } else {
            ApiError(AppError::bad_request("The request body could not be read"))
        }
    })
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body, telling malformed JSON (400) from well-formed JSON of the wrong
/// shape (422, with the path of the offending field). Every body of this API is an
/// object: serde would also read a struct from an array of its fields in order, which
/// nobody means.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(AppError::validation("body", "Send a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = without_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                AppError::validation(&field, message)
            }
            _ => malformed(&inner),
        }
    })?;
    deserializer.end().map_err(|error| malformed(&error))?;
    Ok(value)
}

fn malformed(error: &serde_json::Error) -> AppError {
    AppError::bad_request(format!(
        "Malformed JSON: {}",
        without_position(&error.to_string())
    ))
}

/// serde's messages end in " at line L column C"; the caller wants the reason only.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::RegisterInput;

    #[test]
    fn malformed_json_is_a_bad_request() {
        let error = parse_json::<RegisterInput>(b"{\"username\": ").unwrap_err();
        assert_eq!(error.code(), "bad_request");
        let error = parse_json::<RegisterInput>(b"{} trailing").unwrap_err();
        assert_eq!(error.code(), "bad_request");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let error = parse_json::<RegisterInput>(br#"{"username": 5}"#).unwrap_err();
        assert_eq!(error.code(), "validation_failed");
        assert!(error.field("username").unwrap().contains("invalid type"));
        let error = parse_json::<RegisterInput>(b"\"just text\"").unwrap_err();
        assert!(error.field("body").is_some());
        let error = parse_json::<RegisterInput>(b" [\"ada\", \"ada@example.org\"]").unwrap_err();
        assert_eq!(error.field("body").as_deref(), Some("Send a JSON object"));
    }

    #[test]
    fn recognises_json_content_types() {
        assert!(is_json(Some(&HeaderValue::from_static(
            "application/json; charset=utf-8"
        ))));
        assert!(is_json(Some(&HeaderValue::from_static(
            "application/merge-patch+json"
        ))));
        assert!(!is_json(Some(&HeaderValue::from_static("text/plain"))));
        assert!(!is_json(None));
    }
}
