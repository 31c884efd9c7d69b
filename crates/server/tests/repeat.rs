//! `tradelab runs start MODEL --repeat N` over HTTP: a start with `repeat` queues N
//! identical runs, and `GET /runs/spread` answers the spread the runner computes for
//! the CLI (metrics, decision agreement) once they all ended; runs still waiting are
//! a conflict, another user's runs are not found.

mod common;
mod run_fixtures;

use reqwest::StatusCode;
use run_fixtures::{start_run, user_id, wait_for_end};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tradelab_core::{OrderIntent, Side, Sizing, Symbol, Timeframe};
use tradelab_engine::strategies::StrategyInfo;
use tradelab_engine::{DecideError, Decider, DeciderRegistry, Decision, DecisionContext};
use tradelab_runner::{Runner, Spread};
use tradelab_store::{DeciderConfig, ImportMode, ModelId, Run, RunId, UserId};

/// What the test deciders share: a gate their runs wait at before their first step,
/// and how many runs took a first step.
#[derive(Default)]
struct Shared {
    open: AtomicBool,
    started: AtomicUsize,
}

/// Says why it holds at every step; the first run to take a step also buys at its
/// fourth, so that run disagrees with the others at exactly one step.
struct Musing {
    shared: Arc<Shared>,
    step: usize,
    buyer: bool,
}

impl Decider for Musing {
    fn name(&self) -> String {
        "musing".into()
    }

    fn on_step(&mut self, ctx: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        if self.step == 0 {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !self.shared.open.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            self.buyer = self.shared.started.fetch_add(1, Ordering::SeqCst) == 0;
        }
        if self.buyer && self.step == 3 {
            let symbol = ctx.view.symbol(0).clone();
            d.order(OrderIntent::market(symbol, Side::Buy, Sizing::AllIn, "in"));
        }
        d.reasoning = Some(format!("step {}: holding", self.step));
        self.step += 1;
        Ok(())
    }
}

const MUSING: StrategyInfo = StrategyInfo::fixed("musing", "holds, saying why", &[]);

/// A runner with the musing decider sharing `shared`.
fn musing_runner(shared: Arc<Shared>) -> impl FnOnce(tradelab_store::Store) -> Runner {
    move |store| {
        let registry = DeciderRegistry::builtin()
            .with(MUSING, move |_| {
                Ok(Box::new(Musing {
                    shared: Arc::clone(&shared),
                    step: 0,
                    buyer: false,
                }))
            })
            .expect("a new name");
        Runner::with_deciders(store, registry)
    }
}

/// `owner`'s musing model `name` trading MUS.
async fn musing_model(srv: &common::TestServer, owner: UserId, name: &str) -> ModelId {
    let mut spec = common::db::model_spec(name);
    spec.decider = DeciderConfig {
        kind: "musing".into(),
        params: json!({}),
    };
    spec.allowed_symbols = vec![Symbol::new("MUS").expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    srv.state
        .store
        .models()
        .create(owner, &spec)
        .await
        .expect("model")
        .id
}

/// What the runner's spread of `owner`'s runs `ids` says, read back from JSON text
/// as a client reads the API's answer.
async fn runners_spread(srv: &common::TestServer, owner: UserId, ids: &[i64]) -> Value {
    let mut runs: Vec<Run> = Vec::new();
    for id in ids {
        runs.push(
            srv.state
                .store
                .runs()
                .get(owner, RunId(*id))
                .await
                .expect("the run"),
        );
    }
    let none = Value::Null;
    let with_reports: Vec<(&Run, &Value)> = runs
        .iter()
        .map(|r| (r, r.summary.as_ref().unwrap_or(&none)))
        .collect();
    let spread = Spread::of(&srv.state.store, owner, &with_reports)
        .await
        .expect("the spread");
    serde_json::from_str(&spread.json().to_string()).expect("JSON")
}

async fn repeated_runs_are_queued_together_and_their_spread_is_the_runners(db: common::db::TestDb) {
    let shared = Arc::new(Shared::default());
    let srv = common::TestServer::start_full(db, |_| {}, musing_runner(Arc::clone(&shared))).await;
    srv.state
        .store
        .bars()
        .import_series(
            &common::db::daily_series("MUS", 40, |k| 50.0 + (k % 5) as f64),
            Timeframe::DAY,
            ImportMode::KeepExisting,
        )
        .await
        .expect("import");
    let alice = srv.user("alice@x.io").await;
    let owner = user_id(&alice).await;
    let model = musing_model(&srv, owner, "muse").await;
    let start = format!("/models/{}/runs", model.0);

    for bad in [0, 21] {
        let (s, p) = alice.post(&start, json!({"repeat": bad})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "repeat {bad}: {p}");
        assert_eq!(p["field"], "repeat", "{p}");
    }
    let (_, none) = alice.get(&format!("/runs?model={}", model.0)).await;
    assert_eq!(
        none["items"],
        json!([]),
        "nothing queued by a refused repeat"
    );

    let (s, body) = alice.post(&start, json!({"repeat": 3})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    let runs = body["runs"].as_array().expect("every queued run");
    assert_eq!(runs.len(), 3, "{body}");
    assert!(runs.iter().all(|r| r["status"] == "queued"), "{body}");
    let numbers: Vec<i64> = runs.iter().filter_map(|r| r["number"].as_i64()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let ids: Vec<i64> = runs.iter().filter_map(|r| r["id"].as_i64()).collect();
    let spread_of = |ids: &[i64]| {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        format!("/runs/spread?runs={}", list.join(","))
    };

    // The runs wait at the gate: their spread is not known yet.
    let (s, p) = alice.get(&spread_of(&ids)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let detail = p["detail"].as_str().expect("a detail");
    assert!(
        detail.contains(&format!("run {} (muse#1)", ids[0])),
        "names the run: {detail}"
    );

    shared.open.store(true, Ordering::SeqCst);
    for id in &ids {
        assert_eq!(wait_for_end(&alice, *id).await["status"], "completed");
    }
    let (s, spread) = alice.get(&spread_of(&ids)).await;
    assert_eq!(s, StatusCode::OK, "{spread}");
    assert_eq!(spread, runners_spread(&srv, owner, &ids).await);
    assert_eq!(spread["runs"], json!(["muse#1", "muse#2", "muse#3"]));
    let compared = spread["steps_compared"].as_u64().expect("a count");
    assert!(compared > 10, "every step said something: {spread}");
    assert_eq!(
        spread["steps_agreed"].as_u64(),
        Some(compared - 1),
        "one run bought at one step: {spread}"
    );
    assert_eq!(
        spread["metrics"]["closed_trades"]["values"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    // Without repeat, or with 1, the answer is the one run, as before.
    for body in [json!({"repeat": 1}), json!({})] {
        let (s, one) = alice.post(&start, body).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{one}");
        assert!(one.get("runs").is_none(), "{one}");
        wait_for_end(&alice, one["id"].as_i64().expect("the run's id")).await;
    }
    let (s, p) = alice.get(&spread_of(&ids[..1])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "runs");
    let (s, p) = alice.get(&spread_of(&[ids[0], ids[0]])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // Another user's runs are not found, alone or with one's own.
    let bob = srv.user("bob@x.io").await;
    let bobs = start_run(&bob, musing_model(&srv, user_id(&bob).await, "mine").await).await;
    wait_for_end(&bob, bobs).await;
    let (s, p) = bob.get(&spread_of(&ids)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (s, p) = bob.get(&spread_of(&[bobs, ids[1]])).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    assert_eq!(
        p["detail"],
        format!("run {} not found", ids[1]),
        "as a run that does not exist"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_runs_are_queued_together_and_their_spread_is_the_runners_sqlite() {
    repeated_runs_are_queued_together_and_their_spread_is_the_runners(common::db::sqlite().await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
async fn repeated_runs_are_queued_together_and_their_spread_is_the_runners_postgres() {
    repeated_runs_are_queued_together_and_their_spread_is_the_runners(common::db::postgres().await)
        .await;
}
