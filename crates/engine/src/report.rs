//! The run report: a sink that collects what the metrics need from the event stream,
//! and the summary a person (table) or a program (JSON) reads after a run.

use crate::config::RunConfig;
use crate::event::{EventSink, RejectReason, RunEvent, Seq, SinkResult};
use crate::metrics::{self, Metrics, MetricsError, MetricsInput, Timeline};
use crate::risk_engine::RiskEvent;
use crate::run::RunOutcome;
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
    invested: Vec<u64>,
    invested_bars: usize,
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

/// Average over symbols of `last close / first close − 1`, in percent.
pub fn buy_and_hold_return_pct(series: &[BarSeries]) -> f64 {
    let rets: Vec<f64> = series
        .iter()
        .filter_map(|s| Some(s.bars().last()?.close() / s.bars().first()?.close() - 1.0))
        .collect();
    if rets.is_empty() {
        return 0.0;
    }
    rets.iter().sum::<f64>() / rets.len() as f64 * 100.0
}

/// How the report's annualization and risk-free rate are chosen.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub strategy: String,
    /// `None`: 252 for daily bars, 252 × median bars per day for intraday bars (365
    /// instead of 252 when the run holds a symbol that trades 24/7, see
    /// [`RunConfig::days_per_year`]).
    pub periods_per_year: Option<f64>,
    pub risk_free_annual: f64,
    /// Time zone that decides which calendar day an intraday bar belongs to.
    pub tz: jiff::tz::TimeZone,
    /// Names of the enforced rules, for the report header.
    pub rules: Vec<String>,
}

/// Everything a run reports: configuration, exact ledger, metrics, activity.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub strategy: String,
    pub symbols: Vec<String>,
    pub fill_model: String,
    pub commission: String,
    pub slippage_bps: f64,
    pub allow_short: bool,
    /// Lot steps of the symbols that trade fractions, `SYMBOL=STEP` (absent when every
    /// symbol trades whole units).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lot_steps: Vec<String>,
    pub initial_cash: f64,
    /// Exact final equity, rounded to cents.
    pub final_equity: f64,
    /// Exact final equity as decimal text (no rounding).
    pub final_equity_exact: String,
    pub cash: f64,
    pub start: String,
    pub end: String,
    pub bars: usize,
    pub periods_per_year: f64,
    pub total_return_pct: f64,
    pub cagr_pct: Option<f64>,
    pub volatility_ann_pct: Option<f64>,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub calmar: Option<f64>,
    pub max_drawdown_pct: f64,
    pub max_drawdown_start: Option<String>,
    pub max_drawdown_end: Option<String>,
    pub max_drawdown_recovery: Option<String>,
    pub max_drawdown_duration: Option<String>,
    pub closed_trades: usize,
    pub open_trades: usize,
    pub win_rate_pct: Option<f64>,
    pub profit_factor: Option<f64>,
    pub expectancy: Option<f64>,
    pub avg_trade_pct: Option<f64>,
    pub avg_win: Option<f64>,
    pub avg_loss: Option<f64>,
    pub best_trade_pct: Option<f64>,
    pub worst_trade_pct: Option<f64>,
    pub avg_trade_duration: Option<String>,
    pub max_trade_duration: Option<String>,
    pub max_consecutive_wins: usize,
    pub max_consecutive_losses: usize,
    pub exposure_pct: f64,
    pub commissions: f64,
    pub buy_and_hold_return_pct: f64,
    pub risk_free_annual: f64,
    pub fills: usize,
    /// Total slippage cost of all fills versus their unslipped prices.
    pub slippage: f64,
    pub orders_rejected: BTreeMap<String, usize>,
    pub orders_cancelled: usize,
    /// Positions the engine closed on its own, by kind.
    pub auto_exits: BTreeMap<String, usize>,
    /// Circuit breakers, halts, flattens and kill switches, by kind.
    pub risk_events: BTreeMap<String, usize>,
    /// Names of the structured rules the run enforced.
    pub rules: Vec<String>,
    /// Model calls, tokens and cost of the decider's decisions (an LLM agent's);
    /// absent for deciders whose decisions carry no trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_usage: Option<ModelUsage>,
    /// `completed`, `halted: …` or `stopped …`.
    pub status: String,
    #[serde(skip)]
    pub metrics: Metrics,
}

fn cents(m: Money) -> f64 {
    m.round_cents().to_f64()
}

impl Report {
    /// Builds the report of a finished run.
    pub fn build(
        config: &RunConfig,
        series: &[BarSeries],
        sink: &ReportSink,
        outcome: &RunOutcome,
        options: &ReportOptions,
    ) -> Result<Report, MetricsError> {
        let daily = series.iter().all(BarSeries::is_daily);
        let m = if sink.equity.is_empty() {
            // Stopped before the first bar closed: a report of nothing done.
            let first = series
                .iter()
                .filter_map(|s| s.bars().first().map(|b| b.ts()))
                .min()
                .unwrap_or(Timestamp::from_nanos(0));
            // No returns to annualize: the factor is only reported.
            let periods = options
                .periods_per_year
                .unwrap_or_else(|| config.days_per_year(series));
            Metrics::before_first_bar(first, config.initial_cash.to_f64(), periods)
        } else {
            Self::metrics(
                series,
                sink,
                outcome,
                options,
                daily,
                config.days_per_year(series),
            )?
        };
        Self::from_metrics(config, series, sink, outcome, options, m)
    }

    fn metrics(
        series: &[BarSeries],
        sink: &ReportSink,
        outcome: &RunOutcome,
        options: &ReportOptions,
        daily: bool,
        days: f64,
    ) -> Result<Metrics, MetricsError> {
        with_timeline(series, sink.equity.len(), |timestamps| {
            let periods = options.periods_per_year.unwrap_or_else(|| {
                metrics::periods_per_year_for(timestamps, daily, &options.tz, days)
            });
            metrics::compute(&MetricsInput {
                timestamps,
                equity: &sink.equity,
                invested_bars: sink.invested_bars,
                trades: &sink.trades,
                periods_per_year: periods,
                risk_free_annual: options.risk_free_annual,
                commissions: outcome.commissions.to_f64(),
                buy_and_hold_return_pct: buy_and_hold_return_pct(series),
            })
        })
    }

    fn from_metrics(
        config: &RunConfig,
        series: &[BarSeries],
        sink: &ReportSink,
        outcome: &RunOutcome,
        options: &ReportOptions,
        m: Metrics,
    ) -> Result<Report, MetricsError> {
        let show = |ts: Option<Timestamp>| ts.map(Timestamp::display_auto);
        let initial = config.initial_cash;
        let t = &m.trades;
        Ok(Report {
            strategy: options.strategy.clone(),
            symbols: series.iter().map(|s| s.symbol().to_string()).collect(),
            fill_model: config.fill_model.to_string(),
            commission: config.commission.to_string(),
            slippage_bps: config.slippage_bps.try_into().unwrap_or(f64::NAN),
            allow_short: config.allow_short,
            lot_steps: config.lot_steps_text(),
            initial_cash: cents(initial),
            final_equity: cents(outcome.final_equity),
            final_equity_exact: outcome.final_equity.to_string(),
            cash: cents(outcome.cash),
            start: m.start.display_auto(),
            end: m.end.display_auto(),
            bars: m.bars,
            periods_per_year: m.periods_per_year,
            total_return_pct: (outcome.final_equity.to_f64() / initial.to_f64() - 1.0) * 100.0,
            cagr_pct: m.cagr_pct,
            volatility_ann_pct: m.volatility_ann_pct,
            sharpe: m.sharpe,
            sortino: m.sortino,
            calmar: m.calmar,
            max_drawdown_pct: m.max_drawdown_pct,
            max_drawdown_start: show(m.max_drawdown_peak),
            max_drawdown_end: show(m.max_drawdown_trough),
            max_drawdown_recovery: show(m.max_drawdown_recovery),
            max_drawdown_duration: m.max_drawdown_duration_text.clone(),
            closed_trades: t.closed_trades,
            open_trades: outcome.open_positions.len(),
            win_rate_pct: t.win_rate_pct,
            profit_factor: t.profit_factor,
            expectancy: t.expectancy,
            avg_trade_pct: t.avg_trade_pct,
            avg_win: t.avg_win,
            avg_loss: t.avg_loss,
            best_trade_pct: t.best_trade_pct,
            worst_trade_pct: t.worst_trade_pct,
            avg_trade_duration: t.avg_duration_text.clone(),
            max_trade_duration: t.max_duration_text.clone(),
            max_consecutive_wins: t.max_consecutive_wins,
            max_consecutive_losses: t.max_consecutive_losses,
            exposure_pct: m.exposure_pct,
            commissions: cents(outcome.commissions),
            buy_and_hold_return_pct: m.buy_and_hold_return_pct,
            risk_free_annual: m.risk_free_annual,
            fills: sink.fills,
            slippage: cents(sink.slippage),
            orders_rejected: sink.rejections.clone(),
            orders_cancelled: sink.orders_cancelled,
            auto_exits: sink.auto_exits.clone(),
            risk_events: sink.risk_events.clone(),
            rules: options.rules.clone(),
            model_usage: sink.model_usage,
            status: outcome.status.to_string(),
            metrics: m,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::{DecisionTrace, Usage};

    /// A trace of `calls` model calls that used `prompt` + 10 tokens costing `cost`.
    fn trace(calls: u64, prompt: u64, cost: Option<f64>) -> DecisionTrace {
        DecisionTrace {
            inputs: serde_json::json!({ "calls": calls }),
            tool_calls: Vec::new(),
            usage: Some(Usage {
                prompt_tokens: prompt,
                completion_tokens: 10,
                cost_usd: cost,
            }),
        }
    }

    #[test]
    fn model_usage_sums_calls_tokens_and_cost_over_the_traced_decisions() {
        let mut u = ModelUsage::default();
        u.add(&trace(2, 100, Some(0.5)));
        u.add(&trace(1, 50, Some(0.25)));
        // A trace without usage is an asked step that called no model.
        u.add(&DecisionTrace::default());
        assert_eq!((u.decisions, u.traced_decisions, u.model_calls), (2, 3, 3));
        assert_eq!((u.prompt_tokens, u.completion_tokens), (150, 20));
        assert_eq!(u.cost_usd, Some(0.75));
        // Without a `calls` count, a decision with usage is one call.
        u.add(&DecisionTrace {
            inputs: serde_json::Value::Null,
            ..trace(0, 1, Some(0.0))
        });
        assert_eq!(u.model_calls, 4);
    }

    #[test]
    fn model_usage_cost_is_unknown_once_tokens_of_unknown_price_were_used() {
        let mut u = ModelUsage::default();
        u.add(&trace(1, 100, Some(0.5)));
        u.add(&trace(1, 1, None));
        assert_eq!(u.cost_usd, None);
        u.add(&trace(1, 100, Some(0.5)));
        assert_eq!(u.cost_usd, None, "a partial sum is never the total");
    }

    #[test]
    fn model_usage_of_unpriced_calls_that_used_no_token_costs_nothing() {
        let mut u = ModelUsage::default();
        let free = DecisionTrace {
            usage: Some(Usage::default()),
            ..trace(1, 0, None)
        };
        u.add(&free);
        u.add(&free);
        assert_eq!(u.cost_usd, Some(0.0));
        assert_eq!((u.decisions, u.model_calls), (2, 2));
    }

    #[test]
    fn model_usage_read_from_a_summary_stored_before_the_call_counts() {
        let old = serde_json::json!({
            "decisions": 5, "prompt_tokens": 7, "completion_tokens": 3, "cost_usd": null
        });
        let u: ModelUsage = serde_json::from_value(old).expect("an older summary reads");
        assert_eq!((u.decisions, u.traced_decisions, u.model_calls), (5, 0, 0));
        assert_eq!(u.cost_usd, None);
    }

    #[test]
    fn sink_keeps_equity_and_exposure_per_step_past_the_announced_steps() {
        let mut sink = ReportSink::with_capacity(3);
        let ts = Timestamp::from_secs(0);
        let invested = |k: usize| k % 3 == 1 || k == 130;
        for k in 0..200 {
            sink.on_equity(k as u64 + 1, ts, 1_000.0 + k as f64, invested(k))
                .unwrap();
        }
        assert_eq!(sink.equity.len(), 200);
        assert_eq!(sink.equity[199], 1_199.0);
        for k in 0..210 {
            assert_eq!(sink.invested(k), k < 200 && invested(k), "step {k}");
        }
        assert_eq!(
            sink.invested_bars(),
            (0..200).filter(|&k| invested(k)).count()
        );
    }
}
