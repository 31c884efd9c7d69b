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

async fn emergency_stop_halts_a_running_run_and_refuses_new_ones(db: db::TestDb) {
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
    let srv = common::TestServer::start_full(db, |_| {}, slow_runner).await;
    let user = srv.user("trader@x.io").await;
    let root = srv.admin("root@x.io").await;
    let owner = store
        .users()
        .find_by_email("trader@x.io")
        .await
        .expect("find")
        .expect("user");
    let mut spec = db::model_spec("slow");
    spec.decider = DeciderConfig {
        kind: "slow".into(),
        params: serde_json::json!({}),
    };
    spec.allowed_symbols = vec![Symbol::new("SLW").expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    let model = store.models().create(owner.id, &spec).await.expect("model");
    let start = format!("/models/{}/runs", model.id.0);
    let (s, run) = user.post(&start, serde_json::json!({})).await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "{run}");
    let id = tradelab_store::RunId(run["id"].as_i64().expect("id"));
    for _ in 0..200 {
        if srv.state.queue.live(id).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(srv.state.queue.live(id).is_some(), "the run is running");
    let (s, stopped) = root
        .post("/admin/emergency-stop", serde_json::json!({}))
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    assert_eq!(stopped["stopped_runs"], serde_json::json!([id.0]));
    let mut detail = serde_json::Value::Null;
    for _ in 0..400 {
        let (_, d) = user.get(&format!("/runs/{}", id.0)).await;
        if d["status"] != "running" {
            detail = d;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(detail["status"], "stopped", "{detail}");
    let (_, equity) = user.get(&format!("/runs/{}/equity?points=10", id.0)).await;
    let steps = equity["total"].as_u64().expect("steps");
    assert!(
        steps < 2000,
        "stopped at a step, not at the end: {steps} steps"
    );
    let (s, refused) = user.post(&start, serde_json::json!({})).await;
    assert_eq!(s, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("emergency"),
        "{refused}"
    );
    let (s, _) = root.post("/admin/resume", serde_json::json!({})).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    let (s, again) = user.post(&start, serde_json::json!({})).await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "{again}");
    let again = tradelab_store::RunId(again["id"].as_i64().expect("id"));
    let (s, _) = user
        .post(
            &format!("/runs/{}/stop", again.0),
            serde_json::json!({"flatten": false}),
        )
        .await;
    assert!(s.is_success(), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_stop_halts_a_running_run_and_refuses_new_ones_sqlite() {
    emergency_stop_halts_a_running_run_and_refuses_new_ones(db::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
async fn emergency_stop_halts_a_running_run_and_refuses_new_ones_postgres() {
    emergency_stop_halts_a_running_run_and_refuses_new_ones(db::postgres().await).await;
}
