use super::today;
use crate::api::account::UpdateProfile;
use crate::domain::{timezones, ProfilePatch, User, BIO_MAX, NAME_MAX};
use crate::pages::components::form::{
    show_field_errors, submission_error, Control, Field, FieldState, FormAlert, PageError,
    PostForm, SubmitButton,
};
use leptos::prelude::*;

/// Names, bio, location, birth date, time zone and language, checked as they are typed.
#[component]
pub fn ProfileSection(
    user: User,
    action: ServerAction<UpdateProfile>,
    error: Option<PageError>,
) -> impl IntoView {
    let text = |value: &Option<String>| FieldState::with_value(value.clone().unwrap_or_default());
    let first_name = text(&user.first_name);
    let last_name = text(&user.last_name);
    let bio = text(&user.bio);
    let location = text(&user.location);
    let birth_date =
        FieldState::with_value(user.birth_date.map(|d| d.to_string()).unwrap_or_default());
    let timezone = FieldState::with_value(user.timezone.clone());
    let language = FieldState::with_value(user.language.clone());
    let fields = [
        first_name, last_name, bio, location, birth_date, timezone, language,
    ];

    let error = submission_error(action, error);
    show_field_errors(
        error,
        vec![
            ("first_name", first_name),
            ("last_name", last_name),
            ("bio", bio),
            ("location", location),
            ("birth_date", birth_date),
            ("timezone", timezone),
            ("language", language),
        ],
    );
    let problems = Memo::new(move |_| {
        let value = |field: FieldState| Some(Some(field.value.get()));
        ProfilePatch {
            first_name: value(first_name),
            last_name: value(last_name),
            bio: value(bio),
            location: value(location),
            birth_date: value(birth_date),
            timezone: value(timezone),
            language: value(language),
        }
        .parse(today())
        .err()
        .unwrap_or_default()
    });
    let check =
        move |name: &'static str| Signal::derive(move || problems.read().get(name).cloned());
    let pending = action.pending();
    // "Saved" until the person edits the form again.
    let saved = move || {
        matches!(action.value().get(), Some(Ok(_))) && !fields.iter().any(|f| f.touched.get())
    };

    let timezone_options: Vec<(String, String)> = timezones()
        .map(|tz| (tz.to_owned(), tz.replace('_', " ")))
        .collect();
    let language_options = vec![
        ("en".to_owned(), "English".to_owned()),
        ("fr".to_owned(), "Français".to_owned()),
    ];

    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <FormAlert error/>
            <PostForm action novalidate=true class="profile-form" call=move || UpdateProfile {
                first_name: first_name.value.get_untracked(),
                last_name: last_name.value.get_untracked(),
                bio: bio.value.get_untracked(),
                location: location.value.get_untracked(),
                birth_date: birth_date.value.get_untracked(),
                timezone: timezone.value.get_untracked(),
                language: language.value.get_untracked(),
            }>
                <div class="row">
                    <Field label="First name" name="first_name" state=first_name check=check("first_name")
                        autocomplete="given-name" required=false/>
                    <Field label="Last name" name="last_name" state=last_name check=check("last_name")
                        autocomplete="family-name" required=false/>
                </div>
                <Field label="Bio" name="bio" state=bio check=check("bio") control=Control::TextArea
                    required=false hint=format!("At most {BIO_MAX} characters")/>
                <Field label="Location" name="location" state=location check=check("location")
                    required=false hint=format!("At most {NAME_MAX} characters")/>
                <div class="row">
                    <Field label="Birth date" name="birth_date" state=birth_date check=check("birth_date")
                        control=Control::Input("date") autocomplete="bday" required=false/>
                    <Field label="Language" name="language" state=language check=check("language")
                        control=Control::Select(language_options)/>
                </div>
                <Field label="Time zone" name="timezone" state=timezone check=check("timezone")
                    control=Control::Select(timezone_options)/>
                <div class="form-actions">
                    <SubmitButton label="Save profile" busy_label="Saving…" pending
                        valid=move || problems.with_untracked(|p| p.is_empty())
                        fields=fields.to_vec()/>
                    <span class="saved" role="status" data-testid="profile-saved">
                        {move || saved().then_some("Saved")}
                    </span>
                </div>
            </PostForm>
        </section>
    }
}
