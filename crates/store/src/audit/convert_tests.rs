//! The migration to version 6 on a database of version 5: audit chunks written by the
//! version-5 writer (the chunk encoder kept for these tests, batches merged as it
//! merged them) and rows of the version-1 tables, converted into rows of
//! `run_events`, on SQLite and (with `TRADELAB_TEST_POSTGRES_URL`) PostgreSQL.

use super::chunks::{self, INSERT_CHUNK, NewChunk};
use super::{AuditEvent, DecisionRow, EventFilter, EventRow, OrderRow, OrderStatus};
use crate::db::{Pool, with_pool};
use crate::page::PageRequest;
use crate::{DeciderConfig, ModelSpec, NewRun, RunId, RunMode, RunSource, Store, UserId};
use serde_json::json;
use tradelab_core::{Fill, OrderId, OrderType, Side, Sizing, Symbol, Timestamp};

fn ts(day: i64) -> Timestamp {
    Timestamp::from_secs(1_600_000_000 + day * 86_400)
}

fn spy() -> Symbol {
    Symbol::new("SPY").expect("symbol")
}

fn order(id: Option<i64>, day: i64, status: OrderStatus) -> OrderRow {
    OrderRow {
        seq: 0,
        order_id: id,
        client_order_id: None,
        ts: ts(day),
        symbol: spy(),
        side: Side::Buy,
        order_type: OrderType::Limit("101.5".parse().expect("price")),
        qty: Some("9".parse().expect("qty")),
        sizing: Sizing::AllIn,
        status,
        reject_rule: None,
        reject_reason: None,
    }
}

fn decision(seq: i64, day: i64, action: &str) -> DecisionRow {
    DecisionRow {
        seq,
        ts: ts(day),
        symbol: Some(spy()),
        action: action.into(),
        quantity: None,
        reasoning: format!("{action} on day {day}"),
        inputs: json!({"day": day}),
    }
}

fn event(seq: i64, day: i64, kind: &str) -> EventRow {
    EventRow {
        seq,
        ts: ts(day),
        symbol: None,
        kind: kind.into(),
        detail: json!({"day": day}),
    }
}

fn fill(day: i64) -> Fill {
    Fill {
        order_id: OrderId(1),
        ts: ts(day),
        symbol: spy(),
        side: Side::Buy,
        qty: "9".parse().expect("qty"),
        price: "101.4999".parse().expect("price"),
        commission: "0.05".parse().expect("money"),
        slippage: "0".parse().expect("money"),
    }
}

/// Writes one audit chunk as version 5 did.
async fn write_chunk(pool: &Pool, run: RunId, c: NewChunk) {
    with_pool!(pool, p => {
        sqlx::query(INSERT_CHUNK)
            .bind(run.0)
            .bind(c.kind.as_str())
            .bind(c.first_key)
            .bind(c.last_key)
            .bind(c.n)
            .bind(c.n_rows)
            .bind(c.data.as_slice())
            .execute(p)
            .await
            .expect("insert chunk");
    });
}

/// A running run of a new model of `owner`, on a store of any version.
async fn run_of(store: &Store, owner: UserId, name: &str) -> RunId {
    let spec = ModelSpec {
        name: name.into(),
        description: String::new(),
        decider: DeciderConfig {
            kind: "strategy:sma_cross".into(),
            params: json!({}),
        },
        initial_cash: "10000".parse().expect("money"),
        allowed_symbols: vec![spy()],
        rules_text: String::new(),
        instructions: String::new(),
        fill_model: json!({}),
    };
    let model = store.models().create(owner, &spec).await.expect("model");
    let new = NewRun {
        model: model.id,
        mode: RunMode::Daily,
        source: RunSource::Replay,
        symbols: vec![spy()],
        period_start: None,
        period_end: None,
        session: None,
        parent: None,
        data_fingerprint: None,
        strategy: None,
    };
    let run = store.runs().create(owner, &new).await.expect("run");
    store.runs().start(run.id).await.expect("start");
    run.id
}

/// Builds a version-5 database in `pool`, migrates it, and checks the rows.
async fn converts_a_version_5_database(pool: Pool) {
    assert_eq!(crate::migrate::apply(&pool, 5).await.expect("to v5"), 5);
    let store = Store::from_pool(pool.clone(), 5);
    // The user as version 5 stores one (today's `Users` reads later columns).
    let owner: i64 = with_pool!(&pool, p => {
        sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, role, display_name, created_at_ns, \
             updated_at_ns) VALUES ('v5@example.com', '!', 'user', 'v5', 0, 0) RETURNING id",
        )
        .fetch_one(p)
        .await
        .expect("user")
    });
    let owner = UserId(owner);
    let chunked = run_of(&store, owner, "chunked").await;
    // Batch 1: order 1 accepted and filled (merged into one record, as version 5
    // merged a batch's orders), an intent refused without an id, its fill, a risk event.
    let filled = OrderRow {
        status: OrderStatus::Filled,
        ..order(Some(1), 0, OrderStatus::Accepted)
    };
    let mut refused = order(None, 1, OrderStatus::Rejected);
    refused.reject_rule = Some("max_open_positions".into());
    refused.reject_reason = Some("3 positions open, limit 3".into());
    let batch1 = [
        chunks::decision_chunk(&[decision(1, 0, "buy")]),
        chunks::order_chunk(&[filled.clone(), refused.clone()]),
        chunks::fill_chunk(&[fill(1)]),
        chunks::event_chunk(&[event(2, 1, "risk")]),
    ];
    // Batch 2: order 2 placed; batch 3: order 2 cancelled, the run's end.
    let placed = order(Some(2), 2, OrderStatus::Accepted);
    let mut cancelled = order(Some(2), 3, OrderStatus::Cancelled);
    cancelled.reject_reason = Some("still working when the data ended".into());
    let later = [
        chunks::decision_chunk(&[decision(3, 2, "sell")]),
        chunks::order_chunk(std::slice::from_ref(&placed)),
        chunks::order_chunk(std::slice::from_ref(&cancelled)),
        chunks::event_chunk(&[event(4, 3, "run_finished")]),
    ];
    for c in batch1.into_iter().chain(later) {
        write_chunk(&pool, chunked, c.expect("encode chunk")).await;
    }
    // A run of version 1–3 whose rows were never converted into chunks.
    let legacy = run_of(&store, owner, "legacy").await;
    assert_eq!(legacy, RunId(chunked.0 + 1));
    let (t0, t1) = (ts(0).nanos(), ts(1).nanos());
    let legacy_sql = format!(
        "INSERT INTO decisions (run_id, seq, ts_ns, symbol, action, quantity, reasoning, inputs) \
         VALUES ({legacy}, 2, {t1}, NULL, 'hold', NULL, 'flat', '{{}}'), \
         ({legacy}, 1, {t0}, 'SPY', 'buy', '9', 'cross', '{{\"sma\": 1.5}}'); \
         INSERT INTO run_events (run_id, seq, ts_ns, kind, detail) \
         VALUES ({legacy}, 3, {t1}, 'risk', '{{\"rule\": \"daily_loss\"}}')"
    );
    with_pool!(&pool, p => {
        sqlx::raw_sql(sqlx::AssertSqlSafe(legacy_sql.clone())).execute(p).await.expect("legacy rows");
    });

    assert_eq!(
        crate::migrate::migrate(&pool).await.expect("migrate"),
        crate::migrate::SCHEMA_VERSION
    );
    let audit = store.audit();
    // Numbered in time order; at one instant decisions, orders, fills, events.
    let page = audit
        .page(
            owner,
            chunked,
            &EventFilter::default(),
            PageRequest::default(),
        )
        .await
        .expect("page");
    let shown: Vec<(i64, &str)> = page.items.iter().map(|e| (e.seq(), e.kind())).collect();
    assert_eq!(
        shown,
        vec![
            (1, "decision"),
            (2, "order"),
            (3, "order"),
            (4, "fill"),
            (5, "risk"),
            (6, "decision"),
            (7, "order"),
            (8, "order"),
            (9, "run_finished"),
        ]
    );
    let AuditEvent::Fill(f) = &page.items[3] else {
        panic!("a fill: {:?}", page.items[3]);
    };
    assert_eq!(
        (f.fill.clone(), f.fill.price.get().to_string()),
        (fill(1), "101.4999".into())
    );
    let orders = audit.orders(owner, chunked).await.expect("orders");
    let latest: Vec<(Option<i64>, OrderStatus, i64)> = orders
        .iter()
        .map(|o| (o.order_id, o.status, o.seq))
        .collect();
    assert_eq!(
        latest,
        vec![
            (Some(1), OrderStatus::Filled, 2),
            (None, OrderStatus::Rejected, 3),
            (Some(2), OrderStatus::Cancelled, 7),
        ]
    );
    assert_eq!(orders[1].reject_rule.as_deref(), Some("max_open_positions"));
    assert_eq!(orders[2].reject_reason, cancelled.reject_reason);
    assert_eq!(orders[0].order_type, filled.order_type);
    let counts = audit.counts(owner, chunked).await.expect("counts");
    assert_eq!(
        (counts.decisions, counts.orders, counts.fills, counts.events),
        (2, 3, 1, 2)
    );
    let decisions = audit.decisions(owner, legacy).await.expect("decisions");
    assert_eq!(
        decisions
            .iter()
            .map(|d| (d.seq, d.action.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "buy"), (2, "hold")]
    );
    assert_eq!(decisions[0].inputs, json!({"sma": 1.5}));
    let events = audit.events(owner, legacy).await.expect("events");
    assert_eq!(
        (events[0].seq, events[0].detail.clone()),
        (3, json!({"rule": "daily_loss"}))
    );
    // The old tables are gone: nothing is left to convert, and nothing in a blob.
    let left: i64 = with_pool!(&pool, p => {
        let sql = if matches!(pool, Pool::Sqlite(_)) {
            "SELECT COUNT(*) FROM sqlite_master WHERE name IN \
             ('audit_chunks', 'decisions', 'orders', 'fills', 'legacy_run_events')"
        } else {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name IN ('audit_chunks', 'decisions', 'orders', 'fills', 'legacy_run_events')"
        };
        sqlx::query_scalar(sql).fetch_one(p).await.expect("tables")
    });
    assert_eq!(left, 0);
    // Opening again changes nothing.
    assert_eq!(
        crate::migrate::migrate(&pool).await.expect("again"),
        crate::migrate::SCHEMA_VERSION
    );
    assert_eq!(audit.counts(owner, chunked).await.expect("counts"), counts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_version_5_converts_audit_chunks_and_legacy_rows_into_rows_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    converts_a_version_5_database(crate::test_pools::sqlite_file(dir.path(), "v5.db").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
async fn migrating_version_5_converts_audit_chunks_and_legacy_rows_into_rows_on_postgres() {
    crate::test_pools::on_postgres_schema("t_v5", converts_a_version_5_database).await;
}
