//! A local Binance for live-run tests: the combined kline stream and
//! `GET /api/v3/klines`, scripted connection by connection, on a test clock that moves
//! only when the script moves it.

#![allow(dead_code)]

use axum::extract::Query;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_providers::binance::BinanceProvider;
use tradelab_providers::cache::{BarCache, CacheLimits};
use tradelab_providers::config::{Credentials, ProviderKind, ProviderSettings};
use tradelab_providers::http::HttpConfig;
use tradelab_providers::{AssetClass, BarRequest, Cached, Provider, ProviderFuture};
use tradelab_runner::live::LiveClock;
use tradelab_runner::live::clock::Sleep;

pub const MINUTE: i64 = 60;
/// 2024-03-04 00:00 UTC.
pub const T0: i64 = 1_709_510_400;
pub const GRACE: Duration = Duration::from_secs(2);

pub fn symbols() -> Vec<Symbol> {
    ["BTCUSDT", "ETHUSDT"]
        .iter()
        .map(|s| Symbol::new(s).expect("symbol"))
        .collect()
}

pub fn minute(k: i64) -> Timestamp {
    Timestamp::from_secs(T0 + MINUTE * k)
}

/// The bar of `symbol` (0 or 1) at minute `k`: closes on a slow wave, so a fast/slow
/// SMA cross trades.
pub fn bar(symbol: usize, k: i64) -> Bar {
    let phase = if symbol == 0 { 3.0 } else { 2.5 };
    let p = 100.0 + 10.0 * ((k as f64) / phase).sin() + (k % 5) as f64 * 0.1 + symbol as f64;
    Bar::new(minute(k), p, p + 0.4, p - 0.4, p + 0.2, 10.0 + k as f64).expect("bar")
}

/// A clock only the test moves: `sleep_until` waits until the time is set past the
/// wake-up, and the latest wake-up asked for tells the server what the feed waits on.
pub struct TestClock {
    pub now: watch::Sender<Timestamp>,
    pub waits_for: watch::Sender<Timestamp>,
    /// Calls to `sleep_until` so far: the feed sleeps again after each bar it reads.
    pub sleeps: watch::Sender<u64>,
}

impl TestClock {
    pub fn new(start: Timestamp) -> Arc<Self> {
        Arc::new(TestClock {
            now: watch::channel(start).0,
            waits_for: watch::channel(Timestamp::from_nanos(0)).0,
            sleeps: watch::channel(0).0,
        })
    }

    pub fn set(&self, at: Timestamp) {
        self.now.send_if_modified(|now| {
            let later = at > *now;
            if later {
                *now = at;
            }
            later
        });
    }

    /// Returns once the feed waits for a time at or after `at`.
    pub async fn until_waiting_for(&self, at: Timestamp) {
        let mut rx = self.waits_for.subscribe();
        tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|t| *t >= at))
            .await
            .expect("the feed waits for the bar within 10 s")
            .expect("clock");
    }
}

impl TestClock {
    pub fn sleeps(&self) -> u64 {
        *self.sleeps.borrow()
    }

    /// Returns once the feed has gone to sleep again after `before` sleeps.
    pub async fn until_slept_after(&self, before: u64) {
        let mut rx = self.sleeps.subscribe();
        tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|n| *n > before))
            .await
            .expect("the feed reads the bar within 10 s")
            .expect("clock");
    }
}

impl LiveClock for TestClock {
    fn now(&self) -> Timestamp {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        self.sleeps.send_modify(|n| *n += 1);
        self.waits_for.send_if_modified(|w| {
            let later = at > *w;
            if later {
                *w = at;
            }
            later
        });
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            let _ = rx.wait_for(|now| *now >= at).await;
        })
    }
}

/// What the local Binance does, connection by connection.
pub struct Script {
    pub clock: Arc<TestClock>,
    /// The minutes each accepted connection streams (then it drops the socket, unless
    /// it is the last); a connection attempt beyond them is refused with 503.
    pub connections: Mutex<Vec<Vec<i64>>>,
    pub attempts: AtomicUsize,
    /// Minutes whose ETHUSDT kline the stream leaves out.
    pub unstreamed_eth: Vec<i64>,
    /// On the refused attempt: the time it moves to, and the time it moves to once the
    /// feed waits (the outage's end).
    pub outage: Option<(Timestamp, Timestamp)>,
    pub rest_down: AtomicBool,
    pub rest_requests: Mutex<Vec<(String, i64, i64)>>,
    pub n: i64,
}

pub fn kline_event(symbol: usize, k: i64) -> serde_json::Value {
    let b = bar(symbol, k);
    let pair = if symbol == 0 { "BTCUSDT" } else { "ETHUSDT" };
    let t = b.ts().nanos() / 1_000_000;
    serde_json::json!({"stream": format!("{}@kline_1m", pair.to_lowercase()), "data": {
        "e": "kline", "E": t + 60_000, "s": pair,
        "k": {"t": t, "T": t + 59_999, "s": pair, "i": "1m", "f": 100, "L": 200,
              "o": b.open().to_string(), "c": b.close().to_string(),
              "h": b.high().to_string(), "l": b.low().to_string(),
              "v": b.volume().to_string(), "n": 10, "x": true, "q": "1000.0",
              "V": "5.0", "Q": "500.0", "B": "0"}
    }})
}

pub fn kline_row(symbol: usize, k: i64) -> serde_json::Value {
    let b = bar(symbol, k);
    let t = b.ts().nanos() / 1_000_000;
    serde_json::json!([
        t,
        b.open().to_string(),
        b.high().to_string(),
        b.low().to_string(),
        b.close().to_string(),
        b.volume().to_string(),
        t + 59_999,
        "1000.0",
        10,
        "5.0",
        "500.0",
        "0"
    ])
}

impl Script {
    /// Streams `minutes` on `socket`: each minute's klines once the feed waits for
    /// them, the clock at the minute's close.
    async fn stream(&self, mut socket: WebSocket, minutes: Vec<i64>, last: bool) {
        for k in minutes {
            let close = minute(k + 1);
            self.clock
                .until_waiting_for(Timestamp::from_nanos(
                    close.nanos() + GRACE.as_nanos() as i64,
                ))
                .await;
            self.clock.set(close);
            let sleeps = self.clock.sleeps();
            for symbol in 0..2 {
                if symbol == 1 && self.unstreamed_eth.contains(&k) {
                    continue;
                }
                let text = kline_event(symbol, k).to_string();
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            if self.unstreamed_eth.contains(&k) {
                // Once the feed has read the BTCUSDT kline and waits for the missing
                // one, the grace runs out: the clock moves to the next minute's close.
                self.clock.until_slept_after(sleeps).await;
                self.clock.set(minute(k + 2));
            }
        }
        if last {
            while let Some(Ok(_)) = socket.recv().await {}
        }
        // Otherwise the socket drops here, mid-run.
    }

    fn klines(&self, q: &HashMap<String, String>) -> Response {
        let symbol = q.get("symbol").cloned().unwrap_or_default();
        let p = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let (start, end) = (p("startTime"), p("endTime"));
        self.rest_requests
            .lock()
            .expect("log")
            .push((symbol.clone(), start, end));
        if self.rest_down.load(Ordering::SeqCst) {
            return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
        }
        let index = usize::from(symbol == "ETHUSDT");
        let rows: Vec<serde_json::Value> = (0..self.n)
            .filter(|k| {
                let t = minute(*k).nanos() / 1_000_000;
                t >= start && t <= end
            })
            .map(|k| kline_row(index, k))
            .collect();
        axum::Json(rows).into_response()
    }
}

/// Serves `script`; returns the base URL (`http://…`) and the stream URL (`ws://…`).
pub async fn binance_server(script: Arc<Script>) -> (String, String) {
    let ws = Arc::clone(&script);
    let rest = Arc::clone(&script);
    let app = axum::Router::new()
        .route(
            "/stream",
            get(move |upgrade: WebSocketUpgrade| {
                let script = Arc::clone(&ws);
                async move {
                    let attempt = script.attempts.fetch_add(1, Ordering::SeqCst);
                    let connections = script.connections.lock().expect("script").clone();
                    let Some(minutes) = connections.get(attempt).cloned().filter(|m| !m.is_empty())
                    else {
                        if let Some((during, after)) = script.outage {
                            script.rest_down.store(true, Ordering::SeqCst);
                            script.clock.set(during);
                            let clock = Arc::clone(&script.clock);
                            let waiting = Timestamp::from_nanos(during.nanos() + 1);
                            tokio::spawn(async move {
                                clock.until_waiting_for(waiting).await;
                                clock.set(after);
                            });
                        }
                        return (StatusCode::SERVICE_UNAVAILABLE, "stream unavailable")
                            .into_response();
                    };
                    // The outage is over once a connection is accepted again.
                    script.rest_down.store(false, Ordering::SeqCst);
                    let last = attempt + 1 >= connections.len();
                    upgrade
                        .on_upgrade(move |socket| async move {
                            script.stream(socket, minutes, last).await
                        })
                        .into_response()
                }
            }),
        )
        .route(
            "/api/v3/klines",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let script = Arc::clone(&rest);
                async move { script.klines(&q) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), format!("ws://{addr}"))
}

pub fn binance(base: &str, stream: &str, clock: Arc<TestClock>) -> Arc<dyn Provider> {
    let settings = ProviderSettings {
        base_url: Some(base.into()),
        stream_url: Some(stream.into()),
        ..ProviderSettings::public(ProviderKind::Binance)
    };
    let http = HttpConfig {
        timeout: Duration::from_secs(5),
        max_retries: 0,
        backoff: Duration::from_millis(1),
        max_retry_after: Duration::from_secs(1),
    };
    let now = Arc::clone(&clock);
    let provider = BinanceProvider::new(&settings, Credentials::default(), http)
        .expect("binance")
        .with_clock(move || now.now());
    let cache = Arc::new(BarCache::new(CacheLimits::default()));
    Arc::new(Cached::new(Arc::new(provider), cache).with_clock(Arc::new(move || clock.now())))
}

pub fn script(n: i64, start: Timestamp, connections: Vec<Vec<i64>>) -> Arc<Script> {
    Arc::new(Script {
        clock: TestClock::new(start),
        connections: Mutex::new(connections),
        attempts: AtomicUsize::new(0),
        unstreamed_eth: vec![],
        outage: None,
        rest_down: AtomicBool::new(false),
        rest_requests: Mutex::default(),
        n,
    })
}

/// `inner` without its stream: a vendor that only answers REST.
pub struct NoStream(pub Arc<dyn Provider>);

impl Provider for NoStream {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        self.0.supports(class, timeframe)
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        self.0.history(request)
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        self.0.latest(symbol, timeframe)
    }
}
