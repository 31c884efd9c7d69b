//! Amounts beyond what the exact ledger holds (issue 14, item 1): `backtest` and
//! `runs start`/`runs replay` end with exit code 1 and a message naming the operation
//! and its amounts, never a panic (exit code 101); a stored run is `failed`, with a
//! `run_failed` event, not `interrupted`.

mod common;

use common::{bar_file, fails_cleanly, fixture, ok, stdout, tl};

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
    let goog = fixture("GOOG_2004-2013.csv");
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
    ok(tl(d, &["data", "import", &file, "--symbol", "X"]));
    let create = [
        "models",
        "create",
        "m",
        "--strategy",
        "buy_and_hold",
        "--symbols",
        "X",
    ];
    ok(tl(d, &create));
    let err = fails_cleanly(&tl(d, &["runs", "start", "m"]));
    assert!(err.contains(EQUITY_OVERFLOW), "{err}");

    let shown = ok(tl(d, &["runs", "show", "m#1", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(run["status"], "failed", "not interrupted: {shown}");
    let reason = run["status_reason"].as_str().unwrap_or_default();
    assert!(reason.contains(EQUITY_OVERFLOW), "{shown}");

    let events = ok(tl(d, &["runs", "events", "m#1"]));
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
    let shown = ok(tl(d, &["runs", "show", "m#2", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(run["status"], "failed", "{shown}");
    let list = ok(tl(d, &["runs", "list"]));
    assert!(!list.contains("interrupted"), "{list}");
}
