//! End-to-end specifications of the record-keeping commands: import, models, runs,
//! replay and compare, against the embedded SQLite store (and PostgreSQL when
//! `TRADELAB_TEST_POSTGRES_URL` is set, for the workflow test; without it that test is
//! reported as ignored), and their clear errors.

mod common;

use common::{PgDatabase, fail, ok, sample, tl, tl_db};

fn workflow(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // tradelab on this test's data dir and database.
    let cmd = |args: &[&str]| tl_db(d, db, args);
    let data = sample("stocks_daily_2000-2013.csv");
    let first = ok(cmd(&["data", "import", &data]));
    assert!(first.contains("AAPL 1d: 3270 new"), "{first}");
    let again = ok(cmd(&["data", "import", &data]));
    assert!(
        again.contains("AAPL 1d: nothing new, 3270 unchanged"),
        "{again}"
    );
    ok(cmd(&[
        "models",
        "create",
        "trend",
        "--strategy",
        "sma_cross",
        "--param",
        "fast=10",
        "--param",
        "slow=30",
        "--commission",
        "0.001",
        "--symbols",
        "AAPL,MSFT",
        "--template",
        "swing_trader",
    ]));
    let dup = fail(cmd(&[
        "models",
        "create",
        "trend",
        "--strategy",
        "buy_and_hold",
        "--symbols",
        "AAPL",
    ]));
    assert!(
        dup.contains("trend") && dup.to_lowercase().contains("already"),
        "{dup}"
    );
    let run1 = ok(cmd(&["runs", "start", "trend", "--output", "json"]));
    let r1: serde_json::Value = serde_json::from_str(&run1).unwrap();
    assert_eq!(r1["run_label"], "trend#1");
    std::fs::write(
        d.join("loose.toml"),
        "[[rule]]\nname = \"max_position\"\nkind = \"max_position_pct\"\npct = 50\non_breach = \"resize\"\n",
    )
    .unwrap();
    let loose = d.join("loose.toml").display().to_string();
    let replay = ok(cmd(&["runs", "replay", "trend#1", "--rules", &loose]));
    assert!(replay.contains("replay of trend#1 → trend#2"), "{replay}");
    let cmp = ok(cmd(&["runs", "compare", "trend#1", "trend#2"]));
    assert!(cmp.contains("Final equity"), "{cmp}");
    assert!(
        cmp.lines()
            .any(|l| l.contains("rule max_position") && l.contains("max 25 %")),
        "{cmp}"
    );
    let list = ok(cmd(&["runs", "list"]));
    assert!(
        list.contains("trend#2") && list.contains("replay of run"),
        "{list}"
    );
    assert!(
        list.starts_with("   id  run "),
        "a header names the columns: {list}"
    );
    let models = ok(cmd(&["models", "list"]));
    let header = models.lines().next().unwrap_or_default();
    assert!(
        header
            .split_whitespace()
            .eq(["id", "model", "strategy", "runs"]),
        "{models}"
    );
    let events = ok(cmd(&[
        "runs", "events", "trend#1", "--kind", "fill", "--limit", "3",
    ]));
    assert_eq!(
        events
            .lines()
            .filter(|l| l.split_whitespace().nth(2) == Some("fill"))
            .count(),
        3,
        "{events}"
    );
    let trades = ok(cmd(&["runs", "trades", "trend#2"]));
    assert!(trades.contains("closed trade"), "{trades}");
    // editing the model does not change what run 1 ran with
    ok(cmd(&["models", "edit", "trend", "--param", "fast=3"]));
    let shown = ok(cmd(&["runs", "show", "trend#1", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(run["snapshot"]["decider"]["params"]["fast"], "10");
    ok(cmd(&["models", "rules", "toggle", "trend", "stop_loss"]));
    let rules = ok(cmd(&["models", "rules", "list", "trend"]));
    assert!(
        rules.lines().any(|l| l
            .split_whitespace()
            .skip(1)
            .take(2)
            .eq(["stop_loss", "off"])),
        "{rules}"
    );
    ok(cmd(&["models", "rules", "remove", "trend", "stop_loss"]));
    let bad = fail(cmd(&["models", "rules", "remove", "trend", "stop_loss"]));
    assert!(bad.contains("no rule \"stop_loss\""), "{bad}");
    // A model with runs stays: the store's own reason, on either database.
    let kept = fail(cmd(&["models", "delete", "trend"]));
    assert!(
        kept.contains("model trend has 2 run(s)") && kept.contains("cannot be deleted"),
        "{kept}"
    );
    assert!(!kept.contains("FOREIGN KEY"), "{kept}");
    assert!(ok(cmd(&["models", "list"])).contains("trend"));
}

#[test]
fn import_create_run_replay_compare_on_sqlite() {
    workflow(None);
}

#[test]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
fn import_create_run_replay_compare_on_postgres() {
    let db = PgDatabase::create("tl_cli_workflow");
    workflow(Some(&db.url));
}

/// `data list` over the sample's five daily series (AAPL, FB, GOOG, IBM, MSFT), two
/// at a time, following the hint the table ends with and the JSON's `next_after`.
fn data_list_pages(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cmd = |args: &[&str]| tl_db(d, db, args);
    ok(cmd(&[
        "data",
        "import",
        &sample("stocks_daily_2000-2013.csv"),
    ]));
    let symbols = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .filter(|l| l.contains(" 1d "))
            .filter_map(|l| l.split_whitespace().next().map(String::from))
            .collect()
    };
    let mut seen = Vec::new();
    let mut page = ok(cmd(&["data", "list", "--limit", "2"]));
    let mut pages = 1;
    while let Some(hint) = page.lines().find(|l| l.starts_with("more series: ")) {
        let after = hint.rsplit("--after ").next().unwrap().trim().to_string();
        assert!(
            hint.contains("tradelab data list --limit 2 --after "),
            "{hint}"
        );
        seen.extend(symbols(&page));
        page = ok(cmd(&["data", "list", "--limit", "2", "--after", &after]));
        pages += 1;
    }
    seen.extend(symbols(&page));
    assert_eq!(seen, ["AAPL", "FB", "GOOG", "IBM", "MSFT"]);
    assert_eq!(pages, 3);

    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["data", "list", "--output", "json"];
        all.extend(args);
        serde_json::from_str(&ok(cmd(&all))).unwrap()
    };
    let first = json(&["--limit", "2"]);
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["AAPL", "FB"]);
    assert_eq!(first["items"][0]["first"], "2000-03-01T00:00:00Z");
    assert_eq!(first["next_after"], "FB@1d");
    let last = json(&["--limit", "2", "--after", "IBM@1d"]);
    assert_eq!(last["items"][0]["symbol"], "MSFT");
    assert_eq!(last["next_after"], serde_json::Value::Null);
    let whole = json(&[]);
    assert_eq!(whole["items"].as_array().unwrap().len(), 5);
    assert_eq!(whole["next_after"], serde_json::Value::Null);

    let end = ok(cmd(&["data", "list", "--after", "MSFT@1d"]));
    assert_eq!(end.trim(), "no more series");
    let err = fail(cmd(&["data", "list", "--after", "MSFT"]));
    assert!(err.contains("SYMBOL@TIMEFRAME"), "{err}");
    let err = fail(cmd(&["data", "list", "--limit", "0"]));
    assert!(
        err.contains("page limit") && err.contains("1..=1000"),
        "{err}"
    );
}

#[test]
fn data_list_pages_with_limit_and_after_on_sqlite() {
    data_list_pages(None);
}

#[test]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
fn data_list_pages_with_limit_and_after_on_postgres() {
    let db = PgDatabase::create("tl_cli_data_list");
    data_list_pages(Some(&db.url));
}

#[test]
fn unknown_model_and_run_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(tl(dir.path(), &["runs", "start", "ghost"]));
    assert!(err.contains("no model \"ghost\""), "{err}");
    let err = fail(tl(dir.path(), &["runs", "show", "42"]));
    assert!(err.contains("42"), "{err}");
    let err = fail(tl(dir.path(), &["runs", "show", "ghost#1"]));
    assert!(err.contains("ghost"), "{err}");
    let err = fail(tl(dir.path(), &["runs", "events", "1", "--kind", "fils"]));
    assert!(
        err.contains("invalid value 'fils' for '--kind <KIND>'") && err.contains("fill"),
        "{err}"
    );
    let err = fail(tl(
        dir.path(),
        &["models", "create", "trend#2", "--strategy", "sma_cross"],
    ));
    assert!(err.contains("contains '#'"), "{err}");
}

#[test]
fn model_switches_alone_mean_true_and_take_an_explicit_false() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let create = [
        "models",
        "create",
        "m",
        "--strategy",
        "sma_cross",
        "--allow-short",
        "--close-at-end",
        "--symbols",
        "SPY",
    ];
    ok(tl(d, &create));
    let shown = ok(tl(d, &["models", "show", "m"]));
    assert!(
        shown.contains("shorting allowed, positions closed at the end of data"),
        "{shown}"
    );
    ok(tl(d, &["models", "edit", "m", "--allow-short", "false"]));
    ok(tl(d, &["models", "edit", "m", "--close-at-end=false"]));
    let shown = ok(tl(d, &["models", "show", "m"]));
    assert!(
        shown.contains("shorting not allowed, positions left open at the end of data"),
        "{shown}"
    );
    let bad = fail(tl(d, &["models", "edit", "m", "--allow-short", "maybe"]));
    assert!(
        bad.contains("invalid value 'maybe' for '--allow-short"),
        "{bad}"
    );
}

#[test]
fn invalid_rules_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.toml"),
        "[[rule]]\nname = \"x\"\nkind = \"max_position_pct\"\npct = 500\n",
    )
    .unwrap();
    let bad = d.join("bad.toml").display().to_string();
    let err = fail(tl(
        d,
        &[
            "models",
            "create",
            "m",
            "--strategy",
            "sma_cross",
            "--rules",
            &bad,
        ],
    ));
    assert!(err.contains("pct"), "{err}");
    let list = ok(tl(d, &["models", "list"]));
    assert!(list.contains("no models yet"), "{list}");
    let err = fail(tl(
        d,
        &[
            "models",
            "create",
            "m",
            "--strategy",
            "sma_cross",
            "--param",
            "fast=50",
        ],
    ));
    assert!(err.contains("fast"), "{err}");
}

#[test]
fn database_that_does_not_answer_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(tl_db(
        dir.path(),
        Some("postgres://someone:secret@127.0.0.1:1/db"),
        &["models", "list"],
    ));
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(
        !err.contains("secret"),
        "the password is not printed: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn data_dir_that_is_not_writable_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = fail(tl(&file.join("sub"), &["models", "list"]));
    assert!(err.contains("a-file"), "{err}");
}
