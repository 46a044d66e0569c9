//! Two Latchkey processes on one Postgres, as behind a load balancer: what one of them
//! knows, the other knows too, because nothing important lives in process memory.

mod common;

use backend::store::testing::{TestBackend, TestDatabase};
use common::smtp::SmtpSink;
use common::{expect_error, session_cookie, time_until, ELSEWHERE_WITHIN, PASSWORD};
use reqwest::header::COOKIE;
use serde_json::json;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `latchkey serve`, killed when dropped.
struct Instance {
    base: String,
    process: Child,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Instance {
    /// Starts the binary on a free port with the given database and mail server.
    async fn start(dir: &Path, name: &str, database_url: &str, smtp_url: &str) -> Instance {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        // The pages are not looked at here; the bundle only has to be there.
        let site = dir.join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg/latchkey.wasm"), b"").unwrap();
        let process = Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .env_clear()
            .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
            .env("LATCHKEY_DATABASE_URL", database_url)
            .env("LATCHKEY_DATA_DIR", dir.join(name))
            .env("LATCHKEY_SITE_ROOT", &site)
            // One secret for both, as for any instances of one site.
            .env(
                "LATCHKEY_SECRET_KEY",
                "a-secret-shared-by-both-instances-of-the-site",
            )
            .env("LATCHKEY_SMTP_URL", smtp_url)
            .env("LATCHKEY_MAIL_RETRY_SECONDS", "1")
            .env("LATCHKEY_LOGIN_FAILURES_PER_ACCOUNT", "3")
            .env("LATCHKEY_HASH_WORKERS", "1")
            .env("LATCHKEY_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start latchkey");
        let instance = Instance {
            base: format!("http://127.0.0.1:{port}"),
            process,
        };
        for _ in 0..300 {
            if let Ok(response) = reqwest::get(instance.url("/healthz")).await {
                if response.status() == 200 {
                    return instance;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} did not answer /healthz");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        common::browser()
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn with_token(&self, path: &str, token: &str) -> u16 {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn with_cookie(&self, method: reqwest::Method, path: &str, cookie: &str) -> u16 {
        reqwest::Client::new()
            .request(method, self.url(path))
            .header(COOKIE, format!("latchkey_session={cookie}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

async fn register(instance: &Instance, username: &str) -> String {
    let response = instance
        .post("/api/v1/auth/register", common::registration(username))
        .await;
    assert_eq!(response.status(), 201, "register {username}");
    session_cookie(response.headers()).expect("signed in")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_postgres() {
    let Some(db) = TestDatabase::new(TestBackend::Postgres).await else {
        return;
    };
    let Some(mail) = SmtpSink::start(db.dir.join("maildir")) else {
        return;
    };
    let a = Instance::start(&db.dir, "a", &db.url, &mail.url()).await;
    let b = Instance::start(&db.dir, "b", &db.url, &mail.url()).await;

    // A session made on one works on the other. A sign-out on one ends it there at
    // once, and on the other within a second (each keeps its reads for a moment).
    let cookie = register(&a, "roamer").await;
    let account = reqwest::Method::GET;
    for instance in [&a, &b] {
        assert_eq!(
            instance
                .with_cookie(account.clone(), "/api/v1/account", &cookie)
                .await,
            200
        );
    }
    assert_eq!(
        b.with_cookie(reqwest::Method::POST, "/api/v1/auth/logout", &cookie)
            .await,
        204
    );
    assert_eq!(
        b.with_cookie(account.clone(), "/api/v1/account", &cookie)
            .await,
        401,
        "at once where it was done"
    );
    let took = time_until(401, || {
        a.with_cookie(account.clone(), "/api/v1/account", &cookie)
    })
    .await;
    assert!(took <= ELSEWHERE_WITHIN, "the other instance took {took:?}");

    // The same for an API token revoked on one.
    let owner = register(&a, "tokener").await;
    let token: serde_json::Value = reqwest::Client::new()
        .post(a.url("/api/v1/tokens"))
        .header(COOKIE, format!("latchkey_session={owner}"))
        .json(&json!({ "name": "roaming", "scopes": ["read"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (secret, id) = (
        token["token"].as_str().unwrap(),
        token["id"].as_str().unwrap(),
    );
    for instance in [&a, &b] {
        assert_eq!(instance.with_token("/api/v1/account", secret).await, 200);
    }
    assert_eq!(
        a.with_cookie(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &owner
        )
        .await,
        204
    );
    assert_eq!(
        a.with_token("/api/v1/account", secret).await,
        401,
        "at once where it was done"
    );
    let took = time_until(401, || b.with_token("/api/v1/account", secret)).await;
    assert!(took <= ELSEWHERE_WITHIN, "the other instance took {took:?}");

    // Failed sign-ins counted on one are throttled on the other.
    for _ in 0..3 {
        let wrong = json!({ "login": "roamer", "password": "wrong-guess-1" });
        expect_error(
            a.post("/api/v1/auth/login", wrong).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let right = json!({ "login": "roamer", "password": PASSWORD });
    expect_error(
        b.post("/api/v1/auth/login", right).await,
        429,
        "too_many_requests",
    )
    .await;

    // Mail queued by either is sent once, though both workers empty the one queue.
    let people: Vec<String> = (0..6).map(|i| format!("mailed{i}")).collect();
    for (i, name) in people.iter().enumerate() {
        register(if i % 2 == 0 { &a } else { &b }, name).await;
    }
    for name in &people {
        mail.wait_for(&format!("{name}@example.org"), 1, 30).await;
    }
    // Give a second, wrong delivery every chance to arrive.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for name in &people {
        let received = mail.messages_to(&format!("{name}@example.org"));
        assert_eq!(received.len(), 1, "{name} got {} messages", received.len());
    }
}
