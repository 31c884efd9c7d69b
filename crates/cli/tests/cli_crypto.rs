//! End-to-end specifications of crypto backtests: fractional quantities by lot step
//! and 365-day annualization, over the bundled synthetic BTCUSDT sample.

mod common;

use common::{fail, json, ok, sample, tradelab};

/// `tradelab backtest` of buy_and_hold on the synthetic BTCUSDT sample with a 0.1 %
/// commission, printing JSON, with `extra` arguments.
fn btc_buy_and_hold(extra: &[&str]) -> std::process::Output {
    let data = sample("btcusdt_daily_2024_synthetic.csv");
    let mut args = vec![
        "backtest",
        "--data",
        &data,
        "--strategy",
        "buy_and_hold",
        "--cash",
        "10000",
        "--commission",
        "0.001",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    tradelab(&args)
}

#[test]
fn btc_backtest_buys_the_fractional_amount_by_lot_step_with_365_day_metrics() {
    let r = json(btc_buy_and_hold(&[
        "--lot-step",
        "BTCUSDT=0.00001",
        "--all-week",
        "BTCUSDT",
    ]));
    assert_eq!(r["bars"], 183, "every calendar day, weekends included");
    assert_eq!(r["periods_per_year"].as_f64(), Some(365.0));
    assert_eq!(r["lot_steps"], serde_json::json!(["BTCUSDT=0.00001"]));
    // All-in at the second bar's open, 39 718.54: 10 000 / (39 718.54 · 1.001) →
    // 0.25152 BTC, fee 0.1 % of 9 990.0071808 (9.9900071808, reported in cents),
    // marked at the last close 33 508.52: cash 0.0028120192 + 0.25152 · 33 508.52.
    assert_eq!(r["commissions"].as_f64(), Some(9.99));
    assert_eq!(r["final_equity_exact"], "8428.0657624192");
    assert_eq!(r["open_trades"], 1);
}

#[test]
fn the_same_bars_without_crypto_settings_trade_whole_units_with_252_day_metrics() {
    let r = json(btc_buy_and_hold(&[]));
    assert_eq!(r["periods_per_year"].as_f64(), Some(252.0));
    assert!(r.get("lot_steps").is_none(), "no lot steps, no field");
    // Whole units: 10 000 buys no whole bitcoin at 39 718.54, so nothing trades.
    assert_eq!(r["commissions"].as_f64(), Some(0.0));
    assert_eq!(r["final_equity_exact"], "10000");
}

#[test]
fn the_table_report_lists_the_lot_steps() {
    let data = sample("btcusdt_daily_2024_synthetic.csv");
    let text = ok(tradelab(&[
        "backtest",
        "--data",
        &data,
        "--strategy",
        "buy_and_hold",
        "--lot-step",
        "BTCUSDT=0.00001",
        "--all-week",
        "BTCUSDT",
    ]));
    let line = text
        .lines()
        .find(|l| l.starts_with("Lot steps"))
        .unwrap_or_else(|| panic!("no lot steps row in:\n{text}"));
    assert!(line.ends_with("BTCUSDT=0.00001"), "{line}");
    let periods = text
        .lines()
        .find(|l| l.starts_with("Periods per year"))
        .unwrap();
    assert!(periods.ends_with("365"), "{periods}");
}

#[test]
fn a_bad_lot_step_is_refused_naming_the_flag_and_the_step() {
    let err = fail(btc_buy_and_hold(&["--lot-step", "BTCUSDT=0"]));
    assert!(err.contains("--lot-step"), "{err}");
    assert!(err.contains("BTCUSDT=0"), "{err}");
    assert!(err.contains("positive decimal"), "{err}");
    let err = fail(btc_buy_and_hold(&["--lot-step", "BTCUSDT"]));
    assert!(err.contains("SYMBOL=STEP"), "{err}");
}

#[test]
fn a_model_with_a_lot_step_runs_over_imported_crypto_bars_like_the_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = sample("btcusdt_daily_2024_synthetic.csv");
    ok(common::tl(d, &["data", "import", &data]));
    let create = [
        "models",
        "create",
        "btc-hold",
        "--strategy",
        "buy_and_hold",
        "--commission",
        "0.001",
        "--symbols",
        "BTCUSDT",
        "--lot-step",
        "BTCUSDT=0.00001",
        "--all-week",
        "BTCUSDT",
    ];
    ok(common::tl(d, &create));
    let shown = ok(common::tl(d, &["models", "show", "btc-hold"]));
    assert!(
        shown.contains("lot steps BTCUSDT=0.00001, trading 7 days a week: BTCUSDT"),
        "{shown}"
    );
    let shown = json(common::tl(
        d,
        &["models", "show", "btc-hold", "--output", "json"],
    ));
    let text = shown.to_string();
    assert!(
        text.contains(r#""lot_steps":{"BTCUSDT":"0.00001"}"#),
        "{text}"
    );
    ok(common::tl(d, &["runs", "start", "btc-hold"]));
    let run = json(common::tl(
        d,
        &["runs", "show", "btc-hold#1", "--output", "json"],
    ));
    // The same fractional fill and exact equity as the backtest of the same bars.
    let summary = &run["summary"];
    assert_eq!(summary["final_equity_exact"], "8428.0657624192", "{run}");
    assert_eq!(summary["periods_per_year"].as_f64(), Some(365.0));
    assert_eq!(summary["lot_steps"], serde_json::json!(["BTCUSDT=0.00001"]));
    // The run's snapshot keeps the settings it ran with.
    let execution = &run["snapshot"]["execution"];
    assert_eq!(execution["lot_steps"]["BTCUSDT"], "0.00001");
    assert_eq!(execution["all_week"], serde_json::json!(["BTCUSDT"]));
    let err = fail(common::tl(
        d,
        &["models", "edit", "btc-hold", "--lot-step", "BTCUSDT=-1"],
    ));
    assert!(err.contains("BTCUSDT=-1"), "{err}");
}

#[test]
fn a_lot_step_set_at_import_applies_to_runs_of_a_model_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = sample("btcusdt_daily_2024_synthetic.csv");
    let imported = ok(common::tl(
        d,
        &["data", "import", &data, "--lot-step", "BTCUSDT=0.00001"],
    ));
    assert!(imported.contains("BTCUSDT: lot step 0.00001"), "{imported}");
    let create = [
        "models",
        "create",
        "btc-hold",
        "--strategy",
        "buy_and_hold",
        "--commission",
        "0.001",
        "--symbols",
        "BTCUSDT",
        "--all-week",
        "BTCUSDT",
    ];
    ok(common::tl(d, &create));
    ok(common::tl(d, &["runs", "start", "btc-hold"]));
    let run = json(common::tl(
        d,
        &["runs", "show", "btc-hold#1", "--output", "json"],
    ));
    // The same fractional fill as a model that sets the step itself.
    assert_eq!(
        run["summary"]["final_equity_exact"], "8428.0657624192",
        "{run}"
    );
    assert_eq!(
        run["snapshot"]["execution"]["lot_steps"]["BTCUSDT"], "0.00001",
        "the run keeps the step in its snapshot"
    );
    let err = fail(common::tl(
        d,
        &["data", "import", &data, "--lot-step", "BTCUSDT=0"],
    ));
    assert!(err.contains("--lot-step"), "{err}");
}
