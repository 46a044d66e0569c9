//! Messages an account is sent by more than one workflow: the link that verifies its
//! address, and the security notices (API.md: a password change or reset, ...).

use super::tokens;
use crate::mail::{Outgoing, Template};
use crate::store::TokenPurpose;
use crate::AppState;
use domain::{ApiToken, AppError, User};

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

/// The notice that follows the creation of an API token.
pub async fn api_token_created(state: &AppState, user: &User, token: &ApiToken) {
    let notice = token_mail(Template::ApiTokenCreated, user, token);
    if let Err(error) = state.send_mail(notice).await {
        tracing::warn!(user_id = %user.id, %error, "could not queue the API token notice");
    }
}

/// A summary of one of `user`'s API tokens (never its secret), at their request.
pub async fn api_token_summary(
    state: &AppState,
    user: &User,
    token: &ApiToken,
) -> Result<(), AppError> {
    state
        .send_mail(token_mail(Template::ApiTokenSummary, user, token))
        .await
}

fn token_mail(template: Template, user: &User, token: &ApiToken) -> Outgoing {
    let moment = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_else(|_| at.to_string())
    };
    let scopes = token
        .scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(" and ");
    Outgoing::new(template, &user.email, &user.language)
        .with("name", user.display_name())
        .with("token_name", token.name.clone())
        .with("scopes", scopes)
        .with("created", moment(token.created_at))
        .with("expires", moment(token.expires_at))
        .with(
            "last_used",
            token
                .last_used_at
                .map(moment)
                .unwrap_or_else(|| "never".into()),
        )
}
