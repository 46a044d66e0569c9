//! The `/api/v1` JSON API (see API.md) and its OpenAPI document. Each route parses,
//! authorizes and calls the same service as the matching server function.
//!
//! A route is registered only together with its documentation: `routes!` takes the
//! handler's `#[utoipa::path]`, and the document served at `/api/v1/openapi.json` is
//! the one those routes made (see `openapi.rs`).

mod account;
mod auth;
pub mod error;
mod extract;
mod oidc;
mod openapi;
mod tokens;

use app::AppError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use backend::config::Config;
use backend::AppState;
use error::error_response;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// The session cookie's name (the API's `session` security scheme).
pub const SESSION_COOKIE: &str = "latchkey_session";

/// The API's router, with the document its routes make. Every route takes bodies up to
/// `max_body_bytes`, but for the picture upload, which takes a picture.
pub fn router(config: &Config) -> Router<AppState> {
    let (router, mut api) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(auth::methods))
        .routes(routes!(auth::rules))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(account::change_password))
        .routes(routes!(auth::request_reset))
        .routes(routes!(auth::confirm_reset))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(auth::request_code))
        .routes(routes!(auth::verify_code))
        .routes(routes!(account::change_email))
        .routes(routes!(account::profile, account::update, account::delete))
        .routes(routes!(account::export))
        .routes(routes!(account::delete_picture))
        .routes(routes!(account::devices))
        .routes(routes!(account::sign_out_device))
        .routes(routes!(account::picture))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::get, tokens::revoke))
        .routes(routes!(tokens::email))
        .routes(routes!(auth::sign_url))
        .routes(routes!(auth::create_ticket))
        .routes(routes!(auth::check_ticket))
        .routes(routes!(auth::generate_password))
        .routes(routes!(oidc::login))
        .routes(routes!(oidc::callback))
        .routes(routes!(account::identities))
        .routes(routes!(account::unlink_identity))
        .routes(routes!(openapi_document))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .merge(
            OpenApiRouter::new().routes(
                routes!(account::upload_picture)
                    .layer(RequestBodyLimitLayer::new(config.picture_upload_limit())),
            ),
        )
        .split_for_parts();
    openapi::complete(&mut api);
    let document = api.to_json().unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document does not serialise");
        String::from("{}")
    });
    router
        .layer(Extension(Document(document.into())))
        .fallback(|| async { error_response(&AppError::NotFound) })
        .method_not_allowed_fallback(|| async { error_response(&AppError::MethodNotAllowed) })
}

/// The OpenAPI document, as served.
#[derive(Clone)]
struct Document(Arc<str>);

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = Object)))]
async fn openapi_document(Extension(Document(document)): Extension<Document>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.to_string(),
    )
        .into_response()
}
