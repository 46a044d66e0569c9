//! One-time tokens and codes (email verification, password reset, email change, sign-in
//! codes): only their keyed hashes are stored.

use super::{StoreResult, TokenPurpose, TokenRecord};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait Tokens {
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
}

/// `Tokens` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies).
macro_rules! impl_tokens {
    ($store:ty) => {
        const TOKEN_COLUMNS: &str =
            "id_hash, user_id, purpose, email, attempts, created_at, expires_at";

        #[derive(sqlx::FromRow)]
        struct TokenRow {
            id_hash: String,
            user_id: String,
            purpose: String,
            email: String,
            attempts: i64,
            created_at: Time,
            expires_at: Time,
        }

        impl TryFrom<TokenRow> for $crate::store::TokenRecord {
            type Error = $crate::store::StoreError;

            fn try_from(row: TokenRow) -> $crate::store::StoreResult<Self> {
                Ok($crate::store::TokenRecord {
                    id_hash: row.id_hash,
                    user_id: row.user_id,
                    purpose: $crate::store::TokenPurpose::parse(&row.purpose)?,
                    email: row.email,
                    attempts: $crate::store::count(row.attempts),
                    created_at: from_db(row.created_at, "created_at")?,
                    expires_at: from_db(row.expires_at, "expires_at")?,
                })
            }
        }

        impl $store {
            /// One token (or none) that a query names.
            async fn token_where(
                &self,
                sql: &str,
                first: &str,
                purpose: $crate::store::TokenPurpose,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::TokenRecord>> {
                sqlx::query_as::<_, TokenRow>(sql)
                    .bind(first)
                    .bind(purpose.as_str())
                    .bind(to_db(now))
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::store::TokenRecord::try_from)
                    .transpose()
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Tokens for $store {
            async fn replace_token(
                &self,
                token: &$crate::store::TokenRecord,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND purpose = $2")
                    .bind(&token.user_id)
                    .bind(token.purpose.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO tokens (id_hash, user_id, purpose, email, attempts, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&token.id_hash)
                .bind(&token.user_id)
                .bind(token.purpose.as_str())
                .bind(&token.email)
                .bind(i64::from(token.attempts))
                .bind(to_db(token.created_at))
                .bind(to_db(token.expires_at))
                .execute(&mut *tx)
                .await
                .map_err(write_error)?;
                tx.commit().await?;
                Ok(())
            }

            async fn find_token(
                &self,
                id_hash: &str,
                purpose: $crate::store::TokenPurpose,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::TokenRecord>> {
                let sql = format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens \
                     WHERE id_hash = $1 AND purpose = $2 AND expires_at > $3"
                );
                self.token_where(&sql, id_hash, purpose, now).await
            }

            async fn consume_token(
                &self,
                id_hash: &str,
                purpose: $crate::store::TokenPurpose,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::TokenRecord>> {
                let sql = format!(
                    "DELETE FROM tokens WHERE id_hash = $1 AND purpose = $2 AND expires_at > $3 \
                     RETURNING {TOKEN_COLUMNS}"
                );
                self.token_where(&sql, id_hash, purpose, now).await
            }

            async fn take_token_attempt(
                &self,
                user_id: &str,
                purpose: $crate::store::TokenPurpose,
                now: time::OffsetDateTime,
                max_attempts: u32,
            ) -> $crate::store::StoreResult<Option<$crate::store::TokenRecord>> {
                let sql = format!(
                    "UPDATE tokens SET attempts = attempts + 1 \
                     WHERE user_id = $1 AND purpose = $2 AND expires_at > $3 AND attempts < $4 \
                     RETURNING {TOKEN_COLUMNS}"
                );
                sqlx::query_as::<_, TokenRow>(&sql)
                    .bind(user_id)
                    .bind(purpose.as_str())
                    .bind(to_db(now))
                    .bind(i64::from(max_attempts))
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::store::TokenRecord::try_from)
                    .transpose()
            }

            async fn delete_tokens(
                &self,
                user_id: &str,
                purpose: $crate::store::TokenPurpose,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND purpose = $2")
                    .bind(user_id)
                    .bind(purpose.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_tokens(
                &self,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM tokens WHERE expires_at <= $1")
                    .bind(to_db(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(super) use impl_tokens;
