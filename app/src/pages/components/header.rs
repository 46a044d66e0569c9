use super::avatar::Avatar;
use crate::api::auth::Logout;
use crate::pages::{on_success, use_auth};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// The top bar: the product name, and who is signed in with a way out, or the ways in.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    on_success(logout, move |()| {
        auth.user.set(None);
        navigate("/login", Default::default());
    });
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Latchkey"
            </a>
            <nav aria-label="Account">
                {move || match auth.user.get() {
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
