//! Pure, validated types shared by the browser and the server: parse, don't validate.
//!
//! Each rule lives in exactly one type. The form (instant feedback in the browser), the
//! server function and the REST route all call the same `parse`, so they cannot disagree.

mod account;
mod email;
mod language;
mod password;
mod redirect;
mod rules;
mod secret;
mod user;
mod username;

pub use account::{Credentials, LoginId, NewAccount, RegisterInput};
pub use email::Email;
pub use language::{pick_language, SUPPORTED_LANGUAGES};
pub use password::Password;
pub use redirect::local_path;
pub use rules::{
    AuthMethods, AuthRules, OidcProvider, PasswordRules, Registration, ThrottleRules, UsernameRules,
};
pub use secret::Secret;
pub use user::{Role, User};
pub use username::Username;

/// Messages for form fields, keyed by the field's name (`username`, `email`, ...).
///
/// A `BTreeMap` keeps the JSON output in a stable order.
pub type FieldErrors = std::collections::BTreeMap<String, String>;

/// The message shown for a required field left empty.
pub const REQUIRED: &str = "Required";
