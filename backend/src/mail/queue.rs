//! The worker that empties the mail queue: it claims due messages, sends them, and on
//! failure retries with doubling waits until it gives up.

use super::render;
use super::Mailer;
use crate::config::Config;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// What the worker needs: the queue (in the store), the mailer, and the settings that
/// say where links point and how often to retry.
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub mailer: Mailer,
    pub config: Arc<Config>,
}

/// How long a claimed message is reserved for the instance sending it.
const LEASE: time::Duration = time::Duration::minutes(2);
/// Messages claimed at a time.
const BATCH: u32 = 20;
/// The longest wait between two tries.
const MAX_BACKOFF_SECONDS: u64 = 3600;

/// Runs forever: sends what is due, then waits for new mail (or a few seconds, for
/// retries and for mail queued by other instances).
pub async fn run_worker(worker: Worker) {
    tracing::info!(transport = %worker.mailer.describe(), "mail worker started");
    loop {
        match deliver_due(&worker).await {
            Ok(sent) if sent > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "mail queue unavailable; will retry"),
        }
        tokio::select! {
            () = worker.mailer.wakeup.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

/// Sends the messages that are due; returns how many it handled.
pub async fn deliver_due(worker: &Worker) -> Result<usize, crate::store::StoreError> {
    let now = OffsetDateTime::now_utc();
    let batch = worker.store.claim_mail(now, now + LEASE, BATCH).await?;
    let handled = batch.len();
    for mail in batch {
        let sent = match worker.mailer.open(&mail.payload) {
            Ok(outgoing) => {
                let result = async {
                    let rendered = render(
                        outgoing.template,
                        &outgoing.language,
                        &outgoing.params,
                        worker.config.public_url.as_str(),
                    )?;
                    worker
                        .mailer
                        .transport
                        .send(&worker.mailer.from, &outgoing.to, &rendered)
                        .await
                }
                .await;
                result.map(|()| outgoing.template.key())
            }
            Err(error) => {
                // Nothing will ever decrypt it: give up at once.
                tracing::error!(mail_id = %mail.id, %error, "dropping a queued message that cannot be read");
                worker.store.delete_mail(&mail.id).await?;
                continue;
            }
        };
        match sent {
            Ok(template) => {
                worker.store.delete_mail(&mail.id).await?;
                tracing::info!(mail_id = %mail.id, template, "mail sent");
            }
            Err(error) => {
                let attempts = mail.attempts + 1;
                if attempts >= worker.config.mail_max_attempts {
                    tracing::error!(mail_id = %mail.id, attempts, %error, "giving up on a message");
                    worker.store.delete_mail(&mail.id).await?;
                } else {
                    let wait = backoff(worker.config.mail_retry_seconds, attempts);
                    tracing::warn!(mail_id = %mail.id, attempts, retry_in_seconds = wait, %error, "sending failed; will retry");
                    let next = OffsetDateTime::now_utc() + time::Duration::seconds(wait as i64);
                    worker
                        .store
                        .retry_mail(&mail.id, attempts, next, &error)
                        .await?;
                }
            }
        }
    }
    Ok(handled)
}

/// Seconds to wait after the `attempts`-th failure: `base`, doubling, at most an hour.
fn backoff(base: u64, attempts: u32) -> u64 {
    base.saturating_mul(1u64 << attempts.saturating_sub(1).min(20))
        .min(MAX_BACKOFF_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(30, 1), 30);
        assert_eq!(backoff(30, 2), 60);
        assert_eq!(backoff(30, 5), 480);
        assert_eq!(backoff(30, 12), 3600);
        assert_eq!(backoff(30, 100), 3600);
    }
}
