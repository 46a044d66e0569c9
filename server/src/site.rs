//! The site: its files (the WASM bundle, JS glue and CSS, found from any working
//! directory and held in memory) and the options Leptos renders its pages with.

use crate::assets::{Assets, PKG_DIR};
use backend::config::Config;
use leptos::config::{Env, LeptosOptions};
use std::path::{Path, PathBuf};

/// What the pages are rendered with and the files they link.
#[derive(Clone)]
pub struct Site {
    pub leptos: LeptosOptions,
    pub assets: Assets,
}

impl Site {
    /// Reads the site's files under `root`; the pages link the bundle where it is served
    /// (`Assets::bundle_root`).
    pub fn load(config: &Config, root: &Path) -> Result<Site, String> {
        let assets = Assets::load(root)?;
        let leptos = LeptosOptions::builder()
            .output_name("latchkey")
            .site_root(root.to_string_lossy().to_string())
            .site_pkg_dir(PKG_DIR)
            .env(Env::PROD)
            .site_addr(config.bind)
            .build();
        Ok(Site { leptos, assets })
    }
}

/// The file whose presence marks a site root.
const MARKER: &str = "pkg/latchkey.wasm";

/// The configured site root, else the first of: `LEPTOS_SITE_ROOT` (set by cargo-leptos),
/// `site/` next to the binary, `../site` from the binary (cargo-leptos' `target/release`
/// layout), `target/site` under the working directory.
pub fn find_site_root(configured: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = configured {
        return if path.join(MARKER).is_file() {
            Ok(path.to_owned())
        } else {
            Err(format!(
                "LATCHKEY_SITE_ROOT={} does not contain {MARKER}",
                path.display()
            ))
        };
    }
    let mut candidates = Vec::new();
    if let Ok(root) = std::env::var("LEPTOS_SITE_ROOT") {
        candidates.push(PathBuf::from(root));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned))
    {
        candidates.push(exe_dir.join("site"));
        candidates.push(exe_dir.join("../site"));
    }
    candidates.push(PathBuf::from("target/site"));
    candidates
        .iter()
        .find(|dir| dir.join(MARKER).is_file())
        .map(|dir| dir.canonicalize().unwrap_or_else(|_| dir.clone()))
        .ok_or_else(|| {
            format!(
                "cannot find the site files ({MARKER}) in {}; build them with \
                 `cargo leptos build --release --split` or set LATCHKEY_SITE_ROOT",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}
