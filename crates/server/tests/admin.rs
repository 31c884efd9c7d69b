//! Admin routes: only admins, every change logged; the emergency stop refuses new
//! runs until resumed; registration can be closed; readiness fails with the database.

mod common;
mod run_fixtures;

use reqwest::StatusCode;
use serde_json::json;

server_test!(
    admin_routes_answer_403_to_users_and_401_to_strangers,
    |srv| {
        let user = srv.user("u@x.io").await;
        let anon = srv.anonymous();
        let routes: &[(&str, &str)] = &[
            ("GET", "/admin/users"),
            ("PATCH", "/admin/users/1"),
            ("GET", "/admin/settings"),
            ("PUT", "/admin/settings/registration_open"),
            ("GET", "/admin/stats"),
            ("POST", "/admin/emergency-stop"),
            ("POST", "/admin/resume"),
            ("GET", "/admin/log"),
        ];
        for (method, path) in routes {
            let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let body = json!({"value": false});
            let r = user
                .request(m.clone(), path)
                .json(&body)
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
            let r = anon
                .request(m, path)
                .json(&body)
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
);

server_test!(
    an_admin_changes_roles_and_disables_accounts_and_it_is_logged,
    |srv| {
        let root = srv.admin("root@x.io").await;
        let user = srv.user("v@x.io").await;
        let (_, me) = user.get("/auth/me").await;
        let id = me["id"].as_i64().expect("id");
        let (s, changed) = root
            .patch(&format!("/admin/users/{id}"), json!({"disabled": true}))
            .await;
        assert_eq!(s, StatusCode::OK, "{changed}");
        assert_eq!(changed["disabled"], true);
        let (s, _) = user.get("/auth/me").await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "a disabled account's sessions end"
        );
        let anon = srv.anonymous();
        let (s, _) = anon
            .post(
                "/auth/login",
                json!({"email": "v@x.io", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "and it cannot log in");
        let (s, p) = root
            .patch(&format!("/admin/users/{id}"), json!({"role": "king"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "role");
        let (_, root_me) = root.get("/auth/me").await;
        let root_id = root_me["id"].as_i64().expect("id");
        let (s, _) = root
            .patch(&format!("/admin/users/{root_id}"), json!({"role": "user"}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "no admin demotes themselves");
        let (s, _) = root
            .patch("/admin/users/987654", json!({"disabled": true}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, log) = root.get("/admin/log").await;
        assert_eq!(s, StatusCode::OK);
        let first = &log["items"][0];
        assert_eq!(first["action"], "user.change");
        assert_eq!(first["actor"], "root@x.io");
        assert_eq!(first["target"], "v@x.io");
        assert!(first["at"].as_str().unwrap_or_default().ends_with('Z'));
    }
);

server_test!(closing_registration_refuses_new_accounts, |srv| {
    let root = srv.admin("root@x.io").await;
    let (s, p) = root
        .put("/admin/settings/registration_open", json!({"value": "no"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, _) = root
        .put("/admin/settings/registration_open", json!({"value": false}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = srv
        .anonymous()
        .post(
            "/auth/register",
            json!({"email": "late@x.io", "password": "long enough!"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        p["detail"].as_str().unwrap_or_default().contains("closed"),
        "{p}"
    );
    let (s, _) = root
        .put("/admin/settings/colour", json!({"value": 1}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, settings) = root.get("/admin/settings").await;
    assert_eq!(
        settings,
        json!([{"key": "registration_open", "value": false}])
    );
});

server_test!(the_emergency_stop_refuses_new_runs_until_resumed, |srv| {
    let root = srv.admin("root@x.io").await;
    let (s, body) = root.post("/admin/emergency-stop", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["emergency_stop"], true);
    assert_eq!(
        srv.state.queue.refusal(),
        Some(tradelab_server::queue::QueueError::EmergencyStop)
    );
    let (_, stats) = root.get("/admin/stats").await;
    assert_eq!(stats["emergency_stop"], true);
    assert!(stats["users"].as_i64().unwrap_or(0) >= 1, "{stats}");
    let (s, _) = root.post("/admin/resume", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(srv.state.queue.refusal(), None);
});

server_test!(readiness_answers_503_when_the_database_is_gone, |srv| {
    srv.state.store.close().await;
    let (s, p) = srv.anonymous().get("/health/ready").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("database"),
        "{p}"
    );
    let (s, _) = srv.anonymous().get("/health").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "liveness does not depend on the database"
    );
});

server_test!(
    metrics_count_requests_by_route_for_loopback_clients,
    |srv| {
        srv.anonymous().get("/health").await;
        let r = reqwest::get(format!("{}/metrics", srv.base))
            .await
            .expect("metrics");
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.expect("text");
        assert!(
        page.contains("tradelab_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"}"),
        "{page}"
    );
        assert!(page.contains("tradelab_queue_depth 0"), "{page}");
    }
);

server_test!(
    metrics_count_the_runs_fills_and_rejections_of_ended_runs,
    |srv| {
        run_fixtures::import_bars(&srv, "MET", 150).await;
        let user = srv.user("m@x.io").await;
        let id = run_fixtures::user_id(&user).await;
        let model = run_fixtures::sma_model(&srv, id, "metered", "MET").await;
        let run = run_fixtures::start_run(&user, model).await;
        let done = run_fixtures::wait_for_end(&user, run).await;
        assert_eq!(done["status"], "completed");
        let fills = done["metrics"]["fills"].as_u64().expect("fills");
        assert!(fills > 0, "{done}");
        let mut page = String::new();
        for _ in 0..100 {
            page = reqwest::get(format!("{}/metrics", srv.base))
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text");
            if page.contains("tradelab_runs_ended_total{status=\"completed\"} 1") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(page.contains("tradelab_runs_started_total 1"), "{page}");
        assert!(
            page.contains("tradelab_runs_ended_total{status=\"completed\"} 1"),
            "{page}"
        );
        assert!(
            page.contains(&format!("tradelab_fills_total {fills}")),
            "{page}"
        );
        assert!(
            page.contains("tradelab_llm_tokens_total{kind=\"prompt\"} 0"),
            "{page}"
        );
    }
);
