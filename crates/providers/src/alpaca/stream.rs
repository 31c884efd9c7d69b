//! Alpaca's websocket of minute bars: connect, wait for `connected`, authenticate,
//! subscribe to `bars`, then turn every `"T":"b"` message into a closed bar.
//!
//! Every server frame is a JSON array of messages. An `"T":"error"` message, a frame
//! that does not read, or a dropped connection ends the stream with an error (the caller
//! reconnects); updated (`u`) and daily (`d`) bars are not closed minute bars and are
//! skipped.

use super::wire::parse_time;
use crate::error::{ProviderError, ProviderErrorKind};
use crate::provider::BarStream;
use crate::validate::{RawBar, check_bar};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::VecDeque;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tradelab_core::{Bar, Symbol};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What a stream connection needs: who it is and how long each handshake step may take.
pub(super) struct Session {
    pub provider: String,
    pub key: String,
    pub secret: String,
    pub handshake_timeout: Duration,
}

/// A minute bar message: `S` the symbol, then the bar's fields as in REST bars
/// (spelled out, not flattened, so errors keep the field's path).
#[derive(Debug, serde::Deserialize)]
struct StreamBar {
    #[serde(rename = "S")]
    symbol: String,
    t: String,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
}

impl Session {
    /// Connects to `url`, authenticates and subscribes to the minute bars of `symbols`.
    pub async fn open(self, url: &str, symbols: &[Symbol]) -> Result<BarStream, ProviderError> {
        let connect = tokio::time::timeout(
            self.handshake_timeout,
            tokio_tungstenite::connect_async(url),
        );
        let (mut ws, _) = connect
            .await
            .map_err(|_| self.error(ProviderErrorKind::Timeout(self.handshake_timeout)))?
            .map_err(|e| self.error(ProviderErrorKind::Network(format!("{url}: {e}"))))?;
        self.expect(&mut ws, "success", Some("connected")).await?;
        let auth = serde_json::json!({"action": "auth", "key": self.key, "secret": self.secret});
        self.send(&mut ws, &auth).await?;
        self.expect(&mut ws, "success", Some("authenticated"))
            .await?;
        let names: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
        let subscribe = serde_json::json!({"action": "subscribe", "bars": names});
        self.send(&mut ws, &subscribe).await?;
        let reply = self.expect(&mut ws, "subscription", None).await?;
        self.check_subscription(&reply, &names)?;
        let state = State {
            provider: self.provider,
            ws,
            queue: VecDeque::new(),
            done: false,
        };
        Ok(Box::pin(futures_util::stream::unfold(state, State::next)))
    }

    fn error(&self, kind: ProviderErrorKind) -> ProviderError {
        ProviderError::new(&self.provider, kind)
    }

    async fn send(&self, ws: &mut Socket, message: &Value) -> Result<(), ProviderError> {
        ws.send(Message::text(message.to_string()))
            .await
            .map_err(|e| self.error(ProviderErrorKind::Network(e.to_string())))
    }

    /// The subscription reply lists the whole subscription set: every symbol asked for
    /// must be in its `bars` (or `*`), else the server refused some of them.
    fn check_subscription(&self, reply: &Value, asked: &[&str]) -> Result<(), ProviderError> {
        let listed: Vec<&str> = reply
            .get("bars")
            .and_then(Value::as_array)
            .map(|bars| bars.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if listed.contains(&"*") {
            return Ok(());
        }
        let missing: Vec<&str> = asked
            .iter()
            .copied()
            .filter(|a| !listed.iter().any(|l| l.eq_ignore_ascii_case(a)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(self.error(ProviderErrorKind::Rejected {
            status: 0,
            message: format!(
                "the stream did not subscribe to the bars of {} (subscribed: {})",
                missing.join(", "),
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            ),
        }))
    }

    /// Reads frames until one holds a message `"T":kind` (with `msg` when given) and
    /// returns it; an error message, a closed connection or the handshake timeout (for
    /// the whole step) is an error.
    async fn expect(
        &self,
        ws: &mut Socket,
        kind: &str,
        msg: Option<&str>,
    ) -> Result<Value, ProviderError> {
        let step = msg.unwrap_or(kind);
        let deadline = tokio::time::Instant::now() + self.handshake_timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, ws.next())
                .await
                .map_err(|_| self.error(ProviderErrorKind::Timeout(self.handshake_timeout)))?;
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(close))) => {
                    return Err(closed(
                        &self.provider,
                        close,
                        &format!("waiting for {step}"),
                    ));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(self.error(ProviderErrorKind::Network(e.to_string()))),
                None => {
                    return Err(self.error(ProviderErrorKind::Network(format!(
                        "connection closed while waiting for {step}"
                    ))));
                }
            };
            for (i, message) in read_frame(&self.provider, &text)?.into_iter().enumerate() {
                let t = message.get("T").and_then(Value::as_str);
                if t == Some("error") {
                    return Err(server_error(&self.provider, i, &message));
                }
                let msg_matches =
                    msg.is_none_or(|m| message.get("msg").and_then(Value::as_str) == Some(m));
                if t == Some(kind) && msg_matches {
                    return Ok(message);
                }
            }
        }
    }
}

/// The stream after the handshake: bars read but not yet yielded, and whether it ended.
struct State {
    provider: String,
    ws: Socket,
    queue: VecDeque<Result<(Symbol, Bar), ProviderError>>,
    done: bool,
}

type Item = Result<(Symbol, Bar), ProviderError>;

impl State {
    async fn next(mut self) -> Option<(Item, State)> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some((item, self));
            }
            if self.done {
                return None;
            }
            let network = |provider: &str, text: String| {
                Err(ProviderError::new(
                    provider,
                    ProviderErrorKind::Network(text),
                ))
            };
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => self.read(&text),
                Some(Ok(Message::Close(close))) => {
                    self.done = true;
                    self.queue
                        .push_back(Err(closed(&self.provider, close, "streaming bars")));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    self.done = true;
                    self.queue.push_back(network(&self.provider, e.to_string()));
                }
                None => {
                    self.done = true;
                    let text = "connection dropped while streaming bars".to_string();
                    self.queue.push_back(network(&self.provider, text));
                }
            }
        }
    }

    /// Queues the bars of one frame; an error message or a bad bar ends the stream.
    fn read(&mut self, text: &str) {
        let messages = match read_frame(&self.provider, text) {
            Ok(m) => m,
            Err(e) => {
                self.done = true;
                self.queue.push_back(Err(e));
                return;
            }
        };
        for (i, message) in messages.into_iter().enumerate() {
            let item = match message.get("T").and_then(Value::as_str) {
                Some("b") => stream_bar(&self.provider, i, message),
                Some("error") => Err(server_error(&self.provider, i, &message)),
                _ => continue,
            };
            if item.is_err() {
                self.done = true;
                self.queue.push_back(item);
                return;
            }
            self.queue.push_back(item);
        }
    }
}

/// A frame's messages: it must be a JSON array.
fn read_frame(provider: &str, text: &str) -> Result<Vec<Value>, ProviderError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(messages)) => Ok(messages),
        Ok(other) => Err(ProviderError::malformed(
            provider,
            "(frame)",
            format!(
                "expected a JSON array of messages, got {}",
                short(&other.to_string())
            ),
        )),
        Err(e) => Err(ProviderError::malformed(provider, "(frame)", e.to_string())),
    }
}

/// The `i`th message of a frame as a checked bar of its symbol.
fn stream_bar(provider: &str, i: usize, message: Value) -> Item {
    let at = format!("[{i}]");
    let bar: StreamBar = serde_path_to_error::deserialize(message).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            at.clone()
        } else {
            format!("{at}.{path}")
        };
        ProviderError::malformed(provider, field, e.into_inner().to_string())
    })?;
    let symbol = Symbol::new(&bar.symbol)
        .map_err(|e| ProviderError::malformed(provider, format!("{at}.S"), e.to_string()))?;
    let w = &bar;
    let raw = RawBar {
        ts: parse_time(provider, &format!("{at}.t"), &w.t)?,
        open: w.o,
        high: w.h,
        low: w.l,
        close: w.c,
        volume: w.v,
    };
    Ok((symbol, check_bar(provider, &at, &raw)?))
}

/// An `"T":"error"` message as the error kind its code means.
fn server_error(provider: &str, i: usize, message: &Value) -> ProviderError {
    let code = message.get("code").and_then(Value::as_i64).unwrap_or(0);
    let msg = message
        .get("msg")
        .and_then(Value::as_str)
        .unwrap_or("(no msg)")
        .to_string();
    let text = format!("stream error {code}: {msg}");
    let kind = match code {
        401 | 402 | 404 | 409 => ProviderErrorKind::Unauthorized(text),
        406 => ProviderErrorKind::RateLimited { retry_after: None },
        407 => ProviderErrorKind::Network(text),
        500..=599 => ProviderErrorKind::Server {
            status: code as u16,
            message: msg,
        },
        0 => ProviderErrorKind::Malformed {
            field: format!("[{i}].code"),
            message: format!("an error message without a code: {msg}"),
        },
        _ => ProviderErrorKind::Rejected {
            status: u16::try_from(code).unwrap_or(0),
            message: text,
        },
    };
    ProviderError::new(provider, kind)
}

/// A close frame from the server as a `Network` error saying when it came.
fn closed(
    provider: &str,
    close: Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>,
    during: &str,
) -> ProviderError {
    let why = close
        .map(|c| format!(" ({}: {})", u16::from(c.code), c.reason))
        .unwrap_or_default();
    ProviderError::new(
        provider,
        ProviderErrorKind::Network(format!("server closed the connection{why} while {during}")),
    )
}

fn short(text: &str) -> String {
    text.chars().take(120).collect()
}
