//! End-to-end specifications of `tradelab backtest` and `tradelab data`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tradelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tradelab"))
        .args(args)
        .output()
        .expect("run tradelab")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample")
        .join(name)
        .display()
        .to_string()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "tradelab failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `tradelab backtest` on the bundled daily stocks with `extra` arguments.
fn stocks_backtest(extra: &[&str]) -> Output {
    let data = sample("stocks_daily_2000-2013.csv");
    tradelab(&[&["backtest", "--data", &data][..], extra].concat())
}

fn goog_sma_cross(extra: &[&str]) -> Output {
    let goog = fixture("GOOG_2004-2013.csv");
    let mut args = vec![
        "backtest",
        "--data",
        &goog,
        "--symbol",
        "GOOG",
        "--strategy",
        "sma_cross",
        "--param",
        "fast=10",
        "--param",
        "slow=20",
        "--cash",
        "10000",
        "--commission",
        "0.002",
        "--allow-short",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    tradelab(&args)
}

/// backtesting.py 0.6.6's README example: the numbers it prints must be ours.
#[test]
fn matches_backtesting_py_readme_example_on_goog() {
    let r = json(&goog_sma_cross(&[]));
    assert_eq!(r["closed_trades"], 93);
    assert_eq!(r["open_trades"], 1);
    assert_eq!(r["final_equity"].as_f64().unwrap(), 56_263.52);
    let dd = r["max_drawdown_pct"].as_f64().unwrap();
    assert!((dd - 33.93).abs() < 0.005, "max drawdown {dd}");
    let sharpe = r["sharpe"].as_f64().unwrap();
    assert!((sharpe - 0.8268).abs() < 0.00005, "sharpe {sharpe}");
    assert_eq!(r["fill_model"], "next_open");
    assert_eq!(r["periods_per_year"].as_f64(), Some(252.0));
    assert_eq!(r["bars"], 2148);
    assert_eq!(r["start"], "2004-08-19");
    assert_eq!(r["end"], "2013-03-01");
}

#[test]
fn json_report_has_every_documented_field() {
    let r = json(&goog_sma_cross(&[]));
    for key in [
        "final_equity",
        "total_return_pct",
        "cagr_pct",
        "volatility_ann_pct",
        "sharpe",
        "sortino",
        "calmar",
        "max_drawdown_pct",
        "max_drawdown_start",
        "max_drawdown_end",
        "closed_trades",
        "open_trades",
        "win_rate_pct",
        "profit_factor",
        "expectancy",
        "exposure_pct",
        "commissions",
        "buy_and_hold_return_pct",
        "bars",
        "start",
        "end",
        "periods_per_year",
        "fill_model",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn identical_runs_print_byte_identical_output() {
    let a = goog_sma_cross(&[]);
    let b = goog_sma_cross(&[]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn close_at_end_turns_the_open_trade_into_a_closed_one() {
    let r = json(&goog_sma_cross(&["--close-at-end"]));
    assert_eq!(r["closed_trades"], 94);
    assert_eq!(r["open_trades"], 0);
}

#[test]
fn writes_trades_and_equity_csv() {
    let dir = tempfile::tempdir().unwrap();
    let trades: PathBuf = dir.path().join("trades.csv");
    let equity: PathBuf = dir.path().join("equity.csv");
    let t = trades.display().to_string();
    let e = equity.display().to_string();
    json(&goog_sma_cross(&["--trades-out", &t, "--equity-out", &e]));
    let trades = std::fs::read_to_string(trades).unwrap();
    assert_eq!(trades.lines().count(), 94, "header + 93 trades");
    assert!(trades.starts_with("symbol,side,qty,entry_time,exit_time"));
    let equity = std::fs::read_to_string(equity).unwrap();
    assert_eq!(equity.lines().count(), 2149);
    assert!(
        equity
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("2004-08-19,10000")
    );
}

#[test]
fn equity_csv_of_symbols_with_different_histories_follows_the_merged_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let equity: PathBuf = dir.path().join("equity.csv");
    let e = equity.display().to_string();
    let data = sample("stocks_daily_2000-2013.csv");
    // GOOG trades from 2004-08-19 (2,148 days), FB only from 2012-05-18.
    let r = json(&tradelab(&[
        "backtest",
        "--data",
        &data,
        "--symbols",
        "FB,GOOG",
        "--strategy",
        "sma_cross",
        "--equity-out",
        &e,
        "--output",
        "json",
    ]));
    assert_eq!(r["bars"], 2148);
    let equity = std::fs::read_to_string(equity).unwrap();
    let rows: Vec<&str> = equity.lines().skip(1).collect();
    assert_eq!(rows.len(), 2148);
    assert!(rows[0].starts_with("2004-08-19,10000"), "{}", rows[0]);
    assert!(
        rows[rows.len() - 1].starts_with("2013-"),
        "{}",
        rows[rows.len() - 1]
    );
    let invested = rows.iter().filter(|r| r.ends_with(",1")).count();
    let exposure = r["exposure_pct"].as_f64().unwrap();
    assert!(invested > 0);
    assert!((invested as f64 / 2148.0 * 100.0 - exposure).abs() < 1e-9);
}

#[test]
fn fill_model_is_spelled_as_the_report_prints_it() {
    for (given, reported) in [
        ("next_open", "next_open"),
        ("next-open", "next_open"),
        ("close", "close"),
    ] {
        let out = goog_sma_cross(&["--fill", given]);
        assert!(out.status.success(), "{given}: {}", stderr(&out));
        assert_eq!(json(&out)["fill_model"], reported, "{given}");
    }
    let out = goog_sma_cross(&["--fill", "tomorrow"]);
    assert!(stderr(&out).contains("[possible values: next_open, close]"));
}

#[test]
fn table_report_is_aligned_and_names_the_fill_model() {
    let goog = fixture("GOOG_2004-2013.csv");
    let out = tradelab(&["backtest", "--data", &goog, "--strategy", "buy_and_hold"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Fill model"));
    assert!(text.contains("next_open"));
    assert!(text.contains("Final equity"));
}

#[test]
fn runs_every_builtin_strategy_on_the_bundled_sample() {
    let data = sample("stocks_daily_2000-2013.csv");
    for strategy in ["buy_and_hold", "sma_cross", "rsi_reversion", "breakout"] {
        let r = json(&tradelab(&[
            "backtest",
            "--data",
            &data,
            "--symbols",
            "AAPL,MSFT",
            "--strategy",
            strategy,
            "--commission",
            "0.001",
            "--output",
            "json",
        ]));
        assert_eq!(
            r["symbols"],
            serde_json::json!(["AAPL", "MSFT"]),
            "{strategy}"
        );
        assert!(r["final_equity"].as_f64().unwrap() > 0.0, "{strategy}");
    }
}

#[test]
fn from_and_to_restrict_the_period() {
    let r = json(&goog_sma_cross(&[
        "--from",
        "2010-01-01",
        "--to",
        "2010-12-31",
    ]));
    assert_eq!(r["start"], "2010-01-04");
    assert_eq!(r["end"], "2010-12-31");
}

#[test]
fn unknown_symbol_names_the_available_ones() {
    let data = sample("stocks_daily_2000-2013.csv");
    let out = tradelab(&[
        "backtest",
        "--data",
        &data,
        "--symbol",
        "TSLA",
        "--strategy",
        "buy_and_hold",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("TSLA is not in the data"), "{err}");
    assert!(err.contains("AAPL"), "{err}");
}

#[test]
fn a_period_outside_the_data_names_the_span_of_the_bars() {
    let out = stocks_backtest(&[
        "--symbol",
        "AAPL",
        "--strategy",
        "buy_and_hold",
        "--from",
        "2020-01-01",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "no bars for AAPL in the requested period (--from/--to); its bars run from \
             2000-03-01 to 2013-03-01"
        ),
        "{err}"
    );
}

#[test]
fn a_warm_up_longer_than_the_data_is_said_before_the_report() {
    let two = ["--symbols", "AAPL,MSFT", "--strategy", "sma_cross"];
    let out = stocks_backtest(&[&two[..], &["--param", "slow=5000"]].concat());
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "note: sma_cross(fast=10, slow=5000) needs 5001 bars of a symbol before it can \
             trade it; AAPL has 3270, MSFT has 3270"
        ),
        "{err}"
    );
    let out = stocks_backtest(&two);
    assert!(!stderr(&out).contains("note:"), "{}", stderr(&out));
}

#[test]
fn mixing_daily_and_intraday_bars_asks_for_periods_per_year() {
    let dir = tempfile::tempdir().unwrap();
    let daily = dir.path().join("DAY.csv");
    let minutes = dir.path().join("MIN.csv");
    std::fs::write(
        &daily,
        "date,open,high,low,close,volume\n2020-01-02,10,11,9,10,1\n\
                            2020-01-03,10,11,9,10,1\n",
    )
    .unwrap();
    std::fs::write(
        &minutes,
        "timestamp,open,high,low,close,volume\n\
                              2020-01-02 14:30,10,11,9,10,1\n2020-01-02 14:31,10,11,9,10,1\n",
    )
    .unwrap();
    let (daily, minutes) = (daily.display().to_string(), minutes.display().to_string());
    let args = [
        "backtest",
        "--data",
        &daily,
        "--data",
        &minutes,
        "--strategy",
        "buy_and_hold",
    ];
    let out = tradelab(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "note: the data mixes daily bars (DAY) with intraday bars (MIN); returns are taken \
             at every step of the merged timeline, so say how many steps make a year with \
             --periods-per-year"
        ),
        "{}",
        stderr(&out)
    );
    let out = tradelab(&[&args[..], &["--periods-per-year", "98280"]].concat());
    assert!(
        !stderr(&out).contains("note: the data mixes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_output_file_in_a_missing_directory_fails_before_the_run() {
    let out = stocks_backtest(&[
        "--symbol",
        "AAPL",
        "--strategy",
        "sma_cross",
        "--trades-out",
        "/nonexistent-dir/trades.csv",
    ]);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        "error: --trades-out /nonexistent-dir/trades.csv: the directory /nonexistent-dir \
         does not exist"
    );
    assert!(
        out.stdout.is_empty(),
        "no report for a run that was not made"
    );
}

#[test]
fn unknown_strategy_and_bad_params_are_clear_errors() {
    let goog = fixture("GOOG_2004-2013.csv");
    let out = tradelab(&["backtest", "--data", &goog, "--strategy", "moon"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sma_cross"), "{}", stderr(&out));
    let out = tradelab(&[
        "backtest",
        "--data",
        &goog,
        "--strategy",
        "sma_cross",
        "--param",
        "fast=30",
        "--param",
        "slow=20",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("fast"), "{}", stderr(&out));
    let out = tradelab(&[
        "backtest",
        "--data",
        &goog,
        "--strategy",
        "sma_cross",
        "--cash",
        "-5",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--cash"), "{}", stderr(&out));
}

#[test]
fn malformed_csv_error_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-03,1,abc,0.5,1.5,10\n",
    )
    .unwrap();
    let p = path.display().to_string();
    let out = tradelab(&["backtest", "--data", &p, "--strategy", "buy_and_hold"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.csv:3"), "{err}");
    let out = tradelab(&[
        "backtest",
        "--data",
        &p,
        "--strategy",
        "buy_and_hold",
        "--on-bad-row",
        "skip",
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("skipped 1"), "{}", stderr(&out));
}

#[test]
fn aggregates_bundled_ticks_into_minute_bars() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("es_1m.csv");
    let o = out_path.display().to_string();
    let ticks = sample("es_trades_2013-09-01.csv");
    let out = tradelab(&[
        "data",
        "aggregate",
        "--ticks",
        &ticks,
        "--timeframe",
        "1m",
        "--out",
        &o,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&out_path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("timestamp,open,high,low,close,volume,trades,vwap")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("2013-09-01T17:00:00Z,1640.25,")
    );
    // the aggregated file is itself a bar file the backtester can read
    let r = json(&tradelab(&[
        "backtest",
        "--data",
        &o,
        "--symbol",
        "ES",
        "--strategy",
        "sma_cross",
        "--output",
        "json",
    ]));
    assert!(r["periods_per_year"].as_f64().unwrap() > 252.0);
}

#[test]
fn lists_strategies_with_parameters() {
    let out = tradelab(&["strategies"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "buy_and_hold",
        "sma_cross",
        "rsi_reversion",
        "breakout",
        "fast",
        "lookback",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

#[test]
fn rules_file_is_enforced_and_reported_by_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"max_position\"\nkind = \"max_position_pct\"\npct = 20\n\n[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 2\n",
    )
    .unwrap();
    let r = rules.display().to_string();
    let without = json(&goog_sma_cross(&[]));
    let with = json(&goog_sma_cross(&["--rules", &r]));
    assert!(
        with["orders_rejected"]["rule max_position"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(with["rules"], serde_json::json!(["stop", "max_position"]));
    assert_ne!(with["final_equity"], without["final_equity"]);
}

#[test]
fn template_resizes_and_exits_automatically() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("resize.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"max_position\"\nkind = \"max_position_pct\"\npct = 25\non_breach = \"resize\"\n",
    )
    .unwrap();
    let r = rules.display().to_string();
    let out = json(&goog_sma_cross(&[
        "--template",
        "swing_trader",
        "--rules",
        &r,
    ]));
    assert!(out["closed_trades"].as_u64().unwrap() > 0, "{out}");
    let exits = out["auto_exits"].as_object().unwrap();
    assert!(
        exits.values().map(|v| v.as_u64().unwrap()).sum::<u64>() > 0,
        "{out}"
    );
}

#[test]
fn rules_check_prints_every_rule_with_its_scope() {
    let out = tradelab(&["rules", "check", &repo("examples/rules/custom.toml")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("valid"));
    assert!(
        text.contains("scope: liquidates all positions and halts the run"),
        "{text}"
    );
}

#[test]
fn rules_check_reports_every_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"a\"\nkind = \"max_position_pct\"\npct = 150\n\n[[rule]]\nname = \"b\"\nkind = \"trading_window\"\nstart = \"25:00\"\n",
    )
    .unwrap();
    let out = tradelab(&["rules", "check", &bad.display().to_string()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("\"a\"") && err.contains("pct"), "{err}");
    assert!(err.contains("\"b\"") && err.contains("start"), "{err}");
}

#[test]
fn lists_templates_and_prints_one_as_toml() {
    let out = tradelab(&["rules", "templates"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "day_trader",
        "swing_trader",
        "scalper",
        "long_term_investor",
    ] {
        assert!(text.contains(name), "{name}");
    }
    let out = tradelab(&["rules", "templates", "--show", "day_trader"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("kind = \"max_position_pct\""), "{text}");
    let unknown = tradelab(&[
        "backtest",
        "--data",
        &fixture("GOOG_2004-2013.csv"),
        "--strategy",
        "buy_and_hold",
        "--template",
        "yolo",
    ]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("day_trader"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn day_trader_template_runs_on_intraday_bars_from_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let bars = dir.path().join("es_1m.csv");
    let b = bars.display().to_string();
    let ticks = sample("es_trades_2013-09-01.csv");
    let out = tradelab(&[
        "data",
        "aggregate",
        "--ticks",
        &ticks,
        "--timeframe",
        "1m",
        "--out",
        &b,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&tradelab(&[
        "backtest",
        "--data",
        &b,
        "--symbol",
        "ES",
        "--strategy",
        "sma_cross",
        "--template",
        "day_trader",
        "--output",
        "json",
    ]));
    assert_eq!(r["status"], "completed");
    assert!(r["rules"].as_array().unwrap().len() >= 5);
}

#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let goog = fixture("GOOG_2004-2013.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tradelab"))
        .args(["backtest", "--data", &goog, "--strategy", "sma_cross"])
        .args(["--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tradelab");
    // Like `| head` that has already exited: nobody reads what is printed.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    const SIGPIPE: i32 = 13;
    assert_eq!(out.status.signal(), Some(SIGPIPE), "{:?}", out.status);
}
