//! Housekeeping that runs in the background: expired sessions and old throttle windows.

use crate::AppState;
use std::time::Duration;
use time::OffsetDateTime;

/// Runs forever, once at start and then every `every`.
pub async fn run_periodically(state: AppState, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        if let Err(error) = sweep(&state).await {
            tracing::warn!(%error, "housekeeping failed; will retry");
        }
    }
}

/// Deletes expired sessions, tokens and grants, and throttle windows that ended a day
/// ago.
pub async fn sweep(state: &AppState) -> Result<(), crate::store::StoreError> {
    let now = OffsetDateTime::now_utc();
    let sessions = state.store.delete_expired_sessions(now).await?;
    let tokens = state.store.delete_expired_tokens(now).await?
        + state.store.delete_expired_grants(now).await?;
    let window = i64::try_from(state.rules().throttle.window_seconds).unwrap_or(i64::MAX);
    let keep = time::Duration::seconds(window) + time::Duration::days(1);
    let windows = state.store.prune_throttle(now - keep).await?;
    if sessions + tokens + windows > 0 {
        tracing::info!(
            sessions,
            tokens,
            throttle_windows = windows,
            "housekeeping removed expired rows"
        );
    }
    Ok(())
}
