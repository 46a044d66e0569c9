//! Accounts: registration, creation by an administrator, the profile, password change,
//! export and deletion.

use super::credentials::{account_throttle_key, confirm_password};
use super::{notices, pictures, sessions, users};
use crate::request::ClientInfo;
use crate::store::{NewPassword, NewUserRecord, StoreError, Unique};
use crate::AppState;
use domain::{
    AccountExport, AppError, FieldErrors, NewAccount, Password, PasswordChangeInput, ProfilePatch,
    RegisterInput, Registration, Role, User,
};
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
    if let Err(error) = notices::send_verification(state, &user).await {
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
    // Whole seconds (the clock's): what is returned now equals what is read back later.
    let created_at = state.clock.now();
    let record = NewUserRecord {
        id: uuid::Uuid::now_v7().to_string(),
        username: account.username.as_str().to_owned(),
        email: account.email.as_str().to_owned(),
        email_verified: false,
        password_hash: Some(password_hash),
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
    users::enabled_by_id(state, user_id)
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
    notices::password_changed(state, user).await;
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
        pictures::delete_blob(state, &picture.key).await;
    }
    tracing::info!(user_id = %user.id, "account deleted");
    Ok(())
}

/// The export of the signed-in `user` (as loaded for this request), their devices and
/// their linked identities.
pub async fn export(
    state: &AppState,
    user: &User,
    current_session: Option<&str>,
) -> Result<AccountExport, AppError> {
    let devices = sessions::devices(state, &user.id, current_session).await?;
    let identities = state.store.identities_of(&user.id).await?;
    Ok(AccountExport {
        exported_at: OffsetDateTime::now_utc(),
        account: user.clone(),
        devices,
        identities: identities.into_iter().map(Into::into).collect(),
    })
}
