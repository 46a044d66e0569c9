//! Sign-in by emailed code (Kestra's "request code"): six digits, ten minutes, single
//! use, a few wrong guesses per code, and every wrong guess counts as a failed sign-in.

use super::{credentials, throttle, tokens, users};
use crate::mail::{Outgoing, Template};
use crate::request::ClientInfo;
use crate::secrets::Purpose;
use crate::store::{TokenPurpose, TokenRecord};
use crate::AppState;
use domain::AppError;
use domain::{Email, User};
use rand::Rng;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

const DIGITS: usize = 6;

/// The stored form of a code: bound to the account, keyed, never in clear.
fn code_hash(state: &AppState, user_id: &str, code: &str) -> String {
    state
        .secret
        .keyed_hash(Purpose::LoginCode, format!("{user_id}:{code}").as_bytes())
}

/// `POST /auth/code`: 202 whatever the address; only an account gets a code.
pub async fn request(state: &AppState, address: &str) -> Result<(), AppError> {
    tokens::for_address_in_background(
        state,
        address,
        "sign-in code",
        |state, address, record| async move {
            let code = format!(
                "{:0width$}",
                rand::rngs::OsRng.gen_range(0..10u32.pow(DIGITS as u32)),
                width = DIGITS
            );
            let minutes = state.rules().tokens.login_code_minutes;
            let now = OffsetDateTime::now_utc();
            state
                .store
                .replace_token(&TokenRecord {
                    id_hash: code_hash(&state, &record.user.id, &code),
                    user_id: record.user.id.clone(),
                    purpose: TokenPurpose::LoginCode,
                    email: address.as_str().to_owned(),
                    attempts: 0,
                    created_at: now,
                    expires_at: now + time::Duration::minutes(i64::from(minutes)),
                })
                .await?;
            let outgoing =
                Outgoing::new(Template::LoginCode, address.as_str(), &record.user.language)
                    .with("name", record.user.display_name())
                    .with("code", code)
                    .with("minutes", minutes.to_string());
            state.send_mail(outgoing).await
        },
    )
    .await
}

/// `POST /auth/code/verify`: the account, when the code is right. Unknown address,
/// no code, expired, spent or wrong all answer `InvalidToken`; wrong guesses are
/// limited per code and count as failed sign-ins.
pub async fn verify(
    state: &AppState,
    address: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<User, AppError> {
    let code = code.trim();
    let address = Email::parse(address).map_err(|_| AppError::InvalidToken)?;
    let record = state
        .store
        .user_by_email(address.as_str())
        .await?
        .filter(|r| !r.disabled);
    let account_key = match &record {
        Some(record) => credentials::account_throttle_key(&record.user.id),
        None => format!("login:email:{address}"),
    };
    let limits = credentials::sign_in_limits(state, &account_key, client);
    let throttle =
        throttle::Throttle::new(state.store.as_ref(), state.rules().throttle.window_seconds);
    let now = OffsetDateTime::now_utc();
    // Counted before anything is compared; it stays a failed sign-in unless it succeeds.
    let attempt = throttle.begin(&limits, now).await?;

    let Some(record) = record else {
        return Err(AppError::InvalidToken);
    };
    // The guess is counted against the code before it is compared, so guesses that
    // arrive together get no more tries than one at a time.
    let max_attempts = state.rules().tokens.login_code_attempts;
    let Some(live) = state
        .store
        .take_token_attempt(&record.user.id, TokenPurpose::LoginCode, now, max_attempts)
        .await?
    else {
        return Err(AppError::InvalidToken);
    };
    let well_formed = code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit());
    let guess = code_hash(state, &record.user.id, code);
    let right = well_formed && bool::from(live.id_hash.as_bytes().ct_eq(guess.as_bytes()));
    if !right {
        if live.attempts >= max_attempts {
            state
                .store
                .delete_tokens(&record.user.id, TokenPurpose::LoginCode)
                .await?;
        }
        return Err(AppError::InvalidToken);
    }
    // Spend it; a second use racing this one finds nothing.
    state
        .store
        .consume_token(&live.id_hash, TokenPurpose::LoginCode, now)
        .await?
        .ok_or(AppError::InvalidToken)?;
    throttle.succeeded(attempt).await?;
    throttle.clear(&account_key).await?;
    // The code reached the address: it is verified now.
    state
        .store
        .mark_email_verified(&record.user.id, &live.email)
        .await?;
    users::enabled_by_id(state, &record.user.id)
        .await?
        .ok_or(AppError::InvalidToken)
}
