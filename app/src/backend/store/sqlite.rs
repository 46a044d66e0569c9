//! The embedded backend: one SQLite file in WAL mode. Writers wait (busy timeout) rather
//! than fail, and timestamps are stored as Unix seconds.

use super::{
    map_write_error, parse_role, NewUserRecord, SessionRecord, Store, StoreError, StoreResult,
    ThrottleWindow, UserRecord,
};
use crate::domain::User;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;
use time::{Date, OffsetDateTime};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
}

const USER_COLUMNS: &str = "id, username, email, email_verified, password_hash, first_name, \
     last_name, bio, location, birth_date, timezone, language, role, disabled, created_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    username: String,
    email: String,
    email_verified: bool,
    password_hash: String,
    first_name: Option<String>,
    last_name: Option<String>,
    bio: Option<String>,
    location: Option<String>,
    birth_date: Option<String>,
    timezone: String,
    language: String,
    role: String,
    disabled: bool,
    created_at: i64,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> StoreResult<UserRecord> {
        let birth_date = row
            .birth_date
            .as_deref()
            .map(|text| {
                Date::parse(
                    text,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|e| StoreError::Corrupt {
                    column: "birth_date",
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        Ok(UserRecord {
            user: User {
                id: row.id,
                username: row.username,
                email: row.email,
                email_verified: row.email_verified,
                first_name: row.first_name,
                last_name: row.last_name,
                bio: row.bio,
                location: row.location,
                birth_date,
                timezone: row.timezone,
                language: row.language,
                picture_url: None,
                role: parse_role(&row.role)?,
                created_at: from_unix(row.created_at, "created_at")?,
            },
            password_hash: row.password_hash,
            disabled: row.disabled,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id_hash: String,
    user_id: Option<String>,
    data: String,
    expires_at: i64,
}

fn from_unix(seconds: i64, column: &'static str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| StoreError::Corrupt {
        column,
        reason: e.to_string(),
    })
}

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
        Ok(SqliteStore { pool })
    }

    async fn user_where(&self, condition: &str, value: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?
            .map(UserRecord::try_from)
            .transpose()
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_user(&self, user: &NewUserRecord) -> StoreResult<()> {
        let now = user.created_at.unix_timestamp();
        sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, role, language, timezone, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(&user.language)
        .bind(&user.timezone)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_write_error)?;
        Ok(())
    }

    async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        self.user_where("id = ?1", id).await
    }

    async fn user_by_username(&self, key: &str) -> StoreResult<Option<UserRecord>> {
        self.user_where("lower(username) = ?1", key).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        self.user_where("email = ?1", email).await
    }

    async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(hash)
            .bind(now.unix_timestamp())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&session.id_hash)
        .bind(&session.user_id)
        .bind(&session.data)
        .bind(session.expires_at.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(map_write_error)?;
        Ok(())
    }

    async fn save_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
             expires_at = excluded.expires_at",
        )
        .bind(&session.id_hash)
        .bind(&session.user_id)
        .bind(&session.data)
        .bind(session.expires_at.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(map_write_error)?;
        Ok(())
    }

    async fn session(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT id_hash, user_id, data, expires_at FROM sessions WHERE id_hash = ?1 AND expires_at > ?2",
        )
        .bind(id_hash)
        .bind(now.unix_timestamp())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SessionRecord {
                id_hash: row.id_hash,
                user_id: row.user_id,
                data: row.data,
                expires_at: from_unix(row.expires_at, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?1")
            .bind(now.unix_timestamp())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn throttle_hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<ThrottleWindow> {
        let (count, started): (i64, i64) = sqlx::query_as(
            "INSERT INTO throttle (key, window_start, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN throttle.window_start <= ?3 THEN 1 ELSE throttle.count + 1 END, \
               window_start = CASE WHEN throttle.window_start <= ?3 THEN ?2 ELSE throttle.window_start END \
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(now.unix_timestamp())
        .bind((now - window).unix_timestamp())
        .fetch_one(&self.pool)
        .await?;
        Ok(ThrottleWindow {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            started_at: from_unix(started, "window_start")?,
        })
    }

    async fn throttle_peek(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<Option<ThrottleWindow>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT count, window_start FROM throttle WHERE key = ?1 AND window_start > ?2",
        )
        .bind(key)
        .bind((now - window).unix_timestamp())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(count, started)| {
            Ok(ThrottleWindow {
                count: u32::try_from(count).unwrap_or(u32::MAX),
                started_at: from_unix(started, "window_start")?,
            })
        })
        .transpose()
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttle WHERE key = ?1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn prune_throttle(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM throttle WHERE window_start < ?1")
            .bind(before.unix_timestamp())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
