//! Sign-up, sign-in, sign-out and who is signed in.

use crate::domain::Secret;
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    crate::api::{session, RequestContext},
    crate::domain::PasswordResetInput,
    backend::services::{accounts, codes, credentials, email, passwords, recovery},
};

/// What a form that can sign this browser in came to (registration, a password reset).
/// The page only needs to know where to go next; the account itself (whose dates alone
/// would weigh on the sign-in pages' WASM) it reads when it gets there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignIn {
    Done,
    /// The account must confirm its address before it may sign in.
    ConfirmAddressFirst,
}

#[server(prefix = "/fn", endpoint = "auth/register")]
pub async fn register(
    username: String,
    email: String,
    password: Secret,
    password_confirmation: Secret,
) -> Result<SignIn, AppError> {
    let cx = RequestContext::get()?;
    let input = crate::domain::RegisterInput {
        username,
        email,
        password,
        password_confirmation,
    };
    let language = crate::domain::pick_language(cx.header("accept-language"));
    let result = async {
        let user = accounts::register(&cx.state, &input, language).await?;
        let outcome = sign_in_if_allowed(&cx, &user).await?;
        cx.redirect_form(match outcome {
            SignIn::Done => "/",
            SignIn::ConfirmAddressFirst => "/login?registered=1",
        });
        Ok(outcome)
    }
    .await;
    cx.finish_form::<Register, _>(
        result,
        &[("username", &input.username), ("email", &input.email)],
    )
}

/// Signs in with a username or email address; returns to `next` when it is a page of
/// this site.
#[server(prefix = "/fn", endpoint = "auth/login")]
pub async fn login(login: String, password: Secret, next: Option<String>) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user =
            credentials::authenticate(&cx.state, &login, password.expose(), &cx.client).await?;
        session::sign_in(&cx.session, &user, &cx.client).await?;
        cx.redirect_form(crate::domain::local_path(next.as_deref()).unwrap_or("/"));
        Ok(())
    }
    .await;
    cx.finish_form::<Login, _>(result, &[("login", &login)])
}

#[server(prefix = "/fn", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = session::sign_out(&cx.session).await;
    if result.is_ok() {
        cx.redirect_form("/login");
    }
    cx.finish_form::<Logout, _>(result, &[])
}

/// Mails a reset link, if the address has an account. Answers the same either way.
#[server(prefix = "/fn", endpoint = "auth/password/reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = recovery::request(&cx.state, &email).await;
    cx.finish_form::<RequestPasswordReset, _>(result, &[("email", &email)])
}

/// Sets a new password from a reset link, then signs this browser in (every other
/// session of the account has ended).
#[server(prefix = "/fn", endpoint = "auth/password/reset/confirm")]
pub async fn reset_password(
    token: String,
    new_password: Secret,
    new_password_confirmation: Secret,
) -> Result<SignIn, AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let input = PasswordResetInput {
            new_password,
            new_password_confirmation,
        };
        let user = recovery::confirm(&cx.state, &token, &input).await?;
        let outcome = sign_in_if_allowed(&cx, &user).await?;
        cx.redirect_form(match outcome {
            SignIn::Done => "/",
            SignIn::ConfirmAddressFirst => "/login",
        });
        Ok(outcome)
    }
    .await;
    cx.finish_form::<ResetPassword, _>(result, &[("token", &token)])
}

/// Confirms an email address (or an email change) from a mailed link; answers the
/// address.
#[server(prefix = "/fn", endpoint = "auth/email/verify")]
pub async fn verify_email(token: String) -> Result<String, AppError> {
    let cx = RequestContext::get()?;
    let result = email::verify(&cx.state, &token)
        .await
        .map(|user| user.email);
    cx.finish_form::<VerifyEmail, _>(result, &[("token", &token)])
}

/// Mails a sign-in code, if the address has an account, then shows the code form.
#[server(prefix = "/fn", endpoint = "auth/code")]
pub async fn request_login_code(email: String) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = codes::request(&cx.state, &email).await;
    if result.is_ok() {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", email.trim())
            .append_pair("sent", "1")
            .finish();
        cx.redirect_form(&format!("/login/code?{query}"));
    }
    cx.finish_form::<RequestLoginCode, _>(result, &[("email", &email)])
}

/// Signs in with an emailed code.
#[server(prefix = "/fn", endpoint = "auth/code/verify")]
pub async fn login_with_code(
    email: String,
    code: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = codes::verify(&cx.state, &email, &code, &cx.client).await?;
        session::sign_in(&cx.session, &user, &cx.client).await?;
        cx.redirect_form(crate::domain::local_path(next.as_deref()).unwrap_or("/"));
        Ok(())
    }
    .await;
    cx.finish_form::<LoginWithCode, _>(result, &[("email", &email), ("sent", "1")])
}

/// A strong random password that the current policy accepts, for the "suggest a strong
/// password" buttons.
#[server(prefix = "/fn", endpoint = "auth/generate-password")]
pub async fn generate_password() -> Result<Secret, AppError> {
    let cx = RequestContext::get()?;
    Ok(Secret::new(passwords::generate(&cx.state.rules().password)))
}

/// Signs this browser in as `user`, unless the account must confirm its address first.
#[cfg(feature = "ssr")]
async fn sign_in_if_allowed(
    cx: &RequestContext,
    user: &crate::domain::User,
) -> Result<SignIn, AppError> {
    Ok(
        if session::sign_in_if_allowed(&cx.state, &cx.session, user, &cx.client).await? {
            SignIn::Done
        } else {
            SignIn::ConfirmAddressFirst
        },
    )
}
