//! Bars under concurrency and damage: parallel imports of the same bars, and replacing
//! a stored chunk that no longer decodes.

mod common;

use std::sync::Arc;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_store::{Backend, ImportMode, PageRequest, Store, StoreError, StoredBar};

/// `n` one-minute bars from 2020-09-13 on (several UTC days: several chunks).
fn minute_bars(n: i64) -> Vec<StoredBar> {
    (0..n)
        .map(|i| {
            let o = 100.0 + i as f64 * 0.01;
            let bar = Bar::new(
                Timestamp::from_secs(1_600_000_000 + i * 60),
                o,
                o + 0.5,
                o - 0.5,
                o + 0.1,
                1000.0,
            )
            .unwrap();
            StoredBar::from(bar)
        })
        .collect()
}

fn spy() -> Symbol {
    Symbol::new("SPY").unwrap()
}

store_test!(
    eight_parallel_imports_of_the_same_bars_all_succeed_and_store_one_copy,
    |db| {
        let input = Arc::new(minute_bars(5_000));
        // Eight processes' worth of stores, each with its own connections.
        let mut stores = Vec::new();
        for _ in 0..8 {
            stores.push(Store::open(&db.config()).await.unwrap());
        }
        let start = Arc::new(tokio::sync::Barrier::new(stores.len()));
        let tasks: Vec<_> = stores
            .iter()
            .cloned()
            .map(|store| {
                let (input, start) = (Arc::clone(&input), Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    store
                        .bars()
                        .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
                        .await
                })
            })
            .collect();
        let mut inserted = 0;
        for t in tasks {
            let r = t
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("an import failed: {e}"));
            assert_eq!(r.inserted + r.unchanged, 5_000, "{r:?}");
            assert_eq!(r.conflicting, 0);
            inserted += r.inserted;
        }
        assert_eq!(inserted, 5_000, "exactly one import wrote each bar");
        let stored = db
            .store
            .bars()
            .load(&spy(), Timeframe::MINUTE, None, None)
            .await
            .unwrap();
        assert_eq!(stored, *input);
        let series = db
            .store
            .bars()
            .list_series(PageRequest::max())
            .await
            .unwrap()
            .items;
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].bars, 5_000);
        for s in stores {
            s.close().await;
        }
    }
);

store_test!(
    a_damaged_bar_chunk_is_rewritten_by_a_replacing_import,
    |db| {
        let bars = db.store.bars();
        let input = minute_bars(100); // one UTC day: one chunk
        bars.import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
            .await
            .unwrap();
        let damage = match db.store.backend() {
            Backend::Sqlite => "UPDATE bar_chunks SET data = X'0900'",
            Backend::Postgres => "UPDATE bar_chunks SET data = '\\x0900'::bytea",
        };
        common::exec_raw(db, damage).await;
        assert!(matches!(
            bars.load(&spy(), Timeframe::MINUTE, None, None).await,
            Err(StoreError::InvalidData { .. })
        ));
        // Keeping what is stored needs the stored bars: refused, saying what helps.
        let err = bars
            .import(&spy(), Timeframe::MINUTE, &input, ImportMode::KeepExisting)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SPY 1m chunk starting at") && err.contains("--replace"),
            "{err}"
        );
        // Replacing does not need them.
        let r = bars
            .import(&spy(), Timeframe::MINUTE, &input, ImportMode::Replace)
            .await
            .unwrap();
        assert_eq!((r.damaged_chunks, r.replaced, r.inserted), (1, 100, 0));
        assert_eq!(
            bars.load(&spy(), Timeframe::MINUTE, None, None)
                .await
                .unwrap(),
            input
        );
    }
);
