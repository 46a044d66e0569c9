//! The command line: `latchkey [serve]`, `latchkey migrate`, `latchkey user create`,
//! `latchkey mail test`, `latchkey hash-rate`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Latchkey: self-hosted accounts and sign-in"
)]
pub struct Cli {
    /// A TOML file with settings (the same names as the LATCHKEY_* variables, in lower
    /// case without the prefix). Environment variables win over the file.
    #[arg(long, global = true, env = "LATCHKEY_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the API (the default).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the mail set-up.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Measure how many password checks a second this machine does with the configured
    /// LATCHKEY_HASH_WORKERS: the most sign-ins a second it can take.
    HashRate {
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message now (not through the queue) and say whether it left.
    Test {
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, whatever the registration setting. The password is read from
    /// standard input when it is not a terminal, else asked for twice.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
}
