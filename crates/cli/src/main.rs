//! The `tradelab` command line: backtests, data import and aggregation.

mod args;
mod audit_view;
mod backtest;
mod calendar_cmd;
mod data_cmd;
mod display;
mod fetch_cmd;
mod learn_cmd;
mod learner_view;
mod live_cmd;
mod llm_args;
mod llm_report;
mod llm_view;
mod models_cmd;
mod news_cmd;
mod output;
mod repeat;
mod rules_cmd;
mod run_view;
mod runs_cmd;
mod serve_cmd;
mod settings_view;
mod store_args;
mod store_ctx;
mod strategies_cmd;

use clap::{CommandFactory, Parser};
use std::process::ExitCode;

/// Lets a closed output pipe end the process quietly, as it does other Unix tools
/// (`tradelab runs trades 1 | head`), instead of a panic in the middle of a print.
#[cfg(unix)]
fn die_quietly_on_closed_pipe() {
    // SAFETY: resetting a signal's disposition to its default at the start of `main`,
    // before any thread exists, has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn die_quietly_on_closed_pipe() {}

fn main() -> ExitCode {
    die_quietly_on_closed_pipe();
    let mut cli = args::Cli::parse();
    let command = cli
        .command
        .take()
        .unwrap_or_else(serve_cmd::default_command);
    let serving = matches!(command, args::Command::Serve(_));
    let json_logs = match &command {
        args::Command::Serve(a) => a
            .config(&cli.store)
            .map(|c| c.log_format == tradelab_server::LogFormat::Json)
            .unwrap_or(false),
        _ => false,
    };
    if let Err(e) = init_logs(cli.log.as_deref(), serving, json_logs) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let deciders = match deciders() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        args::Command::Backtest(a) => backtest::run(*a, &deciders),
        args::Command::Data(d) => data_cmd::run(d, &cli.store),
        args::Command::Models(m) => models_cmd::run(*m, &cli.store, &deciders),
        args::Command::Runs(r) => runs_cmd::run(r, &cli.store, &deciders),
        args::Command::Rules(r) => rules_cmd::run(r),
        args::Command::Calendar(a) => calendar_cmd::run(&a),
        args::Command::Learn(l) => learn_cmd::run(l),
        args::Command::Serve(a) => serve_cmd::serve(&a, &cli.store, deciders),
        args::Command::Config(c) => serve_cmd::config(c, &cli.store),
        args::Command::Users(u) => serve_cmd::users(u, &cli.store),
        args::Command::Strategies { output } => strategies_cmd::list_strategies(&deciders, output),
        args::Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut args::Cli::command(),
                "tradelab",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The deciders the CLI runs: the built-in strategies, the LLM agent (`llm`) and the
/// online learner (`online_learner`).
fn deciders() -> anyhow::Result<tradelab_engine::DeciderRegistry> {
    let mut registry = tradelab_engine::DeciderRegistry::builtin();
    tradelab_agent::register(&mut registry)?;
    tradelab_learner::register(&mut registry)?;
    Ok(registry)
}

/// Warnings only; sqlx's slow-statement warnings (a big import) are not news to a
/// CLI user, so it reports errors only.
const DEFAULT_LOG: &str = "warn,sqlx=error";

/// Sends `tracing` spans and events to stderr, filtered by `--log` (else `RUST_LOG`,
/// else warnings only). A filter that does not parse is refused with its text.
/// A server logs what it does (requests, runs) by default.
const SERVER_LOG: &str = "info,sqlx=warn";

fn init_logs(flag: Option<&str>, serving: bool, json: bool) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match flag {
        Some(text) => EnvFilter::try_new(text).map_err(|e| {
            anyhow::anyhow!(
                "--log {text:?} is not a log filter ({e}); use a level (`info`) or \
                 `target=level` pairs (`tradelab_runner=info,tradelab_store=debug`)"
            )
        })?,
        None => EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(if serving { SERVER_LOG } else { DEFAULT_LOG })),
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let started = if json {
        logs.json().try_init()
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
    started.map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

/// The error with its causes, `outer: cause: …`, leaving out a cause the message
/// before it already quotes (typed errors often include their source's text).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    let mut last = text.clone();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !last.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        last = cause;
    }
    text
}
