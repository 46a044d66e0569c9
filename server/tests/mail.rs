//! The mail flows end to end through a real SMTP server (aiosmtpd), on SQLite and
//! Postgres: verification, password reset, sign-in by code, email change, notices, and a
//! mail server that is down for a while.

mod common;

use common::{
    expect_error, session_cookie, spawn_with, spawn_with_mail, with_cookie, Backend, TestApp,
    PASSWORD,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

fn mail(app: &TestApp) -> &common::smtp::SmtpSink {
    app.mail.as_ref().expect("this app sends mail through SMTP")
}

/// Gives a background flow time to run, then checks that nothing was sent to `to`.
async fn assert_no_mail(app: &TestApp, to: &str) {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(mail(app).messages_to(to).is_empty(), "{to} got mail");
}

async fn registering_mails_a_verification_link(backend: Backend) {
    let Some(app) = spawn_with_mail(
        backend,
        &[("LATCHKEY_PUBLIC_URL", "https://id.example.com")],
    )
    .await
    else {
        return;
    };
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("accept-language", "fr-FR,fr;q=0.9")
        .json(&json!({"username": "amelie", "email": "amelie@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let message = mail(&app)
        .wait_for("amelie@example.org", 1, 15)
        .await
        .remove(0);
    assert_eq!(
        message.subject, "Confirmez votre adresse e-mail",
        "in the account's language"
    );
    assert_eq!(message.from, "noreply@id.example.com");
    assert!(message
        .link("/verify-email")
        .starts_with("https://id.example.com/verify-email?token="));
    assert!(
        message
            .html
            .contains("href=\"https://id.example.com/verify-email?token="),
        "an HTML part too"
    );
    assert!(message.text.contains("Bonjour amelie"));

    let token = message.token("/verify-email");
    // The token is stored only as a hash.
    let stored = app.column("SELECT id_hash FROM tokens").await;
    assert!(!stored.is_empty() && stored.iter().all(|h| h != &token));

    let verify = async |token: String| {
        app.post_json("/api/v1/auth/email/verify", &json!({"token": token}))
            .await
    };
    assert_eq!(verify(token.clone()).await.status(), 204);
    let me: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert_eq!(me["email_verified"], true);
    expect_error(verify(token).await, 400, "invalid_token").await;
    expect_error(verify("made-up".into()).await, 400, "invalid_token").await;
}

async fn a_new_verification_link_replaces_the_old_one(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("resender").await;
    let first = mail(&app).wait_for("resender@example.org", 1, 15).await[0].token("/verify-email");
    let resend = async |email: &str| {
        app.post_json("/api/v1/auth/email/verify/resend", &json!({"email": email}))
            .await
    };
    let response = resend("Resender@Example.org").await;
    assert_eq!(response.status(), 202);
    let known: Value = response.json().await.unwrap();
    let second = mail(&app).wait_for("resender@example.org", 2, 15).await[1].token("/verify-email");
    assert_ne!(first, second);
    // Unknown addresses get the same answer and no mail.
    let unknown: Value = resend("nobody@example.org").await.json().await.unwrap();
    assert_eq!(known, unknown);
    assert_no_mail(&app, "nobody@example.org").await;

    let verify = async |token: String| {
        app.post_json("/api/v1/auth/email/verify", &json!({"token": token}))
            .await
    };
    expect_error(verify(first).await, 400, "invalid_token").await;
    assert_eq!(verify(second).await.status(), 204);
}

async fn password_reset_by_mail(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("forgetful").await;
    let laptop = common::browser();
    app.login(&laptop, "forgetful", PASSWORD).await;
    let reset = async |email: &str| {
        app.post_json("/api/v1/auth/password/reset", &json!({"email": email}))
            .await
    };

    let known = reset("forgetful@example.org").await;
    assert_eq!(known.status(), 202);
    let known: Value = known.json().await.unwrap();
    let unknown = reset("stranger@example.org").await;
    assert_eq!(unknown.status(), 202);
    assert_eq!(
        known,
        unknown.json::<Value>().await.unwrap(),
        "the same answer either way"
    );
    assert_no_mail(&app, "stranger@example.org").await;

    let message = mail(&app)
        .wait_for("forgetful@example.org", 2, 15)
        .await
        .into_iter()
        .find(|m| m.subject == "Reset your password")
        .unwrap();
    assert!(message.text.contains("30 minutes"));
    let token = message.token("/reset-password");
    let confirm = |token: &str, password: &str, again: &str| {
        common::browser()
            .post(app.url("/api/v1/auth/password/reset/confirm"))
            .json(&json!({"token": token, "new_password": password, "new_password_confirmation": again}))
            .send()
    };
    // A refused new password does not spend the token.
    let body = expect_error(
        confirm(&token, "short", "short").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["new_password"],
        "8 to 128 characters required"
    );
    assert_eq!(
        confirm(&token, "fresh-anchor-77", "fresh-anchor-77")
            .await
            .unwrap()
            .status(),
        204
    );
    // Every session of the account has ended; the new password works, the old does not.
    assert_eq!(app.get("/api/v1/account").await.status(), 401);
    assert_eq!(app.account_status(&laptop).await, 401);
    app.assert_password_changed("forgetful", PASSWORD, "fresh-anchor-77")
        .await;
    // Single use.
    expect_error(
        confirm(&token, "other-anchor-78", "other-anchor-78")
            .await
            .unwrap(),
        400,
        "invalid_token",
    )
    .await;
    // And a notice went out.
    let mails = mail(&app).wait_for("forgetful@example.org", 3, 15).await;
    assert!(mails
        .iter()
        .any(|m| m.subject == "Your password was changed"));
}

async fn reset_tokens_expire_and_are_replaced_and_revoked(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("careful").await;
    let reset = async || {
        app.post_json(
            "/api/v1/auth/password/reset",
            &json!({"email": "careful@example.org"}),
        )
        .await
    };
    let confirm = |token: String| {
        common::browser()
            .post(app.url("/api/v1/auth/password/reset/confirm"))
            .json(&json!({"token": token, "new_password": "fresh-anchor-77", "new_password_confirmation": "fresh-anchor-77"}))
            .send()
    };
    let resets = |mails: Vec<common::smtp::Mail>| -> Vec<String> {
        mails
            .into_iter()
            .filter(|m| m.subject == "Reset your password")
            .map(|m| m.token("/reset-password"))
            .collect()
    };
    // A newer request makes the older link worthless.
    reset().await;
    mail(&app).wait_for("careful@example.org", 2, 15).await;
    reset().await;
    let tokens = resets(mail(&app).wait_for("careful@example.org", 3, 15).await);
    expect_error(
        confirm(tokens[0].clone()).await.unwrap(),
        400,
        "invalid_token",
    )
    .await;

    // An expired link is worth nothing (its expiry moved into the past).
    app.column("UPDATE tokens SET expires_at = created_at WHERE purpose = 'reset_password' RETURNING id_hash")
        .await;
    expect_error(
        confirm(tokens[1].clone()).await.unwrap(),
        400,
        "invalid_token",
    )
    .await;

    // Changing the password (signed in) revokes a pending link.
    reset().await;
    let latest = resets(mail(&app).wait_for("careful@example.org", 4, 15).await)
        .pop()
        .unwrap();
    let changed = app.post_json("/api/v1/auth/password/change", &json!({"current_password": PASSWORD, "new_password": "other-anchor-78", "new_password_confirmation": "other-anchor-78"})).await;
    assert_eq!(changed.status(), 204);
    expect_error(confirm(latest).await.unwrap(), 400, "invalid_token").await;
}

async fn sign_in_with_an_emailed_code(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("coder").await;
    mail(&app).wait_for("coder@example.org", 1, 15).await;
    let browser = common::browser();
    let request = |email: &str| {
        browser
            .post(app.url("/api/v1/auth/code"))
            .json(&json!({"email": email}))
            .send()
    };
    let verify = |email: &str, code: &str| {
        browser
            .post(app.url("/api/v1/auth/code/verify"))
            .json(&json!({"email": email, "code": code}))
            .send()
    };
    assert_eq!(request("coder@example.org").await.unwrap().status(), 202);
    let code = mail(&app).wait_for("coder@example.org", 2, 15).await[1].code();

    // Five wrong guesses spend the code: even the right one fails afterwards.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        expect_error(
            verify("coder@example.org", wrong).await.unwrap(),
            400,
            "invalid_token",
        )
        .await;
    }
    expect_error(
        verify("coder@example.org", &code).await.unwrap(),
        400,
        "invalid_token",
    )
    .await;

    request("coder@example.org").await.unwrap();
    let code = mail(&app).wait_for("coder@example.org", 3, 15).await[2].code();
    let response = verify("CODER@example.org", &code).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(session_cookie(response.headers()).is_some());
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["username"], "coder");
    let me: Value = browser
        .get(app.url("/api/v1/account"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true, "the code proved the address");
    // Single use.
    expect_error(
        verify("coder@example.org", &code).await.unwrap(),
        400,
        "invalid_token",
    )
    .await;

    // Unknown addresses: the same 202, no mail, and no code works.
    assert_eq!(request("ghost@example.org").await.unwrap().status(), 202);
    assert_no_mail(&app, "ghost@example.org").await;
    expect_error(
        verify("ghost@example.org", "123456").await.unwrap(),
        400,
        "invalid_token",
    )
    .await;
    expect_error(
        verify("not an address", "123456").await.unwrap(),
        400,
        "invalid_token",
    )
    .await;
}

async fn concurrent_wrong_codes_cannot_race_the_limits(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("rushed").await;
    let browser = common::browser();
    let response = browser
        .post(app.url("/api/v1/auth/code"))
        .json(&json!({"email": "rushed@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let code = mail(&app).wait_for("rushed@example.org", 2, 15).await[1].code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let guesses = (0..50).map(|_| {
        common::browser()
            .post(app.url("/api/v1/auth/code/verify"))
            .json(&json!({"email": "rushed@example.org", "code": wrong}))
    });
    // Wrong codes are failed sign-ins: ten get an answer, forty are throttled. Of the
    // ten, no more than five reached the code, which is spent by them.
    assert_eq!(
        common::statuses_at_once(guesses).await,
        [(400, 10), (429, 40)].into()
    );
    assert_eq!(app.count("tokens WHERE purpose = 'login_code'").await, 0);
}

async fn changing_the_email_address(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("mover").await;
    let change = async |new_email: &str, password: &str| {
        app.post_json(
            "/api/v1/account/email",
            &json!({"new_email": new_email, "password": password}),
        )
        .await
    };
    let body = expect_error(
        change("moved@example.org", "wrong-password").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["error"]["fields"]["password"], "Incorrect password");
    expect_error(
        change("not-an-address", PASSWORD).await,
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        change("mover@example.org", PASSWORD).await,
        422,
        "validation_failed",
    )
    .await;

    assert_eq!(change("Moved@Example.org", PASSWORD).await.status(), 202);
    let link = mail(&app)
        .wait_for("moved@example.org", 1, 15)
        .await
        .remove(0);
    assert_eq!(link.subject, "Confirm your new email address");
    let notices = mail(&app).wait_for("mover@example.org", 2, 15).await;
    assert!(notices
        .iter()
        .any(|m| m.subject == "Your email address is about to change"
            && m.text.contains("moved@example.org")));
    // Nothing changes until the new address is confirmed.
    let me: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert_eq!(me["email"], "mover@example.org");

    let verified = app
        .post_json(
            "/api/v1/auth/email/verify",
            &json!({"token": link.token("/verify-email")}),
        )
        .await;
    assert_eq!(verified.status(), 204);
    let me: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert_eq!(me["email"], "moved@example.org");
    assert_eq!(me["email_verified"], true);
    assert_eq!(
        app.login(&common::browser(), "moved@example.org", PASSWORD)
            .await
            .status(),
        200
    );

    // Moving to an address another account has: the same answer, a notice, no link.
    let other = common::browser();
    other
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "owner", "email": "owner@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await
        .unwrap();
    mail(&app).wait_for("owner@example.org", 1, 15).await;
    assert_eq!(change("owner@example.org", PASSWORD).await.status(), 202);
    let to_owner = mail(&app).wait_for("owner@example.org", 2, 15).await;
    assert_eq!(
        to_owner[1].subject,
        "Someone tried to use your email address"
    );
    assert!(!to_owner[1].text.contains("/verify-email"));
}

async fn mail_requests_are_throttled_per_address(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[("LATCHKEY_MAIL_PER_ADDRESS_PER_HOUR", "3")]).await
    else {
        return;
    };
    for address in ["someone@example.org", "nobody-at-all@example.org"] {
        for _ in 0..3 {
            let response = app
                .post_json("/api/v1/auth/password/reset", &json!({"email": address}))
                .await;
            assert_eq!(response.status(), 202);
        }
        let response = app
            .post_json("/api/v1/auth/code", &json!({"email": address}))
            .await;
        assert!(response.headers().get("retry-after").is_some());
        expect_error(response, 429, "too_many_requests").await;
    }
    let rules: Value = app.get("/api/v1/auth/rules").await.json().await.unwrap();
    assert_eq!(rules["throttle"]["mail_per_address_per_hour"], 3);
}

async fn mail_waits_for_a_server_that_is_down(backend: Backend) {
    let Some(mut app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("patient").await;
    mail(&app).wait_for("patient@example.org", 1, 15).await;
    app.mail.as_mut().unwrap().stop();

    let started = std::time::Instant::now();
    let response = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"email": "patient@example.org"}),
        )
        .await;
    assert_eq!(
        response.status(),
        202,
        "the request succeeds while mail is down"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // It waits in the queue, encrypted: the link is not in the database in clear.
    let started = std::time::Instant::now();
    loop {
        if app.count("mail_queue").await == 1
            && !app.column("SELECT last_error FROM mail_queue").await[0].is_empty()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "a failed attempt is recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let payload = app.column("SELECT id FROM mail_queue").await;
    assert_eq!(payload.len(), 1);
    let raw = if app.db.url.starts_with("sqlite") {
        app.column("SELECT hex(payload) FROM mail_queue").await
    } else {
        app.column("SELECT encode(payload, 'hex') FROM mail_queue")
            .await
    };
    let bytes = hex_decode(&raw[0]);
    assert!(!bytes
        .windows(b"reset-password".len())
        .any(|w| w == b"reset-password"));
    assert!(!bytes.windows(b"patient".len()).any(|w| w == b"patient"));

    app.mail.as_mut().unwrap().resume();
    let mails = mail(&app).wait_for("patient@example.org", 2, 30).await;
    assert_eq!(mails[1].subject, "Reset your password");
    let started = std::time::Instant::now();
    while app.count("mail_queue").await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the queue empties"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

async fn without_a_mail_server_mail_goes_to_the_outbox(backend: Backend) {
    let Some(app) = spawn_with(backend, &[]).await else {
        return;
    };
    app.register("offline").await;
    let outbox = app.db.dir.join("data/outbox");
    let started = std::time::Instant::now();
    loop {
        let files: Vec<_> = std::fs::read_dir(&outbox)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        if let Some(file) = files.first() {
            let text = std::fs::read_to_string(file.path()).unwrap();
            assert!(text.contains("To: offline@example.org"));
            assert!(file.path().extension().is_some_and(|e| e == "eml"));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "an .eml file appears"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn unverified_accounts_can_be_kept_out(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[("LATCHKEY_REQUIRE_VERIFIED_EMAIL", "true")]).await
    else {
        return;
    };
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "strict", "email": "strict@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(
        session_cookie(response.headers()).is_none(),
        "not signed in before verifying"
    );
    expect_error(
        app.login(&common::browser(), "strict", PASSWORD).await,
        403,
        "email_not_verified",
    )
    .await;
    let token = mail(&app).wait_for("strict@example.org", 1, 15).await[0].token("/verify-email");
    let verified = common::browser()
        .post(app.url("/api/v1/auth/email/verify"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 204);
    let response = app.login(&common::browser(), "strict", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(response.headers()).unwrap();
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/account", &cookie)
            .await
            .status(),
        200
    );
}

on_both_databases!(
    registering_mails_a_verification_link,
    a_new_verification_link_replaces_the_old_one,
    password_reset_by_mail,
    reset_tokens_expire_and_are_replaced_and_revoked,
    sign_in_with_an_emailed_code,
    concurrent_wrong_codes_cannot_race_the_limits,
    changing_the_email_address,
    mail_requests_are_throttled_per_address,
    mail_waits_for_a_server_that_is_down,
    without_a_mail_server_mail_goes_to_the_outbox,
    unverified_accounts_can_be_kept_out,
);

mod command_line {
    use super::common::smtp::SmtpSink;
    use std::process::Command;

    #[test]
    fn mail_test_reports_whether_the_message_left() {
        let dir = tempfile::tempdir().unwrap();
        let Some(mut sink) = SmtpSink::start(dir.path().join("maildir")) else {
            return;
        };
        let run = |sink: &SmtpSink| {
            Command::new(env!("CARGO_BIN_EXE_latchkey"))
                .env_clear()
                .env("LATCHKEY_DATA_DIR", dir.path().join("data"))
                .env("LATCHKEY_SMTP_URL", sink.url())
                .env("LATCHKEY_LOG", "warn")
                .args(["mail", "test", "--to", "admin@example.org"])
                .output()
                .unwrap()
        };
        let output = run(&sink);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout)
            .contains("Sent a test message to admin@example.org"));
        let received = sink.messages_to("admin@example.org");
        assert_eq!(received.len(), 1);
        assert!(received[0].subject.starts_with("Test message from"));

        sink.stop();
        let output = run(&sink);
        assert_eq!(output.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&output.stderr).contains("was not sent"));
    }
}
