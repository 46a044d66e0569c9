//! The `/api/v1` JSON API (see API.md). Each route parses, authorizes and calls the same
//! service as the matching server function.

mod account;
mod auth;
pub mod error;
mod extract;

use app::AppError;
use axum::handler::Handler;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use backend::config::Config;
use backend::AppState;
use error::error_response;
use tower_http::limit::RequestBodyLimitLayer;

/// Where pictures are uploaded (relative to `/api/v1`); it takes larger bodies.
pub const PICTURE_UPLOAD: &str = "/account/picture";

/// One operation of the API: method, path (relative to `/api/v1`) and handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn endpoint<H, T>(method: Method, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("only standard methods are routed");
    Endpoint {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every operation the API serves. The router is built from this list, and the OpenAPI
/// document is checked against it, so neither can drift from the other.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/auth/methods", auth::methods),
        endpoint(Method::GET, "/auth/rules", auth::rules),
        endpoint(Method::POST, "/auth/register", auth::register),
        endpoint(Method::POST, "/auth/login", auth::login),
        endpoint(Method::POST, "/auth/logout", auth::logout),
        endpoint(
            Method::POST,
            "/auth/password/change",
            account::change_password,
        ),
        endpoint(Method::POST, "/auth/password/reset", auth::request_reset),
        endpoint(
            Method::POST,
            "/auth/password/reset/confirm",
            auth::confirm_reset,
        ),
        endpoint(Method::POST, "/auth/email/verify", auth::verify_email),
        endpoint(
            Method::POST,
            "/auth/email/verify/resend",
            auth::resend_verification,
        ),
        endpoint(Method::POST, "/auth/code", auth::request_code),
        endpoint(Method::POST, "/auth/code/verify", auth::verify_code),
        endpoint(Method::POST, "/account/email", account::change_email),
        endpoint(Method::GET, "/account", account::profile),
        endpoint(Method::PATCH, "/account", account::update),
        endpoint(Method::DELETE, "/account", account::delete),
        endpoint(Method::GET, "/account/export", account::export),
        endpoint(Method::PUT, PICTURE_UPLOAD, account::upload_picture),
        endpoint(Method::DELETE, PICTURE_UPLOAD, account::delete_picture),
        endpoint(Method::GET, "/account/sessions", account::devices),
        endpoint(
            Method::DELETE,
            "/account/sessions/{id}",
            account::sign_out_device,
        ),
        endpoint(Method::GET, "/users/{username}/picture", account::picture),
        endpoint(Method::GET, "/openapi.json", openapi),
    ]
}

/// The API's router. Every route takes bodies up to `max_body_bytes`, but for the picture
/// upload, which takes a picture.
pub fn router(config: &Config) -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, e| {
            let limit = if e.path == PICTURE_UPLOAD {
                config.picture_upload_limit()
            } else {
                config.max_body_bytes
            };
            router.route(e.path, e.handler.layer(RequestBodyLimitLayer::new(limit)))
        })
        .fallback(|| async { error_response(&AppError::NotFound) })
        .method_not_allowed_fallback(|| async { error_response(&AppError::MethodNotAllowed) })
}

/// The OpenAPI 3 description of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The OpenAPI document and the router describe exactly the same operations.
    #[test]
    fn openapi_matches_the_routes() {
        let document: serde_json::Value =
            serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        assert_eq!(document["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        let mut documented = BTreeSet::new();
        for (path, operations) in document["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let routed: BTreeSet<(String, String)> = endpoints()
            .iter()
            .map(|e| (e.method.to_string(), e.path.to_owned()))
            .collect();
        assert_eq!(documented, routed);
    }
}
