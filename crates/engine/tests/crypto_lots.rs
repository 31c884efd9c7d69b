//! Specifications of fractional trading by lot step (crypto): sizing floors to the
//! symbol's step, off-step quantities are refused, the exact ledger holds with
//! fractional fills, and 24/7 symbols annualize with 365 days.

mod common;

use common::{Script, buy, cfg, daily, fills, rejections, run, run_rules, sell, sym};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use tradelab_core::{BarSeries, Money, Quantity, Side, Sizing, Timestamp};
use tradelab_engine::event::{EventSink, Seq, SinkResult};
use tradelab_engine::report::{Report, ReportOptions, ReportSink};
use tradelab_engine::{Commission, Engine, RejectReason, RunConfig, RunError, RunEvent};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn qty(s: &str) -> Quantity {
    Quantity(dec(s))
}

/// BTCUSDT trades in steps of 0.00001 BTC, with a 0.1 % commission.
fn btc_config() -> RunConfig {
    RunConfig {
        commission: Commission {
            rate: dec("0.001"),
            ..Commission::default()
        },
        lot_steps: BTreeMap::from([(sym("BTCUSDT"), qty("0.00001"))]),
        all_week: BTreeSet::from([sym("BTCUSDT")]),
        ..cfg()
    }
}

/// Daily BTC bars (every calendar day from 2020-01-01, weekends included).
fn btc(ohlc: &[(f64, f64, f64, f64)]) -> BarSeries {
    daily("BTCUSDT", ohlc)
}

#[test]
fn btc_cash_sizing_buys_the_fractional_amount_the_cash_pays_for() {
    let s = btc(&[
        (39_500.0, 40_100.0, 39_000.0, 39_900.0),
        (40_000.0, 40_500.0, 39_800.0, 40_200.0),
        (40_200.0, 41_000.0, 40_100.0, 40_900.0),
        (41_234.56, 41_500.0, 41_000.0, 41_300.0),
    ]);
    // 494.10 / (40 000 · 1.001) = 0.0123401… → 0.01234 BTC at the next open.
    let mut d = Script::new(vec![
        (0, buy("BTCUSDT", Sizing::Cash(Money(dec("494.10"))))),
        (2, sell("BTCUSDT", Sizing::ClosePosition)),
    ]);
    let (ev, out) = run(btc_config(), vec![s], &mut d);
    assert_eq!(
        fills(&ev),
        vec![
            (Side::Buy, "0.01234".into(), "40000".into()),
            (Side::Sell, "0.01234".into(), "41234.56".into()),
        ]
    );
    let commissions: Vec<String> = ev
        .iter()
        .filter_map(|e| match e {
            RunEvent::Fill { fill } => Some(fill.commission.to_string()),
            _ => None,
        })
        .collect();
    // 0.1 % of 493.6 and of 0.01234 · 41 234.56 = 508.8344704.
    assert_eq!(commissions, vec!["0.4936", "0.5088344704"]);
    // 10 000 − 493.6 − 0.4936 + 508.8344704 − 0.5088344704
    assert_eq!(out.cash.to_string(), "10014.2320359296");
    assert_eq!(out.final_equity, out.cash);
    assert_eq!(out.commissions.to_string(), "1.0024344704");
    assert!(out.open_positions.is_empty());
}

#[test]
fn btc_all_in_buys_the_fractional_amount_and_never_overdraws() {
    let s = btc(&[
        (40_000.0, 40_000.0, 40_000.0, 40_000.0),
        (40_000.0, 40_000.0, 40_000.0, 40_000.0),
        (40_000.0, 40_000.0, 40_000.0, 40_000.0),
    ]);
    let mut d = Script::new(vec![(0, buy("BTCUSDT", Sizing::AllIn))]);
    let (ev, out) = run(btc_config(), vec![s], &mut d);
    // 10 000 / 40 040 = 0.2497502… → 0.24975 BTC; 9 990 + 9.99 commission.
    assert_eq!(
        fills(&ev),
        vec![(Side::Buy, "0.24975".into(), "40000".into())]
    );
    assert_eq!(out.cash.to_string(), "0.01");
    assert!(out.cash.get() >= Decimal::ZERO);
}

#[test]
fn a_quantity_off_the_lot_step_is_rejected_naming_symbol_and_step() {
    let s = btc(&[(40_000.0, 40_000.0, 40_000.0, 40_000.0); 3]);
    let mut d = Script::new(vec![
        (0, buy("BTCUSDT", Sizing::Shares(qty("0.000015")))),
        (0, buy("BTCUSDT", Sizing::Shares(qty("0.00002")))),
    ]);
    let (ev, _) = run(btc_config(), vec![s], &mut d);
    let rejected = rejections(&ev);
    assert_eq!(
        rejected,
        vec![RejectReason::OffLotStep {
            symbol: sym("BTCUSDT"),
            qty: qty("0.000015"),
            lot_step: qty("0.00001"),
        }]
    );
    assert_eq!(
        rejected[0].to_string(),
        "quantity 0.000015 of BTCUSDT is not a multiple of its lot step 0.00001"
    );
    assert_eq!(rejected[0].kind(), "off_lot_step");
    // The on-step order fills as asked.
    assert_eq!(
        fills(&ev),
        vec![(Side::Buy, "0.00002".into(), "40000".into())]
    );
}

#[test]
fn symbols_without_a_lot_step_keep_trading_whole_units() {
    let flat = |name: &str, p: f64| daily(name, &[(p, p, p, p); 3]);
    let mut d = Script::new(vec![
        (0, buy("AAPL", Sizing::Cash(Money::from(1000)))),
        (0, buy("BTCUSDT", Sizing::Cash(Money::from(1000)))),
        // A fractional fixed quantity of a symbol without a step is taken as given,
        // as it always was.
        (0, buy("AAPL", Sizing::Shares(qty("0.5")))),
    ]);
    let config = RunConfig {
        commission: Commission::default(),
        ..btc_config()
    };
    let (ev, _) = run(
        config,
        vec![flat("AAPL", 33.0), flat("BTCUSDT", 30_000.0)],
        &mut d,
    );
    assert_eq!(
        fills(&ev),
        vec![
            (Side::Buy, "30".into(), "33".into()),
            (Side::Buy, "0.03333".into(), "30000".into()),
            (Side::Buy, "0.5".into(), "33".into()),
        ]
    );
}

#[test]
fn a_lot_step_must_be_positive_with_at_most_twelve_decimals() {
    let s = || vec![btc(&[(1.0, 1.0, 1.0, 1.0)])];
    for bad in ["0", "-0.001", "0.0000000000001", "2000000"] {
        let config = RunConfig {
            lot_steps: BTreeMap::from([(sym("BTCUSDT"), qty(bad))]),
            ..cfg()
        };
        let err = Engine::new(config, s()).err();
        assert_eq!(
            err,
            Some(RunError::InvalidLotStep {
                symbol: sym("BTCUSDT"),
                step: qty(bad),
            }),
            "{bad}"
        );
    }
    let err = RunError::InvalidLotStep {
        symbol: sym("BTCUSDT"),
        step: qty("0"),
    };
    assert!(
        err.to_string()
            .starts_with("lot step 0 of BTCUSDT must be positive")
    );
}

/// Equity points and fills as they arrive, to check the ledger at every step.
#[derive(Default)]
struct Ledgerbook {
    steps: Vec<(Timestamp, f64)>,
    fills: Vec<tradelab_core::Fill>,
    fills_before_step: Vec<usize>,
}

impl EventSink for Ledgerbook {
    fn on_event(&mut self, _: Seq, event: &RunEvent) -> SinkResult {
        match event {
            RunEvent::Fill { fill } => self.fills.push(fill.clone()),
            RunEvent::EquityPoint { ts, equity, .. } => {
                self.steps.push((*ts, *equity));
                self.fills_before_step.push(self.fills.len());
            }
            _ => {}
        }
        Ok(())
    }
}

#[test]
fn cash_plus_fractional_positions_equals_equity_at_every_step() {
    // A walk with cent prices; all-in buys and closes alternate every two days.
    let closes: Vec<f64> = (0..60)
        .map(|k| 30_000.0 + ((k * 7919) % 4001) as f64 + ((k * 31) % 100) as f64 / 100.0)
        .collect();
    let ohlc: Vec<_> = closes
        .iter()
        .map(|&c| (c - 3.17, c + 50.0, c - 50.0, c))
        .collect();
    let plan = (0..58)
        .step_by(2)
        .map(|k| {
            if k % 4 == 0 {
                (k, buy("BTCUSDT", Sizing::AllIn))
            } else {
                (k, sell("BTCUSDT", Sizing::ClosePosition))
            }
        })
        .collect();
    let mut d = Script::new(plan);
    let config = btc_config();
    let engine = Engine::new(config.clone(), vec![btc(&ohlc)]).unwrap();
    let mut book = Ledgerbook::default();
    let out = engine.run(&mut d, &mut book, None).unwrap();
    assert!(book.fills.len() >= 20, "{} fills", book.fills.len());
    assert!(book.fills.iter().any(|f| f.qty.get().scale() > 0));
    let (mut cash, mut held) = (config.initial_cash.get(), Decimal::ZERO);
    let mut booked = 0;
    for (k, (ts, equity)) in book.steps.iter().enumerate() {
        for f in &book.fills[booked..book.fills_before_step[k]] {
            let notional = f.price.get() * f.qty.get();
            match f.side {
                Side::Buy => (cash -= notional, held += f.qty.get()),
                Side::Sell => (cash += notional, held -= f.qty.get()),
            };
            cash -= f.commission.get();
            assert_eq!(f.commission.get(), notional * dec("0.001"), "exact fee");
            assert_eq!(f.qty.get() % dec("0.00001"), Decimal::ZERO, "on the step");
            assert!(cash >= Decimal::ZERO, "no overdraft at {ts}");
        }
        booked = book.fills_before_step[k];
        let close: Decimal = closes[k].to_string().parse().unwrap();
        let exact = cash + held * close;
        let want: f64 = exact.to_string().parse().unwrap();
        assert!(
            (equity - want).abs() <= want.abs() * 1e-12,
            "step {k}: equity {equity} ≠ cash {cash} + {held} BTC · {close}"
        );
    }
    let last: Decimal = closes[59].to_string().parse().unwrap();
    assert_eq!(out.cash.get(), cash, "exact cash");
    assert_eq!(out.final_equity.get(), cash + held * last, "exact equity");
}

fn report(config: RunConfig, series: Vec<BarSeries>) -> Report {
    let engine = Engine::new(config, series).unwrap();
    let mut d = Script::new(vec![(0, buy("BTCUSDT", Sizing::AllIn))]);
    let mut sink = ReportSink::with_capacity(engine.steps());
    let out = engine.run(&mut d, &mut sink, None).unwrap();
    let options = ReportOptions {
        strategy: "script".into(),
        periods_per_year: None,
        risk_free_annual: 0.0,
        tz: jiff::tz::TimeZone::UTC,
        rules: Vec::new(),
    };
    Report::build(engine.config(), engine.series(), &sink, &out, &options).unwrap()
}

#[test]
fn daily_metrics_of_a_24_7_symbol_annualize_with_365_days_and_stocks_with_252() {
    let ohlc: Vec<_> = (0..40)
        .map(|k| {
            let c = 100.0 + ((k * 13) % 7) as f64 - ((k * 5) % 3) as f64;
            (c, c + 1.0, c - 1.0, c)
        })
        .collect();
    let crypto = report(btc_config(), vec![btc(&ohlc)]);
    let stock = RunConfig {
        all_week: BTreeSet::new(),
        ..btc_config()
    };
    let stock = report(stock, vec![btc(&ohlc)]);
    assert_eq!(crypto.periods_per_year, 365.0);
    assert_eq!(stock.periods_per_year, 252.0);
    // Same returns: the ratios scale with √P.
    assert_eq!(crypto.total_return_pct, stock.total_return_pct);
    let (a, b) = (crypto.sharpe.unwrap(), stock.sharpe.unwrap());
    assert!(
        (a / b - (365.0f64 / 252.0).sqrt()).abs() < 1e-12,
        "{a} vs {b}"
    );
}

#[test]
fn minute_bars_of_a_24_7_symbol_annualize_with_365_days_of_1440_bars() {
    use tradelab_core::Bar;
    let start = 1_704_067_200; // 2024-01-01 00:00 UTC, three full days of minutes
    let bars: Vec<Bar> = (0..3 * 1440)
        .map(|k| {
            let c = 40_000.0 + ((k * 17) % 101) as f64;
            Bar::new(Timestamp::from_secs(start + 60 * k), c, c, c, c, 1.0).unwrap()
        })
        .collect();
    let series = BarSeries::new(sym("BTCUSDT"), bars).unwrap();
    let r = report(btc_config(), vec![series]);
    assert_eq!(r.periods_per_year, 365.0 * 1440.0);
}

#[test]
fn a_position_limit_resizes_a_crypto_buy_to_the_lot_step() {
    let s = btc(&[(43_210.0, 43_210.0, 43_210.0, 43_210.0); 3]);
    let rules = r#"
[[rule]]
name = "max_position"
kind = "max_position_pct"
pct = 20
on_breach = "resize"
"#;
    let config = RunConfig {
        commission: Commission::default(),
        ..btc_config()
    };
    let mut d = Script::new(vec![(0, buy("BTCUSDT", Sizing::AllIn))]);
    let (ev, _) = run_rules(config, vec![s], rules, &mut d);
    // 20 % of 10 000 = 2 000 buys 0.0462855… BTC at 43 210: 0.04628 on the step (a
    // whole-unit resize would refuse the order, less than one unit fitting).
    assert_eq!(
        fills(&ev),
        vec![(Side::Buy, "0.04628".into(), "43210".into())]
    );
}
