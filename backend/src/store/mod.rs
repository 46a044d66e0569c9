//! Persistence: one contract per concern (accounts, sessions, tokens, the mail queue,
//! throttle counters), two backends (SQLite embedded, Postgres for scale-out).
//!
//! Each concern's module holds its trait and its SQL, written once: SQLite and Postgres
//! agree on almost all of it (`$N` placeholders, `RETURNING`, `ON CONFLICT`, `TRUE`,
//! `CAST(... AS TEXT)`). A backend module (`sqlite`, `postgres`) supplies only what
//! really differs: its pool, how a timestamp is stored (Unix seconds in SQLite,
//! `TIMESTAMPTZ` in Postgres), how a unique violation names its constraint, and the one
//! query whose SQL differs (claiming mail). Both backends run the same contract tests
//! (`backend/tests/store_contract.rs`).
//!
//! The backend is chosen by the database URL's scheme. Queries are runtime
//! `sqlx::query_as`; `sqlx::Any` is not used.

mod api_tokens;
mod cache;
mod grants;
mod identities;
mod mail;
mod postgres;
mod sessions;
mod sqlite;
pub mod testing;
mod throttle;
mod tokens;
mod users;

pub use api_tokens::ApiTokens;
pub use cache::FRESH_FOR;
pub use grants::Grants;
pub use identities::{Identities, Unlinked};
pub use mail::MailQueue;
pub use postgres::PostgresStore;
pub use sessions::Sessions;
pub use sqlite::SqliteStore;
pub use throttle::Throttles;
pub use tokens::Tokens;
pub use users::Users;

use async_trait::async_trait;
use domain::{Role, Scope, User};
use std::sync::Arc;
use time::OffsetDateTime;

/// An account as stored: the public view plus what only the server may see.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user: User,
    /// `None` for an account without a password (made through an OpenID provider, and
    /// none set since); stored as the empty string.
    pub password_hash: Option<String>,
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
    /// Whether the address is known to be the person's (a provider said so).
    pub email_verified: bool,
    /// `None`: the account has no password.
    pub password_hash: Option<String>,
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

/// A personal API token as stored: its secret only as a keyed hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Vec<Scope>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A live API token as a bearer request finds it: what it may do and whose it is, from
/// one look-up.
#[derive(Clone, Debug)]
pub struct LiveApiToken {
    pub id: String,
    pub scopes: Vec<Scope>,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    /// The token's account, enabled or not.
    pub holder: UserRecord,
}

/// What a one-time sign-in grant is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// A signed URL: a GET of it signs the browser in.
    SignedUrl,
    /// A ticket: sent once to sign in elsewhere.
    Ticket,
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::SignedUrl => "signed_url",
            GrantKind::Ticket => "ticket",
        }
    }

    fn parse(text: &str) -> StoreResult<GrantKind> {
        match text {
            "signed_url" => Ok(GrantKind::SignedUrl),
            "ticket" => Ok(GrantKind::Ticket),
            other => Err(StoreError::Corrupt {
                column: "kind",
                reason: format!("unknown grant kind {other:?}"),
            }),
        }
    }
}

/// A signed URL or a ticket, as stored: only its keyed hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    pub id_hash: String,
    pub user_id: String,
    pub kind: GrantKind,
    /// For a signed URL: the path and query it was made for.
    pub target: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An identity at an outside OpenID provider, linked to an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRecord {
    pub id: String,
    pub user_id: String,
    /// The provider's id in the configuration.
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    /// The address the provider gave, if any.
    pub email: Option<String>,
    pub linked_at: OffsetDateTime,
}

impl From<IdentityRecord> for domain::LinkedIdentity {
    /// The identity as its account sees it (without the issuer, which the provider's id
    /// stands for).
    fn from(record: IdentityRecord) -> Self {
        domain::LinkedIdentity {
            id: record.id,
            provider: record.provider,
            subject: record.subject,
            email: record.email,
            linked_at: record.linked_at,
        }
    }
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
    /// An outside identity (issuer and subject) is linked already.
    Identity,
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

/// The whole store: every concern, on one database.
#[async_trait]
pub trait Store:
    Users
    + Sessions
    + Tokens
    + MailQueue
    + Throttles
    + ApiTokens
    + Grants
    + Identities
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;
    /// Brings the schema up to date.
    async fn migrate(&self) -> StoreResult<()>;
    /// Answers when the database does (for `/healthz`).
    async fn ping(&self) -> StoreResult<()>;
}

/// The whole `Store` for a backend module: every concern's SQL (see each concern's
/// module), the backend's name and its migrations.
macro_rules! impl_store {
    ($store:ident, $name:literal, $migrations:tt) => {
        static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!($migrations);

        super::users::impl_users!($store);
        super::sessions::impl_sessions!($store);
        super::tokens::impl_tokens!($store);
        super::mail::impl_mail_queue!($store);
        super::throttle::impl_throttles!($store);
        super::api_tokens::impl_api_tokens!($store);
        super::grants::impl_grants!($store);
        super::identities::impl_identities!($store);

        #[async_trait::async_trait]
        impl super::Store for $store {
            fn backend(&self) -> &'static str {
                $name
            }

            async fn migrate(&self) -> super::StoreResult<()> {
                MIGRATOR.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> super::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

use impl_store;

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

/// A failed write: a unique violation becomes `Conflict`, saying what collided by the
/// name of the constraint it broke (`constraint_name` reads it from the backend's error).
fn write_error(
    error: sqlx::Error,
    constraint_name: fn(&dyn sqlx::error::DatabaseError) -> Option<String>,
) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
            constraint_name(db.as_ref()).map_or(Unique::Key, |name| unique_by_constraint(&name)),
        ),
        _ => StoreError::Database(error),
    }
}

/// Which unique value a constraint guards, by the constraint's name (as the migrations
/// name the indexes; a primary key is `<table>_pkey`).
fn unique_by_constraint(name: &str) -> Unique {
    match name {
        "users_username_key" => Unique::Username,
        "users_email_key" => Unique::Email,
        "identities_issuer_subject_key" => Unique::Identity,
        _ => Unique::Key,
    }
}

/// A count as stored, as a `u32`: a value out of range (negative, or too large) reads
/// as the largest, so that every limit it is compared with is reached (fails closed).
fn count(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or(u32::MAX)
}

/// Scopes as stored: their names, space-separated.
fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_scopes(text: &str) -> StoreResult<Vec<Scope>> {
    text.split_whitespace()
        .map(|name| {
            Scope::parse(name).ok_or_else(|| StoreError::Corrupt {
                column: "scopes",
                reason: format!("unknown scope {name:?}"),
            })
        })
        .collect()
}

fn parse_role(text: &str) -> StoreResult<Role> {
    text.parse().map_err(|reason| StoreError::Corrupt {
        column: "role",
        reason,
    })
}
