//! The editable profile (FitTrackee's fields) and the rule for each of them.

use super::{FieldErrors, SUPPORTED_LANGUAGES};
use serde::{Deserialize, Deserializer, Serialize};
use time::Date;

/// Longest first name, last name or location, in characters.
pub const NAME_MAX: usize = 100;
/// Longest bio, in characters.
pub const BIO_MAX: usize = 1000;
/// No birth date before this year.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

static TIMEZONES: &str = include_str!("timezones.txt");

/// Whether `name` is an IANA time zone name (a zone or one of its links).
pub fn is_timezone(name: &str) -> bool {
    TIMEZONES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .any(|line| line == name)
}

/// Every accepted time zone name, for pickers.
pub fn timezones() -> impl Iterator<Item = &'static str> {
    TIMEZONES
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// A change to the profile, as submitted to `PATCH /account`: a field that is absent is
/// left alone; `null` or an empty string clears it (timezone and language cannot be
/// cleared).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ProfilePatch {
    /// The first name; the interface greets the person by it.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::single_line))]
    pub first_name: Option<Option<String>>,
    /// The last name.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::single_line))]
    pub last_name: Option<Option<String>>,
    /// A few words about the person; may span several lines.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::bio))]
    pub bio: Option<Option<String>>,
    /// Where the person lives, in their own words.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::single_line))]
    pub location: Option<Option<String>>,
    /// The birth date, as `YYYY-MM-DD`.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::birth_date))]
    pub birth_date: Option<Option<String>>,
    /// The IANA time zone times are shown in.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::timezone))]
    pub timezone: Option<Option<String>>,
    /// The interface language, one of the supported codes.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::language))]
    pub language: Option<Option<String>>,
}

/// Tells a field that is present (even as `null`) from one that is absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A validated change: `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    /// The first name.
    pub first_name: Option<Option<String>>,
    /// The last name.
    pub last_name: Option<Option<String>>,
    /// The bio.
    pub bio: Option<Option<String>>,
    /// The location.
    pub location: Option<Option<String>>,
    /// The birth date.
    pub birth_date: Option<Option<Date>>,
    /// The time zone (it cannot be cleared).
    pub timezone: Option<String>,
    /// The interface language (it cannot be cleared).
    pub language: Option<String>,
}

impl ProfileChanges {
    /// Whether the change leaves every field as it is, so there is nothing to store.
    pub fn is_empty(&self) -> bool {
        *self == ProfileChanges::default()
    }
}

impl ProfilePatch {
    /// Checks every present field; `today` bounds the birth date (the browser passes its
    /// own date, the server its own).
    pub fn parse(&self, today: Date) -> Result<ProfileChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |name: &str, result: Result<Option<Option<String>>, String>| match result {
            Ok(value) => value,
            Err(message) => {
                errors.insert(name.to_owned(), message);
                None
            }
        };
        let first_name = check("first_name", text(&self.first_name, NAME_MAX, false));
        let last_name = check("last_name", text(&self.last_name, NAME_MAX, false));
        let bio = check("bio", text(&self.bio, BIO_MAX, true));
        let location = check("location", text(&self.location, NAME_MAX, false));
        let birth_date = match &self.birth_date {
            None => None,
            Some(raw) => match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Some(None),
                Some(raw) => match parse_birth_date(raw, today) {
                    Ok(date) => Some(Some(date)),
                    Err(message) => {
                        errors.insert("birth_date".into(), message);
                        None
                    }
                },
            },
        };
        let timezone = match &self.timezone {
            None => None,
            Some(raw) => {
                let name = raw.as_deref().unwrap_or("").trim();
                if is_timezone(name) {
                    Some(name.to_owned())
                } else {
                    errors.insert("timezone".into(), "Choose a time zone from the list".into());
                    None
                }
            }
        };
        let language = match &self.language {
            None => None,
            Some(raw) => {
                let code = raw.as_deref().unwrap_or("").trim();
                if SUPPORTED_LANGUAGES.contains(&code) {
                    Some(code.to_owned())
                } else {
                    errors.insert(
                        "language".into(),
                        format!("Choose one of: {}", SUPPORTED_LANGUAGES.join(", ")),
                    );
                    None
                }
            }
        };
        if errors.is_empty() {
            Ok(ProfileChanges {
                first_name,
                last_name,
                bio,
                location,
                birth_date,
                timezone,
                language,
            })
        } else {
            Err(errors)
        }
    }
}

/// A free-text field: trimmed, at most `max` characters, no control characters (a bio
/// may have line breaks). Empty or `null` clears it.
fn text(
    value: &Option<Option<String>>,
    max: usize,
    multiline: bool,
) -> Result<Option<Option<String>>, String> {
    let Some(value) = value else { return Ok(None) };
    let trimmed = value.as_deref().unwrap_or("").trim();
    if trimmed.is_empty() {
        return Ok(Some(None));
    }
    if trimmed.chars().count() > max {
        return Err(format!("At most {max} characters"));
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\r' || c == '\t'));
    if !trimmed.chars().all(allowed) {
        return Err("Contains characters that are not allowed".into());
    }
    Ok(Some(Some(trimmed.to_owned())))
}

fn parse_birth_date(raw: &str, today: Date) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date =
        Date::parse(raw, format).map_err(|_| "Enter a real date as YYYY-MM-DD".to_string())?;
    if date > today {
        return Err("A birth date cannot be in the future".into());
    }
    if date.year() < EARLIEST_BIRTH_YEAR {
        return Err(format!("Enter a date after {EARLIEST_BIRTH_YEAR}"));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 22);

    fn patch(json: &str) -> ProfilePatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn absent_fields_are_left_alone_and_null_clears() {
        let changes = patch(r#"{"first_name": "  Ada ", "bio": null, "location": ""}"#)
            .parse(TODAY)
            .unwrap();
        assert_eq!(changes.first_name, Some(Some("Ada".into())));
        assert_eq!(changes.bio, Some(None));
        assert_eq!(changes.location, Some(None));
        assert_eq!(changes.last_name, None);
        assert_eq!(changes.timezone, None);
        assert!(patch("{}").parse(TODAY).unwrap().is_empty());
    }

    #[test]
    fn each_field_has_its_rule() {
        let errors = patch(&format!(
            r#"{{"first_name": "{}", "bio": "{}", "birth_date": "2026-02-30", "timezone": "Mars/Olympus", "language": "de", "location": "a\u0007b"}}"#,
            "x".repeat(101),
            "y".repeat(1001)
        ))
        .parse(TODAY)
        .unwrap_err();
        assert_eq!(errors["first_name"], "At most 100 characters");
        assert_eq!(errors["bio"], "At most 1000 characters");
        assert_eq!(errors["birth_date"], "Enter a real date as YYYY-MM-DD");
        assert_eq!(errors["timezone"], "Choose a time zone from the list");
        assert_eq!(errors["language"], "Choose one of: en, fr");
        assert_eq!(
            errors["location"],
            "Contains characters that are not allowed"
        );
    }

    #[test]
    fn birth_dates_are_real_and_past() {
        assert_eq!(
            patch(r#"{"birth_date": "2026-11-23"}"#)
                .parse(TODAY)
                .unwrap_err()["birth_date"],
            "A birth date cannot be in the future"
        );
        assert!(patch(r#"{"birth_date": "1899-12-31"}"#)
            .parse(TODAY)
            .is_err());
        assert_eq!(
            patch(r#"{"birth_date": "1815-12-10"}"#)
                .parse(TODAY)
                .unwrap_err()["birth_date"],
            "Enter a date after 1900"
        );
        let changes = patch(r#"{"birth_date": "2026-11-22"}"#)
            .parse(TODAY)
            .unwrap();
        assert_eq!(changes.birth_date, Some(Some(TODAY)));
    }

    #[test]
    fn bios_keep_line_breaks() {
        let changes = patch(r#"{"bio": "line one\nline two"}"#)
            .parse(TODAY)
            .unwrap();
        assert_eq!(changes.bio, Some(Some("line one\nline two".into())));
    }

    #[test]
    fn timezones_are_iana_names() {
        assert!(is_timezone("Europe/Paris"));
        assert!(is_timezone("UTC"));
        assert!(is_timezone("America/Argentina/Buenos_Aires"));
        assert!(!is_timezone("europe/paris"));
        assert!(!is_timezone("# IANA time zone names"));
        assert!(!is_timezone(""));
        assert!(timezones().count() > 400);
        let changes = patch(r#"{"timezone": "Asia/Tokyo", "language": "fr"}"#)
            .parse(TODAY)
            .unwrap();
        assert_eq!(changes.timezone.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(changes.language.as_deref(), Some("fr"));
        // Timezone and language cannot be cleared.
        assert!(patch(r#"{"timezone": null}"#).parse(TODAY).is_err());
        assert!(patch(r#"{"language": ""}"#).parse(TODAY).is_err());
    }
}
