use crate::api::account::ChangePassword;
use crate::domain::{AuthRules, PasswordChangeInput, Secret, User};
use crate::pages::components::copy::SuggestPassword;
use crate::pages::components::form::{
    show_field_errors, submission_error, Control, Field, FieldState, FormAlert, PageError,
    PostForm, SubmitButton,
};
use leptos::html::Form;
use leptos::prelude::*;

/// Current password, new password twice. Every other device is signed out.
#[component]
pub fn PasswordSection(
    user: User,
    rules: AuthRules,
    action: ServerAction<ChangePassword>,
    error: Option<PageError>,
) -> impl IntoView {
    let current = FieldState::new();
    let new = FieldState::new();
    let confirmation = FieldState::new();
    let fields = [current, new, confirmation];
    let error = submission_error(action, error);
    show_field_errors(
        error,
        vec![
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirmation", confirmation),
        ],
    );
    let identity = [user.username.clone(), user.email.clone()];
    let problems = Memo::new(move |_| {
        let input = PasswordChangeInput {
            current_password: Secret::new(current.value.get()),
            new_password: Secret::new(new.value.get()),
            new_password_confirmation: Secret::new(confirmation.value.get()),
        };
        input
            .parse(&rules, &[&identity[0], &identity[1]])
            .err()
            .unwrap_or_default()
    });
    let check =
        move |name: &'static str| Signal::derive(move || problems.read().get(name).cloned());

    // After a change, the typed passwords leave the page.
    let form = NodeRef::<Form>::new();
    Effect::watch(
        move || action.value().get(),
        move |result, _, _| {
            if matches!(result, Some(Ok(()))) {
                if let Some(form) = form.get() {
                    form.reset();
                }
                for field in fields {
                    field.value.set(String::new());
                    field.touched.set(false);
                }
            }
        },
        false,
    );
    let done = move || {
        matches!(action.value().get(), Some(Ok(()))) && !fields.iter().any(|f| f.touched.get())
    };
    let pending = action.pending();

    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <FormAlert error/>
            <Show when=done>
                <p class="alert ok" role="status" data-testid="password-changed">
                    "Your password was changed. Your other devices were signed out."
                </p>
            </Show>
            <PostForm action node_ref=form novalidate=true call=move || ChangePassword {
                current_password: Secret::new(current.value.get_untracked()),
                new_password: Secret::new(new.value.get_untracked()),
                new_password_confirmation: Secret::new(confirmation.value.get_untracked()),
            }>
                <Field label="Current password" name="current_password" state=current
                    check=check("current_password") control=Control::Input("password") autocomplete="current-password"/>
                <Field label="New password" name="new_password" state=new
                    check=check("new_password") control=Control::Input("password") autocomplete="new-password"/>
                <Field label="Confirm new password" name="new_password_confirmation" state=confirmation
                    check=check("new_password_confirmation") control=Control::Input("password") autocomplete="new-password"/>
                <SuggestPassword fields=[new, confirmation]/>
                <div class="form-actions">
                    <SubmitButton label="Change password" busy_label="Changing…" pending
                        valid=move || problems.with_untracked(|p| p.is_empty())
                        fields=fields.to_vec()/>
                </div>
            </PostForm>
        </section>
    }
}
