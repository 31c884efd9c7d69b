//! A model's structured rules over HTTP: add (checked as a rules file is), list with
//! their scope in words, toggle and reprioritize, remove, apply a template; another
//! user's model and a rule of another model are 404 on every route.

mod common;

use common::Client;
use reqwest::StatusCode;
use serde_json::json;

/// A new model of `client`'s; its id.
async fn model(client: &Client, name: &str) -> i64 {
    let (s, m) = client
        .post(
            "/models",
            json!({"name": name, "strategy": "sma_cross", "symbols": ["AAPL"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m["id"].as_i64().expect("an id")
}

server_test!(adds_lists_changes_and_removes_a_rule, |srv| {
    let alice = srv.user("alice@x.io").await;
    let id = model(&alice, "m").await;
    let (s, r) = alice
        .post(
            &format!("/models/{id}/rules"),
            json!({"name": "stop", "kind": "stop_loss_pct", "params": {"pct": 5}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rule = r["id"].as_i64().expect("an id");
    assert_eq!(r["kind"], "stop_loss_pct");
    assert_eq!(r["params"]["pct"].as_f64(), Some(5.0), "{r}");
    assert_eq!(r["scope_kind"], "exits_position");
    assert!(
        r["scope"].as_str().is_some_and(|s| s.contains("exits")),
        "{r}"
    );
    assert_eq!(r["active"], true);
    assert_eq!(r["priority"], 8);

    let (s, list) = alice.get(&format!("/models/{id}/rules")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"][0]["name"], "stop");

    let (s, r) = alice
        .patch(
            &format!("/models/{id}/rules/{rule}"),
            json!({"active": false, "priority": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["active"], false);
    assert_eq!(r["priority"], 3);

    let (s, _) = alice.delete(&format!("/models/{id}/rules/{rule}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = alice.get(&format!("/models/{id}/rules")).await;
    assert_eq!(list["items"], json!([]));
});

server_test!(rejects_bad_rules_with_the_rules_files_messages, |srv| {
    let alice = srv.user("alice@x.io").await;
    let id = model(&alice, "m").await;
    let path = format!("/models/{id}/rules");
    let (s, p) = alice
        .post(
            &path,
            json!({"name": "stop", "kind": "stop_loss_pct", "params": {"pct": 150}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "params.pct");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rule \"stop\" field pct")),
        "{p}"
    );
    let (s, p) = alice
        .post(&path, json!({"name": "x", "kind": "no_such_kind"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "kind");
    let (s, p) = alice.post(&path, json!({"kind": "stop_loss_pct"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "name");
    let (s, p) = alice
        .post(
            &path,
            json!({"name": "s", "kind": "stop_loss_pct", "params": {"pct": 5}, "priority": 11}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "priority");

    // A second active rule of a kind that allows one is refused with the others.
    let (s, _) = alice
        .post(
            &path,
            json!({"name": "s1", "kind": "stop_loss_pct", "params": {"pct": 5}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, p) = alice
        .post(
            &path,
            json!({"name": "s2", "kind": "stop_loss_pct", "params": {"pct": 6}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = alice
        .post(
            &path,
            json!({"name": "s1", "kind": "take_profit_pct", "params": {"pct": 6}}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a name used twice: {p}"
    );
    let (s, p) = alice
        .post(
            &path,
            json!({"name": "s3", "kind": "stop_loss_pct", "params": {"pct": 6}, "active": false}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "an inactive second one is kept: {p}"
    );
    let off = p["id"].as_i64().expect("an id");
    let (s, p) = alice
        .patch(&format!("{path}/{off}"), json!({"active": true}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "turning it on makes two: {p}"
    );
    let (s, _) = alice
        .patch(&format!("{path}/{off}"), json!({"colour": "red"}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
});

server_test!(applies_a_template_once, |srv| {
    let alice = srv.user("alice@x.io").await;
    let id = model(&alice, "m").await;
    let (s, added) = alice
        .post(&format!("/models/{id}/templates/swing_trader"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let items = added["items"].as_array().expect("rules");
    assert!(!items.is_empty());
    assert!(items.iter().all(|r| r["scope"].is_string()), "{added}");
    let (s, p) = alice
        .post(&format!("/models/{id}/templates/swing_trader"), json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "names taken: {p}");
    let (s, _) = alice
        .post(&format!("/models/{id}/templates/nope"), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

server_test!(
    another_users_model_or_rule_is_not_found_on_every_rule_route,
    |srv| {
        let alice = srv.user("alice@x.io").await;
        let bob = srv.user("bob@x.io").await;
        let id = model(&alice, "m").await;
        let other = model(&alice, "other").await;
        let (_, r) = alice
            .post(
                &format!("/models/{id}/rules"),
                json!({"name": "stop", "kind": "stop_loss_pct", "params": {"pct": 5}}),
            )
            .await;
        let rule = r["id"].as_i64().expect("an id");
        let rule_json = json!({"name": "t", "kind": "take_profit_pct", "params": {"pct": 5}});

        let (s, _) = bob.get(&format!("/models/{id}/rules")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob
            .post(&format!("/models/{id}/rules"), rule_json.clone())
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob
            .patch(
                &format!("/models/{id}/rules/{rule}"),
                json!({"active": false}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.delete(&format!("/models/{id}/rules/{rule}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob
            .post(&format!("/models/{id}/templates/day_trader"), json!({}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Bob's own model with Alice's rule id, and Alice's rule under her other model.
        let bobs = model(&bob, "b").await;
        let (s, _) = bob
            .patch(
                &format!("/models/{bobs}/rules/{rule}"),
                json!({"active": false}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.delete(&format!("/models/{bobs}/rules/{rule}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bob.get(&format!("/models/{bobs}/rules?after={rule}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a cursor of another user's rule");
        let (s, _) = alice
            .patch(
                &format!("/models/{other}/rules/{rule}"),
                json!({"active": false}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a rule of another model");
        let (s, _) = alice.delete(&format!("/models/{other}/rules/{rule}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a rule of another model");

        let (_, list) = alice.get(&format!("/models/{id}/rules")).await;
        assert_eq!(list["items"][0]["active"], true, "nothing changed");
    }
);
