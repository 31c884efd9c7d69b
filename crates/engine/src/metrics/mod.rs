//! Performance metrics of a finished run, in the conventions of empyrical and
//! quantstats so that our numbers can be checked against theirs.
//!
//! Returns `r` are the simple returns of the equity curve between consecutive bar
//! closes (`n = bars − 1` of them; the curve starts at the initial cash on the first
//! bar). With `P` periods per year (see [`periods_per_year`]) and the per-period
//! risk-free rate `rf = (1 + rf_annual)^(1/P) − 1` (0 by default):
//!
//! | metric | formula | undefined (`None`, JSON `null`) when |
//! |---|---|---|
//! | sharpe | `mean(r − rf) / std(r − rf, ddof=1) · √P` | n < 2, or all returns equal |
//! | sortino | `mean(r − rf)·P / (√mean(min(r − rf, 0)²) · √P)` | n < 2, or no return below rf |
//! | cagr | `(E_end / E_start)^(P/n) − 1` | n = 0, or E_end < 0 |
//! | volatility | `std(r, ddof=1) · √P` | n < 2 |
//! | max drawdown | `max_t 1 − E_t / max_{s≤t} E_s` | never (0 without drawdown) |
//! | calmar | `cagr / max drawdown` | cagr undefined, or no drawdown |
//!
//! The downside deviation of sortino is taken over *all* returns, not only the
//! negative ones (empyrical's `downside_risk`). `rf` is subtracted for sharpe and
//! sortino only. Percent fields (`*_pct`) are percentages; sharpe, sortino and calmar
//! are plain ratios of fractions. A result that would be NaN or infinite is reported
//! as `None`, never as a non-finite number.

mod calendar;
mod drawdown;
mod stats;
mod timeline;
mod trade_stats;

pub use calendar::{
    CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR, format_duration, periods_per_year,
    periods_per_year_for,
};
pub use drawdown::{DrawdownSummary, drawdowns};
pub use timeline::Timeline;
pub use trade_stats::TradeStats;

use crate::trades::ClosedTrade;
use serde::Serialize;
use tradelab_core::Timestamp;

/// Everything [`compute`] needs from a run: the equity curve on the run's timeline,
/// the closed trades and a few totals the ledger already knows.
#[derive(Clone, Copy, Debug)]
pub struct MetricsInput<'a> {
    /// One per equity point: the bar closes of the run's timeline, ascending.
    pub timestamps: Timeline<'a>,
    /// Account equity (cash + marked positions) at each bar close; the first point is
    /// the initial cash.
    pub equity: &'a [f64],
    /// Number of bar closes at which a position was open (for exposure); at most the
    /// number of equity points.
    pub invested_bars: usize,
    /// Closed trades in the order they closed.
    pub trades: &'a [ClosedTrade],
    /// Annualization factor `P` (usually from [`periods_per_year`]); finite, > 0.
    pub periods_per_year: f64,
    /// Annual risk-free rate as a fraction (0.02 = 2 %); finite, > −1.
    pub risk_free_annual: f64,
    /// Total commissions paid, in account currency (reported as given).
    pub commissions: f64,
    /// Return of buying and holding the instrument over the run, in percent (reported
    /// as given).
    pub buy_and_hold_return_pct: f64,
}

/// The metrics of a run. `Option` fields are `None` (JSON `null`) where the metric is
/// undefined; see the module docs for when.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Timestamp of the first equity point.
    pub start: Timestamp,
    /// Timestamp of the last equity point.
    pub end: Timestamp,
    /// Number of equity points (bars).
    pub bars: usize,
    /// Equity at the first point.
    pub initial_equity: f64,
    /// Equity at the last point.
    pub final_equity: f64,
    /// Highest equity of the curve.
    pub equity_peak: f64,
    /// `(E_end / E_start − 1) · 100`.
    pub total_return_pct: f64,
    /// Compound annual growth rate, percent.
    pub cagr_pct: Option<f64>,
    /// Annualized volatility of the returns, percent.
    pub volatility_ann_pct: Option<f64>,
    /// Annualized Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Annualized Sortino ratio.
    pub sortino: Option<f64>,
    /// CAGR over maximum drawdown (both as fractions).
    pub calmar: Option<f64>,
    /// Deepest fall from a running high, percent, reported positive (0 without one).
    pub max_drawdown_pct: f64,
    /// When the high the deepest drawdown fell from was set (last time it was hit).
    pub max_drawdown_peak: Option<Timestamp>,
    /// When the deepest drawdown bottomed (first time).
    pub max_drawdown_trough: Option<Timestamp>,
    /// First time after the trough that equity was back at the peak; `None` if never.
    pub max_drawdown_recovery: Option<Timestamp>,
    /// Longest drawdown episode (peak to recovery, or to the end if still open), in
    /// seconds; `None` when the curve never fell below its running high.
    pub max_drawdown_duration_secs: Option<i64>,
    /// `max_drawdown_duration_secs` as text such as `"12d 3h"`.
    pub max_drawdown_duration_text: Option<String>,
    /// Percentage of bars at whose close a position was open.
    pub exposure_pct: f64,
    /// Total commissions paid (as given).
    pub commissions: f64,
    /// Buy-and-hold return of the instrument, percent (as given).
    pub buy_and_hold_return_pct: f64,
    /// The annualization factor used.
    pub periods_per_year: f64,
    /// The annual risk-free rate used (fraction).
    pub risk_free_annual: f64,
    /// Statistics of the closed trades.
    pub trades: TradeStats,
}

impl Metrics {
    /// The metrics of a run that ended before its first bar closed (stopped at once):
    /// no equity point, so nothing moved: equity stays `initial`, returns are zero,
    /// and every ratio is undefined. `at` stands for both ends of the empty period.
    pub fn before_first_bar(at: Timestamp, initial: f64, periods_per_year: f64) -> Metrics {
        Metrics {
            start: at,
            end: at,
            bars: 0,
            initial_equity: initial,
            final_equity: initial,
            equity_peak: initial,
            total_return_pct: 0.0,
            cagr_pct: None,
            volatility_ann_pct: None,
            sharpe: None,
            sortino: None,
            calmar: None,
            max_drawdown_pct: 0.0,
            max_drawdown_peak: None,
            max_drawdown_trough: None,
            max_drawdown_recovery: None,
            max_drawdown_duration_secs: None,
            max_drawdown_duration_text: None,
            exposure_pct: 0.0,
            commissions: 0.0,
            buy_and_hold_return_pct: 0.0,
            periods_per_year,
            risk_free_annual: 0.0,
            trades: TradeStats::default(),
        }
    }
}

/// Why metrics cannot be computed from an input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// No equity points at all.
    #[error("the equity curve is empty")]
    Empty,
    /// `timestamps` and `equity` must have one entry per bar, and no more bars can be
    /// invested than there are.
    #[error(
        "lengths differ: {timestamps} timestamps, {equity} equity points, {invested} invested bars"
    )]
    LengthMismatch {
        /// Length of `timestamps`.
        timestamps: usize,
        /// Length of `equity`.
        equity: usize,
        /// Bars with a position open.
        invested: usize,
    },
    /// An equity point is NaN or infinite.
    #[error("equity at bar {index} is {value}, not a finite number")]
    NonFiniteEquity {
        /// Bar index of the first bad point.
        index: usize,
        /// The value found there.
        value: f64,
    },
    /// Returns are relative to the start, which must be positive.
    #[error("initial equity is {0}; it must be positive")]
    NonPositiveStart(f64),
    /// The annualization factor must be finite and positive.
    #[error("periods per year is {0}; it must be a finite positive number")]
    InvalidPeriodsPerYear(f64),
    /// The risk-free rate must be finite and above −100 %.
    #[error("annual risk-free rate is {0}; it must be finite and greater than -1")]
    InvalidRiskFree(f64),
}

/// Computes every metric of a run.
///
/// Errors when the curve is empty, the three per-bar slices differ in length, any
/// equity point is non-finite, the first is not positive, or `periods_per_year` /
/// `risk_free_annual` are out of range. Everything else (one bar, a flat curve, no
/// trades, equity falling to zero) yields `None` for the undefined metrics.
pub fn compute(input: &MetricsInput) -> Result<Metrics, MetricsError> {
    validate(input)?;
    let (ts, eq) = (input.timestamps, input.equity);
    let p = input.periods_per_year;
    let (first, last) = (eq[0], eq[eq.len() - 1]);
    let rf = (1.0 + input.risk_free_annual).powf(1.0 / p) - 1.0;

    let returns = stats::simple_returns(eq);
    // A curve that touched zero has undefined returns after it; so have the ratios.
    let returns_ok = returns.iter().all(|r| r.is_finite());
    let (sharpe, sortino, volatility) = if returns_ok {
        (
            stats::sharpe(&returns, rf, p),
            stats::sortino(&returns, rf, p),
            stats::annual_volatility(&returns, p),
        )
    } else {
        (None, None, None)
    };
    let cagr = stats::cagr(first, last, returns.len(), p);

    let dd = drawdowns(ts, eq);
    let at = |i: usize| ts.at(i);
    let calmar = (dd.max_drawdown > 0.0)
        .then_some(cagr)
        .flatten()
        .and_then(|c| stats::finite(c / dd.max_drawdown));
    let dd_secs = dd.longest_duration_nanos.map(|n| n / 1_000_000_000);

    Ok(Metrics {
        start: at(0),
        end: at(ts.len() - 1),
        bars: eq.len(),
        initial_equity: first,
        final_equity: last,
        equity_peak: eq.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        total_return_pct: (last / first - 1.0) * 100.0,
        cagr_pct: cagr.map(|c| c * 100.0),
        volatility_ann_pct: volatility.map(|v| v * 100.0),
        sharpe,
        sortino,
        calmar,
        max_drawdown_pct: dd.max_drawdown * 100.0,
        max_drawdown_peak: dd.peak.map(at),
        max_drawdown_trough: dd.trough.map(at),
        max_drawdown_recovery: dd.recovery.map(at),
        max_drawdown_duration_secs: dd_secs,
        max_drawdown_duration_text: dd_secs.map(format_duration),
        exposure_pct: input.invested_bars as f64 / eq.len() as f64 * 100.0,
        commissions: input.commissions,
        buy_and_hold_return_pct: input.buy_and_hold_return_pct,
        periods_per_year: p,
        risk_free_annual: input.risk_free_annual,
        trades: TradeStats::from_trades(input.trades),
    })
}

fn validate(input: &MetricsInput) -> Result<(), MetricsError> {
    let (t, e, i) = (
        input.timestamps.len(),
        input.equity.len(),
        input.invested_bars,
    );
    if t != e || i > e {
        return Err(MetricsError::LengthMismatch {
            timestamps: t,
            equity: e,
            invested: i,
        });
    }
    if e == 0 {
        return Err(MetricsError::Empty);
    }
    if let Some((index, &value)) = input
        .equity
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
    {
        return Err(MetricsError::NonFiniteEquity { index, value });
    }
    if input.equity[0] <= 0.0 {
        return Err(MetricsError::NonPositiveStart(input.equity[0]));
    }
    let p = input.periods_per_year;
    if !(p.is_finite() && p > 0.0) {
        return Err(MetricsError::InvalidPeriodsPerYear(p));
    }
    let rf = input.risk_free_annual;
    if !(rf.is_finite() && rf > -1.0) {
        return Err(MetricsError::InvalidRiskFree(rf));
    }
    Ok(())
}
