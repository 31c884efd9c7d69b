//! Bars: idempotent import, conflict reporting, explicit replace, loading.

mod common;

use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_store::{ImportMode, StoreError, StoredBar};

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
    let info = bars.series().await.unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!((info[0].bars, info[0].timeframe.as_str()), (7_000, "1m"));
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
    assert_eq!(
        bars.import(&spy(), five, &input, ImportMode::KeepExisting)
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
    assert_eq!(bars.series().await.unwrap().len(), 3);
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
    assert!(bars.series().await.unwrap().is_empty());
});
