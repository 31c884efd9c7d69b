//! Runs a server can spawn, watch and steer: the live broadcast and the store get the
//! same events with the same numbers; commands sent through the handle are applied and
//! stored; a hold with reasoning is stored as a `decided` event.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use serde_json::json;
use std::sync::{Arc, Condvar, Mutex};
use tradelab_core::{BarSeries, OrderIntent, Side, Sizing, Symbol, Timeframe};
use tradelab_engine::strategies::StrategyInfo;
use tradelab_engine::{
    Command, DecideError, Decider, DeciderRegistry, Decision, DecisionContext, RunEvent,
};
use tradelab_runner::{ExecutionSettings, Numbered, Runner, StartRun};
use tradelab_store::{DeciderConfig, ImportMode, ModelId, RunStatus, Store};

/// A door the decider waits at before deciding at step `at`, until the test opens it.
/// The state is (the decider arrived, the door is open).
#[derive(Clone, Default)]
struct Door(Arc<(Mutex<(bool, bool)>, Condvar)>);

impl Door {
    fn open(&self) {
        let (state, changed) = &*self.0;
        state.lock().expect("door").1 = true;
        changed.notify_all();
    }

    /// Waits (off the async threads) until the decider is at the door.
    async fn arrival(&self) {
        let door = self.clone();
        tokio::task::spawn_blocking(move || {
            let (state, changed) = &*door.0;
            let mut s = state.lock().expect("door");
            while !s.0 {
                s = changed.wait(s).expect("door");
            }
        })
        .await
        .expect("waiting for the decider");
    }

    fn pass(&self) {
        let (state, changed) = &*self.0;
        let mut s = state.lock().expect("door");
        s.0 = true;
        changed.notify_all();
        while !s.1 {
            s = changed.wait(s).expect("door");
        }
    }
}

/// Holds with reasoning at every step, buys at step 2 and sells at step 6; waits at
/// the door at step `wait_at`.
struct Deliberate {
    step: usize,
    wait_at: usize,
    door: Door,
}

impl Decider for Deliberate {
    fn name(&self) -> String {
        "deliberate".into()
    }

    fn on_step(&mut self, ctx: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        if self.step == self.wait_at {
            self.door.pass();
        }
        let symbol = ctx.view.symbol(0).clone();
        match self.step {
            2 => d.order(OrderIntent::market(symbol, Side::Buy, Sizing::AllIn, "buy")),
            6 => d.order(OrderIntent::market(
                symbol,
                Side::Sell,
                Sizing::ClosePosition,
                "sell",
            )),
            _ => d.reasoning = Some(format!("hold: nothing to do at step {}", self.step)),
        }
        self.step += 1;
        Ok(())
    }
}

const DELIBERATE: StrategyInfo = StrategyInfo::fixed("deliberate", "holds, thinking", &[]);

fn registry(door: &Door, wait_at: usize) -> DeciderRegistry {
    let door = door.clone();
    DeciderRegistry::builtin()
        .with(DELIBERATE, move |_| {
            Ok(Box::new(Deliberate {
                step: 0,
                wait_at,
                door: door.clone(),
            }))
        })
        .expect("a new name")
}

fn bars(n: usize) -> BarSeries {
    common::daily_series("LIV", n, |k| 50.0 + ((k * 7) % 13) as f64)
}

async fn model(store: &Store) -> (tradelab_store::UserId, ModelId) {
    store
        .bars()
        .import_series(&bars(30), Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .expect("import");
    let owner = common::owner(store, "live@x.io").await;
    let mut spec = common::model_spec("deliberate");
    spec.decider = DeciderConfig {
        kind: "deliberate".into(),
        params: json!({}),
    };
    spec.allowed_symbols = vec![Symbol::new("LIV").expect("symbol")];
    spec.fill_model = ExecutionSettings::default().to_json();
    let m = store.models().create(owner.id, &spec).await.expect("model");
    (owner.id, m.id)
}

fn start(owner: tradelab_store::UserId, m: ModelId) -> StartRun {
    StartRun::new(
        owner,
        m,
        vec![Symbol::new("LIV").expect("symbol")],
        Timeframe::DAY,
    )
}

/// Everything the subscriber gets until the run ends.
async fn collect(mut rx: tokio::sync::broadcast::Receiver<Arc<Numbered>>) -> Vec<Numbered> {
    let mut got = Vec::new();
    while let Ok(event) = rx.recv().await {
        let end = matches!(
            event.event,
            RunEvent::RunFinished { .. } | RunEvent::RunFailed { .. }
        );
        got.push((*event).clone());
        if end {
            break;
        }
    }
    got
}

store_test!(
    a_spawned_run_streams_the_same_numbered_events_the_store_keeps,
    |db| {
        let (owner, m) = model(&db.store).await;
        let door = Door::default();
        let runner = Runner::with_deciders(db.store.clone(), registry(&door, 0));
        let handle = runner.spawn(start(owner, m), None).await.expect("spawn");
        assert_eq!(handle.run.status, RunStatus::Running);
        let live = tokio::spawn(collect(handle.subscribe()));
        door.open();
        let finished = handle.finished().await.expect("run");
        let live = live.await.expect("subscriber");
        assert_eq!(finished.run.status, RunStatus::Completed);

        let seqs: Vec<u64> = live.iter().map(|n| n.seq).collect();
        let want: Vec<u64> = (1..=live.len() as u64).collect();
        assert_eq!(
            seqs, want,
            "the subscriber saw every event, numbered from 1"
        );

        let audit = db.store.audit();
        // Every stored row carries the number of the event it records, as broadcast.
        let rows: Vec<(i64, String)> = common::whole_trail(&db.store, owner, finished.run.id, 7)
            .await
            .iter()
            .map(|r| (r.seq(), r.kind().to_string()))
            .collect();
        let broadcast_rows: Vec<(i64, String)> = live
            .iter()
            .filter_map(|n| {
                let kind = match &n.event {
                    RunEvent::Decision { .. } => "decision",
                    RunEvent::OrderAccepted { .. }
                    | RunEvent::OrderRejected { .. }
                    | RunEvent::OrderCancelled { .. } => "order",
                    RunEvent::Fill { .. } => "fill",
                    RunEvent::Decided { .. } => "decided",
                    RunEvent::TradeClosed { .. } => "trade_closed",
                    RunEvent::Risk { .. } => "risk",
                    RunEvent::RunFinished { .. } => "run_finished",
                    _ => return None,
                };
                Some((n.seq as i64, kind.to_string()))
            })
            .collect();
        assert_eq!(rows, broadcast_rows);
        let stored_decisions: Vec<i64> = audit
            .decisions(owner, finished.run.id)
            .await
            .expect("decisions")
            .iter()
            .map(|d| d.seq)
            .collect();
        let live_decisions: Vec<i64> = live
            .iter()
            .filter(|n| matches!(n.event, RunEvent::Decision { .. }))
            .map(|n| n.seq as i64)
            .collect();
        assert_eq!(stored_decisions.len(), 2);
        assert_eq!(stored_decisions, live_decisions);

        let stored_events = audit.events(owner, finished.run.id).await.expect("events");
        let live_events: Vec<(i64, &str)> = live
            .iter()
            .filter_map(|n| match n.event {
                RunEvent::Decided { .. } => Some((n.seq as i64, "decided")),
                RunEvent::TradeClosed { .. } => Some((n.seq as i64, "trade_closed")),
                RunEvent::RunFinished { .. } => Some((n.seq as i64, "run_finished")),
                _ => None,
            })
            .collect();
        let stored: Vec<(i64, &str)> = stored_events
            .iter()
            .map(|e| (e.seq, e.kind.as_str()))
            .collect();
        assert_eq!(stored, live_events);
        let hold = stored_events
            .iter()
            .find(|e| e.kind == "decided")
            .expect("a hold with reasoning is stored");
        assert_eq!(hold.detail["reasoning"], "hold: nothing to do at step 0");
    }
);

store_test!(
    a_stop_sent_through_the_handle_is_applied_recorded_and_stored,
    |db| {
        let (owner, m) = model(&db.store).await;
        let door = Door::default();
        let runner = Runner::with_deciders(db.store.clone(), registry(&door, 4));
        let handle = runner.spawn(start(owner, m), None).await.expect("spawn");
        door.arrival().await;
        handle.send(Command::Stop { flatten: true });
        door.open();
        let finished = handle.finished().await.expect("run");
        assert_eq!(finished.run.status, RunStatus::Stopped);
        assert_eq!(
            finished.outcome.steps, 5,
            "stopped before the step after the door"
        );
        assert!(finished.outcome.open_positions.is_empty(), "flattened");
        let events = db
            .store
            .audit()
            .events(owner, finished.run.id)
            .await
            .expect("events");
        let command = events
            .iter()
            .find(|e| e.kind == "command")
            .expect("the command is stored");
        assert_eq!(command.detail, json!({"command": "stop", "flatten": true}));
        let stored = db
            .store
            .runs()
            .get(owner, finished.run.id)
            .await
            .expect("run");
        assert_eq!(stored.status, RunStatus::Stopped);
    }
);

store_test!(another_owner_cannot_spawn_or_replay_a_users_runs, |db| {
    let (owner, m) = model(&db.store).await;
    let stranger = common::owner(&db.store, "stranger@x.io").await.id;
    let door = Door::default();
    door.open();
    let runner = Runner::with_deciders(db.store.clone(), registry(&door, 0));
    let err = runner
        .spawn(start(stranger, m), None)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains(&m.0.to_string()), "{err}");
    let mine = runner.start(start(owner, m), None).await.expect("run");
    let err = runner
        .spawn_replay(
            stranger,
            mine.run.id,
            tradelab_engine::risk::RuleSet::default(),
            tradelab_runner::ReplayOptions::default(),
            None,
        )
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains(&mine.run.id.0.to_string()),
        "{err}"
    );
});

store_test!(
    a_queued_run_is_stored_queued_and_runs_when_a_worker_starts_it,
    |db| {
        let (owner, m) = model(&db.store).await;
        let door = Door::default();
        door.open();
        let runner = Runner::with_deciders(db.store.clone(), registry(&door, 0));
        let queued = runner.queue(start(owner, m)).await.expect("queue");
        let id = queued.run().id;
        let stored = db.store.runs().get(owner, id).await.expect("run");
        assert_eq!(stored.status, RunStatus::Queued);
        let handle = queued.start(None).await.expect("start");
        assert_eq!(handle.run.status, RunStatus::Running);
        let mut committed = handle.committed();
        let finished = handle.finished().await.expect("run");
        assert_eq!(finished.run.status, RunStatus::Completed);
        committed
            .wait_for(|c| *c == tradelab_runner::TRAIL_ENDED)
            .await
            .expect("the committed mark says the trail is complete");
    }
);

store_test!(a_queued_run_given_up_ends_with_the_reason, |db| {
    let (owner, m) = model(&db.store).await;
    let door = Door::default();
    let runner = Runner::with_deciders(db.store.clone(), registry(&door, 0));
    let queued = runner.queue(start(owner, m)).await.expect("queue");
    let run = queued
        .abandon(
            RunStatus::Interrupted,
            "the server shut down before it started",
        )
        .await
        .expect("abandon");
    assert_eq!(run.status, RunStatus::Interrupted);
    assert_eq!(
        run.status_reason.as_deref(),
        Some("the server shut down before it started")
    );
});

store_test!(
    a_queue_request_for_a_symbol_without_bars_is_refused_and_stores_nothing,
    |db| {
        let (owner, m) = model(&db.store).await;
        let door = Door::default();
        let runner = Runner::with_deciders(db.store.clone(), registry(&door, 0));
        let mut req = start(owner, m);
        req.timeframe = Timeframe::from_secs(60).expect("timeframe");
        let err = runner.queue(req).await.err().expect("refused");
        assert!(
            err.to_string().contains("no stored 1m bars for LIV"),
            "{err}"
        );
        let count = db
            .store
            .runs()
            .count_by_model(owner, m)
            .await
            .expect("count");
        assert_eq!(count, 0);
    }
);
