//! tower-sessions' session store over our `Store`: what keeps browser sessions in the
//! database, so that every instance sharing it knows them.
//!
//! A row is keyed by a keyed hash of the session id, never the id itself, so a copy of
//! the database cannot be turned back into cookies. It also copies the signed-in
//! account's id into its own column, so "sign out everywhere" and the device list are
//! plain queries.

use crate::secrets::SecretKey;
use crate::services::sessions::{id_hash, SIGN_IN_KEY};
use crate::store::{SessionRecord, Store, StoreError, Unique};
use async_trait::async_trait;
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore};

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
        id_hash(&self.secret, id.0)
    }

    fn to_row(&self, record: &Record) -> session_store::Result<SessionRecord> {
        let user_id = record
            .data
            .get(SIGN_IN_KEY)
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
