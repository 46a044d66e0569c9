//! One-time sign-in grants: signed URLs (CVAT's URL signing) and tickets (Elements'
//! tickets). Each signs in as the account that made it, once, for a short while; each is
//! random and stored only as a keyed hash.

use super::users;
use crate::secrets::{random_token, Purpose};
use crate::store::{GrantKind, GrantRecord};
use crate::AppState;
use domain::{AppError, SignedUrl, Ticket, User};
use url::form_urlencoded;

/// The query parameter that carries a URL's signature.
pub const SIGN_PARAM: &str = "sign";

/// The longest grant secret a client can present before it is refused unread.
const MAX_PRESENTED_LENGTH: usize = 128;

fn grant_hash(state: &AppState, secret: &str) -> String {
    state.secret.keyed_hash(Purpose::Grant, secret.as_bytes())
}

/// What a signature covers: the path, and the query without any `sign` parameter, as one
/// string. The signing and the redeeming side both compute it with this, so they agree.
pub fn target(path: &str, query: Option<&str>) -> String {
    let rest: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(name, _)| name != SIGN_PARAM)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if rest.is_empty() {
        return path.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(rest)
        .finish();
    format!("{path}?{query}")
}

/// The target of a URL someone asks to sign, when it is of this site: a path (`/account`)
/// or an absolute URL with this site's origin. Anything else (another host, `//host`, a
/// backslash, a control character) is not.
fn site_target(state: &AppState, url: &str) -> Option<String> {
    let base = &state.config.public_url;
    let is_path = url.starts_with('/') && !url.starts_with("//");
    let is_ours = url
        .get(..base.origin().ascii_serialization().len())
        .is_some_and(|origin| origin.eq_ignore_ascii_case(&base.origin().ascii_serialization()));
    if !(is_path || is_ours) || url.contains('\\') || url.chars().any(char::is_control) {
        return None;
    }
    let parsed = base.join(url).ok()?;
    (parsed.origin() == base.origin()).then(|| target(parsed.path(), parsed.query()))
}

/// Signs a URL of this site for `user`: a GET of the answer, while it works, signs that
/// browser in as `user`, once (422 for a URL of anywhere else).
pub async fn sign_url(state: &AppState, user: &User, url: &str) -> Result<SignedUrl, AppError> {
    let target = site_target(state, url)
        .ok_or_else(|| AppError::validation("url", "A path of this site, such as /account"))?;
    let secret = random_token();
    let now = state.clock.now();
    let seconds = state.rules().tokens.signed_url_seconds;
    state
        .store
        .insert_grant(&GrantRecord {
            id_hash: grant_hash(state, &secret),
            user_id: user.id.clone(),
            kind: GrantKind::SignedUrl,
            target: Some(target.clone()),
            created_at: now,
            expires_at: now + time::Duration::seconds(i64::from(seconds)),
        })
        .await?;
    let separator = if target.contains('?') { '&' } else { '?' };
    let site = state.config.public_url.as_str().trim_end_matches('/');
    Ok(SignedUrl {
        url: format!("{site}{target}{separator}{SIGN_PARAM}={secret}"),
    })
}

/// The account a signed URL signs in: `signature` is its `sign` parameter, `target` what
/// it was requested for (see `target`). Unknown, expired, spent, or made for another URL:
/// `InvalidToken`.
pub async fn redeem_signed_url(
    state: &AppState,
    signature: &str,
    target: &str,
) -> Result<User, AppError> {
    let grant = consume(state, signature, GrantKind::SignedUrl).await?;
    if grant.target.as_deref() != Some(target) {
        return Err(AppError::InvalidToken);
    }
    signer(state, &grant).await
}

/// A ticket for `user`: sent once to `/auth/tickets/check`, it signs in as `user`.
pub async fn create_ticket(state: &AppState, user: &User) -> Result<Ticket, AppError> {
    let secret = random_token();
    let now = state.clock.now();
    let expires_at = now + time::Duration::seconds(i64::from(state.rules().tokens.ticket_seconds));
    state
        .store
        .insert_grant(&GrantRecord {
            id_hash: grant_hash(state, &secret),
            user_id: user.id.clone(),
            kind: GrantKind::Ticket,
            target: None,
            created_at: now,
            expires_at,
        })
        .await?;
    Ok(Ticket {
        ticket: secret,
        expires_at,
    })
}

/// The account a ticket signs in; it is spent. Unknown, expired or spent: `InvalidToken`.
pub async fn check_ticket(state: &AppState, ticket: &str) -> Result<User, AppError> {
    let grant = consume(state, ticket, GrantKind::Ticket).await?;
    signer(state, &grant).await
}

async fn consume(state: &AppState, secret: &str, kind: GrantKind) -> Result<GrantRecord, AppError> {
    if secret.is_empty() || secret.len() > MAX_PRESENTED_LENGTH {
        return Err(AppError::InvalidToken);
    }
    state
        .store
        .consume_grant(&grant_hash(state, secret), kind, state.clock.now())
        .await?
        .ok_or(AppError::InvalidToken)
}

/// The account that made a grant, if it can still sign in.
async fn signer(state: &AppState, grant: &GrantRecord) -> Result<User, AppError> {
    let user = users::enabled_by_id(state, &grant.user_id)
        .await?
        .ok_or(AppError::InvalidToken)?;
    tracing::info!(user_id = %user.id, kind = grant.kind.as_str(), "signed in with a grant");
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn the_target_leaves_out_the_signature_and_keeps_the_rest() {
        assert_eq!(target("/account", None), "/account");
        assert_eq!(target("/account", Some("sign=abc")), "/account");
        assert_eq!(target("/a", Some("x=1&sign=abc&y=2")), "/a?x=1&y=2");
        assert_eq!(target("/a", Some("x=%20")), "/a?x=+");
    }
}
