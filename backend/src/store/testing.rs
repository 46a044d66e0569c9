//! Throwaway databases for tests: a SQLite file in a temporary directory, or a fresh
//! database in the Postgres that `LATCHKEY_TEST_POSTGRES_URL` points at (the test
//! command starts one). Used by the store contract tests and the HTTP integration tests.

use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test. The SQLite directory is removed on drop; Postgres
/// databases live as long as the throwaway cluster.
pub struct TestDatabase {
    pub url: String,
    pub dir: PathBuf,
}

impl TestDatabase {
    /// A fresh database of the given kind, or `None` when Postgres is not configured.
    /// With `LATCHKEY_TEST_REQUIRE_POSTGRES=1` (as in CI), a missing Postgres is an error.
    pub async fn new(backend: TestBackend) -> Option<TestDatabase> {
        let dir =
            std::env::temp_dir().join(format!("latchkey-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let url = match backend {
            TestBackend::Sqlite => format!("sqlite://{}/latchkey.db", dir.display()),
            TestBackend::Postgres => match std::env::var("LATCHKEY_TEST_POSTGRES_URL") {
                Ok(admin_url) => create_postgres_database(&admin_url).await,
                Err(_) => {
                    let required =
                        std::env::var("LATCHKEY_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
                    assert!(
                        !required,
                        "LATCHKEY_TEST_REQUIRE_POSTGRES=1 but LATCHKEY_TEST_POSTGRES_URL is not set"
                    );
                    eprintln!("skipped: set LATCHKEY_TEST_POSTGRES_URL to run the Postgres tests");
                    let _ = std::fs::remove_dir_all(&dir);
                    return None;
                }
            },
        };
        Some(TestDatabase { url, dir })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn create_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("latchkey_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to LATCHKEY_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let _ = admin.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("the Postgres URL names a database");
    format!("{base}/{name}")
}
