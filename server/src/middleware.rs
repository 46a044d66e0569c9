//! Cross-cutting request handling that is ours (tower-http does the rest, see
//! `router.rs`): the request id services see, who the client is, same-origin checks for
//! state-changing requests, the Content-Security-Policy with its nonce, who is signed in
//! before a page renders, and errors in the API's shape.

use crate::rest::error::error_response;
use app::api::SignedInUser;
use app::AppError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use backend::config::Config;
use backend::request::with_request_id;
use backend::services::grants;
use backend::AppState;
use backend::ClientInfo;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower_http::request_id::RequestId;
use tower_sessions::Session;

/// Makes the id of the request being served (set by tower-http's request-id layer)
/// the one services see, for their log lines and the body of an opaque 500.
pub async fn request_scope(request: Request, next: Next) -> Response {
    let id: Arc<str> = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .into();
    with_request_id(id, next.run(request)).await
}

/// A fresh request id: 32 hex digits. An id a client sent is replaced, never trusted.
pub fn new_request_id<B>(_: &http::Request<B>) -> Option<HeaderValue> {
    HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()).ok()
}

/// A per-response nonce for inline scripts (Leptos' hydration bootstrap), put into the
/// request for the page renderer and into the Content-Security-Policy header.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The Content-Security-Policy of every response: strict, and on pages with a nonce of
/// its own for Leptos' inline hydration script. Pages are also never stored by caches.
/// (The headers that never change are set by tower-http layers in the router.)
pub async fn content_security_policy(mut request: Request, next: Next) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if is_html {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        )
    } else {
        "default-src 'none'; frame-ancestors 'none'".to_owned()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if is_html {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Resolves who is signed in before a page renders (the same service call the REST
/// routes make), once per request, and leaves it in the request for the page
/// (`app::api::SignedInUser`). Only page views need it: other methods (the server
/// functions that share the pages' router) pass untouched.
pub async fn page_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        let user = match request.extensions().get::<Session>() {
            Some(session) => app::api::session::current_user(&state, session).await,
            None => Ok(None),
        };
        match user {
            Ok(user) => {
                request.extensions_mut().insert(SignedInUser(user));
            }
            Err(error) => return error_response(&error),
        }
    }
    next.run(request).await
}

/// Redeems a signed URL: a GET with a `sign` parameter signs the browser in as the one
/// who signed it (a new session), once, and is sent on to the same URL without it. A
/// signature that does not work (unknown, expired, spent, or made for another URL) signs
/// nobody in; the browser is sent on all the same.
pub async fn signed_url(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let signature = matches!(*request.method(), Method::GET | Method::HEAD)
        .then(|| request.uri().query())
        .flatten()
        .and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == grants::SIGN_PARAM)
                .map(|(_, value)| value.into_owned())
        });
    let Some(signature) = signature else {
        return next.run(request).await;
    };
    let target = grants::target(request.uri().path(), request.uri().query());
    match grants::redeem_signed_url(&state, &signature, &target).await {
        Ok(user) => {
            let session = request.extensions().get::<Session>();
            let client = request.extensions().get::<ClientInfo>();
            if let (Some(session), Some(client)) = (session, client) {
                if let Err(error) = app::api::session::sign_in(session, &user, client).await {
                    return error_response(&error);
                }
            }
        }
        Err(AppError::InvalidToken) => {
            tracing::info!("a signed URL that does not work was followed");
        }
        Err(error) => return error_response(&error),
    }
    let mut response = axum::http::StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(&target) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Works out who the client is. The socket's peer, unless that peer is a trusted proxy:
/// then the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub async fn client_info(
    State(config): State<Arc<Config>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let address = client_address(peer, request.headers(), &config.trusted_proxies);
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect());
    request.extensions_mut().insert(ClientInfo {
        address,
        user_agent,
    });
    next.run(request).await
}

fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

/// Refuses (403) a state-changing request that a browser sent from another site, unless
/// it is authenticated by a bearer token rather than by cookie. Browsers always send
/// `Origin` on such requests (and `Sec-Fetch-Site`); tools like curl send neither and
/// carry no ambient cookie, so they pass.
pub async fn same_origin(
    State(config): State<Arc<Config>>,
    request: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method
        && !has_bearer_token(request.headers())
        && is_cross_origin(request.headers(), &config)
    {
        tracing::info!("refused a cross-origin state-changing request");
        return error_response(&AppError::CrossOriginRequest);
    }
    next.run(request).await
}

fn has_bearer_token(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
}

fn is_cross_origin(headers: &HeaderMap, config: &Config) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) => {
            let public = config.public_origin();
            let scheme = config.public_url.scheme();
            let via_host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(|host| format!("{scheme}://{host}"));
            !(origin.eq_ignore_ascii_case(&public)
                || via_host.is_some_and(|h| origin.eq_ignore_ascii_case(&h)))
        }
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| site == "cross-site"),
    }
}

/// Under `/api/`, every error is JSON in the API's shape, including those produced
/// outside a handler (the body-size limit, a panic).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api {
        return response;
    }
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let error = match status.as_u16() {
        404 => AppError::NotFound,
        405 => AppError::MethodNotAllowed,
        413 => AppError::PayloadTooLarge,
        415 => AppError::UnsupportedMediaType {
            message: "Unsupported media type".into(),
        },
        // Only the request timeout answers 503 without a body of its own.
        503 => AppError::Timeout,
        400..=499 => AppError::bad_request(status.canonical_reason().unwrap_or("Bad request")),
        _ => AppError::InternalError {
            request_id: backend::request::current_request_id(),
        },
    };
    let mut converted = error_response(&error);
    *converted.status_mut() = status;
    converted
}

/// The answer to a panic: an opaque 500 with the request id; the panic is logged.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    error_response(&backend::internal_error(format!("panic: {detail}"))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_address_skips_trusted_proxies_only() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.2, 10.0.0.5"),
        );
        // From a trusted proxy: the nearest untrusted hop.
        assert_eq!(
            client_address("10.0.0.1".parse().unwrap(), &headers, &trusted),
            "198.51.100.2".parse::<IpAddr>().unwrap()
        );
        // From anyone else, the header is ignored.
        assert_eq!(
            client_address("192.0.2.1".parse().unwrap(), &headers, &trusted),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn cross_origin_is_judged_by_origin_then_fetch_metadata() {
        let config = Config::from_values(Default::default(), Vec::new()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("localhost:3000"));
        assert!(!is_cross_origin(&headers, &config));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://localhost:3000"),
        );
        assert!(!is_cross_origin(&headers, &config));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:3000"),
        );
        assert!(!is_cross_origin(&headers, &config));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(is_cross_origin(&headers, &config));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(is_cross_origin(&headers, &config));
        headers.remove(header::ORIGIN);
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(is_cross_origin(&headers, &config));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!is_cross_origin(&headers, &config));
    }
}
