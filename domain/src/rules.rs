//! The configurable policy, as data. The server fills it from its configuration and
//! publishes it at `GET /api/v1/auth/rules`; the browser validates with the same values.

use serde::{Deserialize, Serialize};

/// The whole configurable policy: what the server enforces and the browser checks
/// against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthRules {
    /// What a username may be.
    pub username: UsernameRules,
    /// What a new password must satisfy.
    pub password: PasswordRules,
    /// Who may create an account.
    pub registration: Registration,
    /// How many failed sign-ins and mail requests are allowed.
    pub throttle: ThrottleRules,
    /// Interface languages a profile may choose (ISO 639-1 codes).
    pub languages: Vec<String>,
    /// What a profile picture upload may be.
    pub upload: UploadRules,
    /// How long mailed links and codes live.
    pub tokens: TokenRules,
    /// Whether an account must verify its email address before it can sign in.
    pub require_verified_email: bool,
}

/// How long mailed links, codes, API tokens, signed URLs and tickets live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRules {
    /// How long an email verification link works, in hours.
    pub verification_hours: u32,
    /// How long a password reset link works, in minutes.
    pub reset_minutes: u32,
    /// How long a sign-in code works, in minutes.
    pub login_code_minutes: u32,
    /// Wrong guesses a sign-in code survives.
    pub login_code_attempts: u32,
    /// How long a new API token lives when its creator does not say, in days.
    pub api_token_default_days: u32,
    /// The longest an API token may live, in days.
    pub api_token_max_days: u32,
    /// How long a signed URL works, in seconds.
    pub signed_url_seconds: u32,
    /// How long a ticket works, in seconds.
    pub ticket_seconds: u32,
}

impl Default for TokenRules {
    fn default() -> Self {
        TokenRules {
            verification_hours: 48,
            reset_minutes: 30,
            login_code_minutes: 10,
            login_code_attempts: 5,
            api_token_default_days: 90,
            api_token_max_days: 365,
            signed_url_seconds: 30,
            ticket_seconds: 300,
        }
    }
}

/// What a profile picture upload may be, and what it is turned into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRules {
    /// Largest profile picture upload, in bytes; larger ones get 413.
    pub picture_max_bytes: usize,
    /// Accepted picture types, decided by content (not by name or declared type).
    pub picture_types: Vec<String>,
    /// Largest accepted picture, in pixels per side.
    pub picture_max_dimension: u32,
    /// Side of the square the picture is cropped and scaled to.
    pub picture_size: u32,
}

impl Default for UploadRules {
    fn default() -> Self {
        UploadRules {
            picture_max_bytes: 1024 * 1024,
            picture_types: ["image/png", "image/jpeg", "image/gif", "image/webp"]
                .iter()
                .map(|t| t.to_string())
                .collect(),
            picture_max_dimension: 4096,
            picture_size: 256,
        }
    }
}

/// What a username may be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsernameRules {
    /// Fewest characters a username may have.
    pub min_length: usize,
    /// Most characters a username may have.
    pub max_length: usize,
    /// The allowed characters as a regular expression, for clients that want one.
    pub pattern: String,
    /// Whether `Ada` and `ada` name different accounts (they never do: always `false`).
    pub case_sensitive: bool,
}

/// What a new password must satisfy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordRules {
    /// Fewest characters a new password may have.
    pub min_length: usize,
    /// Most characters a new password may have.
    pub max_length: usize,
    /// Passwords from the list of common passwords that ships with Latchkey are refused.
    pub reject_common: bool,
    /// A password equal to the account's username or email address is refused.
    pub reject_username_or_email: bool,
}

/// Who may create an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone may create an account.
    Open,
    /// Accounts are created only from an invitation.
    Invite,
    /// Nobody may create an account (administrators still can, from the command line).
    Closed,
}

impl Registration {
    /// The name used in the configuration and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }
}

impl std::str::FromStr for Registration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Registration::Open),
            "invite" => Ok(Registration::Invite),
            "closed" => Ok(Registration::Closed),
            other => Err(format!("'{other}' is not one of open, invite, closed")),
        }
    }
}

/// Limits on failed sign-ins and on requests that send mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThrottleRules {
    /// Failed sign-ins allowed per account within the window, then 429.
    pub failed_logins_per_account: u32,
    /// Failed sign-ins allowed per client address within the window, then 429.
    pub failed_logins_per_address: u32,
    /// How long the window that failed sign-ins are counted in lasts, in seconds.
    pub window_seconds: u64,
    /// Mail-sending requests (reset, code, verification, email change) per recipient
    /// address per hour, whether or not the address has an account.
    pub mail_per_address_per_hour: u32,
}

impl AuthRules {
    /// Whether an account may hold a session yet: not before it has verified its address,
    /// when the configuration requires that. The server decides by it whether a
    /// registration or a reset signs the browser in.
    pub fn may_sign_in(&self, user: &crate::User) -> bool {
        user.email_verified || !self.require_verified_email
    }
}

impl Default for AuthRules {
    fn default() -> Self {
        AuthRules {
            username: UsernameRules::default(),
            password: PasswordRules::default(),
            registration: Registration::Open,
            throttle: ThrottleRules::default(),
            languages: crate::SUPPORTED_LANGUAGES
                .iter()
                .map(|l| l.to_string())
                .collect(),
            upload: UploadRules::default(),
            tokens: TokenRules::default(),
            require_verified_email: false,
        }
    }
}

impl Default for UsernameRules {
    fn default() -> Self {
        UsernameRules {
            min_length: 3,
            max_length: 32,
            pattern: "^[A-Za-z0-9._-]+$".into(),
            case_sensitive: false,
        }
    }
}

impl Default for PasswordRules {
    fn default() -> Self {
        PasswordRules {
            min_length: 8,
            max_length: 128,
            reject_common: true,
            reject_username_or_email: true,
        }
    }
}

impl Default for ThrottleRules {
    fn default() -> Self {
        ThrottleRules {
            failed_logins_per_account: 10,
            failed_logins_per_address: 100,
            window_seconds: 15 * 60,
            mail_per_address_per_hour: 5,
        }
    }
}

/// The ways to sign in that this instance offers (`GET /api/v1/auth/methods`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthMethods {
    /// Whether a person can sign in with a password.
    pub password: bool,
    /// Who may create an account.
    pub registration: Registration,
    /// Whether anyone may create an account (registration is `open`).
    pub registration_open: bool,
    /// Whether a person can sign in with a code mailed to them.
    pub email_code: bool,
    /// Outside identity providers a person can sign in with.
    pub oidc: Vec<OidcProvider>,
    /// Whether a person can sign in with a passkey.
    pub passkeys: bool,
}

/// An outside identity provider (OpenID Connect) offered at sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcProvider {
    /// Names the provider in URLs and the API.
    pub id: String,
    /// The provider's name, as shown on the sign-in button.
    pub name: String,
    /// Where the browser goes to sign in with it (or, signed in, to link it).
    pub login_url: String,
    /// Whether it answered the last time it was asked (its discovery document). While it
    /// does not, its button says it is unavailable.
    pub available: bool,
}

impl AuthMethods {
    /// What the foundation offers: passwords, and registration as configured.
    pub fn from_rules(rules: &AuthRules) -> AuthMethods {
        AuthMethods {
            password: true,
            registration: rules.registration,
            registration_open: rules.registration == Registration::Open,
            email_code: true,
            oidc: Vec::new(),
            passkeys: false,
        }
    }
}
