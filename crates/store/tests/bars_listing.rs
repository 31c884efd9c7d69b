//! Listing stored series a page at a time: what a user sees (their uploads, shared
//! series they have no copy of, never another user's), in symbol then timeframe order,
//! continued by a `SYMBOL@TIMEFRAME` cursor.

mod common;

use common::account;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_store::{
    ImportMode, PageRequest, Role, SeriesCursor, SeriesInfo, Store, StoreError, StoredBar, User,
    UserId,
};

/// 2020-01-01 00:00 UTC.
const NEW_YEAR_2020: i64 = 1_577_836_800;

/// `n` bars `tf` apart from 2020-01-01.
fn bars(tf: Timeframe, n: i64) -> Vec<StoredBar> {
    let step = tf.nanos() / 1_000_000_000;
    (0..n)
        .map(|i| {
            let p = 50.0 + i as f64;
            Bar::new(
                Timestamp::from_secs(NEW_YEAR_2020 + i * step),
                p,
                p + 1.0,
                p - 1.0,
                p + 0.5,
                100.0,
            )
            .expect("bar")
            .into()
        })
        .collect()
}

/// `actor` imports `n` bars of `symbol` at the timeframe `tf` (`1d`, `1h`, …).
async fn import(store: &Store, actor: &User, symbol: &str, tf: &str, n: i64) {
    let tf: Timeframe = tf.parse().expect("timeframe");
    let symbol = Symbol::new(symbol).expect("symbol");
    store
        .bars()
        .import_as(actor, &symbol, tf, &bars(tf, n), ImportMode::KeepExisting)
        .await
        .expect("import");
}

/// `SYMBOL@TF owner`: a series as the assertions read it.
fn key(s: &SeriesInfo) -> String {
    let whose = match s.owner {
        Some(UserId(id)) => format!("user {id}"),
        None => "shared".into(),
    };
    format!("{}@{} {whose}", s.symbol, s.timeframe)
}

/// Every page of `viewer`'s series, `limit` at a time, following `next_after`.
async fn pages(store: &Store, viewer: UserId, limit: u32) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = store
            .bars()
            .list_series_for(viewer, request.clone())
            .await
            .expect("page");
        out.push(page.items.iter().map(key).collect());
        match page.next_after {
            Some(next) => request = PageRequest::after(limit, next),
            None => return out,
        }
    }
}

/// Admin-shared `SPY 1d`, `SPY 1h`, `QQQ 1d`; alice's private `QQQ 1d` (older than the
/// shared one, which it shadows for her), `AAPL 1m`; bob's private `BOB 1d`.
async fn stocked(store: &Store) -> (User, User) {
    let admin = account(store, "admin@example.com", Role::Admin).await;
    let alice = account(store, "alice@example.com", Role::User).await;
    let bob = account(store, "bob@example.com", Role::User).await;
    import(store, &alice, "QQQ", "1d", 3).await;
    import(store, &alice, "AAPL", "1m", 90).await;
    import(store, &bob, "BOB", "1d", 2).await;
    import(store, &admin, "SPY", "1d", 5).await;
    import(store, &admin, "SPY", "1h", 8).await;
    import(store, &admin, "QQQ", "1d", 4).await;
    (alice, bob)
}

store_test!(
    pages_the_series_a_user_sees_by_symbol_then_timeframe,
    |db| {
        let (alice, bob) = stocked(&db.store).await;
        let a = alice.id.0;
        assert_eq!(
            pages(&db.store, alice.id, 2).await,
            vec![
                vec![format!("AAPL@1m user {a}"), format!("QQQ@1d user {a}")],
                vec!["SPY@1d shared".to_string(), "SPY@1h shared".to_string()],
            ]
        );
        let b = bob.id.0;
        assert_eq!(
            pages(&db.store, bob.id, 3).await,
            vec![
                vec![
                    format!("BOB@1d user {b}"),
                    "QQQ@1d shared".to_string(),
                    "SPY@1d shared".to_string()
                ],
                vec!["SPY@1h shared".to_string()],
            ]
        );
        // The pages hold what the whole list holds, with the counts and ranges.
        let whole = db.store.bars().series_for(alice.id).await.unwrap();
        let paged: Vec<SeriesInfo> = db
            .store
            .bars()
            .list_series_for(alice.id, PageRequest::first(10))
            .await
            .unwrap()
            .items;
        assert_eq!(paged, whole);
        assert_eq!(paged[1].bars, 3, "alice's own QQQ, not the shared 4 bars");
    }
);

store_test!(the_shared_listing_holds_no_users_upload, |db| {
    stocked(&db.store).await;
    let first = db
        .store
        .bars()
        .list_series(PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(
        first.items.iter().map(key).collect::<Vec<_>>(),
        ["QQQ@1d shared", "SPY@1d shared"]
    );
    let next = first.next_after.expect("a second page");
    assert_eq!(next.to_string(), "SPY@1d");
    let rest = db
        .store
        .bars()
        .list_series(PageRequest::after(2, next))
        .await
        .unwrap();
    assert_eq!(
        rest.items.iter().map(key).collect::<Vec<_>>(),
        ["SPY@1h shared"]
    );
    assert_eq!(rest.next_after, None);
});

store_test!(
    a_page_continues_after_its_cursor_when_that_series_is_gone,
    |db| {
        let (alice, _) = stocked(&db.store).await;
        let first = db
            .store
            .bars()
            .list_series_for(alice.id, PageRequest::first(1))
            .await
            .unwrap();
        let cursor = first.next_after.expect("more pages");
        assert_eq!(cursor.to_string(), "AAPL@1m");
        db.store
            .bars()
            .delete_as(&alice, &cursor.symbol, cursor.timeframe, None, None, false)
            .await
            .unwrap();
        let next = db
            .store
            .bars()
            .list_series_for(alice.id, PageRequest::after(1, cursor))
            .await
            .unwrap();
        assert_eq!(
            next.items.iter().map(key).collect::<Vec<_>>(),
            [format!("QQQ@1d user {}", alice.id.0)]
        );
        // A cursor typed by hand reads the same as one the store returned.
        let typed: SeriesCursor = "QQQ@1d".parse().unwrap();
        let after_qqq = db
            .store
            .bars()
            .list_series_for(alice.id, PageRequest::after(5, typed))
            .await
            .unwrap();
        assert_eq!(
            after_qqq.items.iter().map(key).collect::<Vec<_>>(),
            ["SPY@1d shared", "SPY@1h shared"]
        );
    }
);

store_test!(refuses_a_series_page_of_no_rows_or_past_the_maximum, |db| {
    let (alice, _) = stocked(&db.store).await;
    for limit in [0, tradelab_store::MAX_PAGE_LIMIT + 1] {
        let e = db
            .store
            .bars()
            .list_series_for(alice.id, PageRequest::first(limit))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::InvalidData { .. }), "{e}");
    }
});

store_test!(a_user_without_bars_sees_an_empty_last_page, |db| {
    let carol = account(&db.store, "carol@example.com", Role::User).await;
    let page = db
        .store
        .bars()
        .list_series_for(carol.id, PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.next_after, None);
});
