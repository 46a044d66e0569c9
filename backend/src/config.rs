//! Typed configuration: defaults, then an optional TOML file, then `LATCHKEY_*` variables.
//!
//! Every value is checked at start-up and every problem is reported at once, each naming
//! the variable, so an admin fixes a bad deployment in one go.

use domain::{
    AuthRules, PasswordRules, Registration, ThrottleRules, TokenRules, UploadRules, UsernameRules,
};
use ipnet::IpNet;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use url::Url;

const ENV_PREFIX: &str = "LATCHKEY_";

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`: it may carry a password.
    pub database_url: SecretString,
    pub public_url: Url,
    pub secret_key: Option<SecretString>,
    pub data_dir: PathBuf,
    pub site_root: Option<PathBuf>,
    pub trusted_proxies: Vec<IpNet>,
    pub rules: AuthRules,
    pub session_lifetime: Duration,
    pub hash_workers: usize,
    pub max_body_bytes: usize,
    /// How long a request may take before it is ended with 503 (a stuck request must not
    /// hold a connection open forever).
    pub request_timeout: Duration,
    pub log_format: LogFormat,
    /// `smtp://` or `smtps://` with credentials; `None` writes mail to the outbox folder.
    pub smtp_url: Option<SecretString>,
    /// The sender, e.g. `Latchkey <noreply@example.com>`.
    pub mail_from: String,
    /// Tries before a message is given up.
    pub mail_max_attempts: u32,
    /// Wait before the first retry; it doubles with each failure (at most an hour).
    pub mail_retry_seconds: u64,
    /// A tracing filter (`info`, `latchkey=debug,info`, ...).
    pub log_filter: String,
    /// Outside OpenID providers people can sign in with, in the order configured.
    pub oidc_providers: Vec<OidcProviderConfig>,
    /// Settings that were given but are not known; reported as warnings once logging runs.
    pub unknown_settings: Vec<String>,
}

/// An outside OpenID provider (`LATCHKEY_OIDC_<ID>_*`), for which Latchkey is a
/// confidential client.
#[derive(Clone, Debug)]
pub struct OidcProviderConfig {
    /// Lower-case letters, digits and `_`: names it in URLs and in the settings.
    pub id: String,
    /// Shown on its button.
    pub name: String,
    /// Where its discovery document is (`ISSUER/.well-known/openid-configuration`), as
    /// given: the document must name exactly this issuer.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Asked for at sign-in; always includes `openid`.
    pub scopes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Config {
    /// Reads the optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut values = BTreeMap::new();
        if let Some(path) = file {
            values = read_toml(path).map_err(|problem| ConfigError {
                problems: vec![problem],
            })?;
        }
        Config::from_values(values, std::env::vars())
    }

    /// Builds the configuration from file values (lower-case names) and environment
    /// variables (`LATCHKEY_*`, which win).
    pub fn from_values(
        file: BTreeMap<String, String>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        // File values first, then the environment over them. A name that no setting reads
        // is reported (as a warning) once everything has been read.
        let mut values: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (name, value) in file {
            values.insert(
                name.to_ascii_uppercase(),
                (format!("{name} (config file)"), value),
            );
        }
        for (name, value) in env {
            if let Some(key) = name.strip_prefix(ENV_PREFIX) {
                // The test harness's own variables and the config file's path (read by
                // the command line) are not settings.
                if !key.starts_with("TEST_") && key != "CONFIG" {
                    values.insert(key.to_owned(), (name.clone(), value));
                }
            }
        }

        let mut reader = Reader {
            values,
            problems: Vec::new(),
        };
        let bind: SocketAddr =
            reader.parse("BIND", SocketAddr::from(([127, 0, 0, 1], 3000)), |s| {
                s.parse()
                    .map_err(|_| "expected an address like 127.0.0.1:3000".into())
            });
        let data_dir: PathBuf = reader.parse("DATA_DIR", PathBuf::from("data"), |s| {
            if s.is_empty() {
                Err("must not be empty".into())
            } else {
                Ok(PathBuf::from(s))
            }
        });
        let default_db = format!("sqlite://{}/latchkey.db", data_dir.display());
        let database_url = reader.parse("DATABASE_URL", SecretString::from(default_db), |s| {
            if s.starts_with("sqlite:")
                || s.starts_with("postgres://")
                || s.starts_with("postgresql://")
            {
                Ok(SecretString::from(s))
            } else {
                Err("expected sqlite://PATH or postgres://USER@HOST/DB".into())
            }
        });
        let default_public = default_public_url(bind);
        let public_url: Url = reader.parse("PUBLIC_URL", default_public, parse_public_url);
        let secret_key: Option<SecretString> = reader.parse_optional("SECRET_KEY", |s| {
            if s.chars().count() < 32 {
                Err("must be at least 32 characters (e.g. `openssl rand -base64 32`)".into())
            } else {
                Ok(SecretString::from(s))
            }
        });
        let registration: Registration =
            reader.parse("REGISTRATION", Registration::Open, |s| s.parse());
        let site_root: Option<PathBuf> =
            reader.parse_optional("SITE_ROOT", |s| Ok(PathBuf::from(s)));
        let trusted_proxies: Vec<IpNet> =
            reader.parse("TRUSTED_PROXIES", Vec::new(), parse_proxies);

        let defaults = AuthRules::default();
        let username_min =
            reader.number("USERNAME_MIN_LENGTH", defaults.username.min_length, 1..=64);
        let username_max =
            reader.number("USERNAME_MAX_LENGTH", defaults.username.max_length, 1..=64);
        let password_min = reader.number(
            "PASSWORD_MIN_LENGTH",
            defaults.password.min_length,
            1..=1024,
        );
        let password_max = reader.number(
            "PASSWORD_MAX_LENGTH",
            defaults.password.max_length,
            1..=1024,
        );
        let per_account = reader.number("LOGIN_FAILURES_PER_ACCOUNT", 10u32, 1..=1_000_000);
        let per_address = reader.number("LOGIN_FAILURES_PER_ADDRESS", 100u32, 1..=1_000_000);
        let window = reader.number("LOGIN_THROTTLE_WINDOW_SECONDS", 900u64, 1..=86_400 * 7);
        let lifetime_days = reader.number("SESSION_LIFETIME_DAYS", 14u64, 1..=365);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hash_workers = reader.number("HASH_WORKERS", cpus, 1..=256);
        let max_body_bytes = reader.number("MAX_BODY_BYTES", 64 * 1024, 1024..=16 * 1024 * 1024);
        let request_timeout = reader.number("REQUEST_TIMEOUT_SECONDS", 30u64, 1..=3600);
        let picture_max_bytes = reader.number(
            "PICTURE_MAX_BYTES",
            defaults.upload.picture_max_bytes,
            1024..=64 * 1024 * 1024,
        );
        let smtp_url: Option<SecretString> = reader.parse_optional("SMTP_URL", |s| {
            let scheme_ok = s.starts_with("smtp://") || s.starts_with("smtps://");
            match url::Url::parse(s) {
                Ok(url) if scheme_ok && url.host().is_some() => Ok(SecretString::from(s)),
                _ => Err("expected smtp://[USER:PASSWORD@]HOST[:PORT] or smtps://...".into()),
            }
        });
        let default_from = format!(
            "Latchkey <noreply@{}>",
            public_url.host_str().unwrap_or("localhost")
        );
        let mail_from = reader.parse("MAIL_FROM", default_from, |s| {
            s.parse::<lettre::message::Mailbox>()
                .map(|_| s.to_owned())
                .map_err(|_| "expected an address like `Latchkey <noreply@example.com>`".into())
        });
        let mail_max_attempts = reader.number("MAIL_MAX_ATTEMPTS", 10u32, 1..=100);
        let mail_retry_seconds = reader.number("MAIL_RETRY_SECONDS", 30u64, 1..=3600);
        let require_verified_email = reader.parse("REQUIRE_VERIFIED_EMAIL", false, parse_bool);
        let token_defaults = TokenRules::default();
        let tokens = TokenRules {
            verification_hours: reader.number(
                "VERIFY_TOKEN_HOURS",
                token_defaults.verification_hours,
                1..=24 * 30,
            ),
            reset_minutes: reader.number(
                "RESET_TOKEN_MINUTES",
                token_defaults.reset_minutes,
                1..=24 * 60,
            ),
            login_code_minutes: reader.number(
                "LOGIN_CODE_MINUTES",
                token_defaults.login_code_minutes,
                1..=60,
            ),
            login_code_attempts: reader.number(
                "LOGIN_CODE_ATTEMPTS",
                token_defaults.login_code_attempts,
                1..=20,
            ),
            api_token_default_days: reader.number(
                "API_TOKEN_DEFAULT_DAYS",
                token_defaults.api_token_default_days,
                1..=3650,
            ),
            api_token_max_days: reader.number(
                "API_TOKEN_MAX_DAYS",
                token_defaults.api_token_max_days,
                1..=3650,
            ),
            signed_url_seconds: reader.number(
                "SIGNED_URL_SECONDS",
                token_defaults.signed_url_seconds,
                1..=3600,
            ),
            ticket_seconds: reader.number(
                "TICKET_SECONDS",
                token_defaults.ticket_seconds,
                1..=86_400,
            ),
        };
        if tokens.api_token_default_days > tokens.api_token_max_days {
            reader.problem(
                "LATCHKEY_API_TOKEN_DEFAULT_DAYS is larger than LATCHKEY_API_TOKEN_MAX_DAYS",
            );
        }
        let provider_ids = reader.parse("OIDC_PROVIDERS", Vec::new(), parse_provider_ids);
        let oidc_providers = provider_ids
            .iter()
            .filter_map(|id| reader.oidc_provider(id))
            .collect();
        let mail_per_address = reader.number("MAIL_PER_ADDRESS_PER_HOUR", 5u32, 1..=1000);
        let log_filter = reader.parse("LOG", "info".to_owned(), |s| Ok(s.to_owned()));
        let log_format = reader.parse("LOG_FORMAT", LogFormat::Text, |s| match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected text or json".into()),
        });
        if username_min > username_max {
            reader.problem(
                "LATCHKEY_USERNAME_MIN_LENGTH is larger than LATCHKEY_USERNAME_MAX_LENGTH",
            );
        }
        if password_min > password_max {
            reader.problem(
                "LATCHKEY_PASSWORD_MIN_LENGTH is larger than LATCHKEY_PASSWORD_MAX_LENGTH",
            );
        }

        if !reader.problems.is_empty() {
            return Err(ConfigError {
                problems: reader.problems,
            });
        }
        let unknown_settings = reader.values.into_values().map(|(name, _)| name).collect();
        let rules = AuthRules {
            username: UsernameRules {
                min_length: username_min,
                max_length: username_max,
                ..defaults.username
            },
            password: PasswordRules {
                min_length: password_min,
                max_length: password_max,
                ..defaults.password
            },
            registration,
            throttle: ThrottleRules {
                failed_logins_per_account: per_account,
                failed_logins_per_address: per_address,
                window_seconds: window,
                mail_per_address_per_hour: mail_per_address,
            },
            languages: defaults.languages,
            upload: UploadRules {
                picture_max_bytes,
                ..defaults.upload
            },
            tokens,
            require_verified_email,
        };
        Ok(Config {
            bind,
            database_url,
            public_url,
            secret_key,
            data_dir,
            site_root,
            trusted_proxies,
            rules,
            session_lifetime: Duration::from_secs(lifetime_days * 86_400),
            hash_workers,
            max_body_bytes,
            request_timeout: Duration::from_secs(request_timeout),
            log_format,
            log_filter,
            smtp_url,
            mail_from,
            mail_max_attempts,
            mail_retry_seconds,
            oidc_providers,
            unknown_settings,
        })
    }

    /// Cookies get `Secure` whenever people reach Latchkey over https.
    pub fn secure_cookies(&self) -> bool {
        self.is_https()
    }

    /// Whether people reach Latchkey over https (then browsers are also told to keep to
    /// https: HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The largest body of a picture upload: the picture's limit, plus the multipart
    /// framing around it (boundaries, part headers).
    pub fn picture_upload_limit(&self) -> usize {
        const MULTIPART_FRAMING: usize = 16 * 1024;
        self.rules.upload.picture_max_bytes + MULTIPART_FRAMING
    }

    /// The public origin (`scheme://host[:port]`), for same-origin checks.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

struct Reader {
    values: BTreeMap<String, (String, String)>,
    problems: Vec<String>,
}

impl Reader {
    /// The value of `key` parsed, or `default` when it is not set. A bad value is recorded
    /// as a problem (and `default` stands in, so the other settings are still checked).
    fn parse<T>(&mut self, key: &str, default: T, parse: impl Fn(&str) -> Result<T, String>) -> T {
        match self.values.remove(key) {
            Some((name, raw)) => match parse(raw.trim()) {
                Ok(value) => value,
                Err(why) => {
                    let shown = if may_hold_a_secret(key, &raw) {
                        String::new()
                    } else {
                        format!("={raw:?}")
                    };
                    self.problems.push(format!("{name}{shown}: {why}"));
                    default
                }
            },
            None => default,
        }
    }

    fn parse_optional<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.parse(key, None, |s| {
            if s.is_empty() {
                Ok(None)
            } else {
                parse(s).map(Some)
            }
        })
    }

    fn number<T>(&mut self, key: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        self.parse(key, default, |s| match s.parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(format!(
                "expected a whole number from {} to {}",
                range.start(),
                range.end()
            )),
        })
    }

    fn problem(&mut self, text: &str) {
        self.problems.push(text.to_owned());
    }

    /// A setting that must be given: its value parsed, or a problem naming it.
    fn required<T>(&mut self, key: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let problems_before = self.problems.len();
        let value = self.parse_optional(key, parse);
        if value.is_none() && self.problems.len() == problems_before {
            self.problem(&format!("{ENV_PREFIX}{key} is required"));
        }
        value
    }

    /// The settings of the OpenID provider `id` (`OIDC_<ID>_ISSUER`, `_CLIENT_ID`,
    /// `_CLIENT_SECRET`, optional `_NAME` and `_SCOPES`); `None` when one is missing or
    /// bad (each is a problem).
    fn oidc_provider(&mut self, id: &str) -> Option<OidcProviderConfig> {
        let key = |setting: &str| format!("OIDC_{}_{setting}", id.to_ascii_uppercase());
        let issuer = self.required(&key("ISSUER"), parse_issuer);
        let client_id = self.required(&key("CLIENT_ID"), |s| Ok(s.to_owned()));
        let client_secret = self.required(&key("CLIENT_SECRET"), |s| Ok(SecretString::from(s)));
        let name = self.parse(&key("NAME"), id.to_owned(), |s| {
            if s.is_empty() {
                Err("must not be empty".into())
            } else {
                Ok(s.to_owned())
            }
        });
        let default_scopes = ["openid", "email", "profile"].map(str::to_owned).to_vec();
        let scopes = self.parse(&key("SCOPES"), default_scopes, |s| {
            let scopes: Vec<String> = s
                .split([' ', ','])
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect();
            if scopes.iter().any(|scope| scope == "openid") {
                Ok(scopes)
            } else {
                Err("must include openid".into())
            }
        });
        Some(OidcProviderConfig {
            id: id.to_owned(),
            name,
            issuer: issuer?,
            client_id: client_id?,
            client_secret: client_secret?,
            scopes,
        })
    }
}

/// `LATCHKEY_OIDC_PROVIDERS`: ids separated by commas, each of lower-case letters, digits
/// and `_` (upper-cased in the names of its settings), each once.
fn parse_provider_ids(s: &str) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = Vec::new();
    for id in s.split(',').map(str::trim).filter(|id| !id.is_empty()) {
        let id = id.to_ascii_lowercase();
        if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "{id:?}: an id is letters, digits and '_' (it names LATCHKEY_OIDC_<ID>_* settings)"
            ));
        }
        if ids.contains(&id) {
            return Err(format!("{id:?} is listed twice"));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// An issuer: an https URL, or http on a loopback address (tests, a provider on this
/// machine); no query or fragment.
fn parse_issuer(s: &str) -> Result<String, String> {
    let url = Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if loopback => {}
        "http" => return Err("must be https (http only on a loopback address)".into()),
        _ => return Err("expected https://HOST[/PATH]".into()),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must have no query or fragment".into());
    }
    Ok(s.to_owned())
}

/// Whether a setting's value may carry a secret, so that a problem with it is reported
/// by the setting's name alone: keys, and URLs that may hold a password (whether or not
/// this one parses far enough to tell).
fn may_hold_a_secret(key: &str, raw: &str) -> bool {
    const SECRET_SUFFIXES: [&str; 5] = ["SECRET", "SECRET_KEY", "PASSWORD", "_URL", "TOKEN"];
    SECRET_SUFFIXES.iter().any(|suffix| key.ends_with(suffix)) || raw.contains('@')
}

fn default_public_url(bind: SocketAddr) -> Url {
    let host = if bind.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        bind.ip().to_string()
    };
    let text = match bind {
        SocketAddr::V6(_) if !bind.ip().is_unspecified() => {
            format!("http://[{host}]:{}", bind.port())
        }
        _ => format!("http://{host}:{}", bind.port()),
    };
    Url::parse(&text).unwrap_or_else(|_| fallback_url())
}

fn fallback_url() -> Url {
    Url::parse("http://localhost:3000").expect("a literal URL parses")
}

fn parse_public_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected http://HOST or https://HOST".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn parse_proxies(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{p}' is not an IP address or CIDR range"))
        })
        .collect()
}

fn read_toml(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        toml::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            Ok((key, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_complete() {
        let config = Config::from_values(BTreeMap::new(), env(&[])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(
            config.database_url.expose_secret(),
            "sqlite://data/latchkey.db"
        );
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(config.rules.registration, Registration::Open);
        assert!(!config.secure_cookies());
        assert_eq!(config.public_origin(), "http://127.0.0.1:3000");
    }

    #[test]
    fn environment_overrides_file() {
        let file = BTreeMap::from([("registration".to_string(), "invite".to_string())]);
        let config = Config::from_values(
            file.clone(),
            env(&[
                ("LATCHKEY_REGISTRATION", "closed"),
                ("LATCHKEY_PUBLIC_URL", "https://id.example.com"),
            ]),
        )
        .unwrap();
        assert_eq!(config.rules.registration, Registration::Closed);
        assert!(config.secure_cookies());
        let config = Config::from_values(file, env(&[])).unwrap();
        assert_eq!(config.rules.registration, Registration::Invite);
    }

    #[test]
    fn reports_every_bad_value_by_name() {
        let error = Config::from_values(
            BTreeMap::new(),
            env(&[
                ("LATCHKEY_BIND", "nowhere"),
                ("LATCHKEY_REGISTRATION", "sometimes"),
                ("LATCHKEY_SECRET_KEY", "short"),
                ("LATCHKEY_DATABASE_URL", "mysql://x"),
                ("LATCHKEY_PUBLIC_URL", "ftp://x"),
                ("LATCHKEY_PASSWORD_MIN_LENGTH", "zero"),
                ("LATCHKEY_TRUSTED_PROXIES", "10.0.0.0/8, bogus"),
            ]),
        )
        .unwrap_err();
        let text = error.to_string();
        for name in [
            "LATCHKEY_BIND",
            "LATCHKEY_REGISTRATION",
            "LATCHKEY_SECRET_KEY",
            "LATCHKEY_DATABASE_URL",
            "LATCHKEY_PUBLIC_URL",
            "LATCHKEY_PASSWORD_MIN_LENGTH",
            "LATCHKEY_TRUSTED_PROXIES",
        ] {
            assert!(text.contains(name), "{name} missing from: {text}");
        }
        assert_eq!(error.problems.len(), 7);
        assert!(
            !text.contains("\"short\""),
            "the secret must not be echoed: {text}"
        );
    }

    #[test]
    fn min_above_max_is_refused() {
        let error = Config::from_values(
            BTreeMap::new(),
            env(&[
                ("LATCHKEY_USERNAME_MIN_LENGTH", "20"),
                ("LATCHKEY_USERNAME_MAX_LENGTH", "10"),
            ]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("USERNAME_MIN_LENGTH is larger"));
    }

    #[test]
    fn oidc_providers_are_read_with_their_settings() {
        let config = Config::from_values(
            BTreeMap::from([("oidc_providers".into(), "keycloak".into())]),
            env(&[
                ("LATCHKEY_OIDC_PROVIDERS", "Keycloak, gitlab"),
                (
                    "LATCHKEY_OIDC_KEYCLOAK_ISSUER",
                    "https://sso.example.com/realms/main",
                ),
                ("LATCHKEY_OIDC_KEYCLOAK_CLIENT_ID", "latchkey"),
                ("LATCHKEY_OIDC_KEYCLOAK_CLIENT_SECRET", "s3cret"),
                ("LATCHKEY_OIDC_KEYCLOAK_NAME", "Company SSO"),
                ("LATCHKEY_OIDC_GITLAB_ISSUER", "http://127.0.0.1:8080"),
                ("LATCHKEY_OIDC_GITLAB_CLIENT_ID", "abc"),
                ("LATCHKEY_OIDC_GITLAB_CLIENT_SECRET", "def"),
                ("LATCHKEY_OIDC_GITLAB_SCOPES", "openid email"),
            ]),
        )
        .unwrap();
        let [keycloak, gitlab] = &config.oidc_providers[..] else {
            panic!("two providers: {:?}", config.oidc_providers);
        };
        assert_eq!(keycloak.id, "keycloak");
        assert_eq!(keycloak.name, "Company SSO");
        assert_eq!(keycloak.issuer, "https://sso.example.com/realms/main");
        assert_eq!(keycloak.scopes, ["openid", "email", "profile"]);
        assert_eq!(gitlab.name, "gitlab");
        assert_eq!(gitlab.client_secret.expose_secret(), "def");
        assert_eq!(gitlab.scopes, ["openid", "email"]);
        assert!(config.unknown_settings.is_empty());
    }

    #[test]
    fn bad_oidc_settings_are_reported_by_name() {
        let error = Config::from_values(
            BTreeMap::new(),
            env(&[
                ("LATCHKEY_OIDC_PROVIDERS", "corp,bad-id"),
                ("LATCHKEY_OIDC_CORP_ISSUER", "http://sso.example.com"),
                ("LATCHKEY_OIDC_CORP_SCOPES", "email profile"),
            ]),
        )
        .unwrap_err();
        let text = error.problems.join("\n");
        assert!(text.contains("LATCHKEY_OIDC_PROVIDERS"), "{text}");
        let error = Config::from_values(
            BTreeMap::new(),
            env(&[
                ("LATCHKEY_OIDC_PROVIDERS", "corp"),
                ("LATCHKEY_OIDC_CORP_ISSUER", "http://sso.example.com"),
                ("LATCHKEY_OIDC_CORP_CLIENT_SECRET", "s3cret-value"),
                ("LATCHKEY_OIDC_CORP_SCOPES", "email profile"),
            ]),
        )
        .unwrap_err();
        let text = error.problems.join("\n");
        for name in [
            "LATCHKEY_OIDC_CORP_ISSUER",
            "LATCHKEY_OIDC_CORP_CLIENT_ID is required",
            "LATCHKEY_OIDC_CORP_SCOPES",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        assert!(!text.contains("s3cret-value"), "{text}");
        assert_eq!(error.problems.len(), 3, "{text}");
    }

    #[test]
    fn unknown_settings_are_collected() {
        let config = Config::from_values(BTreeMap::new(), env(&[("LATCHKEY_BIDN", "x")])).unwrap();
        assert_eq!(config.unknown_settings, vec!["LATCHKEY_BIDN".to_string()]);
    }

    #[test]
    fn proxies_accept_addresses_and_ranges() {
        let config = Config::from_values(
            BTreeMap::new(),
            env(&[("LATCHKEY_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")]),
        )
        .unwrap();
        assert_eq!(config.trusted_proxies.len(), 3);
    }
}
