//! End-to-end specifications of `tradelab backtest` and `tradelab data`: the report,
//! its numbers and files, the period, every builtin strategy, aggregated ticks.

mod common;

use common::{command, es_minute_bars, fixture, goog_sma_cross, json, sample, stderr, tradelab};
use std::path::PathBuf;

/// backtesting.py 0.6.6's README example: the numbers it prints must be ours.
#[test]
fn matches_backtesting_py_readme_example_on_goog() {
    let r = json(goog_sma_cross(&[]));
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
    let r = json(goog_sma_cross(&[]));
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
    let r = json(goog_sma_cross(&["--close-at-end"]));
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
    json(goog_sma_cross(&["--trades-out", &t, "--equity-out", &e]));
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
    let r = json(tradelab(&[
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
        let r = json(tradelab(&[
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
    let r = json(goog_sma_cross(&[
        "--from",
        "2010-01-01",
        "--to",
        "2010-12-31",
    ]));
    assert_eq!(r["start"], "2010-01-04");
    assert_eq!(r["end"], "2010-12-31");
}

#[test]
fn aggregates_bundled_ticks_into_minute_bars() {
    let dir = tempfile::tempdir().unwrap();
    let o = es_minute_bars(dir.path());
    let text = std::fs::read_to_string(&o).unwrap();
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
    let r = json(tradelab(&[
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

#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let goog = fixture("GOOG_2004-2013.csv");
    let mut child = command()
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
