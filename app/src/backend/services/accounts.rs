//! Accounts: registration, creation by an administrator, and sign-in by password.

use super::throttle::{address_bucket, Limit, Throttle};
use crate::backend::request::ClientInfo;
use crate::backend::store::{NewUserRecord, StoreError, Unique, UserRecord};
use crate::backend::AppState;
use crate::domain::{
    Credentials, FieldErrors, LoginId, NewAccount, RegisterInput, Registration, Role, User,
};
use crate::error::AppError;
use time::OffsetDateTime;

const USERNAME_TAKEN: &str = "This username is taken";
const EMAIL_TAKEN: &str = "An account with this email address already exists";

/// Self-service registration, allowed only when registration is open.
pub async fn register(
    state: &AppState,
    input: &RegisterInput,
    language: &str,
) -> Result<User, AppError> {
    match state.rules().registration {
        Registration::Open => {}
        Registration::Invite => {
            return Err(AppError::RegistrationDisabled {
                message: "Registration is by invitation only".into(),
            })
        }
        Registration::Closed => {
            return Err(AppError::RegistrationDisabled {
                message: "Registration is closed".into(),
            })
        }
    }
    let account = NewAccount::parse(input, state.rules())?;
    create_account(state, account, Role::User, language).await
}

/// Creates an account whatever the registration setting (administrators, invitations).
pub async fn create_account(
    state: &AppState,
    account: NewAccount,
    role: Role,
    language: &str,
) -> Result<User, AppError> {
    // Taken names are found before paying for a hash; the unique indexes still decide
    // when two registrations race.
    let mut taken = FieldErrors::new();
    if state
        .store
        .user_by_username(&account.username.key())
        .await?
        .is_some()
    {
        taken.insert("username".into(), USERNAME_TAKEN.into());
    }
    if state
        .store
        .user_by_email(account.email.as_str())
        .await?
        .is_some()
    {
        taken.insert("email".into(), EMAIL_TAKEN.into());
    }
    if !taken.is_empty() {
        return Err(AppError::Conflict { fields: taken });
    }

    let password_hash = state.hasher.hash(&account.password).await?;
    // Postgres keeps microseconds and SQLite seconds: store whole seconds everywhere so
    // that what is returned now equals what is read back later.
    let created_at = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let record = NewUserRecord {
        id: uuid::Uuid::now_v7().to_string(),
        username: account.username.as_str().to_owned(),
        email: account.email.as_str().to_owned(),
        password_hash,
        role,
        language: language.to_owned(),
        timezone: "UTC".into(),
        created_at,
    };
    match state.store.insert_user(&record).await {
        Ok(()) => {}
        Err(StoreError::Conflict(which)) => {
            let (field, message) = match which {
                Unique::Email => ("email", EMAIL_TAKEN),
                _ => ("username", USERNAME_TAKEN),
            };
            return Err(AppError::Conflict {
                fields: FieldErrors::from([(field.into(), message.into())]),
            });
        }
        Err(other) => return Err(other.into()),
    }
    tracing::info!(user_id = %record.id, "account created");
    Ok(User {
        id: record.id,
        username: record.username,
        email: record.email,
        email_verified: false,
        first_name: None,
        last_name: None,
        bio: None,
        location: None,
        birth_date: None,
        timezone: record.timezone,
        language: record.language,
        picture_url: None,
        role,
        created_at,
    })
}

/// Signs in by username or email and password.
///
/// Every way of failing answers `InvalidCredentials`, in about the same time (an unknown
/// account is checked against a dummy hash). Failures are counted per account and per
/// client address; past the limit the answer is 429 until the window ends, even for the
/// right password.
pub async fn authenticate(
    state: &AppState,
    login: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<User, AppError> {
    let credentials = Credentials::parse(login, password)?;
    let record = find_by_login(state, &credentials.login).await?;

    let rules = &state.rules().throttle;
    let account_key = match &record {
        Some(record) => format!("login:account:{}", record.user.id),
        None => format!("login:{}", credentials.login.key()),
    };
    let limits = [
        Limit {
            key: account_key.clone(),
            max_failures: rules.failed_logins_per_account,
        },
        Limit {
            key: format!("login:address:{}", address_bucket(client.address)),
            max_failures: rules.failed_logins_per_address,
        },
    ];
    let throttle = Throttle::new(state.store.as_ref(), rules.window_seconds);
    let now = OffsetDateTime::now_utc();
    throttle.check(&limits, now).await?;

    let stored_hash = record.as_ref().map(|r| r.password_hash.as_str());
    let verification = state
        .hasher
        .verify(&credentials.password, stored_hash)
        .await?;
    match record {
        Some(record) if verification.valid && !record.disabled => {
            throttle.clear(&account_key).await?;
            if verification.needs_rehash {
                upgrade_hash(state, &record, &credentials).await;
            }
            Ok(record.user)
        }
        _ => {
            throttle.record_failure(&limits, now).await?;
            tracing::info!(address = %client.address, "failed sign-in");
            Err(AppError::InvalidCredentials)
        }
    }
}

async fn find_by_login(state: &AppState, login: &LoginId) -> Result<Option<UserRecord>, AppError> {
    Ok(match login {
        LoginId::Email(email) => state.store.user_by_email(email.as_str()).await?,
        LoginId::Username(key) => state.store.user_by_username(key).await?,
    })
}

/// Re-hashes a password stored with older parameters. Best effort: the sign-in succeeds
/// whether or not this does.
async fn upgrade_hash(state: &AppState, record: &UserRecord, credentials: &Credentials) {
    let result = async {
        let hash = state.hasher.hash(&credentials.password).await?;
        state
            .store
            .set_password_hash(&record.user.id, &hash, OffsetDateTime::now_utc())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(user_id = %record.user.id, %error, "could not upgrade the password hash");
    }
}

/// The account with this id, if it exists and is not disabled.
pub async fn user_by_id(state: &AppState, id: &str) -> Result<Option<User>, AppError> {
    Ok(state
        .store
        .user_by_id(id)
        .await?
        .filter(|record| !record.disabled)
        .map(|record| record.user))
}
