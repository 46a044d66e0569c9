//! The account's personal API tokens, as the account page manages them (the REST API has
//! the same under `/tokens`).

use crate::domain::{ApiToken, CreatedApiToken};
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::api::{session, RequestContext},
    crate::domain::{NewApiTokenInput, Scope},
    backend::services::api_tokens,
    tower_cookies::{cookie::SameSite, Cookie, Cookies},
};

/// The cookie that carries a new token's secret from a form posted without JavaScript to
/// the account page the browser is sent back to: that page shows it once and clears it.
#[cfg(feature = "ssr")]
const NEW_TOKEN_COOKIE: &str = "latchkey_new_token";

/// Where the account page lists the tokens.
pub const TOKENS_PAGE: &str = "/account#tokens";

/// The account's tokens, live, expired and revoked, newest first.
#[server(prefix = "/fn", endpoint = "account/tokens")]
pub async fn list_tokens() -> Result<Vec<ApiToken>, AppError> {
    let cx = RequestContext::get()?;
    let user = cx.user().await?;
    api_tokens::list(&cx.state, &user.id).await
}

/// Makes a token from the form: a name, a lifetime in days (empty for the default) and
/// the ticked scopes. Its secret is in the answer, this once.
#[server(prefix = "/fn", endpoint = "account/tokens/create")]
pub async fn create_token(
    name: String,
    expires_in_days: String,
    scope_read: Option<String>,
    scope_write: Option<String>,
) -> Result<CreatedApiToken, AppError> {
    let cx = RequestContext::get()?;
    let input = NewApiTokenInput::from_form(
        &name,
        &expires_in_days,
        &[
            (Scope::Read, scope_read.is_some()),
            (Scope::Write, scope_write.is_some()),
        ],
    );
    let result = async {
        let user = cx.user().await?;
        session::may_make_credentials(&cx.session).await?;
        let created = api_tokens::create(&cx.state, &user, &input).await?;
        if cx.is_plain_form_post() {
            carry_secret(&cx, &created.token);
            cx.redirect_form(TOKENS_PAGE);
        }
        Ok(created)
    }
    .await;
    cx.finish_form::<CreateToken, _>(
        result,
        &[("name", &name), ("expires_in_days", &expires_in_days)],
    )
}

/// Revokes one of the account's tokens: programs using it are refused at once.
#[server(prefix = "/fn", endpoint = "account/tokens/revoke")]
pub async fn revoke_token(id: String) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        api_tokens::revoke(&cx.state, &user.id, &id).await?;
        cx.redirect_form(TOKENS_PAGE);
        Ok(())
    }
    .await;
    cx.finish_form::<RevokeToken, _>(result, &[])
}

/// Hands a new secret to the page a form posted without JavaScript goes back to, in a
/// cookie only that page receives, for a few minutes at most.
#[cfg(feature = "ssr")]
fn carry_secret(cx: &RequestContext, secret: &str) {
    let Some(cookies) = cx.parts.extensions.get::<Cookies>() else {
        return;
    };
    cookies.add(
        Cookie::build((NEW_TOKEN_COOKIE, secret.to_owned()))
            .path("/account")
            .http_only(true)
            .secure(cx.state.config.secure_cookies())
            .same_site(SameSite::Strict)
            .max_age(time::Duration::minutes(5))
            .build(),
    );
}

/// The secret that a form posted without JavaScript carried here (see `carry_secret`),
/// taken once: the cookie is cleared with this response. Only a well-formed token is
/// shown, whatever else the cookie may hold.
#[cfg(feature = "ssr")]
pub fn take_carried_secret() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let cookies = parts.extensions.get::<Cookies>()?;
    let secret = cookies.get(NEW_TOKEN_COOKIE)?.value().to_owned();
    cookies.remove(Cookie::build(NEW_TOKEN_COOKIE).path("/account").build());
    api_tokens::looks_like_token(&secret).then_some(secret)
}
