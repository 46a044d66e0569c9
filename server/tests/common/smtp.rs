//! A real SMTP server for the mail tests: aiosmtpd on a free loopback port, storing what
//! it receives in a Maildir that the tests read. Each test gets its own, and can stop it
//! and start it again to play a mail server that is down.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    python: String,
    child: Option<Child>,
}

/// A received message, decoded.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: Vec<u8>,
}

impl SmtpSink {
    /// Starts aiosmtpd, or returns `None` when it is not installed (an error with
    /// `LATCHKEY_TEST_REQUIRE_SMTP=1`, as in CI).
    pub fn start(dir: PathBuf) -> Option<SmtpSink> {
        let python =
            std::env::var("LATCHKEY_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".into());
        let installed = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let required = std::env::var("LATCHKEY_TEST_REQUIRE_SMTP").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "LATCHKEY_TEST_REQUIRE_SMTP=1 but {python} cannot import aiosmtpd"
            );
            eprintln!("skipped: install aiosmtpd (or run ./scripts/test) to run the mail tests");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut sink = SmtpSink {
            port,
            dir,
            python,
            child: None,
        };
        sink.resume();
        Some(sink)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Takes the server down: connections are refused until `resume`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// (Re)starts the server on the same port and waits until it accepts connections.
    pub fn resume(&mut self) {
        // aiosmtpd creates the Maildir (with its tmp/new/cur folders) when it is missing.
        let child = Command::new(&self.python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
            ])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<_> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.dir.join(sub)).ok())
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .collect();
        files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .filter_map(|raw| parse(&raw))
            .collect()
    }

    /// The messages to `to`.
    pub fn messages_to(&self, to: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(to))
            .collect()
    }

    /// Waits (up to `seconds`) until `to` has received `count` messages; returns them all.
    pub async fn wait_for(&self, to: &str, count: usize, seconds: u64) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.messages_to(to);
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < Duration::from_secs(seconds),
                "{to} received {} of {count} messages within {seconds}s",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn parse(raw: &[u8]) -> Option<Mail> {
    let message = mail_parser::MessageParser::default().parse(raw)?;
    let first_address = |addresses: Option<&mail_parser::Address>| {
        addresses
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned()
    };
    Some(Mail {
        to: first_address(message.to()),
        from: first_address(message.from()),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        raw: raw.to_vec(),
    })
}

impl Mail {
    /// The first link in the text part that contains `path`.
    pub fn link(&self, path: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .unwrap_or_else(|| panic!("no {path} link in: {}", self.text))
            .to_owned()
    }

    /// The `token` query parameter of the first link to `path`.
    pub fn token(&self, path: &str) -> String {
        let link = self.link(path);
        url::Url::parse(&link)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    /// The six-digit code in the text part.
    pub fn code(&self) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no code in: {}", self.text))
            .to_owned()
    }
}
