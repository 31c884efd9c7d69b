//! Helpers shared by the CLI's end-to-end tests: running the built binary isolated
//! from the user's environment, checking how a command ended, the bundled sample and
//! fixture files, bar files written for a test, a data dir with runs in it ("the
//! lab"), and a PostgreSQL database of a test's own.

// Every test crate compiles this module but uses only part of it.
#![allow(dead_code)]

use serde_json::Value;
use std::borrow::Borrow;
use std::path::Path;
use std::process::{Command, Output};

/// The built `tradelab` binary, with nothing of the user's environment that would
/// pick a store or an account: no `DATABASE_URL`, `TRADELAB_DATA_DIR` or
/// `TRADELAB_USER`.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tradelab"));
    c.env_remove("DATABASE_URL")
        .env_remove("TRADELAB_DATA_DIR")
        .env_remove("TRADELAB_USER");
    c
}

/// Runs tradelab with `args` (and no store chosen by the environment).
pub fn tradelab(args: &[&str]) -> Output {
    command().args(args).output().expect("run tradelab")
}

/// Runs tradelab with `--data-dir dir` on the embedded SQLite store.
pub fn tl(dir: &Path, args: &[&str]) -> Output {
    tl_as(dir, None, args)
}

/// Runs tradelab with `--data-dir dir`, as `user` when given.
pub fn tl_as(dir: &Path, user: Option<&str>, args: &[&str]) -> Output {
    let mut c = command();
    c.arg("--data-dir").arg(dir);
    if let Some(u) = user {
        c.arg("--user").arg(u);
    }
    c.args(args).output().expect("run tradelab")
}

/// Runs tradelab with `--data-dir dir`, on the database at `db` when given.
pub fn tl_db(dir: &Path, db: Option<&str>, args: &[&str]) -> Output {
    let mut c = command();
    c.arg("--data-dir").arg(dir);
    if let Some(url) = db {
        c.arg("--database-url").arg(url);
    }
    c.args(args).output().expect("run tradelab")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the command succeeded and returns its stdout.
pub fn ok(out: impl Borrow<Output>) -> String {
    let out = out.borrow();
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        stderr(out),
        stdout(out)
    );
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Asserts the command succeeded and returns its stdout and its stderr.
pub fn ok_with_stderr(out: &Output) -> (String, String) {
    (ok(out), stderr(out))
}

/// Asserts the command failed and returns its stderr.
pub fn fail(out: impl Borrow<Output>) -> String {
    let out = out.borrow();
    assert!(!out.status.success(), "should fail: {}", stdout(out));
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts the command failed cleanly (exit code 1, no panic) and returns its stderr.
pub fn fails_cleanly(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "exit code 1: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

/// Asserts the command succeeded and returns its stdout, one JSON document.
pub fn json(out: impl Borrow<Output>) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The path of `path`, relative to the repository root, as text.
pub fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

/// The path of a bundled sample file (`data/sample/name`) as text.
pub fn sample(name: &str) -> String {
    repo(&format!("data/sample/{name}"))
}

/// The path of a test fixture (`crates/cli/tests/fixtures/name`) as text.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// `tradelab backtest` of sma_cross (fast 10, slow 20, shorts, 0.2% commission) on the
/// GOOG fixture, printing JSON, with `extra` arguments.
pub fn goog_sma_cross(extra: &[&str]) -> Output {
    let goog = fixture("GOOG_2004-2013.csv");
    let mut args = vec![
        "backtest",
        "--data",
        &goog,
        "--symbol",
        "GOOG",
        "--strategy",
        "sma_cross",
        "--param",
        "fast=10",
        "--param",
        "slow=20",
        "--cash",
        "10000",
        "--commission",
        "0.002",
        "--allow-short",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    tradelab(&args)
}

/// Daily bars with these closes (open = high = low = close), from 2020-01-01, in
/// `dir/name`; returns the path as text.
pub fn bar_file(dir: &Path, name: &str, closes: &[&str]) -> String {
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    let start = jiff::civil::date(2020, 1, 1);
    for (k, c) in closes.iter().enumerate() {
        let day = start
            .checked_add(jiff::Span::new().days(k as i64))
            .expect("a date");
        text.push_str(&format!("{day},{c},{c},{c},{c},100\n"));
    }
    write_file(dir, name, &text)
}

/// Writes `text` to `dir/name`; returns the path as text.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.display().to_string()
}

/// The bundled ES ticks aggregated into one-minute bars in `dir/es_1m.csv`; returns
/// the path as text.
pub fn es_minute_bars(dir: &Path) -> String {
    let out = dir.join("es_1m.csv").display().to_string();
    let ticks = sample("es_trades_2013-09-01.csv");
    ok(tradelab(&[
        "data",
        "aggregate",
        "--ticks",
        &ticks,
        "--timeframe",
        "1m",
        "--out",
        &out,
    ]));
    out
}

/// A data dir with the bundled stocks imported, two models and one run of each:
/// `trend` (swing_trader rules, fast=10, commission, halted by its drawdown rule) and
/// `plain` (sma_cross with default parameters, completed).
pub fn lab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
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
            "fast=10",
            "--commission",
            "0.001",
            "--symbols",
            "AAPL",
            "--template",
            "swing_trader",
        ],
    ));
    ok(tl(
        d,
        &[
            "models",
            "create",
            "plain",
            "--strategy",
            "sma_cross",
            "--symbols",
            "AAPL",
        ],
    ));
    ok(tl(d, &["runs", "start", "trend"]));
    ok(tl(d, &["runs", "start", "plain"]));
    dir
}

/// The server `TRADELAB_TEST_POSTGRES_URL` names, if it is set.
pub fn postgres_url() -> Option<String> {
    std::env::var("TRADELAB_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A PostgreSQL database of a test's own (so it sees no other test's rows) on the
/// server `TRADELAB_TEST_POSTGRES_URL` names; dropped with the value.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// A new database named after `prefix`; panics when no server is configured.
    pub fn create(prefix: &str) -> PgDatabase {
        PgDatabase::if_configured(prefix)
            .expect("TRADELAB_TEST_POSTGRES_URL is not set: this PostgreSQL test has no server")
    }

    /// A new database named after `prefix`, or `None` when no server is configured.
    pub fn if_configured(prefix: &str) -> Option<PgDatabase> {
        let admin_url = postgres_url()?;
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
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
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
