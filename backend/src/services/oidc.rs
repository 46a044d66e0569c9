//! Signing in with an outside OpenID provider: what a checked identity (`crate::oidc`)
//! means for accounts, as API.md's rules say.
//!
//! - A linked identity (issuer + subject) signs in to its account.
//! - A new identity creates an account when registration is open: the username from
//!   `preferred_username` (made valid and unique), the address from `email`, verified
//!   only if the provider says so, and no password until the person sets one.
//! - A new identity whose address belongs to an account here is never linked on its
//!   own: the person signs in to that account and links it from there.
//! - A signed-in person who starts a sign-in links the identity to their account; one
//!   linked to another account is refused.

use super::notices;
use crate::oidc::ExternalIdentity;
use crate::store::{IdentityRecord, NewUserRecord, StoreError, Unique, Unlinked};
use crate::AppState;
use domain::{
    AppError, AuthMethods, Email, LinkedIdentity, ProviderProblem, Registration, Role, User,
    Username,
};
use time::OffsetDateTime;

/// Why a sign-in through a provider did not happen: a problem the person is told about
/// on the page they are sent back to, or an error of Latchkey's own.
#[derive(Debug)]
pub enum Refusal {
    /// Told to the person on the page they are sent back to.
    Problem(ProviderProblem),
    /// Answered as any error of Latchkey's (the database is down, ...).
    Error(AppError),
}

impl From<ProviderProblem> for Refusal {
    fn from(problem: ProviderProblem) -> Self {
        Refusal::Problem(problem)
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal::Error(error)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Error(error.into())
    }
}

/// The sign-in methods this site offers, with each provider and whether it answers.
pub fn methods(state: &AppState) -> AuthMethods {
    AuthMethods {
        oidc: state.oidc.listed(),
        ..AuthMethods::from_rules(state.rules())
    }
}

/// The account a provider's identity signs in to: its linked account, or a new one.
pub async fn sign_in(
    state: &AppState,
    identity: &ExternalIdentity,
    language: &str,
) -> Result<User, Refusal> {
    let owner = state
        .store
        .identity_owner(&identity.issuer, &identity.subject)
        .await?;
    let user = match owner {
        Some(user_id) => {
            let record = state
                .store
                .user_by_id(&user_id)
                .await?
                .ok_or(ProviderProblem::WrongState)?;
            if record.disabled {
                return Err(ProviderProblem::AccountDisabled.into());
            }
            record.user
        }
        None => create_account(state, identity, language).await?,
    };
    if !state.rules().may_sign_in(&user) {
        return Err(ProviderProblem::EmailNotVerified.into());
    }
    Ok(user)
}

/// Links a provider's identity to the signed-in account `user_id` (linked already to
/// it: nothing to do).
pub async fn link(
    state: &AppState,
    user_id: &str,
    identity: &ExternalIdentity,
) -> Result<(), Refusal> {
    match state
        .store
        .identity_owner(&identity.issuer, &identity.subject)
        .await?
    {
        Some(owner) if owner == user_id => return Ok(()),
        Some(_) => return Err(ProviderProblem::LinkedElsewhere.into()),
        None => {}
    }
    match state
        .store
        .link_identity(&identity_record(user_id, identity, state.clock.now()))
        .await
    {
        Ok(()) => {
            tracing::info!(%user_id, provider = %identity.provider, "identity linked");
            Ok(())
        }
        Err(StoreError::Conflict(Unique::Identity)) => Err(ProviderProblem::LinkedElsewhere.into()),
        Err(other) => Err(other.into()),
    }
}

/// The identities linked to the account.
pub async fn identities(state: &AppState, user_id: &str) -> Result<Vec<LinkedIdentity>, AppError> {
    Ok(state
        .store
        .identities_of(user_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Unlinks one of the account's identities: 404 when it has none with that id, 409
/// `last_sign_in_method` when the account would be left without a way to sign in (no
/// password and no other identity; an emailed code does not count).
pub async fn unlink(state: &AppState, user_id: &str, identity_id: &str) -> Result<(), AppError> {
    match state
        .store
        .unlink_identity(user_id, identity_id, state.clock.now())
        .await?
    {
        Unlinked::Done => {
            tracing::info!(%user_id, "identity unlinked");
            Ok(())
        }
        Unlinked::NotFound => Err(AppError::NotFound),
        Unlinked::LastSignInMethod => Err(AppError::LastSignInMethod),
    }
}

/// How many numbered names are tried before a random number is taken.
const NUMBERED_NAMES: u32 = 50;

/// A new account for a new identity, when registration is open and its address is no
/// account's.
async fn create_account(
    state: &AppState,
    identity: &ExternalIdentity,
    language: &str,
) -> Result<User, Refusal> {
    let email = identity
        .email
        .as_deref()
        .and_then(|raw| Email::parse(raw).ok())
        .ok_or(ProviderProblem::NoEmail)?;
    if state.store.user_by_email(email.as_str()).await?.is_some() {
        return Err(ProviderProblem::EmailTaken.into());
    }
    if state.rules().registration != Registration::Open {
        return Err(ProviderProblem::RegistrationClosed.into());
    }
    let rules = &state.rules().username;
    let local_part = email.as_str().split('@').next().unwrap_or_default();
    let hint = identity.preferred_username.as_deref().unwrap_or(local_part);
    let base = Username::from_hint(hint, rules);
    let created_at = state.clock.now();
    for attempt in 1..=NUMBERED_NAMES + 1 {
        let username = match attempt {
            1 => base.clone(),
            n if n <= NUMBERED_NAMES => base.with_suffix(&n.to_string(), rules),
            _ => {
                let number: u32 = rand::Rng::gen_range(&mut rand::thread_rng(), 1000..1_000_000);
                base.with_suffix(&number.to_string(), rules)
            }
        };
        if state
            .store
            .user_by_username(&username.key())
            .await?
            .is_some()
        {
            continue;
        }
        let record = NewUserRecord {
            id: uuid::Uuid::now_v7().to_string(),
            username: username.as_str().to_owned(),
            email: email.as_str().to_owned(),
            email_verified: identity.email_verified,
            password_hash: None,
            role: Role::User,
            language: language.to_owned(),
            timezone: "UTC".into(),
            created_at,
        };
        match state
            .store
            .create_user_with_identity(&record, &identity_record(&record.id, identity, created_at))
            .await
        {
            Ok(()) => {}
            // Taken since it was looked up: the next number.
            Err(StoreError::Conflict(Unique::Username)) => continue,
            Err(StoreError::Conflict(Unique::Email)) => {
                return Err(ProviderProblem::EmailTaken.into())
            }
            // The same identity, signing in twice at once: the other one made it.
            Err(StoreError::Conflict(Unique::Identity)) => {
                return Err(ProviderProblem::WrongState.into())
            }
            Err(other) => return Err(other.into()),
        }
        let user = state
            .store
            .user_by_id(&record.id)
            .await?
            .ok_or(AppError::NotFound)?
            .user;
        tracing::info!(user_id = %user.id, provider = %identity.provider, "account created through a provider");
        if !user.email_verified {
            if let Err(error) = notices::send_verification(state, &user).await {
                tracing::warn!(user_id = %user.id, %error, "could not queue the verification mail");
            }
        }
        return Ok(user);
    }
    Err(AppError::Conflict {
        fields: domain::FieldErrors::from([("username".into(), "No free username".into())]),
    }
    .into())
}

fn identity_record(
    user_id: &str,
    identity: &ExternalIdentity,
    linked_at: OffsetDateTime,
) -> IdentityRecord {
    IdentityRecord {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        provider: identity.provider.clone(),
        issuer: identity.issuer.clone(),
        subject: identity.subject.clone(),
        email: identity.email.clone(),
        linked_at,
    }
}
