//! End-to-end specifications of the record-keeping commands: import, models, runs,
//! replay and compare, against the embedded SQLite store (and PostgreSQL when
//! `TRADELAB_TEST_POSTGRES_URL` is set, for the workflow test).

use std::path::Path;
use std::process::{Command, Output};

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample")
        .join(name)
        .display()
        .to_string()
}

/// Runs tradelab with `--data-dir dir` (and a database URL when given).
fn tl(dir: &Path, db: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tradelab"));
    c.arg("--data-dir").arg(dir).env_remove("DATABASE_URL");
    if let Some(url) = db {
        c.arg("--database-url").arg(url);
    }
    c.args(args).output().expect("run tradelab")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fail(out: Output) -> String {
    assert!(!out.status.success(), "should fail: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

fn workflow(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = sample("stocks_daily_2000-2013.csv");
    let first = ok(tl(d, db, &["data", "import", &data]));
    assert!(first.contains("AAPL 1d: 3270 new"), "{first}");
    let again = ok(tl(d, db, &["data", "import", &data]));
    assert!(again.contains("AAPL 1d: nothing new, 3270 unchanged"), "{again}");
    ok(tl(d, db, &[
        "models", "create", "trend", "--strategy", "sma_cross", "--param", "fast=10", "--param",
        "slow=30", "--commission", "0.001", "--symbols", "AAPL,MSFT", "--template", "swing_trader",
    ]));
    let dup = fail(tl(d, db, &["models", "create", "trend", "--strategy", "buy_and_hold"]));
    assert!(dup.contains("trend") && dup.to_lowercase().contains("already"), "{dup}");
    let run1 = ok(tl(d, db, &["runs", "start", "trend", "--output", "json"]));
    let r1: serde_json::Value = serde_json::from_str(&run1).unwrap();
    assert_eq!(r1["run_label"], "trend#1");
    std::fs::write(
        d.join("loose.toml"),
        "[[rule]]\nname = \"max_position\"\nkind = \"max_position_pct\"\npct = 50\non_breach = \"resize\"\n",
    )
    .unwrap();
    let loose = d.join("loose.toml").display().to_string();
    let replay = ok(tl(d, db, &["runs", "replay", "trend#1", "--rules", &loose]));
    assert!(replay.contains("replay of trend#1 → trend#2"), "{replay}");
    let cmp = ok(tl(d, db, &["runs", "compare", "trend#1", "trend#2"]));
    assert!(cmp.contains("final_equity"), "{cmp}");
    assert!(cmp.contains("rules[max_position]: max 25 %"), "{cmp}");
    let list = ok(tl(d, db, &["runs", "list"]));
    assert!(list.contains("trend#2") && list.contains("replay of run"), "{list}");
    let events = ok(tl(d, db, &["runs", "events", "trend#1", "--kind", "fill", "--limit", "3"]));
    assert_eq!(events.lines().filter(|l| l.contains("fill")).count(), 3, "{events}");
    let trades = ok(tl(d, db, &["runs", "trades", "trend#2"]));
    assert!(trades.contains("closed trade(s)"), "{trades}");
    // editing the model does not change what run 1 ran with
    ok(tl(d, db, &["models", "edit", "trend", "--param", "fast=3"]));
    let shown = ok(tl(d, db, &["runs", "show", "trend#1", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(run["snapshot"]["decider"]["params"]["fast"], "10");
    ok(tl(d, db, &["models", "rules", "toggle", "trend", "stop_loss"]));
    let rules = ok(tl(d, db, &["models", "rules", "list", "trend"]));
    assert!(rules.contains("stop_loss") && rules.contains("(off)"), "{rules}");
    ok(tl(d, db, &["models", "rules", "remove", "trend", "stop_loss"]));
    let bad = fail(tl(d, db, &["models", "rules", "remove", "trend", "stop_loss"]));
    assert!(bad.contains("no rule \"stop_loss\""), "{bad}");
}

#[test]
fn import_create_run_replay_compare_on_sqlite() {
    workflow(None);
}

#[test]
fn import_create_run_replay_compare_on_postgres() {
    let Ok(url) = std::env::var("TRADELAB_TEST_POSTGRES_URL") else {
        eprintln!("skipped: TRADELAB_TEST_POSTGRES_URL is not set");
        return;
    };
    // A database of its own, so the test does not see other tests' rows.
    let name = format!("tl_cli_{}", std::process::id());
    let admin = |sql: &str| {
        Command::new("psql")
            .args([url.as_str(), "-q", "-c", sql])
            .output()
    };
    if admin(&format!("DROP DATABASE IF EXISTS {name}")).is_err() {
        eprintln!("skipped: psql is not installed");
        return;
    }
    assert!(admin(&format!("CREATE DATABASE {name}")).unwrap().status.success());
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    let db_url = format!("{base}/{name}");
    workflow(Some(&db_url));
    let _ = admin(&format!("DROP DATABASE IF EXISTS {name}"));
}

#[test]
fn unknown_model_and_run_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(tl(dir.path(), None, &["runs", "start", "ghost"]));
    assert!(err.contains("no model \"ghost\""), "{err}");
    let err = fail(tl(dir.path(), None, &["runs", "show", "42"]));
    assert!(err.contains("42"), "{err}");
    let err = fail(tl(dir.path(), None, &["runs", "show", "ghost#1"]));
    assert!(err.contains("ghost"), "{err}");
}

#[test]
fn invalid_rules_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bad.toml"), "[[rule]]\nname = \"x\"\nkind = \"max_position_pct\"\npct = 500\n").unwrap();
    let bad = d.join("bad.toml").display().to_string();
    let err = fail(tl(d, None, &["models", "create", "m", "--strategy", "sma_cross", "--rules", &bad]));
    assert!(err.contains("pct"), "{err}");
    let list = ok(tl(d, None, &["models", "list"]));
    assert!(list.contains("no models yet"), "{list}");
    let err = fail(tl(d, None, &["models", "create", "m", "--strategy", "sma_cross", "--param", "fast=50"]));
    assert!(err.contains("fast"), "{err}");
}

#[test]
fn database_that_does_not_answer_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(tl(dir.path(), Some("postgres://someone:secret@127.0.0.1:1/db"), &["models", "list"]));
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("secret"), "the password is not printed: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn data_dir_that_is_not_writable_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = fail(tl(&file.join("sub"), None, &["models", "list"]));
    assert!(err.contains("a-file"), "{err}");
}
