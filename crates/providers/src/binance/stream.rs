//! Binance's websocket kline stream: one combined-stream connection
//! (`{stream_url}/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m`), closed klines
//! out.
//!
//! The subscription is the URL itself, so a successful handshake is a successful
//! subscription. Each message is `{"stream": …, "data": {"e": "kline", "s": …, "k":
//! {…}}}`; a kline is yielded once Binance marks it closed (`k.x`), checked like every
//! bar, under the caller's symbol. Binance pings every 20 s and drops a client that does
//! not answer within a minute: tungstenite queues the pong when it reads the ping and
//! sends it on the next read, which the stream does at once, so pongs go out as long as
//! the stream is polled. An error message from Binance (`{"error": {"code", "msg"}}` or
//! `{"code", "msg"}`) is [`ProviderErrorKind::Rejected`] with status 0 (no HTTP status:
//! a stream message); a close frame, a dropped connection or a payload that does not
//! read ends the stream with that error (the caller reconnects).

use crate::error::{ProviderError, ProviderErrorKind};
use crate::provider::BarStream;
use crate::validate::{RawBar, check_bar, number};
use futures_util::StreamExt;
use futures_util::stream;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tradelab_core::{Bar, Symbol, Timestamp};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the combined stream of `subscriptions` (Binance pair, caller's symbol) at
/// `interval`, failing if the handshake does not complete within `timeout`; the stream
/// ends with a `Network` error when no message (pings included) comes for `idle`.
pub(super) async fn open(
    provider: &str,
    stream_url: &str,
    subscriptions: &[(String, Symbol)],
    interval: &str,
    timeout: Duration,
    idle: Duration,
) -> Result<BarStream, ProviderError> {
    let error = |kind| ProviderError::new(provider, kind);
    if subscriptions.is_empty() {
        return Err(error(ProviderErrorKind::Unsupported(
            "a stream of no symbols".into(),
        )));
    }
    let names: Vec<String> = subscriptions
        .iter()
        .map(|(pair, _)| format!("{}@kline_{interval}", pair.to_ascii_lowercase()))
        .collect();
    let url = format!(
        "{}/stream?streams={}",
        stream_url.trim_end_matches('/'),
        names.join("/")
    );
    let (socket, _) =
        match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url.as_str())).await {
            Err(_) => return Err(error(ProviderErrorKind::Timeout(timeout))),
            Ok(Err(e)) => return Err(error(handshake_error(e))),
            Ok(Ok(connected)) => connected,
        };
    let mut symbols = HashMap::new();
    for (pair, symbol) in subscriptions {
        symbols
            .entry(pair.clone())
            .or_insert_with(|| symbol.clone());
    }
    let reader = Reader {
        provider: provider.to_string(),
        idle,
        symbols,
    };
    let bars = stream::unfold(Some((socket, reader)), |state| async move {
        let (mut socket, reader) = state?;
        match reader.next_bar(&mut socket).await {
            Ok(item) => Some((Ok(item), Some((socket, reader)))),
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(Box::pin(bars))
}

/// What a failed handshake means: the vendor's HTTP status when it answered.
fn handshake_error(e: tungstenite::Error) -> ProviderErrorKind {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let message = response
                .body()
                .as_deref()
                .map(|b| crate::http::error_message(&String::from_utf8_lossy(b)))
                .unwrap_or_else(|| "(empty body)".to_string());
            match status {
                401 | 403 => ProviderErrorKind::Unauthorized(message),
                418 | 429 => ProviderErrorKind::RateLimited { retry_after: None },
                s if s >= 500 => ProviderErrorKind::Server { status: s, message },
                s => ProviderErrorKind::Rejected { status: s, message },
            }
        }
        other => ProviderErrorKind::Network(format!("websocket handshake: {other}")),
    }
}

/// Reads messages into bars for one connection.
struct Reader {
    provider: String,
    /// The longest silence before the connection counts as dropped.
    idle: Duration,
    /// Binance pair (upper case) → the caller's symbol.
    symbols: HashMap<String, Symbol>,
}

impl Reader {
    fn error(&self, kind: ProviderErrorKind) -> ProviderError {
        ProviderError::new(&self.provider, kind)
    }

    /// The next closed kline, skipping open ones, pings and other events; an error ends
    /// the stream.
    async fn next_bar(&self, socket: &mut Socket) -> Result<(Symbol, Bar), ProviderError> {
        loop {
            let Ok(next) = tokio::time::timeout(self.idle, socket.next()).await else {
                return Err(self.error(ProviderErrorKind::Network(format!(
                    "the stream was silent for {:.1?} (no message, no ping)",
                    self.idle
                ))));
            };
            let message = match next {
                None => {
                    return Err(self.error(ProviderErrorKind::Network(
                        "the stream's connection ended".into(),
                    )));
                }
                Some(Err(e)) => {
                    return Err(self.error(ProviderErrorKind::Network(format!(
                        "the stream's connection failed: {e}"
                    ))));
                }
                Some(Ok(m)) => m,
            };
            match message {
                Message::Text(text) => {
                    if let Some(bar) = self.read(text.as_str())? {
                        return Ok(bar);
                    }
                }
                Message::Close(frame) => {
                    let why = frame
                        .map(|f| format!("{} {}", u16::from(f.code), f.reason))
                        .unwrap_or_else(|| "no reason given".into());
                    return Err(self.error(ProviderErrorKind::Network(format!(
                        "the server closed the stream: {why}"
                    ))));
                }
                // tungstenite answers pings itself on the next read.
                Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_) => {}
            }
        }
    }

    /// One text message: a closed kline, nothing (an open kline, another event), or
    /// the error it reports or is.
    fn read(&self, text: &str) -> Result<Option<(Symbol, Bar)>, ProviderError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            ProviderError::malformed(&self.provider, "(message)", format!("not JSON: {e}"))
        })?;
        if let Some(message) = vendor_error(&value) {
            return Err(self.error(ProviderErrorKind::Rejected { status: 0, message }));
        }
        let Some(data) = value.get("data") else {
            // A reply to a live request (`{"result": null, "id": 1}`).
            return Ok(None);
        };
        if data.get("e").and_then(|e| e.as_str()) != Some("kline") {
            return Ok(None);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let message: Combined = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            ProviderError::malformed(&self.provider, e.path().to_string(), e.inner().to_string())
        })?;
        let k = message.data.k;
        if !k.x {
            return Ok(None);
        }
        let symbol = self.symbols.get(&k.s.to_ascii_uppercase()).ok_or_else(|| {
            ProviderError::malformed(
                &self.provider,
                "data.k.s",
                format!("{} is not a subscribed pair", k.s),
            )
        })?;
        let price = |field: &str, v: &serde_json::Value| number(&self.provider, field, v);
        let ts =
            k.t.checked_mul(1_000_000)
                .map(Timestamp::from_nanos)
                .ok_or_else(|| {
                    ProviderError::malformed(
                        &self.provider,
                        "data.k.t",
                        format!("{} ms is out of range", k.t),
                    )
                })?;
        let raw = RawBar {
            ts,
            open: price("data.k.o", &k.o)?,
            high: price("data.k.h", &k.h)?,
            low: price("data.k.l", &k.l)?,
            close: price("data.k.c", &k.c)?,
            volume: price("data.k.v", &k.v)?,
        };
        let bar = check_bar(&self.provider, "data.k", &raw).map_err(|mut e| {
            if let ProviderErrorKind::InvalidBar { field, .. } = &mut e.kind {
                *field = binance_key(field);
            }
            e
        })?;
        Ok(Some((symbol.clone(), bar)))
    }
}

/// `data.k.high` → `data.k.h`: the error names the key Binance sent.
fn binance_key(field: &str) -> String {
    let short = match field.rsplit('.').next() {
        Some("open") => "o",
        Some("high") => "h",
        Some("low") => "l",
        Some("close") => "c",
        Some("volume") => "v",
        _ => return field.to_string(),
    };
    format!("data.k.{short}")
}

/// Binance's error message in a stream message, if it is one.
fn vendor_error(value: &serde_json::Value) -> Option<String> {
    let error = value.get("error").unwrap_or(value);
    let msg = error.get("msg")?.as_str()?;
    let code = error
        .get("code")
        .map(|c| c.to_string())
        .unwrap_or_else(|| "?".into());
    Some(format!("stream error {code}: {msg}"))
}

/// `{"stream": "btcusdt@kline_1m", "data": {"e": "kline", …, "k": {…}}}`.
#[derive(Deserialize)]
struct Combined {
    data: Event,
}

#[derive(Deserialize)]
struct Event {
    k: Kline,
}

/// The kline fields read: open time, pair, prices and volume (decimal strings), and
/// whether it is closed.
#[derive(Deserialize)]
struct Kline {
    t: i64,
    s: String,
    o: serde_json::Value,
    h: serde_json::Value,
    l: serde_json::Value,
    c: serde_json::Value,
    v: serde_json::Value,
    x: bool,
}
