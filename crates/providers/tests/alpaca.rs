//! The Alpaca adapter against a local server speaking Alpaca Market Data v2: REST bars
//! with `next_page_token` paging, the latest bar and errors (the stream: `alpaca_stream.rs`).

mod common_ap;

use common_ap::{
    Reply, RestServer, alpaca_credentials, alpaca_settings, invalid_field, malformed_field,
    quick_http, ts,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tradelab_core::{Symbol, Timeframe};
use tradelab_providers::alpaca::AlpacaProvider;
use tradelab_providers::config::Credentials;
use tradelab_providers::{AssetClass, BarRequest, Provider, ProviderErrorKind};

fn alpaca(base: &str) -> AlpacaProvider {
    AlpacaProvider::new(
        &alpaca_settings(base, None),
        alpaca_credentials(),
        quick_http(),
    )
    .unwrap()
}

fn bar(t: &str, o: f64, h: f64, l: f64, c: f64, v: u64) -> Value {
    json!({"t": t, "o": o, "h": h, "l": l, "c": c, "v": v, "n": 12, "vw": (h + l) / 2.0})
}

fn page(bars: Vec<Value>, next: Option<&str>) -> Value {
    json!({"bars": bars, "symbol": "AAPL", "next_page_token": next})
}

fn minutes(from: &str, to: &str) -> BarRequest {
    BarRequest {
        symbol: Symbol::new("AAPL").unwrap(),
        timeframe: Timeframe::MINUTE,
        from: ts(from),
        to: ts(to),
    }
}

fn one_page_of_one_bar() -> Reply {
    Reply::ok(page(
        vec![bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100)],
        None,
    ))
}

#[tokio::test]
async fn alpaca_history_follows_next_page_token() {
    let server = RestServer::start().await;
    server.push(Reply::ok(page(
        vec![
            bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            bar("2024-11-29T14:31:00Z", 10.5, 11.5, 10.0, 11.0, 200),
        ],
        Some("QUFQTHwyMDI0"),
    )));
    server.push(Reply::ok(page(
        vec![bar("2024-11-29T14:32:00Z", 11.0, 12.0, 10.5, 11.5, 300)],
        Some("QUFQTHwyMDI1"),
    )));
    server.push(Reply::ok(page(
        vec![bar("2024-11-29T14:33:00Z", 11.5, 12.5, 11.0, 12.0, 400)],
        None,
    )));
    let bars = alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap();
    let times: Vec<_> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        times,
        [
            ts("2024-11-29T14:30:00Z"),
            ts("2024-11-29T14:31:00Z"),
            ts("2024-11-29T14:32:00Z"),
            ts("2024-11-29T14:33:00Z")
        ]
    );
    assert_eq!(bars[2].close(), 11.5);
    assert_eq!(bars[3].volume(), 400.0);

    let received = server.received();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_eq!(r.path, "/v2/stocks/AAPL/bars");
        assert_eq!(r.header("APCA-API-KEY-ID"), Some("AKTESTKEY"));
        assert_eq!(r.header("APCA-API-SECRET-KEY"), Some("SKTESTSECRET"));
        assert_eq!(r.param("timeframe"), Some("1Min"));
        assert_eq!(r.param("start"), Some("2024-11-29T14:30:00Z"));
        // Alpaca's end is inclusive: one second before our exclusive `to`.
        assert_eq!(r.param("end"), Some("2024-11-29T14:39:59Z"));
        assert_eq!(r.param("limit"), Some("10000"));
        assert_eq!(r.param("adjustment"), Some("raw"));
        assert_eq!(r.param("feed"), Some("iex"));
        assert_eq!(r.param("sort"), Some("asc"));
    }
    assert_eq!(received[0].param("page_token"), None);
    assert_eq!(received[1].param("page_token"), Some("QUFQTHwyMDI0"));
    assert_eq!(received[2].param("page_token"), Some("QUFQTHwyMDI1"));
}

#[tokio::test]
async fn alpaca_history_keeps_only_bars_inside_the_range() {
    let server = RestServer::start().await;
    server.push(Reply::ok(page(
        vec![
            bar("2024-11-29T14:29:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            bar("2024-11-29T14:31:00Z", 10.0, 11.0, 9.5, 10.5, 100),
        ],
        None,
    )));
    let bars = alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:31:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].ts(), ts("2024-11-29T14:30:00Z"));
}

#[tokio::test]
async fn alpaca_uses_the_configured_feed_and_timeframe_names() {
    let server = RestServer::start().await;
    server.push(Reply::ok(page(vec![], None)));
    let mut s = alpaca_settings(&server.base, None);
    s.feed = Some("sip".into());
    let provider = AlpacaProvider::new(&s, alpaca_credentials(), quick_http()).unwrap();
    let mut request = minutes("2024-11-29T14:00:00Z", "2024-11-29T18:00:00Z");
    request.timeframe = "1h".parse().unwrap();
    assert!(provider.history(&request).await.unwrap().is_empty());
    let received = server.received();
    assert_eq!(received[0].param("feed"), Some("sip"));
    assert_eq!(received[0].param("timeframe"), Some("1Hour"));
}

#[tokio::test]
async fn alpaca_daily_bars_are_labelled_by_their_new_york_date() {
    let server = RestServer::start().await;
    server.push(Reply::ok(page(
        vec![
            // EDT: New York midnight is 04:00 UTC; EST: 05:00 UTC.
            bar("2024-11-01T04:00:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            bar("2024-11-29T05:00:00Z", 10.5, 11.5, 10.0, 11.0, 200),
        ],
        None,
    )));
    let request = BarRequest {
        symbol: Symbol::new("AAPL").unwrap(),
        timeframe: Timeframe::DAY,
        from: ts("2024-11-01T00:00:00Z"),
        to: ts("2024-11-30T00:00:00Z"),
    };
    let bars = alpaca(&server.base).history(&request).await.unwrap();
    let times: Vec<_> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        times,
        [ts("2024-11-01T00:00:00Z"), ts("2024-11-29T00:00:00Z")]
    );
    let received = server.received();
    assert_eq!(received[0].param("timeframe"), Some("1Day"));
    assert_eq!(received[0].param("start"), Some("2024-11-01T00:00:00Z"));
    assert_eq!(received[0].param("end"), Some("2024-11-29T23:59:59Z"));
}

#[tokio::test]
async fn alpaca_null_bars_are_an_empty_history() {
    let server = RestServer::start().await;
    server.push(Reply::ok(
        json!({"bars": null, "symbol": "AAPL", "next_page_token": null}),
    ));
    let bars = alpaca(&server.base)
        .history(&minutes("2024-11-30T14:30:00Z", "2024-11-30T15:30:00Z"))
        .await
        .unwrap();
    assert!(bars.is_empty());
}

#[tokio::test]
async fn alpaca_waits_as_retry_after_says_on_429_then_succeeds() {
    let server = RestServer::start().await;
    server.push(
        Reply::json(429, json!({"message": "too many requests."})).with_header("Retry-After", "1"),
    );
    server.push(one_page_of_one_bar());
    let started = Instant::now();
    let bars = alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it did not wait"
    );
    assert_eq!(bars.len(), 1);
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn alpaca_retries_a_server_error_then_succeeds() {
    let server = RestServer::start().await;
    server.push(Reply::json(503, json!({"message": "service unavailable"})));
    server.push(one_page_of_one_bar());
    let bars = alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn alpaca_persistent_server_errors_are_a_server_error_after_the_retries() {
    let server = RestServer::start().await;
    for _ in 0..3 {
        server.push(Reply::json(
            500,
            json!({"code": 50010000, "message": "internal server error occurred"}),
        ));
    }
    let err = alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap_err();
    assert_eq!(err.provider, "alpaca");
    assert_eq!(
        err.kind,
        ProviderErrorKind::Server {
            status: 500,
            message: "internal server error occurred".into()
        }
    );
    // The first attempt and quick_http's two retries.
    assert_eq!(server.received().len(), 3);
}

async fn history_error(reply: Reply) -> tradelab_providers::ProviderError {
    let server = RestServer::start().await;
    server.push(reply);
    alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn alpaca_a_price_sent_as_a_string_is_malformed_at_its_field() {
    let mut second = bar("2024-11-29T14:31:00Z", 10.0, 11.0, 9.5, 10.5, 100);
    second["o"] = json!("10.0");
    let err = history_error(Reply::ok(page(
        vec![
            bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            second,
        ],
        None,
    )))
    .await;
    assert_eq!(err.provider, "alpaca");
    assert_eq!(malformed_field(&err), "bars[1].o");
    assert!(
        err.to_string()
            .starts_with("alpaca: malformed payload at bars[1].o")
    );
}

#[tokio::test]
async fn alpaca_a_missing_close_is_malformed_naming_the_bar_and_field() {
    let mut first = bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100);
    first.as_object_mut().unwrap().remove("c");
    let err = history_error(Reply::ok(page(vec![first], None))).await;
    assert_eq!(malformed_field(&err), "bars[0]");
    assert!(err.to_string().contains("missing field `c`"), "{err}");
}

#[tokio::test]
async fn alpaca_an_unreadable_time_is_malformed_at_t() {
    let err = history_error(Reply::ok(page(
        vec![bar("29/11/2024 14:30", 10.0, 11.0, 9.5, 10.5, 100)],
        None,
    )))
    .await;
    assert_eq!(malformed_field(&err), "bars[0].t");
}

#[tokio::test]
async fn alpaca_zero_negative_and_nan_prices_and_high_below_low_are_invalid_bars() {
    let zero = history_error(Reply::ok(page(
        vec![bar("2024-11-29T14:30:00Z", 0.0, 11.0, 9.5, 10.5, 100)],
        None,
    )))
    .await;
    assert_eq!(zero.provider, "alpaca");
    assert_eq!(invalid_field(&zero), "bars[0].open");

    let negative = history_error(Reply::ok(page(
        vec![
            bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            bar("2024-11-29T14:31:00Z", 10.0, 11.0, -9.5, 10.5, 100),
        ],
        None,
    )))
    .await;
    assert_eq!(invalid_field(&negative), "bars[1].low");

    // JSON has no NaN: a vendor writing one sends a payload that does not parse.
    let nan = history_error(Reply::raw(
        200,
        r#"{"bars":[{"t":"2024-11-29T14:30:00Z","o":NaN,"h":11,"l":9.5,"c":10.5,"v":1}],"next_page_token":null}"#,
    ))
    .await;
    assert_eq!(malformed_field(&nan), "bars[0].o");

    let inverted = history_error(Reply::ok(page(
        vec![bar("2024-11-29T14:30:00Z", 10.0, 9.0, 11.0, 10.5, 100)],
        None,
    )))
    .await;
    assert!(matches!(
        invalid_field(&inverted),
        "bars[0].high" | "bars[0].low"
    ));
}

#[tokio::test]
async fn alpaca_bars_out_of_time_order_are_invalid() {
    let err = history_error(Reply::ok(page(
        vec![
            bar("2024-11-29T14:31:00Z", 10.0, 11.0, 9.5, 10.5, 100),
            bar("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100),
        ],
        None,
    )))
    .await;
    assert_eq!(invalid_field(&err), "bars[1].t");
}

#[tokio::test]
async fn alpaca_403_and_401_are_unauthorized_with_the_vendor_message() {
    let err = history_error(Reply::json(403, json!({"message": "forbidden"}))).await;
    assert_eq!(
        err.kind,
        ProviderErrorKind::Unauthorized("forbidden".into())
    );
    let err = history_error(Reply::json(
        401,
        json!({"code": 40110000, "message": "request is not authorized"}),
    ))
    .await;
    assert_eq!(
        err.kind,
        ProviderErrorKind::Unauthorized("request is not authorized".into())
    );
}

#[tokio::test]
async fn alpaca_an_invalid_symbol_is_an_unknown_symbol() {
    let err = history_error(Reply::json(
        422,
        json!({"code": 42210000, "message": "invalid symbol: AAPL"}),
    ))
    .await;
    match err.kind {
        ProviderErrorKind::UnknownSymbol(text) => assert!(text.contains("AAPL"), "{text}"),
        other => panic!("expected UnknownSymbol, got {other:?}"),
    }
}

#[tokio::test]
async fn alpaca_a_bad_parameter_is_rejected_with_the_vendor_message() {
    let err = history_error(Reply::json(
        400,
        json!({"code": 40010001, "message": "end should not be before start"}),
    ))
    .await;
    assert_eq!(
        err.kind,
        ProviderErrorKind::Rejected {
            status: 400,
            message: "end should not be before start".into()
        }
    );
}

#[tokio::test]
async fn alpaca_a_repeated_page_token_is_malformed_not_an_endless_loop() {
    let server = RestServer::start().await;
    server.push(Reply::ok(page(vec![], Some("same"))));
    server.push(Reply::ok(page(vec![], Some("same"))));
    let err = alpaca(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap_err();
    assert_eq!(malformed_field(&err), "next_page_token");
}

#[tokio::test]
async fn alpaca_without_a_secret_is_not_configured() {
    let creds = Credentials {
        key: Some("AKTESTKEY".into()),
        secret: None,
    };
    let err = match AlpacaProvider::new(
        &alpaca_settings("http://127.0.0.1:1", None),
        creds,
        quick_http(),
    ) {
        Err(e) => e,
        Ok(_) => panic!("built without a secret"),
    };
    match err.kind {
        ProviderErrorKind::NotConfigured(text) => assert!(text.contains("APCA_API_SECRET_KEY")),
        other => panic!("expected NotConfigured, got {other:?}"),
    }
}

#[tokio::test]
async fn alpaca_supports_stock_minutes_hours_and_days_only() {
    let provider = alpaca("http://127.0.0.1:1");
    let tf = |s: &str| s.parse::<Timeframe>().unwrap();
    assert!(provider.supports(AssetClass::Stock, tf("1m")));
    assert!(provider.supports(AssetClass::Stock, tf("5m")));
    assert!(provider.supports(AssetClass::Stock, tf("1h")));
    assert!(provider.supports(AssetClass::Stock, tf("1d")));
    assert!(!provider.supports(AssetClass::Stock, tf("90m")));
    assert!(!provider.supports(AssetClass::Crypto, tf("1m")));
    let mut request = minutes("2024-11-29T14:30:00Z", "2024-11-29T18:00:00Z");
    request.timeframe = tf("90m");
    let err = provider.history(&request).await.unwrap_err();
    assert!(
        matches!(err.kind, ProviderErrorKind::Unsupported(_)),
        "{err}"
    );
}

#[tokio::test]
async fn alpaca_latest_minute_bar_comes_from_the_latest_endpoint() {
    let server = RestServer::start().await;
    server.push(Reply::ok(json!({
        "symbol": "AAPL",
        "bar": bar("2024-11-29T20:59:00Z", 10.0, 11.0, 9.5, 10.5, 100)
    })));
    let latest = alpaca(&server.base)
        .latest(&Symbol::new("AAPL").unwrap(), Timeframe::MINUTE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.ts(), ts("2024-11-29T20:59:00Z"));
    let received = server.received();
    assert_eq!(received[0].path, "/v2/stocks/AAPL/bars/latest");
    assert_eq!(received[0].param("feed"), Some("iex"));
    assert_eq!(received[0].header("APCA-API-KEY-ID"), Some("AKTESTKEY"));
}

#[tokio::test]
async fn alpaca_latest_daily_bar_is_the_last_closed_day() {
    let now = jiff::Timestamp::now();
    let day = |days_ago: i64| {
        let t = now - jiff::SignedDuration::from_hours(24 * days_ago);
        let date = t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        format!("{date}T05:00:00Z")
    };
    let server = RestServer::start().await;
    // Today's bar is still forming: it is not closed until its after-hours session ends.
    server.push(Reply::ok(page(
        vec![
            bar(&day(3), 10.0, 11.0, 9.5, 10.5, 100),
            bar(&day(2), 10.5, 11.5, 10.0, 11.0, 200),
            bar(&day(0), 11.0, 12.0, 10.5, 11.5, 300),
        ],
        None,
    )));
    let latest = alpaca(&server.base)
        .latest(&Symbol::new("AAPL").unwrap(), Timeframe::DAY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.volume(), 200.0);
    assert!(latest.ts().is_utc_midnight());
    assert_eq!(server.received()[0].param("timeframe"), Some("1Day"));
}

#[tokio::test]
async fn alpaca_a_symbol_with_a_slash_stays_one_path_segment() {
    let server = RestServer::start().await;
    server.push(Reply::ok(
        json!({"bars": [], "symbol": "BRK/B", "next_page_token": null}),
    ));
    let mut request = minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z");
    request.symbol = Symbol::new("BRK/B").unwrap();
    alpaca(&server.base).history(&request).await.unwrap();
    assert_eq!(server.received()[0].path, "/v2/stocks/BRK%2FB/bars");
}
