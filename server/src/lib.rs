//! The `latchkey` binary's library: the router, the REST API, middleware and start-up,
//! kept in a library so that integration tests drive the very same router.

pub mod assets;
pub mod cli;
pub mod middleware;
pub mod rest;
pub mod router;
pub mod site;
pub mod telemetry;

use axum::serve::ListenerExt;
use backend::services::maintenance;
use backend::AppState;
use site::Site;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// Serves until the process is asked to stop (Ctrl-C or SIGTERM), finishing the requests
/// under way.
pub async fn run(state: AppState, site: Site, listener: TcpListener) -> std::io::Result<()> {
    tokio::spawn(maintenance::run_periodically(
        state.clone(),
        Duration::from_secs(3600),
    ));
    tokio::spawn(backend::mail::run_worker(state.mail_worker()));
    // Serving does not wait for the OpenID providers: one that cannot be reached is
    // offered as unavailable, and found again by the next sign-in with it.
    let providers = state.clone();
    tokio::spawn(async move { providers.oidc.discover_all().await });
    let app = router::app(state, site);
    // Without TCP_NODELAY, a streamed page waits ~40 ms on delayed ACKs (Nagle).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
