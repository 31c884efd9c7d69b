//! Live runs on a feed: the same engine as a replay, fed bar by bar on a clock. A live
//! run recorded and then replayed over the bars it saw gives the same events; an
//! outage pauses the feed, and the bars missed are applied in order, each once.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{Bar, BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_engine::Command;
use tradelab_providers::{
    AssetClass, BarRequest, Provider, ProviderError, ProviderErrorKind, ProviderFuture,
};
use tradelab_runner::live::{FeedConfig, LiveClock, Schedule, SimClock, StoredBars};
use tradelab_runner::{LiveSource, Runner, StartRun};
use tradelab_store::{AuditEvent, ModelId, RunSource, RunStatus, Store, UserId};

const MINUTE: i64 = 60;
/// 2024-03-04 00:00 UTC, a Monday.
const T0: i64 = 1_709_510_400;

fn symbol() -> Symbol {
    Symbol::new("LIVX").expect("symbol")
}

/// `n` minute bars from T0 with closes on a slow wave, so a fast/slow SMA cross trades.
fn minute_series(n: usize) -> BarSeries {
    let bars = (0..n)
        .map(|k| {
            let p = 100.0 + 10.0 * ((k as f64) / 9.0).sin() + (k % 5) as f64 * 0.1;
            Bar::new(
                Timestamp::from_secs(T0 + MINUTE * k as i64),
                p,
                p + 0.4,
                p - 0.4,
                p + 0.2,
                10.0 + k as f64,
            )
            .expect("bar")
        })
        .collect();
    BarSeries::new(symbol(), bars).expect("series")
}

/// A market-data vendor in the test: it serves bars that have closed by the clock's
/// time, fails while the clock is inside `outage`, and counts requests.
struct Market {
    series: BarSeries,
    clock: Arc<SimClock>,
    outage: Option<(Timestamp, Timestamp)>,
    /// From this time on, requests never answer (the process hangs, then dies).
    stall: Option<Timestamp>,
    requests: Mutex<Vec<(Timestamp, Timestamp)>>,
    /// When set, each request first notes the reasons of the paused runs in the store.
    watch: Mutex<Option<Store>>,
    paused_seen: Mutex<Vec<String>>,
}

impl Provider for Market {
    fn name(&self) -> &str {
        "market"
    }

    fn supports(&self, _class: AssetClass, _timeframe: Timeframe) -> bool {
        true
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            let now = self.clock.now();
            self.requests
                .lock()
                .expect("requests")
                .push((request.from, request.to));
            let watch = self.watch.lock().expect("watch").clone();
            if let Some(store) = watch {
                let paused = store
                    .runs()
                    .list_by_status_all_owners(RunStatus::Paused, Default::default())
                    .await
                    .expect("paused runs");
                self.paused_seen
                    .lock()
                    .expect("paused")
                    .extend(paused.items.into_iter().filter_map(|r| r.status_reason));
            }
            if self.stall.is_some_and(|s| now >= s) {
                std::future::pending::<()>().await;
            }
            if let Some((from, to)) = self.outage
                && now >= from
                && now < to
            {
                return Err(ProviderError::new(
                    "market",
                    ProviderErrorKind::Server {
                        status: 503,
                        message: "down for maintenance".into(),
                    },
                ));
            }
            Ok(self
                .series
                .bars()
                .iter()
                .filter(|b| {
                    b.ts() >= request.from
                        && b.ts() < request.to
                        && b.ts().nanos() + 60_000_000_000 <= now.nanos()
                })
                .copied()
                .collect())
        })
    }

    fn latest<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move { Ok(None) })
    }
}

/// A market of `n` minute bars on `clock`, down during `outage`, hanging from `stall`.
fn market(
    n: usize,
    clock: &Arc<SimClock>,
    outage: Option<(Timestamp, Timestamp)>,
    stall: Option<Timestamp>,
) -> Arc<Market> {
    Arc::new(Market {
        series: minute_series(n),
        clock: Arc::clone(clock),
        outage,
        stall,
        requests: Mutex::default(),
        watch: Mutex::default(),
        paused_seen: Mutex::default(),
    })
}

/// A feed of `provider` on the crypto calendar, keeping the bars it fetches.
fn kept_feed(provider: Arc<dyn Provider>, clock: Arc<SimClock>, n: usize) -> LiveSource {
    LiveSource {
        notices: None,
        provider,
        schedule: crypto_calendar(),
        clock,
        keep_bars: true,
        feed: feed(n),
    }
}

async fn model(store: &Store) -> (UserId, ModelId) {
    let owner = common::owner(store, "live-feed@x.io").await;
    let mut spec = common::model_spec("live feed");
    spec.decider = tradelab_store::DeciderConfig {
        kind: "sma_cross".into(),
        params: serde_json::json!({"fast": 3, "slow": 8}),
    };
    spec.allowed_symbols = vec![symbol()];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    let m = store.models().create(owner.id, &spec).await.expect("model");
    (owner.id, m.id)
}

fn request(owner: UserId, m: ModelId) -> StartRun {
    StartRun::new(owner, m, vec![symbol()], Timeframe::MINUTE)
}

fn feed(n: usize) -> FeedConfig {
    FeedConfig {
        symbols: vec![symbol()],
        timeframe: Timeframe::MINUTE,
        start: Timestamp::from_secs(T0),
        until: Some(Timestamp::from_secs(T0 + MINUTE * n as i64)),
        grace: Duration::from_secs(2),
        retry: Duration::from_secs(20),
        empty_attempts: 3,
    }
}

fn crypto_calendar() -> Schedule {
    Schedule::Calendar(Calendar::new(Exchange::Crypto).expect("calendar"))
}

async fn feed_notices(store: &Store, owner: UserId, run: tradelab_store::RunId) -> Vec<String> {
    common::whole_trail(store, owner, run, 500)
        .await
        .iter()
        .filter_map(|r| match r {
            AuditEvent::Event(e) if e.kind == "feed" => {
                Some(e.detail["notice"].as_str().unwrap_or_default().to_string())
            }
            _ => None,
        })
        .collect()
}

/// Replays over the stored bars the period a live run saw.
async fn replay_of_live(
    runner: &Runner,
    owner: UserId,
    m: ModelId,
    n: usize,
) -> tradelab_runner::Finished {
    let mut req = request(owner, m);
    req.from = Some(Timestamp::from_secs(T0));
    req.to = Some(Timestamp::from_secs(T0 + MINUTE * (n as i64 - 1)));
    runner
        .start(req, None)
        .await
        .expect("replay of the stored bars")
}

store_test!(
    a_live_run_replayed_over_the_bars_it_saw_gives_the_same_events,
    |db| {
        let (owner, m) = model(&db.store).await;
        let n = 120;
        let clock = Arc::new(SimClock::new(Timestamp::from_secs(T0)));
        let market = market(n, &clock, None, None);
        let runner = Runner::new(db.store.clone());
        let source = kept_feed(market.clone(), clock, n);
        let live = runner
            .start_live(request(owner, m), source, None)
            .await
            .expect("live run");
        assert_eq!(live.run.source, RunSource::Live);
        assert_eq!(live.run.status, RunStatus::Completed);
        assert!(
            live.report.closed_trades > 0,
            "the wave makes the crossover trade"
        );

        // Every bar the live run saw is in the bar store now.
        let stored = db
            .store
            .bars()
            .load_series_for(owner, &symbol(), Timeframe::MINUTE, None, None)
            .await
            .expect("stored bars");
        assert_eq!(stored.bars(), minute_series(n).bars());

        let replay = replay_of_live(&runner, owner, m, n).await;
        assert_eq!(replay.run.source, RunSource::Replay);
        let live_trail = common::unnumbered_trail(&db.store, owner, live.run.id).await;
        assert!(
            live_trail.len() >= 10,
            "three trades and the end: {live_trail:#?}"
        );
        assert_eq!(
            live_trail,
            common::unnumbered_trail(&db.store, owner, replay.run.id).await
        );
        assert_eq!(
            serde_json::to_value(&live.report).expect("report"),
            serde_json::to_value(&replay.report).expect("report")
        );
        assert!(feed_notices(&db.store, owner, live.run.id).await.is_empty());
    }
);

store_test!(
    an_outage_pauses_the_feed_and_the_missed_bars_follow_in_order_once,
    |db| {
        let (owner, m) = model(&db.store).await;
        let n = 90;
        let clock = Arc::new(SimClock::new(Timestamp::from_secs(T0)));
        // Down from minute 30 to minute 47: 17 bars close during the outage.
        let outage = (
            Timestamp::from_secs(T0 + MINUTE * 30),
            Timestamp::from_secs(T0 + MINUTE * 47),
        );
        let market = market(n, &clock, Some(outage), None);
        *market.watch.lock().expect("watch") = Some(db.store.clone());
        let runner = Runner::new(db.store.clone());
        let source = kept_feed(market.clone(), clock, n);
        let live = runner
            .start_live(request(owner, m), source, None)
            .await
            .expect("live run");
        assert_eq!(live.run.status, RunStatus::Completed);
        let paused_seen = market.paused_seen.lock().expect("paused").clone();
        assert!(
            !paused_seen.is_empty()
                && paused_seen
                    .iter()
                    .all(|reason| reason.starts_with("market: ") && reason.contains("503")),
            "the run was paused during the outage, the reason naming the provider and its \
             error: {paused_seen:?}"
        );
        assert_eq!(
            feed_notices(&db.store, owner, live.run.id).await,
            ["paused", "resumed"],
            "one pause when the provider failed, one resume when data came back"
        );
        // The catch-up asked for every missed bar in one request.
        let requests = market.requests.lock().expect("requests").clone();
        assert!(
            requests
                .iter()
                .any(|(from, to)| to.nanos() - from.nanos() >= 17 * 60_000_000_000),
            "one catch-up request for the 17 bars missed: {requests:?}"
        );

        // Each bar was applied once, in order: the run equals a replay of the bars.
        let replay = replay_of_live(&runner, owner, m, n).await;
        assert_eq!(
            common::unnumbered_trail(&db.store, owner, live.run.id).await,
            common::unnumbered_trail(&db.store, owner, replay.run.id).await
        );
        assert_eq!(
            serde_json::to_value(&live.report).expect("report"),
            serde_json::to_value(&replay.report).expect("report")
        );
    }
);

store_test!(
    stored_bars_replayed_as_live_give_the_events_of_a_replay,
    |db| {
        let (owner, m) = model(&db.store).await;
        let n = 60;
        db.store
            .bars()
            .import_series(
                &minute_series(n),
                Timeframe::MINUTE,
                tradelab_store::ImportMode::KeepExisting,
            )
            .await
            .expect("import");
        let stored = StoredBars::new(vec![minute_series(n)], Timeframe::MINUTE);
        let schedule = Schedule::Stored(stored.starts());
        let runner = Runner::new(db.store.clone());
        let source = LiveSource {
            notices: None,
            provider: Arc::new(stored),
            schedule,
            clock: Arc::new(SimClock::new(Timestamp::from_secs(T0))),
            keep_bars: false,
            feed: FeedConfig {
                until: None,
                ..feed(n)
            },
        };
        let live = runner
            .start_live(request(owner, m), source, None)
            .await
            .expect("replay as live");
        let replay = replay_of_live(&runner, owner, m, n).await;
        assert_eq!(
            common::unnumbered_trail(&db.store, owner, live.run.id).await,
            common::unnumbered_trail(&db.store, owner, replay.run.id).await
        );
    }
);

store_test!(a_stop_reaches_a_live_run_waiting_for_its_next_bar, |db| {
    let (owner, m) = model(&db.store).await;
    let runner = Runner::new(db.store.clone());
    // The wall clock: the next minute bar is up to a minute away.
    let source = LiveSource {
        notices: None,
        provider: Arc::new(StoredBars::new(vec![minute_series(5)], Timeframe::MINUTE)),
        schedule: crypto_calendar(),
        clock: Arc::new(tradelab_runner::live::WallClock),
        keep_bars: false,
        feed: FeedConfig {
            start: Timestamp::from_secs(T0 + 86_400 * 10_000),
            until: None,
            ..feed(5)
        },
    };
    let handle = runner
        .spawn_live(request(owner, m), source, None)
        .await
        .expect("live run");
    tokio::time::sleep(Duration::from_millis(200)).await;
    handle.send(Command::Stop { flatten: true });
    let finished = tokio::time::timeout(Duration::from_secs(10), handle.finished())
        .await
        .expect("the stop ends the run without waiting for a bar")
        .expect("run");
    assert_eq!(finished.run.status, RunStatus::Stopped);
});

/// The first process of a restart test: a live run of `n` bars whose provider hangs
/// from minute 40 on, once its 39 closed bars' steps are committed.
async fn run_hanging_at_minute_40(
    db: &common::TestDb,
    runner: &Runner,
    owner: UserId,
    m: ModelId,
    n: usize,
) -> tradelab_runner::RunHandle {
    let clock = Arc::new(SimClock::new(Timestamp::from_secs(T0)));
    let hanging = market(
        n,
        &clock,
        None,
        Some(Timestamp::from_secs(T0 + MINUTE * 40)),
    );
    let first = runner
        .spawn_live(request(owner, m), kept_feed(hanging, clock, n), None)
        .await
        .expect("live run");
    let mut steps = 0;
    for _ in 0..500 {
        steps = db
            .store
            .audit()
            .equity(owner, first.run.id)
            .await
            .expect("equity")
            .len();
        if steps == 39 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(steps, 39, "every closed bar's step is committed as it ends");
    first
}

/// The next process: resumes run `id` at minute 55 with the provider answering again,
/// and checks it ends as a replay of its bars, none lost or doubled.
async fn resume_equals_replay(
    db: &common::TestDb,
    runner: &Runner,
    owner: UserId,
    m: ModelId,
    id: tradelab_store::RunId,
    n: usize,
) {
    let clock = Arc::new(SimClock::new(Timestamp::from_secs(T0 + MINUTE * 55)));
    let market = market(n, &clock, None, None);
    let resumed = runner
        .resume_live(owner, id, kept_feed(market.clone(), clock, n), None)
        .await
        .expect("resume")
        .finished()
        .await
        .expect("resumed run");
    assert_eq!(resumed.run.id, id);
    assert_eq!(resumed.run.status, RunStatus::Completed);
    let first_request = market.requests.lock().expect("requests")[0];
    assert_eq!(
        first_request.0,
        Timestamp::from_secs(T0 + MINUTE * 39),
        "the feed goes on at the first bar the trail does not hold"
    );
    let rows = common::whole_trail(&db.store, owner, id, 500).await;
    let seqs: Vec<i64> = rows.iter().map(AuditEvent::seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "numbers rise across the restart: {seqs:?}"
    );
    let equity = db.store.audit().equity(owner, id).await.expect("equity");
    assert_eq!(equity.len(), n, "one step per bar, none lost or doubled");
    let replay = replay_of_live(runner, owner, m, n).await;
    assert_eq!(
        common::unnumbered_trail(&db.store, owner, id).await,
        common::unnumbered_trail(&db.store, owner, replay.run.id).await
    );
    assert_eq!(
        serde_json::to_value(&resumed.report).expect("report"),
        serde_json::to_value(&replay.report).expect("report")
    );
}

store_test!(
    an_interrupted_live_run_resumes_from_its_last_step_without_a_lost_or_doubled_bar,
    |db| {
        let (owner, m) = model(&db.store).await;
        let n = 90;
        let runner = Runner::new(db.store.clone());
        // The first process hangs, then dies: its run is left running.
        let first = run_hanging_at_minute_40(db, &runner, owner, m, n).await;
        let id = first.run.id;
        common::exec_raw(
            db,
            &format!("UPDATE runs SET status = 'interrupted' WHERE id = {}", id.0),
        )
        .await;
        resume_equals_replay(db, &runner, owner, m, id, n).await;
    }
);

store_test!(
    a_suspended_live_run_ends_interrupted_at_a_step_and_resumes_equal_to_a_replay,
    |db| {
        let (owner, m) = model(&db.store).await;
        let n = 90;
        let runner = Runner::new(db.store.clone());
        // The first process waits for minute 40's bar when its server shuts down.
        let first = run_hanging_at_minute_40(db, &runner, owner, m, n).await;
        let id = first.run.id;
        assert!(first.watcher().suspend("the server shut down"));
        let suspended = first.finished().await.expect("suspended run");
        assert_eq!(suspended.run.status, RunStatus::Interrupted);
        assert_eq!(
            suspended.run.status_reason.as_deref(),
            Some("the server shut down")
        );
        let kinds: Vec<String> = common::whole_trail(&db.store, owner, id, 500)
            .await
            .iter()
            .map(|r| r.kind().to_string())
            .collect();
        assert!(
            !kinds.iter().any(|k| k == "run_finished" || k == "command"),
            "nothing is recorded past the last step: {kinds:?}"
        );
        let equity = db.store.audit().equity(owner, id).await.expect("equity");
        assert_eq!(equity.len(), 39);
        resume_equals_replay(db, &runner, owner, m, id, n).await;
    }
);

store_test!(only_an_interrupted_live_run_can_be_resumed, |db| {
    let (owner, m) = model(&db.store).await;
    let runner = Runner::new(db.store.clone());
    db.store
        .bars()
        .import_series(
            &minute_series(30),
            Timeframe::MINUTE,
            tradelab_store::ImportMode::KeepExisting,
        )
        .await
        .expect("import");
    let replay = runner.start(request(owner, m), None).await.expect("replay");
    let source = || LiveSource {
        notices: None,
        provider: Arc::new(StoredBars::new(vec![minute_series(30)], Timeframe::MINUTE)),
        schedule: crypto_calendar(),
        clock: Arc::new(SimClock::new(Timestamp::from_secs(T0))),
        keep_bars: false,
        feed: feed(30),
    };
    let e = runner
        .resume_live(owner, replay.run.id, source(), None)
        .await
        .err()
        .expect("a replay does not resume")
        .to_string();
    assert!(
        e.contains("cannot be resumed: it replayed stored bars"),
        "{e}"
    );
    let live = runner
        .start_live(request(owner, m), source(), None)
        .await
        .expect("live");
    let e = runner
        .resume_live(owner, live.run.id, source(), None)
        .await
        .err()
        .expect("a completed run does not resume")
        .to_string();
    assert!(e.contains("it ended (completed)"), "{e}");
});
