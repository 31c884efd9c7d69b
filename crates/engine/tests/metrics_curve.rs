//! Curve metrics on hand-computed cases: drawdown timestamps and durations,
//! annualization, exposure, edge cases and input validation.

use tradelab_core::Timestamp;
use tradelab_engine::metrics::{
    self, Metrics, MetricsError, MetricsInput, format_duration, periods_per_year,
};

const DAY: i64 = 86_400;

fn days(n: usize) -> Vec<Timestamp> {
    (0..n as i64)
        .map(|d| Timestamp::from_secs(1_600_000_000 / DAY * DAY + d * DAY))
        .collect()
}

fn input<'a>(ts: &'a [Timestamp], equity: &'a [f64], invested: &'a [bool]) -> MetricsInput<'a> {
    MetricsInput {
        timestamps: ts.into(),
        equity,
        invested_bars: invested.iter().filter(|&&b| b).count(),
        trades: &[],
        periods_per_year: 252.0,
        risk_free_annual: 0.0,
        commissions: 12.5,
        buy_and_hold_return_pct: 7.0,
    }
}

fn run(equity: &[f64]) -> Metrics {
    let ts = days(equity.len());
    let invested = vec![false; equity.len()];
    metrics::compute(&input(&ts, equity, &invested)).unwrap()
}

#[test]
fn max_drawdown_reports_peak_trough_and_recovery() {
    let eq = [100.0, 120.0, 110.0, 90.0, 96.0, 119.0, 120.0, 125.0];
    let ts = days(eq.len());
    let m = run(&eq);
    assert!((m.max_drawdown_pct - 25.0).abs() < 1e-12);
    assert_eq!(m.max_drawdown_peak, Some(ts[1]));
    assert_eq!(m.max_drawdown_trough, Some(ts[3]));
    assert_eq!(m.max_drawdown_recovery, Some(ts[6]));
    assert_eq!(m.max_drawdown_duration_secs, Some(5 * DAY));
    assert_eq!(m.max_drawdown_duration_text.as_deref(), Some("5d"));
}

#[test]
fn unrecovered_drawdown_has_no_recovery_and_lasts_until_the_last_bar() {
    let eq = [100.0, 105.0, 104.0, 103.0, 80.0, 90.0];
    let ts = days(eq.len());
    let m = run(&eq);
    assert_eq!(
        (m.max_drawdown_peak, m.max_drawdown_trough),
        (Some(ts[1]), Some(ts[4]))
    );
    assert_eq!(m.max_drawdown_recovery, None);
    assert_eq!(m.max_drawdown_duration_secs, Some(4 * DAY));
}

#[test]
fn longest_drawdown_may_be_shallower_than_the_deepest() {
    // Deep but short: 100 -> 50 -> 100 (2 days). Shallow but long: 101 -> 99 x4 -> 102.
    let eq = [100.0, 50.0, 100.0, 101.0, 99.0, 99.0, 99.0, 99.0, 102.0];
    let ts = days(eq.len());
    let m = run(&eq);
    assert_eq!(m.max_drawdown_recovery, Some(ts[2]));
    assert!((m.max_drawdown_pct - 50.0).abs() < 1e-12);
    assert_eq!(m.max_drawdown_duration_secs, Some(5 * DAY));
}

#[test]
fn returning_to_the_high_then_falling_again_starts_from_the_later_peak() {
    let eq = [100.0, 90.0, 100.0, 70.0, 100.0];
    let ts = days(eq.len());
    let m = run(&eq);
    assert_eq!(m.max_drawdown_peak, Some(ts[2]));
    assert_eq!(m.max_drawdown_recovery, Some(ts[4]));
}

#[test]
fn periods_per_year_is_252_for_daily_bars() {
    assert_eq!(
        periods_per_year(&days(10), true, &jiff::tz::TimeZone::UTC),
        252.0
    );
    assert_eq!(
        periods_per_year(&[] as &[Timestamp], false, &jiff::tz::TimeZone::UTC),
        252.0
    );
}

/// `counts[d]` one-minute bars from `start_secs` past midnight UTC of day `d`.
fn minute_bars(counts: &[usize], start_secs: i64) -> Vec<Timestamp> {
    let mut ts = Vec::new();
    for (d, &n) in counts.iter().enumerate() {
        let open = 1_700_000_000 / DAY * DAY + d as i64 * DAY + start_secs;
        ts.extend((0..n as i64).map(|i| Timestamp::from_secs(open + 60 * i)));
    }
    ts
}

#[test]
fn periods_per_year_uses_the_median_bars_per_day_for_minute_bars() {
    let ts = minute_bars(&[100, 390, 390, 210, 390, 390], 14 * 3600 + 30 * 60);
    assert_eq!(
        periods_per_year(&ts, false, &jiff::tz::TimeZone::UTC),
        98_280.0
    );
}

#[test]
fn periods_per_year_averages_the_two_middle_days_of_an_even_count() {
    let ts = minute_bars(&[100, 200, 300, 400], 3600);
    assert_eq!(
        periods_per_year(&ts, false, &jiff::tz::TimeZone::UTC),
        252.0 * 250.0
    );
}

#[test]
fn periods_per_year_groups_bars_by_date_in_the_given_time_zone() {
    // Sessions 23:00-01:00 UTC: split at midnight UTC, whole in UTC+2.
    let ts = minute_bars(&[120, 120, 120], 23 * 3600);
    assert_eq!(
        periods_per_year(&ts, false, &jiff::tz::TimeZone::UTC),
        252.0 * 90.0
    );
    let plus2 = jiff::tz::TimeZone::fixed(jiff::tz::offset(2));
    assert_eq!(periods_per_year(&ts, false, &plus2), 252.0 * 120.0);
}

#[test]
fn format_duration_shows_the_two_largest_units() {
    assert_eq!(format_duration(12 * DAY + 3 * 3600), "12d 3h");
    assert_eq!(format_duration(45 * 60), "45m");
    assert_eq!(format_duration(3 * 3600 + 5 * 60), "3h 5m");
    assert_eq!(format_duration(0), "0s");
}

#[test]
fn exposure_commissions_and_totals_are_reported() {
    let eq = [1000.0, 1100.0, 1050.0, 1200.0];
    let ts = days(4);
    let invested = [false, true, true, false];
    let m = metrics::compute(&input(&ts, &eq, &invested)).unwrap();
    assert_eq!(m.exposure_pct, 50.0);
    assert_eq!((m.commissions, m.buy_and_hold_return_pct), (12.5, 7.0));
    assert!((m.total_return_pct - 20.0).abs() < 1e-12);
    assert_eq!(
        (m.initial_equity, m.final_equity, m.equity_peak),
        (1000.0, 1200.0, 1200.0)
    );
    assert_eq!((m.start, m.end, m.bars), (ts[0], ts[3], 4));
}

#[test]
fn risk_free_rate_is_converted_per_period_and_subtracted() {
    let eq = [100.0, 101.0, 100.5, 102.0, 101.0, 103.0];
    let r: Vec<f64> = eq.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let rf = 1.03f64.powf(1.0 / 252.0) - 1.0;
    let adj: Vec<f64> = r.iter().map(|x| x - rf).collect();
    let mean = adj.iter().sum::<f64>() / 5.0;
    let sd = (adj.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
    let ts = days(eq.len());
    let invested = [true; 6];
    let m = metrics::compute(&MetricsInput {
        risk_free_annual: 0.03,
        ..input(&ts, &eq, &invested)
    })
    .unwrap();
    let expected = mean / sd * 252f64.sqrt();
    assert!((m.sharpe.unwrap() - expected).abs() < 1e-12 * expected.abs());
}

#[test]
fn one_bar_has_no_returns_so_every_ratio_is_undefined() {
    let m = run(&[100.0]);
    assert_eq!(
        (
            m.sharpe,
            m.sortino,
            m.volatility_ann_pct,
            m.cagr_pct,
            m.calmar
        ),
        (None, None, None, None, None)
    );
    assert_eq!(m.max_drawdown_pct, 0.0);
    assert_eq!(m.total_return_pct, 0.0);
    assert_eq!(m.trades.closed_trades, 0);
}

#[test]
fn two_bars_give_a_cagr_but_no_dispersion_based_ratio() {
    let m = run(&[100.0, 101.0]);
    assert_eq!(
        (m.sharpe, m.sortino, m.volatility_ann_pct),
        (None, None, None)
    );
    assert!((m.cagr_pct.unwrap() - (1.01f64.powf(252.0) - 1.0) * 100.0).abs() < 1e-6);
}

#[test]
fn flat_curve_has_zero_volatility_and_undefined_sharpe_sortino_calmar() {
    let m = run(&[100.0; 50]);
    assert_eq!((m.sharpe, m.sortino, m.calmar), (None, None, None));
    assert_eq!(m.volatility_ann_pct, Some(0.0));
    assert_eq!(m.cagr_pct, Some(0.0));
    assert_eq!(m.max_drawdown_pct, 0.0);
    assert_eq!(
        (m.max_drawdown_peak, m.max_drawdown_duration_secs),
        (None, None)
    );
}

#[test]
fn rising_curve_without_downside_has_undefined_sortino_and_calmar() {
    let m = run(&[100.0, 101.0, 103.0, 103.5, 110.0]);
    assert!(m.sharpe.is_some());
    assert_eq!((m.sortino, m.calmar), (None, None));
}

#[test]
fn equity_falling_to_zero_gives_undefined_ratios_not_panics() {
    let m = run(&[100.0, 50.0, 0.0, 0.0]);
    assert_eq!(
        (m.sharpe, m.sortino, m.volatility_ann_pct),
        (None, None, None)
    );
    assert_eq!(m.cagr_pct, Some(-100.0));
    assert_eq!(m.max_drawdown_pct, 100.0);
    let negative = run(&[100.0, 50.0, -10.0]);
    assert_eq!(negative.cagr_pct, None);
    assert!((negative.max_drawdown_pct - 110.0).abs() < 1e-12);
}

#[test]
fn invalid_inputs_are_rejected_with_the_broken_condition() {
    let ts = days(3);
    let ok = [true; 3];
    let err = |eq: &[f64], inv: &[bool]| {
        metrics::compute(&input(&ts[..eq.len().min(3)], eq, inv)).unwrap_err()
    };
    assert_eq!(
        metrics::compute(&input(&[], &[], &[])).unwrap_err(),
        MetricsError::Empty
    );
    assert!(matches!(
        err(&[1.0, 2.0], &ok),
        MetricsError::LengthMismatch { .. }
    ));
    assert!(matches!(
        err(&[1.0, f64::NAN, 2.0], &ok),
        MetricsError::NonFiniteEquity { index: 1, .. }
    ));
    assert_eq!(
        err(&[0.0, 1.0, 2.0], &ok),
        MetricsError::NonPositiveStart(0.0)
    );
    let eq = [1.0, 2.0, 3.0];
    for p in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = metrics::compute(&MetricsInput {
            periods_per_year: p,
            ..input(&ts, &eq, &ok)
        })
        .unwrap_err();
        assert!(matches!(e, MetricsError::InvalidPeriodsPerYear(_)));
    }
    let e = metrics::compute(&MetricsInput {
        risk_free_annual: -1.0,
        ..input(&ts, &eq, &ok)
    })
    .unwrap_err();
    assert!(matches!(e, MetricsError::InvalidRiskFree(_)));
}

#[test]
fn a_million_returns_keep_an_accurate_mean() {
    // Equity alternating between 100 and 101 on one-minute bars.
    let eq: Vec<f64> = (0..1_000_001)
        .map(|i| if i % 2 == 0 { 100.0 } else { 101.0 })
        .collect();
    let ts: Vec<Timestamp> = (0..eq.len() as i64)
        .map(|i| Timestamp::from_secs(60 * i))
        .collect();
    let invested = vec![true; eq.len()];
    let m = metrics::compute(&input(&ts, &eq, &invested)).unwrap();
    let (up, down) = (0.01f64, 100.0 / 101.0 - 1.0);
    let mean = (up + down) / 2.0;
    let sd = ((up - mean).powi(2) * 500_000.0 + (down - mean).powi(2) * 500_000.0) / 999_999.0;
    let expected = mean / sd.sqrt() * 252f64.sqrt();
    assert!((m.sharpe.unwrap() - expected).abs() < 1e-9 * expected.abs());
    assert_eq!(m.max_drawdown_duration_secs, Some(120));
}
