//! Email addresses: verification of the account's address, and changing it (confirmed
//! from the new address, with a notice to the old one).

use super::{credentials, notices, throttle, tokens, users};
use crate::mail::{Outgoing, Template};
use crate::request::ClientInfo;
use crate::store::{StoreError, TokenPurpose, Unique};
use crate::AppState;
use domain::AppError;
use domain::{Email, Password, User};
use time::OffsetDateTime;

/// `POST /auth/email/verify/resend`: answers the same whatever the address; a new link
/// (replacing the old one) goes only to an account whose address is not verified yet.
pub async fn resend(state: &AppState, email: &str) -> Result<(), AppError> {
    tokens::for_address_in_background(
        state,
        email,
        "resend verification",
        |state, _, record| async move {
            if record.user.email_verified {
                return Ok(());
            }
            notices::send_verification(&state, &record.user).await
        },
    )
    .await
}

/// The "send the link again" button of a signed-in account.
pub async fn resend_for(state: &AppState, user: &User) -> Result<(), AppError> {
    if user.email_verified {
        return Ok(());
    }
    let email =
        Email::parse(&user.email).map_err(|message| AppError::validation("email", message))?;
    throttle::mail_request(state, &email).await?;
    notices::send_verification(state, user).await
}

/// `POST /auth/email/verify`: spends a verification or email-change token. Verifies the
/// address it was mailed to, or, for an email change, makes it the account's address.
pub async fn verify(state: &AppState, token: &str) -> Result<User, AppError> {
    let (record, purpose) = match tokens::consume(state, token, TokenPurpose::VerifyEmail).await {
        Ok(record) => (record, TokenPurpose::VerifyEmail),
        Err(AppError::InvalidToken) => (
            tokens::consume(state, token, TokenPurpose::ChangeEmail).await?,
            TokenPurpose::ChangeEmail,
        ),
        Err(other) => return Err(other),
    };
    if purpose == TokenPurpose::VerifyEmail {
        // A link for an address the account no longer has is worth nothing.
        if !state
            .store
            .mark_email_verified(&record.user_id, &record.email)
            .await?
        {
            return Err(AppError::InvalidToken);
        }
    } else {
        match state
            .store
            .change_email(&record.user_id, &record.email, OffsetDateTime::now_utc())
            .await
        {
            Ok(()) => tracing::info!(user_id = %record.user_id, "email address changed"),
            Err(StoreError::Conflict(Unique::Email)) => {
                return Err(AppError::Conflict {
                    fields: [(
                        "email".to_owned(),
                        "This address now belongs to another account".to_owned(),
                    )]
                    .into(),
                })
            }
            Err(other) => return Err(other.into()),
        }
    }
    users::enabled_by_id(state, &record.user_id)
        .await?
        .ok_or(AppError::InvalidToken)
}

/// `POST /account/email`: after checking the password, mails a confirmation link to the
/// new address and a notice to the old one. If the new address belongs to another
/// account, the answer is the same, and that address gets a notice instead of a link.
pub async fn request_change(
    state: &AppState,
    user: &User,
    new_email: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let new_email =
        Email::parse(new_email).map_err(|message| AppError::validation("new_email", message))?;
    let password = Password::for_sign_in(password)
        .map_err(|message| AppError::validation("password", message))?;
    if new_email.as_str() == user.email {
        return Err(AppError::validation(
            "new_email",
            "This is already your address",
        ));
    }
    credentials::confirm_password(state, &user.id, &password, "password", client).await?;
    throttle::mail_request(state, &new_email).await?;
    let state = state.clone();
    let user = user.clone();
    tokens::in_background("email change", async move {
        match state.store.user_by_email(new_email.as_str()).await? {
            Some(owner) => {
                let notice = Outgoing::new(
                    Template::EmailInUse,
                    new_email.as_str(),
                    &owner.user.language,
                )
                .with("name", owner.user.display_name())
                .with("email", new_email.as_str());
                state.send_mail(notice).await?;
            }
            None => {
                let hours = state.rules().tokens.verification_hours;
                let token = tokens::issue(
                    &state,
                    &user.id,
                    TokenPurpose::ChangeEmail,
                    new_email.as_str(),
                    time::Duration::hours(i64::from(hours)),
                )
                .await?;
                let confirm =
                    Outgoing::new(Template::ChangeEmail, new_email.as_str(), &user.language)
                        .with("name", user.display_name())
                        .with("email", new_email.as_str())
                        .with("old_email", user.email.clone())
                        .with("hours", hours.to_string())
                        .with("link", tokens::link(&state, "/verify-email", &token));
                state.send_mail(confirm).await?;
            }
        }
        let notice = Outgoing::new(Template::EmailChangeRequested, &user.email, &user.language)
            .with("name", user.display_name())
            .with("new_email", new_email.as_str());
        state.send_mail(notice).await
    });
    Ok(())
}
