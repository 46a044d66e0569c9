#![warn(missing_docs)]
//! Latchkey's domain: pure, validated types shared by the browser (compiled to WASM with
//! the pages) and the server (the backend's services and the REST routes), and
//! `AppError`, the one error type both speak. Parse, don't validate.
//!
//! Each rule lives in exactly one type. The form (instant feedback in the browser), the
//! server function and the REST route all call the same `parse`, so they cannot disagree.
//!
//! Features: `server-fn` lets `AppError` travel through Leptos server functions (the
//! `app` crate turns it on); `common-passwords` compiles the common-password list into
//! `Password::parse` (the server turns it on; the browser bundle stays small without it).

mod account;
mod api_token;
mod device;
mod email;
pub mod error;
mod identity;
mod language;
mod list;
#[cfg(feature = "openapi")]
pub mod openapi;
mod password;
mod profile;
mod redirect;
mod rules;
mod secret;
mod user;
mod username;

pub use account::{
    Credentials, LoginId, NewAccount, PasswordChangeInput, PasswordResetInput, RegisterInput,
};
pub use api_token::{
    ApiToken, CreatedApiToken, GeneratedPassword, NewApiToken, NewApiTokenInput, Scope,
    SignUrlInput, SignedUrl, Ticket, TicketCheck, TOKEN_NAME_MAX,
};
pub use device::{describe_user_agent, AccountExport, Device};
pub use email::Email;
pub use error::AppError;
pub use identity::{LinkedIdentity, ProviderProblem};
pub use language::{pick_language, SUPPORTED_LANGUAGES};
pub use list::{ListParams, ListQuery, Page, DEFAULT_LIMIT, MAX_LIMIT};
pub use password::Password;
pub use profile::{
    is_timezone, timezones, ProfileChanges, ProfilePatch, BIO_MAX, EARLIEST_BIRTH_YEAR, NAME_MAX,
};
pub use redirect::local_path;
pub use rules::{
    AuthMethods, AuthRules, OidcProvider, PasswordRules, Registration, ThrottleRules, TokenRules,
    UploadRules, UsernameRules,
};
pub use secret::Secret;
pub use user::{picture_url, Role, User};
pub use username::Username;

/// Messages for form fields, keyed by the field's name (`username`, `email`, ...).
///
/// A `BTreeMap` keeps the JSON output in a stable order.
pub type FieldErrors = std::collections::BTreeMap<String, String>;

/// The message shown for a required field left empty.
pub const REQUIRED: &str = "Required";
