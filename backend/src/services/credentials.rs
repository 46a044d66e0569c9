//! Checking credentials: passwords against their hashes, under the failed-sign-in
//! throttle. Every sign-in by password and every change that asks for the current
//! password comes through here.

use super::throttle::{address_bucket, Limit, Throttle};
use super::users;
use crate::request::ClientInfo;
use crate::store::UserRecord;
use crate::AppState;
use domain::{AppError, Credentials, Password, User};
use time::OffsetDateTime;

/// Signs in by username or email and password.
///
/// Every way of failing answers `InvalidCredentials`, in about the same time (an unknown
/// account is checked against a dummy hash). Failures are counted per account and per
/// client address; past the limit the answer is 429 until the window ends, even for the
/// right password.
pub async fn authenticate(
    state: &AppState,
    login: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<User, AppError> {
    let credentials = Credentials::parse(login, password)?;
    let record = users::find_by_login(state, &credentials.login).await?;
    // Names without an account are counted too, so that 429 does not tell who exists.
    let account_key = match &record {
        Some(record) => account_throttle_key(&record.user.id),
        None => format!("login:{}", credentials.login.key()),
    };
    match verify_password(
        state,
        &account_key,
        record.as_ref(),
        &credentials.password,
        client,
    )
    .await?
    {
        Some(record) if !state.rules().may_sign_in(&record.user) => Err(AppError::EmailNotVerified),
        Some(record) => Ok(record.user),
        None => Err(AppError::InvalidCredentials),
    }
}

/// The throttle counter of failed sign-ins (password or code) for an account.
pub fn account_throttle_key(user_id: &str) -> String {
    format!("login:account:{user_id}")
}

/// The failed-sign-in limits: per account (or per name without one) and per address.
pub fn sign_in_limits(state: &AppState, account_key: &str, client: &ClientInfo) -> [Limit; 2] {
    let rules = &state.rules().throttle;
    [
        Limit {
            key: account_key.to_owned(),
            max_failures: rules.failed_logins_per_account,
        },
        Limit {
            key: format!("login:address:{}", address_bucket(client.address)),
            max_failures: rules.failed_logins_per_address,
        },
    ]
}

/// Checks a password for an account (or against a dummy hash when there is none), under
/// the failed-sign-in throttle: the attempt is counted for the account and the client's
/// address before the hash is computed, and past the limit it is refused with 429
/// without one. A success gives the attempt back and clears the account's count.
/// Returns the account when the password is right.
async fn verify_password(
    state: &AppState,
    account_key: &str,
    record: Option<&UserRecord>,
    password: &Password,
    client: &ClientInfo,
) -> Result<Option<UserRecord>, AppError> {
    let limits = sign_in_limits(state, account_key, client);
    let throttle = Throttle::new(state.store.as_ref(), state.rules().throttle.window_seconds);
    let attempt = throttle.begin(&limits, OffsetDateTime::now_utc()).await?;

    // An account without a password is checked against the dummy hash, like no account.
    let stored_hash = record.and_then(|r| r.password_hash.as_deref());
    let verification = state.hasher.verify(password, stored_hash).await?;
    match record {
        Some(record) if verification.valid && !record.disabled => {
            throttle.succeeded(attempt).await?;
            throttle.clear(account_key).await?;
            if verification.needs_rehash {
                upgrade_hash(state, record, password).await;
            }
            Ok(Some(record.clone()))
        }
        _ => {
            tracing::info!(address = %client.address, "failed password check");
            Ok(None)
        }
    }
}

/// Checks the password of a signed-in account before a sensitive change; a wrong one is
/// a message next to `field` (and counts as a failed sign-in).
pub async fn confirm_password(
    state: &AppState,
    user_id: &str,
    password: &Password,
    field: &str,
    client: &ClientInfo,
) -> Result<UserRecord, AppError> {
    let record = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    verify_password(
        state,
        &account_throttle_key(user_id),
        Some(&record),
        password,
        client,
    )
    .await?
    .ok_or_else(|| AppError::validation(field, "Incorrect password"))
}

/// Re-hashes a password stored with older parameters. Best effort: the sign-in succeeds
/// whether or not this does.
async fn upgrade_hash(state: &AppState, record: &UserRecord, password: &Password) {
    let result = async {
        let hash = state.hasher.hash(password).await?;
        state
            .store
            .set_password_hash(&record.user.id, &hash, OffsetDateTime::now_utc())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(user_id = %record.user.id, %error, "could not upgrade the password hash");
    }
}
