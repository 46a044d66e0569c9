//! One-time sign-in grants: signed URLs and tickets, stored only as keyed hashes.

use super::{GrantKind, GrantRecord, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait Grants {
    async fn insert_grant(&self, grant: &GrantRecord) -> StoreResult<()>;
    /// Takes a live grant of that kind for use: deleted and returned, at most once.
    async fn consume_grant(
        &self,
        id_hash: &str,
        kind: GrantKind,
        now: OffsetDateTime,
    ) -> StoreResult<Option<GrantRecord>>;
    /// Removes expired grants; returns how many.
    async fn delete_expired_grants(&self, now: OffsetDateTime) -> StoreResult<u64>;
}

/// `Grants` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies).
macro_rules! impl_grants {
    ($store:ty) => {
        #[derive(sqlx::FromRow)]
        struct GrantRow {
            id_hash: String,
            user_id: String,
            kind: String,
            target: Option<String>,
            created_at: Time,
            expires_at: Time,
        }

        impl TryFrom<GrantRow> for $crate::store::GrantRecord {
            type Error = $crate::store::StoreError;

            fn try_from(row: GrantRow) -> $crate::store::StoreResult<Self> {
                Ok($crate::store::GrantRecord {
                    id_hash: row.id_hash,
                    user_id: row.user_id,
                    kind: $crate::store::GrantKind::parse(&row.kind)?,
                    target: row.target,
                    created_at: from_db(row.created_at, "created_at")?,
                    expires_at: from_db(row.expires_at, "expires_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Grants for $store {
            async fn insert_grant(
                &self,
                grant: &$crate::store::GrantRecord,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO grants (id_hash, user_id, kind, target, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&grant.id_hash)
                .bind(&grant.user_id)
                .bind(grant.kind.as_str())
                .bind(&grant.target)
                .bind(to_db(grant.created_at))
                .bind(to_db(grant.expires_at))
                .execute(&self.pool)
                .await
                .map_err(write_error)?;
                Ok(())
            }

            async fn consume_grant(
                &self,
                id_hash: &str,
                kind: $crate::store::GrantKind,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::GrantRecord>> {
                sqlx::query_as::<_, GrantRow>(
                    "DELETE FROM grants WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 \
                     RETURNING id_hash, user_id, kind, target, created_at, expires_at",
                )
                .bind(id_hash)
                .bind(kind.as_str())
                .bind(to_db(now))
                .fetch_optional(&self.pool)
                .await?
                .map($crate::store::GrantRecord::try_from)
                .transpose()
            }

            async fn delete_expired_grants(
                &self,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM grants WHERE expires_at <= $1")
                    .bind(to_db(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(super) use impl_grants;
