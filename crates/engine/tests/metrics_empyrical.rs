//! Metrics against independent reference values computed by empyrical-reloaded 0.7.1
//! (ratios) and pandas (drawdown timestamps, bars per day) on committed curves; see
//! `fixtures/metrics/generate.py`. Agreement is required to 1e-9 relative.

use tradelab_core::Timestamp;
use tradelab_engine::metrics::{self, Metrics, MetricsInput};

const GOOG: &str = include_str!("fixtures/metrics/goog_buy_and_hold.csv");
const RANDOM: &str = include_str!("fixtures/metrics/random_drawdowns.csv");
const INTRADAY: &str = include_str!("fixtures/metrics/intraday_minutes.csv");
const EXPECTED: &str = include_str!("fixtures/metrics/expected.csv");

struct Curve {
    ts: Vec<Timestamp>,
    equity: Vec<f64>,
}

fn curve(name: &str) -> Curve {
    let text = match name {
        "goog_buy_and_hold" => GOOG,
        "random_drawdowns" => RANDOM,
        "intraday_minutes" => INTRADAY,
        other => panic!("unknown curve {other}"),
    };
    let (mut ts, mut equity) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let (t, e) = line.split_once(',').expect("two columns");
        ts.push(Timestamp::from_nanos(t.parse().unwrap()));
        equity.push(e.parse().unwrap());
    }
    Curve { ts, equity }
}

/// One row of `expected.csv`, with the metrics our code computes for it.
struct Case {
    name: String,
    expected: Vec<(String, String)>,
    curve: Curve,
    metrics: Metrics,
}

impl Case {
    fn get(&self, column: &str) -> &str {
        &self.expected.iter().find(|(k, _)| k == column).unwrap().1
    }
    fn num(&self, column: &str) -> f64 {
        self.get(column).parse().unwrap()
    }
    fn ts(&self, column: &str) -> Option<Timestamp> {
        let v = self.get(column);
        (!v.is_empty()).then(|| Timestamp::from_nanos(v.parse().unwrap()))
    }
}

fn cases() -> Vec<Case> {
    let mut lines = EXPECTED.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            let expected: Vec<(String, String)> = header
                .iter()
                .zip(line.split(','))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let get = |k: &str| expected.iter().find(|(c, _)| c == k).unwrap().1.clone();
            let curve = curve(&get("curve"));
            let input = MetricsInput {
                timestamps: (&curve.ts).into(),
                equity: &curve.equity,
                invested_bars: curve.equity.len(),
                trades: &[],
                periods_per_year: get("periods_per_year").parse().unwrap(),
                risk_free_annual: get("risk_free_annual").parse().unwrap(),
                commissions: 0.0,
                buy_and_hold_return_pct: 0.0,
            };
            let metrics = metrics::compute(&input).expect("valid curve");
            Case {
                name: get("case"),
                expected,
                curve,
                metrics,
            }
        })
        .collect()
}

fn assert_close(case: &str, what: &str, ours: Option<f64>, reference: f64) {
    let ours =
        ours.unwrap_or_else(|| panic!("{case}: {what} undefined, empyrical says {reference}"));
    let tol = 1e-9 * reference.abs().max(1e-300);
    assert!(
        (ours - reference).abs() <= tol,
        "{case}: {what} = {ours:?}, empyrical {reference:?} (rel err {:e})",
        ((ours - reference) / reference).abs()
    );
}

fn check_all(what: &str, ours: impl Fn(&Metrics) -> Option<f64>, reference: impl Fn(&Case) -> f64) {
    let cases = cases();
    assert_eq!(cases.len(), 5);
    for case in &cases {
        assert_close(&case.name, what, ours(&case.metrics), reference(case));
    }
}

#[test]
fn sharpe_matches_empyrical_on_goog_buy_and_hold() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "goog_buy_and_hold")
        .unwrap();
    assert_close(
        &case.name,
        "sharpe",
        case.metrics.sharpe,
        case.num("sharpe"),
    );
    assert_eq!(case.metrics.bars, 2148);
}

#[test]
fn sharpe_matches_empyrical_on_every_reference_curve_with_and_without_risk_free() {
    check_all("sharpe", |m| m.sharpe, |c| c.num("sharpe"));
}

#[test]
fn sortino_matches_empyrical_downside_deviation_over_all_returns() {
    check_all("sortino", |m| m.sortino, |c| c.num("sortino"));
}

#[test]
fn cagr_matches_empyrical_annual_return() {
    check_all("cagr", |m| m.cagr_pct.map(|v| v / 100.0), |c| c.num("cagr"));
}

#[test]
fn volatility_matches_empyrical_annual_volatility() {
    check_all(
        "volatility",
        |m| m.volatility_ann_pct.map(|v| v / 100.0),
        |c| c.num("volatility"),
    );
}

#[test]
fn max_drawdown_matches_empyrical_as_a_positive_percentage() {
    check_all(
        "max_drawdown",
        |m| Some(-m.max_drawdown_pct / 100.0),
        |c| c.num("max_drawdown"),
    );
}

#[test]
fn calmar_matches_empyrical() {
    check_all("calmar", |m| m.calmar, |c| c.num("calmar"));
}

#[test]
fn max_drawdown_timestamps_match_pandas_on_reference_curves() {
    for case in cases() {
        let m = &case.metrics;
        assert_eq!(
            m.max_drawdown_peak,
            case.ts("dd_peak_ns"),
            "{} peak",
            case.name
        );
        assert_eq!(
            m.max_drawdown_trough,
            case.ts("dd_trough_ns"),
            "{} trough",
            case.name
        );
        assert_eq!(
            m.max_drawdown_recovery,
            case.ts("dd_recovery_ns"),
            "{} recovery",
            case.name
        );
        let longest: i64 = case.get("dd_longest_secs").parse().unwrap();
        assert_eq!(
            m.max_drawdown_duration_secs,
            Some(longest),
            "{} longest",
            case.name
        );
    }
}

#[test]
fn goog_drawdown_of_2008_recovers_in_2012() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "goog_buy_and_hold")
        .unwrap();
    let m = &case.metrics;
    assert_eq!(m.max_drawdown_peak.unwrap().date_string(), "2007-11-06");
    assert_eq!(m.max_drawdown_trough.unwrap().date_string(), "2008-11-24");
    assert_eq!(m.max_drawdown_recovery.unwrap().date_string(), "2012-09-24");
}

#[test]
fn periods_per_year_of_intraday_fixture_matches_pandas_median_bars_per_day() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "intraday_minutes")
        .unwrap();
    let p = metrics::periods_per_year(&case.curve.ts, false, &jiff::tz::TimeZone::UTC);
    assert_eq!(p, case.num("periods_per_year"));
    assert_eq!(p, 98_280.0);
}

#[test]
fn totals_follow_the_curve() {
    for case in cases() {
        let (m, eq) = (&case.metrics, &case.curve.equity);
        let last = *eq.last().unwrap();
        assert_eq!(m.final_equity, last);
        assert_eq!(m.equity_peak, eq.iter().copied().fold(f64::MIN, f64::max));
        assert_close(
            &case.name,
            "total return",
            Some(m.total_return_pct),
            (last / eq[0] - 1.0) * 100.0,
        );
        assert_eq!(m.exposure_pct, 100.0);
    }
}
