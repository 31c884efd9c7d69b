//! Test harness: the same test body runs against SQLite (always) and PostgreSQL (when
//! `TRADELAB_TEST_POSTGRES_URL` is set; otherwise the PostgreSQL variants are reported
//! as ignored), each test in a fresh database or schema.
#![allow(dead_code)]

use sqlx::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use tradelab_store::{Store, StoreConfig};

/// Environment variable naming the PostgreSQL server tests may use.
pub const PG_ENV: &str = "TRADELAB_TEST_POSTGRES_URL";

/// A store for one test; removes its PostgreSQL schema (or temp dir) when dropped.
pub struct TestDb {
    pub store: Store,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// The config this test's store was opened with (to reopen it).
    pub fn config(&self) -> StoreConfig {
        match &self.pg {
            None => StoreConfig::sqlite(self.dir.path()),
            Some((url, schema)) => StoreConfig::postgres(self.dir.path(), schema_url(url, schema)),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg.take() else {
            return;
        };
        // Runs on its own thread and runtime: Drop may be called inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A fresh SQLite store in a temp dir.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&StoreConfig::sqlite(dir.path()))
        .await
        .expect("open sqlite store");
    TestDb {
        store,
        dir,
        pg: None,
    }
}

/// The PostgreSQL server tests use. Panics when none is configured: a PostgreSQL
/// test that runs without one must fail, not pass having tested nothing (the tests are
/// marked ignored at build time when the variable is unset, see build.rs).
pub fn postgres_url() -> String {
    std::env::var(PG_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| panic!("{PG_ENV} is not set: this PostgreSQL test has no server"))
}

/// A fresh PostgreSQL store in a new schema of the server [`postgres_url`] names.
pub async fn postgres() -> TestDb {
    let url = postgres_url();
    let schema = unique_schema_name();
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV}={url} does not answer: {e}"));
    let sql = format!("CREATE SCHEMA {schema}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .expect("create test schema");
    let _ = admin.close().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&StoreConfig::postgres(
        dir.path(),
        schema_url(&url, &schema),
    ))
    .await
    .expect("open postgres store");
    TestDb {
        store,
        dir,
        pg: Some((url, schema)),
    }
}

/// `url` with `search_path` set to `schema` for every connection.
pub fn schema_url(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

fn unique_schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "t_{:x}_{:x}_{n}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff
    )
}

/// Defines `mod $name { sqlite(), postgres() }`: one test body, run on each backend.
/// The body sees `$db: &TestDb` (use `$db.store`).
#[macro_export]
macro_rules! store_test {
    ($(#[$attr:meta])* $name:ident, |$db:ident| $body:block) => {
        // A test marked `#[ignore]` already is ignored twice without a server.
        #[allow(unused_attributes)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let owned = $crate::common::sqlite().await;
                let $db = &owned;
                $body
            }

            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(tradelab_no_pg, ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests")]
            async fn postgres() {
                let owned = $crate::common::postgres().await;
                let $db = &owned;
                $body
            }
        }
    };
}

/// Runs raw SQL against the test's database, bypassing the store (to simulate other
/// versions or damage).
pub async fn exec_raw(db: &TestDb, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &db.pg {
        None => {
            let path = db.dir.path().join(tradelab_store::SQLITE_FILE);
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("raw sqlite connection");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
        }
        Some((url, schema)) => {
            let mut c = sqlx::PgConnection::connect(&schema_url(url, schema))
                .await
                .expect("raw postgres connection");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
        }
    }
}

/// A user to own models.
pub async fn owner(store: &Store, email: &str) -> tradelab_store::User {
    account(store, email, tradelab_store::Role::User).await
}

/// A user with `role` (and an unusable password).
pub async fn account(
    store: &Store,
    email: &str,
    role: tradelab_store::Role,
) -> tradelab_store::User {
    store
        .users()
        .create(&tradelab_store::NewUser {
            email: email.into(),
            password_hash: "!".into(),
            role,
            display_name: email.into(),
        })
        .await
        .expect("create user")
}

/// `owner`'s model from [`model_spec`] named `name`.
pub async fn create_model(
    store: &Store,
    owner: tradelab_store::UserId,
    name: &str,
) -> tradelab_store::Model {
    store
        .models()
        .create(owner, &model_spec(name))
        .await
        .expect("create model")
}

/// A valid model spec named `name`.
pub fn model_spec(name: &str) -> tradelab_store::ModelSpec {
    tradelab_store::ModelSpec {
        name: name.into(),
        description: "SMA crossover on large caps".into(),
        decider: tradelab_store::DeciderConfig {
            kind: "strategy:sma_cross".into(),
            params: serde_json::json!({"fast": 10, "slow": 30}),
        },
        initial_cash: "100000.00".parse().expect("money"),
        allowed_symbols: vec![
            tradelab_core::Symbol::new("AAPL").expect("symbol"),
            tradelab_core::Symbol::new("MSFT").expect("symbol"),
        ],
        rules_text: "Never hold more than 3 positions.".into(),
        instructions: "Prefer liquid names.".into(),
        fill_model: serde_json::json!({"price": "next_open", "slippage_bps": 5, "commission": "0.005"}),
    }
}

/// A structured rule named `name`.
pub fn rule_spec(name: &str, priority: i64) -> tradelab_store::RuleSpec {
    tradelab_store::RuleSpec {
        category: "position_size".into(),
        name: name.into(),
        description: "cap position size".into(),
        params: serde_json::json!({"max_fraction": "0.25"}),
        priority,
        active: true,
        origin: tradelab_store::RuleOrigin::User,
    }
}

/// A daily replay run of `model` over AAPL.
pub fn new_run(model: tradelab_store::ModelId) -> tradelab_store::NewRun {
    tradelab_store::NewRun {
        model,
        mode: tradelab_store::RunMode::Daily,
        source: tradelab_store::RunSource::Replay,
        symbols: vec![tradelab_core::Symbol::new("AAPL").expect("symbol")],
        period_start: Some(tradelab_core::Timestamp::from_secs(1_600_000_000)),
        period_end: Some(tradelab_core::Timestamp::from_secs(1_700_000_000)),
        session: Some("regular".into()),
        parent: None,
        data_fingerprint: Some("sha256:abc".into()),
        strategy: None,
    }
}

/// The owner of a run (through its model), for tests reading a run's audit trail the
/// owner-scoped way without threading the owner through.
pub async fn owner_of(store: &Store, run: tradelab_store::RunId) -> tradelab_store::UserId {
    let run = store.runs().get_any(run).await.expect("run");
    store
        .models()
        .get_any(run.model)
        .await
        .expect("model")
        .owner
}

/// The owner of a model, for tests acting on a model the owner-scoped way.
pub async fn model_owner(store: &Store, model: tradelab_store::ModelId) -> tradelab_store::UserId {
    store.models().get_any(model).await.expect("model").owner
}

/// Every run of `model`, read as its owner.
pub async fn runs_of(store: &Store, model: tradelab_store::ModelId) -> Vec<tradelab_store::Run> {
    let owner = model_owner(store, model).await;
    store
        .runs()
        .list_by_model(owner, model, tradelab_store::PageRequest::max())
        .await
        .expect("runs of the model")
        .items
}

/// Creates a run as its model's owner.
pub async fn create_run(
    store: &Store,
    new: &tradelab_store::NewRun,
) -> tradelab_store::Result<tradelab_store::Run> {
    let owner = model_owner(store, new.model).await;
    store.runs().create(owner, new).await
}

/// Runs a query against the test's database, bypassing the store, as an analyst with
/// `sqlite3` or `psql` would: every column must be text (or NULL) — cast in the SQL.
pub async fn query_text(db: &TestDb, sql: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::Row;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &db.pg {
        None => {
            let path = db.dir.path().join(tradelab_store::SQLITE_FILE);
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("raw sqlite connection");
            let rows = sqlx::query(sql).fetch_all(&mut c).await.expect("raw query");
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        }
        Some((url, schema)) => {
            let mut c = sqlx::PgConnection::connect(&schema_url(url, schema))
                .await
                .expect("raw postgres connection");
            let rows = sqlx::query(sql).fetch_all(&mut c).await.expect("raw query");
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        }
    }
}

/// Undoes schema versions 6 and later of a database without audit rows or news (for
/// tests that rewind to an older version): `run_events` as version 1 made it, the
/// other audit tables of versions 1–5 back (empty), no `news` table (version 8), the
/// accounts of version 9 undone ([`rewind_accounts`]), and versions 6 and later no
/// longer recorded.
pub async fn rewind_audit_rows(db: &TestDb) {
    let blob = if db.store.backend() == tradelab_store::Backend::Sqlite {
        "BLOB"
    } else {
        "BYTEA"
    };
    rewind_accounts(db).await;
    let sql = format!(
        "DELETE FROM schema_version WHERE version >= 6;
         DROP TABLE news;
         DROP VIEW run_orders;
         DROP TABLE run_events;
         CREATE TABLE run_events (run_id BIGINT NOT NULL, seq BIGINT NOT NULL, \
             ts_ns BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL, \
             PRIMARY KEY (run_id, seq));
         CREATE TABLE decisions (run_id BIGINT NOT NULL, seq BIGINT NOT NULL, \
             ts_ns BIGINT NOT NULL, symbol TEXT, action TEXT NOT NULL, quantity TEXT, \
             reasoning TEXT NOT NULL, inputs TEXT NOT NULL);
         CREATE TABLE orders (id BIGINT, run_id BIGINT NOT NULL, order_id BIGINT, \
             client_order_id TEXT, ts_ns BIGINT NOT NULL, symbol TEXT NOT NULL, \
             side TEXT NOT NULL, order_type TEXT NOT NULL, limit_price TEXT, \
             stop_price TEXT, qty TEXT, sizing TEXT NOT NULL, status TEXT NOT NULL, \
             reject_rule TEXT, reject_reason TEXT);
         CREATE TABLE fills (id BIGINT, run_id BIGINT NOT NULL, order_id BIGINT NOT NULL, \
             ts_ns BIGINT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, \
             price TEXT NOT NULL, qty TEXT NOT NULL, commission TEXT NOT NULL, \
             slippage TEXT NOT NULL);
         CREATE TABLE audit_chunks (id BIGINT, run_id BIGINT NOT NULL, kind TEXT NOT NULL, \
             first_key BIGINT, last_key BIGINT, n BIGINT NOT NULL, n_rows BIGINT NOT NULL, \
             data {blob} NOT NULL);"
    );
    exec_raw(db, &sql).await;
}

/// Undoes schema version 9 (accounts): no `sessions`, `api_keys` or `admin_actions`
/// tables, no `users.disabled_at_ns`, version 9 no longer recorded. The database is
/// then one of version 8, as that version's build left it.
pub async fn rewind_accounts(db: &TestDb) {
    exec_raw(
        db,
        "DELETE FROM schema_version WHERE version >= 9;
         DROP TABLE admin_actions;
         DROP TABLE api_keys;
         DROP TABLE sessions;
         ALTER TABLE users DROP COLUMN disabled_at_ns;",
    )
    .await;
}

/// Every row of `owner`'s run `run`, read page by page (`limit` rows a page) as a
/// program would, in the order the engine emitted them.
pub async fn whole_trail(
    store: &Store,
    owner: tradelab_store::UserId,
    run: tradelab_store::RunId,
    limit: u32,
) -> Vec<tradelab_store::AuditEvent> {
    store
        .audit()
        .all(owner, run, &tradelab_store::EventFilter::default(), limit)
        .await
        .expect("the pages of the trail")
}

/// The trail of `owner`'s run `run` without its `feed` notices, each row as text
/// without its number (notices shift the numbers of what follows them): what a live
/// run and its replay must agree on.
pub async fn unnumbered_trail(
    store: &Store,
    owner: tradelab_store::UserId,
    run: tradelab_store::RunId,
) -> Vec<String> {
    whole_trail(store, owner, run, 1000)
        .await
        .iter()
        .filter(|r| r.kind() != "feed")
        .map(|row| {
            let mut value = match row {
                tradelab_store::AuditEvent::Decision(d) => serde_json::to_value(d),
                tradelab_store::AuditEvent::Order(o) => serde_json::to_value(o),
                tradelab_store::AuditEvent::Fill(f) => serde_json::to_value(f),
                tradelab_store::AuditEvent::Event(e) => serde_json::to_value(e),
            }
            .expect("row as JSON");
            if let Some(map) = value.as_object_mut() {
                map.remove("seq");
            }
            format!("{} {value}", row.kind())
        })
        .collect()
}

/// `n` daily bars of `symbol` from 2000-01-01 with closes `close(k) + 0.5` (open
/// `close(k)`, high one above, low one below, volume 1000).
pub fn daily_series(
    symbol: &str,
    n: usize,
    close: impl Fn(usize) -> f64,
) -> tradelab_core::BarSeries {
    let bars = (0..n)
        .map(|k| {
            let p = close(k);
            tradelab_core::Bar::new(
                tradelab_core::Timestamp::from_secs(946_684_800 + 86_400 * k as i64),
                p,
                p + 1.0,
                p - 1.0,
                p + 0.5,
                1000.0,
            )
            .expect("bar")
        })
        .collect();
    tradelab_core::BarSeries::new(tradelab_core::Symbol::new(symbol).expect("symbol"), bars)
        .expect("series")
}
