//! The scale-out backend: Postgres, shared by every Latchkey instance behind a load
//! balancer. Timestamps are TIMESTAMPTZ.

use super::{StoreError, StoreResult};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;
use time::OffsetDateTime;

pub struct PostgresStore {
    /// The hot reads, kept for a moment (see `store::cache`).
    cache: super::cache::ReadCache,
    pool: PgPool,
}

// What the SQL shared by both backends (users.rs, sessions.rs, tokens.rs, mail.rs,
// throttle.rs) needs from this one.

type Db = sqlx::Postgres;

/// A timestamp as Postgres keeps it: `TIMESTAMPTZ`.
type Time = OffsetDateTime;

fn to_db(at: OffsetDateTime) -> Time {
    at
}

fn from_db(at: Time, _column: &'static str) -> StoreResult<OffsetDateTime> {
    Ok(at)
}

fn write_error(error: sqlx::Error) -> StoreError {
    super::write_error(error, |error| error.constraint().map(str::to_owned))
}

/// Claims due mail: SKIP LOCKED lets instances sharing this database each claim
/// different messages.
const CLAIM_DUE_MAIL: &str = "UPDATE mail_queue SET next_attempt_at = $1 WHERE id IN \
       (SELECT id FROM mail_queue WHERE next_attempt_at <= $2 ORDER BY created_at LIMIT $3 \
        FOR UPDATE SKIP LOCKED) \
     RETURNING id, payload, attempts, next_attempt_at, created_at";

super::impl_store!(PostgresStore, "postgres", "migrations/postgres");

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PostgresStore {
            cache: Default::default(),
            pool,
        })
    }
}
