//! Accounts: registration, creation by an administrator, sign-in by password, the
//! profile, password change, export and deletion.

use super::throttle::{address_bucket, Limit, Throttle};
use crate::backend::request::ClientInfo;
use crate::backend::store::{NewPassword, NewUserRecord, StoreError, Unique, UserRecord};
use crate::backend::AppState;
use crate::domain::{
    Credentials, Device, FieldErrors, LoginId, NewAccount, Password, PasswordChangeInput,
    ProfilePatch, RegisterInput, Registration, Role, User,
};
use crate::error::AppError;
use serde::Serialize;
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
    let user = create_account(state, account, Role::User, language).await?;
    // The account exists whether or not the mail can be queued; "send again" is there.
    if let Err(error) = super::email::send_verification(state, &user).await {
        tracing::warn!(user_id = %user.id, %error, "could not queue the verification mail");
    }
    Ok(user)
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
    // Names without an account are counted too, so that 429 does not tell who exists.
    let account_key = match &record {
        Some(record) => account_throttle_key(&record.user.id),
        None => format!("login:{}", credentials.login.key()),
    };
    match verify_password(
        state,
        &account_key,
        record.as_ref(),
        &credentials.password,
        client,
    )
    .await?
    {
        Some(record) if !state.rules().may_sign_in(&record.user) => Err(AppError::EmailNotVerified),
        Some(record) => Ok(record.user),
        None => Err(AppError::InvalidCredentials),
    }
}

/// The throttle counter of failed sign-ins (password or code) for an account.
pub(super) fn account_throttle_key(user_id: &str) -> String {
    format!("login:account:{user_id}")
}

/// The failed-sign-in limits: per account (or per name without one) and per address.
pub(super) fn sign_in_limits(
    state: &AppState,
    account_key: &str,
    client: &ClientInfo,
) -> [Limit; 2] {
    let rules = &state.rules().throttle;
    [
        Limit {
            key: account_key.to_owned(),
            max_failures: rules.failed_logins_per_account,
        },
        Limit {
            key: format!("login:address:{}", address_bucket(client.address)),
            max_failures: rules.failed_logins_per_address,
        },
    ]
}

/// Checks a password for an account (or against a dummy hash when there is none), under
/// the failed-sign-in throttle: the attempt is counted for the account and the client's
/// address before the hash is computed, and past the limit it is refused with 429
/// without one. A success gives the attempt back and clears the account's count.
/// Returns the account when the password is right.
async fn verify_password(
    state: &AppState,
    account_key: &str,
    record: Option<&UserRecord>,
    password: &Password,
    client: &ClientInfo,
) -> Result<Option<UserRecord>, AppError> {
    let limits = sign_in_limits(state, account_key, client);
    let throttle = Throttle::new(state.store.as_ref(), state.rules().throttle.window_seconds);
    let attempt = throttle.begin(&limits, OffsetDateTime::now_utc()).await?;

    let stored_hash = record.map(|r| r.password_hash.as_str());
    let verification = state.hasher.verify(password, stored_hash).await?;
    match record {
        Some(record) if verification.valid && !record.disabled => {
            throttle.succeeded(attempt).await?;
            throttle.clear(account_key).await?;
            if verification.needs_rehash {
                upgrade_hash(state, record, password).await;
            }
            Ok(Some(record.clone()))
        }
        _ => {
            tracing::info!(address = %client.address, "failed password check");
            Ok(None)
        }
    }
}

/// Checks the password of a signed-in account before a sensitive change; a wrong one is
/// a message next to `field` (and counts as a failed sign-in).
pub(super) async fn confirm_password(
    state: &AppState,
    user_id: &str,
    password: &Password,
    field: &str,
    client: &ClientInfo,
) -> Result<UserRecord, AppError> {
    let record = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    verify_password(
        state,
        &account_throttle_key(user_id),
        Some(&record),
        password,
        client,
    )
    .await?
    .ok_or_else(|| AppError::validation(field, "Incorrect password"))
}

async fn find_by_login(state: &AppState, login: &LoginId) -> Result<Option<UserRecord>, AppError> {
    Ok(match login {
        LoginId::Email(email) => state.store.user_by_email(email.as_str()).await?,
        LoginId::Username(key) => state.store.user_by_username(key).await?,
    })
}

/// Re-hashes a password stored with older parameters. Best effort: the sign-in succeeds
/// whether or not this does.
async fn upgrade_hash(state: &AppState, record: &UserRecord, password: &Password) {
    let result = async {
        let hash = state.hasher.hash(password).await?;
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

/// Applies a profile change (any subset of the editable fields) and returns the profile.
pub async fn update_profile(
    state: &AppState,
    user_id: &str,
    patch: &ProfilePatch,
) -> Result<User, AppError> {
    let now = OffsetDateTime::now_utc();
    // The latest date anywhere on Earth (UTC+14): a birth date of "today" is accepted
    // wherever the person is.
    let today = (now + time::Duration::hours(14)).date();
    let changes = patch.parse(today)?;
    if !changes.is_empty() {
        state.store.update_profile(user_id, &changes, now).await?;
    }
    user_by_id(state, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Changes the password after checking the current one, and signs out every other
/// session of the account (`keep_session` is the id hash of the one making the change).
pub async fn change_password(
    state: &AppState,
    user: &User,
    input: &PasswordChangeInput,
    keep_session: Option<&str>,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let (current, new) = input.parse(state.rules(), &[&user.username, &user.email])?;
    confirm_password(state, &user.id, &current, "current_password", client).await?;
    let hash = state.hasher.hash(&new).await?;
    // One transaction: a reset link or code mailed before the change must not undo it,
    // and no other session outlives the old password.
    let ended = state
        .store
        .change_password(&NewPassword {
            user_id: &user.id,
            password_hash: &hash,
            keep_session,
            throttle_key: &account_throttle_key(&user.id),
            now: OffsetDateTime::now_utc(),
        })
        .await?;
    super::email::notify_password_changed(state, user).await;
    tracing::info!(user_id = %user.id, other_sessions_ended = ended, "password changed");
    Ok(())
}

/// Deletes the account after checking its password: the row, its sessions and tokens
/// (they cascade) and its throttle counter at once, then its picture. The caller ends
/// the current session.
pub async fn delete_account(
    state: &AppState,
    user: &User,
    password: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let password = Password::for_sign_in(password)
        .map_err(|message| AppError::validation("password", message))?;
    let record = confirm_password(state, &user.id, &password, "password", client).await?;
    state
        .store
        .delete_user(&user.id, &account_throttle_key(&user.id))
        .await?;
    if let Some(picture) = record.picture {
        super::pictures::delete_blob(state, &picture.key).await;
    }
    tracing::info!(user_id = %user.id, "account deleted");
    Ok(())
}

/// Everything Latchkey stores about an account, without secrets or hashes.
#[derive(Clone, Debug, Serialize)]
pub struct AccountExport {
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub account: User,
    pub devices: Vec<Device>,
}

/// The export of the signed-in `user` (as loaded for this request) and their devices.
pub async fn export(
    state: &AppState,
    user: &User,
    current_session: Option<&str>,
) -> Result<AccountExport, AppError> {
    let devices = super::sessions::devices(state, &user.id, current_session).await?;
    Ok(AccountExport {
        exported_at: OffsetDateTime::now_utc(),
        account: user.clone(),
        devices,
    })
}
