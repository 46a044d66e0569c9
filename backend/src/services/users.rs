//! Finding accounts: the lookups every workflow starts from.

use crate::store::UserRecord;
use crate::AppState;
use domain::{AppError, LoginId, User};

/// The account with this id, if it exists and is not disabled.
pub async fn enabled_by_id(state: &AppState, id: &str) -> Result<Option<User>, AppError> {
    Ok(state
        .store
        .user_by_id(id)
        .await?
        .filter(|record| !record.disabled)
        .map(|record| record.user))
}

/// The account a sign-in names, by username or email address, enabled or not.
pub async fn find_by_login(
    state: &AppState,
    login: &LoginId,
) -> Result<Option<UserRecord>, AppError> {
    Ok(match login {
        LoginId::Email(email) => state.store.user_by_email(email.as_str()).await?,
        LoginId::Username(key) => state.store.user_by_username(key).await?,
    })
}
