//! One table of every route that takes an id (in the path, the query or the body):
//! another user's ids get the same 404 as ids that do not exist, and nothing of the
//! owner's changes.

mod common;
mod run_fixtures;

use reqwest::{Method, StatusCode};
use run_fixtures::{import_bars, sma_model, start_run, user_id, wait_for_end};
use serde_json::{Value, json};

/// (method, path, body) of every id-taking route, for model `m`, rule `r`, run `run`,
/// key `k`, and `mine` (a run of the caller's own, for routes taking several ids).
fn routes(m: i64, r: i64, run: i64, k: i64, mine: i64) -> Vec<(Method, String, Value)> {
    let none = json!({});
    vec![
        (Method::GET, format!("/models/{m}"), none.clone()),
        (
            Method::PATCH,
            format!("/models/{m}"),
            json!({"description": "mine now"}),
        ),
        (Method::DELETE, format!("/models/{m}"), none.clone()),
        (Method::GET, format!("/models/{m}/rules"), none.clone()),
        (
            Method::POST,
            format!("/models/{m}/rules"),
            json!({"kind": "stop_loss_pct", "name": "cap2", "params": {"pct": 10}}),
        ),
        (
            Method::PATCH,
            format!("/models/{m}/rules/{r}"),
            json!({"active": false}),
        ),
        (
            Method::DELETE,
            format!("/models/{m}/rules/{r}"),
            none.clone(),
        ),
        (
            Method::POST,
            format!("/models/{m}/templates/day_trader"),
            none.clone(),
        ),
        (Method::POST, format!("/models/{m}/runs"), none.clone()),
        (Method::GET, format!("/runs?model={m}"), none.clone()),
        (Method::GET, format!("/runs/{run}"), none.clone()),
        (Method::GET, format!("/runs/{run}/events"), none.clone()),
        (Method::GET, format!("/runs/{run}/decisions"), none.clone()),
        (Method::GET, format!("/runs/{run}/orders"), none.clone()),
        (Method::GET, format!("/runs/{run}/fills"), none.clone()),
        (Method::GET, format!("/runs/{run}/trades"), none.clone()),
        (
            Method::GET,
            format!("/runs/{run}/equity?points=10"),
            none.clone(),
        ),
        (Method::GET, format!("/runs/{run}/stream"), none.clone()),
        (
            Method::POST,
            format!("/runs/{run}/stop"),
            json!({"flatten": false}),
        ),
        (
            Method::POST,
            format!("/runs/{run}/replay"),
            json!({"rules": {"rule": []}}),
        ),
        (
            Method::POST,
            format!("/runs/{run}/resume"),
            json!({"feed": "replay"}),
        ),
        (
            Method::GET,
            format!("/runs/compare?ids={mine},{run}"),
            none.clone(),
        ),
        (
            Method::GET,
            format!("/runs/spread?runs={mine},{run}"),
            none.clone(),
        ),
        (Method::DELETE, format!("/keys/{k}"), none),
    ]
}

/// The problem detail with the ids in it replaced, to compare "theirs" with "none".
fn shape(detail: &Value, ids: &[i64]) -> String {
    let mut text = detail.as_str().unwrap_or_default().to_string();
    for id in ids {
        text = text.replace(&id.to_string(), "N");
    }
    text
}

server_test!(
    every_id_taking_route_answers_404_for_another_users_ids,
    |srv| {
        import_bars(&srv, "ISO", 120).await;
        let alice = srv.user("alice@x.io").await;
        let bob = srv.user("bob@x.io").await;
        let a_id = user_id(&alice).await;
        let b_id = user_id(&bob).await;
        let m = sma_model(&srv, a_id, "alices", "ISO").await;
        let bm = sma_model(&srv, b_id, "bobs", "ISO").await;
        let (s, rule) = alice
            .post(
                &format!("/models/{}/rules", m.0),
                json!({"kind": "stop_loss_pct", "name": "cap", "params": {"pct": 50}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{rule}");
        let r = rule["id"].as_i64().expect("rule id");
        let run = start_run(&alice, m).await;
        wait_for_end(&alice, run).await;
        let mine = start_run(&bob, bm).await;
        wait_for_end(&bob, mine).await;
        let (_, key) = alice.post("/keys", json!({"name": "alices"})).await;
        let k = key["id"].as_i64().expect("key id");
        let (_, before) = alice.get(&format!("/models/{}", m.0)).await;

        const NONE: i64 = 987_654;
        let theirs = routes(m.0, r, run, k, mine);
        let missing = routes(NONE, NONE, NONE, NONE, mine);
        for ((method, path, body), (_, none_path, _)) in theirs.iter().zip(&missing) {
            let resp = bob
                .request(method.clone(), path)
                .json(body)
                .send()
                .await
                .expect("send");
            let (status, problem) = common::answer(resp).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
            let resp = bob
                .request(method.clone(), none_path)
                .json(body)
                .send()
                .await
                .expect("send");
            let (status, none) = common::answer(resp).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{method} {none_path}: {none}"
            );
            assert_eq!(
                shape(&problem["detail"], &[m.0, r, run, k]),
                shape(&none["detail"], &[NONE]),
                "{method} {path}: another user's id answers like a missing one"
            );
        }
        // Nothing of Alice's changed.
        let (s, after) = alice.get(&format!("/models/{}", m.0)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(before, after);
        let (_, rules) = alice.get(&format!("/models/{}/rules", m.0)).await;
        assert_eq!(rules["items"].as_array().map(Vec::len), Some(1), "{rules}");
        assert_eq!(rules["items"][0]["active"], true);
        let (_, keys) = alice.get("/keys").await;
        assert!(keys["items"][0]["revoked_at"].is_null(), "{keys}");
        let (s, held) = alice.get(&format!("/runs/{run}/positions")).await;
        assert_eq!(s, StatusCode::OK, "{held}");
        let (_, detail) = alice.get(&format!("/runs/{run}")).await;
        assert_eq!(
            held["positions"].as_array().map(Vec::len),
            detail["metrics"]["open_trades"]
                .as_u64()
                .map(|n| n.min(1) as usize),
            "an open trade of the one symbol is an open position: {held} {detail}"
        );
        let (_, runs) = alice.get(&format!("/runs?model={}", m.0)).await;
        assert_eq!(runs["items"].as_array().map(Vec::len), Some(1), "{runs}");
    }
);
