//! Browser sessions: the `sessions` table behind tower-sessions (see
//! `crate::session_store`), and an account's sessions as its signed-in devices.

use super::{SessionRecord, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait Sessions {
    /// Fails with `Conflict(Key)` when a session with that id hash exists.
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// Inserts or replaces.
    async fn save_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// The session, unless it is unknown or expired at `now`.
    async fn session(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Removes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> StoreResult<u64>;
    /// The account's live sessions.
    async fn user_sessions(
        &self,
        user_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionRecord>>;
    /// Deletes one of the account's sessions; false when it has none with that id.
    async fn delete_user_session(&self, user_id: &str, id_hash: &str) -> StoreResult<bool>;
    /// Deletes all the account's sessions but `keep`; returns how many.
    async fn delete_user_sessions_except(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> StoreResult<u64>;
}

/// `Sessions` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies).
macro_rules! impl_sessions {
    ($store:ty) => {
        #[derive(sqlx::FromRow)]
        struct SessionRow {
            id_hash: String,
            user_id: Option<String>,
            data: String,
            expires_at: Time,
        }

        impl TryFrom<SessionRow> for $crate::store::SessionRecord {
            type Error = $crate::store::StoreError;

            fn try_from(row: SessionRow) -> $crate::store::StoreResult<Self> {
                Ok($crate::store::SessionRecord {
                    id_hash: row.id_hash,
                    user_id: row.user_id,
                    data: row.data,
                    expires_at: from_db(row.expires_at, "expires_at")?,
                })
            }
        }

        const INSERT_SESSION: &str =
            "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)";

        impl $store {
            /// Writes a session with `sql`, an insert that takes its four columns.
            async fn write_session(
                &self,
                sql: &str,
                session: &$crate::store::SessionRecord,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(sql)
                    .bind(&session.id_hash)
                    .bind(&session.user_id)
                    .bind(&session.data)
                    .bind(to_db(session.expires_at))
                    .execute(&self.pool)
                    .await
                    .map_err(write_error)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Sessions for $store {
            async fn insert_session(
                &self,
                session: &$crate::store::SessionRecord,
            ) -> $crate::store::StoreResult<()> {
                self.write_session(INSERT_SESSION, session).await
            }

            async fn save_session(
                &self,
                session: &$crate::store::SessionRecord,
            ) -> $crate::store::StoreResult<()> {
                let _forget = self.cache.writing_session(&session.id_hash);
                let sql = format!(
                    "{INSERT_SESSION} ON CONFLICT (id_hash) DO UPDATE SET \
                     user_id = excluded.user_id, data = excluded.data, \
                     expires_at = excluded.expires_at"
                );
                self.write_session(&sql, session).await
            }

            async fn session(
                &self,
                id_hash: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::SessionRecord>> {
                if let Some(session) = self.cache.session(id_hash) {
                    return Ok((session.expires_at > now).then_some(session));
                }
                let ticket = self.cache.ticket();
                let session = sqlx::query_as::<_, SessionRow>(
                    "SELECT id_hash, user_id, data, expires_at FROM sessions \
                     WHERE id_hash = $1 AND expires_at > $2",
                )
                .bind(id_hash)
                .bind(to_db(now))
                .fetch_optional(&self.pool)
                .await?
                .map($crate::store::SessionRecord::try_from)
                .transpose()?;
                if let Some(session) = &session {
                    self.cache.fill_session(ticket, session);
                }
                Ok(session)
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::store::StoreResult<()> {
                let _forget = self.cache.writing_session(id_hash);
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(
                &self,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(to_db(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn user_sessions(
                &self,
                user_id: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SessionRecord>> {
                let rows = sqlx::query_as::<_, SessionRow>(
                    "SELECT id_hash, user_id, data, expires_at FROM sessions \
                     WHERE user_id = $1 AND expires_at > $2",
                )
                .bind(user_id)
                .bind(to_db(now))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::store::SessionRecord::try_from)
                    .collect()
            }

            async fn delete_user_session(
                &self,
                user_id: &str,
                id_hash: &str,
            ) -> $crate::store::StoreResult<bool> {
                let _forget = self.cache.writing_session(id_hash);
                let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
                    .bind(user_id)
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_user_sessions_except(
                &self,
                user_id: &str,
                keep: Option<&str>,
            ) -> $crate::store::StoreResult<u64> {
                let _forget = self.cache.writing_sessions();
                let done = sqlx::query(
                    "DELETE FROM sessions WHERE user_id = $1 \
                     AND (CAST($2 AS TEXT) IS NULL OR id_hash <> $2)",
                )
                .bind(user_id)
                .bind(keep)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(super) use impl_sessions;
