//! The embedded backend: one SQLite file in WAL mode. Writers wait (busy timeout) rather
//! than fail, and timestamps are stored as Unix seconds.

use super::{
    map_write_error, parse_role, NewPassword, NewUserRecord, PictureRef, QueuedMail, SessionRecord,
    Store, StoreError, StoreResult, ThrottleWindow, TokenPurpose, TokenRecord, UserRecord,
};
use async_trait::async_trait;
use domain::{picture_url, ProfileChanges, User};
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
     last_name, bio, location, birth_date, timezone, language, role, disabled, created_at, \
     picture_key, picture_etag";

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
    picture_key: Option<String>,
    picture_etag: Option<String>,
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
        let picture = match (row.picture_key, row.picture_etag) {
            (Some(key), Some(etag)) => Some(PictureRef { key, etag }),
            _ => None,
        };
        Ok(UserRecord {
            user: User {
                id: row.id,
                email: row.email,
                email_verified: row.email_verified,
                first_name: row.first_name,
                last_name: row.last_name,
                bio: row.bio,
                location: row.location,
                birth_date,
                timezone: row.timezone,
                language: row.language,
                picture_url: picture
                    .as_ref()
                    .map(|p| picture_url(&row.username, &p.etag)),
                username: row.username,
                role: parse_role(&row.role)?,
                created_at: from_unix(row.created_at, "created_at")?,
            },
            password_hash: row.password_hash,
            disabled: row.disabled,
            picture,
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

impl TryFrom<SessionRow> for SessionRecord {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> StoreResult<SessionRecord> {
        Ok(SessionRecord {
            id_hash: row.id_hash,
            user_id: row.user_id,
            data: row.data,
            expires_at: from_unix(row.expires_at, "expires_at")?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id_hash: String,
    user_id: String,
    purpose: String,
    email: String,
    attempts: i64,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> StoreResult<TokenRecord> {
        Ok(TokenRecord {
            id_hash: row.id_hash,
            user_id: row.user_id,
            purpose: TokenPurpose::parse(&row.purpose)?,
            email: row.email,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            created_at: from_unix(row.created_at, "created_at")?,
            expires_at: from_unix(row.expires_at, "expires_at")?,
        })
    }
}

const TOKEN_COLUMNS: &str = "id_hash, user_id, purpose, email, attempts, created_at, expires_at";

#[derive(sqlx::FromRow)]
struct MailRow {
    id: String,
    payload: Vec<u8>,
    attempts: i64,
    next_attempt_at: i64,
    created_at: i64,
}

impl TryFrom<MailRow> for QueuedMail {
    type Error = StoreError;

    fn try_from(row: MailRow) -> StoreResult<QueuedMail> {
        Ok(QueuedMail {
            id: row.id,
            payload: row.payload,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            next_attempt_at: from_unix(row.next_attempt_at, "next_attempt_at")?,
            created_at: from_unix(row.created_at, "created_at")?,
        })
    }
}

fn from_unix(seconds: i64, column: &'static str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| StoreError::Corrupt {
        column,
        reason: e.to_string(),
    })
}

/// The writes of a new password after the first one, on the caller's transaction: the
/// sessions, the outstanding reset links and codes, the failed-sign-in counter. Returns
/// how many sessions ended.
async fn apply_new_password(
    tx: &mut sqlx::SqliteConnection,
    change: &NewPassword<'_>,
) -> StoreResult<u64> {
    sqlx::query("UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3")
        .bind(change.password_hash)
        .bind(change.now.unix_timestamp())
        .bind(change.user_id)
        .execute(&mut *tx)
        .await?;
    let ended =
        sqlx::query("DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)")
            .bind(change.user_id)
            .bind(change.keep_session)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    sqlx::query("DELETE FROM tokens WHERE user_id = ?1 AND purpose IN (?2, ?3)")
        .bind(change.user_id)
        .bind(TokenPurpose::ResetPassword.as_str())
        .bind(TokenPurpose::LoginCode.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM throttle WHERE key = ?1")
        .bind(change.throttle_key)
        .execute(&mut *tx)
        .await?;
    Ok(ended)
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

    async fn change_password(&self, change: &NewPassword<'_>) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let ended = apply_new_password(&mut tx, change).await?;
        tx.commit().await?;
        Ok(ended)
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        change: &NewPassword<'_>,
    ) -> StoreResult<Option<u64>> {
        let mut tx = self.pool.begin().await?;
        let spent = sqlx::query(
            "DELETE FROM tokens WHERE id_hash = ?1 AND user_id = ?2 AND purpose = ?3 AND expires_at > ?4",
        )
        .bind(token_hash)
        .bind(change.user_id)
        .bind(TokenPurpose::ResetPassword.as_str())
        .bind(change.now.unix_timestamp())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent == 0 {
            return Ok(None);
        }
        let ended = apply_new_password(&mut tx, change).await?;
        tx.commit().await?;
        Ok(Some(ended))
    }

    async fn update_profile(
        &self,
        user_id: &str,
        changes: &ProfileChanges,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let birth_date = changes.birth_date.map(|d| d.map(|d| d.to_string()));
        sqlx::query(
            "UPDATE users SET \
               first_name = CASE WHEN ?1 THEN ?2 ELSE first_name END, \
               last_name = CASE WHEN ?3 THEN ?4 ELSE last_name END, \
               bio = CASE WHEN ?5 THEN ?6 ELSE bio END, \
               location = CASE WHEN ?7 THEN ?8 ELSE location END, \
               birth_date = CASE WHEN ?9 THEN ?10 ELSE birth_date END, \
               timezone = COALESCE(?11, timezone), \
               language = COALESCE(?12, language), \
               updated_at = ?13 \
             WHERE id = ?14",
        )
        .bind(changes.first_name.is_some())
        .bind(changes.first_name.clone().flatten())
        .bind(changes.last_name.is_some())
        .bind(changes.last_name.clone().flatten())
        .bind(changes.bio.is_some())
        .bind(changes.bio.clone().flatten())
        .bind(changes.location.is_some())
        .bind(changes.location.clone().flatten())
        .bind(birth_date.is_some())
        .bind(birth_date.flatten())
        .bind(&changes.timezone)
        .bind(&changes.language)
        .bind(now.unix_timestamp())
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_picture(
        &self,
        user_id: &str,
        picture: Option<&PictureRef>,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PictureRef>> {
        let mut tx = self.pool.begin().await?;
        // Write first, so the transaction takes the write lock (waiting its turn) before
        // it reads the picture it replaces.
        sqlx::query("UPDATE users SET updated_at = ?1 WHERE id = ?2")
            .bind(now.unix_timestamp())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let old: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT picture_key, picture_etag FROM users WHERE id = ?1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query("UPDATE users SET picture_key = ?1, picture_etag = ?2 WHERE id = ?3")
            .bind(picture.map(|p| p.key.as_str()))
            .bind(picture.map(|p| p.etag.as_str()))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(match old {
            Some((Some(key), Some(etag))) => Some(PictureRef { key, etag }),
            _ => None,
        })
    }

    async fn delete_user(&self, user_id: &str, throttle_key: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM throttle WHERE key = ?1")
            .bind(throttle_key)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = ?1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn mark_email_verified(&self, user_id: &str, email: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE users SET email_verified = 1 WHERE id = ?1 AND email = ?2")
            .bind(user_id)
            .bind(email)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn change_email(
        &self,
        user_id: &str,
        email: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET email = ?1, email_verified = 1, updated_at = ?2 WHERE id = ?3",
        )
        .bind(email)
        .bind(now.unix_timestamp())
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(map_write_error)?;
        Ok(())
    }

    async fn replace_token(&self, token: &TokenRecord) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM tokens WHERE user_id = ?1 AND purpose = ?2")
            .bind(&token.user_id)
            .bind(token.purpose.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO tokens (id_hash, user_id, purpose, email, attempts, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&token.id_hash)
        .bind(&token.user_id)
        .bind(token.purpose.as_str())
        .bind(&token.email)
        .bind(i64::from(token.attempts))
        .bind(token.created_at.unix_timestamp())
        .bind(token.expires_at.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(map_write_error)?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_token(
        &self,
        id_hash: &str,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id_hash = ?1 AND purpose = ?2 AND expires_at > ?3");
        sqlx::query_as::<_, TokenRow>(&sql)
            .bind(id_hash)
            .bind(purpose.as_str())
            .bind(now.unix_timestamp())
            .fetch_optional(&self.pool)
            .await?
            .map(TokenRecord::try_from)
            .transpose()
    }

    async fn consume_token(
        &self,
        id_hash: &str,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<TokenRecord>> {
        let sql = format!(
            "DELETE FROM tokens WHERE id_hash = ?1 AND purpose = ?2 AND expires_at > ?3 RETURNING {TOKEN_COLUMNS}"
        );
        sqlx::query_as::<_, TokenRow>(&sql)
            .bind(id_hash)
            .bind(purpose.as_str())
            .bind(now.unix_timestamp())
            .fetch_optional(&self.pool)
            .await?
            .map(TokenRecord::try_from)
            .transpose()
    }

    async fn take_token_attempt(
        &self,
        user_id: &str,
        purpose: TokenPurpose,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> StoreResult<Option<TokenRecord>> {
        let sql = format!(
            "UPDATE tokens SET attempts = attempts + 1 \
             WHERE user_id = ?1 AND purpose = ?2 AND expires_at > ?3 AND attempts < ?4 \
             RETURNING {TOKEN_COLUMNS}"
        );
        sqlx::query_as::<_, TokenRow>(&sql)
            .bind(user_id)
            .bind(purpose.as_str())
            .bind(now.unix_timestamp())
            .bind(i64::from(max_attempts))
            .fetch_optional(&self.pool)
            .await?
            .map(TokenRecord::try_from)
            .transpose()
    }

    async fn delete_tokens(&self, user_id: &str, purpose: TokenPurpose) -> StoreResult<()> {
        sqlx::query("DELETE FROM tokens WHERE user_id = ?1 AND purpose = ?2")
            .bind(user_id)
            .bind(purpose.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired_tokens(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM tokens WHERE expires_at <= ?1")
            .bind(now.unix_timestamp())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn enqueue_mail(&self, mail: &QueuedMail) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mail_queue (id, payload, attempts, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&mail.id)
        .bind(&mail.payload)
        .bind(i64::from(mail.attempts))
        .bind(mail.next_attempt_at.unix_timestamp())
        .bind(mail.created_at.unix_timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>> {
        // One statement: SQLite has a single writer, so two instances never claim the same row.
        let rows = sqlx::query_as::<_, MailRow>(
            "UPDATE mail_queue SET next_attempt_at = ?1 WHERE id IN \
               (SELECT id FROM mail_queue WHERE next_attempt_at <= ?2 ORDER BY created_at LIMIT ?3) \
             RETURNING id, payload, attempts, next_attempt_at, created_at",
        )
        .bind(lease_until.unix_timestamp())
        .bind(now.unix_timestamp())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(QueuedMail::try_from).collect()
    }

    async fn delete_mail(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM mail_queue WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn retry_mail(
        &self,
        id: &str,
        attempts: u32,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE mail_queue SET attempts = ?1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?4")
            .bind(i64::from(attempts))
            .bind(next_attempt_at.unix_timestamp())
            .bind(error)
            .bind(id)
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
        row.map(SessionRecord::try_from).transpose()
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

    async fn user_sessions(
        &self,
        user_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionRecord>> {
        let rows = sqlx::query_as::<_, SessionRow>(
            "SELECT id_hash, user_id, data, expires_at FROM sessions WHERE user_id = ?1 AND expires_at > ?2",
        )
        .bind(user_id)
        .bind(now.unix_timestamp())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(SessionRecord::try_from).collect()
    }

    async fn delete_user_session(&self, user_id: &str, id_hash: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ?1 AND id_hash = ?2")
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
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)",
        )
        .bind(user_id)
        .bind(keep)
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

    async fn throttle_take(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
        limit: u32,
    ) -> StoreResult<Option<ThrottleWindow>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "INSERT INTO throttle (key, window_start, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN throttle.window_start <= ?3 THEN 1 ELSE throttle.count + 1 END, \
               window_start = CASE WHEN throttle.window_start <= ?3 THEN ?2 ELSE throttle.window_start END \
             WHERE throttle.window_start <= ?3 OR throttle.count < ?4 \
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(now.unix_timestamp())
        .bind((now - window).unix_timestamp())
        .bind(i64::from(limit))
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

    async fn throttle_give_back(&self, key: &str, started_at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(
            "UPDATE throttle SET count = count - 1 WHERE key = ?1 AND window_start = ?2 AND count > 0",
        )
        .bind(key)
        .bind(started_at.unix_timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
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
