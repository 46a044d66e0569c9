//! Personal API tokens, signed URLs and tickets: the ways a program (or another site)
//! acts as an account without its password, each a capability of its owner and never
//! more.

use crate::{FieldErrors, TokenRules};
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

/// What an API token lets its bearer do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read the account's own data (`GET` routes).
    Read,
    /// Also change it: the profile and the picture, and revoke tokens.
    Write,
}

impl Scope {
    /// Every scope, as a new token gets them when none are asked for.
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Write];

    /// The scope's name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    /// The scope a name stands for.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}

/// An API token as its owner sees it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// The token's opaque id (not its secret).
    pub id: String,
    /// What its owner calls it.
    pub name: String,
    /// What it lets its bearer do.
    pub scopes: Vec<Scope>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working (at once, when it is revoked).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it last authenticated a request (to the minute).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// Whether its owner revoked it.
    pub revoked: bool,
}

/// A token just made: its description, and its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    /// The token's opaque id.
    pub id: String,
    /// What its owner calls it.
    pub name: String,
    /// What it lets its bearer do.
    pub scopes: Vec<Scope>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The secret to send as `Authorization: Bearer <token>`. It is shown this once and
    /// stored only as a keyed hash.
    pub token: String,
}

/// A request for a new token, as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct NewApiTokenInput {
    /// What to call it (1 to 100 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::openapi::token_name, required = true)
    )]
    pub name: String,
    /// How many days it lives: from 1 to `api_token_max_days` (`/auth/rules`); by
    /// default `api_token_default_days`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::token_days))]
    #[serde(deserialize_with = "whole_days")]
    pub expires_in_days: Option<u32>,
    /// What it may do; by default every scope.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::token_scopes))]
    pub scopes: Option<Vec<Scope>>,
}

/// A whole number of days as JSON counts integers (`7`, and `7.0` alike); anything else is
/// refused by name.
fn whole_days<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let Some(days) = Option::<f64>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if days.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&days) {
        Ok(Some(days as u32))
    } else {
        Err(serde::de::Error::custom("a whole number of days"))
    }
}

/// A checked request for a new token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    /// What to call it, trimmed.
    pub name: String,
    /// How many days it lives.
    pub days: u32,
    /// What it may do: at least one scope, each once, in order.
    pub scopes: Vec<Scope>,
}

/// The most characters a token's name may have.
pub const TOKEN_NAME_MAX: usize = 100;

impl NewApiTokenInput {
    /// The request a form makes: the name, the lifetime as typed (empty for the default;
    /// anything but a number of days is out of range) and each scope ticked or not.
    pub fn from_form(name: &str, days: &str, ticked: &[(Scope, bool)]) -> NewApiTokenInput {
        let days = days.trim();
        NewApiTokenInput {
            name: name.to_owned(),
            expires_in_days: (!days.is_empty()).then(|| days.parse().unwrap_or(0)),
            scopes: Some(
                ticked
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(scope, _)| *scope)
                    .collect(),
            ),
        }
    }

    /// Checks the request against the rules: a name, a lifetime the rules allow, at
    /// least one scope.
    pub fn parse(&self, rules: &TokenRules) -> Result<NewApiToken, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.insert("name".into(), crate::REQUIRED.into());
        } else if name.chars().count() > TOKEN_NAME_MAX {
            errors.insert(
                "name".into(),
                format!("At most {TOKEN_NAME_MAX} characters"),
            );
        } else if name.chars().any(char::is_control) {
            errors.insert(
                "name".into(),
                "Contains characters that are not allowed".into(),
            );
        }
        let days = self.expires_in_days.unwrap_or(rules.api_token_default_days);
        if !(1..=rules.api_token_max_days).contains(&days) {
            errors.insert(
                "expires_in_days".into(),
                format!("From 1 to {} days", rules.api_token_max_days),
            );
        }
        let mut scopes = self.scopes.clone().unwrap_or_else(|| Scope::ALL.to_vec());
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            errors.insert("scopes".into(), "Choose at least one scope".into());
        }
        if errors.is_empty() {
            Ok(NewApiToken {
                name: name.to_owned(),
                days,
                scopes,
            })
        } else {
            Err(errors)
        }
    }
}

/// A URL of this site to sign (`POST /auth/signing`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SignUrlInput {
    /// A path of this site (`/account`), or a URL of it.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::openapi::site_path, required = true)
    )]
    pub url: String,
}

/// A signed URL: a GET of it, while it works, signs that browser in as the signer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedUrl {
    /// The URL, with its `sign` parameter.
    pub url: String,
}

/// A one-time ticket to sign in elsewhere (`POST /auth/tickets`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    /// The ticket: send it once to `/auth/tickets/check`.
    pub ticket: String,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A ticket presented to sign in (`POST /auth/tickets/check`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TicketCheck {
    /// The ticket.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::openapi::token, required = true)
    )]
    pub ticket: String,
}

/// A strong password that the current policy accepts (`POST /auth/generate-password`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeneratedPassword {
    /// The password.
    pub password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, days: Option<u32>, scopes: Option<Vec<Scope>>) -> NewApiTokenInput {
        NewApiTokenInput {
            name: name.into(),
            expires_in_days: days,
            scopes,
        }
    }

    #[test]
    fn defaults_are_every_scope_and_the_default_lifetime() {
        let rules = TokenRules::default();
        let token = input("  ci  ", None, None).parse(&rules).unwrap();
        assert_eq!(token.name, "ci");
        assert_eq!(token.days, 90);
        assert_eq!(token.scopes, [Scope::Read, Scope::Write]);
        let token = input("ci", Some(365), Some(vec![Scope::Read, Scope::Read]))
            .parse(&rules)
            .unwrap();
        assert_eq!((token.days, token.scopes), (365, vec![Scope::Read]));
    }

    #[test]
    fn a_form_asks_for_the_ticked_scopes_and_the_typed_days() {
        let rules = TokenRules::default();
        let form = |days: &str, read: bool, write: bool| {
            NewApiTokenInput::from_form("ci", days, &[(Scope::Read, read), (Scope::Write, write)])
                .parse(&rules)
        };
        let token = form("", true, false).unwrap();
        assert_eq!((token.days, token.scopes), (90, vec![Scope::Read]));
        assert_eq!(form(" 30 ", true, true).unwrap().days, 30);
        for days in ["0", "366", "seven", "-1", "1.5"] {
            let errors = form(days, true, false).unwrap_err();
            assert_eq!(errors["expires_in_days"], "From 1 to 365 days", "{days}");
        }
        let errors = form("7", false, false).unwrap_err();
        assert_eq!(errors["scopes"], "Choose at least one scope");
    }

    #[test]
    fn days_are_whole_numbers_however_written() {
        let read = |json: &str| serde_json::from_str::<NewApiTokenInput>(json);
        assert_eq!(
            read(r#"{"expires_in_days": 7}"#).unwrap().expires_in_days,
            Some(7)
        );
        assert_eq!(
            read(r#"{"expires_in_days": 7.0}"#).unwrap().expires_in_days,
            Some(7)
        );
        assert_eq!(
            read(r#"{"expires_in_days": null}"#)
                .unwrap()
                .expires_in_days,
            None
        );
        assert_eq!(read("{}").unwrap().expires_in_days, None);
        assert!(read(r#"{"expires_in_days": 7.5}"#).is_err());
        assert!(read(r#"{"expires_in_days": -1}"#).is_err());
    }

    #[test]
    fn each_field_has_its_rule() {
        let rules = TokenRules::default();
        let errors = input("", Some(0), Some(vec![])).parse(&rules).unwrap_err();
        assert_eq!(errors.len(), 3);
        let errors = input(&"x".repeat(101), Some(366), None)
            .parse(&rules)
            .unwrap_err();
        assert!(errors.contains_key("name") && errors.contains_key("expires_in_days"));
        assert!(input("a\u{7}b", None, None).parse(&rules).is_err());
    }
}
