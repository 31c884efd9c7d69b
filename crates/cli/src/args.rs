//! Command-line arguments (clap). The help text is part of the product.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// tradelab — an AI trading lab: backtest strategies on historical bars with an exact
/// ledger, a declared fill model and honest metrics.
///
/// Without a command, tradelab starts the server with its web UI (`tradelab serve`).
#[derive(Parser, Debug)]
#[command(name = "tradelab", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without one, `serve` (the web UI and API on 127.0.0.1:8080).
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten, next_help_heading = "Global options")]
    pub store: crate::store_args::StoreArgs,
    /// Logs to print on stderr, as a tracing filter: `info`, `tradelab_store=debug`,
    /// … (default: the RUST_LOG environment variable, else warnings only).
    #[arg(
        long,
        global = true,
        value_name = "FILTER",
        help_heading = "Global options"
    )]
    pub log: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay historical bars through a strategy on the paper broker and report metrics.
    ///
    /// Example: tradelab backtest --data data/sample/stocks_daily_2000-2013.csv
    /// --symbol AAPL --strategy sma_cross --param fast=10 --param slow=20
    Backtest(Box<BacktestArgs>),
    /// Market-data tools: aggregate ticks, inspect a file, import bars into the store,
    /// fetch bars from market-data providers.
    #[command(subcommand)]
    Data(DataCommand),
    /// Models: named strategies with settings and structured rules, kept in the store.
    #[command(subcommand)]
    Models(Box<crate::store_args::ModelsCommand>),
    /// Runs: start, list, inspect, replay with other rules, compare.
    #[command(subcommand)]
    Runs(crate::store_args::RunsCommand),
    /// List the built-in strategies and their parameters.
    Strategies {
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Structured risk rules: check a rules file, list the templates.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The online learner (`--strategy online_learner`): walk-forward evaluation.
    #[command(subcommand)]
    Learn(crate::learn_cmd::LearnCommand),
    /// The exchange calendar: trading days with their pre-market, regular and
    /// after-hours sessions (exchange-local times), early closes marked.
    ///
    /// Example: tradelab calendar --from 2024-11-25 --to 2024-11-29
    Calendar(crate::calendar_cmd::CalendarArgs),
    /// Serve the HTTP API (accounts, models, rules, runs, live streams, admin) until
    /// ctrl-c or SIGTERM.
    ///
    /// Example: tradelab serve --bind 127.0.0.1:8080
    Serve(crate::serve_cmd::ServeArgs),
    /// The server's settings.
    #[command(subcommand)]
    Config(crate::serve_cmd::ConfigCommand),
    /// Accounts of the server: create (an admin, say), list, disable, set a role.
    #[command(subcommand)]
    Users(crate::serve_cmd::UsersCommand),
    /// Print a shell completion script to standard output.
    ///
    /// Example (bash): tradelab completions bash > ~/.local/share/bash-completion/completions/tradelab
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Validate a rules file (TOML or JSON) and print its rules with their scope.
    ///
    /// Every problem is reported at once, each naming the rule and the field.
    Check {
        /// Rules file (.toml or .json).
        file: PathBuf,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// List the built-in rule templates, or print one as TOML.
    Templates {
        /// Print this template as a TOML rules file to start from.
        #[arg(long, value_name = "NAME", conflicts_with = "output")]
        show: Option<String>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
}

/// How to read CSV files whose layout cannot be detected.
#[derive(Args, Debug, Clone)]
pub struct CsvArgs {
    /// Name of the date or timestamp column (default: detected).
    #[arg(long, value_name = "NAME")]
    pub date_column: Option<String>,
    /// Name of a separate time-of-day column (default: detected).
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,
    /// strftime format of the date column, e.g. "%d.%m.%Y %H:%M" (default: detected).
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,
    /// Time zone of timestamps without an offset, e.g. America/New_York.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,
    /// What to do with a malformed row: stop with an error, or skip it and report.
    #[arg(long, value_enum, default_value_t = BadRow::Error)]
    pub on_bad_row: BadRow,
    /// Field separator (default: detected from the header line).
    #[arg(long, value_enum, value_name = "SEP")]
    pub delimiter: Option<DelimiterArg>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadRow {
    /// Stop at the first bad row, naming file and line.
    Error,
    /// Leave bad rows out and say how many and why.
    Skip,
}

/// `--delimiter`: the field separators the importer reads.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelimiterArg {
    /// `,`
    #[value(alias = ",")]
    Comma,
    /// `;`
    #[value(alias = ";")]
    Semicolon,
    /// A tab character.
    #[value(alias = "\t")]
    Tab,
    /// `|`
    #[value(alias = "|")]
    Pipe,
}

impl From<DelimiterArg> for tradelab_data::Delimiter {
    fn from(d: DelimiterArg) -> Self {
        match d {
            DelimiterArg::Comma => tradelab_data::Delimiter::Comma,
            DelimiterArg::Semicolon => tradelab_data::Delimiter::Semicolon,
            DelimiterArg::Tab => tradelab_data::Delimiter::Tab,
            DelimiterArg::Pipe => tradelab_data::Delimiter::Pipe,
        }
    }
}

impl From<BadRow> for tradelab_data::BadRowPolicy {
    fn from(b: BadRow) -> Self {
        match b {
            BadRow::Error => tradelab_data::BadRowPolicy::Error,
            BadRow::Skip => tradelab_data::BadRowPolicy::Skip,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned text for people.
    Table,
    /// JSON for programs.
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// Decided on a bar's close, filled at the next bar's open (default).
    #[value(name = "next_open", alias = "next-open")]
    NextOpen,
    /// Filled at the close of the bar it was decided on.
    Close,
}

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// Bar CSV file(s); one symbol per file or many in long format with a ticker column.
    #[arg(long, required = true, value_name = "FILE")]
    pub data: Vec<PathBuf>,
    /// Symbol to trade (also names a single-symbol file without a ticker column).
    #[arg(long, value_name = "SYM", conflicts_with = "symbols")]
    pub symbol: Option<String>,
    /// Symbols to trade, comma-separated (default: every symbol in the data).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub symbols: Vec<String>,
    /// Strategy name (see `tradelab strategies`).
    #[arg(long, value_name = "NAME")]
    pub strategy: String,
    /// Strategy parameter, repeatable: --param fast=10 --param slow=20.
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Initial cash.
    #[arg(
        long,
        default_value = "10000",
        value_name = "AMOUNT",
        allow_hyphen_values = true
    )]
    pub cash: String,
    /// Commission as a fraction of notional per fill (0.002 = 0.2 %).
    #[arg(
        long,
        default_value = "0",
        value_name = "RATE",
        allow_hyphen_values = true
    )]
    pub commission: String,
    /// Commission per share (unit) per fill, added to the rate.
    #[arg(
        long,
        default_value = "0",
        value_name = "AMOUNT",
        allow_hyphen_values = true
    )]
    pub commission_per_share: String,
    /// Minimum commission per fill.
    #[arg(
        long,
        default_value = "0",
        value_name = "AMOUNT",
        allow_hyphen_values = true
    )]
    pub commission_min: String,
    /// Adverse slippage on market and stop fills, in basis points.
    #[arg(
        long,
        default_value = "0",
        value_name = "BPS",
        allow_hyphen_values = true
    )]
    pub slippage_bps: String,
    /// Fill model.
    #[arg(long, value_enum, default_value_t = Fill::NextOpen)]
    pub fill: Fill,
    /// Allow sell orders to open short positions.
    #[arg(long)]
    pub allow_short: bool,
    /// Enforce the structured risk rules in this file (TOML or JSON) on every order.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Enforce a built-in rule template (see `tradelab rules templates`); rules from
    /// --rules with the same name replace the template's.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Close open positions at the last bar's close (default: leave them open, marked).
    #[arg(long)]
    pub close_at_end: bool,
    /// Trade SYMBOL in multiples of STEP (e.g. BTCUSDT=0.00001): sizing floors to the
    /// step, fixed quantities off it are rejected. Repeat for more symbols; symbols
    /// without one trade whole units. Overrides a step stored with the bars.
    #[arg(long = "lot-step", value_name = "SYMBOL=STEP")]
    pub lot_steps: Vec<String>,
    /// Symbols that trade 7 days a week (crypto; comma-separated): daily metrics then
    /// annualize with 365 periods a year instead of 252.
    #[arg(long = "all-week", value_name = "SYMBOLS", value_delimiter = ',')]
    pub all_week: Vec<String>,
    /// First bar to use (date or timestamp, inclusive).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last bar to use (date or timestamp, inclusive; a date includes the whole day).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Write the closed trades to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub trades_out: Option<PathBuf>,
    /// Write the equity curve to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub equity_out: Option<PathBuf>,
    /// Annualization factor (default: 252 for daily bars, 252 × median bars per day).
    #[arg(long, value_name = "P")]
    pub periods_per_year: Option<f64>,
    /// Annual risk-free rate as a fraction (0.02 = 2 %), for sharpe and sortino;
    /// between -1 and 1.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "RATE",
        allow_hyphen_values = true,
        value_parser = risk_free_rate
    )]
    pub risk_free: f64,
    #[command(flatten, next_help_heading = "CSV options")]
    pub csv: CsvArgs,
    #[command(flatten, next_help_heading = LLM_HEADING)]
    pub llm: crate::llm_args::LlmArgs,
    /// JSONL file of the model's exchanges: appended with --llm-mode record, answered
    /// from with --llm-mode replay.
    #[arg(long, value_name = "FILE", help_heading = LLM_HEADING)]
    pub llm_recordings: Option<PathBuf>,
}

/// Help heading of the LLM agent's flags.
pub const LLM_HEADING: &str = "LLM agent (--strategy llm)";

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Aggregate trade ticks (timestamp, price[, size]) into OHLCV bars.
    ///
    /// Bars are labelled by interval start and cover [start, start+timeframe); empty
    /// intervals are omitted. Output: timestamp,open,high,low,close,volume,trades,vwap.
    Aggregate(AggregateArgs),
    /// Read a bar file and show what was detected: columns, symbols, ranges.
    Inspect(InspectArgs),
    /// Import a bar file into the store (idempotent: the same bars again change nothing).
    Import(crate::store_args::ImportArgs),
    /// List the stored bar series.
    List(crate::store_args::DataListArgs),
    /// Import news items into the store for LLM runs (idempotent: the same items again
    /// change nothing).
    ///
    /// CSV or JSONL with timestamp, symbols, headline, body and source. News is
    /// private to the account importing it. A malformed file stores nothing; the error
    /// names the line and the field.
    ImportNews(crate::store_args::ImportNewsArgs),
    /// List your stored news items, newest first.
    News(crate::store_args::NewsListArgs),
    /// The market-data providers: each one's kind, chains, key variables (set or not,
    /// never their values) and circuit breaker.
    ///
    /// Providers and chains come from the settings file (`[providers.NAME]`,
    /// `[chains]`), else the built-in ones: alpaca, polygon and yahoo for stocks,
    /// binance for crypto.
    Providers(crate::fetch_cmd::ProvidersArgs),
    /// Fetch bars from a market-data provider into the store.
    ///
    /// Asks the provider (or chain, failing over to the next provider when one is
    /// down) a day of 1m bars or a year of daily bars at a time, storing each part as
    /// it arrives; bars already stored are not fetched again, so a fetch that stopped
    /// part-way resumes where it ended.
    ///
    /// Example: tradelab data fetch --symbols AAPL,MSFT --timeframe 1d --from 2024-01-01
    /// --to 2024-06-30
    Fetch(crate::fetch_cmd::FetchArgs),
    /// Delete a stored series, or its bars within --from/--to.
    ///
    /// Deletes your private series of the symbol if you have one, else the shared one
    /// (admins only). Refused while runs read the bars, unless --force.
    Delete(crate::store_args::DeleteArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionArg {
    /// Every tick.
    All,
    /// US regular session 09:30–16:00 America/New_York.
    Regular,
    /// US pre-market 04:00–09:30 America/New_York.
    Pre,
    /// US after-hours 16:00–20:00 America/New_York.
    After,
    /// Pre-market, regular and after-hours 04:00–20:00 America/New_York.
    Extended,
}

#[derive(Args, Debug)]
pub struct AggregateArgs {
    /// Tick CSV file.
    #[arg(long, value_name = "FILE")]
    pub ticks: PathBuf,
    /// Bar length: 1m, 5m, 15m, 1h, 1d, …
    #[arg(long, value_name = "TF")]
    pub timeframe: String,
    /// Keep only ticks inside this US-equity session.
    #[arg(long, value_enum, default_value_t = SessionArg::All)]
    pub session: SessionArg,
    /// Output CSV file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten, next_help_heading = "CSV options")]
    pub csv: CsvArgs,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Bar CSV file.
    pub file: PathBuf,
    /// Symbol for a file without a ticker column (default: the file name up to the
    /// first `_` or `.`, uppercased).
    #[arg(long, value_name = "SYM")]
    pub symbol: Option<String>,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    #[command(flatten, next_help_heading = "CSV options")]
    pub csv: CsvArgs,
}

/// The annual risk-free rate of `--risk-free`: a fraction within ±100 %.
fn risk_free_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number; give a fraction such as 0.02 (2 %)"))?;
    let hint = "give the annual rate as a fraction between -1 and 1 (0.02 = 2 %)";
    if !rate.is_finite() {
        return Err(format!("{text} is not a finite number; {hint}"));
    }
    if !(-1.0..=1.0).contains(&rate) {
        return Err(format!("{text} would be {} % a year; {hint}", rate * 100.0));
    }
    Ok(rate)
}
