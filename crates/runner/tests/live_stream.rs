//! Live runs on a provider's websocket stream, against a local server speaking
//! Binance's protocols (the combined kline stream and `GET /api/v3/klines`): bars come
//! from the stream, a bar the stream leaves out is backfilled from REST, a dropped
//! socket pauses the run until it reconnects and catches up, a restarted run resumes
//! on the stream, a vendor without a stream is polled — and each run equals a replay
//! of the bars it kept.
//!
//! Time is a test clock the server moves: the server sends a minute's klines only once
//! the feed waits for them, so no step races the grace period.

#[path = "../../store/tests/common/mod.rs"]
mod common;

mod binance_live;

use binance_live::{
    GRACE, NoStream, Script, TestClock, bar, binance, binance_server, minute, script, symbols,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{Bar, Timeframe};
use tradelab_providers::Provider;
use tradelab_runner::live::{FeedConfig, Schedule};
use tradelab_runner::{LiveSource, Runner, StartRun};
use tradelab_store::{AuditEvent, ModelId, RunStatus, Store, UserId};

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
        common::unnumbered_trail(&db.store, owner, live.run.id).await,
        common::unnumbered_trail(&db.store, owner, replay.run.id).await
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
