//! `/account`: everything about the signed-in account, one section each.

mod data;
mod devices;
mod email;
mod identities;
mod password;
mod picture;
mod profile;
mod tokens;

use super::components::form::{page_error, query_value, PageError};
use super::components::guard::RequireUser;
use super::components::island::{go_to, hydrated, on_success};
use super::use_auth;
use crate::api::account::{
    list_devices, ChangeEmail, ChangePassword, DeleteAccount, RemovePicture, ResendVerification,
    SignOutDevice, SignOutOtherDevices, UpdateProfile,
};
use crate::api::identities::list_identities;
use crate::api::tokens::{list_tokens, CreateToken, RevokeToken};
use crate::domain::{ApiToken, AuthRules, Device, Page, User};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use std::future::Future;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The actions of the account page. They live as long as the page, so a section that
/// renders again (after the account changed) still shows how its last submission went.
#[derive(Clone, Copy)]
struct Actions {
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

/// The section of the linked providers (the server renders it outside the island).
const IDENTITIES: (&str, &str) = ("identities", "Linked providers");

/// Where the page goes after a change that the header shows too (the picture): the page
/// again, rendered with the change, saying how it went.
const PICTURE_SAVED: &str = "/account?picture=saved#profile";

#[component]
pub fn AccountPage() -> impl IntoView {
    let rules = use_auth().rules;
    // The secret of a token made without JavaScript, which the server hands this page once.
    let carried = carried_secret();
    let picture_saved = query_value("picture") == "saved";
    let error = page_error();
    view! {
        <Title text="Your account"/>
        <RequireUser children=move |user| view! {
            <div class="account">
                <h1 class="page-title">"Your account"</h1>
                <SectionNav/>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {Suspend::new(async move {
                        let (devices, tokens) = (list_devices().await, list_tokens().await);
                        let identities = list_identities().await;
                        view! {
                            <div class="stack">
                                <AccountSections user rules carried devices tokens picture_saved error=error.clone()/>
                                <identities::IdentitiesSection identities error/>
                            </div>
                        }
                    })}
                </Suspense>
            </div>
        }/>
    }
}

/// Every section of the page, from the account and its lists as the server found them.
/// One island: the sections follow each other's changes (a new password signs the other
/// devices out; a saved profile shows in the sections that show the account).
#[island(lazy)]
fn AccountSections(
    user: User,
    rules: AuthRules,
    carried: Option<String>,
    devices: Result<Page<Device>, AppError>,
    tokens: Result<Vec<ApiToken>, AppError>,
    picture_saved: bool,
    error: Option<PageError>,
) -> impl IntoView {
    hydrated();
    let actions = Actions {
        profile: ServerAction::new(),
        remove_picture: ServerAction::new(),
        password: ServerAction::new(),
        sign_out_device: ServerAction::new(),
        sign_out_others: ServerAction::new(),
        delete: ServerAction::new(),
        resend: ServerAction::new(),
        change_email: ServerAction::new(),
        create_token: ServerAction::new(),
        revoke_token: ServerAction::new(),
    };
    let user = RwSignal::new(user);
    // What changes the account shows at once on this page. Only a success does: after a
    // refused submission the page stays as the person left it, with what they typed and
    // the server's messages. The picture shows in the header too: the page loads again.
    on_success(actions.profile, move |changed| user.set(changed));
    on_success(actions.remove_picture, |_| go_to("/account#profile"));
    on_success(actions.delete, |()| go_to("/login?deleted=1"));
    let devices = refetched(
        devices,
        move || {
            (
                actions.sign_out_device.version().get(),
                actions.sign_out_others.version().get(),
                actions.password.version().get(),
            )
        },
        list_devices,
    );
    let tokens = refetched(
        tokens,
        move || {
            (
                actions.create_token.version().get(),
                actions.revoke_token.version().get(),
            )
        },
        list_tokens,
    );

    view! {
        <div class="stack">
            {
                let (rules, error) = (rules.clone(), error.clone());
                move || group("profile", view! {
                    <profile::ProfileSection user=user.get() action=actions.profile error=error.clone()/>
                    <picture::PictureSection user=user.get() remove=actions.remove_picture
                        max_bytes=rules.upload.picture_max_bytes saved=picture_saved error=error.clone()/>
                })
            }
            {
                let (rules, error) = (rules.clone(), error.clone());
                move || group("security", view! {
                    <email::EmailSection user=user.get() resend=actions.resend change=actions.change_email
                        error=error.clone()/>
                    <password::PasswordSection user=user.get() rules=rules.clone() action=actions.password
                        error=error.clone()/>
                })
            }
            {group("devices", view! {
                <devices::DevicesSection
                    devices
                    sign_out=actions.sign_out_device
                    sign_out_others=actions.sign_out_others
                />
            })}
            {group("tokens", view! {
                <tokens::TokensSection tokens rules=rules.tokens create=actions.create_token
                    revoke=actions.revoke_token carried error=error.clone()/>
            })}
            {group("data", view! {
                <data::DataSection action=actions.delete error/>
            })}
        </div>
    }
}

/// A list the page came with, fetched again after each change that `after` tracks (the
/// versions of the actions that change it).
fn refetched<T, F, Fut>(
    initial: T,
    after: impl Fn() -> F + 'static,
    fetch: fn() -> Fut,
) -> ReadSignal<T>
where
    T: Send + Sync + 'static,
    F: PartialEq + Clone + 'static,
    Fut: Future<Output = T> + 'static,
{
    let list = RwSignal::new(initial);
    Effect::watch(
        after,
        move |_, _, _| {
            let fetched = fetch();
            leptos::task::spawn_local(async move { list.set(fetched.await) });
        },
        false,
    );
    list.read_only()
}

/// Links to the page's sections: plain anchors, so they work without JavaScript. On a
/// wide screen they stand beside the sections, on a phone in a row above them; either
/// way they stay in view.
#[component]
fn SectionNav() -> impl IntoView {
    // The linked providers come last, when there are providers to link.
    let providers = (!use_auth().providers.is_empty()).then_some(IDENTITIES);
    view! {
        <nav class="section-nav" aria-label="Sections of your account">
            <ul>
                {SECTIONS
                    .into_iter()
                    .chain(providers)
                    .map(|(id, label)| view! { <li><a href=format!("#{id}")>{label}</a></li> })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// One of the page's sections (`SECTIONS`): what the navigation links to. Each is its
/// own view type (`AnyView`): the page's whole type nested too deep for the compiler.
fn group(id: &'static str, content: impl IntoView + 'static) -> AnyView {
    view! { <div class="stack" id=id>{content}</div> }.into_any()
}

/// The secret of a token that the form made without JavaScript (`api::tokens`): the
/// server reads it (once) for the page.
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
