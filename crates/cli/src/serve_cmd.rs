//! `tradelab serve`, `tradelab config show` and `tradelab users …`: the HTTP service,
//! its effective settings, and the accounts an admin manages from the shell.

use crate::args::OutputFormat;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use tradelab_server::{LogFormat, Overrides, ServerConfig};
use tradelab_store::{NewUser, PageRequest, Role, Store, StoreConfig, UserId};

/// Settings of the server, from flags and environment (they replace the file's).
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Settings file (TOML); flags and environment replace its values.
    #[arg(long, env = "TRADELAB_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TRADELAB_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Runs executed at once [default: the number of cores].
    #[arg(long, env = "TRADELAB_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// The signing secret (32 bytes or more); generated and kept in the data dir when
    /// not given.
    #[arg(
        long,
        env = "TRADELAB_SECRET",
        value_name = "TEXT",
        hide_env_values = true
    )]
    pub secret: Option<String>,
    /// Origins allowed by CORS, comma-separated (default: CORS off).
    #[arg(
        long,
        env = "TRADELAB_CORS_ORIGINS",
        value_delimiter = ',',
        value_name = "URL"
    )]
    pub cors_origins: Option<Vec<String>>,
    /// Log format: text for people, json for log collectors.
    #[arg(long, env = "TRADELAB_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormatArg>,
    /// Do not import the bundled sample data on the first start of an empty store.
    #[arg(long, env = "TRADELAB_NO_SAMPLE_DATA")]
    pub no_sample_data: bool,
}

/// `tradelab` without a command: `serve` with its flags from the environment only.
pub fn default_command() -> crate::args::Command {
    use clap::{Args as _, FromArgMatches as _};
    let matches =
        ServeArgs::augment_args(clap::Command::new("serve")).try_get_matches_from(["serve"]);
    let args = matches
        .ok()
        .and_then(|m| ServeArgs::from_arg_matches(&m).ok())
        .unwrap_or(ServeArgs {
            config: None,
            bind: None,
            workers: None,
            secret: None,
            cors_origins: None,
            log_format: None,
            no_sample_data: false,
        });
    crate::args::Command::Serve(args)
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LogFormatArg {
    Text,
    Json,
}

impl ServeArgs {
    /// The effective settings: defaults, the file, then these flags and the store's.
    pub fn config(&self, store: &crate::store_args::StoreArgs) -> Result<ServerConfig> {
        let overrides = Overrides {
            bind: self.bind,
            data_dir: store.data_dir.clone(),
            database_url: store.database_url.clone(),
            workers: self.workers,
            secret: self.secret.clone(),
            cors_origins: self.cors_origins.clone(),
            log_format: self.log_format.map(|f| match f {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
            sample_data: self.no_sample_data.then_some(false),
        };
        Ok(ServerConfig::load(self.config.as_deref(), overrides)?)
    }
}

/// `tradelab serve`: the HTTP API until ctrl-c or SIGTERM.
pub fn serve(
    args: &ServeArgs,
    store: &crate::store_args::StoreArgs,
    deciders: tradelab_engine::DeciderRegistry,
) -> Result<()> {
    let config = args.config(store)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let bound = tradelab_server::bind(config, move |store| {
            tradelab_runner::Runner::with_deciders(store, deciders)
        })
        .await?;
        if let Some(import) = &bound.sample_import {
            for (symbol, timeframe, bars) in &import.series {
                eprintln!("imported sample data: {symbol} {timeframe}, {bars} bars");
            }
        }
        if let Some(problem) = tradelab_web::build_problem() {
            eprintln!("note: {}", problem.lines().next().unwrap_or_default());
        }
        eprintln!(
            "tradelab is running: open http://{}/ in your browser (API under /api/v1, docs at /api/docs)",
            bound.addr
        );
        bound.serve(tradelab_server::shutdown_signal()).await?;
        Ok(())
    })
}

/// `tradelab config …`.
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the server's effective settings (file, environment, flags), secrets masked;
    /// `provider_keys` says which provider key variables are set (never their values).
    Show {
        #[command(flatten)]
        serve: ServeArgs,
        /// Format: TOML for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
}

pub fn config(cmd: ConfigCommand, store: &crate::store_args::StoreArgs) -> Result<()> {
    let ConfigCommand::Show { serve, output } = cmd;
    let config = serve.config(store)?;
    let mut shown = config.masked();
    let data_dir =
        StoreConfig::from_flags(shown.data_dir.clone(), shown.database_url.clone()).data_dir;
    shown.data_dir = Some(data_dir);
    if shown.secret.is_none() {
        shown.secret = Some("(generated and kept in <data dir>/server.secret)".into());
    }
    // Whether each provider key variable is set (names only, never values).
    let keys: std::collections::BTreeMap<String, &str> = config
        .providers_config()
        .effective()
        .values()
        .flat_map(|p| p.key_status())
        .map(|k| (k.name, if k.set { "set" } else { "unset" }))
        .collect();
    match output {
        OutputFormat::Json => {
            let mut v = serde_json::to_value(&shown)?;
            if let Some(map) = v.as_object_mut() {
                map.insert("provider_keys".into(), serde_json::to_value(&keys)?);
            }
            println!("{}", serde_json::to_string_pretty(&v)?)
        }
        OutputFormat::Table => {
            let mut t = toml::Table::try_from(&shown)?;
            t.insert("provider_keys".into(), toml::Value::try_from(&keys)?);
            print!("{}", toml::to_string(&t)?)
        }
    }
    Ok(())
}

/// `tradelab users …`: accounts, for an admin at the shell.
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Create an account. The password is read from standard input (one line) with
    /// --password-stdin, else from the environment variable TRADELAB_PASSWORD.
    Create {
        /// The account's e-mail address (its login).
        email: String,
        /// Make the account an admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// Display name (default: the address before the @).
        #[arg(long)]
        name: Option<String>,
        /// Report format: a line for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// List every account.
    List {
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Disable an account (its sessions end; its API keys stop working) or, with
    /// --enable, enable it again.
    Disable {
        /// The account's e-mail address.
        email: String,
        /// Enable the account again instead.
        #[arg(long)]
        enable: bool,
    },
    /// Set an account's role.
    Role {
        /// The account's e-mail address.
        email: String,
        /// The new role.
        #[arg(value_parser = ["admin", "user"])]
        role: String,
    },
}

pub fn users(cmd: UsersCommand, store_args: &crate::store_args::StoreArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let config =
            StoreConfig::from_flags(store_args.data_dir.clone(), store_args.database_url.clone());
        let store = Store::open(&config).await?;
        let result = users_on(cmd, &store).await;
        store.close().await;
        result
    })
}

async fn find(store: &Store, email: &str) -> Result<UserId> {
    let email = tradelab_store::normalize_email(email)?;
    store
        .users()
        .find_by_email(&email)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| anyhow!("no account {email}; see `tradelab users list`"))
}

async fn users_on(cmd: UsersCommand, store: &Store) -> Result<()> {
    match cmd {
        UsersCommand::Create {
            email,
            admin,
            password_stdin,
            name,
            output,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_to_string(&mut line)
                    .context("reading the password from standard input")?;
                line.trim_end_matches(['\n', '\r']).to_string()
            } else {
                std::env::var("TRADELAB_PASSWORD").map_err(|_| {
                    anyhow!("give the password with --password-stdin or in TRADELAB_PASSWORD")
                })?
            };
            tradelab_server::auth::password::check_new(&password)
                .map_err(|m| anyhow!("password: {m}"))?;
            let hash = tradelab_server::auth::password::hash(password)
                .await
                .map_err(|e| anyhow!("hashing the password: {e}"))?;
            let email = tradelab_store::normalize_email(&email)?;
            let display_name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
            let user = store
                .users()
                .create(&NewUser {
                    email,
                    password_hash: hash,
                    role: if admin { Role::Admin } else { Role::User },
                    display_name,
                })
                .await?;
            match output {
                OutputFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&tradelab_server::views::UserView::from(&user))?
                ),
                OutputFormat::Table => println!("created {} ({})", user.email, user.role.as_str()),
            }
        }
        UsersCommand::List { output } => {
            let mut users = Vec::new();
            let mut page = PageRequest::max();
            loop {
                let got = store.users().list(page).await?;
                users.extend(got.items);
                match got.next_after {
                    Some(a) => page.after = Some(a),
                    None => break,
                }
            }
            let views: Vec<_> = users
                .iter()
                .map(tradelab_server::views::UserView::from)
                .collect();
            match output {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&views)?),
                OutputFormat::Table => {
                    println!(
                        "{:<6} {:<32} {:<6} {:<9} CREATED",
                        "ID", "EMAIL", "ROLE", "STATE"
                    );
                    for (u, user) in views.iter().zip(&users) {
                        println!(
                            "{:<6} {:<32} {:<6} {:<9} {}",
                            u.id,
                            u.email,
                            u.role,
                            if u.disabled { "disabled" } else { "active" },
                            crate::display::instant(user.created_at)
                        );
                    }
                }
            }
        }
        UsersCommand::Disable { email, enable } => {
            let id = find(store, &email).await?;
            let user = store.users().set_disabled(id, !enable).await?;
            println!(
                "{} is {}",
                user.email,
                if user.disabled { "disabled" } else { "enabled" }
            );
        }
        UsersCommand::Role { email, role } => {
            let id = find(store, &email).await?;
            let role = match role.as_str() {
                "admin" => Role::Admin,
                "user" => Role::User,
                other => bail!("role {other:?} is neither admin nor user"),
            };
            let user = store.users().set_role(id, role).await?;
            println!("{} is now {}", user.email, user.role.as_str());
        }
    }
    Ok(())
}
