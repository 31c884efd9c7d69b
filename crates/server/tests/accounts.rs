//! Accounts over HTTP: register, log in by cookie (with CSRF) or token, log out, API
//! keys, and what an unsigned or wrong request gets.

mod common;

use reqwest::StatusCode;
use serde_json::json;

server_test!(health_is_public_and_readiness_pings_the_database, |srv| {
    let anon = srv.anonymous();
    let (s, body) = anon.get("/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (s, body) = anon.get("/health/ready").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
});

server_test!(register_login_me_and_logout_with_a_bearer_token, |srv| {
    let alice = srv.user("alice@x.io").await;
    let (s, me) = alice.get("/auth/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "alice@x.io");
    assert_eq!(me["role"], "user");
    assert!(me.get("password_hash").is_none());
    let (s, _) = alice.post("/auth/logout", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, problem) = alice.get("/auth/me").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the token is revoked: {problem}"
    );
});

server_test!(
    rejects_a_wrong_password_and_an_unknown_account_alike,
    |srv| {
        srv.user("bob@x.io").await;
        let anon = srv.anonymous();
        let (s1, p1) = anon
            .post(
                "/auth/login",
                json!({"email": "bob@x.io", "password": "wrong password"}),
            )
            .await;
        let (s2, p2) = anon
            .post(
                "/auth/login",
                json!({"email": "nobody@x.io", "password": "wrong password"}),
            )
            .await;
        assert_eq!(s1, StatusCode::UNAUTHORIZED);
        assert_eq!(s2, StatusCode::UNAUTHORIZED);
        assert_eq!(p1["detail"], p2["detail"]);
    }
);

server_test!(limits_failed_logins_per_account, |srv| {
    srv.user("carol@x.io").await;
    let anon = srv.anonymous();
    let limit = srv.state.config.login_attempts;
    for _ in 0..limit {
        let (s, _) = anon
            .post(
                "/auth/login",
                json!({"email": "carol@x.io", "password": "not it at all"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let r = anon
        .request(reqwest::Method::POST, "/auth/login")
        .json(&json!({"email": "carol@x.io", "password": "correct horse battery"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
});

server_test!(
    a_cookie_session_needs_the_csrf_token_to_change_anything,
    |srv| {
        srv.user("dana@x.io").await;
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let r = http
            .post(srv.api("/auth/login"))
            .json(&json!({"email": "dana@x.io", "password": "correct horse battery"}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::OK);
        let cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .collect();
        let session = cookies
            .iter()
            .find(|c| c.starts_with("tradelab_session="))
            .expect("a session cookie");
        assert!(session.contains("HttpOnly"), "{session}");
        assert!(session.contains("SameSite=Lax"), "{session}");
        let body: serde_json::Value = r.json().await.expect("body");
        let csrf = body["csrf_token"].as_str().expect("csrf token").to_string();
        // Reading needs no CSRF token.
        let r = http.get(srv.api("/auth/me")).send().await.expect("me");
        assert_eq!(r.status(), StatusCode::OK);
        // Changing something without it is refused.
        let r = http
            .post(srv.api("/keys"))
            .json(&json!({"name": "ci"}))
            .send()
            .await
            .expect("keys");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = http
            .post(srv.api("/keys"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"name": "ci"}))
            .send()
            .await
            .expect("keys");
        assert_eq!(r.status(), StatusCode::CREATED);
    }
);

server_test!(an_api_key_works_until_revoked_and_is_shown_once, |srv| {
    let erin = srv.user("erin@x.io").await;
    let (s, created) = erin.post("/keys", json!({"name": "notebook"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("tlk_"));
    let mut by_key = srv.anonymous();
    by_key.token = Some(secret.clone());
    let (s, me) = by_key.get("/auth/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "erin@x.io");
    let (s, list) = erin.get("/keys").await;
    assert_eq!(s, StatusCode::OK);
    let listed = list["items"][0].clone();
    assert!(listed.get("secret").is_none(), "{listed}");
    assert!(secret.starts_with(listed["prefix"].as_str().expect("prefix")));
    assert!(listed["last_used_at"].is_string(), "{listed}");
    let id = created["id"].as_i64().expect("id");
    let (s, _) = erin.delete(&format!("/keys/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = by_key.get("/auth/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

server_test!(another_users_key_is_not_found, |srv| {
    let frank = srv.user("frank@x.io").await;
    let gina = srv.user("gina@x.io").await;
    let (_, created) = frank.post("/keys", json!({"name": "mine"})).await;
    let id = created["id"].as_i64().expect("id");
    let (s, problem) = gina.delete(&format!("/keys/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{problem}");
    let (s, unknown) = gina.delete("/keys/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        problem["detail"]
            .as_str()
            .map(|d| d.replace(&id.to_string(), "N")),
        unknown["detail"].as_str().map(|d| d.replace("999999", "N"))
    );
    let (s, list) = gina.get("/keys").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"], json!([]));
});

server_test!(bad_requests_get_problems_naming_what_was_wrong, |srv| {
    let anon = srv.anonymous();
    let r = anon
        .request(reqwest::Method::POST, "/auth/register")
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap_or_default(),
        "application/problem+json"
    );
    let (s, p) = anon
        .post(
            "/auth/register",
            json!({"email": "h@x.io", "password": "long enough!", "admin": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["detail"].as_str().unwrap_or_default().contains("admin"),
        "{p}"
    );
    let (s, p) = anon
        .post(
            "/auth/register",
            json!({"email": "not-an-address", "password": "long enough!"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "email");
    let (s, p) = anon
        .post(
            "/auth/register",
            json!({"email": "h@x.io", "password": "short"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "password");
    // A body past the limit is refused unread, and the server closes that
    // connection: the oversized request goes on a client of its own.
    let big = "x".repeat(2 << 20);
    let (s, _) = srv
        .anonymous()
        .post(
            "/auth/register",
            json!({"email": "h@x.io", "password": big}),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _) = anon.get("/auth/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let erin = srv.user("ivan@x.io").await;
    let (s, p) = erin.delete("/keys/abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    for path in ["/keys?limit=abc", "/keys?colour=red", "/runs?model=x"] {
        let r = erin
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap_or_default(),
            "application/problem+json",
            "{path}"
        );
        let (_, p) = common::answer(r).await;
        assert_eq!(p["field"], "query", "{path}: {p}");
    }
});

server_test!(every_answer_has_a_request_id_and_security_headers, |srv| {
    let r = srv
        .anonymous()
        .request(reqwest::Method::GET, "/health")
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("health");
    assert_eq!(r.headers()["x-request-id"], "trace-me-42");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let r = srv
        .anonymous()
        .request(reqwest::Method::GET, "/nope")
        .send()
        .await
        .expect("unknown");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().contains_key("x-request-id"));
});

mod cors {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cors_is_off_unless_origins_are_configured() {
        let off = common::TestServer::start(common::db::sqlite().await).await;
        let r = off
            .anonymous()
            .request(reqwest::Method::GET, "/health")
            .header("origin", "https://app.example")
            .send()
            .await
            .expect("health");
        assert!(!r.headers().contains_key("access-control-allow-origin"));
        let on = common::TestServer::start_with(common::db::sqlite().await, |c| {
            c.cors_origins = vec!["https://app.example".into()];
        })
        .await;
        let r = on
            .anonymous()
            .request(reqwest::Method::GET, "/health")
            .header("origin", "https://app.example")
            .send()
            .await
            .expect("health");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://app.example"
        );
        let r = on
            .anonymous()
            .request(reqwest::Method::GET, "/health")
            .header("origin", "https://evil.example")
            .send()
            .await
            .expect("health");
        assert!(!r.headers().contains_key("access-control-allow-origin"));
    }
}
