//! The online learner in stored runs: snapshots of its state every N bars and at the
//! end (versions 1, 2, … of the run), its calibration report kept with the run's
//! summary, its guardrail's pauses in the audit trail; a warm start from a snapshot
//! continues exactly as the original run did, and a wrong warm-start reference is
//! refused before any run is created.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use serde_json::json;
use tradelab_core::{BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_engine::DeciderRegistry;
use tradelab_learner::synth::{Rng, ar1_series, bars_from_returns};
use tradelab_runner::{ExecutionSettings, Runner, RunnerError, StartRun, WarmStartRef};
use tradelab_store::{
    AuditEvent, DeciderConfig, ImportMode, ModelId, RunId, Store, StoreError, UserId, WarmStart,
};

fn runner(store: &Store) -> Runner {
    let mut registry = DeciderRegistry::builtin();
    tradelab_learner::register(&mut registry).expect("register");
    Runner::with_deciders(store.clone(), registry)
}

fn sym() -> Symbol {
    Symbol::new("LRN").expect("symbol")
}

/// Stores `series` and makes `owner`'s model `name` of `kind` with `params` on it.
async fn model(
    store: &Store,
    owner: UserId,
    name: &str,
    kind: &str,
    params: serde_json::Value,
) -> ModelId {
    let mut spec = common::model_spec(name);
    spec.decider = DeciderConfig {
        kind: kind.into(),
        params,
    };
    spec.allowed_symbols = vec![sym()];
    spec.fill_model = ExecutionSettings::default().to_json();
    store.models().create(owner, &spec).await.expect("model").id
}

async fn import(store: &Store, series: &BarSeries) {
    store
        .bars()
        .import_series(series, Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .expect("import");
}

fn request(owner: UserId, m: ModelId) -> StartRun {
    StartRun::new(owner, m, vec![sym()], Timeframe::DAY)
}

/// The trail's `model` events as `(kind of note, detail)`.
async fn model_events(store: &Store, owner: UserId, run: RunId) -> Vec<serde_json::Value> {
    common::whole_trail(store, owner, run, 1000)
        .await
        .into_iter()
        .filter_map(|e| match e {
            AuditEvent::Event(e) if e.kind == "model" => Some(e.detail),
            _ => None,
        })
        .collect()
}

store_test!(
    a_learner_run_saves_snapshots_every_n_bars_and_at_the_end_with_its_calibration,
    |db| {
        let s = &db.store;
        let alice = common::owner(s, "alice@example.com").await.id;
        import(s, &ar1_series("LRN", 700, 0.3, 5).expect("series")).await;
        let params = json!({"snapshot_every": "250", "min_samples": "100"});
        let m = model(s, alice, "learner", "online_learner", params).await;
        let f = runner(s).start(request(alice, m), None).await.expect("run");
        let listed = s.snapshots().list(alice, f.run.id).await.expect("list");
        let rows: Vec<(i64, u64)> = listed.iter().map(|i| (i.version, i.bars)).collect();
        assert_eq!(rows, [(1, 250), (2, 500), (3, 700)]);
        assert!(listed.iter().all(|i| i.size_bytes > 1000));
        assert_eq!(
            listed[2].bar_ts,
            Some(Timestamp::from_secs((10_959 + 699) * 86_400))
        );
        let events = model_events(s, alice, f.run.id).await;
        let snaps: Vec<_> = events.iter().filter(|e| e["model"] == "snapshot").collect();
        assert_eq!(snaps.len(), 2, "{events:?}");
        assert_eq!(snaps[0]["bars"], 250);
        // Each snapshot event names the version its snapshot is saved as.
        assert_eq!(snaps[0]["version"], 1);
        assert_eq!(snaps[1]["version"], 2);
        assert!(snaps[0].get("state").is_none());
        let run = s.runs().get(alice, f.run.id).await.expect("run");
        let learner = &run.summary.expect("summary")["learner"];
        assert!(
            learner["brier"]
                .as_f64()
                .is_some_and(|b| b > 0.1 && b < 0.3),
            "{learner}"
        );
        assert_eq!(learner["reliability"].as_array().map(Vec::len), Some(10));
        // 700 bars, the first 50 warming the features up.
        assert_eq!(learner["learned"], 650);
    }
);

store_test!(
    a_warm_started_run_continues_exactly_as_the_original_run,
    |db| {
        let s = &db.store;
        let alice = common::owner(s, "alice@example.com").await.id;
        let series = ar1_series("LRN", 800, 0.3, 8).expect("series");
        import(s, &series).await;
        let params = json!({"snapshot_every": "300", "min_samples": "100"});
        let m = model(s, alice, "learner", "online_learner", params).await;
        let runner = runner(s);
        let original = runner.start(request(alice, m), None).await.expect("run");

        // From the bar after the first snapshot (300 bars) to the end.
        let mut req = request(alice, m);
        req.from = Some(series.bars()[300].ts());
        req.warm_start = Some(WarmStartRef {
            run: original.run.id,
            version: Some(1),
        });
        let warm = runner.start(req, None).await.expect("warm run");
        assert_eq!(
            warm.run.snapshot.warm_start,
            Some(WarmStart {
                run: original.run.id,
                version: 1
            })
        );
        let snaps = s.snapshots();
        let (a, b) = (original.run.id, warm.run.id);
        let bars = |list: Vec<tradelab_store::SnapshotInfo>| -> Vec<u64> {
            list.iter().map(|i| i.bars).collect()
        };
        assert_eq!(bars(snaps.list(alice, a).await.unwrap()), [300, 600, 800]);
        assert_eq!(bars(snaps.list(alice, b).await.unwrap()), [600, 800]);
        // The same state after 600 and after 800 bars, bit for bit: same weights,
        // scalers, calibration and scores, so the same predictions.
        for (va, vb) in [(2, 1), (3, 2)] {
            let x = snaps.get(alice, a, Some(va)).await.unwrap();
            let y = snaps.get(alice, b, Some(vb)).await.unwrap();
            assert_eq!(x.state, y.state, "original v{va} against warm v{vb}");
        }
        let learner = |run: &tradelab_store::Run| run.summary.as_ref().unwrap()["learner"].clone();
        let (ra, rb) = (
            s.runs().get(alice, a).await.unwrap(),
            s.runs().get(alice, b).await.unwrap(),
        );
        assert_eq!(learner(&ra), learner(&rb));

        // A replay of the warm-started run starts from the same snapshot.
        let again = runner
            .replay(alice, b, tradelab_engine::risk::RuleSet::default(), None)
            .await
            .expect("replay");
        assert_eq!(again.run.snapshot.warm_start, warm.run.snapshot.warm_start);
        let replayed = snaps.get(alice, again.run.id, None).await.unwrap();
        let warmed = snaps.get(alice, b, None).await.unwrap();
        assert_eq!(replayed.state, warmed.state);
    }
);

store_test!(
    a_wrong_warm_start_is_refused_clearly_and_creates_no_run,
    |db| {
        let s = &db.store;
        let alice = common::owner(s, "alice@example.com").await.id;
        let bob = common::owner(s, "bob@example.com").await.id;
        import(s, &ar1_series("LRN", 300, 0.3, 2).expect("series")).await;
        let params = json!({"snapshot_every": "0", "min_samples": "100"});
        let learner = model(s, alice, "learner", "online_learner", params).await;
        let runner = runner(s);
        let source = runner.start(request(alice, learner), None).await.unwrap();
        let other = model(
            s,
            alice,
            "rsi-only",
            "online_learner",
            json!({"features": "rsi"}),
        )
        .await;
        let sma = model(
            s,
            alice,
            "sma",
            "sma_cross",
            json!({"fast": "3", "slow": "7"}),
        )
        .await;
        let bobs = model(s, bob, "bobs", "online_learner", json!({})).await;

        let attempt = |owner: UserId, m: ModelId, run: RunId, version: Option<i64>| {
            let mut req = request(owner, m);
            req.warm_start = Some(WarmStartRef { run, version });
            let runner = runner.clone();
            async move { runner.start(req, None).await.err().expect("refused") }
        };
        let id = source.run.id;
        let unknown = attempt(alice, learner, RunId(id.0 + 99), None).await;
        assert!(
            matches!(
                &unknown,
                RunnerError::Store(StoreError::NotFound { what: "run", .. })
            ),
            "{unknown}"
        );
        let not_yours = attempt(bob, bobs, id, None).await;
        assert_eq!(not_yours.to_string(), format!("run {id} not found"));
        let no_version = attempt(alice, learner, id, Some(7)).await;
        assert_eq!(no_version.to_string(), format!("snapshot {id}@7 not found"));
        let features = attempt(alice, other, id, Some(1)).await;
        assert!(
            matches!(features, RunnerError::WarmStart { .. }),
            "{features}"
        );
        assert!(features.to_string().contains("features"), "{features}");
        let rules = attempt(alice, sma, id, None).await;
        assert!(rules.to_string().contains("does not learn"), "{rules}");
        for m in [learner, other, sma] {
            assert_eq!(common::runs_of(s, m).await.len(), usize::from(m == learner));
        }
    }
);

store_test!(
    a_warm_start_onto_other_symbols_is_refused_naming_both_lists,
    |db| {
        let s = &db.store;
        let alice = common::owner(s, "alice@example.com").await.id;
        import(s, &ar1_series("LRN", 300, 0.3, 2).expect("series")).await;
        import(s, &ar1_series("OTH", 300, 0.3, 3).expect("series")).await;
        let params = json!({"snapshot_every": "0", "min_samples": "100"});
        let learner = model(s, alice, "learner", "online_learner", params.clone()).await;
        let runner = runner(s);
        let source = runner.start(request(alice, learner), None).await.unwrap();
        // A model of two symbols, asked to warm-start onto the one not learned.
        let mut spec = common::model_spec("anywhere");
        spec.decider = DeciderConfig {
            kind: "online_learner".into(),
            params,
        };
        spec.fill_model = ExecutionSettings::default().to_json();
        let other = Symbol::new("OTH").expect("symbol");
        spec.allowed_symbols = vec![sym(), other.clone()];
        let anywhere = s.models().create(alice, &spec).await.expect("model").id;
        let warm = WarmStartRef {
            run: source.run.id,
            version: None,
        };
        let mut req = StartRun::new(alice, anywhere, vec![other], Timeframe::DAY);
        req.warm_start = Some(warm);
        let err = runner.start(req, None).await.err().expect("refused");
        assert!(matches!(err, RunnerError::WarmStart { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("learned the symbols LRN but this run trades OTH"),
            "{text}"
        );
        assert!(common::runs_of(s, anywhere).await.is_empty());
        // The same symbol is accepted.
        let mut req = request(alice, anywhere);
        req.warm_start = Some(warm);
        runner.start(req, None).await.expect("same symbols");
    }
);

/// AR(1) returns with coefficient +0.3 for `flip` bars, then −0.3.
fn regime_change(n: usize, flip: usize) -> Vec<f64> {
    let mut rng = Rng::new(17);
    let mut prev = 0.0;
    (0..n)
        .map(|t| {
            let phi = if t < flip { 0.3 } else { -0.3 };
            prev = phi * prev + 0.01 * rng.normal();
            prev
        })
        .collect()
}

store_test!(the_guardrail_pause_and_resume_are_events_of_the_run, |db| {
    let s = &db.store;
    let alice = common::owner(s, "alice@example.com").await.id;
    let series = bars_from_returns("LRN", &regime_change(9_000, 4_000), 17).unwrap();
    import(s, &series).await;
    let params = json!({"snapshot_every": "0", "min_samples": "100"});
    let m = model(s, alice, "learner", "online_learner", params).await;
    let f = runner(s).start(request(alice, m), None).await.expect("run");
    let events = model_events(s, alice, f.run.id).await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["model"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"paused"), "{kinds:?}");
    assert!(kinds.contains(&"resumed"), "{kinds:?}");
    let detail = events[0]["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("paused: degraded"), "{detail}");
});

store_test!(
    a_live_learner_run_keeps_its_snapshots_and_calibration,
    |db| {
        use std::sync::Arc;
        use tradelab_runner::LiveSource;
        use tradelab_runner::live::{FeedConfig, Schedule, SimClock, StoredBars};
        let s = &db.store;
        let alice = common::owner(s, "alice@example.com").await.id;
        let series = ar1_series("LRN", 400, 0.3, 6).expect("series");
        import(s, &series).await;
        let params = json!({"snapshot_every": "150", "min_samples": "100"});
        let m = model(s, alice, "learner", "online_learner", params).await;
        let start = series.bars()[0].ts();
        let stored = StoredBars::new(vec![series], Timeframe::DAY);
        let source = LiveSource {
            notices: None,
            schedule: Schedule::Stored(stored.starts()),
            provider: Arc::new(stored),
            clock: Arc::new(SimClock::new(start)),
            keep_bars: false,
            feed: FeedConfig {
                symbols: vec![sym()],
                timeframe: Timeframe::DAY,
                start,
                until: None,
                grace: std::time::Duration::from_secs(2),
                retry: std::time::Duration::from_secs(20),
                empty_attempts: 3,
            },
        };
        let f = runner(s)
            .start_live(request(alice, m), source, None)
            .await
            .expect("live run");
        let listed = s.snapshots().list(alice, f.run.id).await.expect("list");
        let bars: Vec<u64> = listed.iter().map(|i| i.bars).collect();
        assert_eq!(bars, [150, 300, 400]);
        let events = model_events(s, alice, f.run.id).await;
        let versions: Vec<_> = events
            .iter()
            .filter(|e| e["model"] == "snapshot")
            .map(|e| e["version"].clone())
            .collect();
        assert_eq!(versions, [json!(1), json!(2)], "{events:?}");
        let run = s.runs().get(alice, f.run.id).await.expect("run");
        assert!(run.summary.expect("summary")["learner"]["brier"].is_f64());
    }
);

/// Stored bars that stop answering from `stall` on (the process hangs there).
struct Stalling {
    inner: tradelab_runner::live::StoredBars,
    stall: Timestamp,
}

impl tradelab_providers::Provider for Stalling {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn supports(&self, class: tradelab_providers::AssetClass, timeframe: Timeframe) -> bool {
        self.inner.supports(class, timeframe)
    }

    fn history<'a>(
        &'a self,
        request: &'a tradelab_providers::BarRequest,
    ) -> tradelab_providers::ProviderFuture<'a, Vec<tradelab_core::Bar>> {
        Box::pin(async move {
            if request.from >= self.stall {
                std::future::pending::<()>().await;
            }
            self.inner.history(request).await
        })
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> tradelab_providers::ProviderFuture<'a, Option<tradelab_core::Bar>> {
        self.inner.latest(symbol, timeframe)
    }
}

/// A live feed of `provider` over the stored `starts`, on a simulated clock.
fn stored_source(
    provider: std::sync::Arc<dyn tradelab_providers::Provider>,
    starts: Vec<Timestamp>,
) -> tradelab_runner::LiveSource {
    use tradelab_runner::live::{FeedConfig, Schedule, SimClock};
    let start = starts[0];
    tradelab_runner::LiveSource {
        notices: None,
        schedule: Schedule::Stored(starts),
        provider,
        clock: std::sync::Arc::new(SimClock::new(start)),
        keep_bars: false,
        feed: FeedConfig {
            symbols: vec![sym()],
            timeframe: Timeframe::DAY,
            start,
            until: None,
            grace: std::time::Duration::from_secs(2),
            retry: std::time::Duration::from_secs(20),
            empty_attempts: 3,
        },
    }
}

store_test!(
    a_resumed_live_learner_run_numbers_its_snapshots_on_and_ends_as_an_unbroken_run,
    |db| {
        use std::sync::Arc;
        use tradelab_runner::live::StoredBars;
        let s = &db.store;
        let alice = common::owner(s, "alice@example.com").await.id;
        let series = ar1_series("LRN", 400, 0.3, 6).expect("series");
        import(s, &series).await;
        let params = json!({"snapshot_every": "150", "min_samples": "100"});
        let m = model(s, alice, "learner", "online_learner", params).await;
        let stored = || StoredBars::new(vec![series.clone()], Timeframe::DAY);
        let starts = stored().starts();
        let runner = runner(s);

        // The first process: the feed hangs at bar 200, then the server shuts down.
        let hanging = Arc::new(Stalling {
            inner: stored(),
            stall: starts[200],
        });
        let first = runner
            .spawn_live(
                request(alice, m),
                stored_source(hanging, starts.clone()),
                None,
            )
            .await
            .expect("live run");
        let id = first.run.id;
        for _ in 0..1000 {
            if s.audit().equity(alice, id).await.expect("equity").len() == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(first.watcher().suspend("the server shut down"));
        let suspended = first.finished().await.expect("suspended");
        assert_eq!(suspended.run.status, tradelab_store::RunStatus::Interrupted);

        // The next process goes on to the end.
        let resumed = runner
            .resume_live(
                alice,
                id,
                stored_source(Arc::new(stored()), starts.clone()),
                None,
            )
            .await
            .expect("resume")
            .finished()
            .await
            .expect("resumed run");
        assert_eq!(resumed.run.status, tradelab_store::RunStatus::Completed);
        let listed = s.snapshots().list(alice, id).await.expect("list");
        let versions: Vec<(i64, u64)> = listed.iter().map(|i| (i.version, i.bars)).collect();
        assert_eq!(
            versions,
            [(1, 150), (2, 200), (3, 300), (4, 400)],
            "numbered on across the restart, none saved twice"
        );
        let events: Vec<serde_json::Value> = model_events(s, alice, id)
            .await
            .into_iter()
            .filter(|e| e["model"] == "snapshot")
            .map(|e| e["version"].clone())
            .collect();
        assert_eq!(events, [json!(1), json!(3)]);

        // The learner ends where a run that never stopped ends.
        let unbroken = runner
            .start_live(
                request(alice, m),
                stored_source(Arc::new(stored()), starts),
                None,
            )
            .await
            .expect("unbroken live run");
        let end = |run| async move {
            s.snapshots()
                .get(alice, run, None)
                .await
                .expect("last snapshot")
                .state
        };
        assert_eq!(end(id).await, end(unbroken.run.id).await);
    }
);
