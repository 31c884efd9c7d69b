//! Mock vendor servers for the Alpaca and Polygon tests: a REST server answering a
//! script of replies in order (recording every request), and a websocket server
//! playing a script of frames sent and received.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tradelab_providers::config::{Credentials, ProviderKind, ProviderSettings};
use tradelab_providers::http::HttpConfig;
use tradelab_providers::{ProviderError, ProviderErrorKind};

/// A request the mock server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// The raw query string (without `?`).
    pub raw_query: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
}

impl Received {
    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// A reply with `status` and a JSON `body`.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// A 200 reply with a JSON `body`.
    pub fn ok(body: serde_json::Value) -> Self {
        Reply::json(200, body)
    }

    /// A reply with a raw body (for payloads JSON values cannot express).
    pub fn raw(status: u16, body: &str) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// The reply with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Received>>,
}

/// A REST server on 127.0.0.1 (an OS-chosen port) answering its script in order; once
/// the script is used up it answers 418 so a test that asks too much fails.
pub struct RestServer {
    pub base: String,
    script: Arc<Script>,
}

impl RestServer {
    /// Starts the server with an empty script.
    pub async fn start() -> Self {
        let script = Arc::new(Script::default());
        let app = Router::new().fallback(answer).with_state(script.clone());
        let base = serve(app).await;
        RestServer { base, script }
    }

    /// Adds a reply to the end of the script.
    pub fn push(&self, reply: Reply) {
        self.script.replies.lock().unwrap().push_back(reply);
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.script.received.lock().unwrap().clone()
    }
}

async fn answer(State(script): State<Arc<Script>>, request: Request) -> Response {
    let uri = request.uri().clone();
    let raw_query = uri.query().unwrap_or("").to_string();
    let query = url_pairs(&uri);
    script.received.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        raw_query,
        query,
        headers: request.headers().clone(),
    });
    let next = script.replies.lock().unwrap().pop_front();
    let Some(reply) = next else {
        return (StatusCode::IM_A_TEAPOT, "script exhausted").into_response();
    };
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// The query parameters of `uri`, decoded.
fn url_pairs(uri: &axum::http::Uri) -> HashMap<String, String> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// Serves `app` on 127.0.0.1 at an OS-chosen port; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// One step of a websocket script.
#[derive(Debug, Clone)]
pub enum WsStep {
    /// Send a text frame.
    Send(String),
    /// Wait for a text frame from the client and record it.
    Recv,
    /// Send a close frame with a code and reason.
    Close(u16, String),
    /// Drop the connection without a close frame.
    Drop,
    /// Keep the connection open until the client goes away.
    Hold,
}

/// A websocket server on 127.0.0.1 playing one script per connection.
pub struct WsServer {
    /// `ws://127.0.0.1:PORT`.
    pub base: String,
    /// The request paths connected to.
    pub paths: Arc<Mutex<Vec<String>>>,
    /// The text frames received from clients, in order.
    pub received: Arc<Mutex<Vec<serde_json::Value>>>,
}

#[derive(Clone)]
struct WsState {
    script: Arc<Vec<WsStep>>,
    paths: Arc<Mutex<Vec<String>>>,
    received: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl WsServer {
    /// Starts the server with `script`.
    pub async fn start(script: Vec<WsStep>) -> Self {
        let state = WsState {
            script: Arc::new(script),
            paths: Arc::default(),
            received: Arc::default(),
        };
        let app = Router::new().fallback(upgrade).with_state(state.clone());
        let base = serve(app).await.replacen("http://", "ws://", 1);
        WsServer {
            base,
            paths: state.paths,
            received: state.received,
        }
    }

    /// The text frames the client sent, as JSON.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.received.lock().unwrap().clone()
    }
}

async fn upgrade(
    State(state): State<WsState>,
    uri: axum::http::Uri,
    ws: WebSocketUpgrade,
) -> Response {
    state.paths.lock().unwrap().push(uri.path().to_string());
    ws.on_upgrade(move |socket| play(socket, state))
}

async fn play(mut socket: WebSocket, state: WsState) {
    for step in state.script.iter() {
        match step {
            WsStep::Send(text) => {
                if socket
                    .send(Message::Text(text.clone().into()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            WsStep::Recv => loop {
                match socket.recv().await {
                    Some(Ok(Message::Text(text))) => {
                        let value = serde_json::from_str(&text)
                            .unwrap_or(serde_json::Value::String(text.to_string()));
                        state.received.lock().unwrap().push(value);
                        break;
                    }
                    Some(Ok(_)) => continue,
                    _ => return,
                }
            },
            WsStep::Close(code, reason) => {
                let frame = CloseFrame {
                    code: *code,
                    reason: reason.clone().into(),
                };
                let _ = socket.send(Message::Close(Some(frame))).await;
                return;
            }
            WsStep::Drop => return,
            WsStep::Hold => {
                while let Some(Ok(_)) = socket.recv().await {}
                return;
            }
        }
    }
}

/// An HTTP config for tests: short timeouts and backoff so retries are quick.
pub fn quick_http() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A UTC time from RFC 3339 text.
pub fn ts(text: &str) -> tradelab_core::Timestamp {
    tradelab_core::Timestamp::from_jiff(text.parse().unwrap()).unwrap()
}

/// The field a `Malformed` error names (panics on any other error).
pub fn malformed_field(err: &ProviderError) -> &str {
    match &err.kind {
        ProviderErrorKind::Malformed { field, .. } => field,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// The field an `InvalidBar` error names (panics on any other error).
pub fn invalid_field(err: &ProviderError) -> &str {
    match &err.kind {
        ProviderErrorKind::InvalidBar { field, .. } => field,
        other => panic!("expected InvalidBar, got {other:?}"),
    }
}

/// Alpaca settings at a local REST base (and stream base).
pub fn alpaca_settings(base: &str, stream: Option<&str>) -> ProviderSettings {
    let mut settings = ProviderSettings::public(ProviderKind::Alpaca);
    settings.base_url = Some(base.to_string());
    settings.stream_url = stream.map(str::to_string);
    settings
}

/// The key and secret the Alpaca tests send.
pub fn alpaca_credentials() -> Credentials {
    Credentials {
        key: Some("AKTESTKEY".into()),
        secret: Some("SKTESTSECRET".into()),
    }
}
