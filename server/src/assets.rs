//! The site's files (the WASM bundle, its JS and CSS, the favicon), read once at start-up
//! and served from memory: no disk access per request, and the brotli or gzip copy
//! cargo-leptos made is chosen by a look-up, not a `stat`.
//!
//! The bundle is served under a name that changes with its content,
//! `/<version>/pkg/latchkey.wasm`, so browsers may keep it for a year without asking
//! again (`immutable`), and a new build is never mixed with an old one. Every other file
//! keeps its name and is revalidated (`no-cache` with an `ETag`: a 304 when unchanged).

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the bundle's files are, under the site root.
pub const PKG_DIR: &str = "pkg";

/// For the bundle's files: their names change whenever their content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// For files that keep their name: ask again each time (a 304 when unchanged).
const REVALIDATE: &str = "no-cache";

/// One file, with the compressed copies that were found beside it.
struct Asset {
    content_type: HeaderValue,
    etag: HeaderValue,
    cache_control: &'static str,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// The site's files, by URL path.
#[derive(Clone)]
pub struct Assets {
    files: Arc<HashMap<String, Asset>>,
    /// `/<version>`: the prefix of the bundle's `pkg/` directory, where the pages link it.
    bundle_root: String,
}

impl Assets {
    /// Reads every file under `site_root` (the bundle under `pkg/`). The bundle's version
    /// is a digest of its files, so two instances of one build agree on it.
    pub fn load(site_root: &Path) -> Result<Assets, String> {
        let mut paths = Vec::new();
        list_files(site_root, &mut paths)
            .map_err(|e| format!("cannot read the site files in {}: {e}", site_root.display()))?;
        paths.sort();
        let read = |path: &Path| {
            std::fs::read(path)
                .map(Bytes::from)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let relative = |path: &Path| {
            path.strip_prefix(site_root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/")
        };

        let mut bundle = Sha256::new();
        let mut contents = Vec::new();
        for path in &paths {
            let name = relative(path);
            if name.ends_with(".br") || name.ends_with(".gz") {
                continue;
            }
            let identity = read(path)?;
            if name.starts_with(&format!("{PKG_DIR}/")) {
                bundle.update(name.as_bytes());
                bundle.update([0]);
                bundle.update(&identity);
            }
            let sibling = |extension: &str| {
                let mut sibling = path.clone().into_os_string();
                sibling.push(extension);
                let sibling = PathBuf::from(sibling);
                sibling.is_file().then(|| read(&sibling)).transpose()
            };
            contents.push((name, identity, sibling(".br")?, sibling(".gz")?));
        }
        let version = hex::encode(&bundle.finalize()[..8]);
        let bundle_root = format!("/{version}");

        let files = contents
            .into_iter()
            .map(|(name, identity, brotli, gzip)| {
                let content_type = mime_guess::from_path(&name).first_raw().map_or(
                    HeaderValue::from_static("application/octet-stream"),
                    HeaderValue::from_static,
                );
                let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&identity)[..12]));
                let (url, cache_control) = if name.starts_with(&format!("{PKG_DIR}/")) {
                    (format!("{bundle_root}/{name}"), IMMUTABLE)
                } else {
                    (format!("/{name}"), REVALIDATE)
                };
                let asset = Asset {
                    content_type,
                    etag: HeaderValue::from_str(&etag).expect("hex is a valid header value"),
                    cache_control,
                    identity,
                    brotli,
                    gzip,
                };
                (url, asset)
            })
            .collect();
        Ok(Assets {
            files: Arc::new(files),
            bundle_root,
        })
    }

    /// `/<version>`: the bundle's files are served under `<bundle_root>/pkg/`. The pages
    /// link them there (Leptos' `site_pkg_dir` stays `pkg`: that is also where it finds
    /// the bundle's split manifest on disk).
    pub fn bundle_root(&self) -> &str {
        &self.bundle_root
    }

    /// The answer for a GET or HEAD of `path`, if it names a file.
    fn answer(&self, path: &str, headers: &HeaderMap, head: bool) -> Option<Response> {
        let asset = self.files.get(path)?;
        let mut response = if headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tags| matches_etag(tags, &asset.etag))
        {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let (body, encoding) = match preferred_encoding(headers, asset) {
                Some((encoding, body)) => (body, Some(encoding)),
                None => (&asset.identity, None),
            };
            let mut response = if head {
                Response::new(Body::empty())
            } else {
                Response::new(Body::from(body.clone()))
            };
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, asset.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(asset.cache_control),
        );
        if asset.brotli.is_some() || asset.gzip.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        Some(response)
    }
}

/// Serves a site file when the request names one; anything else goes on (to the pages).
pub async fn serve(State(assets): State<Assets>, request: Request, next: Next) -> Response {
    let method = request.method();
    if method == Method::GET || method == Method::HEAD {
        let head = method == Method::HEAD;
        if let Some(response) = assets.answer(request.uri().path(), request.headers(), head) {
            return response;
        }
    }
    next.run(request).await
}

fn list_files(dir: &Path, into: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(&entry.path(), into)?;
        } else if kind.is_file() {
            into.push(entry.path());
        }
    }
    Ok(())
}

/// Whether `If-None-Match` names this entity tag (or is `*`).
fn matches_etag(tags: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(tags) = tags.to_str() else {
        return false;
    };
    let etag = etag.to_str().unwrap_or_default();
    tags.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The best compressed copy the client accepts: brotli, then gzip; `None` for the file
/// as it is.
fn preferred_encoding<'a>(
    headers: &HeaderMap,
    asset: &'a Asset,
) -> Option<(&'static str, &'a Bytes)> {
    let accepted = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next()?.to_ascii_lowercase();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (!refused).then_some(name)
        })
        .collect::<Vec<_>>();
    let accepts = |name: &str| accepted.iter().any(|coding| coding == name);
    match (&asset.brotli, &asset.gzip) {
        (Some(body), _) if accepts("br") => Some(("br", body)),
        (_, Some(body)) if accepts("gzip") => Some(("gzip", body)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, Assets) {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("latchkey.wasm"), b"wasm bytes").unwrap();
        std::fs::write(pkg.join("latchkey.wasm.br"), b"br").unwrap();
        std::fs::write(pkg.join("latchkey.wasm.gz"), b"gz").unwrap();
        std::fs::write(dir.path().join("favicon.svg"), b"<svg/>").unwrap();
        let assets = Assets::load(dir.path()).unwrap();
        (dir, assets)
    }

    fn get(
        assets: &Assets,
        path: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> Option<Response> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(name, HeaderValue::from_str(value).unwrap());
        }
        assets.answer(path, &map, false)
    }

    #[test]
    fn the_bundle_is_named_by_its_content_and_kept_a_year() {
        let (dir, assets) = site();
        let wasm = format!("{}/pkg/latchkey.wasm", assets.bundle_root());
        let response = get(&assets, &wasm, &[]).unwrap();
        assert_eq!(response.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
        assert!(
            get(&assets, "/pkg/latchkey.wasm", &[]).is_none(),
            "no unversioned name"
        );

        std::fs::write(dir.path().join("pkg/latchkey.wasm"), b"another build").unwrap();
        let rebuilt = Assets::load(dir.path()).unwrap();
        assert_ne!(rebuilt.bundle_root(), assets.bundle_root());
        let again = Assets::load(dir.path()).unwrap();
        assert_eq!(
            again.bundle_root(),
            rebuilt.bundle_root(),
            "the same files, the same name"
        );
    }

    #[test]
    fn the_smallest_accepted_copy_is_sent() {
        let (_dir, assets) = site();
        let wasm = format!("{}/pkg/latchkey.wasm", assets.bundle_root());
        let encoding = |accept: &str| {
            let response = get(&assets, &wasm, &[(header::ACCEPT_ENCODING, accept)]).unwrap();
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(encoding("gzip, deflate, br, zstd").as_deref(), Some("br"));
        assert_eq!(encoding("gzip").as_deref(), Some("gzip"));
        assert_eq!(encoding("br;q=0, gzip;q=0.5").as_deref(), Some("gzip"));
        assert_eq!(encoding("identity"), None);
    }

    #[test]
    fn other_files_are_revalidated_by_their_tag() {
        let (_dir, assets) = site();
        let first = get(&assets, "/favicon.svg", &[]).unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[header::CACHE_CONTROL], REVALIDATE);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = get(&assets, "/favicon.svg", &[(header::IF_NONE_MATCH, &etag)]).unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(get(&assets, "/nothing-here", &[]).is_none());
    }
}
