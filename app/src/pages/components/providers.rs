use crate::domain::{OidcProvider, ProviderProblem};
use crate::pages::use_auth;
use leptos::prelude::*;

/// A button for each outside provider: a plain link to its sign-in (no script). A
/// provider that did not answer the last time is offered all the same (it is asked
/// again), saying so.
#[component]
pub fn ProviderButtons(next: Option<String>) -> impl IntoView {
    let providers = use_auth().providers;
    (!providers.is_empty()).then(move || {
        view! {
            <div class="providers">
                <p class="divider"><span>"or"</span></p>
                {providers
                    .into_iter()
                    .map(|provider| view! { <ProviderLink provider next=next.clone() verb="Continue with"/> })
                    .collect_view()}
            </div>
        }
    })
}

/// A link that starts a sign-in (or, signed in, a link) with `provider`.
#[component]
pub fn ProviderLink(
    provider: OidcProvider,
    next: Option<String>,
    verb: &'static str,
) -> impl IntoView {
    let href = match next {
        Some(next) => format!(
            "{}?{}",
            provider.login_url,
            form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish()
        ),
        None => provider.login_url,
    };
    let label = if provider.available {
        format!("{verb} {}", provider.name)
    } else {
        format!("{verb} {} (unavailable right now)", provider.name)
    };
    view! {
        <a class="button secondary provider" href=href data-provider=provider.id>{label}</a>
    }
}

/// The message for the provider problem a page was sent back with (`?oidc=...`).
#[component]
pub fn ProviderAlert(problem: String) -> impl IntoView {
    ProviderProblem::parse(&problem).map(|problem| {
        view! { <p class="alert error" role="alert" data-testid="provider-alert">{problem.message()}</p> }
    })
}
