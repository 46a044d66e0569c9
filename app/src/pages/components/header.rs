use super::avatar::Avatar;
use crate::api::auth::Logout;
use crate::pages::use_auth;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

/// The top bar: the product name, and who is signed in with a way out, or the ways in.
/// It needs no script: signing out is a plain form, which the server answers with the
/// sign-in page.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Latchkey"
            </a>
            <nav aria-label="Account">
                {match auth.user {
                    Some(user) => view! {
                        <a class="whoami" href="/account" title="Your account">
                            <Avatar user=user.clone() size="small"/>
                            <span>"Signed in as " <strong data-testid="header-username">{user.username.clone()}</strong></span>
                        </a>
                        <ActionForm action=logout attr:class="inline-form">
                            <button type="submit" class="button secondary">"Sign out"</button>
                        </ActionForm>
                    }.into_any(),
                    None => view! {
                        <A href="/login" attr:class="nav-link">"Sign in"</A>
                        <A href="/register" attr:class="button">"Create account"</A>
                    }.into_any(),
                }}
            </nav>
        </header>
    }
}
