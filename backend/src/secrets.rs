//! The server's secret key and what is derived from it: keyed hashes of session ids and
//! tokens, so that a copy of the database holds nothing that can be replayed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use std::io::Write;
use std::path::Path;

/// The master secret: never printed (`Debug` shows it redacted) and wiped from memory
/// when dropped.
#[derive(Clone, Debug)]
pub struct SecretKey(SecretSlice<u8>);

/// What a keyed hash is for; one secret serves several purposes without their hashes
/// ever being interchangeable.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    SessionId,
    /// One-time tokens mailed in links (verification, reset, email change).
    Token,
    /// Emailed sign-in codes (hashed with the account id).
    LoginCode,
    /// The key that encrypts mail waiting in the queue.
    MailQueueKey,
    /// Personal API tokens.
    ApiToken,
    /// Signed URLs and tickets.
    Grant,
    /// The cookie that carries a sign-in through an outside provider.
    OidcFlow,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::SessionId => b"latchkey/session-id/v1",
            Purpose::Token => b"latchkey/token/v1",
            Purpose::LoginCode => b"latchkey/login-code/v1",
            Purpose::MailQueueKey => b"latchkey/mail-queue-key/v1",
            Purpose::ApiToken => b"latchkey/api-token/v1",
            Purpose::Grant => b"latchkey/grant/v1",
            Purpose::OidcFlow => b"latchkey/oidc-flow/v1",
        }
    }
}

/// A new random secret for a link, token or ticket: 256 bits, base64url (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SecretKey {
    pub fn from_text(text: &str) -> SecretKey {
        SecretKey(text.as_bytes().to_vec().into())
    }

    /// Reads `secret.key` from the data directory, creating it (32 random bytes, readable
    /// by the owner only) on first run.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<SecretKey> {
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => return Ok(SecretKey::from_text(text.trim())),
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is shorter than 32 characters", path.display()),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::create_dir_all(data_dir)?;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let text = URL_SAFE_NO_PAD.encode(bytes);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes())?;
                file.sync_all()?;
                Ok(SecretKey::from_text(&text))
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                SecretKey::load_or_create(data_dir)
            }
            Err(e) => Err(e),
        }
    }

    /// HMAC-SHA256 of `data` under a key bound to `purpose`, as lower-case hex.
    pub fn keyed_hash(&self, purpose: Purpose, data: &[u8]) -> String {
        hex::encode(self.mac(purpose, data))
    }

    /// A 256-bit key for `purpose`, derived from the secret (HMAC as the PRF).
    pub fn derive_key(&self, purpose: Purpose) -> [u8; 32] {
        self.mac(purpose, b"key")
    }

    fn mac(&self, purpose: Purpose, data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .expect("HMAC accepts any key length");
        mac.update(purpose.label());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::load_or_create(dir.path()).unwrap();
        let second = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(
            first.keyed_hash(Purpose::SessionId, b"x"),
            second.keyed_hash(Purpose::SessionId, b"x")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn different_keys_give_different_hashes() {
        let a = SecretKey::from_text(&"a".repeat(32));
        let b = SecretKey::from_text(&"b".repeat(32));
        assert_ne!(
            a.keyed_hash(Purpose::SessionId, b"id"),
            b.keyed_hash(Purpose::SessionId, b"id")
        );
        assert_eq!(a.keyed_hash(Purpose::SessionId, b"id").len(), 64);
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(!format!(
            "{:?}",
            SecretKey::from_text("super-secret-value-that-is-long-enough")
        )
        .contains("super"));
    }
}
