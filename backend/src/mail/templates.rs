//! Mail templates from the repository (`templates/*.toml` and `layout.html`), in the
//! account's language: a subject, a plain-text part and an HTML part made from the same
//! text, so the two can never say different things.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// Which message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    VerifyEmail,
    ResetPassword,
    LoginCode,
    ChangeEmail,
    EmailChangeRequested,
    EmailInUse,
    PasswordChanged,
    ApiTokenCreated,
    ApiTokenSummary,
    Test,
}

impl Template {
    pub const ALL: [Template; 10] = [
        Template::VerifyEmail,
        Template::ResetPassword,
        Template::LoginCode,
        Template::ChangeEmail,
        Template::EmailChangeRequested,
        Template::EmailInUse,
        Template::PasswordChanged,
        Template::ApiTokenCreated,
        Template::ApiTokenSummary,
        Template::Test,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Template::VerifyEmail => "verify_email",
            Template::ResetPassword => "reset_password",
            Template::LoginCode => "login_code",
            Template::ChangeEmail => "change_email",
            Template::EmailChangeRequested => "email_change_requested",
            Template::EmailInUse => "email_in_use",
            Template::PasswordChanged => "password_changed",
            Template::ApiTokenCreated => "api_token_created",
            Template::ApiTokenSummary => "api_token_summary",
            Template::Test => "test",
        }
    }
}

#[derive(Deserialize)]
struct Source {
    subject: String,
    text: String,
    button: Option<String>,
}

static LAYOUT: &str = include_str!("templates/layout.html");

static SOURCES: LazyLock<HashMap<&'static str, HashMap<String, Source>>> = LazyLock::new(|| {
    [
        ("en", include_str!("templates/en.toml")),
        ("fr", include_str!("templates/fr.toml")),
    ]
    .into_iter()
    .map(|(language, text)| {
        let parsed =
            toml::from_str(text).unwrap_or_else(|e| panic!("templates/{language}.toml: {e}"));
        (language, parsed)
    })
    .collect()
});

/// A message ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Fills `template` in `language` (English when there is no such language) with
/// `params`, plus `site` (the host people know) and `site_url`.
pub fn render(
    template: Template,
    language: &str,
    params: &BTreeMap<String, String>,
    site_url: &str,
) -> Result<Rendered, String> {
    let language = if SOURCES.contains_key(language) {
        language
    } else {
        "en"
    };
    let source = SOURCES
        .get(language)
        .and_then(|templates| templates.get(template.key()))
        .ok_or_else(|| format!("no {language} template named {}", template.key()))?;
    let site = url::Url::parse(site_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| site_url.to_owned());
    let site_url = site_url.trim_end_matches('/');
    let mut values: BTreeMap<&str, &str> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    values.insert("site", &site);
    values.insert("site_url", site_url);

    let subject = fill(&source.subject, &values);
    let text = fill(source.text.trim(), &values);
    let code = params.get("code").map(String::as_str);
    let button = source.button.as_deref().unwrap_or("Open");
    let content = text
        .split("\n\n")
        .map(|paragraph| html_paragraph(paragraph, code, button))
        .collect::<Vec<_>>()
        .join("\n");
    let html = fill(
        LAYOUT,
        &BTreeMap::from([
            ("lang", language),
            ("subject", escape(&subject).as_str()),
            ("site", escape(&site).as_str()),
            ("site_url", escape(site_url).as_str()),
            ("content", content.as_str()),
        ]),
    );
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// Replaces each `{name}` with its value; text in other braces stays as it is.
fn fill(template: &str, values: &BTreeMap<&str, &str>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if values.contains_key(name) => {
                out.push_str(values[name]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn html_paragraph(paragraph: &str, code: Option<&str>, button: &str) -> String {
    let trimmed = paragraph.trim();
    let is_link = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    if is_link && !trimmed.contains(char::is_whitespace) {
        let url = escape(trimmed);
        return format!(
            "<p style=\"margin:24px 0\"><a href=\"{url}\" style=\"display:inline-block;background:#2f5bd3;color:#ffffff;\
             text-decoration:none;font-weight:600;padding:12px 20px;border-radius:8px\">{}</a></p>\
             <p style=\"font-size:12px;color:#5a6478;word-break:break-all\">{url}</p>",
            escape(button)
        );
    }
    if Some(trimmed) == code {
        return format!(
            "<p style=\"margin:24px 0;font-size:32px;font-weight:700;letter-spacing:8px;font-family:ui-monospace,Menlo,monospace\">{}</p>",
            escape(trimmed)
        );
    }
    let lines: Vec<String> = trimmed.lines().map(escape).collect();
    format!("<p style=\"margin:0 0 16px\">{}</p>", lines.join("<br>"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BTreeMap<String, String> {
        [
            ("name", "Ada <script>"),
            ("email", "ada@example.org"),
            ("link", "https://id.example.com/verify-email?token=abc&x=1"),
            ("code", "123456"),
            ("minutes", "30"),
            ("hours", "48"),
            ("new_email", "new@example.org"),
            ("old_email", "old@example.org"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn every_template_exists_in_every_language_and_fills_every_placeholder() {
        for language in ["en", "fr"] {
            for template in Template::ALL {
                let mail = render(template, language, &params(), "https://id.example.com").unwrap();
                for part in [&mail.subject, &mail.text, &mail.html] {
                    assert!(
                        !part.contains("{name}")
                            && !part.contains("{site")
                            && !part.contains("{link}"),
                        "{language} {template:?}: {part}"
                    );
                }
                assert!(mail.html.starts_with("<!DOCTYPE html>"));
                assert!(mail.subject.len() < 80);
            }
        }
    }

    #[test]
    fn html_escapes_values_and_makes_links_into_buttons() {
        let mail = render(
            Template::ResetPassword,
            "en",
            &params(),
            "https://id.example.com",
        )
        .unwrap();
        assert!(mail.text.contains("Hello Ada <script>,"));
        assert!(mail.html.contains("Hello Ada &lt;script&gt;,"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail
            .html
            .contains("href=\"https://id.example.com/verify-email?token=abc&amp;x=1\""));
        assert!(mail.html.contains(">Choose a new password</a>"));
        assert!(mail.text.contains("30 minutes"));
    }

    #[test]
    fn speaks_the_account_language() {
        let mail = render(
            Template::LoginCode,
            "fr",
            &params(),
            "https://id.example.com",
        )
        .unwrap();
        assert_eq!(mail.subject, "Votre code de connexion à id.example.com");
        assert!(mail.html.contains("lang=\"fr\""));
        assert!(mail.html.contains(">123456</p>"));
        let fallback = render(
            Template::LoginCode,
            "de",
            &params(),
            "https://id.example.com",
        )
        .unwrap();
        assert!(fallback.subject.starts_with("Your sign-in code"));
    }

    #[test]
    fn fill_leaves_unknown_braces_alone() {
        let values = BTreeMap::from([("a", "1")]);
        assert_eq!(fill("{a} {b} {", &values), "1 {b} {");
    }
}
