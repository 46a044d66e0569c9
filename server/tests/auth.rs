//! Register, sign in, sign out over HTTP, on SQLite and Postgres: status codes, cookies,
//! the error shape, throttling and what is really stored.

mod common;

use common::{
    expect_error, session_cookie, set_cookie, spawn, spawn_with, with_cookie, Backend, PASSWORD,
};
use reqwest::Method;
use serde_json::{json, Value};

async fn register_creates_the_account_and_signs_in(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
        .json(&json!({
            "username": "Ada_Lovelace",
            "email": "  Ada@Example.ORG ",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cookie = set_cookie(response.headers()).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "http public URL: no Secure flag: {cookie}"
    );
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["username"], "Ada_Lovelace");
    assert_eq!(user["email"], "ada@example.org");
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["role"], "user");
    assert_eq!(user["language"], "fr");
    assert_eq!(user["timezone"], "UTC");
    assert!(user["first_name"].is_null());
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    let created = user["created_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert!(created.ends_with('Z'), "UTC: {created}");

    let account: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert_eq!(account, user);

    // The password is stored as an argon2id hash, never in clear.
    let hashes = app.column("SELECT password_hash FROM users").await;
    assert_eq!(hashes.len(), 1);
    assert!(
        hashes[0].starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        hashes[0]
    );
    assert!(!hashes[0].contains(PASSWORD));
}

async fn cookies_are_secure_behind_https(backend: Backend) {
    let Some(app) = spawn_with(
        backend,
        &[("LATCHKEY_PUBLIC_URL", "https://id.example.com")],
    )
    .await
    else {
        return;
    };
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "secure", "email": "secure@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let cookie = set_cookie(response.headers()).unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

async fn register_reports_every_bad_field(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let body = expect_error(
        app.post_json(
            "/api/v1/auth/register",
            &json!({"username": "a b", "email": "nope", "password": "short", "password_confirmation": "other"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields = &body["error"]["fields"];
    assert_eq!(
        fields["username"],
        "Only letters, digits, '.', '_' and '-' are allowed"
    );
    assert_eq!(fields["email"], "Enter a valid email address");
    assert_eq!(fields["password"], "8 to 128 characters required");
    assert_eq!(fields["password_confirmation"], "Passwords do not match");

    // Missing fields are named, not a parse failure.
    let body = expect_error(
        app.post_json("/api/v1/auth/register", &json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["error"]["fields"]["username"], "Required");
    assert_eq!(body["error"]["fields"]["password"], "Required");

    // The server also refuses common passwords and one equal to the username.
    let body = expect_error(
        app.post_json(
            "/api/v1/auth/register",
            &json!({"username": "grace", "email": "g@example.org", "password": "Password123", "password_confirmation": "Password123"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["password"],
        "This password is too common; choose another"
    );
    let body = expect_error(
        app.post_json(
            "/api/v1/auth/register",
            &json!({"username": "gracehopper", "email": "g@example.org", "password": "GraceHopper", "password_confirmation": "GraceHopper"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["password"],
        "Must not be your username or email address"
    );
    assert_eq!(app.count("users").await, 0);
}

async fn taken_username_or_email_is_a_conflict(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("grace").await;
    let other = common::browser();
    let response = other
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "GRACE", "email": "new@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 409, "conflict").await;
    assert_eq!(
        body["error"]["fields"]["username"],
        "This username is taken"
    );
    let response = other
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "hopper", "email": "Grace@Example.org", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 409, "conflict").await;
    assert_eq!(
        body["error"]["fields"]["email"],
        "An account with this email address already exists"
    );
    assert_eq!(app.count("users").await, 1);
}

async fn closed_or_invite_only_registration_is_refused(backend: Backend) {
    for mode in ["closed", "invite"] {
        let Some(app) = spawn_with(backend, &[("LATCHKEY_REGISTRATION", mode)]).await else {
            return;
        };
        let response = app
            .post_json(
                "/api/v1/auth/register",
                &json!({"username": "ada", "email": "ada@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}),
            )
            .await;
        expect_error(response, 403, "registration_disabled").await;
        let methods: Value = app.get("/api/v1/auth/methods").await.json().await.unwrap();
        assert_eq!(methods["registration"], mode);
        assert_eq!(methods["registration_open"], false);
        assert_eq!(app.count("users").await, 0);
    }
}

async fn login_accepts_username_or_email_in_any_case(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("Linus").await;
    for login in ["Linus", "linus", "LINUS@example.org", "linus@example.org"] {
        let browser = common::browser();
        let response = app.login(&browser, login, PASSWORD).await;
        assert_eq!(response.status(), 200, "login as {login}");
        assert!(session_cookie(response.headers()).is_some());
        let user: Value = response.json().await.unwrap();
        assert_eq!(user["username"], "Linus");
        let account = browser
            .get(app.url("/api/v1/account"))
            .send()
            .await
            .unwrap();
        assert_eq!(account.status(), 200);
    }
}

async fn every_wrong_login_gets_the_same_answer(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("margaret").await;
    let browser = common::browser();
    let wrong_password = expect_error(
        app.login(&browser, "margaret", "not-the-password").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown_user = expect_error(
        app.login(&browser, "nobody", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown_email = expect_error(
        app.login(&browser, "nobody@example.org", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password, unknown_email);
    // Passwords are never trimmed.
    expect_error(
        app.login(&browser, "margaret", &format!(" {PASSWORD} "))
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    // An empty field is a validation error, not a guess.
    let body = expect_error(app.login(&browser, "", "").await, 422, "validation_failed").await;
    assert_eq!(body["error"]["fields"]["login"], "Required");
    assert_eq!(app.account_status(&browser).await, 401);
}

async fn passwords_are_compared_after_unicode_normalisation(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    // Full-width letters and a decomposed accent, as some keyboards type them.
    let typed = "Ｖｉｏｌｅｔ-cafe\u{301}-92";
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "unicode", "email": "u@example.org", "password": typed, "password_confirmation": typed}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let response = app
        .login(&common::browser(), "unicode", "Violet-caf\u{e9}-92")
        .await;
    assert_eq!(response.status(), 200);
}

async fn sign_in_cycles_the_session_id(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("cycle").await;
    let first = session_cookie(app.login(&app.client, "cycle", PASSWORD).await.headers()).unwrap();
    let second = session_cookie(app.login(&app.client, "cycle", PASSWORD).await.headers()).unwrap();
    assert_ne!(first, second, "a new id at each sign-in");
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/account", &first)
            .await
            .status(),
        401
    );
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/account", &second)
            .await
            .status(),
        200
    );

    // A planted (fixated) id is never adopted.
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .header("cookie", format!("latchkey_session={planted}"))
        .json(&json!({"login": "cycle", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_ne!(session_cookie(response.headers()).unwrap(), planted);
}

async fn sign_out_makes_the_server_forget_the_session(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("leaver").await;
    let cookie =
        session_cookie(app.login(&app.client, "leaver", PASSWORD).await.headers()).unwrap();
    let sessions_before = app.count("sessions").await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let removal = set_cookie(response.headers()).expect("the cookie is removed");
    assert!(
        removal.contains("Max-Age=0") || removal.contains("expires=Thu, 01 Jan 1970"),
        "{removal}"
    );
    assert_eq!(app.count("sessions").await, sessions_before - 1);

    // Replaying the old cookie gets nothing.
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/account", &cookie)
            .await
            .status(),
        401
    );
    let again = with_cookie(&app, Method::POST, "/api/v1/auth/logout", &cookie).await;
    expect_error(again, 401, "unauthenticated").await;
}

async fn session_ids_are_stored_only_as_keyed_hashes(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("hashed").await;
    let cookie =
        session_cookie(app.login(&app.client, "hashed", PASSWORD).await.headers()).unwrap();
    let rows = app
        .column("SELECT id_hash || ' ' || data FROM sessions")
        .await;
    assert!(!rows.is_empty());
    for row in rows {
        assert!(
            !row.contains(&cookie),
            "the cookie value is not in the database: {row}"
        );
        let hash = row.split(' ').next().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    }
    let owners = app.column("SELECT user_id FROM sessions").await;
    assert!(
        owners.iter().all(|o| !o.is_empty()),
        "signed-in sessions name their account"
    );
}

async fn failed_sign_ins_are_throttled_per_account(backend: Backend) {
    let Some(app) = spawn_with(backend, &[("LATCHKEY_LOGIN_FAILURES_PER_ACCOUNT", "3")]).await
    else {
        return;
    };
    app.register("target").await;
    app.register("bystander").await;
    let browser = common::browser();
    for _ in 0..3 {
        expect_error(
            app.login(&browser, "target", "wrong-guess-1").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // The limit is reached: even the right password (and the email) is refused for now.
    for login in ["target", "target@example.org"] {
        let response = app.login(&browser, login, PASSWORD).await;
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        expect_error(response, 429, "too_many_requests").await;
    }
    // Other accounts from the same address are not affected.
    assert_eq!(
        app.login(&browser, "bystander", PASSWORD).await.status(),
        200
    );
    // Unknown names are throttled the same way, so 429 does not tell who exists.
    for _ in 0..3 {
        expect_error(
            app.login(&browser, "ghost", "wrong-guess-1").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    expect_error(
        app.login(&browser, "ghost", "wrong-guess-1").await,
        429,
        "too_many_requests",
    )
    .await;
    let rules: Value = app.get("/api/v1/auth/rules").await.json().await.unwrap();
    assert_eq!(rules["throttle"]["failed_logins_per_account"], 3);
}

async fn failed_sign_ins_are_throttled_per_address(backend: Backend) {
    let Some(app) = spawn_with(backend, &[("LATCHKEY_LOGIN_FAILURES_PER_ADDRESS", "4")]).await
    else {
        return;
    };
    app.register("victim").await;
    let browser = common::browser();
    for i in 0..4 {
        let name = format!("spray{i}");
        expect_error(
            app.login(&browser, &name, "password-spray").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    expect_error(
        app.login(&browser, "victim", PASSWORD).await,
        429,
        "too_many_requests",
    )
    .await;
}

async fn a_successful_sign_in_resets_the_account_counter(backend: Backend) {
    let Some(app) = spawn_with(backend, &[("LATCHKEY_LOGIN_FAILURES_PER_ACCOUNT", "3")]).await
    else {
        return;
    };
    app.register("forgetful").await;
    let browser = common::browser();
    for _ in 0..2 {
        expect_error(
            app.login(&browser, "forgetful", "typo-typo").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_eq!(
        app.login(&browser, "forgetful", PASSWORD).await.status(),
        200
    );
    for _ in 0..2 {
        expect_error(
            app.login(&browser, "forgetful", "typo-typo").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_eq!(
        app.login(&browser, "forgetful", PASSWORD).await.status(),
        200
    );
}

async fn concurrent_wrong_guesses_cannot_race_the_throttle(backend: Backend) {
    // The per-account limit (10 by default) holds however many guesses arrive at once:
    // ten are evaluated, the rest are refused before a hash is computed.
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("besieged").await;
    let guesses = (0..50).map(|_| {
        common::browser()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "login": "besieged", "password": "wrong-guess-1" }))
    });
    assert_eq!(
        common::statuses_at_once(guesses).await,
        [(401, 10), (429, 40)].into(),
        "50 concurrent wrong passwords"
    );

    // The per-address limit the same way, with guesses spread over many names.
    let Some(app) = spawn_with(backend, &[("LATCHKEY_LOGIN_FAILURES_PER_ADDRESS", "7")]).await
    else {
        return;
    };
    let guesses = (0..50).map(|i| {
        common::browser()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "login": format!("spray{i}"), "password": "password-spray" }))
    });
    assert_eq!(
        common::statuses_at_once(guesses).await,
        [(401, 7), (429, 43)].into()
    );
}

async fn rules_and_methods_publish_the_configuration(backend: Backend) {
    let Some(app) = spawn_with(
        backend,
        &[
            ("LATCHKEY_USERNAME_MIN_LENGTH", "5"),
            ("LATCHKEY_PASSWORD_MIN_LENGTH", "12"),
        ],
    )
    .await
    else {
        return;
    };
    let rules: Value = app.get("/api/v1/auth/rules").await.json().await.unwrap();
    assert_eq!(rules["username"]["min_length"], 5);
    assert_eq!(rules["username"]["max_length"], 32);
    assert_eq!(rules["password"]["min_length"], 12);
    assert_eq!(rules["password"]["max_length"], 128);
    assert_eq!(rules["registration"], "open");
    assert_eq!(rules["throttle"]["failed_logins_per_address"], 100);
    assert_eq!(rules["throttle"]["window_seconds"], 900);
    assert_eq!(rules["languages"], json!(["en", "fr"]));
    let methods: Value = app.get("/api/v1/auth/methods").await.json().await.unwrap();
    assert_eq!(methods["password"], true);
    assert_eq!(methods["registration_open"], true);
    // The configured limits are the ones enforced.
    let body = expect_error(
        app.post_json(
            "/api/v1/auth/register",
            &json!({"username": "abcd", "email": "a@example.org", "password": "eleven-char", "password_confirmation": "eleven-char"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["username"],
        "5 to 32 characters required"
    );
    assert_eq!(
        body["error"]["fields"]["password"],
        "12 to 128 characters required"
    );
}

async fn health_answers_when_the_database_does(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"], common::backend_name(backend));
}

on_both_databases!(
    register_creates_the_account_and_signs_in,
    cookies_are_secure_behind_https,
    register_reports_every_bad_field,
    taken_username_or_email_is_a_conflict,
    closed_or_invite_only_registration_is_refused,
    login_accepts_username_or_email_in_any_case,
    every_wrong_login_gets_the_same_answer,
    passwords_are_compared_after_unicode_normalisation,
    sign_in_cycles_the_session_id,
    sign_out_makes_the_server_forget_the_session,
    session_ids_are_stored_only_as_keyed_hashes,
    failed_sign_ins_are_throttled_per_account,
    failed_sign_ins_are_throttled_per_address,
    a_successful_sign_in_resets_the_account_counter,
    concurrent_wrong_guesses_cannot_race_the_throttle,
    rules_and_methods_publish_the_configuration,
    health_answers_when_the_database_does,
);
