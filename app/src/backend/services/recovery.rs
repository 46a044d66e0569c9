//! Password reset by mailed link.

use super::{accounts, email, throttle, tokens};
use crate::backend::mail::{self, Outgoing, Template};
use crate::backend::store::TokenPurpose;
use crate::backend::AppState;
use crate::domain::{Email, Password, Secret, User, REQUIRED};
use crate::error::AppError;
use time::OffsetDateTime;

/// `POST /auth/password/reset`: the same answer, in about the same time, whether or not
/// the address has an account; only an account gets a link. A newer request replaces
/// the older link.
pub async fn request(state: &AppState, address: &str) -> Result<(), AppError> {
    let address =
        Email::parse(address).map_err(|message| AppError::validation("email", message))?;
    throttle::mail_request(state, &address).await?;
    let state = state.clone();
    tokens::in_background("password reset", async move {
        let Some(record) = state.store.user_by_email(address.as_str()).await? else {
            return Ok(());
        };
        if record.disabled {
            return Ok(());
        }
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
        mail::send(&state, outgoing).await
    });
    Ok(())
}

/// `POST /auth/password/reset/confirm`: sets the new password and signs out every
/// session of the account. The token is spent only once the new password is accepted.
pub async fn confirm(
    state: &AppState,
    token: &str,
    password: &Secret,
    confirmation: &Secret,
) -> Result<User, AppError> {
    let record = tokens::peek(state, token, TokenPurpose::ResetPassword).await?;
    let user = accounts::user_by_id(state, &record.user_id)
        .await?
        .ok_or(AppError::InvalidToken)?;
    let mut errors = crate::domain::FieldErrors::new();
    let new = Password::parse(
        password.expose(),
        &state.rules().password,
        &[&user.username, &user.email],
    )
    .map_err(|e| errors.insert("new_password".into(), e))
    .ok();
    if confirmation.expose().is_empty() {
        errors.insert("new_password_confirmation".into(), REQUIRED.into());
    } else if confirmation != password {
        errors.insert(
            "new_password_confirmation".into(),
            "Passwords do not match".into(),
        );
    }
    let new = match new {
        Some(new) if errors.is_empty() => new,
        _ => return Err(errors.into()),
    };
    let hash = state.hasher.hash(&new).await?;
    // Spend it now; a second use racing this one finds nothing.
    tokens::consume(state, token, TokenPurpose::ResetPassword).await?;
    state
        .store
        .set_password_hash(&user.id, &hash, OffsetDateTime::now_utc())
        .await?;
    let ended = state
        .store
        .delete_user_sessions_except(&user.id, None)
        .await?;
    accounts::clear_failed_sign_ins(state, &user.id).await?;
    tracing::info!(user_id = %user.id, sessions_ended = ended, "password reset");
    email::notify_password_changed(state, &user).await;
    Ok(user)
}
