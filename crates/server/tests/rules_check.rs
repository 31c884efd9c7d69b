//! Rules files over HTTP, as the CLI has them: `POST /rules/check` answers what
//! `tradelab rules check --output json` prints (without the path) or the rules file's
//! message naming the line or the rule and field; `GET /templates/{name}` shows a
//! template with its rules and its TOML text (`tradelab rules templates --show`).

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tradelab_engine::risk::template;
use tradelab_rules_file as rules_file;

/// The text of an example rules file of the repository.
fn example(name: &str) -> String {
    let path = format!("{}/../../examples/rules/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The names of described rules, in their order.
fn names(rules: &Value) -> Vec<String> {
    rules
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].as_str().expect("a name").to_string())
        .collect()
}

server_test!(a_valid_toml_file_is_described_as_the_cli_prints_it, |srv| {
    let alice = srv.user("alice@x.io").await;
    let text = example("custom.toml");
    let (s, body) = alice
        .post("/rules/check", json!({"format": "toml", "text": text}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let set = rules_file::from_toml_str(&text, "custom.toml").expect("the example is valid");
    assert_eq!(body, rules_file::describe(&set));
    assert_eq!(body["valid"], true);
    let priorities: Vec<u64> = body["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["priority"].as_u64().expect("a priority"))
        .collect();
    assert!(priorities.len() > 5, "{body}");
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "highest priority first: {priorities:?}"
    );
    assert!(
        body["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .all(|r| r["summary"].is_string() && r["scope"].is_string()),
        "{body}"
    );
});

server_test!(a_valid_json_file_is_described_too, |srv| {
    let alice = srv.user("alice@x.io").await;
    let text = json!({"rule": [
        {"name": "cap", "kind": "max_position_pct", "pct": 10},
        {"name": "stop", "kind": "stop_loss_pct", "pct": 5}
    ]})
    .to_string();
    let (s, body) = alice
        .post("/rules/check", json!({"format": "json", "text": text}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(names(&body["rules"]), ["stop", "cap"]);
    assert_eq!(body["instructions"], "");
});

server_test!(a_toml_syntax_error_names_the_line, |srv| {
    let alice = srv.user("alice@x.io").await;
    let text = "[[rule]]\nname = \"stop\"\nkind = = \"stop_loss_pct\"\n";
    let (s, p) = alice
        .post("/rules/check", json!({"format": "toml", "text": text}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "text");
    let detail = p["detail"].as_str().expect("a detail");
    assert!(detail.contains("line 3"), "{detail}");
    let (s, p) = alice
        .post(
            "/rules/check",
            json!({"format": "json", "text": "{\"rule\": ["}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "text");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("line 1")),
        "{p}"
    );
});

server_test!(an_invalid_rule_names_the_rule_and_the_field, |srv| {
    let alice = srv.user("alice@x.io").await;
    let text = "[[rule]]\nname = \"tight\"\nkind = \"stop_loss_pct\"\npct = 150\n\n\
                [[rule]]\nname = \"cap\"\nkind = \"max_position_pct\"\npc = 10\n";
    let (s, p) = alice
        .post("/rules/check", json!({"format": "toml", "text": text}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "text");
    let detail = p["detail"].as_str().expect("a detail");
    assert!(detail.contains("rule \"tight\" field pct"), "{detail}");
    assert!(detail.contains("rule \"cap\""), "every problem: {detail}");
});

server_test!(
    refuses_an_unknown_format_an_unknown_field_and_anonymous_callers,
    |srv| {
        let alice = srv.user("alice@x.io").await;
        let (s, p) = alice
            .post("/rules/check", json!({"format": "yaml", "text": ""}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let (s, p) = alice
            .post(
                "/rules/check",
                json!({"format": "toml", "text": "", "file": "x.toml"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let (s, _) = srv
            .anonymous()
            .post("/rules/check", json!({"format": "toml", "text": ""}))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = srv.anonymous().get("/templates/day_trader").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
);

server_test!(shows_a_template_with_its_rules_and_its_toml_text, |srv| {
    let alice = srv.user("alice@x.io").await;
    let (s, t) = alice.get("/templates/day_trader").await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let set = template("day_trader").expect("a template");
    assert_eq!(t["name"], "day_trader");
    let (_, all) = alice.get("/templates").await;
    assert_eq!(t["summary"], all["templates"][0]["summary"]);
    assert_eq!(t["instructions"], set.instructions.as_str());
    assert_eq!(t["rules"], json!(rules_file::describe_rules(&set)));
    let toml = t["toml"].as_str().expect("the TOML text");
    assert_eq!(toml, rules_file::to_toml(&set));
    let back = rules_file::from_toml_str(toml, "day_trader.toml").expect("the text loads");
    assert_eq!(back, set);
    // The TOML checks as the same rules.
    let (s, checked) = alice
        .post("/rules/check", json!({"format": "toml", "text": toml}))
        .await;
    assert_eq!(s, StatusCode::OK, "{checked}");
    assert_eq!(checked["rules"], t["rules"]);
});

server_test!(
    rejects_an_unknown_template_name_listing_the_known_ones,
    |srv| {
        let alice = srv.user("alice@x.io").await;
        let (s, p) = alice.get("/templates/nope").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
        assert_eq!(p["field"], "name");
        let detail = p["detail"].as_str().expect("a detail");
        for name in ["nope", "day_trader", "swing_trader", "scalper"] {
            assert!(detail.contains(name), "{name}: {detail}");
        }
    }
);
