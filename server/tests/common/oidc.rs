//! A real OpenID provider for the sign-in tests: `oidc-provider` (OpenID Certified) in
//! node on a free loopback port, as `scripts/oidc-provider/provider.mjs` sets it up (one
//! confidential client with PKCE required, a few accounts). Each test app gets its own.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The client the provider knows Latchkey as.
pub const CLIENT_ID: &str = "latchkey";
pub const CLIENT_SECRET: &str = "latchkey-test-secret";

pub struct TestProvider {
    pub issuer: String,
    child: Child,
    _stdout: ChildStdout,
}

impl TestProvider {
    /// Starts the provider for a client whose callback is `redirect_uri`, or returns
    /// `None` when node or the provider's packages are not installed (an error with
    /// `LATCHKEY_TEST_REQUIRE_OIDC=1`, as in CI).
    pub fn start(redirect_uri: &str) -> Option<TestProvider> {
        let script = std::env::var("LATCHKEY_TEST_OIDC_PROVIDER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../scripts/oidc-provider/provider.mjs")
            });
        let packages = script.with_file_name("node_modules").join("oidc-provider");
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !node || !packages.exists() {
            let required = std::env::var("LATCHKEY_TEST_REQUIRE_OIDC").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "LATCHKEY_TEST_REQUIRE_OIDC=1 but node or {} is missing",
                packages.display()
            );
            eprintln!("skipped: run `npm ci` in scripts/oidc-provider (or ./scripts/test) to run the OpenID tests");
            return None;
        }
        let mut child = Command::new("node")
            .arg(&script)
            .env("REDIRECT_URIS", redirect_uri)
            .env("PORT", "0")
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OpenID provider");
        let stdout = child.stdout.take().expect("the provider's stdout");
        let (sender, receiver) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = sender.send(line);
            reader.into_inner()
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the OpenID provider did not start");
        let port: u16 = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the OpenID provider said {line:?}"));
        Some(TestProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            child,
            _stdout: reader.join().expect("the reader thread"),
        })
    }

    /// Makes the provider's next ID tokens fail a check (`other-key`, `wrong-aud`,
    /// `expired`, `wrong-nonce`), or answer as they should again (`none`).
    pub async fn tamper(&self, mode: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/test/tamper", self.issuer))
            .form(&[("mode", mode)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
