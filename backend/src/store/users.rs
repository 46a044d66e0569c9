//! Accounts: the `users` table, and the credential changes that must be written together
//! with what hangs off an account (its sessions, tokens and throttle counter).

use super::{NewPassword, NewUserRecord, PictureRef, StoreResult, UserRecord};
use async_trait::async_trait;
use domain::ProfileChanges;
use time::OffsetDateTime;

#[async_trait]
pub trait Users {
    /// Fails with `Conflict(Username | Email)` when either is taken (case-insensitively).
    async fn insert_user(&self, user: &NewUserRecord) -> StoreResult<()>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRecord>>;
    /// `key` is the lower-case username.
    async fn user_by_username(&self, key: &str) -> StoreResult<Option<UserRecord>>;
    /// `email` is normalised (lower-case).
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    /// Replaces the hash alone (a rehash with today's parameters of the same password).
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
}

/// What `password_hash` holds for an account without a password: no argon2 PHC string
/// is empty, so no password ever matches it.
pub const NO_PASSWORD: &str = "";

/// `Users` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies).
macro_rules! impl_users {
    ($store:ty) => {
        use $crate::store::users::NO_PASSWORD;

        const USER_COLUMNS: &str = "id, username, email, email_verified, password_hash, \
             first_name, last_name, bio, location, birth_date, timezone, language, role, \
             disabled, created_at, picture_key, picture_etag";

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
            birth_date: Option<time::Date>,
            timezone: String,
            language: String,
            role: String,
            disabled: bool,
            created_at: Time,
            picture_key: Option<String>,
            picture_etag: Option<String>,
        }

        impl TryFrom<UserRow> for $crate::store::UserRecord {
            type Error = $crate::store::StoreError;

            fn try_from(row: UserRow) -> $crate::store::StoreResult<Self> {
                let picture = match (row.picture_key, row.picture_etag) {
                    (Some(key), Some(etag)) => Some($crate::store::PictureRef { key, etag }),
                    _ => None,
                };
                Ok($crate::store::UserRecord {
                    user: domain::User {
                        id: row.id,
                        email: row.email,
                        email_verified: row.email_verified,
                        first_name: row.first_name,
                        last_name: row.last_name,
                        bio: row.bio,
                        location: row.location,
                        birth_date: row.birth_date,
                        timezone: row.timezone,
                        language: row.language,
                        picture_url: picture
                            .as_ref()
                            .map(|p| domain::picture_url(&row.username, &p.etag)),
                        username: row.username,
                        role: $crate::store::parse_role(&row.role)?,
                        created_at: from_db(row.created_at, "created_at")?,
                    },
                    password_hash: Some(row.password_hash)
                        .filter(|hash| hash.as_str() != NO_PASSWORD),
                    disabled: row.disabled,
                    picture,
                })
            }
        }

        /// Writes a new account's row (`NO_PASSWORD` for an account without one).
        async fn insert_user_row<'e, E>(
            executor: E,
            user: &$crate::store::NewUserRecord,
        ) -> $crate::store::StoreResult<()>
        where
            E: sqlx::Executor<'e, Database = Db>,
        {
            sqlx::query(
                "INSERT INTO users (id, username, email, email_verified, password_hash, role, \
                 language, timezone, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(&user.id)
            .bind(&user.username)
            .bind(&user.email)
            .bind(user.email_verified)
            .bind(user.password_hash.as_deref().unwrap_or(NO_PASSWORD))
            .bind(user.role.as_str())
            .bind(&user.language)
            .bind(&user.timezone)
            .bind(to_db(user.created_at))
            .execute(executor)
            .await
            .map_err(write_error)?;
            Ok(())
        }

        impl $store {
            async fn user_where(
                &self,
                condition: &str,
                value: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
                sqlx::query_as::<_, UserRow>(&sql)
                    .bind(value)
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::store::UserRecord::try_from)
                    .transpose()
            }
        }

        /// The writes of a new password after the first one, on the caller's
        /// transaction: the hash, the sessions, the outstanding reset links and codes,
        /// the failed-sign-in counter. Returns how many sessions ended.
        async fn apply_new_password(
            tx: &mut <Db as sqlx::Database>::Connection,
            change: &$crate::store::NewPassword<'_>,
        ) -> $crate::store::StoreResult<u64> {
            use $crate::store::TokenPurpose;
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(change.password_hash)
                .bind(to_db(change.now))
                .bind(change.user_id)
                .execute(&mut *tx)
                .await?;
            let ended = sqlx::query(
                "DELETE FROM sessions WHERE user_id = $1 \
                 AND (CAST($2 AS TEXT) IS NULL OR id_hash <> $2)",
            )
            .bind(change.user_id)
            .bind(change.keep_session)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND purpose IN ($2, $3)")
                .bind(change.user_id)
                .bind(TokenPurpose::ResetPassword.as_str())
                .bind(TokenPurpose::LoginCode.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM throttle WHERE key = $1")
                .bind(change.throttle_key)
                .execute(&mut *tx)
                .await?;
            Ok(ended)
        }

        #[async_trait::async_trait]
        impl $crate::store::Users for $store {
            async fn insert_user(
                &self,
                user: &$crate::store::NewUserRecord,
            ) -> $crate::store::StoreResult<()> {
                insert_user_row(&self.pool, user).await
            }

            async fn user_by_id(
                &self,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                if let Some(user) = self.cache.user(id) {
                    return Ok(Some(user));
                }
                let ticket = self.cache.ticket();
                let user = self.user_where("id = $1", id).await?;
                if let Some(user) = &user {
                    self.cache.fill_user(ticket, user);
                }
                Ok(user)
            }

            async fn user_by_username(
                &self,
                key: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                self.user_where("lower(username) = $1", key).await
            }

            async fn user_by_email(
                &self,
                email: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                self.user_where("email = $1", email).await
            }

            async fn set_password_hash(
                &self,
                user_id: &str,
                hash: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                let _forget = self.cache.writing_account();
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(to_db(now))
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn change_password(
                &self,
                change: &$crate::store::NewPassword<'_>,
            ) -> $crate::store::StoreResult<u64> {
                let _forget = self.cache.writing_account();
                let mut tx = self.pool.begin().await?;
                let ended = apply_new_password(&mut tx, change).await?;
                tx.commit().await?;
                Ok(ended)
            }

            async fn reset_password(
                &self,
                token_hash: &str,
                change: &$crate::store::NewPassword<'_>,
            ) -> $crate::store::StoreResult<Option<u64>> {
                let _forget = self.cache.writing_account();
                let mut tx = self.pool.begin().await?;
                // Spending the token is the transaction's first write, so it also takes
                // the write lock first.
                let spent = sqlx::query(
                    "DELETE FROM tokens WHERE id_hash = $1 AND user_id = $2 AND purpose = $3 \
                     AND expires_at > $4",
                )
                .bind(token_hash)
                .bind(change.user_id)
                .bind($crate::store::TokenPurpose::ResetPassword.as_str())
                .bind(to_db(change.now))
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
                changes: &domain::ProfileChanges,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                let _forget = self.cache.writing_account();
                sqlx::query(
                    "UPDATE users SET \
                       first_name = CASE WHEN $1 THEN $2 ELSE first_name END, \
                       last_name = CASE WHEN $3 THEN $4 ELSE last_name END, \
                       bio = CASE WHEN $5 THEN $6 ELSE bio END, \
                       location = CASE WHEN $7 THEN $8 ELSE location END, \
                       birth_date = CASE WHEN $9 THEN $10 ELSE birth_date END, \
                       timezone = COALESCE($11, timezone), \
                       language = COALESCE($12, language), \
                       updated_at = $13 \
                     WHERE id = $14",
                )
                .bind(changes.first_name.is_some())
                .bind(changes.first_name.clone().flatten())
                .bind(changes.last_name.is_some())
                .bind(changes.last_name.clone().flatten())
                .bind(changes.bio.is_some())
                .bind(changes.bio.clone().flatten())
                .bind(changes.location.is_some())
                .bind(changes.location.clone().flatten())
                .bind(changes.birth_date.is_some())
                .bind(changes.birth_date.flatten())
                .bind(&changes.timezone)
                .bind(&changes.language)
                .bind(to_db(now))
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn set_picture(
                &self,
                user_id: &str,
                picture: Option<&$crate::store::PictureRef>,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<Option<$crate::store::PictureRef>> {
                let _forget = self.cache.writing_account();
                let mut tx = self.pool.begin().await?;
                // Write first, so the transaction takes the write lock (waiting its turn)
                // before it reads the picture it replaces.
                sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
                    .bind(to_db(now))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                let old: Option<(Option<String>, Option<String>)> =
                    sqlx::query_as("SELECT picture_key, picture_etag FROM users WHERE id = $1")
                        .bind(user_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                sqlx::query("UPDATE users SET picture_key = $1, picture_etag = $2 WHERE id = $3")
                    .bind(picture.map(|p| p.key.as_str()))
                    .bind(picture.map(|p| p.etag.as_str()))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(match old {
                    Some((Some(key), Some(etag))) => Some($crate::store::PictureRef { key, etag }),
                    _ => None,
                })
            }

            async fn delete_user(
                &self,
                user_id: &str,
                throttle_key: &str,
            ) -> $crate::store::StoreResult<bool> {
                let _forget = self.cache.writing_account();
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM throttle WHERE key = $1")
                    .bind(throttle_key)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn mark_email_verified(
                &self,
                user_id: &str,
                email: &str,
            ) -> $crate::store::StoreResult<bool> {
                let _forget = self.cache.writing_account();
                let done = sqlx::query(
                    "UPDATE users SET email_verified = TRUE WHERE id = $1 AND email = $2",
                )
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
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                let _forget = self.cache.writing_account();
                sqlx::query(
                    "UPDATE users SET email = $1, email_verified = TRUE, updated_at = $2 \
                     WHERE id = $3",
                )
                .bind(email)
                .bind(to_db(now))
                .bind(user_id)
                .execute(&self.pool)
                .await
                .map_err(write_error)?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_users;
