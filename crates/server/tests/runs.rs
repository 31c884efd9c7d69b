//! Runs over HTTP: started (queued, then run by a worker), listed, shown with their
//! metrics, their trail paged, stopped, replayed, compared; another user's run is a
//! 404 everywhere, and malformed requests are refused with the field named.

mod common;
mod run_fixtures;

use reqwest::StatusCode;
use run_fixtures::*;
use serde_json::json;
use tradelab_core::Timeframe;
use tradelab_runner::StartRun;

server_test!(
    a_run_started_over_the_api_ends_with_the_metrics_of_the_runner,
    |srv| {
        import_bars(&srv, "APX", 300).await;
        let alice = srv.user("alice@x.io").await;
        let owner = user_id(&alice).await;
        let model = sma_model(&srv, owner, "cross", "APX").await;
        let r = alice
            .request(reqwest::Method::POST, &format!("/models/{}/runs", model.0))
            .json(&json!({}))
            .send()
            .await
            .expect("start");
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let location = r.headers()["location"].to_str().expect("text").to_string();
        let queued: serde_json::Value = r.json().await.expect("json");
        assert_eq!(queued["status"], "queued");
        assert_eq!(queued["number"], 1);
        let id = queued["id"].as_i64().expect("id");
        assert_eq!(location, format!("/api/v1/runs/{id}"));

        let done = wait_for_end(&alice, id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["timeframe"], "1d");
        let direct = srv
            .state
            .runner
            .start(StartRun::new(owner, model, vec![], Timeframe::DAY), None)
            .await
            .expect("the runner runs it");
        let expected = serde_json::to_value(&direct.report).expect("report");
        // Exact values are equal; floats equal but for their last digit (the stored
        // summary went through the database's JSON).
        for key in ["final_equity_exact", "closed_trades", "fills"] {
            assert_eq!(done["metrics"][key], expected[key], "{key}");
        }
        for key in [
            "final_equity",
            "total_return_pct",
            "sharpe",
            "max_drawdown_pct",
        ] {
            let (a, b) = (done["metrics"][key].as_f64(), expected[key].as_f64());
            assert!(
                matches!((a, b), (Some(a), Some(b)) if (a - b).abs() <= 1e-9 * b.abs().max(1.0)),
                "{key}: {a:?} vs {b:?}"
            );
        }
        assert!(
            expected["fills"].as_u64().unwrap_or(0) > 0,
            "the model trades"
        );

        let (s, list) = alice.get(&format!("/runs?model={}", model.0)).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
        let (_, list) = alice.get("/runs?status=completed&limit=1").await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        assert!(list["next_after"].is_i64());
    }
);

server_test!(the_trail_pages_by_seq_without_gaps_or_repeats, |srv| {
    import_bars(&srv, "APX", 300).await;
    let alice = srv.user("alice@x.io").await;
    let model = sma_model(&srv, user_id(&alice).await, "cross", "APX").await;
    let id = start_run(&alice, model).await;
    wait_for_end(&alice, id).await;

    let whole = all_events(&alice, id, 1000).await;
    let paged = all_events(&alice, id, 3).await;
    let seqs = |v: &[serde_json::Value]| -> Vec<i64> {
        v.iter().map(|e| e["seq"].as_i64().expect("seq")).collect()
    };
    assert_eq!(seqs(&whole), seqs(&paged));
    assert!(seqs(&whole).windows(2).all(|w| w[0] < w[1]));
    assert!(whole.iter().all(|e| e["time"].is_string()));
    assert_eq!(
        whole.last().map(|e| e["kind"].clone()),
        Some(json!("run_finished"))
    );

    let (s, fills) = alice
        .get(&format!("/runs/{id}/events?kind=fill&limit=1000"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let fills = fills["items"].as_array().expect("items").clone();
    assert!(!fills.is_empty());
    assert!(
        fills
            .iter()
            .all(|e| e["kind"] == "fill" && e["price"].is_string())
    );

    let (_, orders) = alice.get(&format!("/runs/{id}/orders?limit=1000")).await;
    let orders = orders["items"].as_array().expect("orders").clone();
    assert!(
        orders
            .iter()
            .any(|o| o["status"] == "filled" && o["filled_avg_price"].is_string())
    );
    assert!(
        orders
            .iter()
            .all(|o| o.get("client_order_id").is_some() && o["type"].is_string())
    );
    let (_, own_fills) = alice.get(&format!("/runs/{id}/fills?limit=2")).await;
    assert_eq!(
        own_fills["items"].as_array().map(Vec::len),
        Some(2.min(fills.len()))
    );
    let (s, trades) = alice.get(&format!("/runs/{id}/trades")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        trades["items"]
            .as_array()
            .is_some_and(|t| !t.is_empty() && t[0]["exit_time"].is_string())
    );
    let (s, _) = alice.get(&format!("/runs/{id}/decisions?limit=5")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, eq) = alice.get(&format!("/runs/{id}/equity?points=20")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(eq["total"], 300);
    let points = eq["points"].as_array().expect("points");
    assert!(points.len() <= 20 && points.len() > 2);
    assert!(points[0]["equity"].is_string());
});

server_test!(
    stopping_a_run_ends_it_stopped_and_an_ended_one_is_a_conflict,
    |srv| {
        import_long_bars(&srv, "LNG", 80_000).await;
        let alice = srv.user("alice@x.io").await;
        let model = sma_model(&srv, user_id(&alice).await, "long", "LNG").await;
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.push(start_run(&alice, model).await);
        }
        let last = *ids.last().expect("a run");
        let (s, body) = alice
            .post(&format!("/runs/{last}/stop"), json!({"flatten": true}))
            .await;
        assert!(
            s == StatusCode::OK || s == StatusCode::ACCEPTED,
            "{s}: {body}"
        );
        let ended = wait_for_end(&alice, last).await;
        assert_eq!(ended["status"], "stopped", "{ended}");
        let (s, _) = alice.post(&format!("/runs/{last}/stop"), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        for id in ids {
            wait_for_end(&alice, id).await;
        }
    }
);

server_test!(a_replay_with_other_rules_and_a_comparison, |srv| {
    import_bars(&srv, "APX", 300).await;
    let alice = srv.user("alice@x.io").await;
    let model = sma_model(&srv, user_id(&alice).await, "cross", "APX").await;
    let parent = start_run(&alice, model).await;
    wait_for_end(&alice, parent).await;
    let rules = json!({"rule": [{"name": "small", "kind": "max_position_pct", "pct": 10}]});
    let (s, replay) = alice
        .post(&format!("/runs/{parent}/replay"), json!({"rules": rules}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{replay}");
    assert_eq!(replay["replay_of"], parent);
    let child = replay["id"].as_i64().expect("id");
    assert_eq!(wait_for_end(&alice, child).await["status"], "completed");
    let (s, cmp) = alice
        .get(&format!("/runs/compare?ids={parent},{child}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{cmp}");
    assert_eq!(cmp["runs"].as_array().map(Vec::len), Some(2));
    assert!(cmp["differences"].as_array().is_some_and(|d| !d.is_empty()));
});

server_test!(
    another_users_run_and_model_are_not_found_on_every_route,
    |srv| {
        import_bars(&srv, "APX", 300).await;
        let alice = srv.user("alice@x.io").await;
        let bob = srv.user("bob@x.io").await;
        let a_model = sma_model(&srv, user_id(&alice).await, "cross", "APX").await;
        let b_model = sma_model(&srv, user_id(&bob).await, "mine", "APX").await;
        let a_run = start_run(&alice, a_model).await;
        let b_run = start_run(&bob, b_model).await;
        wait_for_end(&alice, a_run).await;
        wait_for_end(&bob, b_run).await;
        for path in [
            "",
            "/events",
            "/decisions",
            "/orders",
            "/fills",
            "/trades",
            "/equity",
            "/stream",
        ] {
            let (s, body) = bob.get(&format!("/runs/{a_run}{path}")).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "GET /runs/{a_run}{path}: {body}");
        }
        let (s, _) = bob.get("/runs/999999").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.post(&format!("/runs/{a_run}/stop"), json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let rules = json!({"rule": [{"name": "small", "kind": "max_position_pct", "pct": 10}]});
        let (s, _) = bob
            .post(&format!("/runs/{a_run}/replay"), json!({"rules": rules}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.get(&format!("/runs/compare?ids={b_run},{a_run}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob
            .post(&format!("/models/{}/runs", a_model.0), json!({}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.get(&format!("/runs?model={}", a_model.0)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.get(&format!("/runs?after={a_run}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, mine) = bob.get("/runs").await;
        assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    }
);

server_test!(rejects_malformed_requests_naming_the_field, |srv| {
    import_bars(&srv, "APX", 300).await;
    let alice = srv.user("alice@x.io").await;
    let model = sma_model(&srv, user_id(&alice).await, "cross", "APX").await;
    let start = format!("/models/{}/runs", model.0);
    let (s, p) = alice.post(&start, json!({"symbol": ["APX"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown field: {p}");
    let (s, p) = alice.post(&start, json!({"timeframe": "fortnight"})).await;
    assert_eq!(
        (s, p["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("timeframe"))
    );
    let (s, p) = alice.post(&start, json!({"from": "last tuesday"})).await;
    assert_eq!(
        (s, p["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("from"))
    );
    let (s, p) = alice.post(&start, json!({"timeframe": "1m"})).await;
    assert_eq!(
        (s, p["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("timeframe")),
        "no 1m bars"
    );
    let (s, p) = alice.post(&start, json!({"symbols": ["ZZZ"]})).await;
    assert_eq!(
        (s, p["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("symbols")),
        "{p}"
    );
    assert_eq!(
        (s, p["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("symbols"))
    );
    let r = alice
        .request(reqwest::Method::POST, &start)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (s, _) = alice.get("/runs/abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = alice.get("/runs?status=sleeping").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = alice.get("/runs/compare?ids=1,x").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let id = start_run(&alice, model).await;
    wait_for_end(&alice, id).await;
    let (s, p) = alice
        .post(&format!("/runs/{id}/stop"), json!({"flatten": "yes"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = alice
        .post(
            &format!("/runs/{id}/replay"),
            json!({"rules": {"rule": [{"name": "x", "kind": "no_such_rule"}]}}),
        )
        .await;
    assert_eq!(
        (s, p["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("rules"))
    );
    let (s, _) = alice.get(&format!("/runs/{id}/events?limit=0")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = alice.get(&format!("/runs/{id}/events?colour=red")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
});

server_test!(a_run_started_with_its_own_rules_keeps_the_models, |srv| {
    import_bars(&srv, "APX", 300).await;
    let alice = srv.user("alice@x.io").await;
    let model = sma_model(&srv, user_id(&alice).await, "cross", "APX").await;
    let rules = json!({"rule": [{"name": "small", "kind": "max_position_pct", "pct": 10}]});
    let (s, run) = alice
        .post(
            &format!("/models/{}/runs", model.0),
            json!({"rules": rules}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{run}");
    let id = run["id"].as_i64().expect("id");
    let done = wait_for_end(&alice, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let snapshot_rules = done["snapshot"]["rules"].to_string();
    assert!(snapshot_rules.contains("small"), "{snapshot_rules}");
    let (_, own) = alice.get(&format!("/models/{}/rules", model.0)).await;
    assert_eq!(own["items"], json!([]), "the model's rules are unchanged");
    let (s, p) = alice
        .post(
            &format!("/models/{}/runs", model.0),
            json!({"rules": {"rule": [{"name": "x", "kind": "no_such_rule"}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "rules");
});
