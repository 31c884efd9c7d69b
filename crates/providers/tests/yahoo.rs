//! The Yahoo adapter against a local server speaking Yahoo's chart protocol
//! (`/v8/finance/chart/{symbol}`, parallel quote arrays, `chart.error`).

mod common_yb;
#[path = "yahoo/errors.rs"]
mod errors;
#[path = "yahoo/payloads.rs"]
mod payloads;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common_yb::{Log, at, quick_http, serve, settings};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tradelab_core::{Symbol, Timeframe, Timestamp};
use tradelab_providers::config::{Credentials, ProviderKind};
use tradelab_providers::yahoo::YahooProvider;
use tradelab_providers::{AssetClass, BarRequest, Provider, ProviderErrorKind};

type Reply = Arc<dyn Fn(usize, &str) -> Response + Send + Sync>;

/// A Yahoo chart server answering call `n` for `symbol` with `reply(n, symbol)`.
async fn yahoo(reply: impl Fn(usize, &str) -> Response + Send + Sync + 'static) -> (String, Log) {
    async fn chart(
        State((log, reply)): State<(Log, Reply)>,
        Path(symbol): Path<String>,
        Query(query): Query<HashMap<String, String>>,
        headers: HeaderMap,
    ) -> Response {
        let n = log.record(&symbol, &query, &headers);
        reply(n, &symbol)
    }
    let log = Log::default();
    let reply: Reply = Arc::new(reply);
    let app = Router::new()
        .route("/v8/finance/chart/{symbol}", get(chart))
        .with_state((log.clone(), reply));
    (serve(app).await, log)
}

/// The adapter for a server at `base`, its clock at `now`.
fn provider(base: &str, now: &str) -> YahooProvider {
    let now = at(now);
    YahooProvider::new(
        &settings(ProviderKind::Yahoo, base, None),
        Credentials::default(),
        quick_http(),
    )
    .unwrap()
    .with_clock(move || now)
}

fn secs(text: &str) -> i64 {
    at(text).nanos() / 1_000_000_000
}

/// A chart body in Yahoo's shape: rows of (time, [open, high, low, close, volume]).
fn chart(tz: &str, rows: &[(&str, [Option<f64>; 5])]) -> Value {
    let column = |k: usize| rows.iter().map(|(_, v)| v[k]).collect::<Vec<_>>();
    json!({"chart": {"result": [{
        "meta": {"currency": "USD", "symbol": "AAPL", "exchangeName": "NMS",
                 "instrumentType": "EQUITY", "exchangeTimezoneName": tz,
                 "timezone": "EST", "gmtoffset": -18000, "regularMarketPrice": 237.33},
        "timestamp": rows.iter().map(|(t, _)| secs(t)).collect::<Vec<_>>(),
        "indicators": {
            "quote": [{"open": column(0), "high": column(1), "low": column(2),
                       "close": column(3), "volume": column(4)}],
            "adjclose": [{"adjclose": column(3)}]
        }
    }], "error": null}})
}

fn row(t: &'static str, close: f64) -> (&'static str, [Option<f64>; 5]) {
    (
        t,
        [
            Some(close - 1.0),
            Some(close + 2.0),
            Some(close - 2.0),
            Some(close),
            Some(1_000_000.0),
        ],
    )
}

/// Thanksgiving week 2024 in New York: the 28th is a holiday, the 29th closes at 13:00.
fn thanksgiving_week() -> Value {
    chart(
        "America/New_York",
        &[
            row("2024-11-25T14:30:00Z", 230.0),
            row("2024-11-26T14:30:00Z", 231.0),
            row("2024-11-27T14:30:00Z", 232.0),
            row("2024-11-29T14:30:00Z", 233.0),
        ],
    )
}

fn ok(body: Value) -> Response {
    axum::Json(body).into_response()
}

fn request(symbol: &str, from: &str, to: &str) -> BarRequest {
    BarRequest {
        symbol: Symbol::new(symbol).unwrap(),
        timeframe: Timeframe::DAY,
        from: at(from),
        to: at(to),
    }
}

fn kind_of<T: std::fmt::Debug>(
    result: Result<T, tradelab_providers::ProviderError>,
) -> ProviderErrorKind {
    let error = result.unwrap_err();
    assert_eq!(error.provider, "yahoo");
    error.kind
}

fn malformed_field(kind: ProviderErrorKind) -> String {
    match kind {
        ProviderErrorKind::Malformed { field, .. } => field,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn invalid_field(kind: ProviderErrorKind) -> String {
    match kind {
        ProviderErrorKind::InvalidBar { field, .. } => field,
        other => panic!("expected InvalidBar, got {other:?}"),
    }
}

#[tokio::test]
async fn yahoo_history_labels_daily_bars_by_midnight_utc_of_the_new_york_date() {
    let (base, log) = yahoo(|_, _| ok(thanksgiving_week())).await;
    let yahoo = provider(&base, "2024-12-02T12:00:00Z");
    let bars = yahoo
        .history(&request(
            "AAPL",
            "2024-11-25T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ))
        .await
        .unwrap();
    let labels: Vec<Timestamp> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        labels,
        ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29"]
            .map(|d| at(&format!("{d}T00:00:00Z")))
    );
    assert_eq!(bars[3].close(), 233.0);
    assert_eq!(bars[3].high(), 235.0);
    assert_eq!(bars[3].volume(), 1_000_000.0);

    let seen = log.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "AAPL");
    let q = &seen[0].query;
    assert_eq!(q["interval"], "1d");
    assert_eq!(q["includePrePost"], "false");
    assert_eq!(q["events"], "div,splits");
    // The period is widened by a day each side, in Unix seconds.
    assert_eq!(q["period1"], secs("2024-11-24T00:00:00Z").to_string());
    assert_eq!(q["period2"], secs("2024-12-01T00:00:00Z").to_string());
    let agent = seen[0].user_agent.as_deref().unwrap();
    assert!(agent.starts_with("Mozilla/5.0"), "user agent {agent}");
}

#[tokio::test]
async fn yahoo_history_dates_bars_on_the_exchange_clock_east_of_utc() {
    // Tokyo's daily bars are stamped at local midnight, 15:00 UTC the day before.
    let body = chart(
        "Asia/Tokyo",
        &[
            row("2024-11-24T15:00:00Z", 2500.0),
            row("2024-11-25T15:00:00Z", 2510.0),
        ],
    );
    let (base, _) = yahoo(move |_, _| ok(body.clone())).await;
    let yahoo = provider(&base, "2024-12-02T12:00:00Z");
    let bars = yahoo
        .history(&request(
            "7203.T",
            "2024-11-25T00:00:00Z",
            "2024-11-27T00:00:00Z",
        ))
        .await
        .unwrap();
    let labels: Vec<Timestamp> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        labels,
        [at("2024-11-25T00:00:00Z"), at("2024-11-26T00:00:00Z")]
    );
}

#[tokio::test]
async fn yahoo_history_keeps_only_dates_inside_the_request() {
    let (base, _) = yahoo(|_, _| ok(thanksgiving_week())).await;
    let yahoo = provider(&base, "2024-12-02T12:00:00Z");
    let bars = yahoo
        .history(&request(
            "AAPL",
            "2024-11-26T00:00:00Z",
            "2024-11-27T00:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].ts(), at("2024-11-26T00:00:00Z"));
}

#[tokio::test]
async fn yahoo_history_drops_rows_whose_prices_are_all_null() {
    let mut rows = vec![row("2024-11-25T14:30:00Z", 230.0)];
    rows.push(("2024-11-26T14:30:00Z", [None, None, None, None, None]));
    rows.push(row("2024-11-27T14:30:00Z", 232.0));
    let body = chart("America/New_York", &rows);
    let (base, _) = yahoo(move |_, _| ok(body.clone())).await;
    let bars = provider(&base, "2024-12-02T12:00:00Z")
        .history(&request(
            "AAPL",
            "2024-11-25T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ))
        .await
        .unwrap();
    let labels: Vec<Timestamp> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        labels,
        [at("2024-11-25T00:00:00Z"), at("2024-11-27T00:00:00Z")]
    );
}

#[tokio::test]
async fn yahoo_history_of_a_period_without_bars_is_empty() {
    // Yahoo leaves out `timestamp` and sends an empty quote when nothing traded.
    let body = json!({"chart": {"result": [{
        "meta": {"symbol": "AAPL", "exchangeTimezoneName": "America/New_York"},
        "indicators": {"quote": [{}], "adjclose": [{}]}
    }], "error": null}});
    let (base, _) = yahoo(move |_, _| ok(body.clone())).await;
    let bars = provider(&base, "2024-12-02T12:00:00Z")
        .history(&request(
            "AAPL",
            "2024-11-30T00:00:00Z",
            "2024-12-02T00:00:00Z",
        ))
        .await
        .unwrap();
    assert!(bars.is_empty());
}

#[tokio::test]
async fn yahoo_latest_leaves_out_the_day_whose_session_is_still_open() {
    let (base, _) = yahoo(|_, _| ok(thanksgiving_week())).await;
    let aapl = Symbol::new("AAPL").unwrap();
    // 12:00 in New York on the 29th: the early close (13:00) is an hour away; the 28th
    // was Thanksgiving, so the last closed day is the 27th.
    let before_close = provider(&base, "2024-11-29T17:00:00Z");
    let bar = before_close
        .latest(&aapl, Timeframe::DAY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bar.ts(), at("2024-11-27T00:00:00Z"));
    let history = before_close
        .history(&request(
            "AAPL",
            "2024-11-25T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().ts(), at("2024-11-27T00:00:00Z"));
    // 13:00 in New York: the early close has passed.
    let after_close = provider(&base, "2024-11-29T18:00:00Z");
    let bar = after_close
        .latest(&aapl, Timeframe::DAY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bar.ts(), at("2024-11-29T00:00:00Z"));
    assert_eq!(bar.close(), 233.0);
}

#[tokio::test]
async fn yahoo_latest_asks_for_the_last_two_weeks() {
    let (base, log) = yahoo(|_, _| ok(thanksgiving_week())).await;
    provider(&base, "2024-12-02T12:00:00Z")
        .latest(&Symbol::new("AAPL").unwrap(), Timeframe::DAY)
        .await
        .unwrap();
    let q = &log.seen()[0].query;
    assert_eq!(q["period1"], secs("2024-11-17T00:00:00Z").to_string());
    assert_eq!(q["period2"], secs("2024-12-04T00:00:00Z").to_string());
}

#[tokio::test]
async fn yahoo_escapes_the_symbol_in_the_path() {
    let (base, log) = yahoo(|_, _| ok(thanksgiving_week())).await;
    provider(&base, "2024-12-02T12:00:00Z")
        .history(&request(
            "^GSPC",
            "2024-11-25T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(log.seen()[0].path, "^GSPC");
}

#[tokio::test]
async fn yahoo_serves_daily_stock_bars_only() {
    let (base, log) = yahoo(|_, _| ok(thanksgiving_week())).await;
    let yahoo = provider(&base, "2024-12-02T12:00:00Z");
    assert!(yahoo.supports(AssetClass::Stock, Timeframe::DAY));
    assert!(!yahoo.supports(AssetClass::Stock, Timeframe::MINUTE));
    assert!(!yahoo.supports(AssetClass::Crypto, Timeframe::DAY));
    let mut minute = request("AAPL", "2024-11-25T00:00:00Z", "2024-11-30T00:00:00Z");
    minute.timeframe = Timeframe::MINUTE;
    assert!(matches!(
        kind_of(yahoo.history(&minute).await),
        ProviderErrorKind::Unsupported(_)
    ));
    assert!(log.seen().is_empty());
}
