//! The bounded pool for CPU-heavy work (password hashing, image decoding): at most one
//! job per permit runs at a time, on tokio's blocking threads, never on the async workers
//! that serve everything else. Callers beyond the bound wait for a permit, not a thread.

use crate::internal_error;
use domain::AppError;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    pub fn new(workers: usize) -> CpuPool {
        CpuPool {
            permits: Arc::new(Semaphore::new(workers.max(1))),
        }
    }

    /// Runs `job` once a permit is free. The permit moves into the job, so a caller that
    /// gives up (client gone) cannot let more jobs run than allowed.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(internal_error)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(internal_error)
    }
}
