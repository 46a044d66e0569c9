//! The two kinds of page that depend on who is signed in: pages for a signed-in account
//! only, and pages for visitors who are not signed in (sign-in, registration, the code
//! and password-recovery pages). Both decide on the server, from `Auth::user`: a 302.

use crate::domain::{local_path, User};
use crate::pages::use_auth;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};
use leptos_router::location::Url;

/// Renders `children` with the signed-in account; sends anyone else to sign in, and
/// back here afterwards.
#[component]
pub fn RequireUser<F, V>(children: F) -> impl IntoView
where
    F: FnOnce(User) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let Some(user) = use_auth().user else {
        let here = use_location().pathname.get_untracked();
        let target = if here == "/" {
            "/login".to_owned()
        } else {
            format!("/login?next={}", Url::escape(&here))
        };
        return view! { <Redirect path=target/> }.into_any();
    };
    children(user).into_any()
}

/// Renders `children` for a visitor who is not signed in; sends a signed-in one on to
/// `next` (when it is a page of this site) or home.
#[component]
pub fn SignedOutOnly(children: Children) -> impl IntoView {
    if use_auth().user.is_some() {
        let target = use_query_map()
            .with_untracked(|query| local_path(query.get_str("next")).unwrap_or("/").to_owned());
        return view! { <Redirect path=target/> }.into_any();
    }
    children().into_any()
}
