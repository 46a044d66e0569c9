//! What a service may know about the request that caused it, without seeing HTTP: the
//! request id (for logs and opaque 500s) and the client (for throttling and devices).

use domain::AppError;
use std::net::IpAddr;
use std::sync::Arc;

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// Runs `future` with `id` as the current request id.
pub async fn with_request_id<F: std::future::Future>(id: Arc<str>, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The id of the request being served, when called from within one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

/// Who is calling: the client's address (after trusted proxies) and user agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    pub address: IpAddr,
    pub user_agent: Option<String>,
}

/// Logs an unexpected failure with the request id and returns the opaque 500 the caller
/// sees. The cause stays in the log; the response carries only the request id.
pub fn internal_error(cause: impl std::fmt::Display) -> AppError {
    let request_id = current_request_id();
    tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = %cause, "internal error");
    AppError::InternalError { request_id }
}

impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        internal_error(error)
    }
}
