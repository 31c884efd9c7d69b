//! The Binance kline stream against a local websocket server speaking Binance's combined
//! stream protocol (`/stream?streams=…`, `{"stream","data":{"e":"kline","k":{…}}}`,
//! pings, error messages, dropped connections).

use super::common_yb::{at, quick_http, serve, settings};
use axum::Router;
use axum::extract::Query;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tradelab_core::{Symbol, Timeframe};
use tradelab_providers::binance::BinanceProvider;
use tradelab_providers::config::{Credentials, ProviderKind};
use tradelab_providers::{BarStream, Provider, ProviderErrorKind};

/// A websocket server at `/stream` that reports each connection's `streams` query on
/// the returned channel and then runs `script` on the socket.
async fn stream_server<F, Fut>(script: F) -> (String, mpsc::UnboundedReceiver<String>)
where
    F: Fn(WebSocket) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/stream",
        get(
            move |ws: WebSocketUpgrade, Query(q): Query<HashMap<String, String>>| async move {
                // The test may not listen: the channel is closed then.
                let _ = tx.send(q.get("streams").cloned().unwrap_or_default());
                ws.on_upgrade(script)
            },
        ),
    );
    let base = serve(app).await;
    (base.replacen("http://", "ws://", 1), rx)
}

fn provider(stream_url: &str) -> BinanceProvider {
    BinanceProvider::new(
        &settings(
            ProviderKind::Binance,
            "http://127.0.0.1:9",
            Some(stream_url),
        ),
        Credentials::default(),
        quick_http(),
    )
    .unwrap()
}

/// A kline event as Binance sends it on a combined stream.
fn kline(pair: &str, open: &str, close_price: &str, closed: bool) -> Value {
    let t = at(open).nanos() / 1_000_000;
    json!({"stream": format!("{}@kline_1m", pair.to_lowercase()), "data": {
        "e": "kline", "E": t + 59_000, "s": pair,
        "k": {"t": t, "T": t + 59_999, "s": pair, "i": "1m", "f": 100, "L": 200,
              "o": "42000.10", "c": close_price, "h": "42100.00", "l": "41900.00",
              "v": "12.5", "n": 101, "x": closed, "q": "525000.0", "V": "6.0",
              "Q": "252000.0", "B": "0"}
    }})
}

async fn send(socket: &mut WebSocket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// Keeps the connection open until the client goes.
async fn hold(mut socket: WebSocket) {
    while let Some(Ok(_)) = socket.recv().await {}
}

async fn open(url: &str, symbols: &[&str]) -> BarStream {
    let symbols: Vec<Symbol> = symbols.iter().map(|s| Symbol::new(s).unwrap()).collect();
    provider(url)
        .stream(&symbols, Timeframe::MINUTE)
        .await
        .unwrap()
}

async fn next(
    stream: &mut BarStream,
) -> Option<Result<(Symbol, tradelab_core::Bar), tradelab_providers::ProviderError>> {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the stream answered within 5 s")
}

#[tokio::test]
async fn binance_stream_subscribes_by_url_and_yields_only_closed_klines() {
    let (url, mut streams) = stream_server(|mut socket: WebSocket| async move {
        send(&mut socket, kline("BTCUSDT", "2024-06-01T12:00:00Z", "42050.00", false)).await;
        send(&mut socket, kline("BTCUSDT", "2024-06-01T12:00:00Z", "42060.00", true)).await;
        let trade = json!({"stream": "btcusdt@trade", "data": {"e": "trade", "s": "BTCUSDT", "p": "42061.00"}});
        send(&mut socket, trade).await;
        send(&mut socket, kline("ETHUSDT", "2024-06-01T12:00:00Z", "42070.00", true)).await;
        hold(socket).await;
    })
    .await;
    let mut stream = open(&url, &["BTC-USDT", "ethusdt"]).await;
    assert_eq!(
        streams.recv().await.unwrap(),
        "btcusdt@kline_1m/ethusdt@kline_1m"
    );

    let (symbol, bar) = next(&mut stream).await.unwrap().unwrap();
    assert_eq!(symbol.as_str(), "BTC-USDT");
    assert_eq!(bar.ts(), at("2024-06-01T12:00:00Z"));
    assert_eq!(
        bar.close(),
        42060.0,
        "the open kline (42050) was not yielded"
    );
    assert_eq!(bar.open(), 42000.1);
    assert_eq!(bar.high(), 42100.0);
    assert_eq!(bar.low(), 41900.0);
    assert_eq!(bar.volume(), 12.5);
    let (symbol, bar) = next(&mut stream).await.unwrap().unwrap();
    assert_eq!(symbol.as_str(), "ethusdt");
    assert_eq!(bar.close(), 42070.0);
}

#[tokio::test]
async fn binance_stream_answers_pings_while_it_is_read() {
    let (pongs_tx, mut pongs) = mpsc::unbounded_channel::<Vec<u8>>();
    let (url, _) = stream_server(move |mut socket: WebSocket| {
        let pongs_tx = pongs_tx.clone();
        async move {
            socket
                .send(Message::Ping("keepalive".into()))
                .await
                .unwrap();
            let answer = tokio::time::timeout(Duration::from_secs(5), socket.recv()).await;
            if let Ok(Some(Ok(Message::Pong(payload)))) = answer {
                pongs_tx.send(payload.to_vec()).unwrap();
                send(
                    &mut socket,
                    kline("BTCUSDT", "2024-06-01T12:00:00Z", "42060.00", true),
                )
                .await;
            }
            hold(socket).await;
        }
    })
    .await;
    let mut stream = open(&url, &["BTCUSDT"]).await;
    let (_, bar) = next(&mut stream).await.unwrap().unwrap();
    assert_eq!(bar.close(), 42060.0);
    assert_eq!(pongs.recv().await.unwrap(), b"keepalive");
}

#[tokio::test]
async fn binance_stream_error_message_is_rejected_and_ends_the_stream() {
    let (url, _) = stream_server(|mut socket: WebSocket| async move {
        let error = json!({"error": {"code": 2, "msg": "Invalid request: unknown stream btcusdt@kline_7m"}, "id": null});
        send(&mut socket, error).await;
        hold(socket).await;
    })
    .await;
    let mut stream = open(&url, &["BTCUSDT"]).await;
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert_eq!(error.provider, "binance");
    match error.kind {
        ProviderErrorKind::Rejected { message, .. } => {
            assert_eq!(
                message,
                "stream error 2: Invalid request: unknown stream btcusdt@kline_7m"
            )
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn binance_dropped_connection_ends_the_stream_with_a_network_error() {
    let (url, _) = stream_server(|mut socket: WebSocket| async move {
        send(
            &mut socket,
            kline("BTCUSDT", "2024-06-01T12:00:00Z", "42060.00", true),
        )
        .await;
        drop(socket);
    })
    .await;
    let mut stream = open(&url, &["BTCUSDT"]).await;
    assert!(next(&mut stream).await.unwrap().is_ok());
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert!(
        matches!(error.kind, ProviderErrorKind::Network(_)),
        "{error}"
    );
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn binance_close_frame_ends_the_stream_with_a_network_error_naming_it() {
    let (url, _) = stream_server(|mut socket: WebSocket| async move {
        let frame = CloseFrame {
            code: 1008,
            reason: "too many messages".into(),
        };
        socket.send(Message::Close(Some(frame))).await.unwrap();
        hold(socket).await;
    })
    .await;
    let mut stream = open(&url, &["BTCUSDT"]).await;
    let error = next(&mut stream).await.unwrap().unwrap_err();
    match error.kind {
        ProviderErrorKind::Network(message) => {
            assert!(message.contains("1008 too many messages"), "{message}")
        }
        other => panic!("expected Network, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn binance_stream_bad_kline_is_an_error_naming_the_field() {
    for (change, kind, field) in [
        (("c", json!("abc")), "malformed", "data.k.c"),
        (("h", json!("100.00")), "invalid", "data.k.h"),
        (("v", json!("-1")), "invalid", "data.k.v"),
        (("x", json!("yes")), "malformed", "data.k.x"),
    ] {
        let (url, _) = stream_server(move |mut socket: WebSocket| {
            let change = change.clone();
            async move {
                let mut message = kline("BTCUSDT", "2024-06-01T12:00:00Z", "42060.00", true);
                message["data"]["k"][change.0] = change.1;
                send(&mut socket, message).await;
                hold(socket).await;
            }
        })
        .await;
        let mut stream = open(&url, &["BTCUSDT"]).await;
        let error = next(&mut stream).await.unwrap().unwrap_err();
        let got = match error.kind {
            ProviderErrorKind::Malformed { field, .. } => ("malformed", field),
            ProviderErrorKind::InvalidBar { field, .. } => ("invalid", field),
            other => panic!("expected a payload error, got {other:?}"),
        };
        assert_eq!(got, (kind, field.to_string()));
        assert!(next(&mut stream).await.is_none());
    }
}

#[tokio::test]
async fn binance_refused_handshake_is_an_error_with_the_status() {
    async fn refuse() -> Response {
        let body = json!({"code": -1121, "msg": "Invalid symbol."});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
    let base = serve(Router::new().route("/stream", get(refuse))).await;
    let url = base.replacen("http://", "ws://", 1);
    let symbols = [Symbol::new("BTCUSDT").unwrap()];
    let error = provider(&url)
        .stream(&symbols, Timeframe::MINUTE)
        .await
        .err()
        .unwrap();
    assert_eq!(
        error.kind,
        ProviderErrorKind::Rejected {
            status: 400,
            message: "Invalid symbol.".into()
        }
    );
}

#[tokio::test]
async fn binance_stream_of_an_interval_binance_lacks_is_unsupported() {
    let symbols = [Symbol::new("BTCUSDT").unwrap()];
    let binance = provider("ws://127.0.0.1:9");
    let error = binance
        .stream(&symbols, "7m".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error.kind, ProviderErrorKind::Unsupported(_)),
        "{error}"
    );
    let error = binance.stream(&[], Timeframe::MINUTE).await.err().unwrap();
    assert!(
        matches!(error.kind, ProviderErrorKind::Unsupported(_)),
        "{error}"
    );
}

#[tokio::test]
async fn binance_silent_stream_ends_with_a_network_error() {
    let (url, _) = stream_server(|mut socket: WebSocket| async move {
        send(
            &mut socket,
            kline("BTCUSDT", "2024-06-01T12:00:00Z", "42060.00", true),
        )
        .await;
        // Then nothing, not even pings, while the connection stays up.
        hold(socket).await;
    })
    .await;
    let symbols = [Symbol::new("BTCUSDT").unwrap()];
    let mut stream = provider(&url)
        .with_stream_idle(Duration::from_millis(300))
        .stream(&symbols, Timeframe::MINUTE)
        .await
        .unwrap();
    assert!(next(&mut stream).await.unwrap().is_ok());
    let started = std::time::Instant::now();
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    match error.kind {
        ProviderErrorKind::Network(message) => assert!(message.contains("silent"), "{message}"),
        other => panic!("expected Network, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
}
