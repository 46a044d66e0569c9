use crate::api::account::DeleteAccount;
use crate::domain::Secret;
use crate::pages::components::form::{
    required, show_field_errors, submission_error, Control, Field, FieldState, FormAlert,
    PageError, PostForm,
};
use leptos::prelude::*;

/// Download everything stored about the account, or delete it (with the password and
/// a confirmation).
#[component]
pub fn DataSection(action: ServerAction<DeleteAccount>, error: Option<PageError>) -> impl IntoView {
    let password = FieldState::new();
    let error = submission_error(action, error);
    show_field_errors(error, vec![("password", password)]);
    let password_required = required(password);
    let pending = action.pending();
    view! {
        <section class="card" aria-labelledby="data-title">
            <h2 id="data-title">"Your data"</h2>
            <p>"A copy of everything Latchkey stores about you, as JSON."</p>
            <p>
                <a class="button secondary" href="/api/v1/account/export" download="" data-testid="export">
                    "Download my data"
                </a>
            </p>
            <details class="danger-zone">
                <summary>"Delete my account"</summary>
                <p>
                    "This deletes your account, your picture and every signed-in device, at once and for good."
                </p>
                <FormAlert error/>
                // The browser's own checks stay on: both the password and the box are required.
                <PostForm action call=move || DeleteAccount {
                    password: Secret::new(password.value.get_untracked()),
                }>
                    <Field label="Your password" name="password" state=password check=password_required
                        control=Control::Input("password") autocomplete="current-password" form="delete"/>
                    <label class="check">
                        <input type="checkbox" name="confirm" required=true data-testid="confirm-delete"/>
                        " I understand that this cannot be undone"
                    </label>
                    <div class="form-actions">
                        <button type="submit" class="button danger" disabled=move || pending.get()>
                            {move || if pending.get() { "Deleting…" } else { "Delete my account" }}
                        </button>
                    </div>
                </PostForm>
            </details>
        </section>
    }
}
