use super::{moment, now};
use crate::api::tokens::{CreateToken, RevokeToken};
use crate::domain::{ApiToken, NewApiTokenInput, Scope, TokenRules};
use crate::pages::components::copy::CopyButton;
use crate::pages::components::form::{
    show_field_errors, submission_error, typed, Control, Field, FieldState, FormAlert, PageError,
    PostForm, SubmitButton,
};
use crate::AppError;
use leptos::html::Form;
use leptos::prelude::*;

/// What each scope lets a program do, as the form offers it.
const SCOPES: [(Scope, &str, &str); 2] = [
    (
        Scope::Read,
        "Read",
        "See your account, its picture and its tokens",
    ),
    (
        Scope::Write,
        "Write",
        "Change your profile and picture, and revoke tokens",
    ),
];

/// Personal API tokens: make one (its secret shown this once), see them all, revoke one.
/// `carried` is the secret of a token made by the form without JavaScript.
#[component]
pub fn TokensSection(
    tokens: ReadSignal<Result<Vec<ApiToken>, AppError>>,
    rules: TokenRules,
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
    carried: Option<String>,
    error: Option<PageError>,
) -> AnyView {
    let default_days = rules.api_token_default_days.to_string();
    let name = FieldState::with_value(typed::<CreateToken>(&error, "name"));
    let days = match typed::<CreateToken>(&error, "expires_in_days") {
        days if days.is_empty() => FieldState::with_value(default_days.clone()),
        days => FieldState::with_value(days),
    };
    let ticked = SCOPES.map(|(scope, ..)| (scope, RwSignal::new(scope == Scope::Read)));
    let error = submission_error(create, error);
    show_field_errors(error, vec![("name", name), ("expires_in_days", days)]);
    let problems = Memo::new({
        let rules = rules.clone();
        move |_| {
            let scopes = ticked.map(|(scope, on)| (scope, on.get()));
            NewApiTokenInput::from_form(&name.value.get(), &days.value.get(), &scopes)
                .parse(&rules)
                .err()
                .unwrap_or_default()
        }
    });
    let check =
        move |field: &'static str| Signal::derive(move || problems.read().get(field).cloned());
    // Unticking both scopes is something the person did: its message shows at once.
    let scopes_message = Signal::derive(move || {
        check("scopes")
            .get()
            .or_else(|| error.get().and_then(|e| e.field("scopes")))
    });

    // The new secret: from the answer with JavaScript, from the page without.
    let secret = Memo::new(move |_| match create.value().get() {
        Some(Ok(created)) => Some(created.token),
        Some(Err(_)) => None,
        None => carried.clone(),
    });
    let form = NodeRef::<Form>::new();
    Effect::watch(
        move || create.value().get(),
        move |result, _, _| {
            if matches!(result, Some(Ok(_))) {
                if let Some(form) = form.get() {
                    form.reset();
                }
                name.value.set(String::new());
                name.touched.set(false);
                days.value.set(default_days.clone());
                for (scope, on) in ticked {
                    on.set(scope == Scope::Read);
                }
            }
        },
        false,
    );

    let lifetimes = lifetimes(rules.api_token_default_days, rules.api_token_max_days);
    let pending = create.pending();
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            <p class="intro">
                "A program that holds a token acts as you through the API, sending "
                <code>"Authorization: Bearer <token>"</code>
                ". A token never changes your password or email and never makes other tokens."
            </p>
            {move || secret.get().map(|secret| view! { <NewSecret secret/> })}
            {move || {
                match tokens.get() {
                    Ok(tokens) if tokens.is_empty() => view! {
                        <p class="muted" data-testid="no-tokens">"You have no API tokens."</p>
                    }.into_any(),
                    Ok(tokens) => view! {
                        <ul class="rows" data-testid="tokens">
                            {tokens.into_iter().map(|token| view! { <TokenRow token revoke/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <p class="alert error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            }}
            <h3 class="subheading">"New token"</h3>
            <FormAlert error/>
            <PostForm action=create node_ref=form novalidate=true call=move || {
                let scope_on = |wanted: Scope| {
                    ticked
                        .iter()
                        .find(|(scope, _)| *scope == wanted)
                        .and_then(|(_, on)| on.get_untracked().then(|| "on".to_owned()))
                };
                CreateToken {
                    name: name.value.get_untracked(),
                    expires_in_days: days.value.get_untracked(),
                    scope_read: scope_on(Scope::Read),
                    scope_write: scope_on(Scope::Write),
                }
            }>
                <Field label="Name" name="name" state=name check=check("name")
                    hint="What the token is for, such as the program that will use it"
                    form="token"/>
                <fieldset class="choices" aria-describedby="token-scopes-message">
                    <legend>"What it may do"</legend>
                    {SCOPES.into_iter().zip(ticked).map(|((scope, label, what), (_, on))| view! {
                        <label class="check">
                            <input type="checkbox" name=format!("scope_{}", scope.as_str())
                                checked=on.get_untracked()
                                on:change=move |ev| on.set(event_target_checked(&ev))/>
                            <span><strong>{label}</strong>" · "<span class="muted">{what}</span></span>
                        </label>
                    }).collect_view()}
                    <p class="field-message" id="token-scopes-message" aria-live="polite">
                        {move || scopes_message.get()}
                    </p>
                </fieldset>
                <Field label="Expires after" name="expires_in_days" state=days check=check("expires_in_days")
                    control=Control::Select(lifetimes) form="token"/>
                <div class="form-actions">
                    <SubmitButton label="Make token" busy_label="Making…" pending
                        valid=move || problems.with_untracked(|p| p.is_empty())
                        fields=vec![name, days]/>
                </div>
            </PostForm>
        </section>
    }
    // Its own view type, so that the account page's does not nest too deep to compile.
    .into_any()
}

/// A new token's secret, shown this once.
#[component]
fn NewSecret(secret: String) -> impl IntoView {
    view! {
        <div class="alert ok new-secret" role="status">
            <p><strong>"Your new token. Copy it now: you will not see it again."</strong></p>
            <div class="secret-row">
                <input type="text" readonly=true value=secret.clone() aria-label="Your new token"
                    data-testid="new-token" on:focus=select_all/>
                <CopyButton text=secret label="Copy token"/>
            </div>
        </div>
    }
}

/// Selects the whole of a read-only field when it gets focus, ready to copy.
fn select_all(ev: leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

#[component]
fn TokenRow(token: ApiToken, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let expired = token.expires_at <= now();
    let live = !token.revoked && !expired;
    let state = if token.revoked {
        Some("Revoked")
    } else if expired {
        Some("Expired")
    } else {
        None
    };
    let used = token.last_used_at.map_or_else(
        || "never used".to_owned(),
        |at| format!("last used {}", moment(at)),
    );
    let ends = if expired { "expired" } else { "expires" };
    let facts = [
        format!("Made {}", moment(token.created_at)),
        format!("{ends} {}", moment(token.expires_at)),
        used,
    ];
    let confirm = format!("Revoke “{}”", token.name);
    view! {
        <li class="row-item" class:inactive=!live data-testid="token">
            <div>
                <strong>{token.name.clone()}</strong>
                {token.scopes.iter().map(|scope| view! { " " <span class="badge">{scope.as_str()}</span> }).collect_view()}
                {state.map(|state| view! { " " <span class="badge off">{state}</span> })}
                <p class="muted facts-line">
                    {facts.into_iter().enumerate().map(|(i, fact)| view! {
                        {(i > 0).then_some(" · ")}<span>{fact}</span>
                    }).collect_view()}
                </p>
            </div>
            {live.then(|| view! {
                <details class="confirm">
                    <summary class="button secondary">
                        <span class="when-closed">"Revoke"</span>
                        <span class="when-open">"Keep it"</span>
                    </summary>
                    <div class="confirm-body">
                        <p>"Programs using this token are refused at once. This cannot be undone."</p>
                        <PostForm action=revoke class="inline-form" call={
                            let id = token.id.clone();
                            move || RevokeToken { id: id.clone() }
                        }>
                            <input type="hidden" name="id" value=token.id.clone()/>
                            <button type="submit" class="button danger">{confirm}</button>
                        </PostForm>
                    </div>
                </details>
            })}
        </li>
    }
}

/// The lifetimes the form offers, in days: some usual ones up to the longest allowed,
/// and the default.
fn lifetimes(default: u32, max: u32) -> Vec<(String, String)> {
    let mut days: Vec<u32> = [7, 30, 90, 180, 365]
        .into_iter()
        .filter(|days| *days <= max)
        .chain([default, max])
        .collect();
    days.sort_unstable();
    days.dedup();
    days.into_iter()
        .map(|days| {
            let label = match days {
                1 => "1 day".to_owned(),
                365 => "1 year".to_owned(),
                days => format!("{days} days"),
            };
            (days.to_string(), label)
        })
        .collect()
}
