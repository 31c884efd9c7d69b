//! The run report: a sink that collects what the metrics need from the event stream
//! ([`ReportSink`]), and the summary a person (table) or a program (JSON) reads after
//! a run.

mod sink;

pub use sink::{ModelUsage, ReportSink, with_timeline};

use crate::config::RunConfig;
use crate::metrics::{self, Metrics, MetricsError, MetricsInput};
use crate::run::RunOutcome;
use serde::Serialize;
use std::collections::BTreeMap;
use tradelab_core::{BarSeries, Money, Timestamp};
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
    use crate::event::EventSink;

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
