//! The leaderboard ranks the caller's finished runs by a metric, with filters; an
//! admin may rank everyone's.

mod common;

use common::db;
use reqwest::StatusCode;
use tradelab_core::{Symbol, Timeframe};
use tradelab_runner::{ExecutionSettings, StartRun};
use tradelab_store::{DeciderConfig, ImportMode};

/// Two finished sma_cross runs of `email`'s model (fast 5 and 20) over a wavy series.
async fn two_runs(srv: &common::TestServer, email: &str) -> Vec<i64> {
    let store = &srv.state.store;
    let _ = store
        .bars()
        .import_series(
            &db::daily_series("WAV", 400, |k| 100.0 + 20.0 * ((k as f64) / 15.0).sin()),
            Timeframe::DAY,
            ImportMode::KeepExisting,
        )
        .await
        .expect("import");
    let user = store
        .users()
        .find_by_email(email)
        .await
        .expect("find")
        .expect("user");
    let mut ids = Vec::new();
    for fast in [5, 20] {
        let mut spec = db::model_spec(&format!("wave{fast}"));
        spec.decider = DeciderConfig {
            kind: "sma_cross".into(),
            params: serde_json::json!({"fast": fast, "slow": 40}),
        };
        spec.allowed_symbols = vec![Symbol::new("WAV").expect("symbol")];
        spec.fill_model = ExecutionSettings::default().to_json();
        let m = store.models().create(user.id, &spec).await.expect("model");
        let done = srv
            .state
            .runner
            .start(
                StartRun::new(
                    user.id,
                    m.id,
                    vec![Symbol::new("WAV").expect("symbol")],
                    Timeframe::DAY,
                ),
                None,
            )
            .await
            .expect("run");
        ids.push(done.run.id.0);
    }
    ids
}

server_test!(
    ranks_the_callers_runs_by_the_metric_and_hides_others,
    |srv| {
        let amy = srv.user("amy@x.io").await;
        let ids = two_runs(&srv, "amy@x.io").await;
        let (s, board) = amy.get("/leaderboard?metric=total_return_pct").await;
        assert_eq!(s, StatusCode::OK, "{board}");
        let entries = board["entries"].as_array().expect("entries").clone();
        assert_eq!(entries.len(), 2);
        let values: Vec<f64> = entries
            .iter()
            .map(|e| e["value"].as_f64().expect("value"))
            .collect();
        assert!(values[0] >= values[1], "{values:?}");
        assert_eq!(entries[0]["rank"], 1);
        assert_eq!(entries[0]["strategy"], "sma_cross");
        let mut seen: Vec<i64> = entries
            .iter()
            .map(|e| e["run_id"].as_i64().expect("id"))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, ids);
        let (_, filtered) = amy.get("/leaderboard?strategy=llm").await;
        assert_eq!(filtered["entries"], serde_json::json!([]));
        let (_, many) = amy.get("/leaderboard?min_trades=100000").await;
        assert_eq!(many["entries"], serde_json::json!([]));
        let bob = srv.user("bob@x.io").await;
        let (_, theirs) = bob.get("/leaderboard").await;
        assert_eq!(theirs["entries"], serde_json::json!([]));
        let (s, _) = bob.get("/leaderboard?scope=all").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let root = srv.admin("root@x.io").await;
        let (s, all) = root.get("/leaderboard?scope=all&metric=sharpe").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(all["entries"].as_array().map(Vec::len), Some(2), "{all}");
        let (s, p) = amy.get("/leaderboard?metric=luck").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "metric");
    }
);

server_test!(ranks_the_shallowest_drawdown_first, |srv| {
    let amy = srv.user("amy@x.io").await;
    two_runs(&srv, "amy@x.io").await;
    let (s, board) = amy.get("/leaderboard?metric=max_drawdown_pct").await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let depths: Vec<f64> = board["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["value"].as_f64().expect("value").abs())
        .collect();
    assert_eq!(depths.len(), 2, "{board}");
    assert!(
        depths[0] < depths[1],
        "the shallower drawdown ranks first: {depths:?}"
    );
});
