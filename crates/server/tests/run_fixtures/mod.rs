//! What the run tests share: bars imported for everyone, a user's SMA-cross model,
//! waiting for a run to end, reading an SSE stream.
#![allow(dead_code)]

use crate::common::{Client, TestServer, db};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tradelab_core::{Symbol, Timeframe};
use tradelab_store::{ImportMode, ModelId, UserId};

/// `n` daily bars of `symbol` that swing up and down (so the SMA cross trades).
pub async fn import_bars(srv: &TestServer, symbol: &str, n: usize) {
    let series = db::daily_series(symbol, n, |k| {
        100.0 + 20.0 * ((k as f64) / 15.0).sin() + (k % 7) as f64
    });
    srv.state
        .store
        .bars()
        .import_series(&series, Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .expect("import bars");
}

/// `n` daily bars of `symbol` that wander in a narrow band (a long run whose equity
/// stays in range).
pub async fn import_long_bars(srv: &TestServer, symbol: &str, n: usize) {
    let series = db::daily_series(symbol, n, |k| 100.0 + ((k * 7) % 13) as f64 * 0.1);
    srv.state
        .store
        .bars()
        .import_series(&series, Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .expect("import bars");
}

/// The signed-in user's id.
pub async fn user_id(client: &Client) -> UserId {
    let (s, me) = client.get("/auth/me").await;
    assert_eq!(s, StatusCode::OK, "{me}");
    UserId(me["id"].as_i64().expect("an id"))
}

/// `owner`'s SMA-cross (5/20) model trading `symbol`.
pub async fn sma_model(srv: &TestServer, owner: UserId, name: &str, symbol: &str) -> ModelId {
    let mut spec = db::model_spec(name);
    spec.decider = tradelab_store::DeciderConfig {
        kind: "sma_cross".into(),
        params: json!({"fast": 5, "slow": 20}),
    };
    spec.allowed_symbols = vec![Symbol::new(symbol).expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    srv.state
        .store
        .models()
        .create(owner, &spec)
        .await
        .expect("model")
        .id
}

/// Starts a run of `model` over the API; its id.
pub async fn start_run(client: &Client, model: ModelId) -> i64 {
    let (s, run) = client
        .post(&format!("/models/{}/runs", model.0), json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{run}");
    run["id"].as_i64().expect("run id")
}

/// Waits until run `id` ended; its detail.
pub async fn wait_for_end(client: &Client, id: i64) -> Value {
    for _ in 0..600 {
        let (s, run) = client.get(&format!("/runs/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{run}");
        if !matches!(run["status"].as_str(), Some("queued" | "running")) {
            return run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("run {id} did not end");
}

/// Every row of run `id`'s trail by the events route, `limit` a page.
pub async fn all_events(client: &Client, id: i64, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/runs/{id}/events?limit={limit}&after={a}"),
            None => format!("/runs/{id}/events?limit={limit}"),
        };
        let (s, page) = client.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_after"].as_i64() {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub kind: String,
    pub id: Option<i64>,
    pub data: Value,
}

/// Reads run `id`'s stream to its end (after `last_id` when given).
pub async fn read_stream(client: &Client, id: i64, last_id: Option<i64>) -> Vec<Sse> {
    let mut req = client.request(reqwest::Method::GET, &format!("/runs/{id}/stream"));
    if let Some(l) = last_id {
        req = req.header("Last-Event-ID", l.to_string());
    }
    let r = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let r = req.send().await.expect("stream request");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/event-stream")
        );
        r.text().await.expect("stream body")
    })
    .await
    .expect("the stream ends");
    parse_sse(&r)
}

/// The events of an SSE body.
pub fn parse_sse(text: &str) -> Vec<Sse> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut kind = None;
        let mut id = None;
        let mut data = String::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                kind = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
        if let Some(kind) = kind {
            out.push(Sse {
                kind,
                id,
                data: serde_json::from_str(&data).unwrap_or(Value::Null),
            });
        }
    }
    out
}
