//! Messages an account is sent by more than one workflow: the link that verifies its
//! address, and the security notices (API.md: a password change or reset, ...).

use super::tokens;
use crate::mail::{Outgoing, Template};
use crate::store::TokenPurpose;
use crate::AppState;
use domain::{AppError, User};

/// Mails `user` a link that verifies their current address.
pub async fn send_verification(state: &AppState, user: &User) -> Result<(), AppError> {
    let hours = state.rules().tokens.verification_hours;
    let token = tokens::issue(
        state,
        &user.id,
        TokenPurpose::VerifyEmail,
        &user.email,
        time::Duration::hours(i64::from(hours)),
    )
    .await?;
    let outgoing = Outgoing::new(Template::VerifyEmail, &user.email, &user.language)
        .with("name", user.display_name())
        .with("email", user.email.clone())
        .with("hours", hours.to_string())
        .with("link", tokens::link(state, "/verify-email", &token));
    state.send_mail(outgoing).await
}

/// The notice that follows a password change or reset.
pub async fn password_changed(state: &AppState, user: &User) {
    let notice = Outgoing::new(Template::PasswordChanged, &user.email, &user.language)
        .with("name", user.display_name());
    if let Err(error) = state.send_mail(notice).await {
        tracing::warn!(user_id = %user.id, %error, "could not queue the password notice");
    }
}
