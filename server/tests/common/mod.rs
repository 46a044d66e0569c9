//! The test harness: the real router on a random port, with a fresh database of either
//! kind, and HTTP clients that keep cookies like a browser.
#![allow(dead_code)]

pub mod oidc;
pub mod smtp;

use backend::config::Config;
use backend::store::testing::{TestBackend, TestDatabase};
use backend::AppState;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub use backend::store::testing::TestBackend as Backend;

pub struct TestApp {
    pub base: String,
    pub address: SocketAddr,
    pub state: AppState,
    /// A client with its own cookie jar: one "browser".
    pub client: reqwest::Client,
    /// The mail server this app sends to (see `spawn_with_mail`).
    pub mail: Option<smtp::SmtpSink>,
    /// The OpenID provider configured as `test` (see `spawn_with_provider`).
    pub provider: Option<oidc::TestProvider>,
    pub db: TestDatabase,
}

pub const PASSWORD: &str = "violet-anchor-92";

/// The site files every test app serves (with a brotli copy of the bundle, as
/// cargo-leptos makes one).
pub const SITE_FILES: [(&str, &[u8]); 4] = [
    (
        "favicon.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    ),
    ("pkg/latchkey.css", b"body { margin: 0 }"),
    ("pkg/latchkey.wasm", b"\0asm stand-in"),
    ("pkg/latchkey.wasm.br", b"brotli stand-in"),
];

/// Starts the app with the default settings.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, &[]).await
}

/// Starts the app with extra `LATCHKEY_*` settings. Mail goes to the outbox folder.
pub async fn spawn_with(backend: Backend, settings: &[(&str, &str)]) -> Option<TestApp> {
    start(backend, settings, false, false).await
}

/// Starts the app with a real OpenID provider of its own (`app.provider`), configured as
/// the provider `test` ("Test provider"), and a real SMTP server (`app.mail`).
pub async fn spawn_with_provider(backend: Backend, settings: &[(&str, &str)]) -> Option<TestApp> {
    start(backend, settings, true, true).await
}

/// Starts the app sending mail through a real SMTP server of its own (`app.mail`), with
/// retries one second apart.
pub async fn spawn_with_mail(backend: Backend, settings: &[(&str, &str)]) -> Option<TestApp> {
    start(backend, settings, true, false).await
}

async fn start(
    backend: Backend,
    settings: &[(&str, &str)],
    with_mail: bool,
    with_provider: bool,
) -> Option<TestApp> {
    let db = TestDatabase::new(backend).await?;
    let mail = if with_mail {
        Some(smtp::SmtpSink::start(db.dir.join("maildir"))?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut env = vec![
        ("LATCHKEY_DATABASE_URL".to_string(), db.url.clone()),
        (
            "LATCHKEY_DATA_DIR".to_string(),
            db.dir.join("data").display().to_string(),
        ),
        ("LATCHKEY_BIND".to_string(), address.to_string()),
        ("LATCHKEY_HASH_WORKERS".to_string(), "2".to_string()),
        ("LATCHKEY_MAIL_RETRY_SECONDS".to_string(), "1".to_string()),
    ];
    if let Some(mail) = &mail {
        env.push(("LATCHKEY_SMTP_URL".to_string(), mail.url()));
    }
    let provider = if with_provider {
        let callback = format!("http://{address}/api/v1/auth/oidc/test/callback");
        Some(oidc::TestProvider::start(&callback)?)
    } else {
        None
    };
    if let Some(provider) = &provider {
        env.extend(
            [
                ("LATCHKEY_OIDC_PROVIDERS", "test"),
                ("LATCHKEY_OIDC_TEST_ISSUER", provider.issuer.as_str()),
                ("LATCHKEY_OIDC_TEST_CLIENT_ID", oidc::CLIENT_ID),
                ("LATCHKEY_OIDC_TEST_CLIENT_SECRET", oidc::CLIENT_SECRET),
                ("LATCHKEY_OIDC_TEST_NAME", "Test provider"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
    }
    env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_values(BTreeMap::new(), env).expect("valid test configuration");
    // A stand-in bundle: these tests read pages as HTML, and the files as bytes.
    let site_root = db.dir.join("site");
    std::fs::create_dir_all(site_root.join("pkg")).unwrap();
    for (name, bytes) in SITE_FILES {
        std::fs::write(site_root.join(name), bytes).unwrap();
    }
    let site = server::site::Site::load(&config, &site_root).expect("the site");
    let state = AppState::init(config).await.expect("start the app");
    tokio::spawn(server::run(state.clone(), site, listener));
    Some(TestApp {
        base: format!("http://{address}"),
        address,
        state,
        client: browser(),
        mail,
        provider,
        db,
    })
}

/// A client that keeps cookies and does not follow redirects (tests look at them). A
/// response that never comes fails the test with its URL instead of hanging the run (the
/// bound is far above any answer, so it measures nothing).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Registers `username` (email `username@example.org`) and stays signed in.
    pub async fn register(&self, username: &str) -> Value {
        let response = self
            .post_json("/api/v1/auth/register", &registration(username))
            .await;
        assert_eq!(response.status(), 201, "register {username}");
        response.json().await.unwrap()
    }

    pub async fn login(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "login": login, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// What `GET /api/v1/account` answers `client` with: 200 while its session lives,
    /// 401 once it has ended.
    pub async fn account_status(&self, client: &reqwest::Client) -> u16 {
        let response = client
            .get(self.url("/api/v1/account"))
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }

    /// After a password change: the old password is refused like any wrong one, and the
    /// new one signs in.
    pub async fn assert_password_changed(&self, login: &str, old: &str, new: &str) {
        expect_error(
            self.login(&browser(), login, old).await,
            401,
            "invalid_credentials",
        )
        .await;
        assert_eq!(self.login(&browser(), login, new).await.status(), 200);
    }

    /// Runs a query against the app's database and returns the first column of each row
    /// as text (for looking at what is really stored).
    pub async fn column(&self, sql: &str) -> Vec<String> {
        use sqlx::Row;
        if self.db.url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
                .collect()
        } else {
            let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
                .collect()
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        if self.db.url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&self.db.url).await.unwrap();
            sqlx::query(&sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        } else {
            let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
            sqlx::query(&sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    }
}

/// The body that registers `username` (email `username@example.org`, the test password).
pub fn registration(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@example.org"),
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    })
}

/// Sends every request at once (each from its own browser) and counts the answers by
/// status.
pub async fn statuses_at_once(
    requests: impl IntoIterator<Item = reqwest::RequestBuilder>,
) -> BTreeMap<u16, usize> {
    let answers: Vec<_> = requests
        .into_iter()
        .map(|request| tokio::spawn(async move { request.send().await.unwrap().status().as_u16() }))
        .collect();
    let mut statuses = BTreeMap::new();
    for answer in answers {
        *statuses.entry(answer.await.unwrap()).or_default() += 1;
    }
    statuses
}

/// The longest a sign-out, revocation or disabling made elsewhere (another instance, or
/// straight in the database) may take to reach an instance's cached reads.
pub const ELSEWHERE_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Asks `status` again every 20 ms until it answers `want`, and says how long that took;
/// panics if it has not after 5 s. The request is made once at least, at once.
pub async fn time_until<F, Fut>(want: u16, mut status: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let start = std::time::Instant::now();
    loop {
        let got = status().await;
        if got == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "still {got}, not {want}, after 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The session cookie's value from a response's `Set-Cookie`, if it sets one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    set_cookie(headers).and_then(|c| {
        c.split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, v)| v.to_string())
    })
}

/// The full `Set-Cookie` header for the session cookie, if any.
pub fn set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("latchkey_session="))
        .map(str::to_owned)
}

/// A request carrying only this session cookie (no jar): a replay.
pub async fn with_cookie(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, app.url(path))
        .header(
            reqwest::header::COOKIE,
            HeaderValue::from_str(&format!("latchkey_session={cookie}")).unwrap(),
        )
        .send()
        .await
        .unwrap()
}

/// Asserts the API.md error shape and returns the body.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "error bodies are JSON"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// Runs each listed test once on SQLite and once on Postgres.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::Backend::Postgres).await
                }
            )*
        }
    };
}

pub fn backend_name(backend: TestBackend) -> &'static str {
    match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    }
}
