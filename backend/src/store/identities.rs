//! Identities at outside OpenID providers (issuer + subject), linked to accounts.

use super::{IdentityRecord, NewUserRecord, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// What `unlink_identity` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlinked {
    Done,
    /// The account has no such identity.
    NotFound,
    /// It is the account's last way to sign in (no password, no other identity): kept.
    LastSignInMethod,
}

#[async_trait]
pub trait Identities {
    /// The account an identity is linked to.
    async fn identity_owner(&self, issuer: &str, subject: &str) -> StoreResult<Option<String>>;
    /// Links an identity; `Conflict(Identity)` when it is linked already (to any account).
    async fn link_identity(&self, identity: &IdentityRecord) -> StoreResult<()>;
    /// In one transaction: creates the account (`Conflict(Username | Email)` as
    /// `insert_user`) and links the identity to it (`Conflict(Identity)`).
    async fn create_user_with_identity(
        &self,
        user: &NewUserRecord,
        identity: &IdentityRecord,
    ) -> StoreResult<()>;
    /// The account's identities, oldest link first.
    async fn identities_of(&self, user_id: &str) -> StoreResult<Vec<IdentityRecord>>;
    /// Unlinks one of the account's identities unless the account would be left with no
    /// way to sign in (no password and no other identity). The account's row is locked
    /// first, so two unlinks at once cannot both take the last two.
    async fn unlink_identity(
        &self,
        user_id: &str,
        identity_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Unlinked>;
}

/// `Identities` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies).
macro_rules! impl_identities {
    ($store:ty) => {
        const IDENTITY_COLUMNS: &str = "id, user_id, provider, issuer, subject, email, linked_at";

        #[derive(sqlx::FromRow)]
        struct IdentityRow {
            id: String,
            user_id: String,
            provider: String,
            issuer: String,
            subject: String,
            email: Option<String>,
            linked_at: Time,
        }

        impl TryFrom<IdentityRow> for $crate::store::IdentityRecord {
            type Error = $crate::store::StoreError;

            fn try_from(row: IdentityRow) -> $crate::store::StoreResult<Self> {
                Ok($crate::store::IdentityRecord {
                    id: row.id,
                    user_id: row.user_id,
                    provider: row.provider,
                    issuer: row.issuer,
                    subject: row.subject,
                    email: row.email,
                    linked_at: from_db(row.linked_at, "linked_at")?,
                })
            }
        }

        async fn insert_identity<'e, E>(
            executor: E,
            identity: &$crate::store::IdentityRecord,
        ) -> $crate::store::StoreResult<()>
        where
            E: sqlx::Executor<'e, Database = Db>,
        {
            sqlx::query(
                "INSERT INTO identities (id, user_id, provider, issuer, subject, email, linked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&identity.id)
            .bind(&identity.user_id)
            .bind(&identity.provider)
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .bind(&identity.email)
            .bind(to_db(identity.linked_at))
            .execute(executor)
            .await
            .map_err(write_error)?;
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::store::Identities for $store {
            async fn identity_owner(
                &self,
                issuer: &str,
                subject: &str,
            ) -> $crate::store::StoreResult<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2",
                )
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn link_identity(
                &self,
                identity: &$crate::store::IdentityRecord,
            ) -> $crate::store::StoreResult<()> {
                insert_identity(&self.pool, identity).await
            }

            async fn create_user_with_identity(
                &self,
                user: &$crate::store::NewUserRecord,
                identity: &$crate::store::IdentityRecord,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                insert_user_row(&mut *tx, user).await?;
                insert_identity(&mut *tx, identity).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn identities_of(
                &self,
                user_id: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::IdentityRecord>> {
                let sql = format!(
                    "SELECT {IDENTITY_COLUMNS} FROM identities WHERE user_id = $1 \
                     ORDER BY linked_at, id"
                );
                sqlx::query_as::<_, IdentityRow>(&sql)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect()
            }

            async fn unlink_identity(
                &self,
                user_id: &str,
                identity_id: &str,
                now: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<$crate::store::Unlinked> {
                use $crate::store::Unlinked;
                let mut tx = self.pool.begin().await?;
                // The first write takes the account's row lock (Postgres) or the write
                // lock (SQLite) before anything is counted.
                let has_password: Option<bool> = sqlx::query_scalar(
                    "UPDATE users SET updated_at = $1 WHERE id = $2 \
                     RETURNING password_hash <> $3",
                )
                .bind(to_db(now))
                .bind(user_id)
                .bind($crate::store::users::NO_PASSWORD)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(has_password) = has_password else {
                    return Ok(Unlinked::NotFound);
                };
                let linked: Vec<String> =
                    sqlx::query_scalar("SELECT id FROM identities WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_all(&mut *tx)
                        .await?;
                if !linked.iter().any(|id| id == identity_id) {
                    return Ok(Unlinked::NotFound);
                }
                if !has_password && linked.len() == 1 {
                    return Ok(Unlinked::LastSignInMethod);
                }
                sqlx::query("DELETE FROM identities WHERE id = $1 AND user_id = $2")
                    .bind(identity_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Unlinked::Done)
            }
        }
    };
}

pub(super) use impl_identities;
