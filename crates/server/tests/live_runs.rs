//! Live paper runs over HTTP: started with `live` (here stored bars replayed as live),
//! `running` at once, stopped like any run, ending as a replay of the same bars; bad
//! feeds are refused naming the field; only an interrupted live run resumes.

mod common;
mod run_fixtures;

use reqwest::StatusCode;
use run_fixtures::*;
use serde_json::json;
use tradelab_core::Timeframe;
use tradelab_runner::StartRun;

/// Alice with her SMA-cross model `cross` on `bars` stored daily bars of APX.
async fn alice_with_model(
    srv: &common::TestServer,
    bars: usize,
) -> (
    common::Client,
    tradelab_store::UserId,
    tradelab_store::ModelId,
) {
    import_bars(srv, "APX", bars).await;
    let alice = srv.user("alice@x.io").await;
    let owner = user_id(&alice).await;
    let model = sma_model(srv, owner, "cross", "APX").await;
    (alice, owner, model)
}

server_test!(
    a_live_run_over_the_api_replays_stored_bars_as_live_and_ends_as_a_replay,
    |srv| {
        let (alice, owner, model) = alice_with_model(&srv, 300).await;
        let (s, started) = alice
            .post(
                &format!("/models/{}/runs", model.0),
                json!({"live": {"feed": "replay", "speed": 1e12}}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{started}");
        assert_eq!(started["status"], "running");
        assert_eq!(started["source"], "live");
        let id = started["id"].as_i64().expect("id");
        let done = wait_for_end(&alice, id).await;
        assert_eq!(done["status"], "completed", "{done}");
        let (_, shown) = alice.get(&format!("/runs/{id}")).await;
        assert_eq!(
            shown["snapshot"]["live_feed"],
            json!({"feed": "replay", "speed": 1e12}),
            "the run keeps its feed for a resume: {shown}"
        );
        let replay = srv
            .state
            .runner
            .start(StartRun::new(owner, model, vec![], Timeframe::DAY), None)
            .await
            .expect("the runner replays it");
        let expected = serde_json::to_value(&replay.report).expect("report");
        for key in ["final_equity_exact", "closed_trades", "fills", "bars"] {
            assert_eq!(done["metrics"][key], expected[key], "{key}");
        }
        let (s, again) = alice.post(&format!("/runs/{id}/resume"), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{again}");
        assert!(
            again["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("it ended (completed)"),
            "{again}"
        );
    }
);

server_test!(
    a_live_run_waiting_for_its_next_bar_stops_over_the_api,
    |srv| {
        let (alice, _, model) = alice_with_model(&srv, 300).await;
        // Real time: the next daily bar is a day away.
        let (s, started) = alice
            .post(
                &format!("/models/{}/runs", model.0),
                json!({"live": {"feed": "replay", "speed": 1}}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{started}");
        let id = started["id"].as_i64().expect("id");
        let (s, stopping) = alice
            .post(&format!("/runs/{id}/stop"), json!({"flatten": false}))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{stopping}");
        let done = wait_for_end(&alice, id).await;
        assert_eq!(done["status"], "stopped", "{done}");
    }
);

server_test!(live_requests_are_refused_naming_the_field, |srv| {
    let (alice, _, model) = alice_with_model(&srv, 50).await;
    let path = format!("/models/{}/runs", model.0);
    for (body, field) in [
        (json!({"live": {"feed": "tape"}}), "live.feed"),
        (
            json!({"live": {"feed": "replay", "speed": 0}}),
            "live.speed",
        ),
        (json!({"live": {"provider": "forex"}}), "live.provider"),
        (json!({"live": {}, "repeat": 2}), "repeat"),
        (json!({"live": {"speed": "fast"}}), "live.speed"),
    ] {
        let (s, problem) = alice.post(&path, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        let named = problem.to_string();
        assert!(named.contains(field), "{body} names {field}: {problem}");
    }
});

server_test!(
    a_shutdown_leaves_a_live_run_interrupted_at_its_last_step_and_resumable,
    |srv| {
        let mut srv = srv;
        let (alice, owner, model) = alice_with_model(&srv, 300).await;
        // Real time: the next daily bar is a day away when the server shuts down.
        let (s, started) = alice
            .post(
                &format!("/models/{}/runs", model.0),
                json!({"live": {"feed": "replay", "speed": 1}}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{started}");
        let id = tradelab_store::RunId(started["id"].as_i64().expect("id"));
        let store = srv.db.store.clone();
        srv.stop().await;
        let run = store.runs().get(owner, id).await.expect("run");
        assert_eq!(
            run.status,
            tradelab_store::RunStatus::Interrupted,
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
        let trail = store.audit().events(owner, id).await.expect("events");
        assert!(
            !trail
                .iter()
                .any(|e| e.kind == "command" || e.kind == "run_finished"),
            "nothing recorded past the last step: {trail:?}"
        );
        assert!(store.runs().resume(id).await.is_ok(), "it can be resumed");
    }
);
