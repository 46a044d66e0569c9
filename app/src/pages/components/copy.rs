//! Widgets that need the page's script: they appear once it runs, and the page works
//! without them.

use crate::api::auth::GeneratePassword;
use crate::pages::components::form::FieldState;
use leptos::prelude::*;

/// Whether the page runs its script: false while the server renders and until the
/// browser has hydrated the page, so both render the same first.
pub fn scripted() -> ReadSignal<bool> {
    let scripted = RwSignal::new(false);
    // Effects run in the browser only, after hydration.
    Effect::new(move || scripted.set(true));
    scripted.read_only()
}

/// Copies `text` to the clipboard, and says whether that worked. Without the script the
/// text is on the page to select and copy by hand.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    /// What the button says (name what it copies when the page has several).
    #[prop(default = "Copy")]
    label: &'static str,
) -> impl IntoView {
    let scripted = scripted();
    // Which text was copied (or could not be), so the message goes once the text changes.
    let outcome = RwSignal::new(None::<(String, bool)>);
    let copy = move |_| {
        let text = text.get_untracked();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let promise = window().navigator().clipboard().write_text(&text);
            let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            outcome.set(Some((text, copied)));
        });
        #[cfg(not(feature = "hydrate"))]
        outcome.set(Some((text, false)));
    };
    let message = move || {
        outcome.with(|outcome| match outcome {
            Some((copied, true)) if text.with(|text| text == copied) => "Copied",
            Some((copied, false)) if text.with(|text| text == copied) => {
                "Could not copy: select it and copy it yourself"
            }
            _ => "",
        })
    };
    view! {
        <Show when=move || scripted.get()>
            <button type="button" class="button secondary" on:click=copy>{label}</button>
            <span class="copy-status" role="status">{message}</span>
        </Show>
    }
}

/// "Suggest a strong password": asks the server for one the password policy accepts,
/// fills it into `fields` (the new password and its confirmation) and shows it, to copy
/// into a password manager.
#[component]
pub fn SuggestPassword(fields: [FieldState; 2]) -> AnyView {
    let scripted = scripted();
    let suggest = ServerAction::<GeneratePassword>::new();
    let suggested = Memo::new(move |_| match suggest.value().get() {
        Some(Ok(password)) => Some(password.expose().to_owned()),
        _ => None,
    });
    Effect::watch(
        move || suggested.get(),
        move |password, _, _| {
            if let Some(password) = password {
                for field in fields {
                    field.type_in(password.clone());
                }
            }
        },
        false,
    );
    let failed = move || matches!(suggest.value().get(), Some(Err(_)));
    view! {
        <Show when=move || scripted.get()>
            <div class="suggest">
                <button type="button" class="button secondary"
                    disabled=move || suggest.pending().get()
                    on:click=move |_| { suggest.dispatch(GeneratePassword {}); }>
                    "Suggest a strong password"
                </button>
                {move || suggested.get().map(|password| view! {
                    <p class="suggestion">
                        <code data-testid="suggested-password">{password.clone()}</code>
                        " "
                        <CopyButton text=password/>
                    </p>
                    <p class="hint">"It is filled in for you. Save it in your password manager before you go on."</p>
                })}
                <Show when=failed>
                    <p class="field-message">"No password could be suggested just now; try again."</p>
                </Show>
            </div>
        </Show>
    }
    // Its own view type, so that the forms it sits in do not nest too deep to compile.
    .into_any()
}
