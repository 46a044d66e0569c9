//! The whole HTTP surface in one place: pages, server functions, the JSON API, static
//! files, and the layers every request passes through.

use crate::assets;
use crate::middleware::{self, CspNonce};
use crate::rest::{self, SESSION_COOKIE};
use crate::site::Site;
use app::api::account::UploadPicture;
use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::session_store::DbSessionStore;
use backend::AppState;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos::server_fn::ServerFn;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use serde_json::json;
use std::sync::LazyLock;
use tower::util::option_layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

/// The header that carries a request's id, in the request and in its response.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sent when people reach Latchkey over https: browsers keep to https for a year.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The pages' routes, found by rendering the app once per process.
static PAGE_ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// What the page handlers of leptos_axum are given: the app's state, and the options
/// Leptos renders with.
#[derive(Clone)]
struct SiteState {
    app: AppState,
    leptos: LeptosOptions,
}

impl FromRef<SiteState> for LeptosOptions {
    fn from_ref(site: &SiteState) -> LeptosOptions {
        site.leptos.clone()
    }
}

impl FromRef<SiteState> for AppState {
    fn from_ref(site: &SiteState) -> AppState {
        site.app.clone()
    }
}

pub fn app(state: AppState, site: Site) -> Router {
    let config = state.config.clone();
    let Site {
        leptos: leptos_options,
        assets,
    } = site;
    let site = SiteState {
        app: state.clone(),
        leptos: leptos_options.clone(),
    };
    let context = page_context(state.clone());

    let lifetime =
        time::Duration::try_from(config.session_lifetime).unwrap_or(time::Duration::days(14));
    let sessions = SessionManagerLayer::new(DbSessionStore::new(
        state.store.clone(),
        state.secret.clone(),
    ))
    .with_name(SESSION_COOKIE)
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(config.secure_cookies())
    .with_path("/")
    .with_expiry(Expiry::OnInactivity(lifetime));

    // Who is signed in is resolved before a page renders, once; the server functions
    // registered beside the pages, and static files, do without.
    let signed_in = axum::middleware::from_fn_with_state(state.clone(), middleware::page_user);
    let not_found_options = leptos_options.clone();
    let bundle = assets.bundle_root().to_owned();
    let not_found_bundle = bundle.clone();
    let pages = Router::new()
        .leptos_routes_with_context(&site, PAGE_ROUTES.clone(), context.clone(), move || {
            shell(leptos_options.clone(), bundle.clone())
        })
        .route_layer(signed_in.clone())
        .with_state(site);
    // Any other path: a file of the site (the bundle, the favicon, ...) from memory, else
    // the "not found" page (rendered by the app, whose routes fall back to it).
    let render = leptos_axum::render_app_async_with_context(context.clone(), move || {
        shell(not_found_options.clone(), not_found_bundle.clone())
    });
    let not_found = move |request| {
        let render = render.clone();
        async move {
            let mut response = render(request).await;
            // A redirect the page chose stands.
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::NOT_FOUND;
            }
            response
        }
    };
    let site_files = Router::new()
        .fallback(not_found)
        .layer(signed_in)
        .layer(axum::middleware::from_fn_with_state(assets, assets::serve));
    // The picture upload's server function takes a picture; every other request body is
    // held to `max_body_bytes`. (The pages' router has that server function too, but a
    // route of the outer router is matched before its fallback.)
    let upload_picture =
        post(move |request| leptos_axum::handle_server_fns_with_context(context.clone(), request))
            .layer(RequestBodyLimitLayer::new(config.picture_upload_limit()));
    let pages = pages
        .fallback_service(site_files)
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(is_html),
        );

    Router::new()
        .route("/healthz", get(health))
        .nest("/api/v1", rest::router(&config))
        .with_state(state.clone())
        .route(UploadPicture::PATH, upload_picture)
        .fallback_service(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::signed_url,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            config.clone(),
            middleware::same_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            config.clone(),
            middleware::client_info,
        ))
        .layer(axum::middleware::from_fn(
            middleware::content_security_policy,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(option_layer(config.is_https().then(|| {
            SetResponseHeaderLayer::overriding(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            )
        })))
        // Inside the request id and JSON errors: a request that times out is logged with
        // its id and answered in the API's error shape.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::json_errors))
        .layer(axum::middleware::from_fn(middleware::request_scope))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::DEBUG)
                        .latency_unit(LatencyUnit::Micros),
                )
                .on_failure(
                    DefaultOnFailure::new()
                        .level(Level::ERROR)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
        // Every request gets a fresh id (one a client sent is replaced), which every log
        // line of it carries and its response returns.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetRequestHeaderLayer::overriding(
            X_REQUEST_ID,
            middleware::new_request_id,
        ))
}

/// Pages are compressed as they are sent, brotli or gzip at their fastest: the account
/// page's 52 KB of HTML (most of it time-zone names) is 13 KB in brotli, `/login`'s 4.5 KB
/// is 2 KB, for about a tenth of SSR throughput (measured: `/login` 7,960 -> 7,158 req/s
/// with `Accept-Encoding: br`; a better level cost a quarter). Only pages: the bundle has
/// its compressed copies already, pictures do not compress, and API answers that carry a
/// secret next to something the caller chose are left alone (BREACH).
fn is_html(
    _: StatusCode,
    _: http::Version,
    headers: &http::HeaderMap,
    _: &http::Extensions,
) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

/// The span every log line of a request is in: its id, method and path.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Context for every page render and server function: the app's state, and the CSP
/// nonce of this response, so that Leptos' inline hydration script is allowed to run.
fn page_context(state: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(state.clone());
        let nonce = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
        if let Some(CspNonce(nonce)) = nonce {
            provide_context(leptos::nonce::Nonce::from_value(nonce));
        }
    }
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": state.store.backend() })),
        ),
        Err(error) => {
            tracing::error!(%error, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "error": { "code": "database_unavailable", "message": "The database does not answer" } }),
                ),
            )
        }
    }
}
