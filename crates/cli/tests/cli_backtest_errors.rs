//! End-to-end specifications of how `tradelab backtest` refuses what it cannot run:
//! unknown symbols and strategies, periods and warm-ups the data cannot serve, mixed
//! timeframes, missing output directories, malformed CSV.

mod common;

use common::{fail, fixture, sample, stderr, tradelab};
use std::process::Output;

/// `tradelab backtest` on the bundled daily stocks with `extra` arguments.
fn stocks_backtest(extra: &[&str]) -> Output {
    let data = sample("stocks_daily_2000-2013.csv");
    tradelab(&[&["backtest", "--data", &data][..], extra].concat())
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
    let backtest = |strategy: &str, extra: &[&str]| {
        let base = ["backtest", "--data", &goog, "--strategy", strategy];
        tradelab(&[&base[..], extra].concat())
    };
    let err = fail(backtest("moon", &[]));
    assert!(err.contains("sma_cross"), "{err}");
    let err = fail(backtest(
        "sma_cross",
        &["--param", "fast=30", "--param", "slow=20"],
    ));
    assert!(err.contains("fast"), "{err}");
    let err = fail(backtest("sma_cross", &["--cash", "-5"]));
    assert!(err.contains("--cash"), "{err}");
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
