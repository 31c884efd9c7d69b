//! Runs: the [`Engine`] (a configuration, its rules and its data), the step processor
//! that turns inputs into events, and the drivers that feed it — synchronous over
//! loaded bars, async over loaded bars with a decider that awaits, async over a live
//! stream. Deterministic: same input, same events.

mod control;
mod drive;
mod failure;
mod fill;
mod processor;
mod state;
mod timeline;

use crate::config::RunConfig;
use crate::decider::DeciderErrors;
use crate::risk::RuleSet;
pub use control::{Command, RunControl};
pub use drive::Input;
pub use failure::{FailureCause, RunFailure};
use rust_decimal::Decimal;
use serde::Serialize;
pub(crate) use state::Working;
pub use timeline::MergedTimeline;
pub(crate) use timeline::step_timestamps;
use tradelab_core::{BarSeries, Money, Price, Quantity, Symbol};

/// Why a run cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("no market data: the run needs at least one symbol with bars")]
    NoData,
    #[error("symbol {0} is given more than once")]
    DuplicateSymbol(Symbol),
    #[error("initial cash must be positive, got {0}")]
    InvalidCash(Money),
    #[error("commission {field} must be >= 0 and below 1 for a rate, got {value}")]
    InvalidCommission { field: &'static str, value: Decimal },
    #[error("slippage must be between 0 and 10000 basis points, got {0}")]
    InvalidSlippage(Decimal),
    #[error("lot step {step} of {symbol} must be positive with at most 12 decimals (e.g. 0.00001)")]
    InvalidLotStep { symbol: Symbol, step: Quantity },
    #[error("invalid rules: {0}")]
    InvalidRules(String),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// Every bar was replayed.
    Completed,
    /// A drawdown-halt rule liquidated the positions and stopped all trading.
    Halted { reason: String },
    /// The kill switch stopped the run; `flattened` says whether positions were closed.
    Stopped { flattened: bool },
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunStatus::Completed => f.write_str("completed"),
            RunStatus::Halted { reason } => write!(f, "halted: {reason}"),
            RunStatus::Stopped { flattened: true } => {
                f.write_str("stopped by the kill switch; positions flattened")
            }
            RunStatus::Stopped { flattened: false } => {
                f.write_str("stopped by the kill switch; positions left open")
            }
        }
    }
}

/// The exact end state of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub final_equity: Money,
    pub cash: Money,
    pub realized: Money,
    pub unrealized: Money,
    pub commissions: Money,
    /// Steps of the merged timeline (distinct timestamps) that were replayed.
    pub steps: usize,
    pub open_positions: Vec<OpenPosition>,
}

/// A position still open when the data ended, marked at the last close.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenPosition {
    pub symbol: Symbol,
    pub qty: Quantity,
    pub avg_price: Price,
    pub mark: f64,
}

/// Optional hooks of a run: progress reports and the command channel.
#[derive(Default)]
pub struct RunHooks<'a> {
    /// Called with the number of steps done: every 8,192 steps, a few times a second
    /// whatever the pace (a slow decider's run reports too), and at the end.
    pub progress: Option<&'a mut (dyn FnMut(usize) + Send)>,
    /// Commands (stop, flatten, pause, resume), applied between steps.
    pub control: Option<&'a RunControl>,
}

/// A configured run: over fixed data (a replay), or over symbols whose bars arrive as
/// the run goes (a live feed). Reusable: each run starts flat.
pub struct Engine {
    config: RunConfig,
    series: Vec<BarSeries>,
    rules: RuleSet,
    steps: usize,
    /// Whether every symbol has daily bars (the risk engine's day boundaries).
    daily: bool,
    decider_errors: DeciderErrors,
    /// How long a decider's order takes to reach the broker (`None`: no time at all).
    latency: Option<Latency>,
}

/// An order's way to the broker: decided at a bar's close, it arrives `order_ns` later
/// and fills at the first price after that — the open of a bar starting after it
/// arrived, or the close of the bar it arrived during.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Latency {
    pub order_ns: i64,
    /// The length of a bar: a bar labelled `t` closes at `t + bar_ns`.
    pub bar_ns: i64,
}

impl Engine {
    /// Validates the configuration and the data. Series are run in the given order;
    /// ties between symbols at one timestamp are processed in that order.
    pub fn new(config: RunConfig, series: Vec<BarSeries>) -> Result<Self, RunError> {
        if series.iter().all(|s| s.is_empty()) {
            return Err(RunError::NoData);
        }
        let daily = series.iter().all(BarSeries::is_daily);
        let mut engine = Engine::configured(config, daily)?;
        for (k, s) in series.iter().enumerate() {
            if series[..k].iter().any(|o| o.symbol() == s.symbol()) {
                return Err(RunError::DuplicateSymbol(s.symbol().clone()));
            }
        }
        engine.steps = MergedTimeline::count(&series);
        engine.series = series;
        Ok(engine)
    }

    /// A run over `symbols` whose bars arrive as it goes ([`Engine::run_stream`]);
    /// `daily` says whether they will be daily bars.
    pub fn live(config: RunConfig, symbols: Vec<Symbol>, daily: bool) -> Result<Self, RunError> {
        if symbols.is_empty() {
            return Err(RunError::NoData);
        }
        let mut engine = Engine::configured(config, daily)?;
        for symbol in symbols {
            if engine.series.iter().any(|s| *s.symbol() == symbol) {
                return Err(RunError::DuplicateSymbol(symbol));
            }
            engine
                .series
                .push(BarSeries::new(symbol, Vec::new()).map_err(|_| RunError::NoData)?);
        }
        Ok(engine)
    }

    /// An engine with a checked configuration and no data yet.
    fn configured(config: RunConfig, daily: bool) -> Result<Self, RunError> {
        if config.initial_cash.get() <= Decimal::ZERO {
            return Err(RunError::InvalidCash(config.initial_cash));
        }
        let c = &config.commission;
        for (field, value, max) in [
            ("rate", c.rate, Some(Decimal::ONE)),
            ("per_share", c.per_share, None),
            ("minimum", c.minimum, None),
        ] {
            if value < Decimal::ZERO || max.is_some_and(|m| value >= m) {
                return Err(RunError::InvalidCommission { field, value });
            }
        }
        if config.slippage_bps < Decimal::ZERO || config.slippage_bps > Decimal::from(10_000) {
            return Err(RunError::InvalidSlippage(config.slippage_bps));
        }
        for (symbol, step) in &config.lot_steps {
            if !crate::lots::valid_lot_step(*step) {
                return Err(RunError::InvalidLotStep {
                    symbol: symbol.clone(),
                    step: *step,
                });
            }
        }
        Ok(Engine {
            config,
            series: Vec::new(),
            rules: RuleSet::default(),
            steps: 0,
            daily,
            decider_errors: DeciderErrors::default(),
            latency: None,
        })
    }

    /// Enforces `rules` on every order of every run of this engine.
    pub fn with_rules(mut self, rules: RuleSet) -> Result<Self, RunError> {
        if let Err(issues) = rules.validate() {
            let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
            return Err(RunError::InvalidRules(text.join("; ")));
        }
        self.rules = rules;
        Ok(self)
    }

    /// Orders a decider places reach the broker `latency` after the close of the bar
    /// (of length `bar`) they were decided on, and fill at the first price after
    /// that; zero is the default (the next open, or the close under `close`).
    pub fn with_latency(
        mut self,
        latency: std::time::Duration,
        bar: tradelab_core::Timeframe,
    ) -> Self {
        let order_ns = i64::try_from(latency.as_nanos()).unwrap_or(i64::MAX);
        self.latency = (order_ns > 0).then_some(Latency {
            order_ns,
            bar_ns: bar.nanos(),
        });
        self
    }

    /// What a run does when its decider fails at a step (default: stop, failed).
    pub fn with_decider_errors(mut self, policy: DeciderErrors) -> Self {
        self.decider_errors = policy;
        self
    }

    /// The run's configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The data the run replays (empty series for a live run).
    pub fn series(&self) -> &[BarSeries] {
        &self.series
    }

    /// The structured rules the run enforces.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Number of steps (distinct timestamps) in the merged timeline.
    pub fn steps(&self) -> usize {
        self.steps
    }
}
