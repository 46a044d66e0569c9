//! What a person submits to create an account or to sign in, and the validated forms of it.

use super::{AuthRules, Email, FieldErrors, Password, Secret, Username, REQUIRED};
use serde::{Deserialize, Serialize};

/// A registration as submitted, before any check. Missing fields read as empty, so that
/// they are reported as "Required" next to the field rather than as a parse failure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RegisterInput {
    /// The username asked for.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::username, required = true))]
    pub username: String,
    /// The account's email address; mail goes there to verify it.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::email, required = true))]
    pub email: String,
    /// The password chosen.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_password, required = true))]
    pub password: Secret,
    /// The password typed again, to catch a typo.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::confirmation, required = true))]
    pub password_confirmation: Secret,
}

/// A registration that passed every rule the browser can check (the server also checks
/// the common-password list and uniqueness).
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The account's username, with the case the person typed.
    pub username: Username,
    /// The account's email address, normalised.
    pub email: Email,
    /// The chosen password, not yet hashed.
    pub password: Password,
}

impl NewAccount {
    /// Checks every field and reports all problems at once, keyed by field name.
    pub fn parse(input: &RegisterInput, rules: &AuthRules) -> Result<NewAccount, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = Username::parse(&input.username, &rules.username)
            .map_err(|e| errors.insert("username".into(), e))
            .ok();
        let email = Email::parse(&input.email)
            .map_err(|e| errors.insert("email".into(), e))
            .ok();
        let password = new_password(
            &input.password,
            &input.password_confirmation,
            rules,
            &[&input.username, &input.email],
            ("password", "password_confirmation"),
            &mut errors,
        );
        match (username, email, password) {
            (Some(username), Some(email), Some(password)) if errors.is_empty() => Ok(NewAccount {
                username,
                email,
                password,
            }),
            _ => Err(errors),
        }
    }
}

/// A password change as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PasswordChangeInput {
    /// The password in use now, to prove it is the owner asking.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::password, required = true))]
    pub current_password: Secret,
    /// The password that replaces it.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_password, required = true))]
    pub new_password: Secret,
    /// The new password typed again, to catch a typo.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::confirmation, required = true))]
    pub new_password_confirmation: Secret,
}

impl PasswordChangeInput {
    /// Checks the new password against the policy (not equal to `identity`, the account's
    /// username and email) and its confirmation; the current one only for presence.
    pub fn parse(
        &self,
        rules: &AuthRules,
        identity: &[&str],
    ) -> Result<(Password, Password), FieldErrors> {
        let mut errors = FieldErrors::new();
        let current = Password::for_sign_in(self.current_password.expose())
            .map_err(|e| errors.insert("current_password".into(), e))
            .ok();
        let new = new_password(
            &self.new_password,
            &self.new_password_confirmation,
            rules,
            identity,
            ("new_password", "new_password_confirmation"),
            &mut errors,
        );
        match (current, new) {
            (Some(current), Some(new)) if errors.is_empty() => Ok((current, new)),
            _ => Err(errors),
        }
    }
}

/// A new password chosen from a reset link, as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordResetInput {
    /// The password that replaces the forgotten one.
    pub new_password: Secret,
    /// The new password typed again, to catch a typo.
    pub new_password_confirmation: Secret,
}

impl PasswordResetInput {
    /// Checks the new password against the policy (not equal to `identity`, the account's
    /// username and email) and its confirmation.
    pub fn parse(&self, rules: &AuthRules, identity: &[&str]) -> Result<Password, FieldErrors> {
        let mut errors = FieldErrors::new();
        let new = new_password(
            &self.new_password,
            &self.new_password_confirmation,
            rules,
            identity,
            ("new_password", "new_password_confirmation"),
            &mut errors,
        );
        match new {
            Some(new) if errors.is_empty() => Ok(new),
            _ => Err(errors),
        }
    }
}

/// A new password and its confirmation, reported under the given field names.
fn new_password(
    password: &Secret,
    confirmation: &Secret,
    rules: &AuthRules,
    identity: &[&str],
    (field, confirmation_field): (&str, &str),
    errors: &mut FieldErrors,
) -> Option<Password> {
    let parsed = Password::parse(password.expose(), &rules.password, identity)
        .map_err(|e| errors.insert(field.into(), e))
        .ok();
    if confirmation.expose().is_empty() {
        errors.insert(confirmation_field.into(), REQUIRED.into());
    } else if confirmation != password {
        errors.insert(confirmation_field.into(), "Passwords do not match".into());
    }
    parsed
}

/// How a person names their account at sign-in: an email address or a username.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginId {
    /// An email address, normalised.
    Email(Email),
    /// The case-folded username (see [`Username::key`]).
    Username(String),
}

impl LoginId {
    /// Anything with an `@` is an email address (usernames cannot contain one). Unknown
    /// or malformed names are not an error here: they simply match no account.
    pub fn parse(raw: &str) -> Option<LoginId> {
        let raw = raw.trim();
        if raw.is_empty() {
            None
        } else if raw.contains('@') {
            Some(
                Email::parse(raw)
                    .map(LoginId::Email)
                    .unwrap_or_else(|_| LoginId::Username(Username::key_of(raw))),
            )
        } else {
            Some(LoginId::Username(Username::key_of(raw)))
        }
    }

    /// A stable text form, used to throttle failed sign-ins for names with no account.
    pub fn key(&self) -> String {
        match self {
            LoginId::Email(email) => format!("email:{email}"),
            LoginId::Username(name) => format!("username:{name}"),
        }
    }
}

/// A sign-in attempt with both fields present.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Who is signing in: the email address or username typed.
    pub login: LoginId,
    /// The password typed, to check against the account's hash.
    pub password: Password,
}

impl Credentials {
    /// Checks that both fields are filled in and reports each missing one by field name;
    /// whether they match an account is for the server to find out.
    pub fn parse(login: &str, password: &str) -> Result<Credentials, FieldErrors> {
        let mut errors = FieldErrors::new();
        let login = LoginId::parse(login);
        if login.is_none() {
            errors.insert("login".into(), REQUIRED.into());
        }
        let password = Password::for_sign_in(password)
            .map_err(|e| errors.insert("password".into(), e))
            .ok();
        match (login, password) {
            (Some(login), Some(password)) => Ok(Credentials { login, password }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(username: &str, email: &str, password: &str, confirmation: &str) -> RegisterInput {
        RegisterInput {
            username: username.into(),
            email: email.into(),
            password: Secret::new(password),
            password_confirmation: Secret::new(confirmation),
        }
    }

    #[test]
    fn accepts_a_good_registration() {
        let account = NewAccount::parse(
            &input(
                "ada",
                "Ada@Example.org",
                "violet-anchor-92",
                "violet-anchor-92",
            ),
            &AuthRules::default(),
        )
        .unwrap();
        assert_eq!(account.username.as_str(), "ada");
        assert_eq!(account.email.as_str(), "ada@example.org");
    }

    #[test]
    fn reports_every_field_at_once() {
        let errors =
            NewAccount::parse(&input("a", "nope", "short", "other"), &AuthRules::default())
                .unwrap_err();
        assert_eq!(errors["username"], "3 to 32 characters required");
        assert_eq!(errors["email"], "Enter a valid email address");
        assert_eq!(errors["password"], "8 to 128 characters required");
        assert_eq!(errors["password_confirmation"], "Passwords do not match");
    }

    #[test]
    fn missing_fields_are_required() {
        let errors =
            NewAccount::parse(&RegisterInput::default(), &AuthRules::default()).unwrap_err();
        assert_eq!(errors.len(), 4);
        assert!(errors.values().all(|m| m == REQUIRED));
    }

    #[test]
    fn password_equal_to_username_is_refused() {
        let errors = NewAccount::parse(
            &input(
                "adalovelace",
                "ada@example.org",
                "AdaLovelace",
                "AdaLovelace",
            ),
            &AuthRules::default(),
        )
        .unwrap_err();
        assert_eq!(
            errors["password"],
            "Must not be your username or email address"
        );
    }

    #[test]
    fn debug_hides_passwords() {
        let shown = format!("{:?}", input("ada", "a@b.co", "hunter22", "hunter22"));
        assert!(!shown.contains("hunter22"));
    }

    #[test]
    fn password_change_checks_the_new_one() {
        let input = |current: &str, new: &str, again: &str| PasswordChangeInput {
            current_password: Secret::new(current),
            new_password: Secret::new(new),
            new_password_confirmation: Secret::new(again),
        };
        let rules = AuthRules::default();
        assert!(input("old", "violet-anchor-93", "violet-anchor-93")
            .parse(&rules, &["ada"])
            .is_ok());
        let errors = input("", "ada", "adb").parse(&rules, &["ada"]).unwrap_err();
        assert_eq!(errors["current_password"], REQUIRED);
        assert_eq!(errors["new_password"], "8 to 128 characters required");
        assert_eq!(
            errors["new_password_confirmation"],
            "Passwords do not match"
        );
    }

    #[test]
    fn password_reset_checks_the_new_one_and_its_confirmation() {
        let input = |new: &str, again: &str| PasswordResetInput {
            new_password: Secret::new(new),
            new_password_confirmation: Secret::new(again),
        };
        let rules = AuthRules::default();
        assert!(input("violet-anchor-93", "violet-anchor-93")
            .parse(&rules, &["ada"])
            .is_ok());
        let errors = input("ada", "").parse(&rules, &["ada"]).unwrap_err();
        assert_eq!(errors["new_password"], "8 to 128 characters required");
        assert_eq!(errors["new_password_confirmation"], REQUIRED);
        let errors = input("violet-anchor-93", "violet-anchor-94")
            .parse(&rules, &["ada"])
            .unwrap_err();
        assert_eq!(
            errors["new_password_confirmation"],
            "Passwords do not match"
        );
        assert!(!errors.contains_key("new_password"));
    }

    #[test]
    fn login_id_tells_email_from_username() {
        assert_eq!(
            LoginId::parse(" Ada@Example.org "),
            Some(LoginId::Email(Email::parse("ada@example.org").unwrap()))
        );
        assert_eq!(LoginId::parse("AdA"), Some(LoginId::Username("ada".into())));
        assert_eq!(LoginId::parse("   "), None);
    }

    #[test]
    fn credentials_need_both_fields() {
        let errors = Credentials::parse("", "").unwrap_err();
        assert_eq!(errors["login"], REQUIRED);
        assert_eq!(errors["password"], REQUIRED);
        assert!(Credentials::parse("ada", "x").is_ok());
    }
}
