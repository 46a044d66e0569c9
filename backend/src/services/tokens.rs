//! One-time tokens mailed in links: random, stored only as a keyed hash, bound to an
//! account and a purpose, expiring, single-use. Every way a token can be wrong (unknown,
//! expired, spent, replaced, another flow's) answers the same `InvalidToken`.

use super::throttle;
use crate::secrets::{random_token, Purpose};
use crate::store::{TokenPurpose, TokenRecord, UserRecord};
use crate::AppState;
use domain::AppError;
use domain::Email;
use time::OffsetDateTime;

const MAX_TOKEN_LENGTH: usize = 128;

/// The key a token is stored and looked up under: its keyed hash, never the token
/// itself.
pub fn hash(state: &AppState, token: &str) -> String {
    state.secret.keyed_hash(Purpose::Token, token.as_bytes())
}

/// Creates a token for `user_id` (replacing any earlier one of the same purpose) and
/// returns it in clear, to be mailed. Only its hash is stored.
pub async fn issue(
    state: &AppState,
    user_id: &str,
    purpose: TokenPurpose,
    email: &str,
    lifetime: time::Duration,
) -> Result<String, AppError> {
    let token = random_token();
    let now = OffsetDateTime::now_utc();
    state
        .store
        .replace_token(&TokenRecord {
            id_hash: hash(state, &token),
            user_id: user_id.to_owned(),
            purpose,
            email: email.to_owned(),
            attempts: 0,
            created_at: now,
            expires_at: now + lifetime,
        })
        .await?;
    Ok(token)
}

/// The live token, without using it (to check the rest of a form before spending it).
pub async fn peek(
    state: &AppState,
    token: &str,
    purpose: TokenPurpose,
) -> Result<TokenRecord, AppError> {
    let id_hash = stored_key(state, token)?;
    let now = OffsetDateTime::now_utc();
    state
        .store
        .find_token(&id_hash, purpose, now)
        .await?
        .ok_or(AppError::InvalidToken)
}

/// Spends the token: it works once.
pub async fn consume(
    state: &AppState,
    token: &str,
    purpose: TokenPurpose,
) -> Result<TokenRecord, AppError> {
    let id_hash = stored_key(state, token)?;
    let now = OffsetDateTime::now_utc();
    state
        .store
        .consume_token(&id_hash, purpose, now)
        .await?
        .ok_or(AppError::InvalidToken)
}

/// The key a token presented by a client is stored under; input that cannot be one of
/// ours is refused before it costs a hash or a query.
fn stored_key(state: &AppState, token: &str) -> Result<String, AppError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LENGTH {
        return Err(AppError::InvalidToken);
    }
    Ok(hash(state, token))
}

/// The link a token travels in: a page of this site with the token in its query.
pub fn link(state: &AppState, path: &str, token: &str) -> String {
    format!(
        "{}{path}?token={token}",
        state.config.public_url.as_str().trim_end_matches('/')
    )
}

/// A "mail me something" request that must not tell whether the address has an account:
/// the address is checked and throttled now, and `work` runs after the answer, only for
/// the enabled account holding that address.
pub async fn for_address_in_background<F, Fut>(
    state: &AppState,
    address: &str,
    flow: &'static str,
    work: F,
) -> Result<(), AppError>
where
    F: FnOnce(AppState, Email, UserRecord) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    let address =
        Email::parse(address).map_err(|message| AppError::validation("email", message))?;
    throttle::mail_request(state, &address).await?;
    let state = state.clone();
    in_background(flow, async move {
        match state.store.user_by_email(address.as_str()).await? {
            Some(record) if !record.disabled => work(state, address, record).await,
            _ => Ok(()),
        }
    });
    Ok(())
}

/// Runs a mail-sending flow after its request has been answered, so that the answer
/// and its timing are the same whether or not the address has an account.
pub fn in_background<F>(flow: &'static str, work: F)
where
    F: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = work.await {
            tracing::warn!(flow, %error, "background mail flow failed");
        }
    });
}
