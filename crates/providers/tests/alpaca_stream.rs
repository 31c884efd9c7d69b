//! The Alpaca websocket stream against a local server speaking Alpaca's protocol:
//! `connected`, auth, subscribe, frames of several messages, errors and drops.

mod common_ap;

use common_ap::{
    WsServer, WsStep, alpaca_credentials, alpaca_settings, invalid_field, malformed_field,
    quick_http, ts,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tradelab_core::{Symbol, Timeframe};
use tradelab_providers::alpaca::AlpacaProvider;
use tradelab_providers::{Provider, ProviderErrorKind};

fn alpaca(base: &str) -> AlpacaProvider {
    AlpacaProvider::new(
        &alpaca_settings(base, None),
        alpaca_credentials(),
        quick_http(),
    )
    .unwrap()
}

fn frame(messages: Value) -> WsStep {
    WsStep::Send(messages.to_string())
}

fn stream_bar(symbol: &str, t: &str, c: f64) -> Value {
    json!({"T": "b", "S": symbol, "o": c, "h": c + 1.0, "l": c - 1.0, "c": c, "v": 100, "t": t, "n": 5, "vw": c})
}

fn handshake() -> Vec<WsStep> {
    vec![
        frame(json!([{"T": "success", "msg": "connected"}])),
        WsStep::Recv,
        frame(json!([{"T": "success", "msg": "authenticated"}])),
        WsStep::Recv,
        frame(
            json!([{"T": "subscription", "trades": [], "quotes": [], "bars": ["AAPL", "MSFT"], "updatedBars": [], "dailyBars": []}]),
        ),
    ]
}

fn streaming(server: &WsServer) -> AlpacaProvider {
    AlpacaProvider::new(
        &alpaca_settings("http://127.0.0.1:1", Some(&server.base)),
        alpaca_credentials(),
        quick_http(),
    )
    .unwrap()
}

fn symbols() -> Vec<Symbol> {
    vec![Symbol::new("AAPL").unwrap(), Symbol::new("MSFT").unwrap()]
}

#[tokio::test]
async fn alpaca_stream_authenticates_subscribes_and_yields_closed_minute_bars() {
    let mut script = handshake();
    script.push(frame(json!([
        stream_bar("AAPL", "2024-11-29T14:30:00Z", 10.0),
        // An updated (corrected) bar and a forming daily bar are not closed minute bars.
        {"T": "u", "S": "AAPL", "o": 1.0, "h": 1.0, "l": 1.0, "c": 1.0, "v": 1, "t": "2024-11-29T14:29:00Z"},
        {"T": "d", "S": "AAPL", "o": 1.0, "h": 1.0, "l": 1.0, "c": 1.0, "v": 1, "t": "2024-11-29T05:00:00Z"},
        stream_bar("MSFT", "2024-11-29T14:30:00Z", 20.0),
    ])));
    script.push(frame(json!([stream_bar(
        "AAPL",
        "2024-11-29T14:31:00Z",
        11.0
    )])));
    script.push(WsStep::Hold);
    let server = WsServer::start(script).await;
    let provider = streaming(&server);
    let symbols = symbols();
    let mut stream = provider.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        let (symbol, bar) = stream.next().await.unwrap().unwrap();
        got.push((symbol.as_str().to_string(), bar.ts(), bar.close()));
    }
    assert_eq!(
        got,
        [
            ("AAPL".to_string(), ts("2024-11-29T14:30:00Z"), 10.0),
            ("MSFT".to_string(), ts("2024-11-29T14:30:00Z"), 20.0),
            ("AAPL".to_string(), ts("2024-11-29T14:31:00Z"), 11.0),
        ]
    );
    assert_eq!(server.paths.lock().unwrap().as_slice(), ["/v2/iex"]);
    assert_eq!(
        server.received(),
        [
            json!({"action": "auth", "key": "AKTESTKEY", "secret": "SKTESTSECRET"}),
            json!({"action": "subscribe", "bars": ["AAPL", "MSFT"]}),
        ]
    );
}

#[tokio::test]
async fn alpaca_stream_auth_failed_is_unauthorized() {
    let server = WsServer::start(vec![
        frame(json!([{"T": "success", "msg": "connected"}])),
        WsStep::Recv,
        frame(json!([{"T": "error", "code": 402, "msg": "auth failed"}])),
        WsStep::Hold,
    ])
    .await;
    let provider = streaming(&server);
    let symbols = symbols();
    let err = match provider.stream(&symbols, Timeframe::MINUTE).await {
        Err(e) => e,
        Ok(_) => panic!("the stream opened after auth failed"),
    };
    assert_eq!(err.provider, "alpaca");
    assert_eq!(
        err.kind,
        ProviderErrorKind::Unauthorized("stream error 402: auth failed".into())
    );
}

#[tokio::test]
async fn alpaca_stream_error_message_ends_the_stream_with_its_kind() {
    let mut script = handshake();
    script.push(frame(json!([stream_bar(
        "AAPL",
        "2024-11-29T14:30:00Z",
        10.0
    )])));
    script.push(frame(
        json!([{"T": "error", "code": 406, "msg": "connection limit exceeded"}]),
    ));
    script.push(WsStep::Hold);
    let server = WsServer::start(script).await;
    let provider = streaming(&server);
    let symbols = symbols();
    let mut stream = provider.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(
        err.kind,
        ProviderErrorKind::RateLimited { retry_after: None }
    );
    assert!(
        stream.next().await.is_none(),
        "the stream goes on after an error"
    );
}

#[tokio::test]
async fn alpaca_stream_dropped_connection_ends_with_a_network_error() {
    let mut script = handshake();
    script.push(frame(json!([stream_bar(
        "AAPL",
        "2024-11-29T14:30:00Z",
        10.0
    )])));
    script.push(WsStep::Drop);
    let server = WsServer::start(script).await;
    let provider = streaming(&server);
    let symbols = symbols();
    let mut stream = provider.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(err.kind, ProviderErrorKind::Network(_)), "{err}");
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn alpaca_stream_close_frame_ends_with_a_network_error_naming_it() {
    let mut script = handshake();
    script.push(WsStep::Close(1011, "internal error".into()));
    let server = WsServer::start(script).await;
    let provider = streaming(&server);
    let symbols = symbols();
    let mut stream = provider.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    let err = stream.next().await.unwrap().unwrap_err();
    match err.kind {
        ProviderErrorKind::Network(text) => {
            assert!(text.contains("1011: internal error"), "{text}")
        }
        other => panic!("expected Network, got {other:?}"),
    }
}

#[tokio::test]
async fn alpaca_stream_bad_bar_is_an_error_naming_the_message_and_field() {
    let mut script = handshake();
    let mut bad = stream_bar("AAPL", "2024-11-29T14:31:00Z", 10.0);
    bad["h"] = json!("high");
    script.push(frame(json!([
        stream_bar("AAPL", "2024-11-29T14:30:00Z", 10.0),
        bad
    ])));
    script.push(WsStep::Hold);
    let server = WsServer::start(script).await;
    let provider = streaming(&server);
    let symbols = symbols();
    let mut stream = provider.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(malformed_field(&err), "[1].h");

    let mut script = handshake();
    script.push(frame(json!([stream_bar(
        "AAPL",
        "2024-11-29T14:30:00Z",
        -1.0
    )])));
    script.push(WsStep::Hold);
    let server = WsServer::start(script).await;
    let provider = streaming(&server);
    let mut stream = provider.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.provider, "alpaca");
    assert!(
        matches!(invalid_field(&err), "[0].open" | "[0].low"),
        "{err}"
    );
}

#[tokio::test]
async fn alpaca_stream_of_other_timeframes_is_unsupported() {
    let provider = alpaca("http://127.0.0.1:1");
    let symbols = symbols();
    let err = match provider.stream(&symbols, Timeframe::DAY).await {
        Err(e) => e,
        Ok(_) => panic!("a daily stream opened"),
    };
    assert!(matches!(err.kind, ProviderErrorKind::Unsupported(_)));
}

#[tokio::test]
async fn alpaca_stream_a_symbol_left_out_of_the_subscription_is_rejected() {
    let server = WsServer::start(vec![
        frame(json!([{"T": "success", "msg": "connected"}])),
        WsStep::Recv,
        frame(json!([{"T": "success", "msg": "authenticated"}])),
        WsStep::Recv,
        frame(json!([{"T": "subscription", "trades": [], "quotes": [], "bars": ["AAPL"]}])),
        WsStep::Hold,
    ])
    .await;
    let provider = streaming(&server);
    let symbols = symbols();
    let err = match provider.stream(&symbols, Timeframe::MINUTE).await {
        Err(e) => e,
        Ok(_) => panic!("the stream opened without MSFT"),
    };
    match err.kind {
        ProviderErrorKind::Rejected { message, .. } => {
            assert!(
                message.contains("MSFT") && message.contains("subscribed: AAPL"),
                "{message}"
            )
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn alpaca_stream_a_silent_server_is_a_handshake_timeout() {
    let server = WsServer::start(vec![
        frame(json!([{"T": "success", "msg": "connected"}])),
        WsStep::Recv,
        // Never answers the auth message.
        WsStep::Hold,
    ])
    .await;
    let mut http = quick_http();
    http.timeout = std::time::Duration::from_millis(300);
    let provider = AlpacaProvider::new(
        &alpaca_settings("http://127.0.0.1:1", Some(&server.base)),
        alpaca_credentials(),
        http,
    )
    .unwrap();
    let symbols = symbols();
    let started = std::time::Instant::now();
    let err = match provider.stream(&symbols, Timeframe::MINUTE).await {
        Err(e) => e,
        Ok(_) => panic!("the stream opened without authentication"),
    };
    assert!(matches!(err.kind, ProviderErrorKind::Timeout(_)), "{err}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(server.received().len(), 1, "the auth message was sent");
}

#[tokio::test]
async fn alpaca_stream_over_tls_to_a_plain_server_is_a_network_error() {
    // A TCP server that answers a TLS hello with plain text.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let stream_url = format!("wss://{addr}");
    let provider = AlpacaProvider::new(
        &alpaca_settings("http://127.0.0.1:1", Some(&stream_url)),
        alpaca_credentials(),
        quick_http(),
    )
    .unwrap();
    let symbols = symbols();
    let err = match provider.stream(&symbols, Timeframe::MINUTE).await {
        Err(e) => e,
        Ok(_) => panic!("a stream opened without TLS"),
    };
    assert!(matches!(err.kind, ProviderErrorKind::Network(_)), "{err}");
}
