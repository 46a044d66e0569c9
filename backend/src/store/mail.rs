//! The outgoing mail queue: messages (encrypted) waiting to be sent, claimed by one
//! instance at a time.

use super::{QueuedMail, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait MailQueue {
    async fn enqueue_mail(&self, mail: &QueuedMail) -> StoreResult<()>;
    /// Takes up to `limit` messages that are due at `now`, pushing their next attempt to
    /// `lease_until` so that no other instance sends them meanwhile.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>>;
    async fn delete_mail(&self, id: &str) -> StoreResult<()>;
    async fn retry_mail(
        &self,
        id: &str,
        attempts: u32,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> StoreResult<()>;
}

/// `MailQueue` for a backend's store, with the SQL written once but for claiming, whose
/// locking the backend module says (`CLAIM_DUE_MAIL`; see `store/mod.rs` for the rest).
macro_rules! impl_mail_queue {
    ($store:ty) => {
        #[derive(sqlx::FromRow)]
        struct MailRow {
            id: String,
            payload: Vec<u8>,
            attempts: i64,
            next_attempt_at: Time,
            created_at: Time,
        }

        impl TryFrom<MailRow> for $crate::store::QueuedMail {
            type Error = $crate::store::StoreError;

            fn try_from(row: MailRow) -> $crate::store::StoreResult<Self> {
                Ok($crate::store::QueuedMail {
                    id: row.id,
                    payload: row.payload,
                    attempts: $crate::store::count(row.attempts),
                    next_attempt_at: from_db(row.next_attempt_at, "next_attempt_at")?,
                    created_at: from_db(row.created_at, "created_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::MailQueue for $store {
            async fn enqueue_mail(
                &self,
                mail: &$crate::store::QueuedMail,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO mail_queue (id, payload, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&mail.id)
                .bind(&mail.payload)
                .bind(i64::from(mail.attempts))
                .bind(to_db(mail.next_attempt_at))
                .bind(to_db(mail.created_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn claim_mail(
                &self,
                now: time::OffsetDateTime,
                lease_until: time::OffsetDateTime,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::QueuedMail>> {
                let rows = sqlx::query_as::<_, MailRow>(CLAIM_DUE_MAIL)
                    .bind(to_db(lease_until))
                    .bind(to_db(now))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map($crate::store::QueuedMail::try_from)
                    .collect()
            }

            async fn delete_mail(&self, id: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM mail_queue WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn retry_mail(
                &self,
                id: &str,
                attempts: u32,
                next_attempt_at: time::OffsetDateTime,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE mail_queue SET attempts = $1, next_attempt_at = $2, last_error = $3 \
                     WHERE id = $4",
                )
                .bind(i64::from(attempts))
                .bind(to_db(next_attempt_at))
                .bind(error)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_mail_queue;
