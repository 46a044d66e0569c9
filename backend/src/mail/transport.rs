//! How a rendered message leaves: SMTP (`LATCHKEY_SMTP_URL`), or, with no mail server
//! configured, an `.eml` file in the data directory's outbox, so a single-node install
//! works before it has one.

use super::Rendered;
use crate::config::Config;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::time::Duration;

pub enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        host: String,
    },
    Outbox(PathBuf),
}

impl Transport {
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| format!("LATCHKEY_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build();
                let host = url::Url::parse(url.expose_secret())
                    .ok()
                    .and_then(|u| {
                        Some(format!(
                            "{}:{}",
                            u.host_str()?,
                            u.port_or_known_default().unwrap_or(25)
                        ))
                    })
                    .unwrap_or_default();
                Ok(Transport::Smtp { transport, host })
            }
            None => Ok(Transport::Outbox(config.data_dir.join("outbox"))),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { host, .. } => format!("SMTP at {host}"),
            Transport::Outbox(dir) => format!("files in {}", dir.display()),
        }
    }

    pub async fn send(&self, from: &Mailbox, to: &str, mail: &Rendered) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self {
            Transport::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                let name = format!(
                    "{}-{}.eml",
                    time::OffsetDateTime::now_utc().unix_timestamp(),
                    uuid::Uuid::new_v4().simple()
                );
                let path = dir.join(name);
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(path = %path.display(), "no mail server configured: mail written to the outbox");
                Ok(())
            }
        }
    }
}
