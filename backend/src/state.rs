use crate::blobs::{BlobStore, FileBlobStore};
use crate::clock::Clock;
use crate::config::Config;
use crate::cpu::CpuPool;
use crate::mail::{self, Mailer};
use crate::oidc::OidcProviders;
use crate::secrets::SecretKey;
use crate::services::passwords::PasswordHasher;
use crate::store::{self, Store};
use domain::AppError;
use domain::AuthRules;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Everything a request handler needs. Handlers and middleware clone it for every
/// request, so a clone is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every request shares: the configuration, the store, the blob store, the CPU pool
/// and the hasher on it, the secret key and the mailer.
pub struct Shared {
    pub config: Arc<Config>,
    /// What time it is for the services (tests move it forward).
    pub clock: Clock,
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    /// CPU-heavy work (hashing, image decoding) runs here, at most one job per CPU.
    pub cpu: CpuPool,
    pub hasher: PasswordHasher,
    pub secret: SecretKey,
    pub mailer: Mailer,
    /// The outside OpenID providers people can sign in with.
    pub oidc: OidcProviders,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot set up mail: {0}")]
    Mail(String),
}

impl AppState {
    /// Opens the database, brings its schema up to date and loads the secret key.
    pub async fn init(config: Config) -> Result<AppState, StartupError> {
        let data_dir_error = |source| StartupError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&config.data_dir).map_err(data_dir_error)?;
        let secret = match &config.secret_key {
            Some(text) => SecretKey::from_text(text.expose_secret()),
            None => SecretKey::load_or_create(&config.data_dir).map_err(data_dir_error)?,
        };
        let store = store::connect(config.database_url.expose_secret()).await?;
        store.migrate().await?;
        let mailer = Mailer::new(&config, &secret).map_err(StartupError::Mail)?;
        let cpu = CpuPool::new(config.hash_workers);
        Ok(AppState(Arc::new(Shared {
            hasher: PasswordHasher::new(cpu.clone()),
            cpu,
            blobs: Arc::new(FileBlobStore::new(config.data_dir.join("blobs"))),
            clock: Clock::default(),
            oidc: OidcProviders::new(&config),
            config: Arc::new(config),
            store,
            secret,
            mailer,
        })))
    }

    pub fn rules(&self) -> &AuthRules {
        &self.config.rules
    }

    /// Queues a message; the mail worker sends it shortly (or when the mail server is
    /// back).
    pub async fn send_mail(&self, outgoing: mail::Outgoing) -> Result<(), AppError> {
        mail::enqueue(self.store.as_ref(), &self.mailer, outgoing).await
    }

    /// What the mail worker needs from this state.
    pub fn mail_worker(&self) -> mail::Worker {
        mail::Worker {
            store: self.store.clone(),
            mailer: self.mailer.clone(),
            config: self.config.clone(),
        }
    }
}
