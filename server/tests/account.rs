//! The account endpoints on SQLite and Postgres: profile, picture (hostile uploads
//! included), password change, devices, export and deletion.

mod common;

use common::{
    expect_error, session_cookie, spawn, spawn_with, with_cookie, Backend, TestApp, PASSWORD,
};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Cursor;

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn photo(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    }))
}

const GPS_MARKER: &[u8] = b"LATCHKEY-GPS-MARKER 48.8584N 2.2945E";

/// A JPEG carrying an EXIF block (APP1) with a GPS IFD and a marker string.
fn jpeg_with_gps() -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    // IFD0 at 8: ImageDescription (ASCII, at 56) and the GPS IFD pointer (38).
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x0e, 0x00, 0x02]);
    tiff.extend_from_slice(&(GPS_MARKER.len() as u32 + 1).to_be_bytes());
    tiff.extend_from_slice(&56u32.to_be_bytes());
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend_from_slice(&38u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD at 38: GPSLatitudeRef = "N".
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[
        0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0, 0, 0,
    ]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(tiff.len(), 56);
    tiff.extend_from_slice(GPS_MARKER);
    tiff.push(0);
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend_from_slice(&tiff);
    let jpeg = encode(photo(400, 300), ImageFormat::Jpeg);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    chunk
}

/// A tiny, valid-looking PNG that claims to be 50,000 × 50,000 pixels.
fn png_bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 50_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

/// Sends a multipart upload of `file` over a raw connection, with a declared length or
/// chunked (no length known up front), and returns the status the server answers with.
/// The server may answer and stop reading before the body is over (it does not read what
/// it refuses); writes after that are expected to fail, so they are not checked.
async fn raw_upload(app: &TestApp, cookie: &str, file: &[u8], chunked: bool) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let boundary = "latchkeyboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "PUT /api/v1/account/picture HTTP/1.1\r\nHost: {}\r\nCookie: latchkey_session={cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(32 * 1024) {
        let framed = if chunked {
            [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat()
        } else {
            chunk.to_vec()
        };
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers")
        .expect("the answer can be read");
    let status_line = String::from_utf8_lossy(&answer[..read]);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {status_line}"))
}

async fn upload(app: &TestApp, file_name: &str, mime: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .unwrap();
    app.client
        .put(app.url("/api/v1/account/picture"))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

fn stored_pictures(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.db.dir.join("data/blobs"), &mut found);
    found
}

async fn profile_fields_change_one_by_one(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    // Authorization comes before validation.
    let response = common::browser()
        .patch(app.url("/api/v1/account"))
        .json(&json!({"birth_date": "not a date"}))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthenticated").await;

    app.register("ada").await;
    let patch = |body: Value| {
        app.client
            .patch(app.url("/api/v1/account"))
            .json(&body)
            .send()
    };
    let response = patch(json!({
        "first_name": " Ada ", "last_name": "Lovelace", "bio": "Analyst.\nPoet of science.",
        "location": "London", "birth_date": "1915-12-10", "timezone": "Europe/London", "language": "fr"
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["bio"], "Analyst.\nPoet of science.");
    assert_eq!(user["birth_date"], "1915-12-10");
    assert_eq!(user["timezone"], "Europe/London");
    assert_eq!(user["language"], "fr");

    // A subset changes only itself; null or "" clears.
    let user: Value = patch(json!({"location": null, "last_name": ""}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(user["location"].is_null() && user["last_name"].is_null());
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["timezone"], "Europe/London");

    // An empty body, or {}, answers the unchanged profile.
    let empty = app
        .client
        .patch(app.url("/api/v1/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.json::<Value>().await.unwrap(), user);
    assert_eq!(
        patch(json!({}))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap(),
        user
    );

    let body = expect_error(
        patch(json!({
            "first_name": "x".repeat(101), "birth_date": "2999-01-01", "timezone": "Mars/Olympus",
            "language": "de", "bio": "y".repeat(1001)
        }))
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let fields = &body["error"]["fields"];
    assert_eq!(fields["first_name"], "At most 100 characters");
    assert_eq!(fields["birth_date"], "A birth date cannot be in the future");
    assert_eq!(fields["timezone"], "Choose a time zone from the list");
    assert_eq!(fields["language"], "Choose one of: en, fr");
    assert_eq!(fields["bio"], "At most 1000 characters");
    expect_error(
        patch(json!({"birth_date": "2001-02-29"})).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    // Nothing of a refused change was kept.
    let now: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert_eq!(now, user);
}

async fn a_picture_is_processed_served_and_removed(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("grace").await;
    let response = upload(
        &app,
        "me.png",
        "image/png",
        encode(photo(640, 480), ImageFormat::Png),
    )
    .await;
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    let url = user["picture_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/api/v1/users/grace/picture?v="), "{url}");

    let served = common::browser().get(app.url(&url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = served.bytes().await.unwrap();
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (256, 256));

    // Without the version it is revalidated; with the ETag, 304.
    let plain = common::browser()
        .get(app.url("/api/v1/users/GRACE/picture"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    let again = common::browser()
        .get(app.url("/api/v1/users/grace/picture"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // Replacing keeps exactly one stored file; removing leaves none.
    let replaced: Value = upload(
        &app,
        "other.gif",
        "image/gif",
        encode(photo(300, 900), ImageFormat::Gif),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_ne!(replaced["picture_url"], user["picture_url"]);
    assert_eq!(stored_pictures(&app).len(), 1);
    let removed = app
        .client
        .delete(app.url("/api/v1/account/picture"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert!(stored_pictures(&app).is_empty());
    expect_error(
        app.get("/api/v1/users/grace/picture").await,
        404,
        "not_found",
    )
    .await;
    let me: Value = app.get("/api/v1/account").await.json().await.unwrap();
    assert!(me["picture_url"].is_null());
}

async fn hostile_uploads_are_refused_and_the_server_stays_up(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("mallory").await;

    // Over the limit (1 MB): refused before it is read.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(2 * 1024 * 1024, 7);
    let cookie = session_cookie(
        app.login(&common::browser(), "mallory", PASSWORD)
            .await
            .headers(),
    )
    .unwrap();
    assert_eq!(raw_upload(&app, &cookie, &big, false).await, 413);
    // Streamed without a length: cut off while streaming, answered before it ends.
    assert_eq!(raw_upload(&app, &cookie, &big, true).await, 413);

    // Decided by content: an SVG or HTML page named like an image is not one.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    expect_error(
        upload(&app, "cute.png", "image/png", svg).await,
        415,
        "unsupported_media_type",
    )
    .await;
    let html = b"<!DOCTYPE html><script>alert(1)</script>".to_vec();
    expect_error(
        upload(&app, "cute.jpg", "image/jpeg", html).await,
        415,
        "unsupported_media_type",
    )
    .await;

    // A truncated image, and a decompression bomb, get a clear 422.
    let png = encode(photo(640, 480), ImageFormat::Png);
    let body = expect_error(
        upload(&app, "half.png", "image/png", png[..png.len() / 2].to_vec()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["file"],
        "The image could not be read; it may be damaged"
    );
    let started = std::time::Instant::now();
    let body = expect_error(
        upload(&app, "bomb.png", "image/png", png_bomb()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["file"],
        "The image is too large: at most 4096 × 4096 pixels"
    );
    assert!(started.elapsed().as_secs() < 5, "refused without decoding");

    // No file, or not multipart at all.
    let response = app
        .client
        .put(app.url("/api/v1/account/picture"))
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    expect_error(response, 422, "validation_failed").await;
    let response = app
        .client
        .put(app.url("/api/v1/account/picture"))
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(response, 415, "unsupported_media_type").await;

    assert!(
        stored_pictures(&app).is_empty(),
        "nothing refused was stored"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn exif_and_gps_never_reach_the_served_picture(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("traveller").await;
    let original = jpeg_with_gps();
    assert!(original.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
    let response = upload(&app, "holiday.jpg", "image/jpeg", original).await;
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    let served = app
        .get(user["picture_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        !served.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER),
        "the GPS data is gone"
    );
    assert!(
        !served.windows(4).any(|w| w == b"Exif"),
        "no EXIF block at all"
    );
    for file in stored_pictures(&app) {
        let stored = std::fs::read(file).unwrap();
        assert!(
            !stored.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER),
            "not stored either"
        );
    }
}

async fn the_picture_server_function_takes_a_form_upload(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("formy").await;
    let part = Part::bytes(encode(photo(100, 100), ImageFormat::WebP)).file_name("x.webp");
    let response = app
        .client
        .post(app.url("/fn/account/picture"))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert!(user["picture_url"].as_str().is_some());
    let response = app
        .client
        .post(app.url("/fn/account/picture"))
        .multipart(Form::new().part("file", Part::bytes(b"not an image".to_vec())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
}

async fn changing_the_password_signs_out_the_other_devices(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("linus").await;
    let laptop = common::browser();
    assert_eq!(app.login(&laptop, "linus", PASSWORD).await.status(), 200);
    let change = async |body: Value| app.post_json("/api/v1/auth/password/change", &body).await;

    let body = expect_error(
        change(json!({"current_password": "wrong-one-1", "new_password": "fresh-anchor-77", "new_password_confirmation": "fresh-anchor-77"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["current_password"],
        "Incorrect password"
    );
    let body = expect_error(
        change(json!({"current_password": PASSWORD, "new_password": "linus", "new_password_confirmation": "linux"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["new_password"],
        "8 to 128 characters required"
    );
    assert_eq!(
        body["error"]["fields"]["new_password_confirmation"],
        "Passwords do not match"
    );

    let response = change(json!({"current_password": PASSWORD, "new_password": "fresh-anchor-77", "new_password_confirmation": "fresh-anchor-77"}))
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get("/api/v1/account").await.status(),
        200,
        "this device stays signed in"
    );
    assert_eq!(app.account_status(&laptop).await, 401);
    app.assert_password_changed("linus", PASSWORD, "fresh-anchor-77")
        .await;
}

/// An account signed in from many places (a script that signs in each time) lists the
/// current device and the most recently active others, saying how many there are.
async fn the_account_page_lists_the_most_recent_devices(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("scripted").await;
    for _ in 0..24 {
        let response = app.login(&common::browser(), "scripted", PASSWORD).await;
        assert_eq!(response.status(), 200);
    }
    let page = app.get("/account").await.text().await.unwrap();
    assert!(
        page.contains("The 20 most recently active of 25 devices."),
        "{page}"
    );
    assert_eq!(page.matches("aria-label=\"Sign out ").count(), 19, "{page}");
}

async fn devices_are_listed_and_signed_out(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("margaret").await;
    let phone = common::browser();
    let phone_cookie = session_cookie(
        phone
            .post(app.url("/api/v1/auth/login"))
            .header(
                "user-agent",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
            )
            .json(&json!({"login": "margaret", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .headers(),
    )
    .unwrap();

    let page: Value = app
        .get("/api/v1/account/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.iter().filter(|d| d["current"] == true).count(), 1);
    for item in items {
        assert_ne!(
            item["id"].as_str().unwrap(),
            phone_cookie,
            "an id is never a cookie value"
        );
        assert!(item["created_at"].as_str().is_some() && item["last_seen_at"].as_str().is_some());
        assert_eq!(item["address"], "127.0.0.1");
    }
    let phone_entry = items.iter().find(|d| d["current"] == false).unwrap();
    assert!(phone_entry["user_agent"]
        .as_str()
        .unwrap()
        .contains("iPhone"));

    let paged: Value = app
        .get("/api/v1/account/sessions?limit=1&offset=1&ordering=created_at")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged["total"], 2);
    expect_error(
        app.get("/api/v1/account/sessions?limit=500").await,
        422,
        "validation_failed",
    )
    .await;
    expect_error(
        app.get("/api/v1/account/sessions?ordering=password").await,
        422,
        "validation_failed",
    )
    .await;

    let id = phone_entry["id"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/account/sessions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        with_cookie(&app, Method::GET, "/api/v1/account", &phone_cookie)
            .await
            .status(),
        401
    );
    let response = app
        .client
        .delete(app.url("/api/v1/account/sessions/no-such-session"))
        .send()
        .await
        .unwrap();
    expect_error(response, 404, "not_found").await;

    // Another account's session is not yours to end.
    let other = common::browser();
    other
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "other", "email": "other@example.org", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await
        .unwrap();
    let mine: Value = app
        .get("/api/v1/account/sessions")
        .await
        .json()
        .await
        .unwrap();
    let my_id = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let response = other
        .delete(app.url(&format!("/api/v1/account/sessions/{my_id}")))
        .send()
        .await
        .unwrap();
    expect_error(response, 404, "not_found").await;
    assert_eq!(app.get("/api/v1/account").await.status(), 200);
}

async fn export_holds_everything_but_secrets(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    app.register("exporter").await;
    app.client
        .patch(app.url("/api/v1/account"))
        .json(&json!({"bio": "Hello"}))
        .send()
        .await
        .unwrap();
    let response = app.get("/api/v1/account/export").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"latchkey-exporter.json\""
    );
    let text = response.text().await.unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["account"]["username"], "exporter");
    assert_eq!(export["account"]["bio"], "Hello");
    assert_eq!(export["devices"].as_array().unwrap().len(), 1);
    assert!(export["exported_at"].as_str().is_some());
    for secret in ["argon2", "password", PASSWORD, "latchkey_session"] {
        assert!(!text.contains(secret), "the export has no {secret}");
    }
    expect_error(
        common::browser()
            .get(app.url("/api/v1/account/export"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
}

async fn deleting_the_account_removes_every_trace(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let user = app.register("leaving").await;
    let id = user["id"].as_str().unwrap().to_owned();
    upload(
        &app,
        "me.png",
        "image/png",
        encode(photo(64, 64), ImageFormat::Png),
    )
    .await;
    let other_device = common::browser();
    app.login(&other_device, "leaving", PASSWORD).await;
    // A failed check leaves a throttle counter for the account.
    let delete = |password: &str| {
        app.client
            .delete(app.url("/api/v1/account"))
            .json(&json!({"password": password}))
            .send()
    };
    let body = expect_error(
        delete("wrong-password").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["error"]["fields"]["password"], "Incorrect password");
    assert_eq!(app.count("users").await, 1);

    let response = delete(PASSWORD).await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(
        common::set_cookie(response.headers()).is_some(),
        "the cookie is removed"
    );
    assert_eq!(app.get("/api/v1/account").await.status(), 401);
    assert_eq!(app.account_status(&other_device).await, 401);
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sessions").await, 0);
    let leftovers = app
        .column(&format!("SELECT key FROM throttle WHERE key LIKE '%{id}%'"))
        .await;
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(stored_pictures(&app).is_empty());
    expect_error(
        app.login(&common::browser(), "leaving", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
}

async fn the_picture_limit_is_configurable_and_published(backend: Backend) {
    let Some(app) = spawn_with(backend, &[("LATCHKEY_PICTURE_MAX_BYTES", "20000")]).await else {
        return;
    };
    let rules: Value = app.get("/api/v1/auth/rules").await.json().await.unwrap();
    assert_eq!(rules["upload"]["picture_max_bytes"], 20000);
    assert_eq!(rules["upload"]["picture_size"], 256);
    app.register("small").await;
    let response = upload(
        &app,
        "big.png",
        "image/png",
        encode(photo(600, 600), ImageFormat::Png),
    )
    .await;
    expect_error(response, 413, "payload_too_large").await;
}

on_both_databases!(
    the_account_page_lists_the_most_recent_devices,
    profile_fields_change_one_by_one,
    a_picture_is_processed_served_and_removed,
    hostile_uploads_are_refused_and_the_server_stays_up,
    exif_and_gps_never_reach_the_served_picture,
    the_picture_server_function_takes_a_form_upload,
    changing_the_password_signs_out_the_other_devices,
    devices_are_listed_and_signed_out,
    export_holds_everything_but_secrets,
    deleting_the_account_removes_every_trace,
    the_picture_limit_is_configurable_and_published,
);
