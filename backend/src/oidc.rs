//! OpenID Connect as a client: Latchkey signs people in with outside providers.
//!
//! The protocol is the `openidconnect` crate's: discovery, the authorization code flow
//! with PKCE (S256), `state` and `nonce`, the code exchange as a confidential client, the
//! ID token checked against the issuer's keys (signature, `iss`, `aud`, `exp`, `nonce`),
//! and userinfo for the claims the ID token lacks. This module keeps each provider's
//! discovered metadata (fetched at start-up, again when it was missing, and again when an
//! ID token names a key it does not hold) and carries a sign-in between its start and the
//! provider's answer in a sealed value the browser keeps (`PendingSignIn`). What a
//! finished sign-in means for accounts is `services::oidc`.

use crate::config::{Config, OidcProviderConfig};
use crate::secrets::{Purpose, SecretKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{OidcProvider, ProviderProblem};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreIdTokenClaims,
    CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    reqwest, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// How long a sign-in may take at the provider.
pub const FLOW_LIFETIME: time::Duration = time::Duration::minutes(10);

/// How long a request to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// A client with the endpoints discovery gives: authorization set, token and userinfo
/// as the provider offers them.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The configured providers and what Latchkey knows of each.
pub struct OidcProviders {
    providers: Vec<Provider>,
    http: reqwest::Client,
}

struct Provider {
    config: OidcProviderConfig,
    redirect: RedirectUrl,
    /// The discovery document with the issuer's keys; `None` until it was fetched.
    metadata: RwLock<Option<Arc<CoreProviderMetadata>>>,
}

/// Who a person is at a provider, as its checked ID token (and userinfo) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's id in the configuration.
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider says the address is the person's.
    pub email_verified: bool,
    pub preferred_username: Option<String>,
}

/// A sign-in between its start and the provider's answer. The browser keeps it, sealed
/// (`seal`/`open`): the answer is taken only by the browser that started the sign-in,
/// and only within `FLOW_LIFETIME`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub provider: String,
    /// The `state` sent to the provider, which its answer must carry back.
    state: String,
    nonce: String,
    pkce_verifier: String,
    /// The page of this site to go on to.
    pub next: Option<String>,
    /// The signed-in account that started it, to link the identity to.
    pub link_to: Option<String>,
    started_at: i64,
}

impl PendingSignIn {
    /// The value the browser keeps: the sign-in as JSON, and a keyed hash of it.
    pub fn seal(&self, secret: &SecretKey) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let mac = secret.keyed_hash(Purpose::OidcFlow, body.as_bytes());
        format!("{body}.{mac}")
    }

    /// The sign-in a sealed value holds, if this server sealed it and it has not expired.
    pub fn open(sealed: &str, secret: &SecretKey, now: OffsetDateTime) -> Option<PendingSignIn> {
        let (body, mac) = sealed.rsplit_once('.')?;
        let expected = secret.keyed_hash(Purpose::OidcFlow, body.as_bytes());
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return None;
        }
        let pending: PendingSignIn =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let started = OffsetDateTime::from_unix_timestamp(pending.started_at).ok()?;
        (now >= started && now - started <= FLOW_LIFETIME).then_some(pending)
    }

    /// Whether the provider's answer carries this sign-in's `state`.
    pub fn state_matches(&self, state: &str) -> bool {
        bool::from(self.state.as_bytes().ct_eq(state.as_bytes()))
    }
}

impl OidcProviders {
    /// The providers of the configuration, none discovered yet (`discover_all`).
    pub fn new(config: &Config) -> OidcProviders {
        let http = reqwest::ClientBuilder::new()
            // A provider's endpoints answer themselves; a redirect is never followed
            // (it could lead a request anywhere).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .unwrap_or_default();
        let public = config.public_url.as_str().trim_end_matches('/');
        let providers = config
            .oidc_providers
            .iter()
            .filter_map(|provider| {
                let callback = format!("{public}/api/v1/auth/oidc/{}/callback", provider.id);
                match RedirectUrl::new(callback) {
                    Ok(redirect) => Some(Provider {
                        config: provider.clone(),
                        redirect,
                        metadata: RwLock::new(None),
                    }),
                    Err(error) => {
                        tracing::error!(provider = %provider.id, %error, "no callback URL");
                        None
                    }
                }
            })
            .collect();
        OidcProviders { providers, http }
    }

    /// Fetches every provider's discovery document. A provider that cannot be reached is
    /// logged and stays unavailable until a sign-in with it finds it again.
    pub async fn discover_all(&self) {
        for provider in &self.providers {
            let _ = provider.discover(&self.http).await;
        }
    }

    /// The providers as the sign-in page and `/auth/methods` list them.
    pub fn listed(&self) -> Vec<OidcProvider> {
        self.providers
            .iter()
            .map(|provider| OidcProvider {
                id: provider.config.id.clone(),
                name: provider.config.name.clone(),
                login_url: format!("/api/v1/auth/oidc/{}/login", provider.config.id),
                available: provider.cached().is_some(),
            })
            .collect()
    }

    /// Whether `id` names a configured provider.
    pub fn knows(&self, id: &str) -> bool {
        self.provider(id).is_some()
    }

    fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    /// Starts a sign-in: where to send the browser, and what it keeps until the answer.
    pub async fn begin(
        &self,
        id: &str,
        next: Option<String>,
        link_to: Option<String>,
        now: OffsetDateTime,
    ) -> Result<(String, PendingSignIn), ProviderProblem> {
        let provider = self.provider(id).ok_or(ProviderProblem::Unavailable)?;
        let metadata = provider.metadata(&self.http).await?;
        let client = provider.client(&metadata);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        // `openid` is always asked for.
        for scope in provider.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = PendingSignIn {
            provider: id.to_owned(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next,
            link_to,
            started_at: now.unix_timestamp(),
        };
        Ok((url.to_string(), pending))
    }

    /// Finishes a sign-in with the code the provider answered with: exchanges it, checks
    /// the ID token, and asks userinfo for the claims the ID token lacks.
    pub async fn finish(
        &self,
        pending: &PendingSignIn,
        code: &str,
    ) -> Result<ExternalIdentity, ProviderProblem> {
        let provider = self
            .provider(&pending.provider)
            .ok_or(ProviderProblem::WrongState)?;
        let id = &provider.config.id;
        let metadata = provider.metadata(&self.http).await?;
        let client = provider.client(&metadata);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| {
                tracing::warn!(provider = %id, %error, "the provider has no token endpoint");
                ProviderProblem::Unavailable
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|error| {
                tracing::warn!(provider = %id, error = %error_chain(&error), "code exchange refused");
                ProviderProblem::CodeRefused
            })?;
        let Some(id_token) = token.extra_fields().id_token() else {
            tracing::warn!(provider = %id, "the token response has no ID token");
            return Err(ProviderProblem::BadToken);
        };
        let nonce = Nonce::new(pending.nonce.clone());
        let claims: CoreIdTokenClaims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // A key the cached set lacks: the provider may have rotated its keys.
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let fresh = provider.discover(&self.http).await?;
                let client = provider.client(&fresh);
                let verifier = client.id_token_verifier();
                let claims = id_token
                    .claims(&verifier, &nonce)
                    .map_err(|error| bad_token(id, &error))?
                    .clone();
                claims
            }
            Err(error) => return Err(bad_token(id, &error)),
        };
        let mut identity = ExternalIdentity {
            provider: id.clone(),
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|email| email.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            preferred_username: claims.preferred_username().map(|name| name.to_string()),
        };
        if identity.email.is_none() || identity.preferred_username.is_none() {
            let request =
                client.user_info(token.access_token().clone(), Some(claims.subject().clone()));
            if let Ok(request) = request {
                match request.request_async(&self.http).await {
                    Ok(info) => {
                        let info: CoreUserInfoClaims = info;
                        if identity.email.is_none() {
                            identity.email = info.email().map(|email| email.to_string());
                            identity.email_verified = info.email_verified().unwrap_or(false);
                        }
                        if identity.preferred_username.is_none() {
                            identity.preferred_username =
                                info.preferred_username().map(|name| name.to_string());
                        }
                    }
                    Err(error) => {
                        tracing::warn!(provider = %id, error = %error_chain(&error), "userinfo failed");
                    }
                }
            }
        }
        Ok(identity)
    }
}

impl Provider {
    /// The discovery document as last fetched.
    fn cached(&self) -> Option<Arc<CoreProviderMetadata>> {
        self.metadata
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The discovery document: the one fetched before, else fetched now.
    async fn metadata(
        &self,
        http: &reqwest::Client,
    ) -> Result<Arc<CoreProviderMetadata>, ProviderProblem> {
        match self.cached() {
            Some(metadata) => Ok(metadata),
            None => self.discover(http).await,
        }
    }

    /// Fetches the discovery document and the issuer's keys, and keeps them.
    async fn discover(
        &self,
        http: &reqwest::Client,
    ) -> Result<Arc<CoreProviderMetadata>, ProviderProblem> {
        let id = &self.config.id;
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|error| {
            tracing::error!(provider = %id, %error, "the issuer is not a URL");
            ProviderProblem::Unavailable
        })?;
        match CoreProviderMetadata::discover_async(issuer, http).await {
            Ok(metadata) => {
                let metadata = Arc::new(metadata);
                *self
                    .metadata
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(metadata.clone());
                tracing::info!(provider = %id, "OpenID provider discovered");
                Ok(metadata)
            }
            Err(error) => {
                tracing::warn!(
                    provider = %id,
                    issuer = %self.config.issuer,
                    error = %error_chain(&error),
                    "OpenID provider unavailable: its sign-in button says so until it answers"
                );
                Err(ProviderProblem::Unavailable)
            }
        }
    }

    /// A client for the provider as discovered. Its secret goes to the token endpoint as
    /// the provider allows: HTTP Basic first, else in the request body.
    fn client(&self, metadata: &CoreProviderMetadata) -> Client {
        let basic_allowed =
            metadata
                .token_endpoint_auth_methods_supported()
                .is_none_or(|methods| {
                    methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                        || !methods.contains(&CoreClientAuthMethod::ClientSecretPost)
                });
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(if basic_allowed {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        })
    }
}

fn bad_token(provider: &str, error: &ClaimsVerificationError) -> ProviderProblem {
    tracing::warn!(provider = %provider, %error, "ID token refused");
    ProviderProblem::BadToken
}

/// An error with its causes, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(started_at: OffsetDateTime) -> PendingSignIn {
        PendingSignIn {
            provider: "corp".into(),
            state: "state-1".into(),
            nonce: "nonce-1".into(),
            pkce_verifier: "verifier-1".into(),
            next: Some("/account".into()),
            link_to: None,
            started_at: started_at.unix_timestamp(),
        }
    }

    #[test]
    fn a_sealed_sign_in_opens_only_unchanged_here_and_in_time() {
        let secret = SecretKey::from_text("a secret of at least thirty-two characters");
        let now = OffsetDateTime::now_utc();
        let sign_in = pending(now);
        let sealed = sign_in.seal(&secret);
        assert_eq!(
            PendingSignIn::open(&sealed, &secret, now),
            Some(sign_in.clone())
        );
        assert!(sign_in.state_matches("state-1"));
        assert!(!sign_in.state_matches("state-2"));

        let other = SecretKey::from_text("another secret of at least thirty-two chars");
        assert_eq!(PendingSignIn::open(&sealed, &other, now), None);
        let (body, mac) = sealed.rsplit_once('.').unwrap();
        let mut forged = pending(now);
        forged.link_to = Some("someone-else".into());
        let forged_body = forged.seal(&other);
        let forged_body = forged_body.rsplit_once('.').unwrap().0;
        assert_eq!(
            PendingSignIn::open(&format!("{forged_body}.{mac}"), &secret, now),
            None
        );
        assert_eq!(PendingSignIn::open(body, &secret, now), None);
        assert_eq!(PendingSignIn::open("", &secret, now), None);

        let late = now + FLOW_LIFETIME + time::Duration::seconds(1);
        assert_eq!(PendingSignIn::open(&sealed, &secret, late), None);
    }
}
