use serde::{Deserialize, Serialize};

/// An email address, normalised: surrounding whitespace removed and lower-cased, so that
/// uniqueness and sign-in are case-insensitive everywhere.
///
/// The check is deliberately modest (one `@`, a sensible local part, a dotted domain);
/// the only real proof that an address works is the verification mail.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

const INVALID: &str = "Enter a valid email address";

impl Email {
    /// Parses and normalises an address as typed; the error is the message to show next
    /// to the field.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let address = raw.trim().to_lowercase();
        if address.is_empty() {
            return Err(super::REQUIRED.into());
        }
        if address.chars().count() > 254 {
            return Err("At most 254 characters".into());
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(INVALID.into());
        };
        if valid_local_part(local) && valid_domain(domain) {
            Ok(Email(address))
        } else {
            Err(INVALID.into())
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local_part(local: &str) -> bool {
    let allowed = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    !local.is_empty()
        && local.chars().count() <= 64
        && local.chars().all(allowed)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_label = |label: &&str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let tld_is_numeric = labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()));
    domain.len() <= 253 && labels.len() >= 2 && labels.iter().all(valid_label) && !tld_is_numeric
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").unwrap().as_str(),
            "ada@example.org"
        );
    }

    #[test]
    fn accepts_common_shapes() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'neil@example.ie",
            "ülrich@bücher.de",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "plainaddress",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada@example..com",
            "ada@-example.com",
            "ada..x@example.com",
            ".ada@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            "ada@127.0.0.1",
            "a@b@example.com",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err(),
                INVALID,
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn refuses_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    #[test]
    fn empty_is_required() {
        assert_eq!(Email::parse("").unwrap_err(), "Required");
    }
}
