//! [`MockLlm`]: a chat-completions server on `127.0.0.1` (an ephemeral port) that
//! answers from a script, for tests of the agent and of what drives it. It keeps every
//! request body it received (so tests can read the prompts), the `Authorization`
//! headers, and the most requests it ever had in flight at once.
//!
//! ```no_run
//! use tradelab_agent::mock::{MockLlm, MockReply};
//! let mock = MockLlm::start();
//! mock.push(MockReply::tool_call("get_portfolio", serde_json::json!({})));
//! mock.push(MockReply::text("done"));
//! // point the agent at mock.url() …
//! ```

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One scripted answer of the mock.
#[derive(Clone, Debug)]
pub struct MockReply {
    kind: Kind,
    delay: Duration,
    usage: (u64, u64, u64),
    headers: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
enum Kind {
    Text(String),
    /// Tool calls; `true`: give each an id.
    Calls(Vec<Value>, bool),
    Status(u16, String),
    Garbage(String),
    Body(Value),
}

impl MockReply {
    fn of(kind: Kind) -> Self {
        MockReply {
            kind,
            delay: Duration::ZERO,
            usage: (100, 20, 0),
            headers: Vec::new(),
        }
    }

    /// An assistant message with text and no tool call.
    pub fn text(text: impl Into<String>) -> Self {
        MockReply::of(Kind::Text(text.into()))
    }

    /// One tool call with arguments (sent as a JSON-encoded string).
    pub fn tool_call(name: &str, arguments: Value) -> Self {
        MockReply::tool_calls(&[(name, arguments)])
    }

    /// Several tool calls in one answer.
    pub fn tool_calls(calls: &[(&str, Value)]) -> Self {
        let calls = calls
            .iter()
            .map(|(name, args)| {
                json!({"type": "function",
                       "function": {"name": name, "arguments": args.to_string()}})
            })
            .collect();
        MockReply::of(Kind::Calls(calls, true))
    }

    /// Tool calls exactly as given (an `arguments` object, no `id`, broken JSON …).
    pub fn raw_tool_calls(calls: Vec<Value>) -> Self {
        MockReply::of(Kind::Calls(calls, false))
    }

    /// A structured decision, as a call of the `decide` tool.
    pub fn decision(action: &str, quantity: f64, reasoning: &str, confidence: f64) -> Self {
        MockReply::tool_call(
            "decide",
            json!({"action": action, "quantity": quantity,
                   "reasoning": reasoning, "confidence": confidence}),
        )
    }

    /// An error status with an OpenAI-style error body.
    pub fn status(status: u16, message: &str) -> Self {
        MockReply::of(Kind::Status(status, message.into()))
    }

    /// A 200 answer whose body is not JSON.
    pub fn garbage() -> Self {
        MockReply::of(Kind::Garbage("<html>502 Bad Gateway</html>".into()))
    }

    /// A 200 answer with exactly this body.
    pub fn body(body: Value) -> Self {
        MockReply::of(Kind::Body(body))
    }

    /// Answers only after `delay` (for timeouts and the concurrency bound).
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends this response header too (e.g. `retry-after`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Reports this usage (default 100 prompt, 20 completion, 0 cached tokens).
    pub fn usage(mut self, prompt: u64, completion: u64, cached: u64) -> Self {
        self.usage = (prompt, completion, cached);
        self
    }
}

struct Scripted {
    when: Option<String>,
    reply: MockReply,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Scripted>>,
    fallback: Mutex<Option<MockReply>>,
    requests: Mutex<Vec<Value>>,
    auth: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    served: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The scripted chat-completions server. Stops when dropped (or [`MockLlm::shutdown`]).
pub struct MockLlm {
    url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockLlm {
    /// Starts a server on `127.0.0.1` at a free port, on its own thread and runtime,
    /// so it serves sync and async tests alike.
    ///
    /// # Panics
    /// When no local port can be bound (a test machine without loopback).
    pub fn start() -> MockLlm {
        let shared = Arc::new(Shared::default());
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("mock runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                let addr = listener.local_addr().expect("local address");
                let _ = url_tx.send(format!("http://{addr}/v1"));
                let app = Router::new()
                    .route("/v1/chat/completions", post(answer))
                    .with_state(state);
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stop_rx => {}
                }
            });
            rt.shutdown_background();
        });
        let url = url_rx.recv().expect("the mock server started");
        MockLlm {
            url,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The base URL to configure the agent with (`http://127.0.0.1:PORT/v1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues a reply for the next request.
    pub fn push(&self, reply: MockReply) {
        lock(&self.shared.queue).push_back(Scripted { when: None, reply });
    }

    /// Queues a reply for the next request whose body contains `text` (e.g. a symbol):
    /// requests are matched to the first queued reply that fits them.
    pub fn push_for(&self, text: &str, reply: MockReply) {
        lock(&self.shared.queue).push_back(Scripted {
            when: Some(text.into()),
            reply,
        });
    }

    /// The reply given when no queued one fits (default: a 500 saying the script ran
    /// out).
    pub fn fallback(&self, reply: MockReply) {
        *lock(&self.shared.fallback) = Some(reply);
    }

    /// Every request body received, in arrival order (bodies that were not JSON as
    /// strings).
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.requests).clone()
    }

    /// The `Authorization` header of every request (empty when none was sent).
    pub fn authorizations(&self) -> Vec<String> {
        lock(&self.shared.auth).clone()
    }

    /// Requests answered so far.
    pub fn served(&self) -> usize {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// The most requests that were ever in flight at once.
    pub fn concurrent_peak(&self) -> usize {
        self.shared.peak.load(Ordering::SeqCst)
    }

    /// Queued replies not used yet.
    pub fn pending(&self) -> usize {
        lock(&self.shared.queue).len()
    }

    /// Stops the server; later requests find no one listening.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Decrements the in-flight count however the request ends (a client that gave up).
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn answer(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.peak.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(shared.clone());
    let text = String::from_utf8_lossy(&body).into_owned();
    let request: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    let model = request.get("model").cloned().unwrap_or(Value::Null);
    let n = {
        let mut requests = lock(&shared.requests);
        requests.push(request);
        requests.len()
    };
    lock(&shared.auth).push(
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    );
    let reply = {
        let mut queue = lock(&shared.queue);
        let pos = queue
            .iter()
            .position(|s| s.when.as_ref().is_none_or(|w| text.contains(w.as_str())));
        pos.and_then(|p| queue.remove(p))
            .map(|s| s.reply)
            .or_else(|| lock(&shared.fallback).clone())
    };
    let reply = reply.unwrap_or_else(|| MockReply::status(500, "the mock's script ran out"));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    shared.served.fetch_add(1, Ordering::SeqCst);
    let (status, body) = render(&reply, n, model);
    let mut response = (status, body).into_response();
    for (k, v) in &reply.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(v),
        ) {
            response.headers_mut().insert(k, v);
        }
    }
    response
}

fn render(reply: &MockReply, n: usize, model: Value) -> (StatusCode, String) {
    let (prompt, completion, cached) = reply.usage;
    let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached}});
    let message = match &reply.kind {
        Kind::Status(status, message) => {
            let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = json!({"error": {"message": message, "type": "mock_error",
                "param": null, "code": null}});
            return (code, body.to_string());
        }
        Kind::Garbage(text) => return (StatusCode::OK, text.clone()),
        Kind::Body(body) => return (StatusCode::OK, body.to_string()),
        Kind::Text(text) => json!({"role": "assistant", "content": text}),
        Kind::Calls(calls, with_ids) => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let mut c = c.clone();
                    if let Some(obj) = c.as_object_mut()
                        && *with_ids
                    {
                        obj.insert("id".into(), json!(format!("call_{n}_{k}")));
                    }
                    c
                })
                .collect();
            json!({"role": "assistant", "content": null, "tool_calls": calls})
        }
    };
    let finish = if message.get("tool_calls").is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    let body = json!({"id": format!("chatcmpl-mock-{n}"), "object": "chat.completion",
        "created": 0, "model": model, "system_fingerprint": "fp_mock",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": null}],
        "usage": usage});
    (StatusCode::OK, body.to_string())
}
