//! Models over HTTP: create, list, show, change and delete; refusals name the field;
//! another user's model is a 404 on every route, as an id that does not exist.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

/// A model body the server accepts.
fn sma(name: &str) -> Value {
    json!({
        "name": name,
        "strategy": "sma_cross",
        "params": {"fast": 5, "slow": "30"},
        "initial_cash": "25000.50",
        "symbols": ["AAPL", "MSFT"],
        "commission_rate": "0.001",
        "slippage_bps": "2",
        "fill_model": "close",
        "allow_short": true,
        "description": "crossing averages",
    })
}

server_test!(creates_lists_shows_changes_and_deletes_a_model, |srv| {
    let alice = srv.user("alice@x.io").await;
    let (s, m) = alice.post("/models", sma("trend")).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let id = m["id"].as_i64().expect("an id");
    assert_eq!(m["initial_cash"], "25000.50");
    assert_eq!(m["strategy"]["name"], "sma_cross");
    assert_eq!(m["strategy"]["params"]["fast"], "5");
    assert_eq!(m["execution"]["commission_rate"], "0.001");
    assert_eq!(m["execution"]["fill_model"], "close");
    assert_eq!(m["execution"]["allow_short"], true);
    assert_eq!(m["symbols"], json!(["AAPL", "MSFT"]));
    let created = m["created_at"].as_str().expect("a time");
    assert!(created.ends_with('Z') && created.contains('T'), "{created}");

    let (s, page) = alice.get("/models?limit=10").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["next_after"], Value::Null);

    let (s, patched) = alice
        .patch(
            &format!("/models/{id}"),
            json!({"name": "trend2", "params": {"fast": 8}, "initial_cash": "1e4"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "trend2");
    assert_eq!(patched["strategy"]["params"]["fast"], "8");
    assert_eq!(patched["strategy"]["params"]["slow"], "30");
    assert_eq!(patched["initial_cash"], "10000");

    let (s, shown) = alice.get(&format!("/models/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(shown["name"], "trend2");

    let (s, _) = alice.delete(&format!("/models/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = alice.get(&format!("/models/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

server_test!(pages_through_models_by_name, |srv| {
    let alice = srv.user("alice@x.io").await;
    for name in ["a", "b", "c"] {
        let (s, m) = alice.post("/models", sma(name)).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
    }
    let (_, first) = alice.get("/models?limit=2").await;
    assert_eq!(first["items"][1]["name"], "b");
    let after = first["next_after"].as_i64().expect("a next page");
    let (_, second) = alice.get(&format!("/models?limit=2&after={after}")).await;
    assert_eq!(second["items"][0]["name"], "c");
    assert_eq!(second["next_after"], Value::Null);
});

server_test!(rejects_bad_settings_naming_the_field, |srv| {
    let alice = srv.user("alice@x.io").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"strategy": "sma_cross", "symbols": ["A"]}), "name"),
        (json!({"name": "m", "symbols": ["A"]}), "strategy"),
        (
            json!({"name": "m", "strategy": "nope", "symbols": ["A"]}),
            "strategy",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "params": {"fast": "x"}}),
            "params",
        ),
        (json!({"name": "m", "strategy": "sma_cross"}), "symbols"),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "initial_cash": "0"}),
            "initial_cash",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "initial_cash": "lots"}),
            "initial_cash",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "commission_rate": "1"}),
            "commission_rate",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "fill_model": "later"}),
            "fill_model",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "llm": {"model": "gpt"}}),
            "llm.model",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "llm": {"every": 0}}),
            "llm.every",
        ),
        (
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "template": "nope"}),
            "template",
        ),
    ];
    for (body, field) in cases {
        let (s, p) = alice.post("/models", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert_eq!(p["field"], field, "{body} → {p}");
    }
    let (s, _) = alice
        .post(
            "/models",
            json!({"name": "m", "strategy": "sma_cross", "symbols": ["A"], "colour": "red"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let (s, _) = alice.post("/models", sma("twice")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, p) = alice.post("/models", sma("twice")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["field"], "name");
});

server_test!(a_template_on_creation_adds_its_rules, |srv| {
    let alice = srv.user("alice@x.io").await;
    let mut body = sma("day");
    body["template"] = json!("day_trader");
    let (s, m) = alice.post("/models", body).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, rules) = alice.get(&format!("/models/{}/rules", m["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        rules["items"].as_array().is_some_and(|r| !r.is_empty()),
        "{rules}"
    );
    assert_eq!(rules["items"][0]["origin"], "system");
});

server_test!(
    another_users_model_is_not_found_on_every_model_route,
    |srv| {
        let alice = srv.user("alice@x.io").await;
        let bob = srv.user("bob@x.io").await;
        let (_, m) = alice.post("/models", sma("mine")).await;
        let id = m["id"].as_i64().expect("an id");
        let (s, _) = bob.get(&format!("/models/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob
            .patch(&format!("/models/{id}"), json!({"description": "x"}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.delete(&format!("/models/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.get(&format!("/models?after={id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a cursor of another user's model");
        let (s, _) = bob.get("/models/999999").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, p) = bob.get("/models/abc").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        let (s, shown) = alice.get(&format!("/models/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            shown["description"], "crossing averages",
            "bob changed nothing"
        );
    }
);

server_test!(lists_strategies_and_templates, |srv| {
    let alice = srv.user("alice@x.io").await;
    let (s, body) = alice.get("/strategies").await;
    assert_eq!(s, StatusCode::OK);
    let sma = body["strategies"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "sma_cross"))
        .cloned()
        .expect("sma_cross is listed");
    assert!(
        sma["params"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "fast"))
    );
    assert!(sma["warm_up_bars"].as_u64().is_some_and(|n| n > 1), "{sma}");
    let (s, body) = alice.get("/templates").await;
    assert_eq!(s, StatusCode::OK);
    let day = body["templates"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "day_trader"))
        .cloned()
        .expect("day_trader is listed");
    assert!(day["rules"][0]["scope"].is_string(), "{day}");
    let (s, _) = srv.anonymous().get("/strategies").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});
