//! Live runs on a provider's websocket stream, against a local server speaking
//! Binance's protocols (the combined kline stream and `GET /api/v3/klines`): bars come
//! from the stream, a bar the stream leaves out is backfilled from REST, a dropped
//! socket pauses the run until it reconnects and catches up — and the run equals a
//! replay of the bars it kept.
//!
//! Time is a test clock the server moves: the server sends a minute's klines only once
//! the feed waits for them, so no step races the grace period.

#[path = "../../store/tests/common/mod.rs"]
mod common;

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
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_providers::binance::BinanceProvider;
use tradelab_providers::cache::{BarCache, CacheLimits};
use tradelab_providers::config::{Credentials, ProviderKind, ProviderSettings};
use tradelab_providers::http::HttpConfig;
use tradelab_providers::{AssetClass, BarRequest, Cached, Provider, ProviderFuture};
use tradelab_runner::live::clock::Sleep;
use tradelab_runner::live::{FeedConfig, LiveClock, Schedule};
use tradelab_runner::{LiveSource, Runner, StartRun};
use tradelab_store::{AuditEvent, ModelId, RunStatus, Store, UserId};

const MINUTE: i64 = 60;
/// 2024-03-04 00:00 UTC.
const T0: i64 = 1_709_510_400;
const GRACE: Duration = Duration::from_secs(2);

fn symbols() -> Vec<Symbol> {
    ["BTCUSDT", "ETHUSDT"]
        .iter()
        .map(|s| Symbol::new(s).expect("symbol"))
        .collect()
}

fn minute(k: i64) -> Timestamp {
    Timestamp::from_secs(T0 + MINUTE * k)
}

/// The bar of `symbol` (0 or 1) at minute `k`: closes on a slow wave, so a fast/slow
/// SMA cross trades.
fn bar(symbol: usize, k: i64) -> Bar {
    let phase = if symbol == 0 { 3.0 } else { 2.5 };
    let p = 100.0 + 10.0 * ((k as f64) / phase).sin() + (k % 5) as f64 * 0.1 + symbol as f64;
    Bar::new(minute(k), p, p + 0.4, p - 0.4, p + 0.2, 10.0 + k as f64).expect("bar")
}

/// A clock only the test moves: `sleep_until` waits until the time is set past the
/// wake-up, and the latest wake-up asked for tells the server what the feed waits on.
struct TestClock {
    now: watch::Sender<Timestamp>,
    waits_for: watch::Sender<Timestamp>,
    /// Calls to `sleep_until` so far: the feed sleeps again after each bar it reads.
    sleeps: watch::Sender<u64>,
}

impl TestClock {
    fn new(start: Timestamp) -> Arc<Self> {
        Arc::new(TestClock {
            now: watch::channel(start).0,
            waits_for: watch::channel(Timestamp::from_nanos(0)).0,
            sleeps: watch::channel(0).0,
        })
    }

    fn set(&self, at: Timestamp) {
        self.now.send_if_modified(|now| {
            let later = at > *now;
            if later {
                *now = at;
            }
            later
        });
    }

    /// Returns once the feed waits for a time at or after `at`.
    async fn until_waiting_for(&self, at: Timestamp) {
        let mut rx = self.waits_for.subscribe();
        tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|t| *t >= at))
            .await
            .expect("the feed waits for the bar within 10 s")
            .expect("clock");
    }
}

impl TestClock {
    fn sleeps(&self) -> u64 {
        *self.sleeps.borrow()
    }

    /// Returns once the feed has gone to sleep again after `before` sleeps.
    async fn until_slept_after(&self, before: u64) {
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
struct Script {
    clock: Arc<TestClock>,
    /// The minutes each accepted connection streams (then it drops the socket, unless
    /// it is the last); a connection attempt beyond them is refused with 503.
    connections: Mutex<Vec<Vec<i64>>>,
    attempts: AtomicUsize,
    /// Minutes whose ETHUSDT kline the stream leaves out.
    unstreamed_eth: Vec<i64>,
    /// On the refused attempt: the time it moves to, and the time it moves to once the
    /// feed waits (the outage's end).
    outage: Option<(Timestamp, Timestamp)>,
    rest_down: AtomicBool,
    rest_requests: Mutex<Vec<(String, i64, i64)>>,
    n: i64,
}

fn kline_event(symbol: usize, k: i64) -> serde_json::Value {
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

fn kline_row(symbol: usize, k: i64) -> serde_json::Value {
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
async fn binance_server(script: Arc<Script>) -> (String, String) {
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

fn binance(base: &str, stream: &str, clock: Arc<TestClock>) -> Arc<dyn Provider> {
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

fn source(provider: Arc<dyn Provider>, clock: Arc<TestClock>, n: i64) -> LiveSource {
    LiveSource {
        provider,
        notices: None,
        schedule: Schedule::Calendar(Calendar::new(Exchange::Crypto).expect("calendar")),
        clock,
        keep_bars: true,
        feed: FeedConfig {
            symbols: symbols(),
            timeframe: Timeframe::MINUTE,
            start: minute(0),
            until: Some(minute(n)),
            grace: GRACE,
            retry: Duration::from_secs(20),
            empty_attempts: 3,
        },
    }
}

async fn model(store: &Store) -> (UserId, ModelId) {
    let owner = common::owner(store, "live-stream@x.io").await;
    let mut spec = common::model_spec("live stream");
    spec.decider = tradelab_store::DeciderConfig {
        kind: "sma_cross".into(),
        params: serde_json::json!({"fast": 3, "slow": 8}),
    };
    spec.allowed_symbols = symbols();
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    let m = store.models().create(owner.id, &spec).await.expect("model");
    (owner.id, m.id)
}

/// A row without its number (feed notices shift the numbers of what follows them).
fn unnumbered(row: &AuditEvent) -> String {
    let mut value = match row {
        AuditEvent::Decision(d) => serde_json::to_value(d),
        AuditEvent::Order(o) => serde_json::to_value(o),
        AuditEvent::Fill(f) => serde_json::to_value(f),
        AuditEvent::Event(e) => serde_json::to_value(e),
    }
    .expect("row as JSON");
    if let Some(map) = value.as_object_mut() {
        map.remove("seq");
    }
    format!("{} {value}", row.kind())
}

async fn trail(store: &Store, owner: UserId, run: tradelab_store::RunId) -> Vec<String> {
    common::whole_trail(store, owner, run, 1000)
        .await
        .iter()
        .filter(|r| r.kind() != "feed")
        .map(unnumbered)
        .collect()
}

async fn feed_notices(
    store: &Store,
    owner: UserId,
    run: tradelab_store::RunId,
) -> Vec<(String, String, String)> {
    common::whole_trail(store, owner, run, 1000)
        .await
        .iter()
        .filter_map(|r| match r {
            AuditEvent::Event(e) if e.kind == "feed" => Some((
                e.detail["notice"].as_str().unwrap_or_default().to_string(),
                e.detail["provider"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                e.detail["detail"].as_str().unwrap_or_default().to_string(),
            )),
            _ => None,
        })
        .collect()
}

/// `inner` without its stream: a vendor that only answers REST.
struct NoStream(Arc<dyn Provider>);

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

/// `live` ended, stepped once per minute, kept every bar, and equals a replay of them.
async fn assert_equals_replay(
    db: &common::TestDb,
    runner: &Runner,
    req: StartRun,
    live: &tradelab_runner::Finished,
    n: i64,
) {
    let owner = req.owner;
    assert_eq!(live.run.status, RunStatus::Completed);
    assert!(
        live.report.closed_trades > 0,
        "the wave makes the SMA cross trade: {}",
        serde_json::to_string(&live.report).unwrap_or_default()
    );
    let equity = db
        .store
        .audit()
        .equity(owner, live.run.id)
        .await
        .expect("equity");
    assert_eq!(
        equity.len() as i64,
        n,
        "one step per minute, none lost or doubled"
    );
    for (i, symbol) in symbols().iter().enumerate() {
        let stored = db
            .store
            .bars()
            .load_series_for(owner, symbol, Timeframe::MINUTE, None, None)
            .await
            .expect("stored bars");
        let expected: Vec<Bar> = (0..n).map(|k| bar(i, k)).collect();
        assert_eq!(
            stored.bars(),
            expected.as_slice(),
            "every bar kept: {symbol}"
        );
    }

    let mut replay = req;
    replay.from = Some(minute(0));
    replay.to = Some(minute(n - 1));
    let replay = runner.start(replay, None).await.expect("replay");
    assert_eq!(
        trail(&db.store, owner, live.run.id).await,
        trail(&db.store, owner, replay.run.id).await
    );
    assert_eq!(
        serde_json::to_value(&live.report).expect("report"),
        serde_json::to_value(&replay.report).expect("report")
    );
}

/// The live run of `script`, and a replay over the bars it kept: their trails and
/// reports must be the same.
async fn live_then_replay(
    db: &common::TestDb,
    script: Arc<Script>,
    streams: bool,
) -> (UserId, tradelab_runner::Finished) {
    let n = script.n;
    let (owner, m) = model(&db.store).await;
    let (base, stream) = binance_server(Arc::clone(&script)).await;
    let clock = Arc::clone(&script.clock);
    let mut provider = binance(&base, &stream, Arc::clone(&clock));
    if !streams {
        provider = Arc::new(NoStream(provider));
    }
    let runner = Runner::new(db.store.clone());
    let req = StartRun::new(owner, m, symbols(), Timeframe::MINUTE);
    let live = tokio::time::timeout(
        Duration::from_secs(60),
        runner.start_live(req.clone(), source(provider, clock, n), None),
    )
    .await
    .expect("the live run ends within a minute")
    .expect("live run");
    assert_equals_replay(db, &runner, req, &live, n).await;
    (owner, live)
}

store_test!(
    a_live_run_on_the_binance_stream_backfills_a_missing_kline_and_equals_its_replay,
    |db| {
        let n = 40;
        let script = Arc::new(Script {
            clock: TestClock::new(minute(0)),
            connections: Mutex::new(vec![(0..n).collect()]),
            attempts: AtomicUsize::new(0),
            unstreamed_eth: vec![20],
            outage: None,
            rest_down: AtomicBool::new(false),
            rest_requests: Mutex::default(),
            n,
        });
        let (owner, live) = live_then_replay(db, Arc::clone(&script), true).await;
        assert_eq!(script.attempts.load(Ordering::SeqCst), 1, "one connection");
        let rest = script.rest_requests.lock().expect("log").clone();
        let eth_20 = minute(20).nanos() / 1_000_000;
        assert_eq!(
            rest.iter()
                .map(|(s, from, _)| (s.as_str(), *from))
                .collect::<Vec<_>>(),
            [("ETHUSDT", eth_20)],
            "only the kline the stream left out was asked for, once: {rest:?}"
        );
        assert!(feed_notices(&db.store, owner, live.run.id).await.is_empty());
    }
);

store_test!(
    a_dropped_stream_pauses_reconnects_and_catches_up_without_a_lost_or_doubled_bar,
    |db| {
        let n = 50;
        // The first socket streams minutes 0–29 and drops; the next attempt is refused
        // while REST is down too (the clock moves to 00:35 then, and on to 00:40); the
        // third streams from minute 40: minutes 30–39 come from one catch-up request.
        let script = Arc::new(Script {
            clock: TestClock::new(minute(0)),
            connections: Mutex::new(vec![(0..30).collect(), vec![], (40..n).collect()]),
            attempts: AtomicUsize::new(0),
            unstreamed_eth: vec![],
            outage: Some((minute(35), minute(40))),
            rest_down: AtomicBool::new(false),
            rest_requests: Mutex::default(),
            n,
        });
        let (owner, live) = live_then_replay(db, Arc::clone(&script), true).await;
        assert_eq!(script.attempts.load(Ordering::SeqCst), 3, "two reconnects");
        let notices = feed_notices(&db.store, owner, live.run.id).await;
        let kinds: Vec<&str> = notices.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(kinds, ["paused", "resumed"], "{notices:?}");
        let (_, provider, detail) = &notices[0];
        assert_eq!(provider, "binance");
        assert!(
            detail.contains("stream") && detail.contains("503"),
            "the pause says the stream dropped and REST failed: {detail}"
        );
        let rest = script.rest_requests.lock().expect("log").clone();
        let ms = |k: i64| minute(k).nanos() / 1_000_000;
        let asked: Vec<(&str, i64, i64)> = rest
            .iter()
            .map(|(s, from, end)| (s.as_str(), *from, *end))
            .collect();
        assert_eq!(asked.len(), 3, "{asked:?}");
        assert_eq!(
            (asked[0].0, asked[0].1),
            ("BTCUSDT", ms(30)),
            "REST failed during the outage: {asked:?}"
        );
        for (i, symbol) in ["BTCUSDT", "ETHUSDT"].iter().enumerate() {
            let (s, from, end) = asked[i + 1];
            assert_eq!((s, from), (*symbol, ms(30)), "{asked:?}");
            assert!(
                end >= ms(39) && end < ms(40),
                "one catch-up request for minutes 30-39: {asked:?}"
            );
        }
    }
);

store_test!(
    a_provider_without_a_stream_is_polled_as_its_bars_close,
    |db| {
        let n = 40;
        let script = Arc::new(Script {
            clock: TestClock::new(minute(0)),
            connections: Mutex::new(vec![]),
            attempts: AtomicUsize::new(0),
            unstreamed_eth: vec![],
            outage: None,
            rest_down: AtomicBool::new(false),
            rest_requests: Mutex::default(),
            n,
        });
        // Polling sleeps until each bar's close: time moves to whatever the feed waits for.
        let clock = Arc::clone(&script.clock);
        let ticker = tokio::spawn(async move {
            let mut waits = clock.waits_for.subscribe();
            while waits.changed().await.is_ok() {
                let at = *waits.borrow_and_update();
                clock.set(at);
            }
        });
        live_then_replay(db, Arc::clone(&script), false).await;
        ticker.abort();
        assert_eq!(
            script.attempts.load(Ordering::SeqCst),
            0,
            "no stream asked for"
        );
        let rest = script.rest_requests.lock().expect("log").len() as i64;
        assert_eq!(rest, 2 * n, "one request per symbol and minute: {rest}");
    }
);

fn script(n: i64, start: Timestamp, connections: Vec<Vec<i64>>) -> Arc<Script> {
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

store_test!(
    a_live_run_on_a_stream_resumes_after_a_restart_without_a_lost_or_doubled_bar,
    |db| {
        let n = 45;
        let (owner, m) = model(&db.store).await;
        let runner = Runner::new(db.store.clone());
        let req = StartRun::new(owner, m, symbols(), Timeframe::MINUTE);
        // The first process hears minutes 0–19, then nothing more: it dies there.
        let first = script(n, minute(0), vec![(0..20).collect()]);
        let (base, stream) = binance_server(Arc::clone(&first)).await;
        let provider = binance(&base, &stream, Arc::clone(&first.clock));
        let handle = runner
            .spawn_live(
                req.clone(),
                source(provider, Arc::clone(&first.clock), n),
                None,
            )
            .await
            .expect("live run");
        let id = handle.run.id;
        let mut steps = 0;
        for _ in 0..500 {
            steps = db
                .store
                .audit()
                .equity(owner, id)
                .await
                .expect("equity")
                .len();
            if steps == 20 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(steps, 20, "each streamed minute is committed as it ends");
        common::exec_raw(
            db,
            &format!("UPDATE runs SET status = 'interrupted' WHERE id = {}", id.0),
        )
        .await;

        // The next process starts at 00:30: the stream has minutes from 30 on, the
        // ten minutes missed come from REST, in one request per symbol.
        let second = script(n, minute(30), vec![(30..n).collect()]);
        let (base, stream) = binance_server(Arc::clone(&second)).await;
        let provider = binance(&base, &stream, Arc::clone(&second.clock));
        let resumed = tokio::time::timeout(Duration::from_secs(60), async {
            runner
                .resume_live(
                    owner,
                    id,
                    source(provider, Arc::clone(&second.clock), n),
                    None,
                )
                .await
                .expect("resume")
                .finished()
                .await
        })
        .await
        .expect("the resumed run ends within a minute")
        .expect("resumed run");
        assert_eq!(resumed.run.id, id);
        let rest = second.rest_requests.lock().expect("log").clone();
        let ms = |k: i64| minute(k).nanos() / 1_000_000;
        assert_eq!(rest.len(), 2, "{rest:?}");
        for (symbol, from, end) in &rest {
            assert_eq!(*from, ms(20), "{symbol} from the first minute not applied");
            assert!(
                *end >= ms(29) && *end < ms(30),
                "{symbol} up to 00:30: {rest:?}"
            );
        }
        assert_equals_replay(db, &runner, req, &resumed, n).await;
    }
);
