use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// An account as its owner (and the API) sees it. Never carries a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The account's opaque, permanent id.
    pub id: String,
    /// The name the person signs in with and is known by.
    pub username: String,
    /// The address mail goes to; it also signs in.
    #[cfg_attr(feature = "openapi", schema(format = Email))]
    pub email: String,
    /// Whether the person proved they receive mail at `email`.
    pub email_verified: bool,
    /// The first name; the interface greets the person by it.
    pub first_name: Option<String>,
    /// The last name.
    pub last_name: Option<String>,
    /// A few words the person wrote about themselves.
    pub bio: Option<String>,
    /// Where the person lives, in their own words.
    pub location: Option<String>,
    /// The birth date.
    pub birth_date: Option<Date>,
    /// The IANA time zone times are shown in.
    pub timezone: String,
    /// The interface language (ISO 639-1 code).
    pub language: String,
    /// Where to fetch the profile picture, when there is one.
    pub picture_url: Option<String>,
    /// What the account may do.
    pub role: Role,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl User {
    /// How the interface greets the person: their first name when they gave one.
    pub fn display_name(&self) -> &str {
        self.first_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.username)
    }
}

/// Where anyone can fetch an account's picture. The digest changes with the picture, so
/// the URL can be cached for a long time.
pub fn picture_url(username: &str, etag: &str) -> String {
    format!("/api/v1/users/{username}/picture?v={etag}")
}

/// What an account may do in this instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An ordinary account.
    User,
    /// An administrator of this instance.
    Admin,
}

impl Role {
    /// The role's name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role '{other}'")),
        }
    }
}
