//! The Binance adapter's REST side against a local server speaking Binance's klines
//! protocol (array rows of decimal strings, `startTime` paging, `{"code","msg"}` errors,
//! 429/418 with `Retry-After`); the websocket kline stream in [`stream`].

mod common_yb;
#[path = "binance/stream.rs"]
mod stream;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common_yb::{Log, at, quick_http, serve, settings};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tradelab_core::{Symbol, Timeframe, Timestamp};
use tradelab_providers::binance::BinanceProvider;
use tradelab_providers::config::{Credentials, ProviderKind};
use tradelab_providers::{AssetClass, BarRequest, Provider, ProviderErrorKind};

type Reply = Arc<dyn Fn(usize, &HashMap<String, String>) -> Response + Send + Sync>;

/// A Binance REST server answering call `n` with `reply(n, query)`.
async fn binance(
    reply: impl Fn(usize, &HashMap<String, String>) -> Response + Send + Sync + 'static,
) -> (String, Log) {
    async fn klines(
        State((log, reply)): State<(Log, Reply)>,
        Query(query): Query<HashMap<String, String>>,
        headers: HeaderMap,
    ) -> Response {
        let n = log.record("/api/v3/klines", &query, &headers);
        reply(n, &query)
    }
    let log = Log::default();
    let reply: Reply = Arc::new(reply);
    let app = Router::new()
        .route("/api/v3/klines", get(klines))
        .with_state((log.clone(), reply));
    (serve(app).await, log)
}

fn ms(text: &str) -> i64 {
    at(text).nanos() / 1_000_000
}

fn interval_ms(name: &str) -> i64 {
    match name {
        "1m" => 60_000,
        "5m" => 300_000,
        "1h" => 3_600_000,
        "1d" => 86_400_000,
        other => panic!("the mock has no interval {other}"),
    }
}

/// One kline row in Binance's layout; prices follow the open time.
fn kline(open_ms: i64, interval_ms: i64) -> Value {
    let base = 40_000.0 + ((open_ms / 60_000) % 1000) as f64;
    json!([
        open_ms,
        format!("{:.8}", base),
        format!("{:.8}", base + 5.0),
        format!("{:.8}", base - 5.0),
        format!("{:.8}", base + 1.0),
        "12.34500000",
        open_ms + interval_ms - 1,
        "493800.12345678",
        321,
        "6.10000000",
        "244000.00000000",
        "0"
    ])
}

/// What Binance answers for `query` when klines exist from `listed` up to the one in
/// progress at `now` (open times aligned to the interval): those with open time in
/// `[startTime, endTime]`, at most `limit`; without a start, the last `limit`.
fn klines_reply(query: &HashMap<String, String>, listed: i64, now: i64) -> Response {
    let step = interval_ms(&query["interval"]);
    let limit: usize = query
        .get("limit")
        .map_or(500, |l| l.parse().unwrap())
        .min(1000);
    let last = now.div_euclid(step) * step;
    let rows: Vec<Value> = match query.get("startTime") {
        Some(start) => {
            let start: i64 = start.parse().unwrap();
            let end: i64 = query.get("endTime").map_or(last, |e| e.parse().unwrap());
            let first = (start.max(listed) + step - 1).div_euclid(step) * step;
            (0..)
                .map(|i| first + i * step)
                .take_while(|&t| t <= end && t <= last)
                .take(limit)
                .map(|t| kline(t, step))
                .collect()
        }
        None => (0..limit as i64)
            .rev()
            .map(|i| last - i * step)
            .filter(|&t| t >= listed)
            .map(|t| kline(t, step))
            .collect(),
    };
    axum::Json(rows).into_response()
}

/// The adapter for a server at `base`, its clock at `now`.
fn provider(base: &str, now: Timestamp) -> BinanceProvider {
    BinanceProvider::new(
        &settings(ProviderKind::Binance, base, None),
        Credentials::default(),
        quick_http(),
    )
    .unwrap()
    .with_clock(move || now)
}

fn request(symbol: &str, timeframe: &str, from: &str, to: &str) -> BarRequest {
    BarRequest {
        symbol: Symbol::new(symbol).unwrap(),
        timeframe: timeframe.parse().unwrap(),
        from: at(from),
        to: at(to),
    }
}

fn minutes_after(from: &str, minutes: i64) -> Timestamp {
    Timestamp::from_nanos(at(from).nanos() + minutes * 60_000_000_000)
}

fn kind_of<T: std::fmt::Debug>(
    result: Result<T, tradelab_providers::ProviderError>,
) -> ProviderErrorKind {
    let error = result.unwrap_err();
    assert_eq!(error.provider, "binance");
    error.kind
}

const FROM: &str = "2024-01-01T00:00:00Z";

#[tokio::test]
async fn binance_history_follows_pages_by_last_open_time_plus_one_ms() {
    let listed = ms("2023-01-01T00:00:00Z");
    let now = ms("2024-06-01T00:00:00Z");
    let (base, log) = binance(move |_, q| klines_reply(q, listed, now)).await;
    let mut wanted = request("BTCUSDT", "1m", FROM, FROM);
    wanted.to = minutes_after(FROM, 2500);
    let bars = provider(&base, at("2024-06-01T00:00:00Z"))
        .history(&wanted)
        .await
        .unwrap();
    assert_eq!(bars.len(), 2500);
    for (i, bar) in bars.iter().enumerate() {
        assert_eq!(bar.ts(), minutes_after(FROM, i as i64));
    }
    let first = &bars[0];
    assert_eq!(first.open(), 40_000.0 + ((ms(FROM) / 60_000) % 1000) as f64);
    assert_eq!(first.high(), first.open() + 5.0);
    assert_eq!(first.volume(), 12.345);

    let seen = log.seen();
    let starts: Vec<i64> = seen
        .iter()
        .map(|s| s.query["startTime"].parse().unwrap())
        .collect();
    let from_ms = ms(FROM);
    assert_eq!(
        starts,
        [
            from_ms,
            from_ms + 999 * 60_000 + 1,
            from_ms + 1999 * 60_000 + 1
        ]
    );
    for s in &seen {
        assert_eq!(s.query["symbol"], "BTCUSDT");
        assert_eq!(s.query["interval"], "1m");
        assert_eq!(s.query["limit"], "1000");
        assert_eq!(
            s.query["endTime"],
            (from_ms + 2500 * 60_000 - 1).to_string()
        );
    }
}

#[tokio::test]
async fn binance_history_stops_at_a_short_page_and_leaves_out_the_open_kline() {
    let listed = ms("2023-01-01T00:00:00Z");
    // 30 s into the 1200th minute after FROM: that minute's kline is still open.
    let now = minutes_after(FROM, 1200).nanos() / 1_000_000 + 30_000;
    let (base, log) = binance(move |_, q| klines_reply(q, listed, now)).await;
    let bars = provider(&base, Timestamp::from_nanos(now * 1_000_000))
        .history(&request("BTCUSDT", "1m", FROM, "2024-01-03T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1200);
    assert_eq!(bars.last().unwrap().ts(), minutes_after(FROM, 1199));
    assert_eq!(
        log.seen().len(),
        2,
        "the second page (201 klines) was short"
    );
}

#[tokio::test]
async fn binance_accepts_dashed_and_slashed_pairs() {
    let listed = ms("2023-01-01T00:00:00Z");
    let now = ms("2024-06-01T00:00:00Z");
    let (base, log) = binance(move |_, q| klines_reply(q, listed, now)).await;
    let binance = provider(&base, at("2024-06-01T00:00:00Z"));
    for symbol in ["BTC-USDT", "btc/usdt", "BTCUSDT"] {
        let bars = binance
            .history(&request(symbol, "5m", FROM, "2024-01-01T01:00:00Z"))
            .await
            .unwrap();
        assert_eq!(bars.len(), 12, "{symbol}");
    }
    let pairs: Vec<String> = log
        .seen()
        .iter()
        .map(|s| s.query["symbol"].clone())
        .collect();
    assert_eq!(pairs, ["BTCUSDT", "BTCUSDT", "BTCUSDT"]);
}

#[tokio::test]
async fn binance_daily_klines_are_labelled_midnight_utc() {
    let listed = ms("2023-01-01T00:00:00Z");
    let now = ms("2024-06-01T00:00:00Z");
    let (base, log) = binance(move |_, q| klines_reply(q, listed, now)).await;
    let bars = provider(&base, at("2024-06-01T00:00:00Z"))
        .history(&request(
            "ETHUSDT",
            "1d",
            "2024-01-01T00:00:00Z",
            "2024-01-04T00:00:00Z",
        ))
        .await
        .unwrap();
    let labels: Vec<Timestamp> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        labels,
        ["2024-01-01", "2024-01-02", "2024-01-03"].map(|d| at(&format!("{d}T00:00:00Z")))
    );
    assert_eq!(log.seen()[0].query["interval"], "1d");
}

#[tokio::test]
async fn binance_latest_is_the_last_closed_kline() {
    let listed = ms("2023-01-01T00:00:00Z");
    let now = ms("2024-06-01T12:34:56Z");
    let (base, log) = binance(move |_, q| klines_reply(q, listed, now)).await;
    let bar = provider(&base, at("2024-06-01T12:34:56Z"))
        .latest(&Symbol::new("BTC-USDT").unwrap(), Timeframe::MINUTE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bar.ts(), at("2024-06-01T12:33:00Z"));
    let q = &log.seen()[0].query;
    assert_eq!(q["limit"], "2");
    assert!(!q.contains_key("startTime"));
}

#[tokio::test]
async fn binance_latest_of_a_pair_without_closed_klines_is_none() {
    let now = ms("2024-06-01T12:34:56Z");
    // Listed this minute: only the open kline exists.
    let listed = ms("2024-06-01T12:34:00Z");
    let (base, _) = binance(move |_, q| klines_reply(q, listed, now)).await;
    let latest = provider(&base, at("2024-06-01T12:34:56Z"))
        .latest(&Symbol::new("NEWUSDT").unwrap(), Timeframe::MINUTE)
        .await
        .unwrap();
    assert_eq!(latest, None);
}

#[tokio::test]
async fn binance_invalid_symbol_code_is_an_unknown_symbol() {
    let (base, log) = binance(|_, _| {
        let body = json!({"code": -1121, "msg": "Invalid symbol."});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    })
    .await;
    let kind = kind_of(
        provider(&base, at("2024-06-01T00:00:00Z"))
            .history(&request("NOPE-USDT", "1m", FROM, "2024-01-02T00:00:00Z"))
            .await,
    );
    assert_eq!(kind, ProviderErrorKind::UnknownSymbol("NOPE-USDT".into()));
    assert_eq!(log.seen().len(), 1);
}

#[tokio::test]
async fn binance_other_error_codes_are_rejected_with_the_message() {
    let (base, _) = binance(|_, _| {
        let body = json!({"code": -1100, "msg": "Illegal characters found in parameter 'symbol'."});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    })
    .await;
    let kind = kind_of(
        provider(&base, at("2024-06-01T00:00:00Z"))
            .history(&request("BTCUSDT", "1m", FROM, "2024-01-02T00:00:00Z"))
            .await,
    );
    assert_eq!(
        kind,
        ProviderErrorKind::Rejected {
            status: 400,
            message: "Illegal characters found in parameter 'symbol'.".into()
        }
    );
}

#[tokio::test]
async fn binance_waits_out_retry_after_then_succeeds() {
    let listed = ms("2023-01-01T00:00:00Z");
    let now = ms("2024-06-01T00:00:00Z");
    let (base, log) = binance(move |n, q| {
        if n == 0 {
            let body = json!({"code": -1003, "msg": "Too many requests; current limit is 6000 request weight per 1 MINUTE."});
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], axum::Json(body)).into_response()
        } else {
            klines_reply(q, listed, now)
        }
    })
    .await;
    let bars = provider(&base, at("2024-06-01T00:00:00Z"))
        .history(&request("BTCUSDT", "1h", FROM, "2024-01-02T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 24);
    let seen = log.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].when - seen[0].when >= Duration::from_secs(1));
}

#[tokio::test]
async fn binance_418_ban_is_reported_at_once_and_never_retried() {
    let (base, log) = binance(|_, _| {
        let body =
            json!({"code": -1003, "msg": "Way too many requests; IP banned until 1717243200000."});
        (
            StatusCode::IM_A_TEAPOT,
            [("retry-after", "1")],
            axum::Json(body),
        )
            .into_response()
    })
    .await;
    let kind = kind_of(
        provider(&base, at("2024-06-01T00:00:00Z"))
            .history(&request("BTCUSDT", "1m", FROM, "2024-01-02T00:00:00Z"))
            .await,
    );
    assert_eq!(
        kind,
        ProviderErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert_eq!(
        log.seen().len(),
        1,
        "a ban is not retried, even a short one"
    );
}

#[tokio::test]
async fn binance_retries_a_server_error_then_succeeds() {
    let listed = ms("2023-01-01T00:00:00Z");
    let now = ms("2024-06-01T00:00:00Z");
    let (base, log) = binance(move |n, q| {
        if n == 0 {
            (StatusCode::BAD_GATEWAY, "Bad Gateway").into_response()
        } else {
            klines_reply(q, listed, now)
        }
    })
    .await;
    let bars = provider(&base, at("2024-06-01T00:00:00Z"))
        .history(&request("BTCUSDT", "1h", FROM, "2024-01-02T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 24);
    assert_eq!(log.seen().len(), 2);
}

#[tokio::test]
async fn binance_persistent_server_error_is_reported_after_the_retries() {
    let (base, log) = binance(|_, _| {
        let body = json!({"code": -1001, "msg": "Internal error; unable to process your request. Please try again."});
        (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
    })
    .await;
    let kind = kind_of(
        provider(&base, at("2024-06-01T00:00:00Z"))
            .history(&request("BTCUSDT", "1m", FROM, "2024-01-02T00:00:00Z"))
            .await,
    );
    assert_eq!(
        kind,
        ProviderErrorKind::Server {
            status: 500,
            message: "Internal error; unable to process your request. Please try again.".into()
        }
    );
    assert_eq!(log.seen().len(), 3);
}

#[tokio::test]
async fn binance_401_and_403_are_unauthorized() {
    for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
        let (base, _) = binance(move |_, _| (status, "Forbidden").into_response()).await;
        let kind = kind_of(
            provider(&base, at("2024-06-01T00:00:00Z"))
                .history(&request("BTCUSDT", "1m", FROM, "2024-01-02T00:00:00Z"))
                .await,
        );
        assert!(
            matches!(kind, ProviderErrorKind::Unauthorized(_)),
            "{status}: {kind:?}"
        );
    }
}

/// Three 1m klines from FROM with row 1 changed by `change`; the error's kind.
async fn error_for(change: impl Fn(&mut Vec<Value>) + Send + Sync + 'static) -> ProviderErrorKind {
    let start = ms(FROM);
    let (base, _) = binance(move |_, _| {
        let mut rows: Vec<Value> = (0..3).map(|i| kline(start + i * 60_000, 60_000)).collect();
        change(&mut rows);
        axum::Json(rows).into_response()
    })
    .await;
    kind_of(
        provider(&base, at("2024-06-01T00:00:00Z"))
            .history(&request("BTCUSDT", "1m", FROM, "2024-01-01T00:03:00Z"))
            .await,
    )
}

fn field_of(kind: ProviderErrorKind) -> (&'static str, String) {
    match kind {
        ProviderErrorKind::Malformed { field, .. } => ("malformed", field),
        ProviderErrorKind::InvalidBar { field, .. } => ("invalid", field),
        other => panic!("expected a payload error, got {other:?}"),
    }
}

#[tokio::test]
async fn binance_text_where_a_price_goes_is_malformed_naming_row_and_column() {
    let kind = error_for(|rows| rows[1][2] = json!("abc")).await;
    assert_eq!(field_of(kind), ("malformed", "[1][2] (high)".to_string()));
}

#[tokio::test]
async fn binance_nan_price_is_an_invalid_bar() {
    let kind = error_for(|rows| rows[1][4] = json!("NaN")).await;
    assert_eq!(field_of(kind), ("invalid", "[1][4] (close)".to_string()));
}

#[tokio::test]
async fn binance_zero_or_negative_price_is_an_invalid_bar() {
    let kind = error_for(|rows| rows[1][1] = json!("0.00000000")).await;
    assert_eq!(field_of(kind), ("invalid", "[1][1] (open)".to_string()));
    let kind = error_for(|rows| rows[1][3] = json!("-1.00000000")).await;
    assert_eq!(field_of(kind), ("invalid", "[1][3] (low)".to_string()));
}

#[tokio::test]
async fn binance_negative_volume_is_an_invalid_bar() {
    let kind = error_for(|rows| rows[1][5] = json!("-3.0")).await;
    assert_eq!(field_of(kind), ("invalid", "[1][5] (volume)".to_string()));
}

#[tokio::test]
async fn binance_high_below_low_is_an_invalid_bar() {
    let kind = error_for(|rows| rows[1][2] = json!("1.00000000")).await;
    assert_eq!(field_of(kind), ("invalid", "[1][2] (high)".to_string()));
}

#[tokio::test]
async fn binance_short_row_is_malformed() {
    let kind = error_for(|rows| {
        rows[1].as_array_mut().unwrap().truncate(5);
    })
    .await;
    assert_eq!(field_of(kind), ("malformed", "[1]".to_string()));
}

#[tokio::test]
async fn binance_open_time_that_is_not_whole_milliseconds_is_malformed() {
    let kind = error_for(|rows| rows[1][0] = json!("1704067260000")).await;
    assert_eq!(
        field_of(kind),
        ("malformed", "[1][0] (open time)".to_string())
    );
}

#[tokio::test]
async fn binance_klines_out_of_order_are_an_invalid_bar() {
    let kind = error_for(|rows| rows.swap(0, 1)).await;
    assert_eq!(
        field_of(kind),
        ("invalid", "[1][0] (open time)".to_string())
    );
}

#[tokio::test]
async fn binance_body_that_is_not_rows_is_malformed() {
    let (base, _) = binance(|_, _| axum::Json(json!({"rows": []})).into_response()).await;
    let kind = kind_of(
        provider(&base, at("2024-06-01T00:00:00Z"))
            .history(&request("BTCUSDT", "1m", FROM, "2024-01-01T00:03:00Z"))
            .await,
    );
    assert!(
        matches!(kind, ProviderErrorKind::Malformed { .. }),
        "{kind:?}"
    );
}

#[tokio::test]
async fn binance_serves_crypto_at_its_intervals_only() {
    let (base, log) = binance(|_, _| axum::Json(json!([])).into_response()).await;
    let binance = provider(&base, at("2024-06-01T00:00:00Z"));
    for tf in [
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
    ] {
        assert!(
            binance.supports(AssetClass::Crypto, tf.parse().unwrap()),
            "{tf}"
        );
    }
    for tf in ["1s", "7m", "2d"] {
        assert!(
            !binance.supports(AssetClass::Crypto, tf.parse().unwrap()),
            "{tf}"
        );
    }
    assert!(!binance.supports(AssetClass::Stock, Timeframe::MINUTE));
    let kind = kind_of(
        binance
            .history(&request("BTCUSDT", "7m", FROM, "2024-01-02T00:00:00Z"))
            .await,
    );
    assert!(
        matches!(kind, ProviderErrorKind::Unsupported(_)),
        "{kind:?}"
    );
    let kind = kind_of(
        binance
            .history(&request("BTC.USDT", "1m", FROM, "2024-01-02T00:00:00Z"))
            .await,
    );
    assert_eq!(kind, ProviderErrorKind::UnknownSymbol("BTC.USDT".into()));
    assert!(log.seen().is_empty());
}
