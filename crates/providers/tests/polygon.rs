//! The Polygon adapter against a local server speaking Polygon's aggregates API:
//! `next_url` paging with the bearer key, absent `results`, status bodies, errors.

mod common_ap;

use common_ap::{Reply, RestServer, invalid_field, malformed_field, quick_http, ts};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tradelab_core::{Symbol, Timeframe, Timestamp};
use tradelab_providers::config::{Credentials, ProviderKind, ProviderSettings};
use tradelab_providers::polygon::PolygonProvider;
use tradelab_providers::{AssetClass, BarRequest, Provider, ProviderError, ProviderErrorKind};

fn polygon(base: &str) -> PolygonProvider {
    let mut settings = ProviderSettings::public(ProviderKind::Polygon);
    settings.base_url = Some(base.to_string());
    let credentials = Credentials {
        key: Some("PGTESTKEY".into()),
        secret: None,
    };
    PolygonProvider::new(&settings, credentials, quick_http()).unwrap()
}

fn ms(t: &str) -> i64 {
    ts(t).nanos() / 1_000_000
}

fn agg(t: &str, o: f64, h: f64, l: f64, c: f64, v: f64) -> Value {
    json!({"v": v, "vw": (h + l) / 2.0, "o": o, "c": c, "h": h, "l": l, "t": ms(t), "n": 42})
}

fn envelope(results: Vec<Value>, next_url: Option<String>) -> Value {
    let mut body = json!({
        "ticker": "AAPL",
        "queryCount": results.len(),
        "resultsCount": results.len(),
        "adjusted": true,
        "results": results,
        "status": "OK",
        "request_id": "6a7e466379af0a71039d60cc78e72282",
        "count": 0,
    });
    if let Some(next) = next_url {
        body["next_url"] = json!(next);
    }
    body
}

fn minutes(from: &str, to: &str) -> BarRequest {
    BarRequest {
        symbol: Symbol::new("AAPL").unwrap(),
        timeframe: Timeframe::MINUTE,
        from: ts(from),
        to: ts(to),
    }
}

fn one_bar() -> Reply {
    Reply::ok(envelope(
        vec![agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100.0)],
        None,
    ))
}

async fn history_error(reply: Reply) -> ProviderError {
    let server = RestServer::start().await;
    server.push(reply);
    polygon(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn polygon_history_follows_next_url_with_the_bearer_key() {
    let server = RestServer::start().await;
    let path = format!(
        "/v2/aggs/ticker/AAPL/range/1/minute/{}/{}",
        ms("2024-11-29T14:30:00Z"),
        ms("2024-11-29T14:40:00Z") - 1
    );
    server.push(Reply::ok(envelope(
        vec![
            agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100.0),
            agg("2024-11-29T14:31:00Z", 10.5, 11.5, 10.0, 11.0, 200.5),
        ],
        Some(format!(
            "{}{path}?cursor=bGltaXQ9MiZzb3J0PWFzYw",
            server.base
        )),
    )));
    server.push(Reply::ok(envelope(
        vec![agg("2024-11-29T14:32:00Z", 11.0, 12.0, 10.5, 11.5, 300.0)],
        Some(format!("{}{path}?cursor=c2Vjb25kcGFnZQ", server.base)),
    )));
    server.push(Reply::ok(envelope(
        vec![agg("2024-11-29T14:33:00Z", 11.5, 12.5, 11.0, 12.0, 400.0)],
        None,
    )));
    let bars = polygon(&server.base)
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
    assert_eq!(bars[1].volume(), 200.5);
    assert_eq!(bars[3].close(), 12.0);

    let received = server.received();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_eq!(r.path, path);
        assert_eq!(r.header("authorization"), Some("Bearer PGTESTKEY"));
    }
    assert_eq!(received[0].param("adjusted"), Some("true"));
    assert_eq!(received[0].param("sort"), Some("asc"));
    assert_eq!(received[0].param("limit"), Some("50000"));
    // next_url is followed as given: its own query, nothing added.
    assert_eq!(received[1].raw_query, "cursor=bGltaXQ9MiZzb3J0PWFzYw");
    assert_eq!(received[2].raw_query, "cursor=c2Vjb25kcGFnZQ");
}

#[tokio::test]
async fn polygon_absent_results_are_an_empty_history() {
    let server = RestServer::start().await;
    server.push(Reply::ok(json!({
        "ticker": "AAPL", "queryCount": 0, "resultsCount": 0, "adjusted": true,
        "status": "OK", "request_id": "b5b4e4d7", "count": 0
    })));
    let bars = polygon(&server.base)
        .history(&minutes("2024-11-30T14:30:00Z", "2024-11-30T15:30:00Z"))
        .await
        .unwrap();
    assert!(bars.is_empty());
}

#[tokio::test]
async fn polygon_delayed_status_is_data() {
    let mut body = envelope(
        vec![agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100.0)],
        None,
    );
    body["status"] = json!("DELAYED");
    let server = RestServer::start().await;
    server.push(Reply::ok(body));
    let bars = polygon(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1);
}

#[tokio::test]
async fn polygon_daily_bars_are_labelled_by_their_new_york_date() {
    let server = RestServer::start().await;
    server.push(Reply::ok(envelope(
        vec![
            agg("2024-11-01T04:00:00Z", 10.0, 11.0, 9.5, 10.5, 100.0),
            agg("2024-11-29T05:00:00Z", 10.5, 11.5, 10.0, 11.0, 200.0),
        ],
        None,
    )));
    let request = BarRequest {
        symbol: Symbol::new("AAPL").unwrap(),
        timeframe: Timeframe::DAY,
        from: ts("2024-11-01T00:00:00Z"),
        to: ts("2024-11-30T00:00:00Z"),
    };
    let bars = polygon(&server.base).history(&request).await.unwrap();
    let times: Vec<_> = bars.iter().map(|b| b.ts()).collect();
    assert_eq!(
        times,
        [ts("2024-11-01T00:00:00Z"), ts("2024-11-29T00:00:00Z")]
    );
    assert!(
        server.received()[0]
            .path
            .starts_with("/v2/aggs/ticker/AAPL/range/1/day/")
    );
}

#[tokio::test]
async fn polygon_hours_use_the_hour_timespan() {
    let server = RestServer::start().await;
    server.push(Reply::ok(envelope(vec![], None)));
    let mut request = minutes("2024-11-29T14:00:00Z", "2024-11-29T18:00:00Z");
    request.timeframe = "2h".parse().unwrap();
    polygon(&server.base).history(&request).await.unwrap();
    assert!(
        server.received()[0]
            .path
            .starts_with("/v2/aggs/ticker/AAPL/range/2/hour/")
    );
}

#[tokio::test]
async fn polygon_waits_as_retry_after_says_on_429_then_succeeds() {
    let server = RestServer::start().await;
    server.push(
        Reply::json(
            429,
            json!({"status": "ERROR", "request_id": "x", "error": "You've exceeded the maximum requests per minute."}),
        )
        .with_header("Retry-After", "1"),
    );
    server.push(one_bar());
    let started = Instant::now();
    let bars = polygon(&server.base)
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
async fn polygon_retries_a_server_error_then_succeeds() {
    let server = RestServer::start().await;
    server.push(Reply::raw(502, "<html>Bad Gateway</html>"));
    server.push(one_bar());
    let bars = polygon(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn polygon_persistent_server_errors_are_a_server_error_after_the_retries() {
    let server = RestServer::start().await;
    for _ in 0..3 {
        server.push(Reply::json(
            500,
            json!({"status": "ERROR", "request_id": "r", "error": "Internal server error"}),
        ));
    }
    let err = polygon(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap_err();
    assert_eq!(err.provider, "polygon");
    assert_eq!(
        err.kind,
        ProviderErrorKind::Server {
            status: 500,
            message: "Internal server error".into()
        }
    );
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn polygon_not_authorized_is_unauthorized_with_the_vendor_message() {
    let message = "Your plan doesn't include this data timeframe. Please upgrade your plan.";
    let err = history_error(Reply::json(
        403,
        json!({"status": "NOT_AUTHORIZED", "request_id": "r", "message": message}),
    ))
    .await;
    assert_eq!(err.kind, ProviderErrorKind::Unauthorized(message.into()));

    let err = history_error(Reply::json(
        401,
        json!({"status": "ERROR", "request_id": "r", "error": "Unknown API Key"}),
    ))
    .await;
    assert_eq!(
        err.kind,
        ProviderErrorKind::Unauthorized("Unknown API Key".into())
    );

    // The same status in a 200 body.
    let err = history_error(Reply::ok(
        json!({"status": "NOT_AUTHORIZED", "request_id": "r", "message": message}),
    ))
    .await;
    assert_eq!(err.kind, ProviderErrorKind::Unauthorized(message.into()));
}

#[tokio::test]
async fn polygon_error_status_is_rejected_with_the_vendor_message() {
    let err = history_error(Reply::ok(
        json!({"status": "ERROR", "request_id": "r", "error": "Could not parse the time parameter: 'from'."}),
    ))
    .await;
    match err.kind {
        ProviderErrorKind::Rejected { message, .. } => {
            assert!(
                message.contains("Could not parse the time parameter"),
                "{message}"
            )
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    let err = history_error(Reply::json(
        400,
        json!({"status": "ERROR", "request_id": "r", "error": "Could not parse the time parameter: 'from'."}),
    ))
    .await;
    assert!(matches!(
        err.kind,
        ProviderErrorKind::Rejected { status: 400, .. }
    ));
}

#[tokio::test]
async fn polygon_an_unknown_ticker_is_an_unknown_symbol() {
    let err = history_error(Reply::json(
        404,
        json!({"status": "NOT_FOUND", "request_id": "r", "message": "Ticker not found."}),
    ))
    .await;
    match err.kind {
        ProviderErrorKind::UnknownSymbol(text) => assert!(text.contains("AAPL"), "{text}"),
        other => panic!("expected UnknownSymbol, got {other:?}"),
    }
}

#[tokio::test]
async fn polygon_malformed_aggregates_name_the_field() {
    let mut bad = agg("2024-11-29T14:31:00Z", 10.0, 11.0, 9.5, 10.5, 100.0);
    bad["c"] = json!("10.5");
    let err = history_error(Reply::ok(envelope(
        vec![
            agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100.0),
            bad,
        ],
        None,
    )))
    .await;
    assert_eq!(err.provider, "polygon");
    assert_eq!(malformed_field(&err), "results[1].c");

    let mut missing = agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100.0);
    missing.as_object_mut().unwrap().remove("t");
    let err = history_error(Reply::ok(envelope(vec![missing], None))).await;
    assert_eq!(malformed_field(&err), "results[0]");
    assert!(err.to_string().contains("missing field `t`"), "{err}");

    let err = history_error(Reply::raw(
        200,
        r#"{"status":"OK","results":[{"t":1732890600000,"o":10,"h":NaN,"l":9,"c":10,"v":1}]}"#,
    ))
    .await;
    assert_eq!(malformed_field(&err), "results[0].h");
}

#[tokio::test]
async fn polygon_impossible_bars_are_invalid_at_their_field() {
    let zero = history_error(Reply::ok(envelope(
        vec![agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 0.0, 100.0)],
        None,
    )))
    .await;
    assert_eq!(invalid_field(&zero), "results[0].close");

    let negative_volume = history_error(Reply::ok(envelope(
        vec![agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, -1.0)],
        None,
    )))
    .await;
    assert_eq!(invalid_field(&negative_volume), "results[0].volume");

    let inverted = history_error(Reply::ok(envelope(
        vec![agg("2024-11-29T14:30:00Z", 10.0, 9.0, 11.0, 10.5, 100.0)],
        None,
    )))
    .await;
    assert!(matches!(
        invalid_field(&inverted),
        "results[0].high" | "results[0].low"
    ));
}

#[tokio::test]
async fn polygon_does_not_send_the_key_to_another_host() {
    let server = RestServer::start().await;
    server.push(Reply::ok(envelope(
        vec![agg("2024-11-29T14:30:00Z", 10.0, 11.0, 9.5, 10.5, 100.0)],
        Some("https://elsewhere.example/v2/aggs?cursor=abc".into()),
    )));
    let err = polygon(&server.base)
        .history(&minutes("2024-11-29T14:30:00Z", "2024-11-29T14:40:00Z"))
        .await
        .unwrap_err();
    assert_eq!(malformed_field(&err), "next_url");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn polygon_latest_is_the_last_closed_bar() {
    let now = Timestamp::from_jiff(jiff::Timestamp::now()).unwrap();
    let minute = Timeframe::MINUTE.floor(now);
    let at =
        |minutes_ago: i64| Timestamp::from_nanos(minute.nanos() - minutes_ago * 60_000_000_000);
    let row = |t: Timestamp, c: f64| json!({"v": 10.0, "o": c, "c": c, "h": c + 1.0, "l": c - 1.0, "t": t.nanos() / 1_000_000, "n": 1});
    let server = RestServer::start().await;
    // The bar of the current minute is still forming.
    server.push(Reply::ok(envelope(
        vec![row(at(2), 10.0), row(at(1), 11.0), row(at(0), 12.0)],
        None,
    )));
    let latest = polygon(&server.base)
        .latest(&Symbol::new("AAPL").unwrap(), Timeframe::MINUTE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.ts(), at(1));
    assert_eq!(latest.close(), 11.0);
    assert!(
        server.received()[0]
            .path
            .starts_with("/v2/aggs/ticker/AAPL/range/1/minute/")
    );
}

#[tokio::test]
async fn polygon_without_a_key_is_not_configured() {
    let settings = ProviderSettings::public(ProviderKind::Polygon);
    let err = match PolygonProvider::new(&settings, Credentials::default(), quick_http()) {
        Err(e) => e,
        Ok(_) => panic!("built without a key"),
    };
    match err.kind {
        ProviderErrorKind::NotConfigured(text) => assert!(text.contains("POLYGON_API_KEY")),
        other => panic!("expected NotConfigured, got {other:?}"),
    }
}

#[tokio::test]
async fn polygon_supports_stocks_and_has_no_stream() {
    let provider = polygon("http://127.0.0.1:1");
    let tf = |s: &str| s.parse::<Timeframe>().unwrap();
    assert!(provider.supports(AssetClass::Stock, tf("1m")));
    assert!(provider.supports(AssetClass::Stock, tf("1h")));
    assert!(provider.supports(AssetClass::Stock, tf("1d")));
    assert!(!provider.supports(AssetClass::Stock, tf("30s")));
    assert!(!provider.supports(AssetClass::Crypto, tf("1m")));
    let symbols = [Symbol::new("AAPL").unwrap()];
    let err = match provider.stream(&symbols, Timeframe::MINUTE).await {
        Err(e) => e,
        Ok(_) => panic!("a stream opened"),
    };
    assert!(matches!(err.kind, ProviderErrorKind::Unsupported(_)));
}
