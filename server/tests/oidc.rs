//! Signing in with an outside OpenID provider, on SQLite and Postgres, against a real,
//! certified provider (`oidc-provider` in node, see `common::oidc`): accounts made and
//! found again, answers that must sign nobody in, linking and unlinking.

mod common;

use common::{
    browser, expect_error, registration, spawn_with, spawn_with_provider, Backend, TestApp,
    PASSWORD,
};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::LOCATION;
use serde_json::{json, Value};
use std::sync::Arc;

const START: &str = "/api/v1/auth/oidc/test/login";
const FLOW_COOKIE: &str = "latchkey_oidc";

/// A browser whose cookies the test can read and put back.
fn browser_with_jar() -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    (client, jar)
}

/// Starts a sign-in at `start` and goes through the provider as `account` (its sign-in
/// form when it asks; consent is given at once), up to the provider's answer: the URL of
/// Latchkey's callback, not yet opened. A start that Latchkey answers itself (with a
/// page of its own) returns that page's URL.
async fn provider_answer(
    app: &TestApp,
    client: &reqwest::Client,
    start: &str,
    account: &str,
) -> String {
    let ours = format!("{}/", app.base);
    let mut response = client.get(app.url(start)).send().await.unwrap();
    for _ in 0..12 {
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
            let next = response.url().join(&location).unwrap();
            if next.as_str().starts_with(&ours) {
                return next.to_string();
            }
            response = client.get(next).send().await.unwrap();
        } else if status == 200 && response.url().path().starts_with("/interaction/") {
            let login = format!("{}/login", response.url());
            response = client
                .post(login)
                .form(&[("login", account)])
                .send()
                .await
                .unwrap();
        } else {
            panic!("unexpected {status} at {}", response.url());
        }
    }
    panic!("the provider kept redirecting");
}

/// Opens Latchkey's callback: where it sends the browser.
async fn finish(client: &reqwest::Client, callback: &str) -> String {
    let response = client.get(callback).send().await.unwrap();
    assert_eq!(response.status(), 302, "{callback}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// Signs in through the provider as `account`: where Latchkey sends the browser.
async fn sign_in(app: &TestApp, client: &reqwest::Client, account: &str) -> String {
    let callback = provider_answer(app, client, START, account).await;
    finish(client, &callback).await
}

async fn account(app: &TestApp, client: &reqwest::Client) -> Value {
    let response = client.get(app.url("/api/v1/account")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn identities(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let response = client
        .get(app.url("/api/v1/account/identities"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `DELETE /account/identities/{id}` as `client`.
async fn unlink(app: &TestApp, client: &reqwest::Client, id: &str) -> reqwest::Response {
    client
        .delete(app.url(&format!("/api/v1/account/identities/{id}")))
        .send()
        .await
        .unwrap()
}

async fn first_sign_in_makes_the_account_and_the_next_ones_find_it(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    let methods: Value = app.get("/api/v1/auth/methods").await.json().await.unwrap();
    assert_eq!(methods["oidc"][0]["id"], "test");
    assert_eq!(methods["oidc"][0]["name"], "Test provider");
    assert_eq!(methods["oidc"][0]["login_url"], START);

    let client = browser();
    assert_eq!(sign_in(&app, &client, "alice").await, "/");
    let alice = account(&app, &client).await;
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["email"], "alice@idp.test");
    assert_eq!(alice["email_verified"], true);
    // No password until the person sets one.
    assert_eq!(app.column("SELECT password_hash FROM users").await, [""]);
    let linked = identities(&app, &client).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["provider"], "test");
    assert_eq!(linked[0]["subject"], "alice");
    assert_eq!(linked[0]["email"], "alice@idp.test");
    // A password never matches an account without one.
    expect_error(
        app.login(&browser(), "alice", "").await,
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        app.login(&browser(), "alice", "anything-at-all").await,
        401,
        "invalid_credentials",
    )
    .await;

    // Signed out, the next sign-in (the provider remembers the person) finds the account,
    // and goes on to the page asked for; never to another site.
    let logout = client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(app.account_status(&client).await, 401);
    let callback = provider_answer(
        &app,
        &client,
        &format!("{START}?next=/account%3Ftab%3D1"),
        "alice",
    )
    .await;
    assert_eq!(finish(&client, &callback).await, "/account?tab=1");
    assert_eq!(account(&app, &client).await["id"], alice["id"]);
    let elsewhere = browser();
    let callback = provider_answer(
        &app,
        &elsewhere,
        &format!("{START}?next=https://evil.example/"),
        "alice",
    )
    .await;
    assert_eq!(finish(&elsewhere, &callback).await, "/");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("identities").await, 1);

    // The sign-in page offers the provider.
    let page = app.get("/login").await.text().await.unwrap();
    assert!(page.contains("Continue with Test provider"), "{page}");
    assert!(page.contains(&format!("href=\"{START}\"")), "{page}");
}

async fn answers_that_do_not_belong_to_this_browser_sign_nobody_in(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    let client = browser();

    // The state changed, or missing.
    let callback = provider_answer(&app, &client, START, "alice").await;
    let tampered = callback.replace("state=", "state=x");
    assert_eq!(finish(&client, &tampered).await, "/login?oidc=wrong_state");
    let callback = provider_answer(&app, &client, START, "alice").await;
    let mut url = url::Url::parse(&callback).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "state")
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    assert_eq!(
        finish(&client, url.as_str()).await,
        "/login?oidc=wrong_state"
    );

    // Another browser (without the sign-in's cookie) opens the answer.
    let callback = provider_answer(&app, &client, START, "alice").await;
    assert_eq!(
        finish(&browser(), &callback).await,
        "/login?oidc=wrong_state"
    );
    // ... which also spent nothing of this browser's: it still finishes its own.
    assert_eq!(finish(&client, &callback).await, "/");
    assert_eq!(app.account_status(&client).await, 200);

    // The provider's error (the person cancelled): nothing signed in.
    let (other, _) = browser_with_jar();
    let callback = provider_answer(&app, &other, START, "alice").await;
    let state = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let refused = app.url(&format!(
        "/api/v1/auth/oidc/test/callback?error=access_denied&state={state}"
    ));
    assert_eq!(finish(&other, &refused).await, "/login?oidc=refused");
    assert_eq!(app.account_status(&other).await, 401);

    // A replayed answer: the same code with the same sign-in's cookie, put back.
    let (replayer, jar) = browser_with_jar();
    let callback = provider_answer(&app, &replayer, START, "alice").await;
    let callback_url = url::Url::parse(&callback).unwrap();
    let cookies = jar.cookies(&callback_url).unwrap();
    let flow = cookies
        .to_str()
        .unwrap()
        .split("; ")
        .find(|cookie| cookie.starts_with(FLOW_COOKIE))
        .unwrap()
        .to_owned();
    assert_eq!(finish(&replayer, &callback).await, "/");
    let logout = replayer
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    jar.add_cookie_str(&format!("{flow}; Path=/api/v1/auth/oidc/"), &callback_url);
    assert_eq!(
        finish(&replayer, &callback).await,
        "/login?oidc=code_refused"
    );
    assert_eq!(app.account_status(&replayer).await, 401);

    // An unknown provider.
    expect_error(
        app.get("/api/v1/auth/oidc/nope/login").await,
        404,
        "not_found",
    )
    .await;
}

async fn id_tokens_that_fail_a_check_sign_nobody_in(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    let provider = app.provider.as_ref().unwrap();
    for mode in ["other-key", "wrong-aud", "expired", "wrong-nonce"] {
        provider.tamper(mode).await;
        let client = browser();
        assert_eq!(
            sign_in(&app, &client, "alice").await,
            "/login?oidc=bad_token",
            "{mode}"
        );
        assert_eq!(app.account_status(&client).await, 401, "{mode}");
    }
    assert_eq!(app.count("users").await, 0);
    // The same provider, answering as it should again.
    provider.tamper("none").await;
    let client = browser();
    assert_eq!(sign_in(&app, &client, "alice").await, "/");
}

async fn an_address_of_an_account_here_is_never_linked_on_its_own(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    // dora@example.org has an account here; the provider's "dora" has that address.
    let dora = browser();
    let response = dora
        .post(app.url("/api/v1/auth/register"))
        .json(&registration("dora"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let stranger = browser();
    assert_eq!(
        sign_in(&app, &stranger, "dora").await,
        "/login?oidc=email_taken"
    );
    assert_eq!(app.account_status(&stranger).await, 401);
    assert_eq!(app.count("identities").await, 0);
    assert_eq!(app.count("users").await, 1);

    // A link started from another site links nothing.
    let response = dora
        .get(app.url(START))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()[LOCATION],
        "/account?oidc=cross_site_link#identities"
    );

    // Signed in, dora links it herself, and can then sign in with it.
    assert_eq!(
        sign_in(&app, &dora, "dora").await,
        "/account?identity=linked#identities"
    );
    assert_eq!(identities(&app, &dora).await.len(), 1);
    let again = browser();
    assert_eq!(sign_in(&app, &again, "dora").await, "/");
    assert_eq!(account(&app, &again).await["username"], "dora");

    // Linked to dora, the identity is refused to anyone else.
    let frank = browser();
    let response = frank
        .post(app.url("/api/v1/auth/register"))
        .json(&registration("frank"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        sign_in(&app, &frank, "dora").await,
        "/account?oidc=linked_elsewhere#identities"
    );
    assert!(identities(&app, &frank).await.is_empty());
    assert_eq!(account(&app, &frank).await["username"], "frank");

    // With a password, the one identity can go.
    let linked = identities(&app, &dora).await;
    let id = linked[0]["id"].as_str().unwrap();
    assert_eq!(unlink(&app, &dora, id).await.status(), 204);
    assert!(identities(&app, &dora).await.is_empty());
}

async fn the_last_way_to_sign_in_is_never_unlinked(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    let client = browser();
    assert_eq!(sign_in(&app, &client, "alice").await, "/");
    let linked = identities(&app, &client).await;
    let id = linked[0]["id"].as_str().unwrap();
    expect_error(unlink(&app, &client, id).await, 409, "last_sign_in_method").await;
    expect_error(unlink(&app, &client, "no-such-id").await, 404, "not_found").await;
    assert_eq!(identities(&app, &client).await.len(), 1);
    // Another account's identity is not found either.
    let other = browser();
    app.post_json("/api/v1/auth/register", &registration("olga"))
        .await;
    expect_error(unlink(&app, &other, id).await, 401, "unauthenticated").await;
    // app.client is olga's.
    expect_error(unlink(&app, &app.client, id).await, 404, "not_found").await;
    assert_eq!(app.count("identities").await, 1);
}

async fn an_account_made_through_a_provider_gets_a_password_by_reset(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    let client = browser();
    assert_eq!(sign_in(&app, &client, "alice").await, "/");
    let response = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"email": "alice@idp.test"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let message = app
        .mail
        .as_ref()
        .unwrap()
        .wait_for("alice@idp.test", 1, 15)
        .await
        .into_iter()
        .find(|m| m.subject == "Reset your password")
        .unwrap();
    let token = message.token("/reset-password");
    let response = browser()
        .post(app.url("/api/v1/auth/password/reset/confirm"))
        .json(&json!({"token": token, "new_password": PASSWORD, "new_password_confirmation": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let laptop = browser();
    assert_eq!(app.login(&laptop, "alice", PASSWORD).await.status(), 200);
    // With a password, the identity is no longer the only way in.
    let linked = identities(&app, &laptop).await;
    let id = linked[0]["id"].as_str().unwrap();
    assert_eq!(unlink(&app, &laptop, id).await.status(), 204);
}

async fn names_from_the_provider_are_made_valid_and_unique(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[]).await else {
        return;
    };
    app.register("carol").await;
    let client = browser();
    assert_eq!(sign_in(&app, &client, "carol").await, "/");
    let carol = account(&app, &client).await;
    assert_eq!(carol["username"], "carol2");
    assert_eq!(carol["email"], "carol@idp.test");

    let client = browser();
    assert_eq!(sign_in(&app, &client, "eve").await, "/");
    assert_eq!(account(&app, &client).await["username"], "ve.rtlich");

    // An address the provider has not verified is not taken as verified: it gets the
    // link that verifies it.
    let client = browser();
    assert_eq!(sign_in(&app, &client, "bob").await, "/");
    assert_eq!(account(&app, &client).await["email_verified"], false);
    let mail = app
        .mail
        .as_ref()
        .unwrap()
        .wait_for("bob@idp.test", 1, 15)
        .await;
    mail[0].token("/verify-email");
}

async fn closed_registration_makes_no_account(backend: Backend) {
    let Some(app) = spawn_with_provider(backend, &[("LATCHKEY_REGISTRATION", "closed")]).await
    else {
        return;
    };
    let client = browser();
    assert_eq!(
        sign_in(&app, &client, "alice").await,
        "/login?oidc=registration_closed"
    );
    assert_eq!(app.account_status(&client).await, 401);
    assert_eq!(app.count("users").await, 0);
    let page = app
        .get("/login?oidc=registration_closed")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("registration is closed"), "{page}");
}

async fn an_unreachable_provider_does_not_stop_latchkey(backend: Backend) {
    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let Some(app) = spawn_with(
        backend,
        &[
            ("LATCHKEY_OIDC_PROVIDERS", "down"),
            ("LATCHKEY_OIDC_DOWN_ISSUER", &issuer),
            ("LATCHKEY_OIDC_DOWN_CLIENT_ID", "latchkey"),
            ("LATCHKEY_OIDC_DOWN_CLIENT_SECRET", "secret"),
            ("LATCHKEY_OIDC_DOWN_NAME", "Down"),
        ],
    )
    .await
    else {
        return;
    };
    assert_eq!(app.get("/healthz").await.status(), 200);
    let methods: Value = app.get("/api/v1/auth/methods").await.json().await.unwrap();
    assert_eq!(methods["oidc"][0]["available"], false);
    let response = app.get("/api/v1/auth/oidc/down/login").await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()[LOCATION], "/login?oidc=unavailable");
    let page = app
        .get("/login?oidc=unavailable")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Continue with Down (unavailable right now)"),
        "{page}"
    );
    assert!(page.contains("cannot be reached right now"), "{page}");
}

on_both_databases!(
    first_sign_in_makes_the_account_and_the_next_ones_find_it,
    answers_that_do_not_belong_to_this_browser_sign_nobody_in,
    id_tokens_that_fail_a_check_sign_nobody_in,
    an_address_of_an_account_here_is_never_linked_on_its_own,
    the_last_way_to_sign_in_is_never_unlinked,
    an_account_made_through_a_provider_gets_a_password_by_reset,
    names_from_the_provider_are_made_valid_and_unique,
    closed_registration_makes_no_account,
    an_unreachable_provider_does_not_stop_latchkey,
);
