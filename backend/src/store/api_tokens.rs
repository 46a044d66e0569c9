//! Personal API tokens: only a keyed hash of each secret is stored.

use super::{ApiTokenRecord, LiveApiToken, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait ApiTokens {
    async fn insert_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()>;
    /// The account's tokens, live or not, newest first.
    async fn api_tokens_of(&self, user_id: &str) -> StoreResult<Vec<ApiTokenRecord>>;
    /// One of the account's tokens; `None` for another account's.
    async fn api_token(&self, user_id: &str, id: &str) -> StoreResult<Option<ApiTokenRecord>>;
    /// Revokes one of the account's tokens at `now` (it expires at once); false when
    /// the account has no token with that id.
    async fn revoke_api_token(
        &self,
        user_id: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// The live (unexpired, unrevoked) token whose secret has this keyed hash, with its
    /// account: one indexed query, as every bearer request makes.
    async fn live_api_token(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<LiveApiToken>>;
    /// Records that the token was used at `now`.
    async fn touch_api_token(&self, id: &str, now: OffsetDateTime) -> StoreResult<()>;
}

/// `ApiTokens` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies). A live token is read with its account,
/// in the account's own columns and row type (`USER_COLUMNS`, `UserRow` of
/// `impl_users!`, which the same module instantiates).
macro_rules! impl_api_tokens {
    ($store:ty) => {
        const API_TOKEN_COLUMNS: &str = "id, user_id, name, secret_hash, scopes, created_at, \
             expires_at, last_used_at, revoked_at";

        #[derive(sqlx::FromRow)]
        struct ApiTokenRow {
            id: String,
            user_id: String,
            name: String,
            secret_hash: String,
            scopes: String,
            created_at: Time,
            expires_at: Time,
            last_used_at: Option<Time>,
            revoked_at: Option<Time>,
        }

        #[derive(sqlx::FromRow)]
        struct LiveApiTokenRow {
            #[sqlx(flatten)]
            holder: UserRow,
            token_id: String,
            token_scopes: String,
            token_expires_at: Time,
            token_last_used_at: Option<Time>,
        }

        impl TryFrom<ApiTokenRow> for $crate::store::ApiTokenRecord {
            type Error = $crate::store::StoreError;

            fn try_from(row: ApiTokenRow) -> $crate::store::StoreResult<Self> {
                let at = |time: Option<Time>, column| time.map(|t| from_db(t, column)).transpose();
                Ok($crate::store::ApiTokenRecord {
                    scopes: $crate::store::parse_scopes(&row.scopes)?,
                    id: row.id,
                    user_id: row.user_id,
                    name: row.name,
                    secret_hash: row.secret_hash,
                    created_at: from_db(row.created_at, "created_at")?,
                    expires_at: from_db(row.expires_at, "expires_at")?,
                    last_used_at: at(row.last_used_at, "last_used_at")?,
                    revoked_at: at(row.revoked_at, "revoked_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ApiTokens for $store {
            async fn insert_api_token(
                &self,
                token: &$crate::store::ApiTokenRecord,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO api_tokens (id, user_id, name, secret_hash, scopes, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&token.id)
                .bind(&token.user_id)
                .bind(&token.name)
                .bind(&token.secret_hash)
                .bind($crate::store::scopes_text(&token.scopes))
                .bind(to_db(token.created_at))
                .bind(to_db(token.expires_at))
                .execute(&self.pool)
                .await
                .map_err(write_error)?;
                Ok(())
            }

            async fn api_tokens_of(
                &self,
                user_id: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ApiTokenRecord>> {
                let sql = format!(
                    "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 \
                     ORDER BY created_at DESC, id DESC"
                );
                let rows = sqlx::query_as::<_, ApiTokenRow>(&sql)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map($crate::store::ApiTokenRecord::try_from)
                    .collect()
            }

            async fn api_token(
                &self,
                user_id: &str,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::ApiTokenRecord>> {
                let sql = format!(
                    "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 AND id = $2"
                );
                sqlx::query_as::<_, ApiTokenRow>(&sql)
                    .bind(user_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::store::ApiTokenRecord::try_from)
                    .transpose()
            }

            async fn revoke_api_token(
                &self,
                user_id: &str,
                id: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<bool> {
                let _forget = self.cache.writing_api_tokens();
                let done = sqlx::query(
                    "UPDATE api_tokens SET \
                       revoked_at = COALESCE(revoked_at, $3), \
                       expires_at = CASE WHEN expires_at > $3 THEN $3 ELSE expires_at END \
                     WHERE user_id = $1 AND id = $2",
                )
                .bind(user_id)
                .bind(id)
                .bind(to_db(now))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn live_api_token(
                &self,
                secret_hash: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::LiveApiToken>> {
                if let Some(token) = self.cache.api_token(secret_hash) {
                    return Ok((token.expires_at > now).then_some(token));
                }
                let ticket = self.cache.ticket();
                let sql = format!(
                    "SELECT {USER_COLUMNS}, token_id, token_scopes, token_expires_at, \
                       token_last_used_at \
                     FROM users JOIN ( \
                       SELECT id AS token_id, user_id AS token_user_id, scopes AS token_scopes, \
                              expires_at AS token_expires_at, last_used_at AS token_last_used_at \
                       FROM api_tokens \
                       WHERE secret_hash = $1 AND expires_at > $2 AND revoked_at IS NULL \
                     ) AS token ON token.token_user_id = users.id"
                );
                let Some(row) = sqlx::query_as::<_, LiveApiTokenRow>(&sql)
                    .bind(secret_hash)
                    .bind(to_db(now))
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let token = $crate::store::LiveApiToken {
                    scopes: $crate::store::parse_scopes(&row.token_scopes)?,
                    expires_at: from_db(row.token_expires_at, "expires_at")?,
                    last_used_at: row
                        .token_last_used_at
                        .map(|t| from_db(t, "last_used_at"))
                        .transpose()?,
                    id: row.token_id,
                    holder: $crate::store::UserRecord::try_from(row.holder)?,
                };
                self.cache.fill_api_token(ticket, secret_hash, &token);
                Ok(Some(token))
            }

            async fn touch_api_token(
                &self,
                id: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                let _forget = self.cache.writing_api_tokens();
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(to_db(now))
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_api_tokens;
