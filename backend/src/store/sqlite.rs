//! The embedded backend: one SQLite file in WAL mode. Writers wait (busy timeout) rather
//! than fail, and timestamps are stored as Unix seconds.

use super::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;

pub struct SqliteStore {
    /// The hot reads, kept for a moment (see `store::cache`).
    cache: super::cache::ReadCache,
    pool: SqlitePool,
}

// What the SQL shared by both backends (users.rs, sessions.rs, tokens.rs, mail.rs,
// throttle.rs) needs from this one.

type Db = sqlx::Sqlite;

/// A timestamp as SQLite keeps it: whole seconds since the Unix epoch (so that columns
/// compare as numbers).
type Time = i64;

fn to_db(at: OffsetDateTime) -> Time {
    at.unix_timestamp()
}

fn from_db(seconds: Time, column: &'static str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| StoreError::Corrupt {
        column,
        reason: e.to_string(),
    })
}

fn write_error(error: sqlx::Error) -> StoreError {
    super::write_error(error, constraint_name)
}

fn constraint_name(error: &dyn sqlx::error::DatabaseError) -> Option<String> {
    constraint_in(error.message())
}

/// The constraint a unique violation broke, from SQLite's message: "UNIQUE constraint
/// failed: index 'users_username_key'" for an index on an expression, "... failed:
/// users.email" for one on columns, which the migrations name `<table>_<columns>_key`.
fn constraint_in(message: &str) -> Option<String> {
    let failed = message.strip_prefix("UNIQUE constraint failed: ")?;
    if let Some(index) = failed.strip_prefix("index '") {
        return index.strip_suffix('\'').map(str::to_owned);
    }
    let columns: Vec<(&str, &str)> = failed
        .split(", ")
        .filter_map(|column| column.split_once('.'))
        .collect();
    let table = columns.first()?.0;
    let names: Vec<&str> = columns.iter().map(|(_, column)| *column).collect();
    Some(format!("{table}_{}_key", names.join("_")))
}

/// Claims due mail in one statement: SQLite has a single writer, so two instances never
/// claim the same row.
const CLAIM_DUE_MAIL: &str = "UPDATE mail_queue SET next_attempt_at = $1 WHERE id IN \
       (SELECT id FROM mail_queue WHERE next_attempt_at <= $2 ORDER BY created_at LIMIT $3) \
     RETURNING id, payload, attempts, next_attempt_at, created_at";

super::impl_store!(SqliteStore, "sqlite", "migrations/sqlite");

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let filename = options.get_filename().to_owned();
        let in_memory = filename.as_os_str().is_empty() || url.contains(":memory:");
        if !in_memory {
            if let Some(parent) = filename.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        // An in-memory database exists once per connection, so it gets exactly one.
        let max_connections = if in_memory { 1 } else { 8 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            cache: Default::default(),
            pool,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::constraint_in;

    #[test]
    fn constraint_names_come_from_the_message() {
        assert_eq!(
            constraint_in("UNIQUE constraint failed: index 'users_username_key'").as_deref(),
            Some("users_username_key")
        );
        assert_eq!(
            constraint_in("UNIQUE constraint failed: users.email").as_deref(),
            Some("users_email_key")
        );
        assert_eq!(
            constraint_in("UNIQUE constraint failed: sessions.id_hash").as_deref(),
            Some("sessions_id_hash_key")
        );
        assert_eq!(
            constraint_in("NOT NULL constraint failed: users.email"),
            None
        );
    }
}
