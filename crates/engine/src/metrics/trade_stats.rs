//! Statistics of closed trades (round trips), PnL net of commissions.

use super::calendar::format_duration;
use super::stats::{CompensatedSum, finite};
use crate::trades::ClosedTrade;
use serde::Serialize;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Summary of the closed trades of a run, in the trades' order (the ledger closes
/// them in exit order, which is what streaks are counted in).
///
/// A win is a trade with `pnl > 0`, a loss one with `pnl < 0`; a trade with a PnL of
/// exactly zero is neither and breaks both streaks. Every `Option` is `None` (JSON
/// `null`) when the statistic has no trades to be computed from.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TradeStats {
    /// Number of closed trades (open positions at the end are not trades).
    pub closed_trades: usize,
    /// Share of trades with `pnl > 0`, in percent; `None` without trades.
    pub win_rate_pct: Option<f64>,
    /// Σ winning PnL / |Σ losing PnL|. `None` when there is no losing trade (the ratio
    /// would be +∞, or 0/0 without any trade); `0.0` with losses but no wins.
    pub profit_factor: Option<f64>,
    /// Mean PnL per trade, in account currency; `None` without trades.
    pub expectancy: Option<f64>,
    /// Mean of the trades' `return_pct`, in percent; `None` without trades.
    pub avg_trade_pct: Option<f64>,
    /// Mean PnL of the winning trades (positive, currency); `None` without wins.
    pub avg_win: Option<f64>,
    /// Mean PnL of the losing trades (negative, currency); `None` without losses.
    pub avg_loss: Option<f64>,
    /// Largest `return_pct`, in percent; `None` without trades.
    pub best_trade_pct: Option<f64>,
    /// Smallest `return_pct`, in percent; `None` without trades.
    pub worst_trade_pct: Option<f64>,
    /// Mean time from entry to exit, whole seconds (truncated); `None` without trades.
    pub avg_duration_secs: Option<i64>,
    /// `avg_duration_secs` as text such as `"12d 3h"` (see [`format_duration`]).
    pub avg_duration_text: Option<String>,
    /// Longest time from entry to exit, whole seconds; `None` without trades.
    pub max_duration_secs: Option<i64>,
    /// `max_duration_secs` as text such as `"12d 3h"`.
    pub max_duration_text: Option<String>,
    /// Longest run of consecutive winning trades.
    pub max_consecutive_wins: usize,
    /// Longest run of consecutive losing trades.
    pub max_consecutive_losses: usize,
    /// Trades that were long.
    pub long_trades: usize,
    /// Trades that were short.
    pub short_trades: usize,
}

impl TradeStats {
    /// Computes the statistics of `trades` in the given order.
    pub fn from_trades(trades: &[ClosedTrade]) -> TradeStats {
        let n = trades.len();
        if n == 0 {
            return TradeStats::default();
        }
        let mut all = CompensatedSum::default();
        let mut won = CompensatedSum::default();
        let mut lost = CompensatedSum::default();
        let mut pct = CompensatedSum::default();
        let (mut wins, mut losses, mut longs) = (0usize, 0usize, 0usize);
        let (mut streak_w, mut streak_l, mut max_w, mut max_l) = (0usize, 0usize, 0usize, 0usize);
        let (mut best, mut worst) = (f64::NEG_INFINITY, f64::INFINITY);
        let (mut total_nanos, mut max_nanos) = (0i128, i128::MIN);

        for t in trades {
            let pnl = t.pnl.to_f64();
            all.add(pnl);
            pct.add(t.return_pct);
            best = best.max(t.return_pct);
            worst = worst.min(t.return_pct);
            longs += usize::from(t.is_long());
            let held = i128::from(t.exit_ts.nanos()) - i128::from(t.entry_ts.nanos());
            total_nanos += held;
            max_nanos = max_nanos.max(held);
            if pnl > 0.0 {
                wins += 1;
                won.add(pnl);
                streak_w += 1;
                streak_l = 0;
            } else if pnl < 0.0 {
                losses += 1;
                lost.add(pnl);
                streak_l += 1;
                streak_w = 0;
            } else {
                streak_w = 0;
                streak_l = 0;
            }
            max_w = max_w.max(streak_w);
            max_l = max_l.max(streak_l);
        }

        let nf = n as f64;
        let avg_secs = secs(total_nanos / n as i128);
        let max_secs = secs(max_nanos);
        TradeStats {
            closed_trades: n,
            win_rate_pct: Some(wins as f64 / nf * 100.0),
            profit_factor: (losses > 0)
                .then(|| won.value() / lost.value().abs())
                .and_then(finite),
            expectancy: finite(all.value() / nf),
            avg_trade_pct: finite(pct.value() / nf),
            avg_win: (wins > 0)
                .then(|| won.value() / wins as f64)
                .and_then(finite),
            avg_loss: (losses > 0)
                .then(|| lost.value() / losses as f64)
                .and_then(finite),
            best_trade_pct: finite(best),
            worst_trade_pct: finite(worst),
            avg_duration_secs: Some(avg_secs),
            avg_duration_text: Some(format_duration(avg_secs)),
            max_duration_secs: Some(max_secs),
            max_duration_text: Some(format_duration(max_secs)),
            max_consecutive_wins: max_w,
            max_consecutive_losses: max_l,
            long_trades: longs,
            short_trades: n - longs,
        }
    }
}

/// Nanoseconds to whole seconds, truncated toward zero and clamped to `i64`.
fn secs(nanos: i128) -> i64 {
    let s = nanos / NANOS_PER_SEC;
    i64::try_from(s).unwrap_or(if s < 0 { i64::MIN } else { i64::MAX })
}
