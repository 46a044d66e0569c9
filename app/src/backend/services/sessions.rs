//! Browser sessions: tower-sessions over our own `sessions` table.
//!
//! The store keeps a keyed hash of each session id, never the id itself, so a copy of the
//! database cannot be turned back into cookies. It also copies the signed-in account's id
//! into its own column, so "sign out everywhere" and the device list are plain queries.

use crate::backend::request::ClientInfo;
use crate::backend::secrets::{Purpose, SecretKey};
use crate::backend::store::{SessionRecord, Store, StoreError, Unique};
use crate::backend::AppState;
use crate::domain::{Device, User};
use crate::error::AppError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::Session;

/// The session key under which a sign-in is kept.
const SIGN_IN: &str = "sign_in";

/// How stale `last_seen_at` may get before a request refreshes it (and, with it, the
/// session's expiry). Keeps reads from turning into writes on every request.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(5);

/// What a session remembers about who signed in, from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub user_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    pub user_agent: Option<String>,
    pub address: String,
}

/// Starts a signed-in session: a fresh session id (so an id planted before sign-in is
/// worthless), holding who signed in and from where.
pub async fn sign_in(session: &Session, user: &User, client: &ClientInfo) -> Result<(), AppError> {
    session.cycle_id().await?;
    let now = OffsetDateTime::now_utc();
    let record = SignIn {
        user_id: user.id.clone(),
        signed_in_at: now,
        last_seen_at: now,
        user_agent: client.user_agent.clone(),
        address: client.address.to_string(),
    };
    session.insert(SIGN_IN, record).await?;
    Ok(())
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
    session.flush().await?;
    Ok(())
}

/// The signed-in account, if any. A session whose account is gone or disabled is ended.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<User>, AppError> {
    let Some(mut sign_in) = session.get::<SignIn>(SIGN_IN).await? else {
        return Ok(None);
    };
    match super::accounts::user_by_id(state, &sign_in.user_id).await? {
        Some(user) => {
            let now = OffsetDateTime::now_utc();
            if now - sign_in.last_seen_at > TOUCH_INTERVAL {
                sign_in.last_seen_at = now;
                session.insert(SIGN_IN, sign_in).await?;
            }
            Ok(Some(user))
        }
        None => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// The stored id (keyed hash) of the session a request came with, if it has one.
pub fn current_id(state: &AppState, session: &Session) -> Option<String> {
    session.id().map(|id| id_hash(&state.secret, &id))
}

fn id_hash(secret: &SecretKey, id: &Id) -> String {
    secret.keyed_hash(Purpose::SessionId, &id.0.to_le_bytes())
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
            let sign_in: SignIn = serde_json::from_value(data.get(SIGN_IN)?.clone()).ok()?;
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

/// Signs out one of the account's devices (404 when it has none with that id). Signing
/// out the current device ends this session too.
pub async fn sign_out_device(
    state: &AppState,
    user_id: &str,
    session: &Session,
    device_id: &str,
) -> Result<(), AppError> {
    // A device id is a keyed hash (64 hex digits); anything else is no device.
    let well_formed = device_id.len() == 64 && device_id.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::NotFound);
    }
    if current_id(state, session).as_deref() == Some(device_id) {
        return sign_out(session).await;
    }
    if state.store.delete_user_session(user_id, device_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Signs out every device of the account but this one; returns how many.
pub async fn sign_out_other_devices(
    state: &AppState,
    user_id: &str,
    session: &Session,
) -> Result<u64, AppError> {
    let keep = current_id(state, session);
    Ok(state
        .store
        .delete_user_sessions_except(user_id, keep.as_deref())
        .await?)
}

/// tower-sessions' `SessionStore` over the `Store` contract, keyed by HMAC of the id.
#[derive(Clone)]
pub struct DbSessionStore {
    store: Arc<dyn Store>,
    secret: SecretKey,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl DbSessionStore {
    pub fn new(store: Arc<dyn Store>, secret: SecretKey) -> DbSessionStore {
        DbSessionStore { store, secret }
    }

    fn id_hash(&self, id: &Id) -> String {
        self.secret
            .keyed_hash(Purpose::SessionId, &id.0.to_le_bytes())
    }

    fn to_row(&self, record: &Record) -> session_store::Result<SessionRecord> {
        let user_id = record
            .data
            .get(SIGN_IN)
            .and_then(|value| value.get("user_id"))
            .and_then(|value| value.as_str())
            .map(str::to_owned);
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(SessionRecord {
            id_hash: self.id_hash(&record.id),
            user_id,
            data,
            expires_at: record.expiry_date,
        })
    }
}

fn backend_error(error: StoreError) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely, but a new id
        // is cheaper than a wrong session.
        loop {
            match self.store.insert_session(&self.to_row(record)?).await {
                Err(StoreError::Conflict(Unique::Key)) => record.id = Id::default(),
                other => return other.map_err(backend_error),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store
            .save_session(&self.to_row(record)?)
            .await
            .map_err(backend_error)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let Some(row) = self
            .store
            .session(&self.id_hash(id), now)
            .await
            .map_err(backend_error)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: row.expires_at,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&self.id_hash(id))
            .await
            .map_err(backend_error)
    }
}
