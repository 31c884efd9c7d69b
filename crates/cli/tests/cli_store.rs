//! End-to-end specifications of the record-keeping commands: import, models, runs,
//! replay and compare, against the embedded SQLite store (and PostgreSQL when
//! `TRADELAB_TEST_POSTGRES_URL` is set, for the workflow test; without it that test is
//! reported as ignored).

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
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn workflow(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = sample("stocks_daily_2000-2013.csv");
    let first = ok(tl(d, db, &["data", "import", &data]));
    assert!(first.contains("AAPL 1d: 3270 new"), "{first}");
    let again = ok(tl(d, db, &["data", "import", &data]));
    assert!(
        again.contains("AAPL 1d: nothing new, 3270 unchanged"),
        "{again}"
    );
    ok(tl(
        d,
        db,
        &[
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
        ],
    ));
    let dup = fail(tl(
        d,
        db,
        &[
            "models",
            "create",
            "trend",
            "--strategy",
            "buy_and_hold",
            "--symbols",
            "AAPL",
        ],
    ));
    assert!(
        dup.contains("trend") && dup.to_lowercase().contains("already"),
        "{dup}"
    );
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
    assert!(cmp.contains("Final equity"), "{cmp}");
    assert!(
        cmp.lines()
            .any(|l| l.contains("rule max_position") && l.contains("max 25 %")),
        "{cmp}"
    );
    let list = ok(tl(d, db, &["runs", "list"]));
    assert!(
        list.contains("trend#2") && list.contains("replay of run"),
        "{list}"
    );
    assert!(
        list.starts_with("   id  run "),
        "a header names the columns: {list}"
    );
    let models = ok(tl(d, db, &["models", "list"]));
    let header = models.lines().next().unwrap_or_default();
    assert!(
        header
            .split_whitespace()
            .eq(["id", "model", "strategy", "runs"]),
        "{models}"
    );
    let events = ok(tl(
        d,
        db,
        &[
            "runs", "events", "trend#1", "--kind", "fill", "--limit", "3",
        ],
    ));
    assert_eq!(
        events.lines().filter(|l| l.contains("fill")).count(),
        3,
        "{events}"
    );
    let trades = ok(tl(d, db, &["runs", "trades", "trend#2"]));
    assert!(trades.contains("closed trade"), "{trades}");
    // editing the model does not change what run 1 ran with
    ok(tl(d, db, &["models", "edit", "trend", "--param", "fast=3"]));
    let shown = ok(tl(d, db, &["runs", "show", "trend#1", "--output", "json"]));
    let run: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(run["snapshot"]["decider"]["params"]["fast"], "10");
    ok(tl(
        d,
        db,
        &["models", "rules", "toggle", "trend", "stop_loss"],
    ));
    let rules = ok(tl(d, db, &["models", "rules", "list", "trend"]));
    assert!(
        rules.lines().any(|l| l
            .split_whitespace()
            .skip(1)
            .take(2)
            .eq(["stop_loss", "off"])),
        "{rules}"
    );
    ok(tl(
        d,
        db,
        &["models", "rules", "remove", "trend", "stop_loss"],
    ));
    let bad = fail(tl(
        d,
        db,
        &["models", "rules", "remove", "trend", "stop_loss"],
    ));
    assert!(bad.contains("no rule \"stop_loss\""), "{bad}");
    // A model with runs stays: the store's own reason, on either database.
    let kept = fail(tl(d, db, &["models", "delete", "trend"]));
    assert!(
        kept.contains("model trend has 2 run(s)") && kept.contains("cannot be deleted"),
        "{kept}"
    );
    assert!(!kept.contains("FOREIGN KEY"), "{kept}");
    assert!(ok(tl(d, db, &["models", "list"])).contains("trend"));
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

/// A PostgreSQL database of a test's own (so it sees no other test's rows) on the
/// server `TRADELAB_TEST_POSTGRES_URL` names; dropped with the value.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(prefix: &str) -> PgDatabase {
        let admin_url = std::env::var("TRADELAB_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .expect("TRADELAB_TEST_POSTGRES_URL is not set: this PostgreSQL test has no server");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("{prefix}_{}_{nanos}", std::process::id());
        pg_exec(&admin_url, &format!("CREATE DATABASE {name}"));
        let base = admin_url
            .split('?')
            .next()
            .and_then(|u| u.rsplit_once('/'))
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        PgDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        pg_exec(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs one SQL statement on the server at `url`.
fn pg_exec(url: &str, sql: &str) {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{url} does not answer: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = c.close().await;
    });
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
    let err = fail(tl(
        dir.path(),
        None,
        &["runs", "events", "1", "--kind", "fils"],
    ));
    assert!(
        err.contains("invalid value 'fils' for '--kind <KIND>'") && err.contains("fill"),
        "{err}"
    );
    let err = fail(tl(
        dir.path(),
        None,
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
    ok(tl(d, None, &create));
    let shown = ok(tl(d, None, &["models", "show", "m"]));
    assert!(
        shown.contains("shorting allowed, positions closed at the end of data"),
        "{shown}"
    );
    ok(tl(
        d,
        None,
        &["models", "edit", "m", "--allow-short", "false"],
    ));
    ok(tl(
        d,
        None,
        &["models", "edit", "m", "--close-at-end=false"],
    ));
    let shown = ok(tl(d, None, &["models", "show", "m"]));
    assert!(
        shown.contains("shorting not allowed, positions left open at the end of data"),
        "{shown}"
    );
    let bad = fail(tl(
        d,
        None,
        &["models", "edit", "m", "--allow-short", "maybe"],
    ));
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
        None,
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
    let list = ok(tl(d, None, &["models", "list"]));
    assert!(list.contains("no models yet"), "{list}");
    let err = fail(tl(
        d,
        None,
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
    let err = fail(tl(
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
    let err = fail(tl(&file.join("sub"), None, &["models", "list"]));
    assert!(err.contains("a-file"), "{err}");
}

/// Writes `n` one-minute bars of a random walk for symbol RW.
fn minute_bars(path: &Path, n: usize) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "timestamp,open,high,low,close,volume").unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut cents: i64 = 300_000;
    for k in 0..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let open = cents;
        cents = (cents + (state % 101) as i64 - 50).max(1_000);
        let (hi, lo) = (open.max(cents) + 5, open.min(cents) - 5);
        let ts = 1_546_300_800 + 60 * k as i64;
        writeln!(
            w,
            "{ts},{}.{:02},{}.{:02},{}.{:02},{}.{:02},100",
            open / 100,
            open % 100,
            hi / 100,
            hi % 100,
            lo / 100,
            lo % 100,
            cents / 100,
            cents % 100
        )
        .unwrap();
    }
}

#[test]
fn a_run_killed_mid_way_keeps_whole_batches_and_is_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join("rw.csv");
    minute_bars(&csv, 300_000);
    let csv = csv.display().to_string();
    ok(tl(
        d,
        None,
        &[
            "data",
            "import",
            &csv,
            "--symbol",
            "RW",
            "--timeframe",
            "1m",
        ],
    ));
    ok(tl(
        d,
        None,
        &[
            "models",
            "create",
            "k",
            "--strategy",
            "sma_cross",
            "--allow-short",
            "true",
            "--symbols",
            "RW",
        ],
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tradelab"))
        .arg("--data-dir")
        .arg(d)
        .args(["runs", "start", "k", "--symbols", "RW", "--timeframe", "1m"])
        .env("TRADELAB_BATCH_ROWS", "2000")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt
        .block_on(tradelab_store::Store::open(
            &tradelab_store::StoreConfig::sqlite(d),
        ))
        .unwrap();
    let run = tradelab_store::RunId(1);
    // Wait until some batches are committed, then kill the process without warning.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be killed"
        );
        let committed = rt
            .block_on(store.audit().equity(run))
            .map(|e| e.len())
            .unwrap_or(0);
        if committed >= 4_000 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no batch was committed in time"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The next start of any command marks the run interrupted at its last committed event.
    let out = tl(d, None, &["runs", "show", "k#1", "--output", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("marked interrupted"), "{stderr}");
    let shown: serde_json::Value = serde_json::from_str(&ok(out)).unwrap();
    assert_eq!(shown["status"], "interrupted");
    assert_eq!(shown["ended_at"], shown["last_event_at"]);
    let last: jiff::Timestamp = shown["last_event_at"].as_str().unwrap().parse().unwrap();
    let last = i64::try_from(last.as_nanosecond()).unwrap();
    // Whole batches only: the equity curve has exactly one point per bar up to the last
    // committed event, with no gap and nothing after it.
    let equity = rt.block_on(store.audit().equity(run)).unwrap();
    assert!(!equity.is_empty() && equity.len() < 300_000);
    assert_eq!(equity.last().unwrap().ts.nanos(), last);
    let expected = (last - 1_546_300_800_000_000_000) / 60_000_000_000 + 1;
    assert_eq!(
        equity.len() as i64,
        expected,
        "one equity point per bar, none missing"
    );
    let fills = rt.block_on(store.audit().fills(run)).unwrap();
    assert!(fills.iter().all(|f| f.ts.nanos() <= last));
    // Nothing else was touched: the model and the bars are intact.
    let bars = ok(tl(d, None, &["data", "list"]));
    assert!(bars.contains(" 300,000 "), "{bars}");
}

/// `n` one-minute bars of RW in `dir/rw_1m.csv`; returns the path as text.
fn rw_minute_file(dir: &Path, n: usize) -> String {
    let file = dir.join("rw_1m.csv");
    minute_bars(&file, n);
    file.display().to_string()
}

#[test]
fn data_import_refuses_a_timeframe_longer_than_the_bar_spacing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = rw_minute_file(d, 50);
    let args = [
        "data",
        "import",
        &file,
        "--symbol",
        "RW",
        "--timeframe",
        "1d",
    ];
    let err = fail(tl(d, None, &args));
    assert!(
        err.contains("--timeframe 1d does not fit")
            && err.contains("RW has bars at 2019-01-01T00:00:00Z and 2019-01-01T00:01:00Z")
            && err.contains("pass --timeframe 1m or leave it out"),
        "{err}"
    );
    let listed = ok(tl(d, None, &["data", "list"]));
    assert!(listed.contains("no stored bars"), "{listed}");
}

#[test]
fn runs_start_takes_the_timeframe_of_its_data_file_or_the_one_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = rw_minute_file(d, 300);
    let create = [
        "models",
        "create",
        "m",
        "--strategy",
        "sma_cross",
        "--symbols",
        "RW",
    ];
    ok(tl(d, None, &create));
    // The file has no ticker column: it holds the model's one symbol, as 1m bars.
    let first = ok(tl(d, None, &["runs", "start", "m", "--data", &file]));
    assert!(first.contains("RW 1m: 300 new"), "{first}");
    assert!(first.contains("m#1 (id 1), completed"), "{first}");
    // Without a file, the one timeframe stored for RW.
    let second = ok(tl(d, None, &["runs", "start", "m"]));
    assert!(second.contains("m#2 (id 2), completed"), "{second}");
    // Daily bars of RW as well: the run must be told which.
    let daily = d.join("rw_1d.csv");
    std::fs::write(
        &daily,
        "date,open,high,low,close,volume\n2019-01-02,10,11,9,10,100\n",
    )
    .unwrap();
    let daily = daily.display().to_string();
    ok(tl(d, None, &["data", "import", &daily, "--symbol", "RW"]));
    let err = fail(tl(d, None, &["runs", "start", "m"]));
    assert!(
        err.contains("the bars of RW are stored at several timeframes (1d, 1m): pass --timeframe"),
        "{err}"
    );
    let third = ok(tl(d, None, &["runs", "start", "m", "--timeframe", "1m"]));
    assert!(third.contains("m#3 (id 3), completed"), "{third}");
}
