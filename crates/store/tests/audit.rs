//! The audit trail: batched appends, all or nothing, exact round trips, a log in seq
//! and time order.

mod common;

use common::{model_spec, new_run, owner};
use serde_json::json;
use tradelab_core::{Fill, OrderId, OrderType, Price, Side, Sizing, Symbol, Timestamp};
use tradelab_store::{
    AuditBatch, AuditBatchOf, DecisionRow, EquityRow, EventRow, FillRow, OrderRow, OrderStatus,
    RunId, RunStatus, Store, StoreError,
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

/// Order 1 accepted (seq 2), then filled (seq 3); an intent refused before it got an
/// id (seq 4); a decision first (seq 1) and a circuit breaker last (seq 5).
fn sample_batch() -> AuditBatch {
    let order = OrderRow {
        seq: 2,
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
    let refused = OrderRow {
        seq: 4,
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
        orders: vec![order, refused],
        fills: vec![FillRow {
            seq: 3,
            fill: Fill {
                order_id: OrderId(1),
                ts: ts(1),
                symbol: aapl(),
                side: Side::Buy,
                qty: "9".parse().unwrap(),
                price: "100.3400000001".parse().unwrap(),
                commission: "0.045".parse().unwrap(),
                slippage: "0.0000000009".parse().unwrap(),
            },
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
            seq: 5,
            ts: ts(1),
            symbol: None,
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
    let fills: Vec<Fill> = batch.fills.iter().map(|f| f.fill.clone()).collect();
    assert_eq!(audit.fills(owner, run).await.unwrap(), fills);
    assert_eq!(
        audit.fills(owner, run).await.unwrap()[0].price.to_string(),
        "100.3400000001"
    );
    assert_eq!(audit.equity(owner, run).await.unwrap(), batch.equity);
    assert_eq!(audit.events(owner, run).await.unwrap(), batch.events);
    // Order 1's fill makes it filled with the fill's units; it keeps its placement.
    let mut filled = batch.orders[0].clone();
    filled.status = OrderStatus::Filled;
    filled.qty = Some("9".parse().unwrap());
    assert_eq!(
        audit.orders(owner, run).await.unwrap(),
        vec![filled, batch.orders[1].clone()]
    );
    let counts = audit.counts(owner, run).await.unwrap();
    assert_eq!(
        (
            counts.decisions,
            counts.orders,
            counts.fills,
            counts.equity,
            counts.events
        ),
        (1, 2, 1, 2, 1)
    );
    assert_eq!(
        db.store.runs().get_any(run).await.unwrap().last_event_at,
        Some(ts(1))
    );
});

store_test!(
    an_order_folds_its_events_of_later_batches_into_its_latest_state,
    |db| {
        let run = running_run(&db.store).await;
        let audit = db.store.audit();
        let owner = common::owner_of(&db.store, run).await;
        let mut first = sample_batch();
        first.orders.truncate(1);
        first.fills.clear();
        first.events.clear();
        audit.append(run, &first).await.unwrap();
        // Cancelled in a later batch, with the reason; then a second order, accepted
        // and refused at fill time by a rule.
        let mut cancel = first.orders[0].clone();
        cancel.seq = 7;
        cancel.ts = ts(2);
        cancel.status = OrderStatus::Cancelled;
        cancel.reject_reason = Some("still working when the data ended".into());
        let mut second = first.orders[0].clone();
        second.seq = 9;
        second.ts = ts(3);
        second.order_id = Some(2);
        let mut refused = second.clone();
        refused.seq = 10;
        refused.status = OrderStatus::Rejected;
        refused.reject_rule = Some("insufficient_cash".into());
        refused.reject_reason = Some("order needs 1,000.00 in cash".into());
        let later = AuditBatch {
            orders: vec![cancel, second.clone(), refused],
            ..Default::default()
        };
        audit.append(run, &later).await.unwrap();
        let orders = audit.orders(owner, run).await.unwrap();
        let mut one = first.orders[0].clone();
        one.status = OrderStatus::Cancelled;
        one.reject_reason = Some("still working when the data ended".into());
        let mut two = second;
        two.status = OrderStatus::Rejected;
        two.reject_rule = Some("insufficient_cash".into());
        two.reject_reason = Some("order needs 1,000.00 in cash".into());
        assert_eq!(orders, vec![one, two]);
        assert_eq!(audit.counts(owner, run).await.unwrap().orders, 2);
    }
);

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
    // A run event that would read as another kind of row is refused before writing.
    let mut posing = AuditBatch {
        events: sample_batch().events,
        ..Default::default()
    };
    posing.events[0].seq = 6;
    posing.events[0].kind = "fill".into();
    let err = audit.append(run, &posing).await.unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::InvalidData {
                what: "run event kind",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(audit.counts(owner, run).await.unwrap().events, 1);
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
        decisions: (1..=5_000)
            .map(|i| DecisionRow {
                seq: i,
                ts: Timestamp::from_secs(i * 60),
                symbol: Some(aapl()),
                action: "hold".into(),
                quantity: None,
                reasoning: format!("step {i}"),
                inputs: json!({"i": i}),
            })
            .collect(),
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
    let owner = common::owner_of(&db.store, run).await;
    let audit = db.store.audit();
    assert_eq!(audit.equity(owner, run).await.unwrap(), batch.equity);
    assert_eq!(audit.decisions(owner, run).await.unwrap(), batch.decisions);
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

store_test!(a_damaged_row_is_invalid_data_naming_its_seq, |db| {
    let run = running_run(&db.store).await;
    db.store.audit().append(run, &sample_batch()).await.unwrap();
    let audit = db.store.audit();
    let owner = common::owner_of(&db.store, run).await;
    common::exec_raw(db, "UPDATE run_events SET side = 'up' WHERE kind = 'fill'").await;
    let err = audit.fills(owner, run).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { what: "side", message } if message.contains("up")),
        "{err}"
    );
    common::exec_raw(
        db,
        "UPDATE run_events SET action = NULL WHERE kind = 'decision'",
    )
    .await;
    let err = audit.decisions(owner, run).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { what: "action", message }
            if message.contains("decision row at seq 1")),
        "{err}"
    );
    // The untouched kinds still read back.
    assert_eq!(audit.events(owner, run).await.unwrap().len(), 1);
});

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
                symbol: None,
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

store_test!(a_repeated_seq_in_a_later_batch_writes_nothing, |db| {
    let run = running_run(&db.store).await;
    let audit = db.store.audit();
    audit.append(run, &sample_batch()).await.unwrap();
    let mut again = AuditBatch {
        events: sample_batch().events,
        ..Default::default()
    };
    again.events.push(EventRow {
        seq: 6,
        ..again.events[0].clone()
    });
    let err = audit.append(run, &again).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate { name, .. } if name.contains("seq 5")),
        "{err}"
    );
    let owner = common::owner_of(&db.store, run).await;
    assert_eq!(audit.counts(owner, run).await.unwrap().events, 1);
});

store_test!(a_batch_continues_after_the_last_stored_seq_and_time, |db| {
    let run = running_run(&db.store).await;
    let audit = db.store.audit();
    audit.append(run, &sample_batch()).await.unwrap();
    let event = |seq: i64, day: i64| EventRow {
        seq,
        ts: ts(day),
        symbol: None,
        kind: "note".into(),
        detail: json!({}),
    };
    let batch = |events: Vec<EventRow>| AuditBatch {
        events,
        ..Default::default()
    };
    // A seq below the last stored one (5), even one never used, is out of order.
    let err = audit
        .append(run, &batch(vec![event(0, 1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { message, .. }
            if message.contains("seq 0 does not follow the last stored seq 5")),
        "{err}"
    );
    // A row earlier than the last stored row (day 1), or than the row before it.
    let err = audit
        .append(run, &batch(vec![event(6, 0)]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { message, .. } if message.contains("seq 6")),
        "{err}"
    );
    let err = audit
        .append(run, &batch(vec![event(6, 3), event(7, 2)]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { message, .. } if message.contains("seq 7")),
        "{err}"
    );
    // Seqs may skip values; times may repeat.
    audit
        .append(run, &batch(vec![event(9, 1), event(20, 1), event(21, 4)]))
        .await
        .unwrap();
    let owner = common::owner_of(&db.store, run).await;
    let seqs: Vec<i64> = audit
        .events(owner, run)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, vec![5, 9, 20, 21]);
});
