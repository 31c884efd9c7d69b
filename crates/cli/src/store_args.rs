//! Arguments of the commands that keep records: models, runs, stored market data.

use crate::args::{CsvArgs, Fill, OutputFormat};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Where records are kept.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Data directory holding the embedded SQLite database.
    #[arg(long, global = true, env = "TRADELAB_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db) instead of the embedded SQLite file.
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Account the command acts as (created on first use).
    #[arg(
        long,
        global = true,
        env = "TRADELAB_USER",
        default_value = "local@tradelab",
        value_name = "EMAIL"
    )]
    pub user: String,
}

/// Strategy and execution settings of a model.
#[derive(Args, Debug, Clone, Default)]
pub struct ModelSettings {
    /// Strategy (see `tradelab strategies`).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<String>,
    /// Strategy parameter, repeatable: --param fast=10.
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Initial cash of each run.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub cash: Option<String>,
    /// Commission as a fraction of notional per fill.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
    pub commission: Option<String>,
    /// Commission per unit per fill.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub commission_per_share: Option<String>,
    /// Minimum commission per fill.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub commission_min: Option<String>,
    /// Adverse slippage on market and stop fills, in basis points.
    #[arg(long, value_name = "BPS", allow_hyphen_values = true)]
    pub slippage_bps: Option<String>,
    /// Milliseconds an order takes from the decision to the paper broker (0: none);
    /// it then fills at the first price after its arrival.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Fill model.
    #[arg(long, value_enum)]
    pub fill: Option<Fill>,
    /// Allow short selling (`--allow-short` alone means true; `--allow-short false`
    /// turns it off).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub allow_short: Option<bool>,
    /// Close open positions at the last bar (alone means true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub close_at_end: Option<bool>,
    /// Symbols the model trades (comma-separated; required to create a model).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub symbols: Option<Vec<String>>,
    /// Trade SYMBOL in multiples of STEP (e.g. BTCUSDT=0.00001); repeat for more
    /// symbols. Symbols without one trade whole units.
    #[arg(long = "lot-step", value_name = "SYMBOL=STEP")]
    pub lot_steps: Vec<String>,
    /// Symbols that trade 7 days a week (crypto; comma-separated, replaces the list):
    /// daily metrics annualize with 365 periods a year.
    #[arg(long = "all-week", value_delimiter = ',', value_name = "A,B")]
    pub all_week: Option<Vec<String>>,
    /// What the model is for.
    #[arg(long)]
    pub description: Option<String>,
    /// Free-text instructions and rules (for LLM deciders; stored with every run).
    #[arg(long)]
    pub instructions: Option<String>,
    #[command(flatten, next_help_heading = crate::args::LLM_HEADING)]
    pub llm: crate::llm_args::LlmArgs,
}

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Create a model: a strategy with its settings and structured rules.
    Create {
        /// Unique name of the model.
        name: String,
        #[command(flatten)]
        settings: ModelSettings,
        /// Structured rules to attach (TOML or JSON).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Rule template to attach (see `tradelab rules templates`).
        #[arg(long, value_name = "NAME")]
        template: Option<String>,
    },
    /// List your models, a page at a time (by name).
    List {
        /// Most models to show (1 to 1000).
        #[arg(long, default_value_t = tradelab_store::DEFAULT_PAGE_LIMIT, value_name = "N")]
        limit: u32,
        /// Continue after this model id (the `next_after` of the previous page).
        #[arg(long, value_name = "ID")]
        after: Option<i64>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Show a model with its rules.
    Show {
        /// The model: its name or its numeric id.
        model: String,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Change a model's settings (runs keep the snapshot they ran with).
    Edit {
        /// The model: its name or its numeric id.
        model: String,
        /// New name.
        #[arg(long)]
        rename: Option<String>,
        #[command(flatten)]
        settings: ModelSettings,
    },
    /// Delete a model that has no runs.
    Delete {
        /// The model: its name or its numeric id.
        model: String,
    },
    /// Manage a model's structured rules.
    #[command(subcommand)]
    Rules(ModelRulesCommand),
}

#[derive(Subcommand, Debug)]
pub enum ModelRulesCommand {
    /// Add the rules of a file or template to a model.
    Add {
        /// The model: its name or its numeric id.
        model: String,
        /// Rules file to add (TOML or JSON).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Built-in rule template to add (see `tradelab rules templates`).
        #[arg(long, value_name = "NAME")]
        template: Option<String>,
    },
    /// List a model's rules.
    List {
        /// The model: its name or its numeric id.
        model: String,
    },
    /// Switch a rule on or off.
    Toggle {
        /// The model: its name or its numeric id.
        model: String,
        /// The rule's name (see `tradelab models rules list MODEL`).
        rule: String,
        /// The new state (default: the opposite of the current one).
        #[arg(long)]
        active: Option<bool>,
    },
    /// Remove a rule.
    Remove {
        /// The model: its name or its numeric id.
        model: String,
        /// The rule's name (see `tradelab models rules list MODEL`).
        rule: String,
    },
}

/// `runs start --live`: paper trading on a live feed.
#[derive(clap::Args, Debug, Clone)]
pub struct LiveArgs {
    /// Trade on a live feed from now on instead of over stored bars: each bar is
    /// decided when it closes on the exchange clock; ctrl-c stops the run.
    #[arg(long)]
    pub live: bool,
    /// The market data of a live run: a provider of the settings (alpaca, polygon,
    /// yahoo, binance, or one of yours) or a chain (stock, crypto); default: the chain
    /// of the symbols' class, failing over down it.
    #[arg(long, value_name = "NAME", requires = "live")]
    pub provider: Option<String>,
    /// Where a live run's bars come from: the provider's market feed, or stored bars
    /// (--from/--to) replayed through the live path on a clock running --speed times
    /// as fast as real time.
    #[arg(long, value_enum, default_value_t = FeedKind::Market, requires = "live")]
    pub feed: FeedKind,
    /// How many times as fast as real time a replayed feed plays (60: a minute bar a
    /// second).
    #[arg(long, default_value_t = 60.0, value_name = "X", requires = "live")]
    pub speed: f64,
}

/// The feeds of a live run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// The provider's market data, on the wall clock.
    Market,
    /// Stored bars played live at --speed.
    Replay,
}

#[derive(Subcommand, Debug)]
pub enum RunsCommand {
    /// Run a model over stored bars to completion and print its report.
    Start {
        /// The model: its name or its numeric id.
        model: String,
        /// Symbols (default: the model's symbols).
        #[arg(long, value_delimiter = ',', value_name = "A,B")]
        symbols: Vec<String>,
        /// Bar timeframe of the stored data (default: that of the --data file, else the
        /// one timeframe stored for the symbols).
        #[arg(long)]
        timeframe: Option<String>,
        /// First bar to use (date or timestamp, inclusive; default: the first stored).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Last bar to use (date or timestamp, inclusive; a date includes the whole day;
        /// default: the last stored).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Import this bar file first (idempotent), then run on it.
        #[arg(long, value_name = "FILE")]
        data: Vec<PathBuf>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten, next_help_heading = "CSV options")]
        csv: CsvArgs,
        /// Run the model this many times on the same data and report the spread of
        /// the metrics and how often the decisions agree (an LLM's luck against its
        /// skill).
        #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=100))]
        repeat: u16,
        /// Start an online learner from a snapshot of an earlier run's state: RUN is a
        /// run id or MODEL#N, VERSION a snapshot of it (`runs show RUN` lists them;
        /// default: its latest). The model's features and horizon must be the
        /// snapshot's.
        #[arg(long, value_name = "RUN[@VERSION]")]
        warm_start: Option<String>,
        #[command(flatten, next_help_heading = "Live paper trading")]
        live: LiveArgs,
    },
    /// List runs (of one model, or all of yours).
    List {
        /// Only the runs of this model (name or id).
        #[arg(long, value_name = "MODEL")]
        model: Option<String>,
        /// Most runs to show (1 to 1000).
        #[arg(long, default_value_t = tradelab_store::DEFAULT_PAGE_LIMIT, value_name = "N")]
        limit: u32,
        /// Continue after this run id (the `next_after` of the previous page).
        #[arg(long, value_name = "ID")]
        after: Option<i64>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Show a run: status, snapshot and report.
    Show {
        /// The run: MODEL#N (e.g. trend#2, the model's Nth run) or its global id.
        run: String,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// The run's audit trail: decisions, order events, fills and run events in run order.
    ///
    /// Each entry shows its stored number (first column, `seq` in JSON), the same
    /// whatever the filters; shows 200 entries unless --limit or --all says otherwise,
    /// and `--after SEQ` continues after a page. Reads one page from the store, not
    /// the whole trail.
    Events {
        /// The run: MODEL#N (e.g. trend#2, the model's Nth run) or its global id.
        run: String,
        /// Only entries of this kind (repeat for several). `decision` includes what a
        /// decider said in words (`decided`: an LLM's reasoning, tool calls, tokens, cost);
        /// `model` is what a learner said of its model (guardrail paused or resumed,
        /// snapshot saved).
        #[arg(long, value_parser = ["decision", "decided", "decider_failed", "command", "order", "fill", "risk", "trade_closed", "run_finished", "run_failed", "data_changed", "model"])]
        kind: Vec<String>,
        /// Only entries about this symbol.
        #[arg(long, value_name = "SYMBOL")]
        symbol: Option<String>,
        /// Only entries at or after this time (date or timestamp).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Only entries at or before this time (a date includes the whole day).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Only entries numbered after SEQ (the last number of the previous page).
        #[arg(long, value_name = "SEQ")]
        after: Option<i64>,
        /// At most N entries [default: 200].
        #[arg(long, value_name = "N", conflicts_with = "all")]
        limit: Option<usize>,
        /// Every entry, without a limit.
        #[arg(long)]
        all: bool,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// The run's equity curve: equity and whether a position was open, at each step.
    ///
    /// The store keeps the curve in chunks (a point per bar, a million for a 1M-bar
    /// run) that SQL cannot decode; this prints it (--output json for programs).
    Equity {
        /// The run: MODEL#N (e.g. trend#2, the model's Nth run) or its global id.
        run: String,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// The run's closed trades.
    Trades {
        /// The run: MODEL#N (e.g. trend#2, the model's Nth run) or its global id.
        run: String,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Metrics of several runs side by side, with the differences of their snapshots.
    Compare {
        /// Two or more runs: MODEL#N (e.g. trend#1 trend#2) or global ids.
        #[arg(required = true, num_args = 2.., value_name = "RUN")]
        runs: Vec<String>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Re-run a run on the same data and snapshot with other rules; linked to its parent.
    ///
    /// Rules in --rules/--template replace the parent's rules of the same name (switch
    /// one off with `active = false`); the parent's other rules stay.
    Replay {
        /// The run: MODEL#N (e.g. trend#2, the model's Nth run) or its global id.
        run: String,
        /// Rules file (TOML or JSON) whose rules replace the parent's of the same name.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Built-in rule template whose rules replace the parent's of the same name.
        #[arg(long, value_name = "NAME")]
        template: Option<String>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        /// Replay even when the stored bars changed since the run (the default refuses);
        /// the new run records the run's and the new data fingerprints.
        #[arg(long)]
        allow_changed_data: bool,
        /// Ask the decider afresh (an LLM: call the model again) instead of answering
        /// from the run's recorded exchanges, which a replay of a run recorded with
        /// `--llm-mode record` uses by default (no network, no cost).
        #[arg(long)]
        ask_again: bool,
    },
    /// Resume an interrupted live run (its process ended): its state is rebuilt from
    /// its trail and the bars it kept, then it trades on from the first bar after its
    /// last step, fetching what it missed.
    Resume {
        /// The run: MODEL#N (e.g. trend#2, the model's Nth run) or its global id.
        run: String,
        /// The market data: a provider of the settings or a chain (stock, crypto);
        /// default: the run's own, else the chain of its symbols' class.
        #[arg(long, value_name = "NAME")]
        provider: Option<String>,
        /// The feed: the provider's market data, or stored bars replayed as live
        /// (default: the feed the run started on).
        #[arg(long, value_enum)]
        feed: Option<FeedKind>,
        /// How many times as fast as real time a replayed feed plays (default: the
        /// run's own speed, else 60).
        #[arg(long, value_name = "X")]
        speed: Option<f64>,
        /// Report format: a table for people, or JSON for programs.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
}

/// `tradelab data delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Symbol of the series.
    #[arg(long)]
    pub symbol: String,
    /// Timeframe of the series (1m, 1d, …).
    #[arg(long, value_name = "TF")]
    pub timeframe: String,
    /// Delete only bars at or after this date or time (default: from the first).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Delete only bars at or before this date (inclusive) or time (default: to the last).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Delete even when runs read the bars (their replays then refuse).
    #[arg(long)]
    pub force: bool,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Bar CSV file.
    pub file: PathBuf,
    /// Symbol for a file without a ticker column.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Timeframe of the bars (default: 1d for daily files, else detected from spacing).
    #[arg(long)]
    pub timeframe: Option<String>,
    /// Overwrite stored bars that differ (default: keep them and report the conflict).
    #[arg(long)]
    pub replace: bool,
    /// Lot step of a symbol of the file, e.g. BTCUSDT=0.00001 (repeatable): runs trade
    /// it in multiples of the step unless their model sets its own.
    #[arg(long = "lot-step", value_name = "SYMBOL=STEP")]
    pub lot_steps: Vec<String>,
    #[command(flatten, next_help_heading = "CSV options")]
    pub csv: CsvArgs,
}

/// Options of `data list`.
#[derive(Args, Debug)]
pub struct DataListArgs {
    /// Most series to show (1 to 1000).
    #[arg(long, default_value_t = tradelab_store::DEFAULT_PAGE_LIMIT, value_name = "N")]
    pub limit: u32,
    /// Continue after this series (the `next_after` of the previous page, e.g. SPY@1d).
    #[arg(long, value_name = "SYMBOL@TIMEFRAME")]
    pub after: Option<tradelab_store::SeriesCursor>,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `tradelab data import-news`.
#[derive(Args, Debug)]
pub struct ImportNewsArgs {
    /// News file: CSV with a header (timestamp, symbols, headline, body, source) or
    /// JSONL (one JSON object a line with those fields); `.csv` and `.jsonl` are read
    /// as such, any other name by its content.
    pub file: PathBuf,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `tradelab data news`.
#[derive(Args, Debug)]
pub struct NewsListArgs {
    /// Only the items that mention this symbol.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Most items to show (1 to 1000).
    #[arg(long, default_value_t = tradelab_store::DEFAULT_PAGE_LIMIT, value_name = "N")]
    pub limit: u32,
    /// Continue after this item (the `next_after` of the previous page).
    #[arg(long, value_name = "ID")]
    pub after: Option<i64>,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}
