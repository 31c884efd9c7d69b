//! Trade statistics on small hand-computed sets of closed trades.

use rust_decimal::Decimal;
use tradelab_core::{Money, Price, Quantity, Symbol, Timestamp};
use tradelab_engine::ClosedTrade;
use tradelab_engine::metrics::TradeStats;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// A trade held from `entry_secs` for `held_secs`, with the given PnL and return.
fn trade(pnl: f64, return_pct: f64, qty: i64, entry_secs: i64, held_secs: i64) -> ClosedTrade {
    ClosedTrade {
        symbol: Symbol::new("TEST").unwrap(),
        qty: Quantity(Decimal::from(qty)),
        entry_ts: Timestamp::from_secs(entry_secs),
        exit_ts: Timestamp::from_secs(entry_secs + held_secs),
        entry_price: Price(Decimal::from(100)),
        exit_price: Price(Decimal::from(101)),
        pnl: Money::from_f64(pnl).unwrap(),
        commissions: Money::from_f64(1.0).unwrap(),
        return_pct,
        entry_step: 0,
        exit_step: 1,
    }
}

fn pnls(values: &[f64]) -> Vec<ClosedTrade> {
    values
        .iter()
        .map(|&p| trade(p, p / 10.0, 1, 0, DAY))
        .collect()
}

#[test]
fn win_rate_profit_factor_and_expectancy_from_hand_computed_trades() {
    // wins 100 + 200 + 75 = 375, losses -50 - 25 = -75, one break-even trade.
    let s = TradeStats::from_trades(&pnls(&[100.0, -50.0, 200.0, -25.0, 0.0, 75.0]));
    assert_eq!(s.closed_trades, 6);
    assert_eq!(s.win_rate_pct, Some(50.0));
    assert_eq!(s.profit_factor, Some(5.0));
    assert_eq!(s.expectancy, Some(50.0));
    assert_eq!(s.avg_win, Some(125.0));
    assert_eq!(s.avg_loss, Some(-37.5));
    assert_eq!(s.avg_trade_pct, Some(5.0));
    assert_eq!(s.best_trade_pct, Some(20.0));
    assert_eq!(s.worst_trade_pct, Some(-5.0));
}

#[test]
fn consecutive_wins_and_losses_count_runs_in_trade_order() {
    let s = TradeStats::from_trades(&pnls(&[
        1.0, 2.0, -1.0, -1.0, -1.0, 3.0, 1.0, 1.0, 1.0, -2.0,
    ]));
    assert_eq!((s.max_consecutive_wins, s.max_consecutive_losses), (4, 3));
}

#[test]
fn a_break_even_trade_breaks_both_streaks() {
    let s = TradeStats::from_trades(&pnls(&[1.0, 1.0, 0.0, 1.0, -1.0, 0.0, -1.0]));
    assert_eq!((s.max_consecutive_wins, s.max_consecutive_losses), (2, 1));
    assert_eq!(s.win_rate_pct, Some(300.0 / 7.0));
}

#[test]
fn durations_are_averaged_and_maxed_in_seconds_and_text() {
    let trades = [
        trade(1.0, 1.0, 1, 0, 12 * DAY + 3 * HOUR),
        trade(1.0, 1.0, 1, 5 * DAY, 2 * HOUR),
        trade(-1.0, -1.0, 1, 9 * DAY, 45 * 60),
    ];
    let s = TradeStats::from_trades(&trades);
    let total = 12 * DAY + 3 * HOUR + 2 * HOUR + 45 * 60;
    assert_eq!(s.avg_duration_secs, Some(total / 3));
    assert_eq!(s.avg_duration_text.as_deref(), Some("4d 1h"));
    assert_eq!(s.max_duration_secs, Some(12 * DAY + 3 * HOUR));
    assert_eq!(s.max_duration_text.as_deref(), Some("12d 3h"));
}

#[test]
fn long_and_short_trades_are_counted_by_the_sign_of_qty() {
    let trades = [
        trade(1.0, 1.0, 10, 0, DAY),
        trade(1.0, 1.0, -5, 0, DAY),
        trade(-1.0, -1.0, 3, 0, DAY),
    ];
    let s = TradeStats::from_trades(&trades);
    assert_eq!((s.long_trades, s.short_trades), (2, 1));
}

#[test]
fn profit_factor_is_undefined_without_losses_and_zero_without_wins() {
    let only_wins = TradeStats::from_trades(&pnls(&[10.0, 5.0]));
    assert_eq!(only_wins.profit_factor, None);
    assert_eq!(only_wins.avg_loss, None);
    assert_eq!(only_wins.max_consecutive_losses, 0);

    let only_losses = TradeStats::from_trades(&pnls(&[-10.0, -5.0]));
    assert_eq!(only_losses.profit_factor, Some(0.0));
    assert_eq!(only_losses.avg_win, None);
    assert_eq!(only_losses.win_rate_pct, Some(0.0));

    let break_even = TradeStats::from_trades(&pnls(&[0.0]));
    assert_eq!(break_even.profit_factor, None);
    assert_eq!(break_even.win_rate_pct, Some(0.0));
}

#[test]
fn no_trades_give_zero_counts_and_undefined_statistics() {
    let s = TradeStats::from_trades(&[]);
    assert_eq!(s, TradeStats::default());
    assert_eq!(s.closed_trades, 0);
    assert_eq!(s.win_rate_pct, None);
    assert_eq!(s.profit_factor, None);
    assert_eq!(s.expectancy, None);
    assert_eq!(s.avg_duration_secs, None);
    assert_eq!(s.best_trade_pct, None);
}
