//! The browser session: the adapter between tower-sessions' `Session` (the cookie and
//! its record) and the sessions service. Server functions and REST routes both use it.

use backend::services::sessions::{self, DeviceSignOut, SignIn, SignedIn, SIGN_IN_KEY};
use backend::{internal_error, AppState, ClientInfo};
use domain::{AppError, User};
use tower_sessions::Session;

/// Starts a signed-in session: a fresh session id (so an id planted before sign-in is
/// worthless), holding who signed in and from where.
pub async fn sign_in(session: &Session, user: &User, client: &ClientInfo) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal_error)?;
    session
        .insert(SIGN_IN_KEY, SignIn::new(user, client))
        .await
        .map_err(internal_error)
}

/// Signs `user` in unless the configuration wants a verified address first (then the
/// account exists but holds no session yet); says whether it did.
pub async fn sign_in_if_allowed(
    state: &AppState,
    session: &Session,
    user: &User,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    if !state.rules().may_sign_in(user) {
        return Ok(false);
    }
    sign_in(session, user, client).await?;
    Ok(true)
}

/// Ends the session: the server forgets it (a replayed cookie gets 401) and the browser
/// is told to drop the cookie.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal_error)
}

/// The signed-in account, if any. A session whose account is gone or disabled is ended.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<User>, AppError> {
    let sign_in = session
        .get::<SignIn>(SIGN_IN_KEY)
        .await
        .map_err(internal_error)?;
    let Some(sign_in) = sign_in else {
        return Ok(None);
    };
    match sessions::resolve(state, sign_in).await? {
        Some(SignedIn { user, touched }) => {
            if let Some(touched) = touched {
                session
                    .insert(SIGN_IN_KEY, touched)
                    .await
                    .map_err(internal_error)?;
            }
            Ok(Some(user))
        }
        None => {
            sign_out(session).await?;
            Ok(None)
        }
    }
}

/// Refuses (403 `impersonating`) to make credentials (API tokens, signed URLs, tickets)
/// in a session where an administrator acts as the account.
pub async fn may_make_credentials(session: &Session) -> Result<(), AppError> {
    let sign_in = session
        .get::<SignIn>(SIGN_IN_KEY)
        .await
        .map_err(internal_error)?;
    match sign_in {
        Some(sign_in) => sign_in.may_make_credentials(),
        None => Err(AppError::Unauthenticated),
    }
}

/// The stored id (keyed hash) of the session a request came with, if it has one.
pub fn current_id(state: &AppState, session: &Session) -> Option<String> {
    session
        .id()
        .map(|id| sessions::id_hash(&state.secret, id.0))
}

/// Signs out one of the account's devices (404 when it has none with that id); signing
/// out this device ends this session.
pub async fn sign_out_device(
    state: &AppState,
    user_id: &str,
    session: &Session,
    device_id: &str,
) -> Result<(), AppError> {
    let current = current_id(state, session);
    match sessions::sign_out_device(state, user_id, current.as_deref(), device_id).await? {
        DeviceSignOut::Current => sign_out(session).await,
        DeviceSignOut::Other => Ok(()),
    }
}

/// Signs out every device of the account but this one; returns how many.
pub async fn sign_out_other_devices(
    state: &AppState,
    user_id: &str,
    session: &Session,
) -> Result<u64, AppError> {
    let keep = current_id(state, session);
    sessions::sign_out_other_devices(state, user_id, keep.as_deref()).await
}
