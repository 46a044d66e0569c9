use super::PasswordRules;

/// A password in clear, as typed. Never trimmed, never logged, never serialised.
///
/// `parse` applies the policy for a *new* password; `for_sign_in` accepts anything
/// non-empty, because the policy may have changed since the password was chosen.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks a new password against the policy. `identity` holds what the password must
    /// not equal (the account's username and email), compared case-insensitively.
    ///
    /// The common-password list is only compiled into the server, which keeps the WASM
    /// bundle small: the browser checks everything else as the user types, and the
    /// server's answer covers the rest.
    pub fn parse(raw: &str, rules: &PasswordRules, identity: &[&str]) -> Result<Password, String> {
        if raw.is_empty() {
            return Err(super::REQUIRED.into());
        }
        let length = raw.chars().count();
        if length < rules.min_length || length > rules.max_length {
            return Err(format!(
                "{} to {} characters required",
                rules.min_length, rules.max_length
            ));
        }
        if rules.reject_username_or_email {
            let lowered = raw.to_lowercase();
            let same = identity
                .iter()
                .map(|id| id.trim())
                .any(|id| !id.is_empty() && id.to_lowercase() == lowered);
            if same {
                return Err("Must not be your username or email address".into());
            }
        }
        #[cfg(feature = "common-passwords")]
        if rules.reject_common && common::is_common(raw) {
            return Err("This password is too common; choose another".into());
        }
        Ok(Password(raw.to_owned()))
    }

    /// Accepts a password typed to sign in or to confirm a change: only an empty one is
    /// refused.
    pub fn for_sign_in(raw: &str) -> Result<Password, String> {
        if raw.is_empty() {
            Err(super::REQUIRED.into())
        } else {
            Ok(Password(raw.to_owned()))
        }
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(feature = "common-passwords")]
mod common {
    use std::collections::HashSet;
    use std::sync::LazyLock;

    static LIST: &str = include_str!("common-passwords.txt");

    static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
        LIST.lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    });

    pub fn is_common(password: &str) -> bool {
        COMMON.contains(password.to_lowercase().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Password, String> {
        Password::parse(s, &PasswordRules::default(), &["ada", "ada@example.org"])
    }

    #[test]
    fn length_counts_code_points() {
        assert_eq!(parse("short").unwrap_err(), "8 to 128 characters required");
        // Eight code points, more than eight bytes.
        assert!(parse("ünïcödé!").is_ok());
        assert!(parse(&"x9".repeat(64)).is_ok());
        assert!(parse(&format!("{}y", "x9".repeat(64))).is_err());
    }

    #[test]
    fn is_not_trimmed() {
        assert_eq!(parse("  spaced out  ").unwrap().expose(), "  spaced out  ");
    }

    #[test]
    fn refuses_username_or_email_in_any_case() {
        let rules = PasswordRules {
            min_length: 3,
            ..PasswordRules::default()
        };
        assert!(Password::parse("ADA", &rules, &["ada"]).is_err());
        assert!(Password::parse("Ada@Example.org", &rules, &["x", "ada@example.org"]).is_err());
        assert!(Password::parse("ada-but-longer", &rules, &["ada"]).is_ok());
    }

    #[test]
    fn empty_is_required() {
        assert_eq!(parse("").unwrap_err(), "Required");
        assert_eq!(Password::for_sign_in("").unwrap_err(), "Required");
    }

    #[test]
    fn debug_hides_the_secret() {
        assert!(!format!("{:?}", parse("correct horse").unwrap()).contains("horse"));
    }

    #[cfg(feature = "common-passwords")]
    #[test]
    fn refuses_common_passwords_case_insensitively() {
        assert!(parse("password1").is_err());
        assert!(parse("PassWord1").is_err());
        assert!(parse("qwertyuiop").is_err());
        assert!(parse("violet-anchor-92").is_ok());
    }
}
