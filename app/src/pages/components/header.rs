use super::avatar::Avatar;
use crate::pages::use_auth;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

/// The top bar: the product name, and who is signed in with a way out, or the ways in.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Latchkey"
            </a>
            <nav aria-label="Account">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => view! {
                                <a class="whoami" href="/account" title="Your account">
                                    <Avatar user=user.clone() size="small"/>
                                    <span>"Signed in as " <strong data-testid="header-username">{user.username.clone()}</strong></span>
                                </a>
                                <ActionForm action=auth.logout attr:class="inline-form">
                                    <button type="submit" class="button secondary">"Sign out"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <A href="/login" attr:class="nav-link">"Sign in"</A>
                                <A href="/register" attr:class="button">"Create account"</A>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}
