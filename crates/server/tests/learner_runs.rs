//! Online-learner runs over HTTP: a run's snapshots and calibration
//! (`GET /runs/{id}/snapshots`), a warm start in the start body, and wrong warm-start
//! references refused: an unknown or another user's run and a missing version as 404,
//! a model that cannot start from the snapshot as 422 naming `warm_start`.

mod common;
mod run_fixtures;

use reqwest::StatusCode;
use run_fixtures::*;
use serde_json::json;
use tradelab_core::{Symbol, Timeframe};
use tradelab_runner::Runner;
use tradelab_store::{DeciderConfig, ImportMode, ModelId, UserId};

fn learning_runner(store: tradelab_store::Store) -> Runner {
    let mut registry = tradelab_engine::DeciderRegistry::builtin();
    tradelab_learner::register(&mut registry).expect("register");
    Runner::with_deciders(store, registry)
}

async fn learner_model(
    srv: &common::TestServer,
    owner: UserId,
    name: &str,
    params: serde_json::Value,
) -> ModelId {
    let mut spec = common::db::model_spec(name);
    spec.decider = DeciderConfig {
        kind: "online_learner".into(),
        params,
    };
    spec.allowed_symbols = vec![Symbol::new("LRN").expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    srv.state
        .store
        .models()
        .create(owner, &spec)
        .await
        .expect("model")
        .id
}

async fn snapshots_and_warm_starts_over_the_api(db: common::db::TestDb) {
    let srv = common::TestServer::start_full(db, |_| {}, learning_runner).await;
    let series = tradelab_learner::synth::ar1_series("LRN", 500, 0.3, 3).expect("series");
    srv.state
        .store
        .bars()
        .import_series(&series, Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .expect("import");
    let alice = srv.user("alice@x.io").await;
    let bob = srv.user("bob@x.io").await;
    let owner = user_id(&alice).await;
    let params = json!({"snapshot_every": "200", "min_samples": "100"});
    let m = learner_model(&srv, owner, "learner", params.clone()).await;
    let first = start_run(&alice, m).await;
    let done = wait_for_end(&alice, first).await;
    assert_eq!(done["status"], "completed", "{done}");

    let (s, snaps) = alice.get(&format!("/runs/{first}/snapshots")).await;
    assert_eq!(s, StatusCode::OK, "{snaps}");
    let bars: Vec<u64> = snaps["snapshots"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v["bars"].as_u64())
        .collect();
    assert_eq!(bars, [200, 400, 500]);
    assert_eq!(snaps["snapshots"][0]["version"], 1);
    assert!(snaps["calibration"]["brier"].is_f64(), "{snaps}");
    let (s, _) = bob.get(&format!("/runs/{first}/snapshots")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, events) = alice.get(&format!("/runs/{first}/events?kind=model")).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let items = events["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        2,
        "the snapshots at 200 and 400 bars: {events}"
    );
    assert!(events.to_string().contains("snapshot"), "{events}");

    let start = |body: serde_json::Value| {
        let alice = &alice;
        async move { alice.post(&format!("/models/{}/runs", m.0), body).await }
    };
    let (s, warm) = start(json!({"warm_start": {"run": first, "version": 2}})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{warm}");
    let warm = wait_for_end(&alice, warm["id"].as_i64().expect("id")).await;
    assert_eq!(warm["status"], "completed", "{warm}");

    let (s, e) = start(json!({"warm_start": {"run": first + 1000}})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, e) = start(json!({"warm_start": {"run": first, "version": 9}})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let bobs = learner_model(&srv, user_id(&bob).await, "bobs", params).await;
    let (s, e) = bob
        .post(
            &format!("/models/{}/runs", bobs.0),
            json!({"warm_start": {"run": first}}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another user's run is unknown: {e}"
    );
    let other = learner_model(&srv, owner, "rsi-only", json!({"features": "rsi"})).await;
    let (s, e) = alice
        .post(
            &format!("/models/{}/runs", other.0),
            json!({"warm_start": {"run": first}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("warm_start"), "{e}");
    assert!(e.to_string().contains("features"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_and_warm_starts_over_the_api_sqlite() {
    snapshots_and_warm_starts_over_the_api(common::db::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
async fn snapshots_and_warm_starts_over_the_api_postgres() {
    snapshots_and_warm_starts_over_the_api(common::db::postgres().await).await;
}
