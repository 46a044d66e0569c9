//! Personal API tokens: made, listed and revoked by their owner, presented by programs
//! as `Authorization: Bearer <token>`. A token is a capability of its owner, never
//! more: the adapters refuse it on every route that takes a session.

use super::notices;
use crate::secrets::{random_token, Purpose};
use crate::store::ApiTokenRecord;
use crate::AppState;
use domain::{ApiToken, AppError, CreatedApiToken, NewApiTokenInput, Scope, User};

/// What every Latchkey token starts with, so that people and secret scanners can tell one.
pub const PREFIX: &str = "lk_";

/// The longest a token presented by a client can be before it is refused unread.
const MAX_PRESENTED_LENGTH: usize = 128;

/// How stale `last_used_at` may get before a request writes it again: reads stay reads.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(1);

/// Who a bearer token stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Bearer {
    /// The token's account.
    pub user: User,
    /// What the token may do.
    pub scopes: Vec<Scope>,
}

fn secret_hash(state: &AppState, secret: &str) -> String {
    state
        .secret
        .keyed_hash(Purpose::ApiToken, secret.as_bytes())
}

fn view(record: ApiTokenRecord) -> ApiToken {
    ApiToken {
        id: record.id,
        name: record.name,
        scopes: record.scopes,
        created_at: record.created_at,
        expires_at: record.expires_at,
        last_used_at: record.last_used_at,
        revoked: record.revoked_at.is_some(),
    }
}

/// Makes a token for `user` and mails them a notice. The secret is in the answer, this
/// once; only its keyed hash is kept.
pub async fn create(
    state: &AppState,
    user: &User,
    input: &NewApiTokenInput,
) -> Result<CreatedApiToken, AppError> {
    let new = input.parse(&state.rules().tokens)?;
    let secret = format!("{PREFIX}{}", random_token());
    let now = state.clock.now();
    let record = ApiTokenRecord {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user.id.clone(),
        name: new.name,
        secret_hash: secret_hash(state, &secret),
        scopes: new.scopes,
        created_at: now,
        expires_at: now + time::Duration::days(i64::from(new.days)),
        last_used_at: None,
        revoked_at: None,
    };
    state.store.insert_api_token(&record).await?;
    let token = view(record);
    tracing::info!(user_id = %user.id, token_id = %token.id, "API token created");
    notices::api_token_created(state, user, &token).await;
    Ok(CreatedApiToken {
        id: token.id,
        name: token.name,
        scopes: token.scopes,
        created_at: token.created_at,
        expires_at: token.expires_at,
        token: secret,
    })
}

/// The account's tokens, live, expired and revoked, newest first.
pub async fn list(state: &AppState, user_id: &str) -> Result<Vec<ApiToken>, AppError> {
    let records = state.store.api_tokens_of(user_id).await?;
    Ok(records.into_iter().map(view).collect())
}

/// One of the account's tokens (404 for any other id, another account's included).
pub async fn get(state: &AppState, user_id: &str, id: &str) -> Result<ApiToken, AppError> {
    state
        .store
        .api_token(user_id, id)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)
}

/// Revokes one of the account's tokens: it stops working at once.
pub async fn revoke(state: &AppState, user_id: &str, id: &str) -> Result<(), AppError> {
    if state
        .store
        .revoke_api_token(user_id, id, state.clock.now())
        .await?
    {
        tracing::info!(user_id, token_id = id, "API token revoked");
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether `presented` could be a Latchkey token at all: the prefix, a sane length, and
/// nothing but the characters a secret is made of. Anything else is refused unread.
pub fn looks_like_token(presented: &str) -> bool {
    presented.starts_with(PREFIX)
        && presented.len() <= MAX_PRESENTED_LENGTH
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Mails `user` a summary of one of their tokens (never its secret).
pub async fn email_summary(state: &AppState, user: &User, id: &str) -> Result<(), AppError> {
    let token = get(state, &user.id, id).await?;
    notices::api_token_summary(state, user, &token).await
}

/// Who a presented token stands for: 401 when it is unknown, expired or revoked, or its
/// account is gone or disabled. A token check is one indexed look-up of a keyed hash,
/// never a password hash; it writes `last_used_at` at most once a minute.
pub async fn authenticate(state: &AppState, presented: &str) -> Result<Bearer, AppError> {
    if !looks_like_token(presented) {
        return Err(AppError::Unauthenticated);
    }
    let now = state.clock.now();
    let token = state
        .store
        .live_api_token(&secret_hash(state, presented), now)
        .await?
        .filter(|token| !token.holder.disabled)
        .ok_or(AppError::Unauthenticated)?;
    if token
        .last_used_at
        .is_none_or(|used| now - used >= TOUCH_INTERVAL)
    {
        state.store.touch_api_token(&token.id, now).await?;
    }
    Ok(Bearer {
        user: token.holder.user,
        scopes: token.scopes,
    })
}
