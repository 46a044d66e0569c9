//! The signed-in account: profile, picture, password, devices, deletion.

use crate::domain::{Device, Page, Secret, User};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

#[cfg(feature = "ssr")]
use {
    crate::api::{session, upload, RequestContext},
    crate::domain::{PasswordChangeInput, ProfilePatch},
    backend::services::{accounts, email, pictures, sessions},
};

/// Saves the profile form. Every field is sent; an empty one is cleared.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/fn", endpoint = "account/profile")]
pub async fn update_profile(
    first_name: String,
    last_name: String,
    bio: String,
    location: String,
    birth_date: String,
    timezone: String,
    language: String,
) -> Result<User, AppError> {
    let cx = RequestContext::get()?;
    let patch = ProfilePatch {
        first_name: Some(Some(first_name)),
        last_name: Some(Some(last_name)),
        bio: Some(Some(bio)),
        location: Some(Some(location)),
        birth_date: Some(Some(birth_date)),
        timezone: Some(Some(timezone)),
        language: Some(Some(language)),
    };
    let result = async {
        let user = cx.user().await?;
        accounts::update_profile(&cx.state, &user.id, &patch).await
    }
    .await;
    cx.finish_form::<UpdateProfile, _>(result, &[])
}

/// Replaces the picture with an uploaded image (multipart field `file`).
#[server(prefix = "/fn", endpoint = "account/picture", input = MultipartFormData)]
pub async fn upload_picture(data: MultipartData) -> Result<User, AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        let multipart = data
            .into_inner()
            .ok_or_else(|| AppError::bad_request("Send the picture as multipart/form-data"))?;
        let upload =
            upload::read_upload(multipart, cx.state.rules().upload.picture_max_bytes).await?;
        pictures::replace(&cx.state, &user, upload).await
    }
    .await;
    cx.finish_form::<UploadPicture, _>(result, &[])
}

#[server(prefix = "/fn", endpoint = "account/picture/remove")]
pub async fn remove_picture() -> Result<User, AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        pictures::remove(&cx.state, &user).await
    }
    .await;
    cx.finish_form::<RemovePicture, _>(result, &[])
}

/// Changes the password; every other device is signed out, this one stays signed in.
#[server(prefix = "/fn", endpoint = "account/password")]
pub async fn change_password(
    current_password: Secret,
    new_password: Secret,
    new_password_confirmation: Secret,
) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let input = PasswordChangeInput {
        current_password,
        new_password,
        new_password_confirmation,
    };
    let result = async {
        let user = cx.user().await?;
        let keep = session::current_id(&cx.state, &cx.session);
        accounts::change_password(&cx.state, &user, &input, keep.as_deref(), &cx.client).await
    }
    .await;
    cx.finish_form::<ChangePassword, _>(result, &[])
}

/// How many devices the account page lists: this one, then the most recently active.
#[cfg(feature = "ssr")]
const DEVICES_SHOWN: usize = 20;

/// The devices the account page lists (at most `DEVICES_SHOWN`: an account that signs in
/// from a script may hold thousands), and how many there are in all.
#[server(prefix = "/fn", endpoint = "account/devices")]
pub async fn list_devices() -> Result<Page<Device>, AppError> {
    let cx = RequestContext::get()?;
    let user = cx.user().await?;
    let current = session::current_id(&cx.state, &cx.session);
    let mut devices = sessions::devices(&cx.state, &user.id, current.as_deref()).await?;
    devices.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.last_seen_at.cmp(&a.last_seen_at))
    });
    let total = devices.len();
    devices.truncate(DEVICES_SHOWN);
    Ok(Page {
        items: devices,
        total,
    })
}

#[server(prefix = "/fn", endpoint = "account/devices/sign-out")]
pub async fn sign_out_device(id: String) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        session::sign_out_device(&cx.state, &user.id, &cx.session, &id).await
    }
    .await;
    cx.finish_form::<SignOutDevice, _>(result, &[])
}

#[server(prefix = "/fn", endpoint = "account/devices/sign-out-others")]
pub async fn sign_out_other_devices() -> Result<u64, AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        session::sign_out_other_devices(&cx.state, &user.id, &cx.session).await
    }
    .await;
    cx.finish_form::<SignOutOtherDevices, _>(result, &[])
}

/// Deletes the account (after checking its password) and ends this session.
#[server(prefix = "/fn", endpoint = "account/delete")]
pub async fn delete_account(password: Secret) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        accounts::delete_account(&cx.state, &user, password.expose(), &cx.client).await?;
        session::sign_out(&cx.session).await?;
        cx.redirect_form("/login?deleted=1");
        Ok(())
    }
    .await;
    cx.finish_form::<DeleteAccount, _>(result, &[])
}

/// Mails a new verification link to the account's address ("send again").
#[server(prefix = "/fn", endpoint = "account/email/resend")]
pub async fn resend_verification() -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        email::resend_for(&cx.state, &user).await
    }
    .await;
    cx.finish_form::<ResendVerification, _>(result, &[])
}

/// Asks to move the account to another address: a link goes to the new one.
#[server(prefix = "/fn", endpoint = "account/email")]
pub async fn change_email(new_email: String, password: Secret) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        email::request_change(&cx.state, &user, &new_email, password.expose(), &cx.client).await
    }
    .await;
    cx.finish_form::<ChangeEmail, _>(result, &[("new_email", &new_email)])
}
