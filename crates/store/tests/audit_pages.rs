//! Reading the audit trail: keyset pages filtered by kind, symbol and period, rows an
//! analyst reads with SQL, and a page of a 1M-bar run that reads the page only.

mod common;

use common::{model_spec, new_run, owner};
use serde_json::json;
use std::time::{Duration, Instant};
use tradelab_core::{Fill, OrderId, OrderType, Side, Sizing, Symbol, Timestamp};
use tradelab_store::{
    AuditBatch, AuditEvent, DecisionRow, EventFilter, EventRow, FillRow, OrderRow, OrderStatus,
    PageRequest, RunId, Store, UserId,
};

async fn running_run(store: &Store) -> (UserId, RunId) {
    let alice = owner(store, "alice@example.com").await;
    let m = store
        .models()
        .create(alice.id, &model_spec("m"))
        .await
        .unwrap();
    let run = common::create_run(store, &new_run(m.id)).await.unwrap();
    store.runs().start(run.id).await.unwrap();
    (alice.id, run.id)
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// The trail of `bars` minute bars of a strategy trading `symbols` in turn: every
/// `every` bars a decision, an accepted order, a fill and a closed trade, numbered
/// with a gap of one after each step (as if equity points took numbers too).
fn trail(bars: i64, every: i64, symbols: &[&str]) -> AuditBatch {
    let mut batch = AuditBatch::default();
    let mut seq = 0;
    let mut next = |skip: i64| {
        seq += 1 + skip;
        seq
    };
    for i in (0..bars).step_by(every as usize) {
        let ts = Timestamp::from_secs(1_500_000_000 + i * 60);
        let s = sym(symbols[(i / every) as usize % symbols.len()]);
        let id = i / every + 1;
        batch.decisions.push(DecisionRow {
            seq: next(1),
            ts,
            symbol: Some(s.clone()),
            action: "buy all-in (market)".into(),
            quantity: None,
            reasoning: format!("cross at bar {i}"),
            inputs: json!({"bar": i}),
        });
        batch.orders.push(OrderRow {
            seq: next(0),
            order_id: Some(id),
            client_order_id: None,
            ts,
            symbol: s.clone(),
            side: Side::Buy,
            order_type: OrderType::Market,
            qty: None,
            sizing: Sizing::AllIn,
            status: OrderStatus::Accepted,
            reject_rule: None,
            reject_reason: None,
        });
        batch.fills.push(FillRow {
            seq: next(0),
            fill: Fill {
                order_id: OrderId(id as u64),
                ts,
                symbol: s.clone(),
                side: Side::Buy,
                qty: "3".parse().unwrap(),
                price: "2910.48".parse().unwrap(),
                commission: "0".parse().unwrap(),
                slippage: "0".parse().unwrap(),
            },
        });
        batch.events.push(EventRow {
            seq: next(0),
            ts,
            symbol: Some(s.clone()),
            kind: "trade_closed".into(),
            detail: json!({"symbol": s.as_str(), "pnl": "1.77", "exit_ts": ts.nanos()}),
        });
    }
    batch
}

/// Every page of the trail `filter` keeps, `limit` rows at a time.
async fn all_pages(
    store: &Store,
    who: UserId,
    run: RunId,
    filter: &EventFilter,
    limit: u32,
) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .audit()
            .page(who, run, filter, PageRequest { limit, after })
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

store_test!(pages_the_trail_by_keyset_after_a_seq_across_gaps, |db| {
    let (who, run) = running_run(&db.store).await;
    let batch = trail(200, 10, &["AAPL"]);
    db.store.audit().append(run, &batch).await.unwrap();
    let audit = db.store.audit();
    let everything = EventFilter::default();
    let first = audit
        .page(who, run, &everything, PageRequest::first(3))
        .await
        .unwrap();
    let seqs: Vec<i64> = first.items.iter().map(AuditEvent::seq).collect();
    assert_eq!(seqs, vec![2, 3, 4]);
    assert_eq!(first.next_after, Some(4));
    // Numbers skip values (6 is nobody's): a page goes on after the last it showed.
    let second = audit
        .page(who, run, &everything, PageRequest::after(3, 4))
        .await
        .unwrap();
    let seqs: Vec<i64> = second.items.iter().map(AuditEvent::seq).collect();
    assert_eq!(seqs, vec![5, 7, 8]);
    assert!(matches!(&second.items[0], AuditEvent::Event(e) if e.kind == "trade_closed"));
    // Page after page, every row once, in order, and the last page says so.
    let all = all_pages(&db.store, who, run, &everything, 7).await;
    assert_eq!(all.len(), 80);
    assert!(all.windows(2).all(|w| w[0].seq() < w[1].seq()));
    let last = audit
        .page(who, run, &everything, PageRequest::after(7, all[77].seq()))
        .await
        .unwrap();
    assert_eq!((last.items.len(), last.next_after), (2, None));
    let past = audit
        .page(who, run, &everything, PageRequest::after(7, 10_000))
        .await
        .unwrap();
    assert!(past.items.is_empty() && past.next_after.is_none());
});

store_test!(pages_filter_by_kinds_symbol_and_period, |db| {
    let (who, run) = running_run(&db.store).await;
    let batch = trail(300, 10, &["AAPL", "MSFT", "SPY"]);
    db.store.audit().append(run, &batch).await.unwrap();
    let kinds = |k: &[&str]| EventFilter {
        kinds: k.iter().map(|s| s.to_string()).collect(),
        ..EventFilter::default()
    };
    let fills = all_pages(&db.store, who, run, &kinds(&["fill"]), 4).await;
    assert_eq!(fills.len(), 30);
    assert!(fills.iter().all(|e| e.kind() == "fill"));
    let both = all_pages(&db.store, who, run, &kinds(&["order", "decision"]), 9).await;
    assert_eq!(both.len(), 60);
    assert!(both.windows(2).all(|w| w[0].seq() < w[1].seq()));
    let msft = EventFilter {
        symbol: Some(sym("MSFT")),
        ..EventFilter::default()
    };
    let rows = all_pages(&db.store, who, run, &msft, 5).await;
    assert_eq!(rows.len(), 40);
    assert!(rows.iter().all(|e| match e {
        AuditEvent::Fill(f) => f.fill.symbol == sym("MSFT"),
        AuditEvent::Order(o) => o.symbol == sym("MSFT"),
        AuditEvent::Decision(d) => d.symbol == Some(sym("MSFT")),
        AuditEvent::Event(e) => e.symbol == Some(sym("MSFT")),
    }));
    let msft_fills = EventFilter {
        kinds: vec!["fill".into()],
        ..msft.clone()
    };
    assert_eq!(
        all_pages(&db.store, who, run, &msft_fills, 3).await.len(),
        10
    );
    // Bars 100 to 149 (minutes from the start): steps 100, 110, …, 140.
    let at = |bar: i64| Timestamp::from_secs(1_500_000_000 + bar * 60);
    let period = EventFilter {
        from: Some(at(100)),
        to: Some(Timestamp::from_nanos(at(150).nanos() - 1)),
        ..EventFilter::default()
    };
    let rows = all_pages(&db.store, who, run, &period, 6).await;
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|e| e.ts() >= at(100) && e.ts() < at(150)));
    let trades = EventFilter {
        kinds: vec!["trade_closed".into()],
        symbol: Some(sym("SPY")),
        ..period.clone()
    };
    let rows = all_pages(&db.store, who, run, &trades, 6).await;
    let bars: Vec<Timestamp> = rows.iter().map(AuditEvent::ts).collect();
    assert_eq!(bars, vec![at(110), at(140)]);
    // Before the first row, after the last, or an empty period: nothing.
    for (from, to) in [(at(-10), at(-5)), (at(400), at(500)), (at(105), at(109))] {
        let none = EventFilter {
            from: Some(from),
            to: Some(to),
            ..EventFilter::default()
        };
        let page = db
            .store
            .audit()
            .page(who, run, &none, PageRequest::default())
            .await
            .unwrap();
        assert!(page.items.is_empty(), "{from}..{to}");
    }
});

store_test!(an_analyst_reads_the_rows_with_sql, |db| {
    let (_, run) = running_run(&db.store).await;
    let mut batch = trail(20, 10, &["AAPL"]);
    // A time with a fraction of a second, and an order refused by a rule.
    batch.events[1].ts = Timestamp::from_nanos(batch.events[1].ts.nanos() + 250_000_000);
    let mut refused = batch.orders[1].clone();
    refused.seq = 100;
    refused.ts = batch.events[1].ts;
    refused.status = OrderStatus::Rejected;
    refused.reject_rule = Some("max_position_size".into());
    refused.reject_reason = Some("position would be 30 %, limit 25 %".into());
    batch.orders.push(refused);
    db.store.audit().append(run, &batch).await.unwrap();
    let rows = common::query_text(
        db,
        &format!(
            "SELECT CAST(seq AS TEXT) AS n, time, kind, symbol, status, rule, reason \
             FROM run_events WHERE run_id = {run} AND kind IN ('order', 'trade_closed') \
             ORDER BY seq"
        ),
    )
    .await;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            vec![
                s("3"),
                s("2017-07-14T02:40:00Z"),
                s("order"),
                s("AAPL"),
                s("accepted"),
                None,
                None
            ],
            vec![
                s("5"),
                s("2017-07-14T02:40:00Z"),
                s("trade_closed"),
                s("AAPL"),
                None,
                None,
                None
            ],
            vec![
                s("8"),
                s("2017-07-14T02:50:00Z"),
                s("order"),
                s("AAPL"),
                s("accepted"),
                None,
                None
            ],
            vec![
                s("10"),
                s("2017-07-14T02:50:00.25Z"),
                s("trade_closed"),
                s("AAPL"),
                None,
                None,
                None
            ],
            vec![
                s("100"),
                s("2017-07-14T02:50:00.25Z"),
                s("order"),
                s("AAPL"),
                s("rejected"),
                s("max_position_size"),
                s("position would be 30 %, limit 25 %")
            ],
        ]
    );
    // Each order's latest state, and a fill's price and commission.
    let orders = common::query_text(
        db,
        &format!(
            "SELECT CAST(order_id AS TEXT) AS id, status, order_type, CAST(placed_seq AS TEXT) AS n \
             FROM run_orders WHERE run_id = {run} ORDER BY placed_seq"
        ),
    )
    .await;
    assert_eq!(
        orders,
        vec![
            vec![s("1"), s("filled"), s("market"), s("3")],
            vec![s("2"), s("rejected"), s("market"), s("8")],
        ]
    );
    let json_field = if db.store.backend() == tradelab_store::Backend::Sqlite {
        "json_extract(payload, '$.commission')"
    } else {
        "payload ->> 'commission'"
    };
    let fill = common::query_text(
        db,
        &format!(
            "SELECT price, qty, {json_field} FROM run_events \
             WHERE run_id = {run} AND kind = 'fill' ORDER BY seq LIMIT 1"
        ),
    )
    .await;
    assert_eq!(fill, vec![vec![s("2910.48"), s("3"), s("0")]]);
});

store_test!(
    a_page_of_a_million_bar_run_reads_the_page_not_the_run,
    |db| {
        let (who, run) = running_run(&db.store).await;
        // A 1M-bar run's trail (~280k rows), in the sink's batches.
        let whole = trail(1_000_000, 18, &["SPY", "QQQ"]);
        // A rare kind: a risk event before every 5,000th decision (in the seq gap
        // the trail leaves there).
        let risks: Vec<EventRow> = whole
            .decisions
            .iter()
            .step_by(5_000)
            .map(|d| EventRow {
                seq: d.seq - 1,
                ts: d.ts,
                symbol: None,
                kind: "risk".into(),
                detail: json!({"rule": "daily_loss"}),
            })
            .collect();
        let audit = db.store.audit();
        let rows = whole.decisions.len() * 4 + risks.len();
        for part in 0..20 {
            let take = |n: usize| n * part / 20..n * (part + 1) / 20;
            let n = whole.decisions.len();
            let decisions = whole.decisions[take(n)].to_vec();
            let seqs = decisions[0].seq..=decisions[decisions.len() - 1].seq;
            let mut events = whole.events[take(n)].to_vec();
            events.extend(risks.iter().filter(|r| seqs.contains(&r.seq)).cloned());
            events.sort_by_key(|e| e.seq);
            let batch = AuditBatch {
                decisions,
                orders: whole.orders[take(n)].to_vec(),
                fills: whole.fills[take(n)].to_vec(),
                events,
                ..AuditBatch::default()
            };
            audit.append(run, &batch).await.unwrap();
        }
        assert!(rows > 200_000);
        // The yardstick: one kind read whole (a quarter of the run).
        let t = Instant::now();
        let fills = audit.fills(who, run).await.unwrap();
        let whole_kind = t.elapsed();
        assert_eq!(fills.len(), whole.fills.len());
        let last_seq = whole.events.last().map_or(0, |e| e.seq);
        let end = Timestamp::from_secs(1_500_000_000 + 999_990 * 60);
        let filters = [
            EventFilter::default(),
            EventFilter {
                kinds: vec!["trade_closed".into(), "order".into()],
                ..EventFilter::default()
            },
            EventFilter {
                symbol: Some(sym("QQQ")),
                ..EventFilter::default()
            },
            EventFilter {
                from: Some(Timestamp::from_secs(1_500_000_000 + 900_000 * 60)),
                to: Some(end),
                kinds: vec!["fill".into()],
                ..EventFilter::default()
            },
        ];
        let rare = EventFilter {
            kinds: vec!["risk".into()],
            ..EventFilter::default()
        };
        let mut slowest = Duration::ZERO;
        let pages = filters
            .iter()
            .flat_map(|f| [None, Some(last_seq / 2), Some(last_seq - 500)].map(|a| (f, a)))
            .chain([None, Some(last_seq / 2)].map(|a| (&rare, a)));
        // A page at the start, in the middle and at the end of the run (of the rare
        // kind: one that ends the run); the best of three reads (the first may open a
        // pooled connection).
        for (filter, after) in pages {
            {
                let mut best = Duration::MAX;
                for _ in 0..3 {
                    let t = Instant::now();
                    let page = audit
                        .page(who, run, filter, PageRequest { limit: 100, after })
                        .await
                        .unwrap();
                    best = best.min(t.elapsed());
                    assert!(!page.items.is_empty(), "{filter:?} after {after:?}");
                    assert!(page.items.iter().all(|e| after.is_none_or(|a| e.seq() > a)));
                }
                slowest = slowest.max(best);
                eprintln!(
                    "DBG {:?} {:?} {:?} {best:?}",
                    filter.kinds, filter.symbol, after
                );
            }
        }
        eprintln!(
            "PAGES {:?}: {rows} rows; slowest page of 100 {slowest:.2?}, all fills {whole_kind:.2?}",
            db.store.backend()
        );
        // A page costs the page: far less than reading one kind of the run whole.
        assert!(
            slowest * 10 < whole_kind,
            "slowest page {slowest:?} vs all fills {whole_kind:?}"
        );
    }
);
