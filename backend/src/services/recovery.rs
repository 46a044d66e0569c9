//! Password reset by mailed link.

use super::{credentials, notices, tokens, users};
use crate::mail::{Outgoing, Template};
use crate::store::{NewPassword, TokenPurpose};
use crate::AppState;
use domain::AppError;
use domain::{PasswordResetInput, User};
use time::OffsetDateTime;

/// `POST /auth/password/reset`: the same answer, in about the same time, whether or not
/// the address has an account; only an account gets a link. A newer request replaces
/// the older link.
pub async fn request(state: &AppState, address: &str) -> Result<(), AppError> {
    tokens::for_address_in_background(
        state,
        address,
        "password reset",
        |state, address, record| async move {
            let minutes = state.rules().tokens.reset_minutes;
            let token = tokens::issue(
                &state,
                &record.user.id,
                TokenPurpose::ResetPassword,
                address.as_str(),
                time::Duration::minutes(i64::from(minutes)),
            )
            .await?;
            let outgoing = Outgoing::new(
                Template::ResetPassword,
                address.as_str(),
                &record.user.language,
            )
            .with("name", record.user.display_name())
            .with("minutes", minutes.to_string())
            .with("link", tokens::link(&state, "/reset-password", &token));
            state.send_mail(outgoing).await
        },
    )
    .await
}

/// `POST /auth/password/reset/confirm`: sets the new password and signs out every
/// session of the account, in one transaction that also spends the token (only once
/// the new password is accepted) and any other outstanding link or code.
pub async fn confirm(
    state: &AppState,
    token: &str,
    input: &PasswordResetInput,
) -> Result<User, AppError> {
    let record = tokens::peek(state, token, TokenPurpose::ResetPassword).await?;
    let user = users::enabled_by_id(state, &record.user_id)
        .await?
        .ok_or(AppError::InvalidToken)?;
    let new = input.parse(state.rules(), &[&user.username, &user.email])?;
    let hash = state.hasher.hash(&new).await?;
    // A second use racing this one finds the token spent and changes nothing.
    let ended = state
        .store
        .reset_password(
            &record.id_hash,
            &NewPassword {
                user_id: &user.id,
                password_hash: &hash,
                keep_session: None,
                throttle_key: &credentials::account_throttle_key(&user.id),
                now: OffsetDateTime::now_utc(),
            },
        )
        .await?
        .ok_or(AppError::InvalidToken)?;
    tracing::info!(user_id = %user.id, sessions_ended = ended, "password reset");
    notices::password_changed(state, &user).await;
    Ok(user)
}
