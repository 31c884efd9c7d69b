//! A graceful shutdown stops running runs at a step, commits them and marks them
//! interrupted; a later start leaves them so.

mod common;

use common::db;
use std::time::Duration;
use tradelab_core::{Symbol, Timeframe};
use tradelab_engine::strategies::StrategyInfo;
use tradelab_engine::{DecideError, Decider, DeciderRegistry, Decision, DecisionContext};
use tradelab_runner::{Runner, StartRun};
use tradelab_store::{DeciderConfig, ImportMode, RunStatus};

/// Takes its time at every step (a model that thinks).
struct Slow;

impl Decider for Slow {
    fn name(&self) -> String {
        "slow".into()
    }

    fn on_step(&mut self, _: &DecisionContext<'_>, _: &mut Decision) -> Result<(), DecideError> {
        std::thread::sleep(Duration::from_millis(5));
        Ok(())
    }
}

const SLOW: StrategyInfo = StrategyInfo::fixed("slow", "sleeps at every step", &[]);

fn slow_runner(store: tradelab_store::Store) -> Runner {
    let registry = DeciderRegistry::builtin()
        .with(SLOW, |_| Ok(Box::new(Slow)))
        .expect("a new name");
    Runner::with_deciders(store, registry)
}

async fn shutdown_marks_a_running_run_interrupted(db: db::TestDb) {
    let store = db.store.clone();
    store
        .bars()
        .import_series(
            &db::daily_series("SLW", 2000, |k| 50.0 + (k % 17) as f64),
            Timeframe::DAY,
            ImportMode::KeepExisting,
        )
        .await
        .expect("import");
    let owner = db::owner(&store, "slow@x.io").await;
    let mut spec = db::model_spec("slow");
    spec.decider = DeciderConfig {
        kind: "slow".into(),
        params: serde_json::json!({}),
    };
    spec.allowed_symbols = vec![Symbol::new("SLW").expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    let model = store.models().create(owner.id, &spec).await.expect("model");
    let mut srv = common::TestServer::start_full(db, |_| {}, slow_runner).await;
    let queued = srv
        .state
        .runner
        .queue(StartRun::new(
            owner.id,
            model.id,
            vec![Symbol::new("SLW").expect("symbol")],
            Timeframe::DAY,
        ))
        .await
        .expect("queue");
    let id = queued.run().id;
    srv.state.queue.push(queued).await.expect("push");
    for _ in 0..200 {
        if srv.state.queue.live(id).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(srv.state.queue.live(id).is_some(), "the run is running");
    tokio::time::sleep(Duration::from_millis(100)).await;
    srv.stop().await;
    let run = store.runs().get(owner.id, id).await.expect("run");
    assert_eq!(
        run.status,
        RunStatus::Interrupted,
        "{:?}",
        run.status_reason
    );
    assert!(
        run.status_reason
            .as_deref()
            .unwrap_or_default()
            .contains("shut down"),
        "{:?}",
        run.status_reason
    );
    let trail = store.audit().events(owner.id, id).await.expect("events");
    assert!(
        trail.iter().any(|e| e.kind == "command"),
        "the stop is recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_marks_a_running_run_interrupted_sqlite() {
    shutdown_marks_a_running_run_interrupted(db::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
async fn shutdown_marks_a_running_run_interrupted_postgres() {
    shutdown_marks_a_running_run_interrupted(db::postgres().await).await;
}
