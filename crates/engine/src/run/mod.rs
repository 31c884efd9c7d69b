//! The run loop: merges the symbols' bars into one timeline and, at each step, fills
//! working orders on the new bars, applies automatic exits, marks the portfolio, lets
//! the risk engine act, asks the decider, places its orders and records equity.
//! Deterministic: same input, same events.

mod failure;
mod state;

use crate::config::RunConfig;
use crate::decider::{Decider, DecisionContext};
use crate::event::{EventSink, RunEvent};
use crate::portfolio::{Ledger, Portfolio};
use crate::risk::RuleSet;
use crate::risk_engine::{ExitKind, RiskEngine, RiskEvent, StepAction};
use crate::view::DataView;
use failure::Cursor;
pub use failure::RunFailure;
use rust_decimal::Decimal;
use serde::Serialize;
use state::RunState;
use std::sync::atomic::{AtomicBool, Ordering};
use tradelab_core::{BarSeries, Money, OrderIntent, Price, Quantity, Symbol, Timestamp};

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

/// The kill switch of a run: shared with whoever may stop it (API, admin, a test). The
/// engine checks it between steps.
#[derive(Debug, Default)]
pub struct RunControl {
    stop: AtomicBool,
    flatten: AtomicBool,
}

impl RunControl {
    /// A switch that is off.
    pub fn new() -> Self {
        RunControl::default()
    }

    /// Orders the run to stop before its next step; `flatten` closes every position at
    /// its last close first, otherwise positions stay open.
    pub fn stop(&self, flatten: bool) {
        self.flatten.store(flatten, Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was ordered.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn flattens(&self) -> bool {
        self.flatten.load(Ordering::SeqCst)
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

/// Optional hooks of a run: progress reports and the kill switch.
#[derive(Default)]
pub struct RunHooks<'a> {
    /// Called now and then with the number of steps done.
    pub progress: Option<&'a mut dyn FnMut(usize)>,
    /// Checked between steps.
    pub control: Option<&'a RunControl>,
}

/// A configured backtest over fixed data. Reusable: each [`Engine::run`] starts flat.
pub struct Engine {
    config: RunConfig,
    series: Vec<BarSeries>,
    rules: RuleSet,
    steps: usize,
}

impl Engine {
    /// Validates the configuration and the data. Series are run in the given order;
    /// ties between symbols at one timestamp are processed in that order.
    pub fn new(config: RunConfig, series: Vec<BarSeries>) -> Result<Self, RunError> {
        if series.iter().all(|s| s.is_empty()) {
            return Err(RunError::NoData);
        }
        for (k, s) in series.iter().enumerate() {
            if series[..k].iter().any(|o| o.symbol() == s.symbol()) {
                return Err(RunError::DuplicateSymbol(s.symbol().clone()));
            }
        }
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
        let steps = count_steps(&series);
        Ok(Engine {
            config,
            series,
            rules: RuleSet::default(),
            steps,
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

    /// The run's configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The data the run replays.
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

    /// Replays the data through `decider`, sending every event to `sink`.
    /// `progress` is called now and then with the number of steps done.
    ///
    /// Fails, after sending a [`RunEvent::RunFailed`], when an amount of the exact
    /// ledger is beyond what a decimal holds (see [`RunFailure`]).
    pub fn run(
        &self,
        decider: &mut dyn Decider,
        sink: &mut dyn EventSink,
        progress: Option<&mut dyn FnMut(usize)>,
    ) -> Result<RunOutcome, RunFailure> {
        self.run_with(
            decider,
            sink,
            RunHooks {
                progress,
                control: None,
            },
        )
    }

    /// [`Engine::run`] with a kill switch.
    pub fn run_with(
        &self,
        decider: &mut dyn Decider,
        sink: &mut dyn EventSink,
        mut hooks: RunHooks<'_>,
    ) -> Result<RunOutcome, RunFailure> {
        let symbols: Vec<Symbol> = self.series.iter().map(|s| s.symbol().clone()).collect();
        let n = self.series.len();
        let daily = self.series.iter().all(BarSeries::is_daily);
        let mut state = RunState {
            config: &self.config,
            portfolio: Portfolio::new(self.config.initial_cash, symbols),
            risk: RiskEngine::new(&self.rules, n, self.config.initial_cash.to_f64(), daily),
            working: Vec::new(),
            rejections: Vec::new(),
            risk_events: Vec::new(),
            next_id: 1,
            positions_wanted: sink.wants_positions(),
            slippage: Decimal::ZERO,
            sink,
        };
        let mut at = Cursor {
            step: 0,
            now: Timestamp::from_nanos(0),
        };
        match self.replay(&mut state, decider, &mut hooks, &mut at) {
            Ok(outcome) => {
                state.sink.on_event(&RunEvent::RunFinished {
                    ts: at.now,
                    status: outcome.status.clone(),
                    final_equity: outcome.final_equity,
                    cash: outcome.cash,
                    open_positions: outcome.open_positions.len(),
                });
                Ok(outcome)
            }
            Err(error) => {
                let failure = RunFailure {
                    ts: at.now,
                    step: at.step,
                    error: *error,
                };
                state.sink.on_event(&RunEvent::RunFailed {
                    ts: failure.ts,
                    step: failure.step,
                    message: failure.error.to_string(),
                    error: failure.error.clone(),
                });
                Err(failure)
            }
        }
    }

    /// The run loop of [`Engine::run_with`]: every step, then the end of the data and
    /// the exact end state. `at` follows the step in progress (the last one at the end).
    fn replay(
        &self,
        state: &mut RunState<'_>,
        decider: &mut dyn Decider,
        hooks: &mut RunHooks<'_>,
        at: &mut Cursor,
    ) -> Ledger<RunOutcome> {
        let n = self.series.len();
        let guarded = !state.risk.is_empty();
        let mut visible = vec![0usize; n];
        let mut updated: Vec<usize> = Vec::with_capacity(n);
        let mut intents: Vec<OrderIntent> = Vec::new();
        let mut step = 0usize;
        let mut last_ts = None;
        let mut status = RunStatus::Completed;
        while let Some(now) = self.advance(&visible, &mut updated) {
            if let Some(control) = hooks.control
                && control.is_stopped()
            {
                status = self.kill(state, control.flattens(), last_ts, step)?;
                break;
            }
            at.now = now;
            at.step = step;
            if guarded {
                state.risk.begin_step(now, &mut state.risk_events);
                state.flush_risk_events(now);
                for &i in &updated {
                    state.risk.on_bar(i);
                }
            }
            if !state.working.is_empty() {
                state.fill_working(&self.series, &visible, &updated, now, step)?;
            }
            if guarded {
                state.auto_exits(&self.series, &visible, &updated, now, step)?;
            }
            for &i in &updated {
                let close = self.series[i].bars()[visible[i]].close();
                visible[i] += 1;
                state.portfolio.set_mark(i, close);
            }
            if guarded {
                let equity = state.portfolio.equity_f64();
                let action = state.risk.end_step(now, equity, &mut state.risk_events);
                state.flush_risk_events(now);
                match action {
                    Some(StepAction::Flatten { .. }) => {
                        state.liquidate(
                            &self.series,
                            &visible,
                            &updated,
                            now,
                            step,
                            ExitKind::FlattenAt,
                        )?;
                    }
                    Some(StepAction::Halt { reason, .. }) => {
                        state.liquidate(
                            &self.series,
                            &visible,
                            &updated,
                            now,
                            step,
                            ExitKind::DrawdownHalt,
                        )?;
                        status = RunStatus::Halted { reason };
                    }
                    None => {}
                }
            }
            if state.risk.halted().is_none() {
                let ctx = DecisionContext {
                    now,
                    view: DataView::new(&self.series, &visible),
                    updated: &updated,
                    portfolio: &state.portfolio,
                    rejections: &state.rejections,
                };
                decider.on_step(&ctx, &mut intents);
                state.rejections.clear();
            }
            if !intents.is_empty() {
                for intent in intents.drain(..) {
                    state.place(intent, &self.series, &visible, &updated, now, step)?;
                }
            }
            let invested = state.portfolio.open_positions() > 0;
            state
                .sink
                .on_equity(now, state.portfolio.equity_f64(), invested);
            last_ts = Some(now);
            step += 1;
            if step.is_multiple_of(8192)
                && let Some(p) = hooks.progress.as_mut()
            {
                p(step);
            }
        }
        let end = last_ts.unwrap_or(Timestamp::from_nanos(0));
        at.now = end;
        at.step = step.saturating_sub(1);
        state.cancel_working(end, "still working when the data ended");
        if self.config.close_at_end && status == RunStatus::Completed {
            state.close_all_at_last_close(
                &self.series,
                end,
                step.saturating_sub(1),
                "close at end of data (--close-at-end)",
            )?;
        }
        if let Some(p) = hooks.progress.as_mut() {
            p(step);
        }
        let portfolio = &state.portfolio;
        let mut open_positions = Vec::with_capacity(portfolio.open_positions());
        for i in (0..n).filter(|&i| !portfolio.position(i).is_zero()) {
            open_positions.push(OpenPosition {
                symbol: self.series[i].symbol().clone(),
                qty: portfolio.position(i),
                avg_price: portfolio.avg_price(i)?,
                mark: portfolio.mark(i),
            });
        }
        Ok(RunOutcome {
            status,
            final_equity: portfolio.equity()?,
            cash: portfolio.cash(),
            realized: portfolio.realized(),
            unrealized: portfolio.unrealized()?,
            commissions: portfolio.commissions(),
            steps: step,
            open_positions,
        })
    }

    /// The kill switch fired before the step after `last_ts`.
    fn kill(
        &self,
        state: &mut RunState<'_>,
        flatten: bool,
        last_ts: Option<Timestamp>,
        step: usize,
    ) -> Ledger<RunStatus> {
        let ts = last_ts.unwrap_or(Timestamp::from_nanos(0));
        state.risk.halt("stopped by the kill switch");
        state.risk_events.push(RiskEvent::KillSwitch { flatten });
        state.flush_risk_events(ts);
        state.cancel_working(ts, "cancelled by the kill switch");
        if flatten {
            state.close_all_at_last_close(
                &self.series,
                ts,
                step.saturating_sub(1),
                "engine exit: kill_switch",
            )?;
        }
        Ok(RunStatus::Stopped { flattened: flatten })
    }

    /// The next step's timestamp, with the symbols that have a bar at it in `updated`;
    /// `None` when every series is exhausted.
    #[inline]
    fn advance(&self, visible: &[usize], updated: &mut Vec<usize>) -> Option<Timestamp> {
        if let [only] = self.series.as_slice() {
            let ts = only.bars().get(visible[0])?.ts();
            only.prefetch(visible[0] + PREFETCH_AHEAD);
            if updated.is_empty() {
                updated.push(0);
            }
            return Some(ts);
        }
        let now = self
            .series
            .iter()
            .zip(visible)
            .filter_map(|(s, &v)| s.bars().get(v).map(|b| b.ts()))
            .min()?;
        updated.clear();
        for (i, s) in self.series.iter().enumerate() {
            if s.bars().get(visible[i]).is_some_and(|b| b.ts() == now) {
                updated.push(i);
                s.prefetch(visible[i] + PREFETCH_AHEAD);
            }
        }
        Some(now)
    }
}

/// How many bars ahead of the current one a replay asks the CPU to load: far enough to
/// hide a memory access, near enough to stay in cache (measured best between 32 and 128).
const PREFETCH_AHEAD: usize = 32;

/// Number of steps: distinct timestamps across all series.
fn count_steps(series: &[BarSeries]) -> usize {
    if let [one] = series {
        return one.len();
    }
    step_timestamps(series).len()
}

/// The merged timeline of a run: the distinct timestamps of all series, ascending.
pub(crate) fn step_timestamps(series: &[BarSeries]) -> Vec<Timestamp> {
    let mut all: Vec<Timestamp> = series
        .iter()
        .flat_map(|s| s.bars().iter().map(|b| b.ts()))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}
