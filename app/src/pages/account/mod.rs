//! `/account`: everything about the signed-in account, one section each.

mod data;
mod devices;
mod email;
mod password;
mod picture;
mod profile;
mod tokens;

use super::components::guard::RequireUser;
use super::{on_success, use_auth};
use crate::api::account::{
    ChangeEmail, ChangePassword, DeleteAccount, RemovePicture, ResendVerification, SignOutDevice,
    SignOutOtherDevices, UpdateProfile,
};
use crate::api::tokens::{CreateToken, RevokeToken};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The actions of the account page. They live as long as the page, so a section that
/// renders again (after the account changed) still shows how its last submission went.
#[derive(Clone, Copy)]
struct Actions {
    picture: picture::PictureState,
    profile: ServerAction<UpdateProfile>,
    remove_picture: ServerAction<RemovePicture>,
    password: ServerAction<ChangePassword>,
    sign_out_device: ServerAction<SignOutDevice>,
    sign_out_others: ServerAction<SignOutOtherDevices>,
    delete: ServerAction<DeleteAccount>,
    resend: ServerAction<ResendVerification>,
    change_email: ServerAction<ChangeEmail>,
    create_token: ServerAction<CreateToken>,
    revoke_token: ServerAction<RevokeToken>,
}

/// The page's sections, in order: the id each has and what the navigation calls it.
const SECTIONS: [(&str, &str); 5] = [
    ("profile", "Profile"),
    ("security", "Sign-in & security"),
    ("devices", "Devices"),
    ("tokens", "API tokens"),
    ("data", "Your data"),
];

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = use_auth();
    let remove_picture = ServerAction::new();
    let actions = Actions {
        picture: picture::PictureState::new(remove_picture),
        profile: ServerAction::new(),
        remove_picture,
        password: ServerAction::new(),
        sign_out_device: ServerAction::new(),
        sign_out_others: ServerAction::new(),
        delete: ServerAction::new(),
        resend: ServerAction::new(),
        change_email: ServerAction::new(),
        create_token: ServerAction::new(),
        revoke_token: ServerAction::new(),
    };
    // The secret of a token made without JavaScript, which the server hands this page once.
    let carried_secret = SharedValue::new(carried_secret).into_inner();
    // What changes the account itself shows at once, in the header and on this page.
    // Only a success does: after a refused submission the page stays as the person left
    // it, with what they typed and the server's messages.
    let show = move |user| auth.user.set(Some(user));
    on_success(actions.profile, show);
    on_success(actions.remove_picture, show);
    let navigate = use_navigate();
    on_success(actions.delete, move |()| {
        auth.user.set(None);
        navigate("/login?deleted=1", Default::default());
    });

    view! {
        <Title text="Your account"/>
        <RequireUser children=move |user| view! {
            <div class="account">
                <h1 class="page-title">"Your account"</h1>
                <SectionNav/>
                <div class="stack">
                    {group("profile", view! {
                        <profile::ProfileSection user=user.clone() action=actions.profile/>
                        <picture::PictureSection user=user.clone() remove=actions.remove_picture state=actions.picture/>
                    })}
                    {group("security", view! {
                        <email::EmailSection user=user.clone() resend=actions.resend change=actions.change_email/>
                        <password::PasswordSection user=user.clone() action=actions.password/>
                    })}
                    {group("devices", view! {
                        <devices::DevicesSection
                            sign_out=actions.sign_out_device
                            sign_out_others=actions.sign_out_others
                            password=actions.password
                        />
                    })}
                    {group("tokens", view! {
                        <tokens::TokensSection create=actions.create_token revoke=actions.revoke_token
                            carried=carried_secret.clone()/>
                    })}
                    {group("data", view! {
                        <data::DataSection action=actions.delete/>
                    })}
                </div>
            </div>
        }/>
    }
}

/// Links to the page's sections: plain anchors, so they work without JavaScript. On a
/// wide screen they stand beside the sections, on a phone in a row above them; either
/// way they stay in view.
#[component]
fn SectionNav() -> impl IntoView {
    view! {
        <nav class="section-nav" aria-label="Sections of your account">
            <ul>
                {SECTIONS.map(|(id, label)| view! { <li><a href=format!("#{id}")>{label}</a></li> }).collect_view()}
            </ul>
        </nav>
    }
}

/// One of the page's sections (`SECTIONS`): what the navigation links to. Each is its
/// own view type (`AnyView`): the page's whole type nested too deep for the compiler.
fn group(id: &'static str, content: impl IntoView + 'static) -> AnyView {
    view! { <div class="stack" id=id>{content}</div> }.into_any()
}

/// The secret of a token that the form made without JavaScript (`api::tokens`), on the
/// server; nothing in the browser, which reads the page's serialised copy.
fn carried_secret() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::api::tokens::take_carried_secret()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

const MOMENT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");

/// A moment as people read it (in UTC: the browser has no time zone database).
fn moment(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(MOMENT)
        .unwrap_or_default()
}

/// The moment now: the browser's clock, or the server's.
fn now() -> time::OffsetDateTime {
    #[cfg(feature = "hydrate")]
    {
        let millis = js_sys::Date::now() as i128;
        if let Ok(now) = time::OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000) {
            return now;
        }
    }
    time::OffsetDateTime::now_utc()
}

/// Today's date where the person is: the browser's date, or on the server the latest
/// date anywhere on Earth (so that nothing valid is refused before the browser takes over).
fn today() -> time::Date {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::new_0();
        let month =
            time::Month::try_from(now.get_month() as u8 + 1).unwrap_or(time::Month::January);
        if let Ok(date) =
            time::Date::from_calendar_date(now.get_full_year() as i32, month, now.get_date() as u8)
        {
            return date;
        }
    }
    (time::OffsetDateTime::now_utc() + time::Duration::hours(14)).date()
}
