//! Throughput checks, ignored by default (run in release):
//! `cargo test --release -p tradelab-store --test perf -- --ignored --nocapture`.
//! Targets: 1M bars imported, re-imported and loaded in ≤ 5 s each (bars are stored in
//! day chunks); 1M equity points (one chunk per batch) + 50k fills appended in batches
//! and the curve read back.

mod common;

use std::time::Instant;
use tradelab_core::{Bar, Fill, OrderId, Side, Symbol, Timeframe, Timestamp};
use tradelab_store::{AuditBatch, EquityRow, FillRow, ImportMode, StoredBar};

const BARS: i64 = 1_000_000;

fn bars() -> Vec<StoredBar> {
    (0..BARS)
        .map(|i| {
            let o = 100.0 + (i % 1000) as f64 * 0.01;
            let bar = Bar::new(
                Timestamp::from_secs(1_500_000_000 + i * 60),
                o,
                o + 0.25,
                o - 0.25,
                o + 0.05,
                500.0,
            )
            .expect("bar");
            StoredBar {
                bar,
                trades: Some(7),
                vwap: Some(o + 0.01),
            }
        })
        .collect()
}

store_test!(
    #[ignore]
    imports_a_million_bars_within_five_seconds,
    |db| {
        let input = bars();
        let symbol = Symbol::new("SPY").unwrap();
        let t = Instant::now();
        let r = db
            .store
            .bars()
            .import(&symbol, Timeframe::MINUTE, &input, ImportMode::KeepExisting)
            .await
            .unwrap();
        let first = t.elapsed();
        assert_eq!(r.inserted, BARS as u64);
        let t = Instant::now();
        let r = db
            .store
            .bars()
            .import(&symbol, Timeframe::MINUTE, &input, ImportMode::KeepExisting)
            .await
            .unwrap();
        let again = t.elapsed();
        assert_eq!(r.unchanged, BARS as u64);
        let t = Instant::now();
        let loaded = db
            .store
            .bars()
            .load(&symbol, Timeframe::MINUTE, None, None)
            .await
            .unwrap();
        let load = t.elapsed();
        assert_eq!(loaded.len(), BARS as usize);
        eprintln!(
            "PERF {:?}: import 1M bars {first:.2?}, re-import (all unchanged) {again:.2?}, load {load:.2?}",
            db.store.backend()
        );
        assert!(first.as_secs_f64() <= 5.0, "import took {first:?}");
        assert!(again.as_secs_f64() <= 5.0, "re-import took {again:?}");
        assert!(load.as_secs_f64() <= 5.0, "load took {load:?}");
    }
);

/// A running run of a fresh model, to append an audit trail to.
async fn started_run(store: &tradelab_store::Store) -> tradelab_store::Run {
    let alice = common::owner(store, "perf@example.com").await;
    let m = store
        .models()
        .create(alice.id, &common::model_spec("perf"))
        .await
        .unwrap();
    let run = common::create_run(store, &common::new_run(m.id))
        .await
        .unwrap();
    store.runs().start(run.id).await.unwrap()
}

store_test!(
    #[ignore]
    appends_a_million_equity_points_and_fifty_thousand_fills_in_batches,
    |db| {
        let run = started_run(&db.store).await;
        let aapl = Symbol::new("AAPL").unwrap();
        // The engine's shape: one equity point per bar, a fill every 20 bars,
        // flushed every 10,000 bars.
        let t = Instant::now();
        let mut batch = AuditBatch::default();
        let mut transactions = 0;
        for i in 0..BARS {
            let ts = Timestamp::from_secs(1_500_000_000 + i * 60);
            batch.equity.push(EquityRow {
                ts,
                equity: (10_000_000 + i % 5000) as f64 / 100.0,
                invested: i % 3 == 0,
            });
            if i % 20 == 0 {
                batch.fills.push(FillRow {
                    seq: i / 20,
                    fill: Fill {
                        order_id: OrderId(i as u64 / 20 + 1),
                        ts,
                        symbol: aapl.clone(),
                        side: if i % 40 == 0 { Side::Buy } else { Side::Sell },
                        qty: "10".parse().unwrap(),
                        price: "101.23".parse().unwrap(),
                        commission: "0.05".parse().unwrap(),
                        slippage: "0.01".parse().unwrap(),
                    },
                });
            }
            if batch.equity.len() == 10_000 {
                db.store.audit().append(run.id, &batch).await.unwrap();
                batch.clear();
                transactions += 1;
            }
        }
        let elapsed = t.elapsed();
        let counts = db
            .store
            .audit()
            .counts(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        assert_eq!((counts.equity, counts.fills), (BARS, BARS / 20));
        let t = Instant::now();
        let curve = db
            .store
            .audit()
            .equity(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        let read = t.elapsed();
        assert_eq!(curve.len(), BARS as usize);
        assert!(curve.windows(2).all(|w| w[0].ts < w[1].ts));
        eprintln!(
            "PERF {:?}: 1M equity points + 50k fills in {transactions} transactions: {elapsed:.2?}, \
             equity curve read {read:.2?}",
            db.store.backend()
        );
    }
);

store_test!(
    #[ignore]
    appends_the_audit_trail_of_a_million_bar_replay_in_batches,
    |db| {
        use serde_json::value::{RawValue, to_raw_value};
        use tradelab_core::{OrderType, Sizing};
        use tradelab_store::{AuditBatchOf, DecisionRow, EventRow, OrderRow, OrderStatus};
        let run = started_run(&db.store).await;
        let spy = Symbol::new("SPY").unwrap();
        // sma_cross with shorting over 1M minute bars: a decision, an accepted order,
        // two fills and a closed trade every ~18 bars (~280k rows); batches of ~50k
        // rows of whole steps, JSON serialized straight to text as the runner does.
        let t = Instant::now();
        let mut batch: AuditBatchOf<Box<RawValue>> = AuditBatchOf::default();
        let (mut seq, mut transactions) = (0i64, 0);
        let mut next = || {
            seq += 1;
            seq
        };
        for i in 0..BARS {
            let ts = Timestamp::from_secs(1_500_000_000 + i * 60);
            if i % 18 == 0 {
                let id = i / 18 + 1;
                let side = if id % 2 == 0 { Side::Buy } else { Side::Sell };
                let order = OrderRow {
                    seq: 0,
                    order_id: Some(id),
                    client_order_id: None,
                    ts,
                    symbol: spy.clone(),
                    side,
                    order_type: OrderType::Market,
                    qty: None,
                    sizing: Sizing::AllIn,
                    status: OrderStatus::Accepted,
                    reject_rule: None,
                    reject_reason: None,
                };
                batch.decisions.push(DecisionRow {
                    seq: next(),
                    ts,
                    symbol: Some(spy.clone()),
                    action: format!("{side} all-in (market)"),
                    quantity: None,
                    reasoning: "fast SMA crossed the slow SMA".into(),
                    inputs: to_raw_value(&order).unwrap(),
                });
                batch.orders.push(OrderRow {
                    seq: next(),
                    ..order
                });
                for _ in 0..2 {
                    batch.fills.push(FillRow {
                        seq: next(),
                        fill: Fill {
                            order_id: OrderId(id as u64),
                            ts,
                            symbol: spy.clone(),
                            side,
                            qty: "3".parse().unwrap(),
                            price: "2910.48".parse().unwrap(),
                            commission: "0".parse().unwrap(),
                            slippage: "0".parse().unwrap(),
                        },
                    });
                }
                let trade = serde_json::json!({
                    "symbol": "SPY", "qty": "-3", "entry_ts": ts.nanos() - 1_080_000_000_000i64,
                    "exit_ts": ts.nanos(), "entry_price": "2911.07", "exit_price": "2910.48",
                    "pnl": "1.77", "commissions": "0", "return_pct": 0.0202,
                    "entry_step": i - 18, "exit_step": i,
                });
                batch.events.push(EventRow {
                    seq: next(),
                    ts,
                    symbol: None,
                    kind: "trade_closed".into(),
                    detail: to_raw_value(&trade).unwrap(),
                });
            }
            batch.equity.push(EquityRow {
                ts,
                equity: (10_000_000 + i % 5000) as f64 / 100.0,
                invested: i % 3 == 0,
            });
            if batch.len() >= 50_000 {
                db.store.audit().append(run.id, &batch).await.unwrap();
                batch.clear();
                transactions += 1;
            }
        }
        db.store.audit().append(run.id, &batch).await.unwrap();
        let elapsed = t.elapsed();
        let counts = db
            .store
            .audit()
            .counts(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        assert_eq!(counts.equity, BARS);
        assert_eq!(counts.orders, counts.decisions);
        let t = Instant::now();
        let fills = db
            .store
            .audit()
            .fills(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        let events = db
            .store
            .audit()
            .events(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        let read = t.elapsed();
        assert_eq!(fills.len() as i64, counts.fills);
        assert_eq!(events.len() as i64, counts.events);
        eprintln!(
            "PERF {:?}: audit trail of a 1M-bar replay ({counts:?}) in {} transactions: \
             {elapsed:.2?}, fills + events read {read:.2?}",
            db.store.backend(),
            transactions + 1
        );
    }
);
