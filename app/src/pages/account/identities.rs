use super::moment;
use crate::api::identities::UnlinkIdentity;
use crate::domain::{LinkedIdentity, OidcProvider};
use crate::pages::components::form::{page_error_of, query_value, PageError};
use crate::pages::components::providers::{ProviderAlert, ProviderLink};
use crate::pages::use_auth;
use crate::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The identities at outside providers linked to the account, each with a way to unlink
/// it, and a way to link each provider. The server renders it whole: its forms are plain
/// forms, which the server answers with this page again (no script reaches the browser).
#[component]
pub fn IdentitiesSection(
    identities: Result<Vec<LinkedIdentity>, AppError>,
    error: Option<PageError>,
) -> impl IntoView {
    let providers = use_auth().providers;
    let linked = identities.as_ref().map_or(0, Vec::len);
    if providers.is_empty() && linked == 0 {
        return None;
    }
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let refused = page_error_of::<UnlinkIdentity>(&error);
    // A refusal is what the page came back with last; a success before it is history.
    let done = match query_value("identity").as_str() {
        _ if refused.is_some() => None,
        "linked" => Some("The identity is linked: you can sign in with it."),
        "unlinked" => Some("The identity is unlinked."),
        _ => None,
    };
    let name_of = {
        let providers = providers.clone();
        move |id: &str| {
            providers
                .iter()
                .find(|provider| provider.id == id)
                .map_or_else(|| id.to_owned(), |provider| provider.name.clone())
        }
    };
    Some(view! {
        <div class="stack" id="identities">
            <section class="card" aria-labelledby="identities-title">
                <h2 id="identities-title">"Linked providers"</h2>
                <p class="muted">"Sign in with an account you have elsewhere."</p>
                {done.map(|text| view! { <p class="alert ok" role="status">{text}</p> })}
                <ProviderAlert problem=query_value("oidc")/>
                {refused.map(|error| view! { <p class="alert error" role="alert">{error.to_string()}</p> })}
                {match identities {
                    Ok(identities) if identities.is_empty() => {
                        view! { <p data-testid="identities">"No provider is linked."</p> }.into_any()
                    }
                    Ok(identities) => view! {
                        <ul class="devices" data-testid="identities">
                            {identities
                                .into_iter()
                                .map(|identity| {
                                    let name = name_of(&identity.provider);
                                    view! { <IdentityRow identity name unlink/> }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="alert error" role="alert">{error.to_string()}</p> }.into_any(),
                }}
                <LinkButtons providers/>
            </section>
        </div>
    })
}

#[component]
fn IdentityRow(
    identity: LinkedIdentity,
    name: String,
    unlink: ServerAction<UnlinkIdentity>,
) -> impl IntoView {
    let label = format!("Unlink {name}");
    let detail = match &identity.email {
        Some(email) => format!("{email} · linked {}", moment(identity.linked_at)),
        None => format!("linked {}", moment(identity.linked_at)),
    };
    view! {
        <li class="device">
            <div>
                <strong>{name}</strong>
                <p class="muted">{detail}</p>
            </div>
            <ActionForm action=unlink attr:class="inline-form">
                <input type="hidden" name="id" value=identity.id/>
                <button type="submit" class="button secondary" aria-label=label>"Unlink"</button>
            </ActionForm>
        </li>
    }
}

/// A link button for each provider (linking one twice does nothing).
#[component]
fn LinkButtons(providers: Vec<OidcProvider>) -> impl IntoView {
    view! {
        <div class="form-actions">
            {providers
                .into_iter()
                .map(|provider| view! { <ProviderLink provider next=None verb="Link"/> })
                .collect_view()}
        </div>
    }
}
