use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A signed-in browser or program: one of the account's sessions, as its owner sees it.
/// `id` is opaque and never the session's cookie value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    /// Names the device in the API, e.g. to sign it out.
    pub id: String,
    /// When the session signed in.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the session was last used (to within a few minutes).
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// The `User-Agent` the browser or program sent at sign-in, if any.
    pub user_agent: Option<String>,
    /// The client address it signed in from.
    pub address: String,
    /// The session this request came from.
    pub current: bool,
}

impl Device {
    /// A short human name for the user agent, like "Firefox on Linux".
    pub fn describe(&self) -> String {
        describe_user_agent(self.user_agent.as_deref())
    }
}

/// A short human name for a `User-Agent`, like "Firefox on Linux"; "Unknown device"
/// when there is none.
pub fn describe_user_agent(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests", "Python"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("Browser on {s}"),
        (None, None) => ua.chars().take(60).collect(),
    }
}

/// Everything Latchkey stores about an account, without secrets or hashes: what
/// `GET /account/export` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountExport {
    /// When the export was made.
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    /// The account's profile.
    pub account: crate::User,
    /// The account's signed-in devices.
    pub devices: Vec<Device>,
    /// The identities at outside providers linked to the account.
    pub identities: Vec<crate::LinkedIdentity>,
}

#[cfg(test)]
mod tests {
    use super::describe_user_agent;

    #[test]
    fn names_common_agents() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe_user_agent(Some(firefox)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(describe_user_agent(Some(chrome)), "Chrome on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_user_agent(Some(safari)), "Safari on iOS");
        assert_eq!(describe_user_agent(Some("curl/8.5.0")), "curl");
        assert_eq!(describe_user_agent(None), "Unknown device");
    }
}
