//! How the domain's fields describe themselves in the OpenAPI document: each schema
//! states the rule its type enforces (lengths, characters, formats), from the same
//! constants and defaults, so that what the document allows is what the server accepts.
//! Compiled only with the `openapi` feature (the server's), never into the WASM bundle.

use crate::{timezones, UsernameRules, BIO_MAX, EARLIEST_BIRTH_YEAR, NAME_MAX};
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;

/// White space as Rust's `str::trim` knows it (Unicode's White_Space), for patterns.
const WHITE_SPACE: &str =
    "\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

fn done(schema: ObjectBuilder) -> RefOr<Schema> {
    RefOr::T(Schema::Object(schema.build()))
}

/// A new username (under the default rules; `/auth/rules` says the configured ones).
pub fn username() -> RefOr<Schema> {
    let rules = UsernameRules::default();
    done(
        string()
            .min_length(Some(rules.min_length))
            .max_length(Some(rules.max_length))
            .pattern(Some("^[A-Za-z0-9._-]+$"))
            .description(Some(format!(
                "{} to {} letters, digits, '.', '_' or '-' (the lengths are configurable: \
                 see /auth/rules)",
                rules.min_length, rules.max_length
            ))),
    )
}

/// An email address.
pub fn email() -> RefOr<Schema> {
    done(
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(254)),
    )
}

/// A new password (under the default rules; `/auth/rules` says the configured ones).
pub fn new_password() -> RefOr<Schema> {
    let rules = crate::PasswordRules::default();
    new_password_described(format!(
        "{} to {} characters (configurable: see /auth/rules), not the username or email, \
         not a common password",
        rules.min_length, rules.max_length
    ))
}

/// The confirmation of a new password: the same password again.
pub fn confirmation() -> RefOr<Schema> {
    new_password_described("the same password again".to_owned())
}

fn new_password_described(description: String) -> RefOr<Schema> {
    let rules = crate::PasswordRules::default();
    done(
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
            .min_length(Some(rules.min_length))
            .max_length(Some(rules.max_length))
            .description(Some(description)),
    )
}

/// A password as typed to sign in or to confirm a change: anything but empty.
pub fn password() -> RefOr<Schema> {
    done(
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
            .min_length(Some(1)),
    )
}

/// A username or an email address, as typed to sign in.
pub fn login() -> RefOr<Schema> {
    done(
        string()
            .pattern(Some("\\S"))
            .description(Some("A username or an email address")),
    )
}

/// A token from a mailed link.
pub fn token() -> RefOr<Schema> {
    done(string().min_length(Some(1)).max_length(Some(128)))
}

/// A mailed sign-in code.
pub fn code() -> RefOr<Schema> {
    done(
        string()
            .pattern(Some("^[0-9]{6}$"))
            .description(Some("the 6 digits from the message")),
    )
}

/// A single-line profile field: no control characters; empty or null clears it.
pub fn single_line() -> RefOr<Schema> {
    done(
        nullable_string()
            .max_length(Some(NAME_MAX))
            .pattern(Some("^[^\\u0000-\\u001f\\u007f-\\u009f]*$"))
            .description(Some("empty or null clears it")),
    )
}

/// The bio: line breaks allowed, no other control characters; empty or null clears it.
pub fn bio() -> RefOr<Schema> {
    done(
        nullable_string()
            .max_length(Some(BIO_MAX))
            .pattern(Some(
                "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$",
            ))
            .description(Some("line breaks allowed; empty or null clears it")),
    )
}

/// A birth date: a real date from the earliest year the profile takes to a year ago at
/// the latest (so that no schema-valid date is ever in the future); empty (or white
/// space) or null clears it.
pub fn birth_date() -> RefOr<Schema> {
    let date = string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(birth_year_pattern()));
    let cleared = string().pattern(Some(format!("^[{WHITE_SPACE}]*$")));
    RefOr::T(Schema::AnyOf(
        AnyOfBuilder::new()
            .item(date.build())
            .item(cleared.build())
            .item(ObjectBuilder::new().schema_type(Type::Null).build())
            .description(Some(format!(
                "YYYY-MM-DD, from {EARLIEST_BIRTH_YEAR} to today; empty (or only white space) \
                 or null clears it"
            )))
            .build(),
    ))
}

/// `YYYY-MM-DD` with the year from `EARLIEST_BIRTH_YEAR` (1900) to 2025.
fn birth_year_pattern() -> String {
    debug_assert_eq!(EARLIEST_BIRTH_YEAR, 1900);
    "^(19[0-9]{2}|20[01][0-9]|202[0-5])-[0-9]{2}-[0-9]{2}$".to_owned()
}

/// A time zone: an IANA name from the list the profile takes.
pub fn timezone() -> RefOr<Schema> {
    done(
        string()
            .enum_values(Some(timezones()))
            .description(Some("an IANA name, e.g. Europe/Paris")),
    )
}

/// An interface language the profile takes.
pub fn language() -> RefOr<Schema> {
    done(string().enum_values(Some(crate::SUPPORTED_LANGUAGES.iter().copied())))
}

/// An API token's name.
pub fn token_name() -> RefOr<Schema> {
    done(
        string()
            .min_length(Some(1))
            .max_length(Some(crate::TOKEN_NAME_MAX))
            .pattern(Some(
                "^[^\\u0000-\\u001f\\u007f-\\u009f]*\\S[^\\u0000-\\u001f\\u007f-\\u009f]*$",
            )),
    )
}

/// An API token's lifetime in days (under the default rules; `/auth/rules` says the
/// configured ones); absent or null for the default.
pub fn token_days() -> RefOr<Schema> {
    let rules = crate::TokenRules::default();
    done(
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .minimum(Some(1))
            .maximum(Some(rules.api_token_max_days))
            .description(Some(format!(
                "from 1 to api_token_max_days ({}); by default api_token_default_days ({})",
                rules.api_token_max_days, rules.api_token_default_days
            ))),
    )
}

/// An API token's scopes; absent or null for all of them.
pub fn token_scopes() -> RefOr<Schema> {
    let scope = string().enum_values(Some(crate::Scope::ALL.map(crate::Scope::as_str)));
    RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .items(scope.build())
            .min_items(Some(1))
            .description(Some("read, write, or both (the default)"))
            .build(),
    ))
}

/// A path of this site.
pub fn site_path() -> RefOr<Schema> {
    done(
        string()
            .pattern(Some(
                "^/(?:[^/\\\\\\u0000-\\u001f\\u007f-\\u009f][^\\\\\\u0000-\\u001f\\u007f-\\u009f]*)?$",
            ))
            .description(Some("a path of this site, such as /account")),
    )
}
