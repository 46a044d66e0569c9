//! The HTTP surface: the error shape for bad requests, same-origin checks, security
//! headers, pages and their server functions, and the command line.

mod common;

use common::{expect_error, session_cookie, spawn, spawn_with, Backend, PASSWORD};
use serde_json::{json, Value};

async fn bad_requests_get_clear_json_errors(backend: Backend) {
    let Some(app) = spawn_with(backend, &[("LATCHKEY_MAX_BODY_BYTES", "2048")]).await else {
        return;
    };
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = app.client.post(app.url("/api/v1/auth/login")).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    expect_error(
        post("{\"login\": ", Some("application/json"))
            .await
            .unwrap(),
        400,
        "bad_request",
    )
    .await;
    expect_error(
        post("", Some("application/json")).await.unwrap(),
        400,
        "bad_request",
    )
    .await;
    let body = expect_error(
        post(
            r#"{"login": 42, "password": "x"}"#,
            Some("application/json"),
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["login"]
        .as_str()
        .unwrap()
        .contains("invalid type"));
    expect_error(
        post(r#"{"login": "a"}"#, None).await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    expect_error(
        post("login=a", Some("application/x-www-form-urlencoded"))
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;

    let big = format!(r#"{{"login": "{}", "password": "x"}}"#, "a".repeat(4096));
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    expect_error(response, 413, "payload_too_large").await;

    expect_error(app.get("/api/v1/no/such/route").await, 404, "not_found").await;
    let response = app
        .client
        .delete(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    expect_error(response, 405, "method_not_allowed").await;
    expect_error(app.get("/api/v1/account").await, 401, "unauthenticated").await;
    // The server is still fine.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn cross_origin_state_changes_are_refused(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("origin").await;
    let evil = |path: &str| {
        app.client
            .post(app.url(path))
            .header("origin", "https://evil.example")
            .header("content-type", "application/json")
            .body(json!({"login": "origin", "password": PASSWORD}).to_string())
            .send()
    };
    expect_error(
        evil("/api/v1/auth/logout").await.unwrap(),
        403,
        "cross_origin_request",
    )
    .await;
    expect_error(
        evil("/api/v1/auth/login").await.unwrap(),
        403,
        "cross_origin_request",
    )
    .await;
    // The server function behind the sign-out button is guarded the same way.
    expect_error(
        evil("/fn/auth/logout").await.unwrap(),
        403,
        "cross_origin_request",
    )
    .await;
    // Fetch metadata without Origin.
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "cross_origin_request").await;
    // Still signed in: none of that went through.
    assert_eq!(app.get("/api/v1/account").await.status(), 200);
    // The same origin may.
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("origin", app.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

async fn pages_carry_security_headers_and_a_script_nonce(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let response = app.get("/login").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-request-id"].to_str().unwrap().len(), 32);
    let html = response.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline scripts carry the CSP nonce"
    );
    assert!(html.contains("Sign in"));
    // An anonymous page view does not create a session.
    assert!(headers.get("set-cookie").is_none());
    assert_eq!(app.count("sessions").await, 0);

    let api = app.get("/api/v1/auth/rules").await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(api.headers()["x-request-id"].to_str().is_ok());
}

/// The bundle is linked and served under a name that changes with its content, kept for a
/// year, in the smallest copy the browser takes; other files are revalidated.
async fn site_files_are_served_from_memory_with_cache_headers(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let html = app.get("/login").await.text().await.unwrap();
    let css = html
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.ends_with("/latchkey.css"))
        .expect("the page links the stylesheet")
        .to_owned();
    let version_dir = css.strip_suffix("latchkey.css").unwrap().to_owned();
    assert!(
        version_dir.ends_with("/pkg/") && version_dir.len() > "//pkg/".len(),
        "{css}"
    );
    // (The WASM's preload name depends on how the server was built: `latchkey.wasm` by
    // cargo-leptos, `latchkey_bg.wasm` by plain cargo, as here.)
    assert!(
        html.contains(&format!("{version_dir}latchkey.js")),
        "the bundle is preloaded from there"
    );

    let response = app.get(&css).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.text().await.unwrap(), "body { margin: 0 }");

    let wasm = reqwest::Client::new()
        .get(app.url(&format!("{version_dir}latchkey.wasm")))
        .header("accept-encoding", "gzip, deflate, br");
    let response = wasm.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "br");
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert_eq!(response.headers()["vary"], "accept-encoding");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"brotli stand-in");

    // The bundle has no other name; an old one is simply not found.
    assert_eq!(app.get("/pkg/latchkey.wasm").await.status(), 404);
    assert_eq!(
        app.get("/0000000000000000/pkg/latchkey.wasm")
            .await
            .status(),
        404
    );

    let favicon = app.get("/favicon.svg").await;
    assert_eq!(favicon.status(), 200);
    assert_eq!(favicon.headers()["cache-control"], "no-cache");
    assert_eq!(favicon.headers()["content-type"], "image/svg+xml");
    let etag = favicon.headers()["etag"].clone();
    let again = reqwest::Client::new()
        .get(app.url("/favicon.svg"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}

/// Text no database can hold (Postgres refuses NUL) is an ordinary wrong answer, never a
/// server error.
async fn nul_characters_are_refused_cleanly(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("plain").await;
    for login in ["a\u{0}b", "a\u{0}b@example.org", "plain\u{0}"] {
        expect_error(
            app.login(&common::browser(), login, "password\u{0}").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    expect_error(
        app.get("/api/v1/users/a%00b/picture").await,
        404,
        "not_found",
    )
    .await;
    let response = app
        .client
        .delete(app.url("/api/v1/account/sessions/a%00b"))
        .send()
        .await
        .unwrap();
    expect_error(response, 404, "not_found").await;
    for body in [
        json!({"first_name": "a\u{0}b"}),
        json!({"timezone": "Europe/Paris\u{0}"}),
    ] {
        let response = app
            .client
            .patch(app.url("/api/v1/account"))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, 422, "validation_failed").await;
    }
    expect_error(
        app.post_json(
            "/api/v1/auth/password/reset",
            &json!({"email": "a\u{0}@example.org"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

/// The served OpenAPI document and the router describe the same operations: every
/// documented path answers exactly the documented methods (any other gets 405 with an
/// `Allow` header naming those it routes), and every operation documents its success and
/// its errors in the API's shape.
async fn the_api_document_is_the_router(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    for (path, operations) in paths {
        let concrete = path.replace("{username}", "nobody").replace("{id}", "0");
        let response = app
            .client
            .request(
                reqwest::Method::TRACE,
                app.url(&format!("/api/v1{concrete}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{path} is routed");
        let routed: std::collections::BTreeSet<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|method| method.trim().to_owned())
            .filter(|method| method != "HEAD")
            .collect();
        let documented: std::collections::BTreeSet<String> = operations
            .as_object()
            .unwrap()
            .keys()
            .map(|method| method.to_uppercase())
            .collect();
        assert_eq!(routed, documented, "{path}");
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            // Success is a 2xx, or for the sign-in through a provider (a browser's
            // round trip) the 302 that sends it on.
            assert!(
                responses
                    .keys()
                    .any(|status| status.starts_with('2') || status == "302"),
                "{method} {path} documents its success"
            );
            for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

/// Pages are compressed for a browser that takes it; API answers (which may carry a
/// secret next to what the caller sent) never are.
async fn pages_are_compressed_and_api_answers_are_not(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let get = |path: &str, encoding: &str| {
        app.client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .send()
    };
    for (encoding, expected) in [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let page = get("/login", encoding).await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(
            page.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            expected,
            "{encoding}"
        );
        let api = get("/api/v1/auth/rules", encoding).await.unwrap();
        assert_eq!(api.status(), 200);
        assert!(
            api.headers().get("content-encoding").is_none(),
            "{encoding}"
        );
    }
}

/// Every response carries a fresh request id; one a client sends is never taken.
async fn request_ids_are_made_here(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let response = app
        .client
        .get(app.url("/api/v1/auth/rules"))
        .header("x-request-id", "chosen-by-the-client")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(id, "chosen-by-the-client");
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}

async fn https_sites_send_hsts(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    assert!(app
        .get("/login")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());
    let Some(app) = spawn_with(
        backend,
        &[("LATCHKEY_PUBLIC_URL", "https://id.example.com")],
    )
    .await
    else {
        return;
    };
    for path in ["/login", "/api/v1/auth/rules", "/api/v1/account"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}

async fn a_stuck_request_ends_with_an_error(backend: Backend) {
    let Some(app) = spawn_with(backend, &[("LATCHKEY_REQUEST_TIMEOUT_SECONDS", "1")]).await else {
        return;
    };
    app.register("stuck").await;
    // An upload whose body stops coming: the server ends it instead of waiting forever.
    use futures::StreamExt as _;
    let stalled = futures::stream::once(async {
        Ok::<_, std::io::Error>(
            b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n".to_vec(),
        )
    })
    .chain(futures::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        Ok(b"never".to_vec())
    }));
    let response = app
        .client
        .put(app.url("/api/v1/account/picture"))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(reqwest::Body::wrap_stream(stalled))
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 503, "timeout").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("too long"));
    // The server itself is fine.
    assert_eq!(app.account_status(&app.client).await, 200);
}

async fn pages_follow_who_is_signed_in(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let page = |path: &str| {
        app.client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
    };
    // Anonymous: home sends you to sign in.
    let home = page("/").await.unwrap();
    assert_eq!(home.status(), 302);
    assert_eq!(home.headers()["location"], "/login");
    assert_eq!(page("/no-such-page").await.unwrap().status(), 404);

    app.register("pager").await;
    let home = page("/").await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("pager@example.org"),
        "the signed-in home shows who you are"
    );
    let login = page("/login").await.unwrap();
    assert_eq!(login.status(), 302);
    assert_eq!(login.headers()["location"], "/");
}

/// Many page views at once, signed in and not: every one is answered (the pages never
/// wait on each other for who is signed in).
async fn pages_never_hang(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("busy").await;
    let signed_in = app.client.clone();
    let pages = [
        ("/", 200, 302),
        ("/account", 200, 302),
        ("/login", 302, 200),
        ("/register", 302, 200),
        ("/login/code", 302, 200),
        ("/forgot-password", 302, 200),
        ("/verify-email?token=x", 200, 200),
        ("/no-such-page", 404, 404),
    ];
    let views: Vec<_> = (0..240)
        .map(|i| {
            let (path, when_signed_in, when_anonymous) = pages[i % pages.len()];
            let anonymous = i % 2 == 1;
            let client = if anonymous {
                common::browser()
            } else {
                signed_in.clone()
            };
            let url = app.url(path);
            tokio::spawn(async move {
                let response = client
                    .get(&url)
                    .header("accept", "text/html")
                    .send()
                    .await
                    .unwrap_or_else(|error| panic!("{url}: {error}"));
                let expected = if anonymous {
                    when_anonymous
                } else {
                    when_signed_in
                };
                assert_eq!(response.status(), expected, "{url}, anonymous: {anonymous}");
                response.bytes().await.unwrap();
            })
        })
        .collect();
    for view in views {
        view.await.unwrap();
    }
}

async fn forms_work_without_javascript(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("nojs").await;
    let browser = common::browser();
    let form_post = |path: &str, body: String| {
        browser
            .post(app.url(path))
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", app.base.as_str())
            .header("referer", app.url("/login?next=/"))
            .body(body)
            .send()
    };
    // A wrong password: back to the form, with the error encoded for the page to show.
    let response = form_post(
        "/fn/auth/login",
        "login=nojs&password=wrong&next=".to_string(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/login?") && location.contains("__err="),
        "{location}"
    );
    assert!(
        location.contains("login=nojs"),
        "what was typed comes back: {location}"
    );
    assert!(
        !location.contains("wrong"),
        "the password never does: {location}"
    );
    let page = browser
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Invalid username, email or password"));
    assert!(
        page.contains(r#"value="nojs""#),
        "the login field is filled in again"
    );

    // The right one: signed in, sent to `next`.
    let response = form_post(
        "/fn/auth/login",
        format!("login=nojs&password={PASSWORD}&next=%2F"),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/");
    assert!(session_cookie(response.headers()).is_some());
    assert_eq!(app.account_status(&browser).await, 200);

    // `next` never leaves the site.
    let other = common::browser();
    let response = other
        .post(app.url("/fn/auth/login"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "login=nojs&password={PASSWORD}&next=%2F%2Fevil.example"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
}

async fn server_functions_share_the_services(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    // Registering through the server function signs in exactly like the REST route.
    let response = app
        .client
        .post(app.url("/fn/auth/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=viafn&email=viafn%40example.org&password={PASSWORD}&password_confirmation={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(
        outcome, "Done",
        "signed in (no address confirmation required)"
    );
    let me: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert_eq!(me["username"], "viafn");
    // Errors travel as AppError, with the field.
    let response = common::browser()
        .post(app.url("/fn/auth/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=VIAFN&email=x%40example.org&password={PASSWORD}&password_confirmation={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        409,
        "the error's own status, not a generic 500"
    );
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "conflict");
    assert_eq!(error["fields"]["username"], "This username is taken");
}

on_both_databases!(
    pages_are_compressed_and_api_answers_are_not,
    bad_requests_get_clear_json_errors,
    cross_origin_state_changes_are_refused,
    pages_carry_security_headers_and_a_script_nonce,
    site_files_are_served_from_memory_with_cache_headers,
    nul_characters_are_refused_cleanly,
    request_ids_are_made_here,
    the_api_document_is_the_router,
    https_sites_send_hsts,
    a_stuck_request_ends_with_an_error,
    pages_follow_who_is_signed_in,
    pages_never_hang,
    forms_work_without_javascript,
    server_functions_share_the_services,
);

mod command_line {
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn latchkey(data_dir: &std::path::Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        command
            .env_clear()
            .env("LATCHKEY_DATA_DIR", data_dir)
            .env("LATCHKEY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    #[test]
    fn bad_settings_are_reported_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let output = latchkey(dir.path())
            .env("LATCHKEY_BIND", "nowhere")
            .env("LATCHKEY_REGISTRATION", "maybe")
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("LATCHKEY_BIND") && stderr.contains("LATCHKEY_REGISTRATION"),
            "{stderr}"
        );
    }

    #[test]
    fn start_up_errors_never_echo_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let password = "hunter2-do-not-print";
        // Each a URL setting with credentials that is wrong in its own way: bad syntax,
        // a scheme we do not speak, a mail server lettre refuses, a database that is not
        // there.
        let cases = [
            ("LATCHKEY_SMTP_URL", format!("smtp://mailer:{password}@")),
            (
                "LATCHKEY_SMTP_URL",
                format!("smtp://mailer:{password}@mail.example.org:99999"),
            ),
            (
                "LATCHKEY_SMTP_URL",
                format!("imap://mailer:{password}@mail.example.org"),
            ),
            (
                "LATCHKEY_SMTP_URL",
                format!("smtp://mailer:{password}@mail.example.org?tls=sometimes"),
            ),
            (
                "LATCHKEY_DATABASE_URL",
                format!("mysql://latchkey:{password}@db.example.org/x"),
            ),
            (
                "LATCHKEY_DATABASE_URL",
                format!("postgres://latchkey:{password}@127.0.0.1:1/x"),
            ),
            ("LATCHKEY_SECRET_KEY", password.to_owned()),
        ];
        for (name, value) in cases {
            let output = latchkey(dir.path())
                .env(name, &value)
                .env("LATCHKEY_LOG", "debug")
                .arg("migrate")
                .output()
                .unwrap();
            assert!(!output.status.success(), "{name}={value} was accepted");
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!printed.contains(password), "{name} leaked: {printed}");
            let named = printed.contains(name)
                || (name == "LATCHKEY_DATABASE_URL" && printed.contains("database"));
            assert!(named, "{name} is not named: {printed}");
        }
    }

    #[test]
    fn migrate_then_create_an_admin_from_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let status = latchkey(dir.path()).arg("migrate").status().unwrap();
        assert!(status.success());
        assert!(dir.path().join("latchkey.db").exists());
        assert!(dir.path().join("secret.key").exists());

        let mut child = latchkey(dir.path())
            .args([
                "user",
                "create",
                "--username",
                "root",
                "--email",
                "Root@Example.org",
                "--admin",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"violet-anchor-92\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("admin root <root@example.org>"), "{stdout}");

        // A second account with the same name is refused with the reason.
        let mut child = latchkey(dir.path())
            .args([
                "user",
                "create",
                "--username",
                "ROOT",
                "--email",
                "other@example.org",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"violet-anchor-92\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("This username is taken"));

        // A weak password is refused by the same policy as the web form.
        let mut child = latchkey(dir.path())
            .args([
                "user",
                "create",
                "--username",
                "weak",
                "--email",
                "weak@example.org",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"password").unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("password:"));
    }
}
