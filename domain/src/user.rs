use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// An account as its owner (and the API) sees it. Never carries a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(format = Email))]
    pub email: String,
    pub email_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub birth_date: Option<Date>,
    pub timezone: String,
    pub language: String,
    pub picture_url: Option<String>,
    pub role: Role,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
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
