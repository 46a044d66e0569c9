//! Programmatic access over HTTP, on SQLite and Postgres: personal API tokens and their
//! scopes, signed URLs, tickets and generated passwords.

mod common;

use common::{
    expect_error, registration, session_cookie, spawn, spawn_with, spawn_with_mail, time_until,
    Backend, TestApp, ELSEWHERE_WITHIN,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Makes a token for the app's signed-in browser.
async fn create_token(app: &TestApp, body: Value) -> Value {
    let response = app.post_json("/api/v1/tokens", &body).await;
    assert_eq!(response.status(), 201, "create a token");
    response.json().await.unwrap()
}

/// A request carrying only `token` as its credential.
fn with_token(app: &TestApp, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

async fn tokens_authenticate_with_their_scopes(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let me = app.register("scoped").await;
    let both = create_token(&app, json!({"name": "ci"})).await;
    let secret = both["token"].as_str().unwrap();
    assert!(
        secret.starts_with("lk_") && secret.len() >= 3 + 43,
        "{secret}"
    );
    assert_eq!(both["scopes"], json!(["read", "write"]));
    let created = time::OffsetDateTime::parse(
        both["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        both["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        expires - created,
        time::Duration::days(90),
        "the default lifetime"
    );

    // Read with it: the account, and no cookie set.
    let response = with_token(&app, Method::GET, "/api/v1/account", secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["id"], me["id"]);
    // Write with it, even from another origin: a bearer request carries no ambient cookie.
    let response = with_token(&app, Method::PATCH, "/api/v1/account", secret)
        .header("origin", "https://elsewhere.example")
        .json(&json!({"bio": "set by a program"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A read-only token reads, and nothing more.
    let reader = create_token(&app, json!({"name": "reader", "scopes": ["read"]})).await;
    let reader = reader["token"].as_str().unwrap();
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", reader)).await,
        200
    );
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/tokens", reader)).await,
        200
    );
    let response = with_token(&app, Method::PATCH, "/api/v1/account", reader)
        .json(&json!({"bio": "nope"}))
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "insufficient_scope").await;
    let response = with_token(&app, Method::DELETE, "/api/v1/account/picture", reader)
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "insufficient_scope").await;
    // A write-only token cannot read.
    let writer = create_token(&app, json!({"name": "writer", "scopes": ["write"]})).await;
    let writer = writer["token"].as_str().unwrap();
    let response = with_token(&app, Method::GET, "/api/v1/account", writer)
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "insufficient_scope").await;

    // The list (with the session) never shows a secret, and pages.
    let page: Value = app
        .get("/api/v1/tokens?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["name"], "writer", "newest first");
    assert!(!page.to_string().contains("lk_"));
    let one: Value = app
        .get(&format!("/api/v1/tokens/{}", both["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (one["name"].as_str(), one["revoked"].as_bool()),
        (Some("ci"), Some(false))
    );
    assert!(one["last_used_at"].is_string(), "used above: {one}");

    // Signing out with a token ends no session and keeps the token working.
    assert_eq!(
        status(with_token(
            &app,
            Method::POST,
            "/api/v1/auth/logout",
            secret
        ))
        .await,
        204
    );
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
}

async fn tokens_never_reach_session_routes(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("limited").await;
    let token = create_token(&app, json!({"name": "all"})).await;
    let secret = token["token"].as_str().unwrap();
    let id = token["id"].as_str().unwrap();
    // Whatever the body (none, or a valid one): 403 before any validation.
    for (method, path, body) in [
        (Method::POST, "/api/v1/tokens", json!({"name": "minted"})),
        (
            Method::POST,
            &format!("/api/v1/tokens/{id}/email"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/auth/signing",
            json!({"url": "/account"}),
        ),
        (Method::POST, "/api/v1/auth/tickets", json!({})),
        (Method::POST, "/api/v1/auth/password/change", json!({})),
        (Method::POST, "/api/v1/account/email", json!({})),
        (Method::DELETE, "/api/v1/account", json!({"password": "x"})),
        (Method::GET, "/api/v1/account/sessions", json!(null)),
        (Method::GET, "/api/v1/account/export", json!(null)),
        (Method::DELETE, "/api/v1/account/sessions/0", json!(null)),
    ] {
        let request = with_token(&app, method.clone(), path, secret);
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        expect_error(request.send().await.unwrap(), 403, "session_required").await;
        let bare = with_token(&app, method, path, secret).send().await.unwrap();
        assert_eq!(bare.status(), 403, "{path} without a body");
    }
    // Nothing was minted.
    let page: Value = app.get("/api/v1/tokens").await.json().await.unwrap();
    assert_eq!(page["total"], 1);
}

async fn unknown_expired_revoked_and_disabled_tokens_get_401(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("revoker").await;
    for garbage in [
        "nonsense",
        "lk_",
        "lk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let response = with_token(&app, Method::GET, "/api/v1/account", garbage)
            .send()
            .await
            .unwrap();
        expect_error(response, 401, "unauthenticated").await;
    }
    // Revoked: at once.
    let token = create_token(&app, json!({"name": "soon revoked"})).await;
    let (secret, id) = (
        token["token"].as_str().unwrap(),
        token["id"].as_str().unwrap(),
    );
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        401
    );
    let listed: Value = app
        .get(&format!("/api/v1/tokens/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["revoked"], true);
    // A token may revoke itself (it is a write to the caller's own data).
    let token = create_token(&app, json!({"name": "self-revoking"})).await;
    let (secret, id) = (
        token["token"].as_str().unwrap(),
        token["id"].as_str().unwrap(),
    );
    let path = format!("/api/v1/tokens/{id}");
    assert_eq!(
        status(with_token(&app, Method::DELETE, &path, secret)).await,
        204
    );
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        401
    );

    // Expired: the day after its last day.
    let token = create_token(&app, json!({"name": "short", "expires_in_days": 1})).await;
    let secret = token["token"].as_str().unwrap();
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
    app.state
        .clock
        .advance(time::Duration::days(1) + time::Duration::seconds(1));
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        401
    );

    // A disabled account's tokens are refused while it is disabled. Disabled straight in
    // the database, as another instance would: within a second.
    let token = create_token(&app, json!({"name": "of a disabled account"})).await;
    let secret = token["token"].as_str().unwrap();
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
    app.column("UPDATE users SET disabled = TRUE WHERE username = 'revoker' RETURNING id")
        .await;
    let took = time_until(401, || {
        status(with_token(&app, Method::GET, "/api/v1/account", secret))
    })
    .await;
    assert!(took <= ELSEWHERE_WITHIN, "took {took:?}");
    app.column("UPDATE users SET disabled = FALSE WHERE username = 'revoker' RETURNING id")
        .await;
    let took = time_until(200, || {
        status(with_token(&app, Method::GET, "/api/v1/account", secret))
    })
    .await;
    assert!(took <= ELSEWHERE_WITHIN, "took {took:?}");
}

async fn another_accounts_token_is_not_found(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("owner").await;
    let token = create_token(&app, json!({"name": "mine"})).await;
    let id = token["id"].as_str().unwrap();
    let other = common::browser();
    let response = other
        .post(app.url("/api/v1/auth/register"))
        .json(&registration("snoop"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    for (method, path) in [
        (Method::GET, format!("/api/v1/tokens/{id}")),
        (Method::DELETE, format!("/api/v1/tokens/{id}")),
        (Method::POST, format!("/api/v1/tokens/{id}/email")),
        (Method::GET, "/api/v1/tokens/no-such-token".to_owned()),
    ] {
        let response = other.request(method, app.url(&path)).send().await.unwrap();
        expect_error(response, 404, "not_found").await;
    }
    let page: Value = other
        .get(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
    // Still the owner's, and still working.
    assert_eq!(
        status(with_token(
            &app,
            Method::GET,
            "/api/v1/account",
            token["token"].as_str().unwrap()
        ))
        .await,
        200
    );
}

async fn token_requests_are_checked_and_lifetimes_configurable(backend: Backend) {
    let Some(app) = spawn_with(
        backend,
        &[
            ("LATCHKEY_API_TOKEN_MAX_DAYS", "30"),
            ("LATCHKEY_API_TOKEN_DEFAULT_DAYS", "7"),
        ],
    )
    .await
    else {
        return;
    };
    app.register("careful").await;
    let rules: Value = app.get("/api/v1/auth/rules").await.json().await.unwrap();
    assert_eq!(rules["tokens"]["api_token_max_days"], 30);
    assert_eq!(rules["tokens"]["api_token_default_days"], 7);
    assert_eq!(rules["tokens"]["signed_url_seconds"], 30);
    assert_eq!(rules["tokens"]["ticket_seconds"], 300);
    for (body, field) in [
        (
            json!({"name": "x", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": 31}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": -1}),
            "expires_in_days",
        ),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["admin"]}), "scopes[0]"),
    ] {
        let body_text = body.to_string();
        let error = expect_error(
            app.post_json("/api/v1/tokens", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            error["error"]["fields"][field].is_string(),
            "{body_text}: {error}"
        );
    }
    let token = create_token(&app, json!({"name": "weekly"})).await;
    let day = |field: &str| {
        time::OffsetDateTime::parse(
            token[field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!(
        day("expires_at") - day("created_at"),
        time::Duration::days(7)
    );
}

async fn last_use_is_written_at_most_once_a_minute(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("busy").await;
    let token = create_token(&app, json!({"name": "busy"})).await;
    let (secret, id) = (
        token["token"].as_str().unwrap(),
        token["id"].as_str().unwrap(),
    );
    let last_used = || async {
        let token: Value = app
            .get(&format!("/api/v1/tokens/{id}"))
            .await
            .json()
            .await
            .unwrap();
        token["last_used_at"].clone()
    };
    assert_eq!(last_used().await, Value::Null);
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
    let first = last_used().await;
    assert!(first.is_string());
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
    assert_eq!(
        last_used().await,
        first,
        "not written again within the minute"
    );
    app.state.clock.advance(time::Duration::minutes(2));
    assert_eq!(
        status(with_token(&app, Method::GET, "/api/v1/account", secret)).await,
        200
    );
    assert_ne!(last_used().await, first);
}

async fn tokens_are_announced_and_summarised_by_mail_never_their_secret(backend: Backend) {
    let Some(app) = spawn_with_mail(backend, &[]).await else {
        return;
    };
    app.register("mailed").await;
    let mail = app.mail.as_ref().unwrap();
    mail.wait_for("mailed@example.org", 1, 15).await;
    let token = create_token(&app, json!({"name": "deploy bot", "scopes": ["read"]})).await;
    let secret = token["token"].as_str().unwrap().to_owned();
    let notice = mail.wait_for("mailed@example.org", 2, 15).await.remove(1);
    assert_eq!(notice.subject, "A new API token for your account");
    assert!(notice.text.contains("deploy bot") && notice.text.contains("read"));
    assert!(!notice.text.contains(&secret));

    let id = token["id"].as_str().unwrap();
    let response = app
        .post_json(&format!("/api/v1/tokens/{id}/email"), &json!({}))
        .await;
    assert_eq!(response.status(), 202);
    let summary = mail.wait_for("mailed@example.org", 3, 15).await.remove(2);
    assert!(
        summary.subject.contains("deploy bot"),
        "{}",
        summary.subject
    );
    assert!(
        summary.text.contains("Last used: never"),
        "{}",
        summary.text
    );
    assert!(!summary.text.contains(&secret));
}

async fn signed_urls_sign_in_once_within_their_time(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let me = app.register("signer").await;
    let sign = |url: &str| {
        app.client
            .post(app.url("/api/v1/auth/signing"))
            .json(&json!({"url": url}))
            .send()
    };
    let response = sign("/api/v1/account?view=full").await.unwrap();
    assert_eq!(response.status(), 200);
    let signed: Value = response.json().await.unwrap();
    let signed = signed["url"].as_str().unwrap().to_owned();
    assert!(
        signed.starts_with(&format!("{}/api/v1/account?view=full&sign=", app.base)),
        "{signed}"
    );

    // A browser with nothing: signed in as the signer, and sent on without `sign`.
    let stranger = common::browser();
    let response = stranger.get(&signed).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/api/v1/account?view=full");
    assert!(session_cookie(response.headers()).is_some());
    let account: Value = stranger
        .get(app.url("/api/v1/account"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["id"], me["id"]);
    // Once.
    let again = common::browser().get(&signed).send().await.unwrap();
    assert_eq!(again.status(), 302);
    assert!(session_cookie(again.headers()).is_none());

    // Within 30 s (configurable, published).
    let response = sign("/account").await.unwrap();
    let late: Value = response.json().await.unwrap();
    app.state.clock.advance(time::Duration::seconds(31));
    let response = common::browser()
        .get(late["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/account");
    assert!(session_cookie(response.headers()).is_none());

    // Only URLs of this site.
    for url in [
        "https://elsewhere.example/account",
        "//elsewhere.example/account",
        "account",
        "/\\elsewhere.example",
        "",
    ] {
        expect_error(sign(url).await.unwrap(), 422, "validation_failed").await;
    }
    assert_eq!(sign(&app.url("/account")).await.unwrap().status(), 200);
    // Nobody signs anything without signing in.
    let response = common::browser()
        .post(app.url("/api/v1/auth/signing"))
        .json(&json!({"url": "/account"}))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthenticated").await;
}

async fn tickets_sign_in_once(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let me = app.register("ticketed").await;
    let make = || app.client.post(app.url("/api/v1/auth/tickets")).send();
    let check = |ticket: &str| {
        common::browser()
            .post(app.url("/api/v1/auth/tickets/check"))
            .json(&json!({"ticket": ticket}))
            .send()
    };
    let response = make().await.unwrap();
    assert_eq!(response.status(), 201);
    let ticket: Value = response.json().await.unwrap();
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let response = check(&ticket).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(session_cookie(response.headers()).is_some());
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["id"], me["id"]);
    expect_error(check(&ticket).await.unwrap(), 400, "invalid_token").await;
    expect_error(check("made-up").await.unwrap(), 400, "invalid_token").await;

    let late: Value = make().await.unwrap().json().await.unwrap();
    app.state.clock.advance(time::Duration::seconds(301));
    expect_error(
        check(late["ticket"].as_str().unwrap()).await.unwrap(),
        400,
        "invalid_token",
    )
    .await;
}

async fn generated_passwords_pass_the_policy(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let response = common::browser()
        .post(app.url("/api/v1/auth/generate-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let password = body["password"].as_str().unwrap();
    assert!(password.chars().count() >= 16);
    let response = common::browser()
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({
            "username": "generated",
            "email": "generated@example.org",
            "password": password,
            "password_confirmation": password,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

on_both_databases!(
    tokens_authenticate_with_their_scopes,
    tokens_never_reach_session_routes,
    unknown_expired_revoked_and_disabled_tokens_get_401,
    another_accounts_token_is_not_found,
    token_requests_are_checked_and_lifetimes_configurable,
    last_use_is_written_at_most_once_a_minute,
    tokens_are_announced_and_summarised_by_mail_never_their_secret,
    signed_urls_sign_in_once_within_their_time,
    tickets_sign_in_once,
    generated_passwords_pass_the_policy,
);
