//! Fetching bars from a provider into the store: chunks, resume, errors.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use std::sync::Mutex;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_providers::{
    AssetClass, BarRequest, Provider, ProviderError, ProviderErrorKind, ProviderFuture,
};
use tradelab_runner::fetch::{FetchProgress, Span, chunks, fetch_symbol};
use tradelab_store::{Role, Store, User};

const DAY: i64 = 86_400;
/// 2024-03-04 00:00 UTC, a Monday.
const MONDAY: i64 = 1_709_510_400;

/// A vendor with minute bars 14:30–21:00 UTC every day; it fails the calls whose
/// number (from 1) is in `fail_on`, and records every request.
struct Vendor {
    fail_on: Vec<usize>,
    failure: ProviderErrorKind,
    requests: Mutex<Vec<(Timestamp, Timestamp)>>,
}

impl Vendor {
    fn new() -> Self {
        Vendor::failing(vec![], ProviderErrorKind::Network("unused".into()))
    }

    fn failing(fail_on: Vec<usize>, failure: ProviderErrorKind) -> Self {
        Vendor {
            fail_on,
            failure,
            requests: Mutex::new(Vec::new()),
        }
    }

    fn requests(&self) -> Vec<(Timestamp, Timestamp)> {
        self.requests.lock().unwrap().clone()
    }
}

fn minute_bar(ts: i64) -> Bar {
    let p = 100.0 + (ts % 7_919) as f64 / 100.0;
    Bar::new(Timestamp::from_secs(ts), p, p + 1.0, p - 1.0, p + 0.5, 10.0).unwrap()
}

/// The vendor's bars in `[from, to)`.
fn session_bars(from: i64, to: i64) -> Vec<Bar> {
    let first = from.div_euclid(60) * 60;
    (0..)
        .map(|i| first + i * 60)
        .take_while(|t| *t < to)
        .filter(|t| *t >= from && (52_200..75_600).contains(&t.rem_euclid(DAY)))
        .map(minute_bar)
        .collect()
}

impl Provider for Vendor {
    fn name(&self) -> &str {
        "testvendor"
    }

    fn supports(&self, class: AssetClass, _timeframe: Timeframe) -> bool {
        class == AssetClass::Stock
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            let n = {
                let mut r = self.requests.lock().unwrap();
                r.push((request.from, request.to));
                r.len()
            };
            if self.fail_on.contains(&n) {
                return Err(ProviderError::new("testvendor", self.failure.clone()));
            }
            let secs = |t: Timestamp| t.nanos() / 1_000_000_000;
            Ok(session_bars(secs(request.from), secs(request.to)))
        })
    }

    fn latest<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move { Ok(None) })
    }
}

fn spy() -> Symbol {
    Symbol::new("SPY").unwrap()
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs)
}

async fn admin(store: &Store) -> User {
    common::account(store, "admin@fetch.test", Role::Admin).await
}

async fn fetch(
    store: &Store,
    actor: &User,
    vendor: &Vendor,
    from: i64,
    to: i64,
) -> Result<tradelab_runner::fetch::SymbolFetch, tradelab_runner::fetch::FetchFailure> {
    let mut ignore = |_: FetchProgress<'_>| {};
    fetch_symbol(
        store,
        actor,
        vendor,
        &spy(),
        Timeframe::MINUTE,
        at(from),
        at(to),
        &mut ignore,
    )
    .await
}

#[test]
fn fetch_chunks_minute_bars_by_utc_day_and_daily_bars_by_year() {
    let span = Span {
        from: at(MONDAY + 3_600),
        to: at(MONDAY + 2 * DAY + 60),
    };
    let got = chunks(span, Timeframe::MINUTE);
    assert_eq!(
        got,
        vec![
            Span {
                from: at(MONDAY + 3_600),
                to: at(MONDAY + DAY)
            },
            Span {
                from: at(MONDAY + DAY),
                to: at(MONDAY + 2 * DAY)
            },
            Span {
                from: at(MONDAY + 2 * DAY),
                to: at(MONDAY + 2 * DAY + 60)
            },
        ]
    );
    let years = chunks(
        Span {
            from: at(0),
            to: at(1_000 * DAY),
        },
        Timeframe::DAY,
    );
    assert_eq!(years.len(), 3);
    assert_eq!(years[0].to, at(366 * DAY));
}

store_test!(fetch_stores_each_days_bars_and_reports_what_it_did, |db| {
    let actor = admin(&db.store).await;
    let vendor = Vendor::new();
    let mut seen = Vec::new();
    let mut progress = |p: FetchProgress<'_>| seen.push((p.chunk, p.chunks, p.fetched));
    let report = fetch_symbol(
        &db.store,
        &actor,
        &vendor,
        &spy(),
        Timeframe::MINUTE,
        at(MONDAY),
        at(MONDAY + 3 * DAY),
        &mut progress,
    )
    .await
    .unwrap();
    assert_eq!(vendor.requests().len(), 3, "one request per UTC day");
    assert_eq!(
        (report.fetched, report.inserted, report.unchanged),
        (1_170, 1_170, 0)
    );
    assert_eq!(
        report.spans,
        vec![Span {
            from: at(MONDAY),
            to: at(MONDAY + 3 * DAY)
        }]
    );
    assert_eq!(seen, vec![(1, 3, 390), (2, 3, 780), (3, 3, 1_170)]);
    let stored = db
        .store
        .bars()
        .load(&spy(), Timeframe::MINUTE, None, None)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1_170);
    assert_eq!(stored[0].bar, minute_bar(MONDAY + 52_200));
});

store_test!(
    fetch_again_asks_only_for_the_time_after_the_last_stored_bar,
    |db| {
        let actor = admin(&db.store).await;
        fetch(&db.store, &actor, &Vendor::new(), MONDAY, MONDAY + 2 * DAY)
            .await
            .unwrap();
        let vendor = Vendor::new();
        let again = fetch(&db.store, &actor, &vendor, MONDAY, MONDAY + 2 * DAY)
            .await
            .unwrap();
        let after_last = MONDAY + DAY + 75_600;
        assert_eq!(
            vendor.requests(),
            vec![(at(after_last), at(MONDAY + 2 * DAY))]
        );
        assert_eq!((again.fetched, again.inserted), (0, 0));

        // A period the store holds whole asks nothing at all.
        let vendor = Vendor::new();
        let held = fetch(&db.store, &actor, &vendor, MONDAY + 3_600, MONDAY + DAY)
            .await
            .unwrap();
        assert!(vendor.requests().is_empty(), "{:?}", vendor.requests());
        assert!(held.spans.is_empty());
    }
);

store_test!(
    fetch_resumes_after_a_failure_part_way_fetching_only_what_is_missing,
    |db| {
        let actor = admin(&db.store).await;
        let broken = Vendor::failing(
            vec![3],
            ProviderErrorKind::Server {
                status: 502,
                message: "bad gateway".into(),
            },
        );
        let failure = fetch(&db.store, &actor, &broken, MONDAY, MONDAY + 4 * DAY)
            .await
            .unwrap_err();
        assert_eq!(
            failure.done.inserted, 780,
            "two days stored before the failure"
        );
        let text = failure.to_string();
        assert!(text.contains("testvendor: server error 502"), "{text}");
        assert!(text.contains("SPY 1m"), "{text}");
        let stored = db
            .store
            .bars()
            .load(&spy(), Timeframe::MINUTE, None, None)
            .await
            .unwrap();
        assert_eq!(stored.len(), 780);

        let vendor = Vendor::new();
        let rest = fetch(&db.store, &actor, &vendor, MONDAY, MONDAY + 4 * DAY)
            .await
            .unwrap();
        let last_stored = MONDAY + DAY + 75_600 - 60;
        assert_eq!(
            vendor.requests()[0].0,
            at(last_stored + 60),
            "resumes after the last bar"
        );
        assert_eq!(
            vendor.requests().len(),
            3,
            "the rest of day 2, days 3 and 4"
        );
        assert_eq!((rest.inserted, rest.unchanged), (780, 0));
        let all = db
            .store
            .bars()
            .load(&spy(), Timeframe::MINUTE, None, None)
            .await
            .unwrap();
        assert_eq!(all.len(), 1_560);
    }
);

store_test!(
    fetch_reaches_back_before_the_stored_series_when_asked,
    |db| {
        let actor = admin(&db.store).await;
        fetch(
            &db.store,
            &actor,
            &Vendor::new(),
            MONDAY + 2 * DAY,
            MONDAY + 3 * DAY,
        )
        .await
        .unwrap();
        let vendor = Vendor::new();
        let report = fetch(&db.store, &actor, &vendor, MONDAY, MONDAY + 3 * DAY)
            .await
            .unwrap();
        let first_stored = MONDAY + 2 * DAY + 52_200;
        assert_eq!(
            report.spans,
            vec![
                Span {
                    from: at(MONDAY),
                    to: at(first_stored)
                },
                Span {
                    from: at(MONDAY + 2 * DAY + 75_600),
                    to: at(MONDAY + 3 * DAY)
                },
            ]
        );
        assert_eq!(report.inserted, 780);
        assert_eq!(report.unchanged, 0);
    }
);

store_test!(fetch_error_names_the_provider_and_the_field, |db| {
    let actor = admin(&db.store).await;
    let vendor = Vendor::failing(
        vec![1],
        ProviderErrorKind::Malformed {
            field: "bars[3].o".into(),
            message: "expected a number".into(),
        },
    );
    let failure = fetch(&db.store, &actor, &vendor, MONDAY, MONDAY + DAY)
        .await
        .unwrap_err();
    let text = failure.to_string();
    assert!(text.contains("testvendor"), "{text}");
    assert!(text.contains("bars[3].o"), "{text}");
    assert!(text.contains("SPY"), "{text}");
    assert_eq!(failure.done.inserted, 0);
});

store_test!(fetch_for_a_user_keeps_the_bars_private, |db| {
    let user = common::owner(&db.store, "user@fetch.test").await;
    let report = fetch(&db.store, &user, &Vendor::new(), MONDAY, MONDAY + DAY)
        .await
        .unwrap();
    assert_eq!(report.inserted, 390);
    let shared = db
        .store
        .bars()
        .load(&spy(), Timeframe::MINUTE, None, None)
        .await
        .unwrap();
    assert!(shared.is_empty());
    let mine = db
        .store
        .bars()
        .load_for(user.id, &spy(), Timeframe::MINUTE, None, None)
        .await
        .unwrap();
    assert_eq!(mine.len(), 390);
});

store_test!(
    fetch_through_a_chain_fails_over_to_the_next_provider,
    |db| {
        use std::sync::Arc;
        use tradelab_providers::breaker::BreakerSettings;
        use tradelab_providers::chain::{ChainMember, ChainNotice, ProviderChain};
        let actor = admin(&db.store).await;
        let down = Arc::new(Vendor::failing(
            vec![1, 2, 3],
            ProviderErrorKind::Timeout(std::time::Duration::from_secs(15)),
        ));
        let up = Arc::new(Vendor::new());
        let chain = ProviderChain::new(
            "stock",
            vec![
                ChainMember {
                    provider: down.clone(),
                    kind: "test".into(),
                },
                ChainMember {
                    provider: up.clone(),
                    kind: "test".into(),
                },
            ],
            BreakerSettings {
                failures: 2,
                cooldown: std::time::Duration::from_secs(600),
            },
        );
        let mut notices = chain.subscribe();
        let mut ignore = |_: FetchProgress<'_>| {};
        let report = fetch_symbol(
            &db.store,
            &actor,
            &chain,
            &spy(),
            Timeframe::MINUTE,
            at(MONDAY),
            at(MONDAY + 3 * DAY),
            &mut ignore,
        )
        .await
        .unwrap();
        assert_eq!(report.inserted, 1_170);
        assert_eq!(down.requests().len(), 2, "skipped once its breaker opened");
        assert_eq!(up.requests().len(), 3);
        let opened = std::iter::from_fn(|| notices.try_recv().ok())
            .any(|n| matches!(n, ChainNotice::Transition(t) if t.provider == "testvendor"));
        assert!(opened, "the breaker's opening was reported");
    }
);
