use backend::config::Config;
use backend::services::accounts;
use backend::AppState;
use clap::Parser;
use domain::{NewAccount, RegisterInput, Role, Secret};
use server::cli::{Cli, Command, MailCommand, UserCommand};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

// glibc's malloc showed as a quarter of the CPU time under load (many small, short-lived
// allocations across threads while rendering pages); mimalloc handles that pattern well.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("latchkey: {error}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(config.log_format, &config.log_filter);
    for name in &config.unknown_settings {
        tracing::warn!(setting = %name, "unknown setting ignored");
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    email,
                    admin,
                },
        } => create_user(config, username, email, admin).await,
        Command::Mail {
            command: MailCommand::Test { to },
        } => mail_test(config, to).await,
        Command::HashRate { seconds } => hash_rate(config, seconds).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("latchkey: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let site_root = server::site::find_site_root(config.site_root.as_deref())?;
    let site = server::site::Site::load(&config, &site_root)?;
    let state = AppState::init(config).await.map_err(|e| e.to_string())?;
    let bind = state.config.bind;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    tracing::info!(
        address = %bind,
        public_url = %state.config.public_url,
        database = state.store.backend(),
        site_root = %site_root.display(),
        "Latchkey is listening on http://{bind}"
    );
    server::run(state, site, listener)
        .await
        .map_err(|e| e.to_string())
}

/// The state alone: the commands below never render a page.
async fn state_for_command(config: Config) -> Result<AppState, String> {
    AppState::init(config).await.map_err(|e| e.to_string())
}

async fn migrate(config: Config) -> Result<(), String> {
    let state = state_for_command(config).await?;
    println!("The {} database is up to date.", state.store.backend());
    Ok(())
}

async fn create_user(
    config: Config,
    username: String,
    email: String,
    admin: bool,
) -> Result<(), String> {
    let password = read_password()?;
    let state = state_for_command(config).await?;
    let input = RegisterInput {
        username,
        email,
        password: Secret::new(password.clone()),
        password_confirmation: Secret::new(password),
    };
    let account = NewAccount::parse(&input, state.rules()).map_err(|fields| {
        fields
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let role = if admin { Role::Admin } else { Role::User };
    let user = accounts::create_account(&state, account, role, "en")
        .await
        .map_err(|error| match error.fields() {
            Some(fields) => fields.values().cloned().collect::<Vec<_>>().join("; "),
            None => error.to_string(),
        })?;
    println!(
        "Created {} {} <{}> (id {}).",
        user.role.as_str(),
        user.username,
        user.email,
        user.id
    );
    Ok(())
}

async fn mail_test(config: Config, to: String) -> Result<(), String> {
    let to = domain::Email::parse(&to).map_err(|e| format!("--to: {e}"))?;
    let state = state_for_command(config).await?;
    let message = backend::mail::Outgoing::new(backend::mail::Template::Test, to.as_str(), "en");
    state
        .mailer
        .send_now(&message, state.config.public_url.as_str())
        .await
        .map_err(|e| format!("the test message to {to} was not sent: {e}"))?;
    println!("Sent a test message to {to} ({}).", state.mailer.describe());
    Ok(())
}

async fn hash_rate(config: Config, seconds: u64) -> Result<(), String> {
    let workers = config.hash_workers;
    let hasher =
        backend::services::passwords::PasswordHasher::new(backend::cpu::CpuPool::new(workers));
    let rate = hasher
        .checks_per_second(workers, std::time::Duration::from_secs(seconds.max(1)))
        .await;
    println!("{rate:.1} password checks/s with {workers} hash workers");
    Ok(())
}

/// The new account's password: from standard input when piped, else asked for twice.
fn read_password() -> Result<String, String> {
    if !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        // One trailing newline is the end of the line, not part of the password.
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        return Ok(text.to_owned());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
    let second = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
    if first != second {
        return Err("the passwords do not match".into());
    }
    Ok(first)
}
