//! End-to-end specifications of `runs start --live`: stored bars replayed through the
//! live path give the report a replay gives, with what happened printed as it
//! happened; a bad provider or speed is refused naming the flag.

mod common;

use common::{fail, json, ok, sample, tl};
use std::path::Path;

fn lab_with_trend(d: &Path) {
    ok(tl(
        d,
        &["data", "import", &sample("stocks_daily_2000-2013.csv")],
    ));
    ok(tl(
        d,
        &[
            "models",
            "create",
            "trend",
            "--strategy",
            "sma_cross",
            "--param",
            "fast=5",
            "--param",
            "slow=20",
            "--symbols",
            "AAPL",
        ],
    ));
}

#[test]
fn stored_bars_replayed_as_live_report_what_a_replay_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    lab_with_trend(d);
    let period = [
        "--from",
        "2011-01-01",
        "--to",
        "2011-12-31",
        "--output",
        "json",
    ];
    let mut live_args = vec!["runs", "start", "trend", "--live", "--feed", "replay"];
    live_args.extend(["--speed", "100000000"]);
    live_args.extend(period);
    let live = tl(d, &live_args);
    let printed = String::from_utf8_lossy(&live.stderr).to_string();
    let mut live = json(live);
    let mut replay_args = vec!["runs", "start", "trend"];
    replay_args.extend(period);
    let mut replay = json(tl(d, &replay_args));
    for report in [&mut live, &mut replay] {
        let o = report.as_object_mut().unwrap();
        o.remove("run");
        o.remove("run_label");
    }
    assert_eq!(live, replay);
    assert!(
        printed.contains("live run trend#1 (id 1) on replay: AAPL;"),
        "{printed}"
    );
    assert!(
        printed.contains("filled   buy"),
        "fills are printed as they happen: {printed}"
    );
    let shown = json(tl(d, &["runs", "show", "trend#1", "--output", "json"]));
    assert_eq!(shown["source"], "live", "{shown}");
}

#[test]
fn a_live_run_refuses_an_unknown_provider_and_a_speed_that_is_not_positive() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    lab_with_trend(d);
    let e = fail(tl(
        d,
        &["runs", "start", "trend", "--live", "--provider", "acme"],
    ));
    assert!(
        e.contains("--provider \"acme\"") && e.contains("yahoo"),
        "{e}"
    );
    let e = fail(tl(
        d,
        &[
            "runs", "start", "trend", "--live", "--feed", "replay", "--speed", "0",
        ],
    ));
    assert!(e.contains("--speed 0 must be a positive number"), "{e}");
    let e = fail(tl(d, &["runs", "start", "trend", "--provider", "yahoo"]));
    assert!(e.contains("--live"), "--provider needs --live: {e}");
}

#[test]
fn a_live_run_killed_mid_way_resumes_and_ends_as_a_replay_of_its_bars() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    lab_with_trend(d);
    // 20 daily bars a second: the year takes about 12 s.
    let mut child = common::command()
        .arg("--data-dir")
        .arg(d)
        .args([
            "runs",
            "start",
            "trend",
            "--live",
            "--feed",
            "replay",
            "--speed",
            "1728000",
            "--from",
            "2011-01-01",
            "--to",
            "2011-12-31",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    child.kill().unwrap();
    child.wait().unwrap();
    let shown = json(tl(d, &["runs", "show", "trend#1", "--output", "json"]));
    assert_eq!(shown["status"], "interrupted", "killed, not ended: {shown}");
    assert!(
        shown["audit"]["equity"].as_u64().unwrap() < 240,
        "killed part-way: {shown}"
    );
    assert_eq!(
        shown["snapshot"]["live_feed"],
        serde_json::json!({"feed": "replay", "speed": 1728000.0}),
        "the run keeps its feed: {shown}"
    );
    let table = tl(d, &["runs", "show", "trend#1"]);
    assert!(
        String::from_utf8_lossy(&table.stdout).contains("stored bars replayed at 1728000x"),
        "{}",
        String::from_utf8_lossy(&table.stdout)
    );

    let resumed = tl(
        d,
        &[
            "runs",
            "resume",
            "trend#1",
            // The run's own feed (stored bars replayed), faster.
            "--speed",
            "100000000",
            "--output",
            "json",
        ],
    );
    let mut resumed = json(resumed);
    let period = [
        "--from",
        "2011-01-01",
        "--to",
        "2011-12-31",
        "--output",
        "json",
    ];
    let mut replay_args = vec!["runs", "start", "trend"];
    replay_args.extend(period);
    let mut replay = json(tl(d, &replay_args));
    assert_eq!(resumed["run_label"], "trend#1");
    assert_eq!(resumed["run_status"], "completed");
    for report in [&mut resumed, &mut replay] {
        let o = report.as_object_mut().unwrap();
        o.remove("run");
        o.remove("run_label");
    }
    assert_eq!(resumed, replay, "no bar lost or doubled across the restart");
    let e = fail(tl(d, &["runs", "resume", "trend#1", "--feed", "replay"]));
    assert!(e.contains("cannot be resumed: it ended (completed)"), "{e}");
}
