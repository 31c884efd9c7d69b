//! The API's OpenAPI document and its docs page: served to anyone, a valid OpenAPI
//! 3.1 document whose every `$ref` resolves, listing exactly the routes the server
//! serves, and whose answer schemas fit what the server really answers.

mod common;
mod openapi_check;
mod run_fixtures;

use common::{Client, TestServer};
use openapi_check::{Checker, refs, resolve};
use reqwest::{Method, StatusCode};
use run_fixtures::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The document as the server serves it to an anonymous client.
async fn served_document(srv: &TestServer) -> Value {
    let r = reqwest::get(srv.api("/openapi.json"))
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let kind = r.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(kind.starts_with("application/json"), "{kind}");
    r.json().await.expect("the document is JSON")
}

/// Every (method, path) the document describes.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// `v` without `"items": {}` (any items, the same as no `items`).
fn without_any_items(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            if map.get("items") == Some(&json!({})) {
                map.remove("items");
            }
            for inner in map.values_mut() {
                *inner = without_any_items(inner.take());
            }
        }
        Value::Array(items) => {
            for inner in items.iter_mut() {
                *inner = without_any_items(inner.take());
            }
        }
        _ => {}
    }
    v
}

/// A documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{rule_id}", "1")
        .replace("{key}", "registration_open")
        .replace("{name}", "conservative")
}

server_test!(
    the_document_is_public_openapi_3_1_and_every_ref_resolves,
    |srv| {
        let doc = served_document(&srv).await;
        assert_eq!(doc["openapi"], "3.1.0");
        let typed: utoipa::openapi::OpenApi =
            serde_json::from_value(doc.clone()).expect("the document reads as OpenAPI");
        assert_eq!(
            typed.paths.paths.len(),
            doc["paths"].as_object().map_or(0, |p| p.len())
        );
        // Read back, it says the same (utoipa drops `"items": {}`, which means any
        // items, as no `items` does).
        let again = serde_json::to_value(&typed).expect("serializes");
        assert!(
            without_any_items(again.clone()) == without_any_items(doc.clone()),
            "the document round-trips through utoipa's OpenAPI type"
        );
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 100, "{} refs", all.len());
        for r in &all {
            assert!(resolve(&doc, r).is_some(), "{r} does not resolve");
        }
        let mut ids = BTreeSet::new();
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("schemes");
        for (method, path) in operations(&doc) {
            let op = &doc["paths"][&path][method.to_lowercase()];
            let id = op["operationId"]
                .as_str()
                .expect("an operation id")
                .to_string();
            assert!(ids.insert(id.clone()), "operation id {id} is used twice");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path}: no tag"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.starts_with('`')),
                "{method} {path}"
            );
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            for req in op["security"].as_array().into_iter().flatten() {
                for name in req.as_object().expect("a requirement").keys() {
                    assert!(schemes.contains_key(name), "{method} {path}: scheme {name}");
                }
            }
        }
    }
);

server_test!(
    the_public_routes_are_exactly_the_documents_unsecured_ones,
    |srv| {
        let doc = served_document(&srv).await;
        let public: BTreeSet<String> = operations(&doc)
            .into_iter()
            .filter(|(m, p)| doc["paths"][p][m.to_lowercase()]["security"] == json!([]))
            .map(|(m, p)| format!("{m} {p}"))
            .collect();
        let expected: BTreeSet<String> = [
            "GET /api/v1/health",
            "GET /api/v1/health/ready",
            "POST /api/v1/auth/register",
            "POST /api/v1/auth/login",
            "GET /api/v1/openapi.json",
            "GET /api/docs",
            "GET /api/docs/app.js",
        ]
        .map(String::from)
        .into();
        assert_eq!(public, expected);
        assert_eq!(
            doc["security"].as_array().map(Vec::len),
            Some(3),
            "signed in by default"
        );
    }
);

server_test!(
    every_documented_route_is_served_and_the_served_document_is_the_routers,
    |srv| {
        let doc = served_document(&srv).await;
        // The router and the document are made from one handler list
        // (`routes::api`); the server serves that list's document.
        let built = serde_json::to_value(tradelab_server::openapi::document()).expect("json");
        assert_eq!(doc, built);
        let ops = operations(&doc);
        assert!(ops.len() >= 50, "{} operations", ops.len());
        let http = reqwest::Client::new();
        for (method, path) in &ops {
            let url = format!("{}{}", srv.base, concrete(path));
            let mut req =
                http.request(Method::from_bytes(method.as_bytes()).expect("method"), &url);
            if method != "GET" && method != "DELETE" {
                req = req.json(&json!({}));
            }
            let r = req.send().await.expect("request");
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !(status == StatusCode::NOT_FOUND && body.contains("no route")),
                "{method} {path} is documented but not served: {body}"
            );
        }
        // And the probe tells an unserved route.
        let r = http
            .get(srv.api("/no/such/route"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.text().await.unwrap_or_default().contains("no route"));
    }
);

/// The documented path template that `path` (under `/api/v1`, query ignored) is of
/// for `method`: literal segments win over parameters (`/runs/compare` before
/// `/runs/{id}`).
fn template_of(doc: &Value, method: &str, path: &str) -> String {
    let full = format!("/api/v1{}", path.split('?').next().unwrap_or(path));
    let segments: Vec<&str> = full.split('/').collect();
    let mut best: Option<(usize, String)> = None;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let parts: Vec<&str> = template.split('/').collect();
        if item.get(method).is_none() || parts.len() != segments.len() {
            continue;
        }
        let fits = parts
            .iter()
            .zip(&segments)
            .all(|(t, s)| t.starts_with('{') || t == s);
        let literal = parts.iter().filter(|t| !t.starts_with('{')).count();
        if fits && best.as_ref().is_none_or(|(n, _)| literal > *n) {
            best = Some((literal, template.clone()));
        }
    }
    best.map(|(_, t)| t)
        .unwrap_or_else(|| panic!("{method} {full} is not documented"))
}

/// Calls `method path` as `client`, checks that the document lists the answer's
/// status and content type for the route, and that the body fits the documented
/// schema and has no undocumented field; the status and body.
async fn fits(
    doc: &Value,
    client: &Client,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let mut req = client.request(m, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.unwrap_or_default();
    let checker = Checker { doc };
    let template = template_of(doc, method, path);
    let schema = checker
        .answer_schema(method, &template, status.as_u16(), &kind)
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    let value = if kind.starts_with("text/plain") {
        Value::String(text.clone())
    } else if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
    };
    if let Some(schema) = schema {
        let at = format!("{method} {path} {status}");
        let errs = checker.check(schema, &value, &at);
        assert!(errs.is_empty(), "{errs:#?}\n{value:#}");
        let extra = checker.undocumented(schema, &value, &at);
        assert!(extra.is_empty(), "{extra:#?}\n{value:#}");
    }
    (status, value)
}

/// A client of the API that checks each answer against the document.
struct Probe<'a> {
    doc: &'a Value,
    client: Client,
}

impl Probe<'_> {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        fits(self.doc, &self.client, "get", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        fits(self.doc, &self.client, "post", path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        fits(self.doc, &self.client, "patch", path, Some(body)).await
    }
}

server_test!(
    answers_of_representative_routes_fit_their_documented_schemas,
    |srv| {
        let doc = served_document(&srv).await;
        let anon = Probe {
            doc: &doc,
            client: srv.anonymous(),
        };
        // Accounts: register, its refusals, login both ways, me, keys.
        let who = json!({"email": "alice@x.io", "password": "correct horse battery"});
        assert_eq!(
            anon.post("/auth/register", who.clone()).await.0,
            StatusCode::CREATED
        );
        assert_eq!(
            anon.post("/auth/register", who.clone()).await.0,
            StatusCode::CONFLICT
        );
        let (s, p) = anon.post("/auth/register", json!({"email": 1})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let wrong = json!({"email": "alice@x.io", "password": "wrong password!"});
        assert_eq!(
            anon.post("/auth/login", wrong).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (s, cookie) = anon.post("/auth/login", who.clone()).await;
        assert_eq!(s, StatusCode::OK);
        assert!(cookie["csrf_token"].is_string());
        let mut token = who.clone();
        token["token"] = json!(true);
        let (_, login) = anon.post("/auth/login", token).await;
        let client = Client {
            token: login["token"].as_str().map(str::to_string),
            ..srv.anonymous()
        };
        let alice = Probe { doc: &doc, client };
        alice.get("/auth/me").await;
        assert_eq!(anon.get("/auth/me").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            alice.post("/keys", json!({"name": "ci"})).await.0,
            StatusCode::CREATED
        );
        alice.get("/keys").await;
        // Models and rules, and what a model is made from.
        let new = json!({"name": "cross", "strategy": "sma_cross",
            "params": {"fast": 5, "slow": 20}, "symbols": ["APX"]});
        let (s, model) = alice.post("/models", new).await;
        assert_eq!(s, StatusCode::CREATED, "{model}");
        let m = model["id"].as_i64().expect("id");
        let bad = json!({"name": "bad", "strategy": "sma_cross", "initial_cash": "lots"});
        assert_eq!(
            alice.post("/models", bad).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        alice.get("/models").await;
        alice
            .patch(&format!("/models/{m}"), json!({"description": "d"}))
            .await;
        assert_eq!(alice.get("/models/abc").await.0, StatusCode::BAD_REQUEST);
        let rule = json!({"name": "stop", "kind": "stop_loss_pct", "params": {"pct": 5}});
        let (s, rule) = alice.post(&format!("/models/{m}/rules"), rule).await;
        assert_eq!(s, StatusCode::CREATED, "{rule}");
        alice.get(&format!("/models/{m}/rules")).await;
        alice.get("/strategies").await;
        alice.get("/templates").await;
        assert_eq!(alice.get("/templates/day_trader").await.0, StatusCode::OK);
        assert_eq!(alice.get("/templates/nope").await.0, StatusCode::NOT_FOUND);
        let file = "[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 5\n";
        let (s, checked) = alice
            .post("/rules/check", json!({"format": "toml", "text": file}))
            .await;
        assert_eq!(s, StatusCode::OK, "{checked}");
        let (s, _) = alice
            .post(
                "/rules/check",
                json!({"format": "toml", "text": "pct = = 5"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // Runs: start two, list, detail, trail, compare; refusals.
        import_bars(&srv, "APX", 300).await;
        let (s, first) = alice.post(&format!("/models/{m}/runs"), json!({})).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let daily = json!({"timeframe": "1d"});
        let (_, second) = alice.post(&format!("/models/{m}/runs"), daily).await;
        let (a, b) = (
            first["id"].as_i64().expect("id"),
            second["id"].as_i64().expect("id"),
        );
        wait_for_end(&alice.client, a).await;
        wait_for_end(&alice.client, b).await;
        alice.get("/runs").await;
        let (_, detail) = alice.get(&format!("/runs/{a}")).await;
        assert_eq!(detail["status"], "completed", "{detail}");
        for trail in ["events", "decisions", "orders", "fills", "trades"] {
            let (s, page) = alice.get(&format!("/runs/{a}/{trail}?limit=1000")).await;
            assert_eq!(s, StatusCode::OK);
            assert!(
                !page["items"].as_array().expect("items").is_empty(),
                "{trail}"
            );
        }
        alice.get(&format!("/runs/{a}/equity?points=20")).await;
        alice.get(&format!("/runs/compare?ids={a},{b}")).await;
        let (s, repeated) = alice
            .post(&format!("/models/{m}/runs"), json!({"repeat": 2}))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{repeated}");
        let twins: Vec<i64> = repeated["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .collect();
        for id in &twins {
            wait_for_end(&alice.client, *id).await;
        }
        let (s, spread) = alice
            .get(&format!("/runs/spread?runs={},{}", twins[0], twins[1]))
            .await;
        assert_eq!(s, StatusCode::OK, "{spread}");
        assert_eq!(alice.get("/runs/999999").await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            alice.get("/runs?limit=0").await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let (s, problem) = alice.get("/runs?bogus=1").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(
            problem["field"], "query",
            "a problem naming the query: {problem}"
        );
        let (s, _) = alice.post(&format!("/runs/{a}/stop"), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // Data, the leaderboard, health; admin routes for a user and an admin.
        alice.get("/data/series").await;
        alice.get("/data/providers").await;
        alice
            .get("/data/bars?symbol=APX&timeframe=1d&limit=5")
            .await;
        alice.get("/leaderboard").await;
        alice
            .get("/calendar?exchange=nyse&from=2024-11-25&to=2024-11-29")
            .await;
        alice.get("/calendar?from=2024-13-01").await;
        anon.get("/health").await;
        anon.get("/health/ready").await;
        assert_eq!(alice.get("/admin/stats").await.0, StatusCode::FORBIDDEN);
        let admin = Probe {
            doc: &doc,
            client: srv.admin("root@x.io").await,
        };
        for path in [
            "/admin/stats",
            "/admin/users",
            "/admin/settings",
            "/admin/log",
        ] {
            assert_eq!(admin.get(path).await.0, StatusCode::OK, "{path}");
        }
    }
);

server_test!(
    the_docs_page_and_its_script_are_served_to_anyone_under_the_csp,
    |srv| {
        let page = reqwest::get(format!("{}/api/docs", srv.base))
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .expect("text")
            .to_string();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .expect("text")
                .starts_with("text/html")
        );
        let html = page.text().await.expect("html");
        assert!(html.contains(r#"<script src="/api/docs/app.js""#));
        assert!(
            !html.contains("<script>"),
            "inline scripts are refused by the CSP"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no network"
        );
        let js = reqwest::get(format!("{}/api/docs/app.js", srv.base))
            .await
            .expect("script");
        assert_eq!(js.status(), StatusCode::OK);
        assert!(
            js.headers()["content-type"]
                .to_str()
                .expect("text")
                .starts_with("text/javascript")
        );
        let js = js.text().await.expect("js");
        assert!(js.contains("/api/v1/openapi.json"));
        assert!(
            !js.contains("innerHTML"),
            "the document's text is never parsed as HTML"
        );
    }
);

#[test]
fn the_checker_refuses_answers_that_do_not_fit() {
    let doc = serde_json::to_value(tradelab_server::openapi::document()).expect("json");
    let checker = Checker { doc: &doc };
    let user = json!({"$ref": "#/components/schemas/UserView"});
    let good = json!({"id": 1, "email": "a@x.io", "display_name": "a", "role": "user",
        "disabled": false, "created_at": "2024-01-01T00:00:00Z"});
    assert!(checker.check(&user, &good, "$").is_empty());
    assert!(checker.undocumented(&user, &good, "$").is_empty());
    let mut missing = good.clone();
    missing.as_object_mut().expect("object").remove("email");
    assert!(
        !checker.check(&user, &missing, "$").is_empty(),
        "a required field is missing"
    );
    let mut wrong = good.clone();
    wrong["id"] = json!("1");
    assert!(
        !checker.check(&user, &wrong, "$").is_empty(),
        "a string is not an integer"
    );
    let mut extra = good.clone();
    extra["secret"] = json!("x");
    assert_eq!(
        checker.undocumented(&user, &extra, "$"),
        vec!["$.secret is not documented"]
    );
    // Through a page, `allOf` (a flattened struct) and an optional `$ref`.
    let page = json!({"$ref": "#/components/schemas/PageView_UserView"});
    let bad_page = json!({"items": [missing], "next_after": null});
    assert!(!checker.check(&page, &bad_page, "$").is_empty());
    let key = json!({"$ref": "#/components/schemas/CreatedKey"});
    let created = json!({"id": 1, "name": "ci", "prefix": "tlk_ab", "created_at": "t",
        "last_used_at": null, "revoked_at": null, "secret": "tlk_abc"});
    assert!(checker.check(&key, &created, "$").is_empty());
    assert!(checker.undocumented(&key, &created, "$").is_empty());
    let mut no_secret = created.clone();
    no_secret.as_object_mut().expect("object").remove("secret");
    assert!(!checker.check(&key, &no_secret, "$").is_empty());
    let run = json!({"$ref": "#/components/schemas/RunView"});
    let progress = json!({"progress": {"done": "3", "total": 10}});
    assert!(
        checker
            .check(&run, &progress, "$")
            .iter()
            .any(|e| e.contains("oneOf"))
    );
    // A status the document does not list for a route is an error.
    assert!(
        checker
            .answer_schema("get", "/api/v1/auth/me", 418, "application/json")
            .is_err()
    );
    assert!(
        checker
            .answer_schema("get", "/api/v1/auth/me", 401, "text/html")
            .is_err()
    );
}
