//! Form plumbing shared by every page: a field with its live message, the form-level
//! alert, and the error of the last submission (from the action, or from the URL when the
//! form was posted without JavaScript).
//!
//! The forms live in islands; the page around them reads the URL on the server
//! (`page_error`, `query_value`) and hands the island what it found.

use crate::domain::REQUIRED;
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// One input's state: what was typed, whether the person has started typing, and the
/// server's message from the last submission (cleared as soon as they edit the field).
#[derive(Clone, Copy)]
pub struct FieldState {
    pub value: RwSignal<String>,
    pub touched: RwSignal<bool>,
    pub server_error: RwSignal<Option<String>>,
}

impl FieldState {
    pub fn new() -> FieldState {
        FieldState::with_value(String::new())
    }

    pub fn with_value(value: impl Into<String>) -> FieldState {
        FieldState {
            value: RwSignal::new(value.into()),
            touched: RwSignal::new(false),
            server_error: RwSignal::new(None),
        }
    }

    /// Sets the value as if the person had typed it.
    pub fn type_in(&self, value: String) {
        self.value.set(value);
        self.touched.set(true);
        self.server_error.set(None);
    }
}

/// The error a form posted without JavaScript came back with: the server redirected to
/// its page with the error, and which form's server function it was, encoded in the URL
/// (`RequestContext::finish_form`). The page reads it on the server and hands it to its
/// islands, whose forms each take it when it is theirs (`submission_error`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageError {
    /// The path of the server function the form was posted to.
    form: String,
    error: AppError,
    /// What the person had typed (never a secret), by field name.
    typed: Vec<(String, String)>,
}

pub fn page_error() -> Option<PageError> {
    let query = use_query_map();
    let query = query.read_untracked();
    Some(PageError {
        form: query.get_str("__path")?.to_owned(),
        error: ServerFnUrlError::<AppError>::decode_err(query.get_str("__err")?),
        typed: query
            .latest_values()
            .filter(|(name, _)| !name.starts_with("__"))
            .map(|(name, value)| (name.to_string(), value.to_owned()))
            .collect(),
    })
}

/// The error the page came back with, if it was the form of server function `S`'s.
pub fn page_error_of<S: ServerFn>(from_page: &Option<PageError>) -> Option<AppError> {
    from_page
        .as_ref()
        .filter(|page| page.form == S::PATH)
        .map(|page| page.error.clone())
}

/// What was typed into the field `name` of the form of server function `S`, when the
/// page came back with that form's error; empty otherwise.
pub fn typed<S: ServerFn>(from_page: &Option<PageError>, name: &str) -> String {
    from_page
        .iter()
        .filter(|page| page.form == S::PATH)
        .flat_map(|page| &page.typed)
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

/// The value named `name` in the page's query, or nothing: what the person typed before a
/// form posted without JavaScript came back with an error. Read by the page, on the server.
pub fn query_value(name: &str) -> String {
    use_query_map()
        .read_untracked()
        .get_str(name)
        .unwrap_or_default()
        .to_owned()
}

/// The error of the last submission of `action`: the action's, or, before the first
/// submission with JavaScript, the one the page came back with (`page_error`) if it was
/// this form's.
pub fn submission_error<S>(
    action: ServerAction<S>,
    from_page: Option<PageError>,
) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let from_page = from_page
        .filter(|page| page.form == S::PATH)
        .map(|page| page.error);
    Signal::derive(move || match action.value().get() {
        Some(Err(error)) => Some(error),
        Some(Ok(_)) => None,
        None => from_page.clone(),
    })
}

/// Puts the server's per-field messages next to the fields they name.
pub fn show_field_errors(error: Signal<Option<AppError>>, fields: Vec<(&'static str, FieldState)>) {
    let apply = move |error: Option<AppError>| {
        for (name, field) in &fields {
            field
                .server_error
                .set(error.as_ref().and_then(|e| e.field(name)));
        }
    };
    // Once while rendering (so a page rendered without JavaScript shows them), then again
    // whenever a submission comes back.
    apply(error.get_untracked());
    Effect::watch(
        move || error.get(),
        move |error, _, _| apply(error.clone()),
        false,
    );
}

/// The message of a field that must not be left empty.
pub fn required(field: FieldState) -> Signal<Option<String>> {
    Signal::derive(move || field.value.get().is_empty().then(|| REQUIRED.to_owned()))
}

/// A form's submit button. It is disabled while the form is on its way (`pending`), and
/// when the browser already knows the form is wrong (`valid` answers false at the click)
/// it holds the submission back and shows every field's message instead.
#[component]
pub fn SubmitButton(
    /// What the button says.
    label: &'static str,
    /// What it says while the form is on its way; `label` when not given.
    #[prop(optional)]
    busy_label: Option<&'static str>,
    #[prop(optional, into)] pending: Option<Signal<bool>>,
    valid: impl Fn() -> bool + Send + Sync + 'static,
    /// The fields whose messages show when the form is held back.
    fields: Vec<FieldState>,
    /// Spans the form's width.
    #[prop(optional)]
    wide: bool,
) -> impl IntoView {
    let pending = move || pending.is_some_and(|pending| pending.get());
    view! {
        <button
            type="submit"
            class=if wide { "button primary wide" } else { "button primary" }
            disabled=pending
            on:click=move |ev| {
                if !valid() {
                    ev.prevent_default();
                    for field in &fields {
                        field.touched.set(true);
                    }
                }
            }
        >
            {move || if pending() { busy_label.unwrap_or(label) } else { label }}
        </button>
    }
}

/// What kind of control a field is.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Control {
    /// `<input>` of a type (`text`, `email`, `password`, `date`, ...).
    Input(&'static str),
    #[default]
    Text,
    /// A multi-line `<textarea>`.
    TextArea,
    /// A `<select>` of `(value, label)` options.
    Select(Vec<(String, String)>),
}

/// A labelled control with its message. The browser's own check (`check`) shows once the
/// person has typed; the server's message shows until they edit the field.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    state: FieldState,
    #[prop(into)] check: Signal<Option<String>>,
    #[prop(default = Control::Text)] control: Control,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = true)] required: bool,
    /// Distinguishes the ids of two forms on one page that have a field of the same name.
    #[prop(optional)]
    form: Option<&'static str>,
) -> impl IntoView {
    let id = match form {
        Some(form) => format!("{form}-{name}"),
        None => name.to_owned(),
    };
    let input_id = format!("field-{id}");
    let message_id = format!("{id}-message");
    let hint_id = format!("{id}-hint");
    let message = Memo::new(move |_| {
        let local = if state.touched.get() {
            check.get()
        } else {
            None
        };
        local.or_else(|| state.server_error.get())
    });
    let invalid = move || message.get().is_some();
    let aria_invalid = move || if invalid() { "true" } else { "false" };
    let described_by = if hint.is_some() {
        format!("{hint_id} {message_id}")
    } else {
        message_id.clone()
    };
    let on_input = move |ev| state.type_in(event_target_value(&ev));
    let control = match control {
        Control::TextArea => view! {
            <textarea
                id=input_id.clone()
                name=name
                rows="4"
                required=required
                aria-invalid=aria_invalid
                aria-describedby=described_by
                prop:value=move || state.value.get()
                on:input=on_input
            >
                {state.value.get_untracked()}
            </textarea>
        }
        .into_any(),
        Control::Select(options) => view! {
            <select
                id=input_id.clone()
                name=name
                required=required
                aria-invalid=aria_invalid
                aria-describedby=described_by
                on:change=on_input
            >
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let selected = {
                            let value = value.clone();
                            move || state.value.get() == value
                        };
                        view! { <option value=value selected=selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
        Control::Input(_) | Control::Text => {
            let input_type = match control {
                Control::Input(kind) => kind,
                _ => "text",
            };
            // A password is never written into the page (not even as an attribute that
            // CSS could read); other fields keep what was typed. Either follows its
            // state in the browser (a suggested password fills its fields).
            let secret = input_type == "password";
            view! {
                <input
                    id=input_id.clone()
                    name=name
                    type=input_type
                    autocomplete=autocomplete
                    required=required
                    aria-invalid=aria_invalid
                    aria-describedby=described_by
                    value=move || (!secret).then(|| state.value.get())
                    prop:value=move || state.value.get()
                    on:input=on_input
                />
            }
            .into_any()
        }
    };
    view! {
        <div class="field" class:invalid=invalid>
            <label for=input_id>{label}</label>
            {hint.map(|text| view! { <p class="hint" id=hint_id.clone()>{text}</p> })}
            {control}
            <p class="field-message" id=message_id aria-live="polite" data-field=name>
                {move || message.get()}
            </p>
        </div>
    }
}

/// The message of an error that names no field (wrong password, throttled, closed, ...).
#[component]
pub fn FormAlert(error: Signal<Option<AppError>>) -> impl IntoView {
    let text = move || {
        error
            .get()
            .filter(|e| e.fields().is_none())
            .map(|e| e.to_string())
    };
    view! {
        <Show when=move || text().is_some()>
            <div class="alert error" role="alert" data-testid="form-alert">{text}</div>
        </Show>
    }
}

/// A form posted to the server function `S`. Without JavaScript the browser posts it (its
/// fields are named as `S`'s arguments); with JavaScript `call` builds the call from the
/// island's fields and the action sends it. Unlike `ActionForm`, nothing decodes the
/// form's data in the browser: that decoder weighed more than the rest of a sign-in form.
#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    /// The call, from what was typed.
    call: impl Fn() -> S + 'static,
    /// Leave the browser's own checks to the island's messages.
    #[prop(optional)]
    novalidate: bool,
    #[prop(optional)] class: Option<&'static str>,
    #[prop(optional)] node_ref: NodeRef<leptos::html::Form>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    view! {
        <form
            node_ref=node_ref
            method="post"
            action=S::PATH
            novalidate=novalidate
            class=class
            on:submit=move |ev| {
                if !ev.default_prevented() {
                    ev.prevent_default();
                    action.dispatch(call());
                }
            }
        >
            {children()}
        </form>
    }
}
