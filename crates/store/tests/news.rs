//! Stored news: imported in one transaction, idempotently (the same owner, time,
//! headline and source is the same item), private to its owner, read back as the
//! point-in-time archive of the symbols a run trades, and listed newest first a page
//! at a time.

mod common;

use common::{exec_raw, owner};
use tradelab_core::{Symbol, Timestamp};
use tradelab_data::NewsItem;
use tradelab_store::{
    MAX_HEADLINE_BYTES, NewsId, NewsImported, PageRequest, Store, StoreError, UserId,
};

/// 2013-03-01 00:00 UTC.
const MARCH_1_2013: i64 = 1_362_096_000;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// An item published `hours` after 2013-03-01 00:00 UTC about `symbols`.
fn item(hours: i64, symbols: &[&str], headline: &str) -> NewsItem {
    NewsItem {
        published: Timestamp::from_secs(MARCH_1_2013 + hours * 3600),
        symbols: symbols.iter().map(|s| sym(s)).collect(),
        headline: headline.into(),
        body: format!("{headline}, in more words"),
        source: "Wire".into(),
    }
}

/// Four items: AAPL at 0h, AAPL and MSFT at 1h, general news at 2h, MSFT at 3h.
fn four() -> Vec<NewsItem> {
    vec![
        item(0, &["AAPL"], "Apple earnings beat"),
        item(1, &["AAPL", "MSFT"], "Tech rally"),
        item(2, &[], "Fed holds rates"),
        item(3, &["MSFT"], "Microsoft cloud deal"),
    ]
}

fn headlines<'a>(items: impl IntoIterator<Item = &'a NewsItem>) -> Vec<&'a str> {
    items.into_iter().map(|n| n.headline.as_str()).collect()
}

/// Every headline of the owner's list, newest first, read `limit` at a time.
async fn all_pages(store: &Store, who: UserId, symbol: Option<&Symbol>, limit: u32) -> Vec<String> {
    let mut seen = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = store.news().list(who, symbol, request).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        seen.extend(page.items.iter().map(|n| n.item.headline.clone()));
        match page.next_after {
            Some(after) => request = PageRequest::after(limit, after),
            None => return seen,
        }
    }
}

store_test!(
    reimporting_the_same_items_inserts_nothing_and_counts_them_unchanged,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await.id;
        let first = s.news().import(alice, &four()).await.unwrap();
        assert_eq!(
            first,
            NewsImported {
                inserted: 4,
                unchanged: 0
            }
        );
        let again = s.news().import(alice, &four()).await.unwrap();
        assert_eq!(
            again,
            NewsImported {
                inserted: 0,
                unchanged: 4
            }
        );
        // A changed body is the same item (same time, headline and source): kept as stored.
        let mut edited = four();
        edited[0].body = "rewritten".into();
        edited.push(item(5, &["AAPL"], "Apple buyback"));
        edited.push(item(5, &["AAPL"], "Apple buyback"));
        let more = s.news().import(alice, &edited).await.unwrap();
        assert_eq!(
            more,
            NewsImported {
                inserted: 1,
                unchanged: 5
            }
        );
        assert_eq!(s.news().count(alice).await.unwrap(), 5);
        let archive = s
            .news()
            .archive_for(alice, &[sym("AAPL")], None)
            .await
            .unwrap();
        assert_eq!(
            archive.items()[0].body,
            "Apple earnings beat, in more words"
        );
        assert_eq!(
            s.news().import(alice, &[]).await.unwrap(),
            NewsImported::default()
        );
    }
);

store_test!(another_owner_sees_none_of_a_users_news, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await.id;
    let bob = owner(s, "bob@example.com").await.id;
    s.news().import(alice, &four()).await.unwrap();
    assert_eq!(s.news().count(bob).await.unwrap(), 0);
    let page = s
        .news()
        .list(bob, None, PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next_after.is_none());
    let archive = s
        .news()
        .archive_for(bob, &[sym("AAPL"), sym("MSFT")], None)
        .await
        .unwrap();
    assert!(archive.is_empty());
    // Alice's id as Bob's cursor finds nothing, as a missing id.
    let alices = s
        .news()
        .list(alice, None, PageRequest::first(1))
        .await
        .unwrap();
    let cursor = alices.items[0].id;
    match s
        .news()
        .list(bob, None, PageRequest::after(1, cursor))
        .await
    {
        Err(StoreError::NotFound {
            what: "news item", ..
        }) => {}
        other => panic!("expected news item not found, got {other:?}"),
    }
    // Bob's import of the same items is his own copy, not Alice's unchanged items.
    let bobs = s.news().import(bob, &four()).await.unwrap();
    assert_eq!(
        bobs,
        NewsImported {
            inserted: 4,
            unchanged: 0
        }
    );
    assert_eq!(s.news().count(alice).await.unwrap(), 4);
});

store_test!(
    the_archive_holds_items_of_the_symbols_or_of_none_up_to_until,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await.id;
        s.news().import(alice, &four()).await.unwrap();
        let aapl = s
            .news()
            .archive_for(alice, &[sym("AAPL")], None)
            .await
            .unwrap();
        assert_eq!(
            headlines(aapl.items()),
            ["Apple earnings beat", "Tech rally", "Fed holds rates"]
        );
        let until = Some(Timestamp::from_secs(MARCH_1_2013 + 3600));
        let early = s
            .news()
            .archive_for(alice, &[sym("MSFT")], until)
            .await
            .unwrap();
        assert_eq!(headlines(early.items()), ["Tech rally"]);
        let none = s.news().archive_for(alice, &[], None).await.unwrap();
        assert_eq!(headlines(none.items()), ["Fed holds rates"]);
        let both = s
            .news()
            .archive_for(alice, &[sym("MSFT"), sym("AAPL")], None)
            .await
            .unwrap();
        assert_eq!(both.len(), 4);
        // The archive answers the agent's search point-in-time.
        let at = Timestamp::from_secs(MARCH_1_2013 + 2 * 3600);
        assert_eq!(
            headlines(both.search("", None, at, 10)),
            ["Fed holds rates", "Tech rally", "Apple earnings beat"]
        );
    }
);

store_test!(
    the_archive_never_reads_items_of_other_symbols_or_published_after_until,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await.id;
        let mut items = four();
        items.push(item(1, &["AAPL.B"], "Other share class"));
        items.push(item(1, &["XAAPL"], "A longer ticker"));
        items.push(item(1, &["aapl"], "Lower-case ticker"));
        items.push(item(1, &["BRKXB"], "Not Berkshire"));
        items.push(item(2, &["IBM", "AAPL"], "Second of two"));
        items.push(item(9, &["AAPL"], "Apple after until"));
        items.push(item(9, &[], "General news after until"));
        s.news().import(alice, &items).await.unwrap();
        // An item of another symbol whose stored symbols no longer read: the archive
        // of AAPL does not read it, so it cannot fail on it.
        exec_raw(
            db,
            "UPDATE news SET symbols = 'NOT A SYMBOL' WHERE headline = 'Microsoft cloud deal'",
        )
        .await;
        // Separators alone are no symbol: general news, as the item reads back.
        exec_raw(
            db,
            "UPDATE news SET symbols = ';' WHERE headline = 'Fed holds rates'",
        )
        .await;
        let until = Some(Timestamp::from_secs(MARCH_1_2013 + 8 * 3600));
        let aapl = s
            .news()
            .archive_for(alice, &[sym("AAPL")], until)
            .await
            .unwrap();
        assert_eq!(
            headlines(aapl.items()),
            [
                "Apple earnings beat",
                "Tech rally",
                "Fed holds rates",
                "Second of two"
            ]
        );
        let brk = s
            .news()
            .archive_for(alice, &[sym("BRK_B"), sym("IBM")], until)
            .await
            .unwrap();
        assert_eq!(headlines(brk.items()), ["Fed holds rates", "Second of two"]);
        // Many symbols are one parameter, not a condition per symbol.
        let many: Vec<Symbol> = (0..3_000)
            .map(|k| sym(&format!("S{k}")))
            .chain([sym("XAAPL")])
            .collect();
        let wide = s.news().archive_for(alice, &many, None).await.unwrap();
        assert_eq!(
            headlines(wide.items()),
            [
                "A longer ticker",
                "Fed holds rates",
                "General news after until"
            ]
        );
    }
);

store_test!(lists_page_newest_first_and_filter_by_exact_symbol, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await.id;
    let mut items = four();
    // Same instant as "Fed holds rates": ties keep a stable order (by id).
    items.push(item(2, &["BRK_B"], "Berkshire letter"));
    items.push(item(4, &["BRKXB"], "Not Berkshire"));
    items.push(item(4, &["aapl"], "Lower-case ticker"));
    s.news().import(alice, &items).await.unwrap();
    let whole = all_pages(s, alice, None, 1000).await;
    assert_eq!(
        whole,
        [
            "Lower-case ticker",
            "Not Berkshire",
            "Microsoft cloud deal",
            "Berkshire letter",
            "Fed holds rates",
            "Tech rally",
            "Apple earnings beat"
        ]
    );
    for limit in [1, 2, 3] {
        assert_eq!(
            all_pages(s, alice, None, limit).await,
            whole,
            "limit {limit}"
        );
    }
    assert_eq!(
        all_pages(s, alice, Some(&sym("AAPL")), 1).await,
        ["Tech rally", "Apple earnings beat"]
    );
    assert_eq!(
        all_pages(s, alice, Some(&sym("BRK_B")), 2).await,
        ["Berkshire letter"]
    );
    let first = s
        .news()
        .list(alice, None, PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(first.items[0].item.symbols, vec![sym("aapl")]);
    match s
        .news()
        .list(alice, None, PageRequest::after(5, NewsId(999_999)))
        .await
    {
        Err(StoreError::NotFound {
            what: "news item", ..
        }) => {}
        other => panic!("expected news item not found, got {other:?}"),
    }
    let bad = s.news().list(alice, None, PageRequest::first(0)).await;
    assert!(matches!(
        bad,
        Err(StoreError::InvalidData {
            what: "page limit",
            ..
        })
    ));
});

store_test!(the_time_column_is_readable_rfc3339, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await.id;
    let mut fractional = item(0, &[], "Fraction");
    fractional.published = Timestamp::from_nanos(MARCH_1_2013 * 1_000_000_000 + 250_000_000);
    s.news()
        .import(alice, &[item(14, &["AAPL"], "Whole"), fractional])
        .await
        .unwrap();
    // Copy `time` where the repository reads it back.
    exec_raw(db, "UPDATE news SET body = time").await;
    let page = s
        .news()
        .list(alice, None, PageRequest::default())
        .await
        .unwrap();
    let bodies: Vec<&str> = page.items.iter().map(|n| n.item.body.as_str()).collect();
    assert_eq!(bodies, ["2013-03-01T14:00:00Z", "2013-03-01T00:00:00.25Z"]);
});

store_test!(
    a_headline_too_long_to_store_is_refused_and_nothing_is_stored,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await.id;
        let mut items = four();
        items[2].headline = "x".repeat(MAX_HEADLINE_BYTES + 1);
        let err = s.news().import(alice, &items).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("item 3 (published 2013-03-01T02:00:00Z): headline is 1001 bytes"),
            "{text}"
        );
        assert_eq!(s.news().count(alice).await.unwrap(), 0);
        match s.news().import(UserId(999_999), &four()).await {
            Err(StoreError::NotFound { what: "user", .. }) => {}
            other => panic!("expected user not found, got {other:?}"),
        }
    }
);
