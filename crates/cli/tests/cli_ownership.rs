//! End-to-end specifications of data ownership: replays verify their data, shared bars
//! are an admin's to replace or delete, a user's uploads are private, new accounts are
//! users, `--user` is validated, a declared timeframe must fit the bars, and
//! `data delete` removes a series.

mod common;

use common::{fail, ok, tl, tl_as, write_file};
use std::path::Path;

/// `n` daily bars (weekdays from 2019-01-01) in `dir/name`, closes around `base`;
/// returns the path as text.
fn daily_file(dir: &Path, name: &str, n: usize, base: f64) -> String {
    let mut text = String::from("date,open,high,low,close,volume\n");
    let mut day = jiff::civil::date(2019, 1, 1);
    let mut written = 0;
    while written < n {
        if !matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            let p = base + ((written * 7) % 13) as f64;
            text.push_str(&format!(
                "{day},{p},{},{},{},1000\n",
                p + 1.0,
                p - 1.0,
                p + 0.5
            ));
            written += 1;
        }
        day = day.tomorrow().expect("date");
    }
    write_file(dir, name, &text)
}

/// One-minute bars of a regular session (14:30–21:00 UTC) on `days` weekdays from
/// 2019-01-02, with a few minutes missing every hour; returns the path as text.
fn minute_file(dir: &Path, days: usize) -> String {
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    let mut day = jiff::civil::date(2019, 1, 2);
    let mut done = 0;
    while done < days {
        if !matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            for m in (0..390).filter(|m| m % 60 < 55) {
                let t = day
                    .at(14, 30, 0, 0)
                    .checked_add(jiff::Span::new().minutes(m))
                    .expect("time");
                text.push_str(&format!("{t}Z,10,11,9,10.5,100\n"));
            }
            done += 1;
        }
        day = day.tomorrow().expect("date");
    }
    write_file(dir, "es_1m.csv", &text)
}

/// The `data list` line of `symbol`, if listed.
fn listed<'a>(list: &'a str, symbol: &str) -> Option<&'a str> {
    list.lines()
        .find(|l| l.split_whitespace().next() == Some(symbol))
}

fn create_model(d: &Path, user: Option<&str>) {
    ok(tl_as(
        d,
        user,
        &[
            "models",
            "create",
            "m",
            "--strategy",
            "sma_cross",
            "--param",
            "fast=3",
            "--param",
            "slow=8",
            "--symbols",
            "RW",
        ],
    ));
}

const NO_RULES: &str = "[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 5\n";

#[test]
fn rejects_replay_when_bars_changed_since_the_run_unless_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let original = daily_file(d, "rw.csv", 80, 50.0);
    let changed = daily_file(d, "rw_changed.csv", 80, 60.0);
    let rules = d.join("stop.toml");
    std::fs::write(&rules, NO_RULES).expect("rules");
    let rules = rules.display().to_string();
    ok(tl(d, &["data", "import", &original, "--symbol", "RW"]));
    create_model(d, None);
    ok(tl(d, &["runs", "start", "m"]));
    // The same bars: the replay runs.
    ok(tl(d, &["runs", "replay", "m#1", "--rules", &rules]));
    let replaced = ok(tl(
        d,
        &["data", "import", &changed, "--symbol", "RW", "--replace"],
    ));
    assert!(replaced.contains("80 replaced"), "{replaced}");
    let err = fail(tl(d, &["runs", "replay", "m#1", "--rules", &rules]));
    for part in [
        "cannot replay run m#1",
        "RW (1d)",
        "the same 80 bars in count, with other values",
        "data fingerprint fnv1a64w:",
        "--allow-changed-data",
    ] {
        assert!(err.contains(part), "{part:?} missing from: {err}");
    }
    let runs = ok(tl(d, &["runs", "list"]));
    assert!(!runs.contains("m#3"), "a refused replay made a run: {runs}");
    let out = tl(
        d,
        &[
            "runs",
            "replay",
            "m#1",
            "--rules",
            &rules,
            "--allow-changed-data",
        ],
    );
    let note = String::from_utf8_lossy(&out.stderr).to_string();
    let replayed = ok(out);
    assert!(replayed.contains("replay of m#1 → m#3"), "{replayed}");
    assert!(note.contains("the bars changed since m#1 ran"), "{note}");
    let compared = ok(tl(
        d,
        &["runs", "compare", "m#1", "m#3", "--output", "json"],
    ));
    let doc: serde_json::Value = serde_json::from_str(&compared).expect("json");
    // Differences as `[field, values]` pairs or as an object keyed by field.
    let keys: Vec<String> = match &doc["differences"] {
        serde_json::Value::Array(pairs) => pairs
            .iter()
            .filter_map(|d| d[0].as_str().map(str::to_string))
            .collect(),
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("differences: {other}"),
    };
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert!(
        keys.contains(&"data_fingerprint") && keys.contains(&"data_changed_from"),
        "{compared}"
    );
    let events = ok(tl(d, &["runs", "events", "m#3", "--kind", "data_changed"]));
    assert!(
        events.contains("data_changed") && events.contains("m#1"),
        "{events}"
    );
    let table = ok(tl(d, &["runs", "compare", "m#1", "m#3"]));
    assert!(
        table.contains("data_changed_from") || table.contains("data changed"),
        "{table}"
    );
}

#[test]
fn new_accounts_are_users_whose_uploads_are_private_and_who_cannot_replace_shared_bars() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let original = daily_file(d, "rw.csv", 40, 50.0);
    let changed = daily_file(d, "rw_changed.csv", 40, 60.0);
    let alice = Some("alice@example.com");
    let bob = Some("bob@example.com");
    // The default account is the admin: its imports are shared.
    ok(tl(d, &["data", "import", &original, "--symbol", "RW"]));
    let err = fail(tl_as(
        d,
        alice,
        &["data", "import", &changed, "--symbol", "RW", "--replace"],
    ));
    assert!(
        err.contains("RW 1d bars are shared data: replacing or deleting them is an admin's act"),
        "{err}"
    );
    let err = fail(tl_as(
        d,
        alice,
        &["data", "import", &changed, "--symbol", "RW"],
    ));
    assert!(err.contains("may not shadow shared bars"), "{err}");
    // The same bars again are fine.
    let same = ok(tl_as(
        d,
        alice,
        &["data", "import", &original, "--symbol", "RW"],
    ));
    assert!(same.contains("nothing new, 40 unchanged"), "{same}");
    let err = fail(tl_as(
        d,
        alice,
        &["data", "delete", "--symbol", "RW", "--timeframe", "1d"],
    ));
    assert!(err.contains("admin's act"), "{err}");
    // Alice's own upload is hers alone.
    ok(tl_as(
        d,
        alice,
        &["data", "import", &changed, "--symbol", "MINE"],
    ));
    let hers = ok(tl_as(d, alice, &["data", "list"]));
    assert!(
        listed(&hers, "MINE").is_some_and(|l| l.contains("private")),
        "{hers}"
    );
    assert!(
        listed(&hers, "RW").is_some_and(|l| !l.contains("private")),
        "{hers}"
    );
    let his = ok(tl_as(d, bob, &["data", "list"]));
    assert!(
        listed(&his, "MINE").is_none() && listed(&his, "RW").is_some(),
        "{his}"
    );
    // Bob cannot replace Alice's bars: his import is his own private series.
    ok(tl_as(
        d,
        bob,
        &["data", "import", &original, "--symbol", "MINE"],
    ));
    let hers_again = ok(tl_as(
        d,
        alice,
        &["data", "import", &changed, "--symbol", "MINE"],
    ));
    assert!(
        hers_again.contains("nothing new, 40 unchanged"),
        "{hers_again}"
    );
    // The admin replaces the shared bars.
    let replaced = ok(tl(
        d,
        &["data", "import", &changed, "--symbol", "RW", "--replace"],
    ));
    assert!(replaced.contains("40 replaced"), "{replaced}");
}

#[test]
fn user_flag_rejects_malformed_addresses_naming_the_flag_and_the_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    for (user, problem) in [
        ("bell\u{7}@example.com", "control character U+0007"),
        ("no-at-sign", "it has no @"),
        ("a@b@example.com", "more than one @"),
        ("@example.com", "nothing before the @"),
        ("alice@", "no domain after the @"),
    ] {
        let err = fail(tl_as(d, Some(user), &["data", "list"]));
        assert!(
            err.contains("--user") && err.contains(problem),
            "{user:?}: {err}"
        );
    }
    let long = format!("{}@example.com", "x".repeat(100_000));
    let err = fail(tl_as(d, Some(&long), &["models", "list"]));
    assert!(
        err.contains("--user") && err.contains("more than the 254"),
        "{err}"
    );
    assert!(err.len() < 400, "echoed {} bytes of the address", err.len());
    // Nothing was created for them.
    let users = ok(tl_as(d, Some("ok@example.com"), &["data", "list"]));
    assert!(users.contains("no stored bars"), "{users}");
}

#[test]
fn data_import_refuses_daily_bars_declared_as_minute_bars() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let daily = daily_file(d, "rw.csv", 60, 50.0);
    for tf in ["1m", "5m", "1h"] {
        let err = fail(tl(
            d,
            &[
                "data",
                "import",
                &daily,
                "--symbol",
                "RW",
                "--timeframe",
                tf,
            ],
        ));
        assert!(
            err.contains(&format!("--timeframe {tf} does not fit"))
                && err.contains("look like 1d bars")
                && err.contains("pass --timeframe 1d or leave it out"),
            "{err}"
        );
    }
    let list = ok(tl(d, &["data", "list"]));
    assert!(list.contains("no stored bars"), "{list}");
    // Real minute bars with gaps, overnight breaks and a weekend are 1m bars.
    let minutes = minute_file(d, 6);
    let imported = ok(tl(
        d,
        &[
            "data",
            "import",
            &minutes,
            "--symbol",
            "ES",
            "--timeframe",
            "1m",
        ],
    ));
    assert!(imported.contains("ES 1m: 2160 new"), "{imported}");
    let imported = ok(tl(
        d,
        &[
            "data",
            "import",
            &daily,
            "--symbol",
            "RW",
            "--timeframe",
            "1d",
        ],
    ));
    assert!(imported.contains("RW 1d: 60 new"), "{imported}");
}

#[test]
fn data_delete_removes_a_series_and_refuses_while_runs_read_it_unless_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let daily = daily_file(d, "rw.csv", 60, 50.0);
    ok(tl(d, &["data", "import", &daily, "--symbol", "RW"]));
    let minutes = minute_file(d, 2);
    ok(tl(d, &["data", "import", &minutes, "--symbol", "ES"]));
    // `data delete` of one series, with `extra` arguments.
    let delete = |symbol: &str, timeframe: &str, extra: &[&str]| {
        let series = [
            "data",
            "delete",
            "--symbol",
            symbol,
            "--timeframe",
            timeframe,
        ];
        tl(d, &[&series[..], extra].concat())
    };
    // A period: only its bars go.
    let part = ok(delete(
        "ES",
        "1m",
        &["--from", "2019-01-03", "--output", "json"],
    ));
    let doc: serde_json::Value = serde_json::from_str(&part).expect("json");
    assert_eq!(doc["symbol"], "ES");
    assert_eq!(doc["timeframe"], "1m");
    assert_eq!(doc["scope"], "shared");
    assert_eq!(doc["deleted_bars"], 360);
    assert_eq!(doc["remaining_bars"], 360);
    assert_eq!(doc["from"], "2019-01-03T00:00:00Z");
    let err = fail(delete(
        "ES",
        "1m",
        &["--from", "2019-03-01", "--to", "2019-01-01"],
    ));
    assert!(
        err.contains("--from 2019-03-01 is after --to 2019-01-01"),
        "{err}"
    );
    create_model(d, None);
    ok(tl(d, &["runs", "start", "m", "--timeframe", "1d"]));
    let err = fail(delete("RW", "1d", &[]));
    assert!(
        err.contains("1 run(s) read these RW 1d bars (m#1)") && err.contains("pass --force"),
        "{err}"
    );
    let list = ok(tl(d, &["data", "list"]));
    assert!(
        listed(&list, "RW").is_some_and(|l| l.contains(" 60 ")),
        "{list}"
    );
    let gone = ok(delete("RW", "1d", &["--force"]));
    assert!(
        gone.contains("deleted 60 RW 1d bars (shared); 0 left") && gone.contains("m#1"),
        "{gone}"
    );
    let list = ok(tl(d, &["data", "list"]));
    assert!(listed(&list, "RW").is_none(), "{list}");
    // The run's replay now refuses: its bars are gone.
    let rules = d.join("stop.toml");
    std::fs::write(&rules, NO_RULES).expect("rules");
    let err = fail(tl(
        d,
        &[
            "runs",
            "replay",
            "m#1",
            "--rules",
            &rules.display().to_string(),
        ],
    ));
    assert!(err.contains("it read 60 bars, 0 are stored now"), "{err}");
    let err = fail(delete("RW", "1d", &[]));
    assert!(err.contains("no stored 1d bars of RW to delete"), "{err}");
}

#[test]
fn accounts_created_by_the_user_flag_are_users_and_the_default_account_is_the_admin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    ok(tl_as(d, Some("Alice@Example.com"), &["data", "list"]));
    ok(tl(d, &["data", "list"]));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt
        .block_on(tradelab_store::Store::open(
            &tradelab_store::StoreConfig::sqlite(d),
        ))
        .expect("open store");
    let users = rt
        .block_on(store.users().list(tradelab_store::PageRequest::default()))
        .expect("users")
        .items;
    let roles: Vec<(&str, tradelab_store::Role)> =
        users.iter().map(|u| (u.email.as_str(), u.role)).collect();
    assert_eq!(
        roles,
        vec![
            ("alice@example.com", tradelab_store::Role::User),
            ("local@tradelab", tradelab_store::Role::Admin),
        ]
    );
    rt.block_on(store.close());
}
