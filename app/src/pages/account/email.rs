use crate::api::account::{ChangeEmail, ResendVerification};
use crate::domain::{Email, Secret, User};
use crate::pages::components::form::{
    required, show_field_errors, submission_error, Control, Field, FieldState, FormAlert,
    PageError, PostForm, SubmitButton,
};
use leptos::prelude::*;

/// The account's address: whether it is verified (with "send the link again"), and a
/// way to change it (confirmed from the new address).
#[component]
pub fn EmailSection(
    user: User,
    resend: ServerAction<ResendVerification>,
    change: ServerAction<ChangeEmail>,
    error: Option<PageError>,
) -> impl IntoView {
    let resend_error = submission_error(resend, error.clone());
    let resent = move || matches!(resend.value().get(), Some(Ok(())));
    let new_email = FieldState::new();
    let password = FieldState::new();
    let change_error = submission_error(change, error);
    show_field_errors(
        change_error,
        vec![("new_email", new_email), ("password", password)],
    );
    let current = user.email.clone();
    let email_check = Signal::derive(move || {
        let typed = new_email.value.get();
        match Email::parse(&typed) {
            Err(message) => Some(message),
            Ok(email) if email.as_str() == current => {
                Some("This is already your address".to_owned())
            }
            Ok(_) => None,
        }
    });
    let password_check = required(password);
    let requested = move || {
        matches!(change.value().get(), Some(Ok(())))
            && !new_email.touched.get()
            && !password.touched.get()
    };
    let pending = change.pending();
    view! {
        <section class="card" aria-labelledby="email-title">
            <h2 id="email-title">"Email address"</h2>
            <p>
                <strong data-testid="account-email">{user.email.clone()}</strong>
                " "
                {if user.email_verified {
                    view! { <span class="badge ok" data-testid="email-status">"verified"</span> }.into_any()
                } else {
                    view! { <span class="badge" data-testid="email-status">"not verified"</span> }.into_any()
                }}
            </p>
            {(!user.email_verified).then(|| view! {
                <p class="muted">"We mailed you a link to confirm this address. Did it not arrive?"</p>
                <FormAlert error=resend_error/>
                <Show when=resent>
                    <p class="alert ok" role="status">"A new link is on its way."</p>
                </Show>
                <PostForm action=resend class="form-actions" call=|| ResendVerification {}>
                    <button type="submit" class="button secondary">"Send the link again"</button>
                </PostForm>
            })}
            <details class="subsection">
                <summary>"Change your address"</summary>
                <FormAlert error=change_error/>
                <Show when=requested>
                    <p class="alert ok" role="status" data-testid="email-change-sent">
                        "A confirmation link is on its way to the new address. Your address changes when you open it."
                    </p>
                </Show>
                <PostForm action=change novalidate=true call=move || ChangeEmail {
                    new_email: new_email.value.get_untracked(),
                    password: Secret::new(password.value.get_untracked()),
                }>
                    <Field label="New email address" name="new_email" state=new_email check=email_check
                        control=Control::Input("email") autocomplete="email"/>
                    <Field label="Password" name="password" state=password check=password_check
                        control=Control::Input("password") autocomplete="current-password" form="email-change"/>
                    <div class="form-actions">
                        <SubmitButton label="Send a confirmation link" pending
                            valid=move || email_check.with_untracked(Option::is_none) && password_check.with_untracked(Option::is_none)
                            fields=vec![new_email, password]/>
                    </div>
                </PostForm>
            </details>
        </section>
    }
}
