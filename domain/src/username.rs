use super::UsernameRules;
use serde::{Deserialize, Serialize};

/// A username that satisfies the configured rules: letters, digits, `.`, `_`, `-`.
///
/// Only ASCII letters are allowed, so that two names that look alike are equal and the
/// case-insensitive comparison is the same in SQLite, Postgres and the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    /// Parses what a user typed; surrounding whitespace is ignored.
    pub fn parse(raw: &str, rules: &UsernameRules) -> Result<Username, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(super::REQUIRED.into());
        }
        let length = name.chars().count();
        if length < rules.min_length || length > rules.max_length {
            return Err(format!(
                "{} to {} characters required",
                rules.min_length, rules.max_length
            ));
        }
        if !name.chars().all(is_allowed) {
            return Err("Only letters, digits, '.', '_' and '-' are allowed".into());
        }
        Ok(Username(name.to_owned()))
    }

    /// A valid name made from a hint that may break the rules (a provider's
    /// `preferred_username`, an address's local part): spaces become `.`, other characters
    /// that are not allowed are dropped, and it is cut to the longest length allowed. A
    /// hint with too little left gives `user`, padded to the shortest length allowed.
    pub fn from_hint(hint: &str, rules: &UsernameRules) -> Username {
        let name: String = hint
            .trim()
            .chars()
            .filter_map(|c| match c {
                c if is_allowed(c) => Some(c),
                c if c.is_whitespace() => Some('.'),
                _ => None,
            })
            .take(rules.max_length)
            .collect();
        let name = name.trim_matches('.');
        if name.chars().count() >= rules.min_length && !name.is_empty() {
            return Username(name.to_owned());
        }
        let mut fallback = String::from("user");
        while fallback.len() < rules.min_length {
            fallback.push('0');
        }
        fallback.truncate(rules.max_length.max(1));
        Username(fallback)
    }

    /// The same name with `suffix` (a number, to make it unique) at its end, cut before
    /// the suffix so that the whole stays within the longest length allowed.
    pub fn with_suffix(&self, suffix: &str, rules: &UsernameRules) -> Username {
        let room = rules.max_length.saturating_sub(suffix.len());
        let stem: String = self.0.chars().take(room).collect();
        Username(format!("{stem}{suffix}"))
    }

    /// The name with the case the person chose, as shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that uniqueness and look-ups use: usernames are case-insensitive.
    pub fn key(&self) -> String {
        Username::key_of(&self.0)
    }

    /// The look-up form of a name as typed (in a sign-in or a URL), valid or not; a name
    /// that is no username simply matches no account. Control characters, which no
    /// username has, are written out as escapes, so the key is text any database can
    /// hold (Postgres refuses NUL).
    pub fn key_of(name: &str) -> String {
        name.chars()
            .flat_map(|c| {
                let escaped = c.is_control().then(|| c.escape_unicode());
                let plain = (!c.is_control()).then(|| c.to_ascii_lowercase());
                escaped.into_iter().flatten().chain(plain)
            })
            .collect()
    }
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Username, String> {
        Username::parse(s, &UsernameRules::default())
    }

    #[test]
    fn hints_become_valid_names() {
        let rules = UsernameRules::default();
        for (hint, name) in [
            ("alice", "alice"),
            ("Ève Örtlich!", "ve.rtlich"),
            ("  jo  ", "user"),
            ("!!!", "user"),
        ] {
            let made = Username::from_hint(hint, &rules);
            assert_eq!(made.as_str(), name, "{hint}");
            assert_eq!(parse(made.as_str()), Ok(made));
        }
        let long = Username::from_hint(&"x".repeat(100), &rules);
        assert_eq!(long.as_str().len(), rules.max_length);
        let numbered = long.with_suffix("12", &rules);
        assert_eq!(numbered.as_str().len(), rules.max_length);
        assert!(numbered.as_str().ends_with("12"));
        assert_eq!(parse(numbered.as_str()), Ok(numbered));
    }

    #[test]
    fn accepts_letters_digits_and_separators() {
        assert_eq!(
            parse("Ada.Love_lace-1").unwrap().as_str(),
            "Ada.Love_lace-1"
        );
    }

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(parse("  ada  ").unwrap().as_str(), "ada");
    }

    #[test]
    fn keys_hold_no_control_characters() {
        assert_eq!(Username::key_of("Ada.L"), "ada.l");
        assert_eq!(Username::key_of("a\0B"), "a\\u{0}b");
    }

    #[test]
    fn enforces_length_in_characters() {
        assert_eq!(parse("ab").unwrap_err(), "3 to 32 characters required");
        assert!(parse("abc").is_ok());
        assert!(parse(&"a".repeat(32)).is_ok());
        assert_eq!(
            parse(&"a".repeat(33)).unwrap_err(),
            "3 to 32 characters required"
        );
    }

    #[test]
    fn refuses_other_characters() {
        for bad in ["ada lovelace", "ada@home", "ädä", "ada/1", "ada\u{200b}x"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn empty_is_required() {
        assert_eq!(parse("   ").unwrap_err(), "Required");
    }

    #[test]
    fn follows_configured_limits() {
        let rules = UsernameRules {
            min_length: 5,
            max_length: 6,
            ..UsernameRules::default()
        };
        assert!(Username::parse("abcd", &rules).is_err());
        assert!(Username::parse("abcde", &rules).is_ok());
        assert!(Username::parse("abcdefg", &rules).is_err());
    }

    #[test]
    fn key_is_lowercase() {
        assert_eq!(parse("AdA").unwrap().key(), "ada");
    }
}
