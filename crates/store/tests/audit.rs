//! The audit trail: batched appends, all or nothing, exact round trips.

mod common;

use common::{model_spec, new_run, owner};
use serde_json::json;
use tradelab_core::{Fill, OrderId, OrderType, Price, Side, Sizing, Symbol, Timestamp};
use tradelab_store::{
    AuditBatch, AuditBatchOf, DecisionRow, EquityRow, EventRow, OrderRow, OrderStatus, RunId,
    RunStatus, Store, StoreError,
};

async fn running_run(store: &Store) -> RunId {
    let alice = owner(store, "alice@example.com").await;
    let m = store
        .models()
        .create(alice.id, &model_spec("m"))
        .await
        .unwrap();
    let run = common::create_run(store, &new_run(m.id)).await.unwrap();
    store.runs().start(run.id).await.unwrap();
    run.id
}

fn ts(day: i64) -> Timestamp {
    Timestamp::from_secs(1_600_000_000 + day * 86_400)
}

fn aapl() -> Symbol {
    Symbol::new("AAPL").unwrap()
}

fn sample_batch() -> AuditBatch {
    let order = OrderRow {
        order_id: Some(1),
        client_order_id: Some("c-1".into()),
        ts: ts(0),
        symbol: aapl(),
        side: Side::Buy,
        order_type: OrderType::Limit(Price::from(rust_decimal::Decimal::new(10034, 2))),
        qty: None,
        sizing: Sizing::Cash("1000".parse().unwrap()),
        status: OrderStatus::Accepted,
        reject_rule: None,
        reject_reason: None,
    };
    let mut filled = order.clone();
    filled.status = OrderStatus::Filled;
    filled.qty = Some("9".parse().unwrap());
    let refused = OrderRow {
        order_id: None,
        client_order_id: None,
        ts: ts(1),
        symbol: aapl(),
        side: Side::Sell,
        order_type: OrderType::Market,
        qty: None,
        sizing: Sizing::ClosePosition,
        status: OrderStatus::Rejected,
        reject_rule: Some("max_open_positions".into()),
        reject_reason: Some("3 positions open, limit 3".into()),
    };
    AuditBatch {
        decisions: vec![DecisionRow {
            seq: 1,
            ts: ts(0),
            symbol: Some(aapl()),
            action: "buy".into(),
            quantity: Some("9".parse().unwrap()),
            reasoning: "fast SMA crossed above slow".into(),
            inputs: json!({"sma_fast": 101.2, "sma_slow": 99.8}),
        }],
        orders: vec![order, filled, refused],
        fills: vec![Fill {
            order_id: OrderId(1),
            ts: ts(1),
            symbol: aapl(),
            side: Side::Buy,
            qty: "9".parse().unwrap(),
            price: "100.3400000001".parse().unwrap(),
            commission: "0.045".parse().unwrap(),
            slippage: "0.0000000009".parse().unwrap(),
        }],
        equity: vec![
            EquityRow {
                ts: ts(0),
                equity: "100000".parse().unwrap(),
                invested: false,
            },
            EquityRow {
                ts: ts(1),
                equity: "99999.955".parse().unwrap(),
                invested: true,
            },
        ],
        events: vec![EventRow {
            seq: 1,
            ts: ts(1),
            kind: "circuit_breaker".into(),
            detail: json!({"rule": "daily_loss", "loss": "0.021"}),
        }],
    }
}

store_test!(a_batch_round_trips_exactly, |db| {
    let run = running_run(&db.store).await;
    let batch = sample_batch();
    db.store.audit().append(run, &batch).await.unwrap();
    let audit = db.store.audit();
    let owner = common::owner_of(&db.store, run).await;
    assert_eq!(audit.decisions(owner, run).await.unwrap(), batch.decisions);
    assert_eq!(audit.fills(owner, run).await.unwrap(), batch.fills);
    assert_eq!(
        audit.fills(owner, run).await.unwrap()[0].price.to_string(),
        "100.3400000001"
    );
    assert_eq!(audit.equity(owner, run).await.unwrap(), batch.equity);
    assert_eq!(audit.events(owner, run).await.unwrap(), batch.events);
    let orders = audit.orders(owner, run).await.unwrap();
    assert_eq!(
        orders.len(),
        2,
        "the accepted and filled rows of order 1 merge"
    );
    assert_eq!(orders[0], batch.orders[1]);
    assert_eq!(orders[1], batch.orders[2]);
    assert_eq!(
        db.store.runs().get_any(run).await.unwrap().last_event_at,
        Some(ts(1))
    );
});

store_test!(a_later_batch_updates_an_orders_status, |db| {
    let run = running_run(&db.store).await;
    let mut first = sample_batch();
    first.orders.truncate(1);
    db.store.audit().append(run, &first).await.unwrap();
    let mut cancel = first.orders[0].clone();
    cancel.status = OrderStatus::Cancelled;
    cancel.reject_reason = Some("still working when the data ended".into());
    let second = AuditBatch {
        orders: vec![cancel.clone()],
        ..Default::default()
    };
    db.store.audit().append(run, &second).await.unwrap();
    assert_eq!(
        db.store
            .audit()
            .orders(common::owner_of(&db.store, run).await, run)
            .await
            .unwrap(),
        vec![cancel]
    );
});

store_test!(a_batch_with_an_invalid_row_writes_nothing, |db| {
    let run = running_run(&db.store).await;
    let audit = db.store.audit();
    let mut batch = sample_batch();
    // The last row repeats an equity time: the whole batch must fail.
    batch.equity.push(batch.equity[0]);
    let err = audit.append(run, &batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "audit row",
                ..
            }
        ),
        "{err}"
    );
    let owner = common::owner_of(&db.store, run).await;
    let counts = audit.counts(owner, run).await.unwrap();
    assert_eq!(counts, Default::default());
    assert_eq!(
        db.store.runs().get_any(run).await.unwrap().last_event_at,
        None
    );

    // A good batch, then one repeating a decision seq: the second leaves the first intact.
    audit.append(run, &sample_batch()).await.unwrap();
    let mut again = AuditBatch {
        decisions: sample_batch().decisions,
        ..Default::default()
    };
    again.equity.push(EquityRow {
        ts: ts(7),
        equity: "1".parse().unwrap(),
        invested: false,
    });
    assert!(audit.append(run, &again).await.is_err());
    let counts = audit.counts(owner, run).await.unwrap();
    assert_eq!((counts.decisions, counts.equity, counts.orders), (1, 2, 2));
    assert_eq!(
        db.store.runs().get_any(run).await.unwrap().last_event_at,
        Some(ts(1))
    );
});

store_test!(a_finished_or_unknown_run_accepts_no_audit_rows, |db| {
    let run = running_run(&db.store).await;
    db.store
        .runs()
        .finish(run, RunStatus::Completed, None, None)
        .await
        .unwrap();
    let err = db
        .store
        .audit()
        .append(run, &sample_batch())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(matches!(
        db.store.audit().append(RunId(4242), &sample_batch()).await,
        Err(StoreError::NotFound { what: "run", .. })
    ));
});

store_test!(large_batches_split_into_statements_and_stay_ordered, |db| {
    let run = running_run(&db.store).await;
    let batch = AuditBatch {
        equity: (0..5_000)
            .map(|i| EquityRow {
                ts: Timestamp::from_secs(i * 60),
                equity: (10_000_000 + i) as f64 / 100.0,
                invested: i % 2 == 0,
            })
            .collect(),
        ..Default::default()
    };
    db.store.audit().append(run, &batch).await.unwrap();
    assert_eq!(
        db.store
            .audit()
            .equity(common::owner_of(&db.store, run).await, run)
            .await
            .unwrap(),
        batch.equity
    );
});

store_test!(equity_batches_out_of_order_read_back_in_time_order, |db| {
    let run = running_run(&db.store).await;
    let audit = db.store.audit();
    let point = |d: i64| EquityRow {
        ts: ts(d),
        equity: 1000.0 + d as f64,
        invested: d % 2 == 0,
    };
    for days in [vec![5, 1, 3], vec![2, 4], vec![9, 7]] {
        let batch = AuditBatch {
            equity: days.into_iter().map(point).collect(),
            ..Default::default()
        };
        audit.append(run, &batch).await.unwrap();
    }
    let expected: Vec<EquityRow> = [1, 2, 3, 4, 5, 7, 9].into_iter().map(point).collect();
    let owner = common::owner_of(&db.store, run).await;
    assert_eq!(audit.equity(owner, run).await.unwrap(), expected);
    assert_eq!(audit.counts(owner, run).await.unwrap().equity, 7);
    // A time stored by an earlier batch is a duplicate; nothing of the batch is kept.
    let again = AuditBatch {
        equity: vec![point(8), point(3)],
        ..Default::default()
    };
    let err = audit.append(run, &again).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
    assert_eq!(audit.counts(owner, run).await.unwrap().equity, 7);
});

store_test!(rows_of_the_old_equity_table_are_converted_at_open, |db| {
    let run = running_run(&db.store).await;
    db.store.close().await;
    let invested = if db.store.backend() == tradelab_store::Backend::Sqlite {
        ("0", "1")
    } else {
        ("false", "true")
    };
    common::exec_raw(
        db,
        &format!(
            "INSERT INTO equity (run_id, ts_ns, equity, invested) VALUES \
             ({run}, {}, '100000.00', {}), ({run}, {}, '99999.955', {})",
            ts(1).nanos(),
            invested.0,
            ts(0).nanos(),
            invested.1
        ),
    )
    .await;
    let store = Store::open(&db.config()).await.unwrap();
    let points = store
        .audit()
        .equity(common::owner_of(&store, run).await, run)
        .await
        .unwrap();
    assert_eq!(
        points,
        vec![
            EquityRow {
                ts: ts(0),
                equity: 99_999.955,
                invested: true
            },
            EquityRow {
                ts: ts(1),
                equity: 100_000.0,
                invested: false
            },
        ]
    );
    assert_eq!(
        store
            .audit()
            .counts(common::owner_of(&store, run).await, run)
            .await
            .unwrap()
            .equity,
        2
    );
    store.close().await;
});

store_test!(
    a_corrupt_equity_chunk_is_invalid_data_naming_the_run,
    |db| {
        let run = running_run(&db.store).await;
        db.store.audit().append(run, &sample_batch()).await.unwrap();
        common::exec_raw(db, "UPDATE equity_chunks SET n = 5").await;
        let err = db
            .store
            .audit()
            .equity(common::owner_of(&db.store, run).await, run)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { what: "equity chunk", message } if message.contains(&format!("run {run}"))),
            "{err}"
        );
    }
);

store_test!(
    a_corrupt_audit_chunk_is_invalid_data_naming_the_run_and_chunk,
    |db| {
        let run = running_run(&db.store).await;
        db.store.audit().append(run, &sample_batch()).await.unwrap();
        let audit = db.store.audit();
        // Truncated records, a foreign version byte and a wrong record count.
        common::exec_raw(
            db,
            "UPDATE audit_chunks SET data = substr(data, 1, 6) WHERE kind = 'fill'",
        )
        .await;
        let owner = common::owner_of(&db.store, run).await;
        let err = audit.fills(owner, run).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { what: "fill chunk", message }
                if message.contains(&format!("run {run}, chunk "))),
            "{err}"
        );
        let version = if db.store.backend() == tradelab_store::Backend::Sqlite {
            "UPDATE audit_chunks SET data = X'07' WHERE kind = 'decision'"
        } else {
            "UPDATE audit_chunks SET data = '\\x07'::bytea WHERE kind = 'decision'"
        };
        common::exec_raw(db, version).await;
        let err = audit.decisions(owner, run).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { what: "decision chunk", message }
                if message.contains("unknown format version 7")),
            "{err}"
        );
        common::exec_raw(db, "UPDATE audit_chunks SET n = 2 WHERE kind = 'event'").await;
        let err = audit.events(owner, run).await.unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::InvalidData {
                    what: "event chunk",
                    ..
                }
            ),
            "{err}"
        );
        // The untouched kinds still read back.
        assert_eq!(audit.orders(owner, run).await.unwrap().len(), 2);
    }
);

store_test!(json_text_batches_read_back_as_values, |db| {
    let run = running_run(&db.store).await;
    let raw = |v: serde_json::Value| serde_json::value::to_raw_value(&v).unwrap();
    let batch = sample_batch();
    let text: AuditBatchOf<Box<serde_json::value::RawValue>> = AuditBatchOf {
        decisions: batch
            .decisions
            .iter()
            .map(|d| DecisionRow {
                seq: d.seq,
                ts: d.ts,
                symbol: d.symbol.clone(),
                action: d.action.clone(),
                quantity: d.quantity,
                reasoning: d.reasoning.clone(),
                inputs: raw(d.inputs.clone()),
            })
            .collect(),
        orders: batch.orders.clone(),
        fills: batch.fills.clone(),
        equity: batch.equity.clone(),
        events: batch
            .events
            .iter()
            .map(|e| EventRow {
                seq: e.seq,
                ts: e.ts,
                kind: e.kind.clone(),
                detail: raw(e.detail.clone()),
            })
            .collect(),
    };
    db.store.audit().append(run, &text).await.unwrap();
    let audit = db.store.audit();
    let owner = common::owner_of(&db.store, run).await;
    assert_eq!(audit.decisions(owner, run).await.unwrap(), batch.decisions);
    assert_eq!(audit.events(owner, run).await.unwrap(), batch.events);
});

store_test!(an_order_updated_by_a_later_batch_is_counted_once, |db| {
    let run = running_run(&db.store).await;
    let audit = db.store.audit();
    let mut first = sample_batch();
    first.orders.truncate(1);
    audit.append(run, &first).await.unwrap();
    let mut filled = first.orders[0].clone();
    filled.status = OrderStatus::Filled;
    filled.qty = Some("9".parse().unwrap());
    filled.ts = ts(3);
    let mut refused = sample_batch().orders[2].clone();
    refused.ts = ts(2);
    let second = AuditBatch {
        orders: vec![filled.clone(), refused.clone()],
        ..Default::default()
    };
    audit.append(run, &second).await.unwrap();
    let owner = common::owner_of(&db.store, run).await;
    assert_eq!(audit.counts(owner, run).await.unwrap().orders, 2);
    let orders = audit.orders(owner, run).await.unwrap();
    // The update keeps the order's first time and place; the refusal follows it.
    filled.ts = ts(0);
    assert_eq!(orders, vec![filled, refused]);
});

store_test!(a_repeated_seq_in_a_later_batch_writes_nothing, |db| {
    let run = running_run(&db.store).await;
    let audit = db.store.audit();
    audit.append(run, &sample_batch()).await.unwrap();
    let again = AuditBatch {
        events: sample_batch().events,
        fills: sample_batch().fills,
        ..Default::default()
    };
    let err = audit.append(run, &again).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
    let counts = audit
        .counts(common::owner_of(&db.store, run).await, run)
        .await
        .unwrap();
    assert_eq!((counts.events, counts.fills), (1, 1));
});

store_test!(rows_of_the_old_audit_tables_are_converted_at_open, |db| {
    let run = running_run(&db.store).await;
    db.store.close().await;
    let (t0, t1) = (ts(0).nanos(), ts(1).nanos());
    for sql in [
        format!(
            "INSERT INTO decisions (run_id, seq, ts_ns, symbol, action, quantity, reasoning, inputs) \
             VALUES ({run}, 2, {t1}, NULL, 'hold', NULL, 'flat', '{{}}'), \
             ({run}, 1, {t0}, 'AAPL', 'buy', '9', 'cross', '{{\"sma\": 1.5}}')"
        ),
        format!(
            "INSERT INTO orders (run_id, order_id, client_order_id, ts_ns, symbol, side, order_type, \
             limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason) VALUES \
             ({run}, 1, 'c-1', {t0}, 'AAPL', 'buy', 'limit', '100.34', NULL, '9', \
             '{{\"kind\": \"all_in\"}}', 'filled', NULL, NULL)"
        ),
        format!(
            "INSERT INTO fills (run_id, order_id, ts_ns, symbol, side, price, qty, commission, slippage) \
             VALUES ({run}, 1, {t1}, 'AAPL', 'buy', '100.3400000001', '9', '0.045', '0')"
        ),
        format!(
            "INSERT INTO run_events (run_id, seq, ts_ns, kind, detail) \
             VALUES ({run}, 1, {t1}, 'risk', '{{\"rule\": \"daily_loss\"}}')"
        ),
    ] {
        common::exec_raw(db, &sql).await;
    }
    let store = Store::open(&db.config()).await.unwrap();
    let audit = store.audit();
    let decisions = audit
        .decisions(common::owner_of(&store, run).await, run)
        .await
        .unwrap();
    assert_eq!(
        decisions.iter().map(|d| d.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(decisions[0].inputs, json!({"sma": 1.5}));
    assert_eq!(decisions[0].symbol, Some(aapl()));
    let orders = audit
        .orders(common::owner_of(&store, run).await, run)
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].sizing, Sizing::AllIn);
    assert_eq!(
        orders[0].order_type,
        OrderType::Limit("100.34".parse().unwrap())
    );
    let fills = audit
        .fills(common::owner_of(&store, run).await, run)
        .await
        .unwrap();
    assert_eq!(fills[0].price.to_string(), "100.3400000001");
    let events = audit
        .events(common::owner_of(&store, run).await, run)
        .await
        .unwrap();
    assert_eq!(events[0].detail, json!({"rule": "daily_loss"}));
    let counts = audit
        .counts(common::owner_of(&store, run).await, run)
        .await
        .unwrap();
    assert_eq!(
        (counts.decisions, counts.orders, counts.fills, counts.events),
        (2, 1, 1, 1)
    );
    store.close().await;
    // Converted once: the row tables are empty now, a second open changes nothing.
    let store = Store::open(&db.config()).await.unwrap();
    assert_eq!(
        store
            .audit()
            .decisions(common::owner_of(&store, run).await, run)
            .await
            .unwrap(),
        decisions
    );
    store.close().await;
});
