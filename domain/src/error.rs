//! `AppError`: the one error type of Latchkey, shared by the browser and the server.
//!
//! Every failure a person or a program can see is one of these variants. Each has a
//! stable machine-readable `code`, an HTTP status and a human message; the REST layer
//! renders them as `{"error": {"code", "message", "fields"?}}` and server functions carry
//! them across the network unchanged, so the form shows the server's message next to the
//! right field.

use crate::FieldErrors;
use serde::{Deserialize, Serialize};

/// A failure a person or a program can see: a stable code, an HTTP status and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// 400: the request could not be read (malformed JSON, a bad query string, ...).
    #[error("{message}")]
    BadRequest {
        /// What could not be read.
        message: String,
    },
    /// 400: a token or code that is unknown, expired, spent or from another flow.
    #[error("This link or code is invalid or has expired")]
    InvalidToken,
    /// 401: wrong login or password, whatever exactly was wrong.
    #[error("Invalid username, email or password")]
    InvalidCredentials,
    /// 401: the route needs a signed-in caller.
    #[error("Sign in to continue")]
    Unauthenticated,
    /// 403: signed in, but not allowed.
    #[error("You are not allowed to do this")]
    Forbidden,
    /// 403: the route takes a browser session, and the caller came with an API token (a
    /// token never mints tokens or trades itself for a session).
    #[error("This needs a signed-in session; an API token cannot do it")]
    SessionRequired,
    /// 403: the API token lacks the scope the route needs.
    #[error("This API token lacks the `{scope}` scope")]
    InsufficientScope {
        /// The scope the route needs.
        scope: String,
    },
    /// 403: an administrator acting as the account cannot make credentials for it.
    #[error("Not while acting as another account")]
    Impersonating,
    /// 403: registration is closed or by invitation only.
    #[error("{message}")]
    RegistrationDisabled {
        /// What the person is told: closed, or by invitation only.
        message: String,
    },
    /// 403: the account must verify its email address before it can sign in.
    #[error("Confirm your email address first: open the link we sent you")]
    EmailNotVerified,
    /// 403: a state-changing request from another site.
    #[error("Cross-origin requests are not allowed")]
    CrossOriginRequest,
    /// 404
    #[error("Not found")]
    NotFound,
    /// 405
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// 409: a unique value (username, email) is taken; the field says which.
    #[error("Already in use")]
    Conflict {
        /// The taken fields, each with its message.
        fields: FieldErrors,
    },
    /// 409: the change would leave the account with no way to sign in (no password and
    /// no other linked identity; an emailed code does not count).
    #[error("This is your only way to sign in: set a password (with a reset link) or link another provider first")]
    LastSignInMethod,
    /// 413
    #[error("The request is too large")]
    PayloadTooLarge,
    /// 415
    #[error("{message}")]
    UnsupportedMediaType {
        /// What to send instead.
        message: String,
    },
    /// 422: one message per field that failed its rule.
    #[error("Some fields need attention")]
    ValidationFailed {
        /// The fields that failed, each with its message.
        fields: FieldErrors,
    },
    /// 429: too many attempts; try again after `retry_after` seconds.
    #[error("Too many attempts; try again in {}", wait_text(*retry_after))]
    TooManyRequests {
        /// Seconds to wait before the next attempt can pass.
        retry_after: u64,
    },
    /// 500: something broke on the server. The request id leads to the log line.
    #[error("Something went wrong on our side{}", request_id.as_deref().map(|id| format!(" (request {id})")).unwrap_or_default())]
    InternalError {
        /// The request's id, when known, to find its log lines.
        request_id: Option<String>,
    },
    /// 503: the request took longer than the server allows and was ended.
    #[error("The server took too long to answer; please try again")]
    Timeout,
    /// The browser could not reach the server or read its answer.
    #[error("Could not reach the server: {message}")]
    Network {
        /// What went wrong, as the browser saw it.
        message: String,
    },
}

fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl AppError {
    /// The stable machine-readable code, as in the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "bad_request",
            AppError::InvalidToken => "invalid_token",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::SessionRequired => "session_required",
            AppError::Impersonating => "impersonating",
            AppError::InsufficientScope { .. } => "insufficient_scope",
            AppError::RegistrationDisabled { .. } => "registration_disabled",
            AppError::CrossOriginRequest => "cross_origin_request",
            AppError::EmailNotVerified => "email_not_verified",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict { .. } => "conflict",
            AppError::LastSignInMethod => "last_sign_in_method",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::ValidationFailed { .. } => "validation_failed",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::InternalError { .. } => "internal_error",
            AppError::Timeout => "timeout",
            AppError::Network { .. } => "network_error",
        }
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } | AppError::InvalidToken => 400,
            AppError::InvalidCredentials | AppError::Unauthenticated => 401,
            AppError::Forbidden
            | AppError::SessionRequired
            | AppError::Impersonating
            | AppError::InsufficientScope { .. }
            | AppError::RegistrationDisabled { .. }
            | AppError::EmailNotVerified
            | AppError::CrossOriginRequest => 403,
            AppError::NotFound => 404,
            AppError::MethodNotAllowed => 405,
            AppError::Conflict { .. } | AppError::LastSignInMethod => 409,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType { .. } => 415,
            AppError::ValidationFailed { .. } => 422,
            AppError::TooManyRequests { .. } => 429,
            AppError::InternalError { .. } => 500,
            AppError::Timeout | AppError::Network { .. } => 503,
        }
    }

    /// Field messages, for validation and conflict errors.
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::ValidationFailed { fields } | AppError::Conflict { fields } => Some(fields),
            _ => None,
        }
    }

    /// The message for one form field, if the error names it.
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields().and_then(|f| f.get(name)).cloned()
    }

    /// A validation failure of one field, with its message.
    pub fn validation(field: &str, message: impl Into<String>) -> AppError {
        AppError::ValidationFailed {
            fields: FieldErrors::from([(field.to_owned(), message.into())]),
        }
    }

    /// A request that could not be read, with the reason.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            message: message.into(),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(fields: FieldErrors) -> Self {
        AppError::ValidationFailed { fields }
    }
}

/// Server functions carry `AppError` itself, as JSON, so the browser gets the same value.
#[cfg(feature = "server-fn")]
impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr;
        match value {
            // The arguments did not decode: a malformed or hand-made request.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                AppError::BadRequest { message }
            }
            ServerFnErrorErr::Request(message) | ServerFnErrorErr::Response(message) => {
                AppError::Network { message }
            }
            other => AppError::Network {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_a_code_tag() {
        let json = serde_json::to_value(AppError::validation("username", "Required")).unwrap();
        assert_eq!(json["code"], "validation_failed");
        assert_eq!(json["fields"]["username"], "Required");
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back.field("username").as_deref(), Some("Required"));
    }

    #[test]
    fn code_matches_serde_tag() {
        for error in [
            AppError::InvalidCredentials,
            AppError::LastSignInMethod,
            AppError::TooManyRequests { retry_after: 5 },
            AppError::InternalError { request_id: None },
            AppError::RegistrationDisabled {
                message: "x".into(),
            },
        ] {
            let json = serde_json::to_value(&error).unwrap();
            assert_eq!(json["code"], error.code());
        }
    }

    #[test]
    fn throttle_message_reads_well() {
        assert_eq!(
            AppError::TooManyRequests { retry_after: 600 }.to_string(),
            "Too many attempts; try again in 10 minutes"
        );
    }
}
