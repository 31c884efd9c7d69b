//! The cache in front of a provider: recent bars asked for again are answered from
//! memory (no request reaches the server), `latest` too when the newest cached bar
//! closed last, streamed bars fill the cache, and the cache's bounds hold.

mod common_yb;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use common_yb::{Log, at, quick_http, serve, settings};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_providers::binance::BinanceProvider;
use tradelab_providers::cache::{BarCache, CacheLimits};
use tradelab_providers::config::{Credentials, ProviderKind};
use tradelab_providers::{AssetClass, BarRequest, BarStream, Cached, Provider, ProviderFuture};

const OPEN: &str = "2024-06-03T00:00:00Z";

fn minutes(k: i64) -> Timestamp {
    Timestamp::from_nanos(at(OPEN).nanos() + k * 60_000_000_000)
}

fn kline(open_ms: i64) -> Value {
    let p = 100.0 + ((open_ms / 60_000) % 50) as f64;
    json!([
        open_ms,
        format!("{p:.2}"),
        format!("{:.2}", p + 1.0),
        format!("{:.2}", p - 1.0),
        format!("{:.2}", p + 0.5),
        "10.0",
        open_ms + 59_999,
        "1000.0",
        10,
        "5.0",
        "500.0",
        "0"
    ])
}

/// A Binance klines server with minute klines from [`OPEN`] up to the one in progress
/// at `now`, counting requests.
async fn klines_server(now: &Now) -> (String, Log) {
    let log = Log::default();
    let now = Arc::clone(now);
    let app = Router::new()
        .route(
            "/api/v3/klines",
            get(
                |State((log, now)): State<(Log, Now)>,
                 headers: HeaderMap,
                 Query(q): Query<HashMap<String, String>>| async move {
                    log.record("/api/v3/klines", &q, &headers);
                    let p = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
                    let first = at(OPEN).nanos() / 1_000_000;
                    let current = now.lock().unwrap().nanos() / 60_000_000_000 * 60_000;
                    let end = p("endTime").unwrap_or(current).min(current);
                    let start = p("startTime").unwrap_or(end - 60_000).max(first);
                    let rows: Vec<Value> = (0..)
                        .map(|i| start.div_euclid(60_000) * 60_000 + i * 60_000)
                        .skip_while(|t| *t < start)
                        .take_while(|t| *t <= end)
                        .map(kline)
                        .collect();
                    axum::Json(rows)
                },
            ),
        )
        .with_state((log.clone(), now));
    (serve(app).await, log)
}

type Now = Arc<Mutex<Timestamp>>;

fn cached(base: &str, now: &Now, limits: CacheLimits) -> Cached<BinanceProvider> {
    let clock = Arc::clone(now);
    let provider = BinanceProvider::new(
        &settings(ProviderKind::Binance, base, None),
        Credentials::default(),
        quick_http(),
    )
    .unwrap()
    .with_clock(move || *clock.lock().unwrap());
    let clock = Arc::clone(now);
    Cached::new(Arc::new(provider), Arc::new(BarCache::new(limits)))
        .with_clock(Arc::new(move || *clock.lock().unwrap()))
}

fn request(symbol: &str, from: i64, to: i64) -> BarRequest {
    BarRequest {
        symbol: Symbol::new(symbol).unwrap(),
        timeframe: Timeframe::MINUTE,
        from: minutes(from),
        to: minutes(to),
    }
}

#[tokio::test]
async fn recent_bars_asked_for_again_are_answered_without_a_request() {
    let now: Now = Arc::new(Mutex::new(minutes(60)));
    let (base, log) = klines_server(&now).await;
    let provider = cached(&base, &now, CacheLimits::default());

    let first = provider.history(&request("BTCUSDT", 0, 30)).await.unwrap();
    assert_eq!(first.len(), 30);
    assert_eq!(log.seen().len(), 1);

    let again = provider.history(&request("BTCUSDT", 0, 30)).await.unwrap();
    assert_eq!(again, first);
    let inside = provider.history(&request("BTCUSDT", 10, 20)).await.unwrap();
    assert_eq!(inside, first[10..20].to_vec());
    assert_eq!(log.seen().len(), 1, "both answered from memory");

    let beyond = provider.history(&request("BTCUSDT", 20, 40)).await.unwrap();
    assert_eq!(beyond.len(), 20);
    assert_eq!(log.seen().len(), 2, "bars the cache lacks go to the server");
    let joined = provider.history(&request("BTCUSDT", 0, 40)).await.unwrap();
    assert_eq!(joined.len(), 40);
    assert_eq!(log.seen().len(), 2, "the two answers make one span held");
    let other = provider.history(&request("ETHUSDT", 0, 30)).await.unwrap();
    assert_eq!(other.len(), 30);
    assert_eq!(log.seen().len(), 3, "another symbol is another series");
}

#[tokio::test]
async fn an_answer_covers_only_up_to_its_last_bar() {
    // At 00:10:30, minutes 0–9 have closed: a request up to 00:20 gets ten bars.
    let now: Now = Arc::new(Mutex::new(Timestamp::from_nanos(
        minutes(10).nanos() + 30_000_000_000,
    )));
    let (base, log) = klines_server(&now).await;
    let provider = cached(&base, &now, CacheLimits::default());
    assert_eq!(
        provider
            .history(&request("BTCUSDT", 0, 20))
            .await
            .unwrap()
            .len(),
        10
    );
    *now.lock().unwrap() = minutes(20);
    assert_eq!(
        provider
            .history(&request("BTCUSDT", 0, 20))
            .await
            .unwrap()
            .len(),
        20,
        "bars published since are not hidden by the cache"
    );
    assert_eq!(log.seen().len(), 2);
}

#[tokio::test]
async fn latest_comes_from_memory_while_the_newest_cached_bar_is_the_last_closed() {
    let now: Now = Arc::new(Mutex::new(minutes(30)));
    let (base, log) = klines_server(&now).await;
    let provider = cached(&base, &now, CacheLimits::default());
    let symbol = Symbol::new("BTCUSDT").unwrap();
    provider.history(&request("BTCUSDT", 0, 30)).await.unwrap();
    assert_eq!(log.seen().len(), 1);

    let latest = provider.latest(&symbol, Timeframe::MINUTE).await.unwrap();
    assert_eq!(latest.map(|b| b.ts()), Some(minutes(29)));
    assert_eq!(log.seen().len(), 1, "minute 29 closed last: from memory");

    *now.lock().unwrap() = minutes(31);
    let latest = provider.latest(&symbol, Timeframe::MINUTE).await.unwrap();
    assert_eq!(latest.map(|b| b.ts()), Some(minutes(30)));
    assert_eq!(log.seen().len(), 2, "minute 30 is not cached: asked for");
    provider.latest(&symbol, Timeframe::MINUTE).await.unwrap();
    assert_eq!(log.seen().len(), 2, "and remembered");
}

#[tokio::test]
async fn the_least_recently_used_series_is_evicted_and_asked_for_again() {
    let now: Now = Arc::new(Mutex::new(minutes(60)));
    let (base, log) = klines_server(&now).await;
    let limits = CacheLimits {
        series: 2,
        bars_per_series: 20,
    };
    let provider = cached(&base, &now, limits);
    for symbol in ["BTCUSDT", "ETHUSDT", "BTCUSDT"] {
        provider.history(&request(symbol, 0, 10)).await.unwrap();
    }
    assert_eq!(log.seen().len(), 2, "BTCUSDT again from memory");
    provider.history(&request("SOLUSDT", 0, 10)).await.unwrap();
    assert_eq!(provider.cache().series_count(), 2, "at most two series");
    provider.history(&request("BTCUSDT", 0, 10)).await.unwrap();
    assert_eq!(log.seen().len(), 3, "BTCUSDT was used last: kept");
    provider.history(&request("ETHUSDT", 0, 10)).await.unwrap();
    assert_eq!(log.seen().len(), 4, "ETHUSDT was evicted: asked for again");

    // At most 20 bars per series: the oldest go, and with them the span they made.
    provider.history(&request("BTCUSDT", 0, 30)).await.unwrap();
    assert_eq!(log.seen().len(), 5);
    let kept = provider
        .cache()
        .recent(&Symbol::new("BTCUSDT").unwrap(), Timeframe::MINUTE, 100);
    assert_eq!(kept.len(), 20);
    assert_eq!(kept[0].ts(), minutes(10));
    provider.history(&request("BTCUSDT", 10, 30)).await.unwrap();
    assert_eq!(log.seen().len(), 5, "the kept bars still answer");
    provider.history(&request("BTCUSDT", 5, 30)).await.unwrap();
    assert_eq!(log.seen().len(), 6, "the dropped ones are asked for");
}

/// A provider streaming minute bars 0–9 of one symbol, counting `history` calls.
struct Streaming {
    histories: Mutex<u32>,
}

fn bar(k: i64) -> Bar {
    Bar::new(minutes(k), 10.0, 11.0, 9.0, 10.5, 1.0).unwrap()
}

impl Provider for Streaming {
    fn name(&self) -> &str {
        "streaming"
    }

    fn supports(&self, _class: AssetClass, _timeframe: Timeframe) -> bool {
        true
    }

    fn history<'a>(&'a self, _request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            *self.histories.lock().unwrap() += 1;
            Ok(Vec::new())
        })
    }

    fn latest<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move { Ok(None) })
    }

    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        let symbol = symbols[0].clone();
        Box::pin(async move {
            let items: Vec<_> = (0..10).map(|k| Ok((symbol.clone(), bar(k)))).collect();
            let stream: BarStream = Box::pin(futures_util::stream::iter(items));
            Ok(stream)
        })
    }
}

#[tokio::test]
async fn streamed_bars_fill_the_cache() {
    let inner = Arc::new(Streaming {
        histories: Mutex::new(0),
    });
    let provider = Cached::new(
        Arc::clone(&inner),
        Arc::new(BarCache::new(CacheLimits::default())),
    )
    .with_clock(Arc::new(|| minutes(10)));
    let symbols = [Symbol::new("AAPL").unwrap()];
    let streamed: Vec<Bar> = provider
        .stream(&symbols, Timeframe::MINUTE)
        .await
        .unwrap()
        .map(|item| item.unwrap().1)
        .collect()
        .await;
    assert_eq!(streamed.len(), 10);
    let bars = provider.history(&request("AAPL", 3, 10)).await.unwrap();
    assert_eq!(bars, streamed[3..].to_vec());
    let latest = provider
        .latest(&symbols[0], Timeframe::MINUTE)
        .await
        .unwrap();
    assert_eq!(latest, Some(bar(9)));
    assert_eq!(*inner.histories.lock().unwrap(), 0, "all from memory");
    provider.history(&request("AAPL", 0, 11)).await.unwrap();
    assert_eq!(
        *inner.histories.lock().unwrap(),
        1,
        "minute 10 was not streamed"
    );
}
