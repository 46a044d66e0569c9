//! Outgoing mail. Flows describe a message (`Outgoing`) and `enqueue` it: it is stored
//! encrypted in the database queue, and a background worker renders it from the
//! templates and sends it, retrying with back-off. Sending never blocks or fails the
//! request that caused it.

mod queue;
mod templates;
mod transport;

pub use queue::{run_worker, Worker};
pub use templates::{render, Rendered, Template};
pub use transport::Transport;

use crate::config::Config;
use crate::internal_error;
use crate::secrets::{Purpose, SecretKey};
use crate::store::{QueuedMail, Store};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::XChaCha20Poly1305;
use domain::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::Notify;

/// A message to send: which template, to whom, in which language, with what values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub to: String,
    pub language: String,
    pub template: Template,
    pub params: BTreeMap<String, String>,
}

impl Outgoing {
    pub fn new(template: Template, to: &str, language: &str) -> Outgoing {
        Outgoing {
            to: to.to_owned(),
            language: language.to_owned(),
            template,
            params: BTreeMap::new(),
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Outgoing {
        self.params.insert(name.to_owned(), value.into());
        self
    }
}

/// Everything needed to send: the transport, the sender, the queue's key and the bell
/// that wakes the worker when something is queued.
#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    from: lettre::message::Mailbox,
    cipher: XChaCha20Poly1305,
    wakeup: Arc<Notify>,
}

impl Mailer {
    pub fn new(config: &Config, secret: &SecretKey) -> Result<Mailer, String> {
        let transport = Transport::from_config(config)?;
        let from = config
            .mail_from
            .parse()
            .map_err(|e| format!("LATCHKEY_MAIL_FROM: {e}"))?;
        let key = secret.derive_key(Purpose::MailQueueKey);
        Ok(Mailer {
            transport: Arc::new(transport),
            from,
            cipher: XChaCha20Poly1305::new(&key.into()),
            wakeup: Arc::new(Notify::new()),
        })
    }

    /// Where mail goes, for the start-up log line.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    fn seal(&self, outgoing: &Outgoing) -> Result<Vec<u8>, AppError> {
        let plain = serde_json::to_vec(outgoing).map_err(internal_error)?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_slice())
            .map_err(internal_error)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, payload: &[u8]) -> Result<Outgoing, String> {
        if payload.len() < 24 {
            return Err("queued payload is too short".into());
        }
        let (nonce, sealed) = payload.split_at(24);
        let plain = self.cipher.decrypt(nonce.into(), sealed).map_err(|_| {
            "queued payload does not decrypt (was the secret key changed?)".to_string()
        })?;
        serde_json::from_slice(&plain).map_err(|e| format!("queued payload is not a message: {e}"))
    }

    /// Renders and sends at once, bypassing the queue (for `latchkey mail test`).
    pub async fn send_now(&self, outgoing: &Outgoing, site_url: &str) -> Result<(), String> {
        let rendered = render(
            outgoing.template,
            &outgoing.language,
            &outgoing.params,
            site_url,
        )?;
        self.transport
            .send(&self.from, &outgoing.to, &rendered)
            .await
    }
}

/// Queues a message; the worker sends it shortly (or when the mail server is back).
pub async fn enqueue(
    store: &dyn Store,
    mailer: &Mailer,
    outgoing: Outgoing,
) -> Result<(), AppError> {
    let now = OffsetDateTime::now_utc();
    let mail = QueuedMail {
        id: uuid::Uuid::now_v7().to_string(),
        payload: mailer.seal(&outgoing)?,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    };
    store.enqueue_mail(&mail).await?;
    mailer.wakeup.notify_one();
    tracing::info!(mail_id = %mail.id, template = outgoing.template.key(), "mail queued");
    Ok(())
}
