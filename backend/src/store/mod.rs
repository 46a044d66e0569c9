//! Persistence: one `Store` contract, two backends (SQLite embedded, Postgres for scale-out).
//!
//! The backend is chosen by the database URL's scheme. Both implementations run the same
//! contract tests (`app/tests/store_contract.rs`). Queries are runtime `sqlx::query_as`
//! with portable SQL; each backend converts its own column types to the records below.

mod postgres;
mod sqlite;
pub mod testing;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use domain::{ProfileChanges, Role, User};
use std::sync::Arc;
use time::OffsetDateTime;

/// An account as stored: the public view plus what only the server may see.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
    pub picture: Option<PictureRef>,
}

/// Where a processed profile picture is kept, and the digest of its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureRef {
    pub key: String,
    pub etag: String,
}

/// What `insert_user` writes.
#[derive(Clone, Debug)]
pub struct NewUserRecord {
    pub id: String,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub language: String,
    pub timezone: String,
    pub created_at: OffsetDateTime,
}

/// A browser session. `id_hash` is the keyed hash of the cookie's id, never the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: Option<String>,
    /// The session's key/value record as JSON text.
    pub data: String,
    pub expires_at: OffsetDateTime,
}

/// What a one-time token or code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
    LoginCode,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::ChangeEmail => "change_email",
            TokenPurpose::LoginCode => "login_code",
        }
    }

    fn parse(text: &str) -> StoreResult<TokenPurpose> {
        Ok(match text {
            "verify_email" => TokenPurpose::VerifyEmail,
            "reset_password" => TokenPurpose::ResetPassword,
            "change_email" => TokenPurpose::ChangeEmail,
            "login_code" => TokenPurpose::LoginCode,
            other => {
                return Err(StoreError::Corrupt {
                    column: "purpose",
                    reason: format!("unknown token purpose {other:?}"),
                })
            }
        })
    }
}

/// A one-time token or code, as stored: only its keyed hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id_hash: String,
    pub user_id: String,
    pub purpose: TokenPurpose,
    /// The address it was mailed to.
    pub email: String,
    pub attempts: u32,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A message waiting in the outgoing queue; `payload` is encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: String,
    pub payload: Vec<u8>,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

/// A throttle counter: how many events since the window started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleWindow {
    pub count: u32,
    pub started_at: OffsetDateTime,
}

/// A new password and what must change with it, written together or not at all (see
/// `Store::change_password`).
#[derive(Clone, Copy, Debug)]
pub struct NewPassword<'a> {
    pub user_id: &'a str,
    pub password_hash: &'a str,
    /// The session that stays signed in (the one making the change), by its id hash;
    /// `None` ends them all.
    pub keep_session: Option<&'a str>,
    /// The account's failed-sign-in counter, forgotten with the old password.
    pub throttle_key: &'a str,
    pub now: OffsetDateTime,
}

/// Which unique value a write collided with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unique {
    Username,
    Email,
    /// A primary key (e.g. a session id hash) already exists.
    Key,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique value already taken: {0:?}")]
    Conflict(Unique),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unreadable value in column {column}: {reason}")]
    Corrupt {
        column: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Config(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;
    /// Brings the schema up to date.
    async fn migrate(&self) -> StoreResult<()>;
    /// Answers when the database does (for `/healthz`).
    async fn ping(&self) -> StoreResult<()>;

    // --- accounts
    /// Fails with `Conflict(Username | Email)` when either is taken (case-insensitively).
    async fn insert_user(&self, user: &NewUserRecord) -> StoreResult<()>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRecord>>;
    /// `key` is the lower-case username.
    async fn user_by_username(&self, key: &str) -> StoreResult<Option<UserRecord>>;
    /// `email` is normalised (lower-case).
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// In one transaction: stores the new hash, ends the account's sessions (all but
    /// `keep_session`), spends its outstanding reset links and sign-in codes and forgets
    /// its failed sign-ins. Returns how many sessions ended. On any failure nothing
    /// changes.
    async fn change_password(&self, change: &NewPassword<'_>) -> StoreResult<u64>;
    /// In one transaction: spends the live reset token `token_hash` of
    /// `change.user_id`, then does all that `change_password` does. `None`, with nothing
    /// changed, when the token is not live (unknown, spent, expired or another account's).
    async fn reset_password(
        &self,
        token_hash: &str,
        change: &NewPassword<'_>,
    ) -> StoreResult<Option<u64>>;
    /// Applies the fields that `changes` names, each on its own (concurrent edits of
    /// different fields do not undo each other).
    async fn update_profile(
        &self,
        user_id: &str,
        changes: &ProfileChanges,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Sets or clears the picture; returns the one it replaced.
    async fn set_picture(
        &self,
        user_id: &str,
        picture: Option<&PictureRef>,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PictureRef>>;
    /// In one transaction: deletes the account and everything that belongs to it
    /// (sessions and tokens cascade) and its failed-sign-in counter `throttle_key`;
    /// returns whether it existed.
    async fn delete_user(&self, user_id: &str, throttle_key: &str) -> StoreResult<bool>;
    /// Marks the address verified, if it is still the account's address.
    async fn mark_email_verified(&self, user_id: &str, email: &str) -> StoreResult<bool>;
    /// Makes `email` (verified) the account's address; `Conflict(Email)` when taken.
    async fn change_email(
        &self,
        user_id: &str,
        email: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    // --- one-time tokens
    /// Stores a token, replacing the account's other tokens of the same purpose (a newer
    /// request makes the older one worthless).
    async fn replace_token(&self, token: &TokenRecord) -> StoreResult<()>;
    /// A live token, without using it.
    async fn find_token(
        &self,
        id_hash: &str,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<TokenRecord>>;
    /// Takes a live token for use: deleted and returned, at most once.
    async fn consume_token(
        &self,
        id_hash: &str,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<TokenRecord>>;
    /// Counts a guess at the account's live token of that purpose before it is compared,
    /// atomically, and returns the token with the guess counted; `None` when there is no
    /// live token or it has already had `max_attempts` guesses. However many guesses
    /// arrive at once, at most `max_attempts` are ever let through.
    async fn take_token_attempt(
        &self,
        user_id: &str,
        purpose: TokenPurpose,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> StoreResult<Option<TokenRecord>>;
    async fn delete_tokens(&self, user_id: &str, purpose: TokenPurpose) -> StoreResult<()>;
    async fn delete_expired_tokens(&self, now: OffsetDateTime) -> StoreResult<u64>;

    // --- outgoing mail
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

    // --- sessions
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

    // --- throttle
    /// Counts one event for `key`: starts a new window at `now` when the current one began
    /// at or before `now - window`, else adds one. Returns the window after the update.
    async fn throttle_hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<ThrottleWindow>;
    /// Takes one of `limit` slots in `key`'s window for an attempt that is about to be
    /// evaluated: like `throttle_hit`, but only while the window holds fewer than `limit`,
    /// in one atomic statement. Returns the window after taking the slot, or `None` when
    /// it is full. However many attempts arrive at once, at most `limit` get a slot.
    async fn throttle_take(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
        limit: u32,
    ) -> StoreResult<Option<ThrottleWindow>>;
    /// Gives back a slot taken by `throttle_take` in the window that began at
    /// `started_at` (an attempt that turned out not to count); nothing if that window
    /// has ended since.
    async fn throttle_give_back(&self, key: &str, started_at: OffsetDateTime) -> StoreResult<()>;
    /// The current window for `key`, if one is still open at `now`.
    async fn throttle_peek(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<Option<ThrottleWindow>>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
    /// Forgets windows that began before `before`.
    async fn prune_throttle(&self, before: OffsetDateTime) -> StoreResult<u64>;
}

/// Opens the database the URL names: `sqlite://...` or `postgres://...`.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::Config(
            "the database URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// Which unique index a database error names, if it is a unique violation. Both backends
/// name the index or column in the constraint or the message.
fn unique_violation(error: &sqlx::Error) -> Option<Unique> {
    let sqlx::Error::Database(db) = error else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
    Some(if text.contains("username") {
        Unique::Username
    } else if text.contains("email") {
        Unique::Email
    } else {
        Unique::Key
    })
}

fn map_write_error(error: sqlx::Error) -> StoreError {
    match unique_violation(&error) {
        Some(which) => StoreError::Conflict(which),
        None => StoreError::Database(error),
    }
}

fn parse_role(text: &str) -> StoreResult<Role> {
    text.parse().map_err(|reason| StoreError::Corrupt {
        column: "role",
        reason,
    })
}
