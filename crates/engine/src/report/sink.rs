//! The report's sink: what the metrics need, collected from the event stream.

use crate::event::{EventSink, RejectReason, RunEvent, Seq, SinkResult};
use crate::metrics::Timeline;
use crate::risk_engine::RiskEvent;
use crate::trades::ClosedTrade;
use serde::Serialize;
use std::collections::BTreeMap;
use tradelab_core::{BarSeries, Money, Timestamp};

/// Collects the equity curve, trades, fills and rejections of a run.
///
/// Per step it keeps only what the run alone knows: the equity (8 bytes) and whether a
/// position was open (1 bit). The step timestamps are the data's ([`with_timeline`]).
#[derive(Default, Debug)]
pub struct ReportSink {
    /// Account equity at each step's close.
    pub equity: Vec<f64>,
    /// Bit `k` of word `k / 64`: a position was open at step `k`'s close.
    pub(super) invested: Vec<u64>,
    pub(super) invested_bars: usize,
    pub trades: Vec<ClosedTrade>,
    /// Number of fills.
    pub fills: usize,
    /// Slippage paid over all fills.
    pub slippage: Money,
    /// Rejected orders counted by reason kind (e.g. `insufficient_cash`).
    pub rejections: BTreeMap<String, usize>,
    /// Automatic exits by kind (`stop_loss`, `take_profit`, …).
    pub auto_exits: BTreeMap<String, usize>,
    /// Risk events other than exits, by kind (`circuit_breaker_tripped`, `halted`, …).
    pub risk_events: BTreeMap<String, usize>,
    pub decisions: usize,
    pub orders_accepted: usize,
    pub orders_cancelled: usize,
    /// What the decider's model calls used, when its decisions carried a trace (an
    /// LLM agent's).
    pub model_usage: Option<ModelUsage>,
}

/// Model calls, tokens and cost of a run's decisions, summed over their traces: the
/// one tally the report, the CLI's LLM totals and a stored run's summary all read.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ModelUsage {
    /// Decisions whose trace reported usage.
    pub decisions: usize,
    /// Decisions with a trace, usage or not: every step at which the decider was
    /// asked (an LLM agent's holds included). Absent from summaries stored before it.
    #[serde(default)]
    pub traced_decisions: usize,
    /// Model calls behind the decisions: the count a trace gives as `inputs.calls`
    /// (an LLM agent's, retried re-asks and tool rounds included), else one per
    /// decision with usage. Absent from summaries stored before it.
    #[serde(default)]
    pub model_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Cost in US dollars; `None` once tokens of unknown price were used (a model
    /// without a price), so a partial sum is never shown as the total. Calls of
    /// unknown price that used no token cost nothing and leave the total known.
    pub cost_usd: Option<f64>,
}

impl Default for ModelUsage {
    /// Nothing used yet, at a known cost of zero.
    fn default() -> Self {
        ModelUsage {
            decisions: 0,
            traced_decisions: 0,
            model_calls: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: Some(0.0),
        }
    }
}

impl ModelUsage {
    /// Counts one traced decision.
    pub fn add(&mut self, trace: &crate::decider::DecisionTrace) {
        self.traced_decisions += 1;
        let calls = trace
            .inputs
            .get("calls")
            .and_then(serde_json::Value::as_u64);
        let Some(usage) = &trace.usage else {
            self.model_calls += calls.unwrap_or(0);
            return;
        };
        self.decisions += 1;
        self.model_calls += calls.unwrap_or(1);
        self.prompt_tokens += usage.prompt_tokens;
        self.completion_tokens += usage.completion_tokens;
        let unpriced = usage.prompt_tokens + usage.completion_tokens > 0;
        self.cost_usd = match (self.cost_usd, usage.cost_usd) {
            (Some(total), Some(cost)) => Some(total + cost),
            (total, None) if !unpriced => total,
            _ => None,
        };
    }
}

impl ReportSink {
    /// A sink with room for `steps` equity points.
    pub fn with_capacity(steps: usize) -> Self {
        ReportSink {
            equity: Vec::with_capacity(steps),
            invested: vec![0; steps.div_ceil(64)],
            ..ReportSink::default()
        }
    }

    /// Empties the sink for another run, keeping its memory: a parameter sweep reuses
    /// one sink instead of faulting in fresh buffers for every run.
    pub fn clear(&mut self) {
        let ReportSink {
            equity,
            invested,
            invested_bars,
            trades,
            fills,
            slippage,
            rejections,
            auto_exits,
            risk_events,
            decisions,
            orders_accepted,
            orders_cancelled,
            model_usage,
        } = self;
        *model_usage = None;
        equity.clear();
        invested.fill(0);
        trades.clear();
        rejections.clear();
        auto_exits.clear();
        risk_events.clear();
        *slippage = Money::ZERO;
        for count in [
            invested_bars,
            fills,
            decisions,
            orders_accepted,
            orders_cancelled,
        ] {
            *count = 0;
        }
    }

    /// Whether a position was open at step `k`'s close (`false` past the last step).
    pub fn invested(&self, k: usize) -> bool {
        self.invested
            .get(k / 64)
            .is_some_and(|word| word & (1 << (k % 64)) != 0)
    }

    /// Number of steps that closed with a position open.
    pub fn invested_bars(&self) -> usize {
        self.invested_bars
    }

    #[inline]
    fn record(&mut self, equity: f64, invested: bool) {
        let k = self.equity.len();
        if k == self.equity.capacity() || k / 64 >= self.invested.len() {
            // Out of the per-step path, so that path saves no registers and calls nothing.
            return self.grow_and_record(equity, invested);
        }
        self.equity.push(equity);
        if let Some(word) = self.invested.get_mut(k / 64) {
            *word |= u64::from(invested) << (k % 64);
        }
        self.invested_bars += usize::from(invested);
    }

    /// `record` with room for more steps than announced.
    #[cold]
    #[inline(never)]
    fn grow_and_record(&mut self, equity: f64, invested: bool) {
        let k = self.equity.len();
        self.equity.reserve(k.max(64));
        self.invested.resize(self.equity.capacity().div_ceil(64), 0);
        self.record(equity, invested);
    }
}

/// Calls `f` with the timestamps of the first `steps` steps of a run over `series`:
/// the bars themselves for one symbol (nothing copied), the merged distinct
/// timestamps of all symbols otherwise.
pub fn with_timeline<R>(
    series: &[BarSeries],
    steps: usize,
    f: impl FnOnce(Timeline<'_>) -> R,
) -> R {
    if let [one] = series {
        return f(Timeline::Bars(one.bars()).prefix(steps));
    }
    let mut all = crate::run::step_timestamps(series);
    all.truncate(steps);
    f(Timeline::Times(&all))
}

impl EventSink for ReportSink {
    fn wants_positions(&self) -> bool {
        false
    }

    fn on_trade_closed(&mut self, _: Seq, trade: ClosedTrade) -> SinkResult {
        self.trades.push(trade);
        Ok(())
    }

    #[inline]
    fn on_equity(&mut self, _: Seq, _ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        self.record(equity, invested);
        Ok(())
    }

    #[inline]
    fn on_event(&mut self, _: Seq, event: &RunEvent) -> SinkResult {
        self.count(event);
        Ok(())
    }
}

impl ReportSink {
    /// Counts what the report counts of `event`.
    fn count(&mut self, event: &RunEvent) {
        match event {
            RunEvent::EquityPoint {
                equity, invested, ..
            } => self.record(*equity, *invested),
            RunEvent::Decision { .. } => self.decisions += 1,
            RunEvent::OrderAccepted { .. } => self.orders_accepted += 1,
            RunEvent::OrderCancelled { .. } => self.orders_cancelled += 1,
            RunEvent::OrderRejected { reason, .. } => {
                let key = match reason {
                    RejectReason::Risk { rule, .. } => format!("rule {rule}"),
                    other => other.kind().to_string(),
                };
                *self.rejections.entry(key).or_default() += 1;
            }
            RunEvent::Fill { fill } => {
                self.fills += 1;
                // The engine fails a run whose total slippage a decimal cannot hold
                // before it sends the fill, so the sum of an engine's fills is exact;
                // other event sources saturate rather than panic.
                let total = tradelab_core::money::exact::checked_add(
                    self.slippage.get(),
                    fill.slippage.get(),
                );
                self.slippage = Money(total.unwrap_or(if fill.slippage.get().is_sign_negative() {
                    rust_decimal::Decimal::MIN
                } else {
                    rust_decimal::Decimal::MAX
                }));
            }
            RunEvent::TradeClosed { trade } => self.trades.push(trade.clone()),
            RunEvent::Risk { risk, .. } => {
                let key = match risk {
                    RiskEvent::AutoExit { exit, .. } => {
                        *self
                            .auto_exits
                            .entry(exit.as_str().to_string())
                            .or_default() += 1;
                        return;
                    }
                    RiskEvent::CircuitBreakerTripped { .. } => "circuit_breaker_tripped",
                    RiskEvent::CircuitBreakerReset { .. } => "circuit_breaker_reset",
                    RiskEvent::Halted { .. } => "halted",
                    RiskEvent::Flatten { .. } => "flatten",
                    RiskEvent::KillSwitch { .. } => "kill_switch",
                };
                *self.risk_events.entry(key.to_string()).or_default() += 1;
            }
            RunEvent::Decided {
                trace: Some(trace), ..
            } => self.model_usage.get_or_insert_default().add(trace),
            RunEvent::PositionChanged { .. }
            | RunEvent::Decided { .. }
            | RunEvent::DeciderFailed { .. }
            | RunEvent::Command { .. }
            | RunEvent::Feed { .. }
            | RunEvent::Model { .. }
            | RunEvent::RunFinished { .. }
            | RunEvent::RunFailed { .. } => {}
        }
    }
}
