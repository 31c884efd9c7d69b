//! Amounts beyond what the exact ledger holds (issue 14, item 1): `backtest` and
//! `runs start`/`runs replay` end with exit code 1 and a message naming the operation
//! and its amounts, never a panic (exit code 101); a stored run is `failed`, with a
//! `run_failed` event, not `interrupted`.

use std::path::Path;
use std::process::{Command, Output};

/// Runs tradelab with `--data-dir dir` on the embedded SQLite store.
fn tl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tradelab"))
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DATABASE_URL")
        .args(args)
        .output()
        .expect("run tradelab")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the command failed cleanly (exit code 1, no panic) and returns its stderr.
fn fails_cleanly(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "exit code 1: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", stderr(out));
    stdout(out)
}

/// Daily bars with these closes (open = high = low = close), from 2020-01-01.
fn bar_file(dir: &Path, name: &str, closes: &[&str]) -> String {
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    let start = jiff::civil::date(2020, 1, 1);
    for (k, c) in closes.iter().enumerate() {
        let day = start
            .checked_add(jiff::Span::new().days(k as i64))
            .expect("a date");
        text.push_str(&format!("{day},{c},{c},{c},{c},100\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the bar file");
    path.display().to_string()
}

/// The file: all in at 1e-10, then marked at 1e15.
const TINY_THEN_HUGE: [&str; 3] = ["0.0000000001", "0.0000000001", "1000000000000000"];

/// What the equity product of that file overflows with: all-in units × the last close.
const EQUITY_OVERFLOW: &str = "equity: position value (units × latest close) cannot be \
                               computed exactly: 99999999999999 × 1000000000000000";

#[test]
fn backtest_exits_1_naming_the_equity_product_when_closes_go_from_1e_minus_10_to_1e15() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = bar_file(dir.path(), "x.csv", &TINY_THEN_HUGE);
    let out = tl(
        dir.path(),
        &[
            "backtest",
            "--data",
            &file,
            "--symbol",
            "X",
            "--strategy",
            "buy_and_hold",
        ],
    );
    let err = fails_cleanly(&out);
    assert!(
        err.contains("the run failed at step 3 (2020-01-03T00:00:00Z)"),
        "{err}"
    );
    assert!(err.contains(EQUITY_OVERFLOW), "{err}");
    assert!(
        err.contains("the largest amount the exact ledger holds; use less initial cash"),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "no report of a failed run");
}

#[test]
fn backtest_with_cash_near_the_decimal_limit_and_shorts_exits_1_naming_the_cash_sum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let goog = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/GOOG_2004-2013.csv")
        .display()
        .to_string();
    let out = tl(
        dir.path(),
        &[
            "backtest",
            "--data",
            &goog,
            "--symbol",
            "GOOG",
            "--strategy",
            "sma_cross",
            "--cash",
            "79000000000000000000000000000",
            "--allow-short",
        ],
    );
    let err = fails_cleanly(&out);
    assert!(
        err.contains(
            "cash after a sell cannot be computed exactly: 79000000000000000000000000000 + "
        ),
        "{err}"
    );
}

#[test]
fn backtests_of_a_walk_across_the_price_range_complete_or_exit_1_for_every_strategy() {
    let dir = tempfile::tempdir().expect("temp dir");
    // From 1e-10 up to 1e15, down to 1e0 and up again, in steps of ×/÷ 10^0.5, with
    // odd digits.
    let mut closes = Vec::new();
    for k in (0..=50).chain((20..50).rev()).chain(21..=50) {
        let p = 10f64.powf(-10.0 + k as f64 / 2.0) * 1.234_567_890_123;
        closes.push(format!("{}", p.clamp(1e-10, 1e15)));
    }
    let closes: Vec<&str> = closes.iter().map(String::as_str).collect();
    let file = bar_file(dir.path(), "walk.csv", &closes);
    let mut failed = 0;
    for strategy in ["buy_and_hold", "sma_cross", "rsi_reversion", "breakout"] {
        for short in [false, true] {
            let mut args = vec![
                "backtest",
                "--data",
                &file,
                "--symbol",
                "W",
                "--strategy",
                strategy,
                "--cash",
                "1000000",
            ];
            if short {
                args.push("--allow-short");
            }
            let out = tl(dir.path(), &args);
            if out.status.success() {
                assert!(stdout(&out).contains("Final equity"), "{strategy}");
            } else {
                let err = fails_cleanly(&out);
                assert!(
                    err.contains("cannot be computed exactly"),
                    "{strategy}: {err}"
                );
                failed += 1;
            }
        }
    }
    assert!(
        failed > 0,
        "the walk overflows the ledger for some strategy"
    );
}

#[test]
fn runs_start_and_replay_of_an_overflowing_run_record_it_failed_with_a_run_failed_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let file = bar_file(d, "x.csv", &TINY_THEN_HUGE);
    ok(&tl(d, &["data", "import", &file, "--symbol", "X"]));
    let create = [
        "models",
        "create",
        "m",
        "--strategy",
        "buy_and_hold",
        "--symbols",
        "X",
    ];
    ok(&tl(d, &create));
    let err = fails_cleanly(&tl(d, &["runs", "start", "m"]));
    assert!(err.contains(EQUITY_OVERFLOW), "{err}");

    let shown = ok(&tl(d, &["runs", "show", "m#1", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(run["status"], "failed", "not interrupted: {shown}");
    let reason = run["status_reason"].as_str().unwrap_or_default();
    assert!(reason.contains(EQUITY_OVERFLOW), "{shown}");

    let events = ok(&tl(d, &["runs", "events", "m#1"]));
    let failed = events
        .lines()
        .find(|l| l.contains("run_failed"))
        .unwrap_or_else(|| panic!("a run_failed event: {events}"));
    for part in [
        "equity: position value (units × latest close)",
        "99999999999999",
        "1000000000000000",
    ] {
        assert!(failed.contains(part), "{part} in {failed}");
    }
    assert!(!events.contains("run_finished"), "{events}");

    // A replay on the same bars overflows the same way and is recorded failed too.
    let rules = d.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"max_open_positions\"\nkind = \"max_open_positions\"\nmax = 5\n",
    )
    .expect("write rules");
    let rules = rules.display().to_string();
    let err = fails_cleanly(&tl(d, &["runs", "replay", "m#1", "--rules", &rules]));
    assert!(err.contains(EQUITY_OVERFLOW), "{err}");
    let shown = ok(&tl(d, &["runs", "show", "m#2", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(run["status"], "failed", "{shown}");
    let list = ok(&tl(d, &["runs", "list"]));
    assert!(!list.contains("interrupted"), "{list}");
}
