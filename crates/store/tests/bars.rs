//! Bars: idempotent import, conflict reporting, explicit replace, loading.

mod common;

use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_store::{ImportMode, PageRequest, StoreError, StoredBar};

fn minute_bars(n: i64, base: f64) -> Vec<StoredBar> {
    (0..n)
        .map(|i| {
            let o = base + i as f64 * 0.01;
            let bar = Bar::new(
                Timestamp::from_secs(1_600_000_000 + i * 60),
                o,
                o + 0.5,
                o - 0.5,
                o + 0.1,
                1000.0 + i as f64,
            )
            .unwrap();
            StoredBar {
                bar,
                trades: Some(10 + i),
                vwap: Some(o + 0.05),
            }
        })
        .collect()
}

/// Bars every 7 minutes are 7m bars (a 1m series needs neighbours one minute apart).
fn seven_minutes() -> Timeframe {
    Timeframe::from_secs(420).expect("7m")
}

fn spy() -> Symbol {
    Symbol::new("SPY").unwrap()
}

store_test!(reimporting_the_same_bars_changes_nothing, |db| {
    let bars = db.store.bars();
    let input = minute_bars(7_000, 100.0);
    let first = bars
        .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    assert_eq!(
        (first.inserted, first.unchanged, first.conflicting),
        (7_000, 0, 0)
    );
    let again = bars
        .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    assert_eq!(
        (again.inserted, again.unchanged, again.conflicting),
        (0, 7_000, 0)
    );
    assert_eq!(
        bars.load(&spy(), Timeframe::MINUTE, None, None)
            .await
            .unwrap(),
        input
    );
    let info = bars.list_series(PageRequest::max()).await.unwrap().items;
    assert_eq!(info.len(), 1);
    assert_eq!(
        (info[0].bars, info[0].timeframe),
        (7_000, Timeframe::MINUTE)
    );
});

store_test!(
    a_bar_with_the_same_key_and_other_values_is_a_reported_conflict,
    |db| {
        let bars = db.store.bars();
        let input = minute_bars(10, 100.0);
        bars.import(
            &spy(),
            Timeframe::MINUTE,
            &input[..6],
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        let mut changed = input.clone();
        changed[2].bar = Bar::new(changed[2].bar.ts(), 50.0, 51.0, 49.0, 50.5, 1.0).unwrap();
        changed[4].vwap = None;
        let report = bars
            .import(
                &spy(),
                Timeframe::MINUTE,
                &changed,
                ImportMode::KeepExisting,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                report.inserted,
                report.unchanged,
                report.conflicting,
                report.replaced
            ),
            (4, 4, 2, 0)
        );
        assert_eq!(report.conflicts.len(), 2);
        assert_eq!(report.conflicts[0].stored, input[2]);
        assert_eq!(report.conflicts[0].incoming, changed[2]);
        let stored = bars
            .load(&spy(), Timeframe::MINUTE, None, None)
            .await
            .unwrap();
        assert_eq!(stored, input, "conflicting bars are kept as stored");

        let replaced = bars
            .import(&spy(), Timeframe::MINUTE, &changed, ImportMode::Replace)
            .await
            .unwrap();
        assert_eq!(
            (
                replaced.inserted,
                replaced.unchanged,
                replaced.conflicting,
                replaced.replaced
            ),
            (0, 8, 2, 2)
        );
        assert_eq!(
            bars.load(&spy(), Timeframe::MINUTE, None, None)
                .await
                .unwrap(),
            changed
        );
    }
);

store_test!(series_are_kept_apart_by_symbol_and_timeframe, |db| {
    let bars = db.store.bars();
    let input = minute_bars(5, 100.0);
    bars.import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    let other = bars
        .import(
            &Symbol::new("QQQ").unwrap(),
            Timeframe::MINUTE,
            &input,
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
    assert_eq!(other.inserted, 5);
    let five: Timeframe = "5m".parse().unwrap();
    let five_minute = bars_at((0..5).map(|i| 1_600_000_000 + i * 300), 100.0);
    assert_eq!(
        bars.import(&spy(), five, &five_minute, ImportMode::KeepExisting)
            .await
            .unwrap()
            .inserted,
        5
    );
    let window = bars
        .load_series(
            &spy(),
            Timeframe::MINUTE,
            Some(input[1].bar.ts()),
            Some(input[3].bar.ts()),
        )
        .await
        .unwrap();
    assert_eq!(window.len(), 3);
    assert_eq!(
        bars.list_series(PageRequest::max())
            .await
            .unwrap()
            .items
            .len(),
        3
    );
});

store_test!(rejects_unordered_bars_and_stores_nothing, |db| {
    let bars = db.store.bars();
    let mut input = minute_bars(5, 100.0);
    input.swap(1, 3);
    let err = bars
        .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { what: "bars", message } if message.contains("bar 2")),
        "{err}"
    );
    assert!(
        bars.list_series(PageRequest::max())
            .await
            .unwrap()
            .items
            .is_empty()
    );
});

store_test!(
    rejects_bars_closer_than_their_timeframe_and_stores_nothing,
    |db| {
        let bars = db.store.bars();
        let err = bars
            .import(
                &spy(),
                Timeframe::DAY,
                &minute_bars(5, 100.0),
                ImportMode::KeepExisting,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { what: "bars", message }
            if message.contains("bar 1 at 2020-09-13T12:27:40Z starts less than one 1d bar")),
            "{err}"
        );
        assert!(
            bars.list_series(PageRequest::max())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        // Gaps (a weekend, a holiday) are fine: bars may be further apart than one bar.
        let with_gap = bars_at([0, 86_400, 4 * 86_400].map(|d| NEW_YEAR_2020 + d), 20.0);
        bars.import(&spy(), Timeframe::DAY, &with_gap, ImportMode::KeepExisting)
            .await
            .unwrap();
    }
);

/// 2020-01-01T00:00:00Z.
const NEW_YEAR_2020: i64 = 1_577_836_800;

fn bars_at(times: impl IntoIterator<Item = i64>, base: f64) -> Vec<StoredBar> {
    times
        .into_iter()
        .enumerate()
        .map(|(i, secs)| {
            let o = base + i as f64 * 0.25;
            StoredBar {
                bar: Bar::new(
                    Timestamp::from_secs(secs),
                    o,
                    o + 1.0,
                    o - 1.0,
                    o + 0.5,
                    10.0,
                )
                .unwrap(),
                trades: (i % 3 != 0).then_some(i as i64),
                vwap: (i % 4 != 0).then_some(o + 0.1),
            }
        })
        .collect()
}

store_test!(minute_bars_spanning_midnight_round_trip_and_filter, |db| {
    let bars = db.store.bars();
    // 23:00 on Dec 30 to 01:00 on Jan 1: three UTC days.
    let input = bars_at(
        (0..1_561).map(|i| NEW_YEAR_2020 - 86_400 - 3_600 + i * 60),
        50.0,
    );
    let r = bars
        .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    assert_eq!((r.inserted, r.unchanged), (1_561, 0));
    let all = bars
        .load(&spy(), Timeframe::MINUTE, None, None)
        .await
        .unwrap();
    assert_eq!(all, input);
    // A window across the second midnight, bounds inclusive and not on bar times.
    let from = Timestamp::from_secs(NEW_YEAR_2020 - 120);
    let to = Timestamp::from_secs(NEW_YEAR_2020 + 90);
    let window = bars
        .load(&spy(), Timeframe::MINUTE, Some(from), Some(to))
        .await
        .unwrap();
    let expected: Vec<StoredBar> = input
        .iter()
        .filter(|b| b.bar.ts() >= from && b.bar.ts() <= to)
        .copied()
        .collect();
    assert_eq!(expected.len(), 4);
    assert_eq!(window, expected);
    // Exactly on midnight, both bounds.
    let midnight = Timestamp::from_secs(NEW_YEAR_2020);
    let one = bars
        .load(&spy(), Timeframe::MINUTE, Some(midnight), Some(midnight))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].bar.ts(), midnight);
    let info = bars.list_series(PageRequest::max()).await.unwrap().items;
    assert_eq!(
        (info[0].bars, info[0].first, info[0].last),
        (1_561, input[0].bar.ts(), input.last().unwrap().bar.ts())
    );
});

store_test!(daily_bars_spanning_new_year_round_trip_and_filter, |db| {
    let bars = db.store.bars();
    // 400 daily bars from 2019-12-01: three calendar years.
    let start = NEW_YEAR_2020 - 31 * 86_400;
    let input = bars_at((0..400).map(|i| start + i * 86_400), 20.0);
    bars.import(&spy(), Timeframe::DAY, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    assert_eq!(
        bars.load(&spy(), Timeframe::DAY, None, None).await.unwrap(),
        input
    );
    let from = Timestamp::from_secs(NEW_YEAR_2020 - 2 * 86_400);
    let to = Timestamp::from_secs(NEW_YEAR_2020 + 2 * 86_400);
    let window = bars
        .load_series(&spy(), Timeframe::DAY, Some(from), Some(to))
        .await
        .unwrap();
    assert_eq!(window.len(), 5);
    assert_eq!(window.bars()[2].ts(), Timestamp::from_secs(NEW_YEAR_2020));
    // The streamed series holds exactly the bars `load` returns.
    let all = bars
        .load_series(&spy(), Timeframe::DAY, None, None)
        .await
        .unwrap();
    let expected: Vec<_> = input.iter().map(|b| b.bar).collect();
    assert_eq!(all.bars(), &expected[..]);
    assert!(
        bars.load_series(&spy(), Timeframe::DAY, Some(to), Some(from))
            .await
            .unwrap()
            .is_empty()
    );
    // Only after the data: nothing.
    let later = Timestamp::from_secs(start + 500 * 86_400);
    assert!(
        bars.load(&spy(), Timeframe::DAY, Some(later), None)
            .await
            .unwrap()
            .is_empty()
    );
    // from after to: nothing.
    assert!(
        bars.load(&spy(), Timeframe::DAY, Some(to), Some(from))
            .await
            .unwrap()
            .is_empty()
    );
});

store_test!(
    a_partly_overlapping_reimport_merges_into_stored_chunks,
    |db| {
        let bars = db.store.bars();
        // 7-minute bars over about three days.
        let input = bars_at((0..900).map(|i| NEW_YEAR_2020 - 86_400 + i * 420), 80.0);
        bars.import(
            &spy(),
            seven_minutes(),
            &input[..500],
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        // Re-import 300..900: 200 known (one changed), 400 new, across day boundaries.
        let mut incoming = input[300..].to_vec();
        incoming[10].vwap = Some(1.0);
        let r = bars
            .import(&spy(), seven_minutes(), &incoming, ImportMode::KeepExisting)
            .await
            .unwrap();
        assert_eq!(
            (r.inserted, r.unchanged, r.conflicting, r.replaced),
            (400, 199, 1, 0)
        );
        assert_eq!(r.conflicts[0].stored, input[310]);
        assert_eq!(
            bars.load(&spy(), seven_minutes(), None, None)
                .await
                .unwrap(),
            input
        );
        // Bars between stored ones in the same chunk (every 7 minutes + 1 minute).
        let between = bars_at((0..50).map(|i| NEW_YEAR_2020 + 60 + i * 420), 90.0);
        let r = bars
            .import(&spy(), seven_minutes(), &between, ImportMode::Replace)
            .await
            .unwrap();
        assert_eq!((r.inserted, r.unchanged, r.conflicting), (50, 0, 0));
        let mut expected = input.clone();
        expected.extend_from_slice(&between);
        expected.sort_by_key(|b| b.bar.ts());
        assert_eq!(
            bars.load(&spy(), seven_minutes(), None, None)
                .await
                .unwrap(),
            expected
        );
        assert_eq!(
            bars.list_series(PageRequest::max()).await.unwrap().items[0].bars,
            950
        );
    }
);

store_test!(from_and_to_inside_one_chunk_are_inclusive, |db| {
    let bars = db.store.bars();
    let input = minute_bars(600, 100.0);
    bars.import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    let window = bars
        .load(
            &spy(),
            Timeframe::MINUTE,
            Some(input[100].bar.ts()),
            Some(input[110].bar.ts()),
        )
        .await
        .unwrap();
    assert_eq!(window, input[100..=110].to_vec());
    let head = bars
        .load(&spy(), Timeframe::MINUTE, None, Some(input[3].bar.ts()))
        .await
        .unwrap();
    assert_eq!(head, input[..=3].to_vec());
    let tail = bars
        .load(&spy(), Timeframe::MINUTE, Some(input[597].bar.ts()), None)
        .await
        .unwrap();
    assert_eq!(tail, input[597..].to_vec());
});

store_test!(rows_of_the_old_bars_table_are_converted_at_open, |db| {
    // Already in chunks: SPY 1m bars 0..3.
    let input = minute_bars(6, 100.0);
    db.store
        .bars()
        .import(
            &spy(),
            Timeframe::MINUTE,
            &input[..3],
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
    db.store.close().await;
    // The minute bar i minutes after the first, as a daily bar i days after it.
    let daily = |ns: i64| {
        let base = 1_600_000_000_000_000_000;
        base + (ns - base) * 1440
    };
    // Old-style rows, as schema v1–2 stored them: SPY 1m bars 2..6 (one already in a
    // chunk) and a QQQ 1d series.
    let mut sql = String::new();
    for (symbol, tf, b) in input[2..]
        .iter()
        .map(|b| ("SPY", "1m", b))
        .chain(input.iter().map(|b| ("QQQ", "1d", b)))
    {
        let ts = if tf == "1d" {
            daily(b.bar.ts().nanos())
        } else {
            b.bar.ts().nanos()
        };
        sql.push_str(&format!(
            "INSERT INTO bars (symbol, timeframe, ts_ns, open, high, low, close, volume, trades, vwap) \
             VALUES ('{symbol}', '{tf}', {ts}, {:?}, {:?}, {:?}, {:?}, {:?}, {}, {});\n",
            b.bar.open(),
            b.bar.high(),
            b.bar.low(),
            b.bar.close(),
            b.bar.volume(),
            b.trades.map_or("NULL".into(), |t| t.to_string()),
            b.vwap.map_or("NULL".into(), |v| format!("{v:?}")),
        ));
    }
    common::exec_raw(db, &sql).await;
    for _ in 0..2 {
        let store = tradelab_store::Store::open(&db.config()).await.unwrap();
        assert_eq!(
            store
                .bars()
                .load(&spy(), Timeframe::MINUTE, None, None)
                .await
                .unwrap(),
            input
        );
        let qqq = store
            .bars()
            .load(&Symbol::new("QQQ").unwrap(), Timeframe::DAY, None, None)
            .await
            .unwrap();
        assert_eq!(qqq.len(), 6);
        assert_eq!(qqq[5].bar.ts().nanos(), daily(input[5].bar.ts().nanos()));
        assert_eq!(
            (qqq[5].trades, qqq[5].vwap),
            (input[5].trades, input[5].vwap)
        );
        let series = store
            .bars()
            .list_series(PageRequest::max())
            .await
            .unwrap()
            .items;
        assert_eq!(
            series
                .iter()
                .map(|s| (s.symbol.as_str(), s.timeframe, s.bars))
                .collect::<Vec<_>>(),
            vec![("QQQ", Timeframe::DAY, 6), ("SPY", Timeframe::MINUTE, 6)]
        );
        store.close().await;
    }
    // The old table was emptied: a row inserted now is the only one converted.
    common::exec_raw(db, "DELETE FROM bar_chunks WHERE symbol = 'QQQ'").await;
    let store = tradelab_store::Store::open(&db.config()).await.unwrap();
    assert!(
        store
            .bars()
            .load(&Symbol::new("QQQ").unwrap(), Timeframe::DAY, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
});

store_test!(a_corrupt_chunk_is_invalid_data_naming_the_series, |db| {
    let input = minute_bars(10, 100.0);
    db.store
        .bars()
        .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
        .await
        .unwrap();
    common::exec_raw(db, "UPDATE bar_chunks SET n_bars = n_bars + 1").await;
    let err = db
        .store
        .bars()
        .load(&spy(), Timeframe::MINUTE, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { what: "bar chunk", message } if message.contains("SPY 1m chunk")),
        "{err}"
    );
    // So does the engine's streamed load.
    let err = db
        .store
        .bars()
        .load_series(&spy(), Timeframe::MINUTE, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::InvalidData {
                what: "bar chunk",
                ..
            }
        ),
        "{err}"
    );
    // A re-import reads the chunk too and fails without writing.
    assert!(
        db.store
            .bars()
            .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
            .await
            .is_err()
    );
});
