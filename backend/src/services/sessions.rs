//! Browser sessions, as the services see them: who signed in, from where, and the
//! account's signed-in devices. The session itself (the cookie and its record) belongs to
//! the adapters (`app::api::session`) and to the store (`crate::session_store`).

use super::users;
use crate::request::ClientInfo;
use crate::secrets::{Purpose, SecretKey};
use crate::AppState;
use domain::{AppError, Device, User};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The key under which a session's record holds its `SignIn`.
pub const SIGN_IN_KEY: &str = "sign_in";

/// How stale `last_seen_at` may get before a request refreshes it (and, with it, the
/// session's expiry). Keeps reads from turning into writes on every request.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(5);

/// What a session remembers about who signed in, from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    /// The account that signed in.
    pub user_id: String,
    /// When it signed in.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    /// When the session last made a request (to within a few minutes).
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// The `User-Agent` the browser or program sent at sign-in, if any.
    pub user_agent: Option<String>,
    /// The client address it signed in from.
    pub address: String,
    /// When an administrator acts as this account: who. (Impersonation comes with the
    /// administration pages; nothing sets it yet.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<String>,
}

impl SignIn {
    /// A sign-in of `user` from `client`, now.
    pub fn new(user: &User, client: &ClientInfo) -> SignIn {
        let now = OffsetDateTime::now_utc();
        SignIn {
            user_id: user.id.clone(),
            signed_in_at: now,
            last_seen_at: now,
            user_agent: client.user_agent.clone(),
            address: client.address.to_string(),
            impersonator: None,
        }
    }

    /// Whether this session may make credentials (API tokens, signed URLs, tickets): not
    /// while an administrator acts as the account (403 `impersonating`).
    pub fn may_make_credentials(&self) -> Result<(), AppError> {
        match self.impersonator {
            None => Ok(()),
            Some(_) => Err(AppError::Impersonating),
        }
    }
}

/// The account a session's sign-in stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedIn {
    /// The signed-in account, as it is now.
    pub user: User,
    /// The sign-in to store again, when it was last seen long enough ago to be worth a
    /// write.
    pub touched: Option<SignIn>,
}

/// Who a session's sign-in stands for; `None` when the account is gone or disabled
/// (the session must end).
pub async fn resolve(state: &AppState, sign_in: SignIn) -> Result<Option<SignedIn>, AppError> {
    let Some(user) = users::enabled_by_id(state, &sign_in.user_id).await? else {
        return Ok(None);
    };
    let now = OffsetDateTime::now_utc();
    let touched = if now - sign_in.last_seen_at > TOUCH_INTERVAL {
        Some(SignIn {
            last_seen_at: now,
            ..sign_in
        })
    } else {
        None
    };
    Ok(Some(SignedIn { user, touched }))
}

/// The stored id of a session: the keyed hash of its id, never the id. Device ids are
/// these, too.
pub fn id_hash(secret: &SecretKey, id: i128) -> String {
    secret.keyed_hash(Purpose::SessionId, &id.to_le_bytes())
}

/// The account's signed-in devices; `current` is the stored id of the caller's session.
pub async fn devices(
    state: &AppState,
    user_id: &str,
    current: Option<&str>,
) -> Result<Vec<Device>, AppError> {
    let now = OffsetDateTime::now_utc();
    let rows = state.store.user_sessions(user_id, now).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let data: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&row.data).ok()?;
            let sign_in: SignIn = serde_json::from_value(data.get(SIGN_IN_KEY)?.clone()).ok()?;
            Some(Device {
                current: current == Some(row.id_hash.as_str()),
                id: row.id_hash,
                created_at: sign_in.signed_in_at,
                last_seen_at: sign_in.last_seen_at,
                user_agent: sign_in.user_agent,
                address: sign_in.address,
            })
        })
        .collect())
}

/// Which session a device sign-out ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceSignOut {
    /// Another of the account's devices.
    Other,
    /// The caller's own session: the adapter ends it.
    Current,
}

/// Signs out one of the account's devices (404 when it has none with that id).
pub async fn sign_out_device(
    state: &AppState,
    user_id: &str,
    current: Option<&str>,
    device_id: &str,
) -> Result<DeviceSignOut, AppError> {
    // A device id is a keyed hash (64 hex digits); anything else is no device.
    let well_formed = device_id.len() == 64 && device_id.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::NotFound);
    }
    if current == Some(device_id) {
        return Ok(DeviceSignOut::Current);
    }
    if state.store.delete_user_session(user_id, device_id).await? {
        Ok(DeviceSignOut::Other)
    } else {
        Err(AppError::NotFound)
    }
}

/// Signs out every device of the account but `keep` (the caller's); returns how many.
pub async fn sign_out_other_devices(
    state: &AppState,
    user_id: &str,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    Ok(state
        .store
        .delete_user_sessions_except(user_id, keep)
        .await?)
}
