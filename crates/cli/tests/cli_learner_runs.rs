//! Stored online-learner runs through the command line, on SQLite and PostgreSQL:
//! `runs start` saves snapshots every `snapshot_every` bars and at the end, `runs show`
//! lists them with the calibration block (table and JSON), `runs events --kind model`
//! shows them, `--warm-start RUN@VERSION` starts a run from one (and `runs show` says
//! so), and a wrong reference is refused naming what is wrong.

mod common;

use common::{PgDatabase, fail, json, ok, tl_db};
use std::fmt::Write;
use std::path::Path;
use tradelab_learner::synth::ar1_series;

/// Writes 600 daily bars of `LRN` whose returns follow an AR(1) with coefficient 0.3.
fn bars(dir: &Path) -> String {
    let series = ar1_series("LRN", 600, 0.3, 4).unwrap();
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    for b in series.bars() {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{}",
            b.ts().date_string(),
            b.open(),
            b.high(),
            b.low(),
            b.close(),
            b.volume()
        );
    }
    let path = dir.join("lrn.csv");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn learner_runs(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cmd = |args: &[&str]| tl_db(d, db, args);
    let data = bars(d);
    ok(cmd(&["data", "import", &data, "--symbol", "LRN"]));
    for (name, features) in [
        ("learner", "returns,rsi,volatility,volume,ma,time"),
        ("rsi-only", "rsi"),
    ] {
        ok(cmd(&[
            "models",
            "create",
            name,
            "--strategy",
            "online_learner",
            "--param",
            "snapshot_every=250",
            "--param",
            &format!("features={features}"),
            "--symbols",
            "LRN",
        ]));
    }
    let started = ok(cmd(&["runs", "start", "learner"]));
    assert!(started.contains("Online learner: calibration"), "{started}");

    let shown = ok(cmd(&["runs", "show", "learner#1"]));
    for line in [
        "Learner snapshots (warm-start a run with --warm-start",
        "version  bar time",
        "Online learner: calibration",
        "Brier score",
        "reliability   count  predicted  observed",
    ] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
    let j = json(cmd(&["runs", "show", "learner#1", "--output", "json"]));
    let bars: Vec<u64> = j["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .filter_map(|s| s["bars"].as_u64())
        .collect();
    assert_eq!(bars, [250, 500, 600]);
    assert!(j["calibration"]["brier"].is_f64(), "{j}");
    assert_eq!(
        j["calibration"]["reliability"].as_array().map(Vec::len),
        Some(10)
    );

    let events = ok(cmd(&["runs", "events", "learner#1", "--kind", "model"]));
    assert!(
        events.contains("learner snapshot saved after 250 bars"),
        "{events}"
    );
    assert!(
        events.contains("saved after 250 bars (") && events.contains(") as version 1"),
        "the snapshot event names its version: {events}"
    );

    let warm = ok(cmd(&[
        "runs",
        "start",
        "learner",
        "--from",
        "2000-09-09",
        "--warm-start",
        "learner#1@1",
    ]));
    assert!(!warm.is_empty());
    let shown = ok(cmd(&["runs", "show", "learner#2"]));
    assert!(shown.contains("Warm start"), "{shown}");
    assert!(shown.contains("snapshot version 1"), "{shown}");

    let missing = fail(cmd(&[
        "runs",
        "start",
        "learner",
        "--warm-start",
        "learner#1@9",
    ]));
    assert!(missing.contains("not found"), "{missing}");
    let bad = fail(cmd(&[
        "runs",
        "start",
        "learner",
        "--warm-start",
        "learner#1@one",
    ]));
    assert!(bad.contains("is not a snapshot version"), "{bad}");
    let other = fail(cmd(&[
        "runs",
        "start",
        "rsi-only",
        "--warm-start",
        "learner#1",
    ]));
    assert!(other.contains("cannot warm-start"), "{other}");
    assert!(other.contains("features"), "{other}");
    let list = json(cmd(&[
        "runs", "list", "--model", "rsi-only", "--output", "json",
    ]));
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

#[test]
fn learner_runs_snapshots_calibration_and_warm_start_on_sqlite() {
    learner_runs(None);
}

#[test]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
fn learner_runs_snapshots_calibration_and_warm_start_on_postgres() {
    let db = PgDatabase::create("tl_cli_learner_runs");
    learner_runs(Some(&db.url));
}
