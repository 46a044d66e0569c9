//! Sign-up, sign-in, sign-out and who is signed in.

use crate::domain::{AuthRules, Secret, User};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::RequestContext,
    backend::services::{accounts, sessions},
};

/// The policy the forms validate against (lengths, registration open or not, ...).
#[server(prefix = "/fn", endpoint = "auth/rules")]
pub async fn get_rules() -> Result<AuthRules, AppError> {
    let cx = RequestContext::get()?;
    Ok(cx.state.rules().clone())
}

/// Who is signed in on this browser, if anyone.
#[server(prefix = "/fn", endpoint = "auth/me")]
pub async fn get_current_user() -> Result<Option<User>, AppError> {
    let cx = RequestContext::get()?;
    sessions::current_user(&cx.state, &cx.session).await
}

#[server(prefix = "/fn", endpoint = "auth/register")]
pub async fn register(
    username: String,
    email: String,
    password: Secret,
    password_confirmation: Secret,
) -> Result<User, AppError> {
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
        sessions::sign_in(&cx.session, &user, &cx.client).await?;
        leptos_axum::redirect("/");
        Ok(user)
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
pub async fn login(
    login: String,
    password: Secret,
    next: Option<String>,
) -> Result<User, AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = accounts::authenticate(&cx.state, &login, password.expose(), &cx.client).await?;
        sessions::sign_in(&cx.session, &user, &cx.client).await?;
        leptos_axum::redirect(crate::domain::local_path(next.as_deref()).unwrap_or("/"));
        Ok(user)
    }
    .await;
    cx.finish_form::<Login, _>(result, &[("login", &login)])
}

#[server(prefix = "/fn", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = sessions::sign_out(&cx.session).await;
    if result.is_ok() {
        leptos_axum::redirect("/login");
    }
    cx.finish_form::<Logout, _>(result, &[])
}
