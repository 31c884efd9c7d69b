//! `tradelab data fetch` end to end: the CLI fetches from a local server speaking
//! Binance's klines protocol (configured in the settings file), stores the bars, and a
//! second fetch asks only for what is missing.

mod common;

use axum::extract::Query;
use axum::routing::get;
use common::{command, json, ok};
use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// 2024-03-04 00:00 UTC in milliseconds.
const T0_MS: i64 = 1_709_510_400_000;
const MINUTE_MS: i64 = 60_000;
/// Minute klines the server holds.
const KLINES: i64 = 90;

/// Klines (Binance's row layout, prices as strings) with open times in
/// `[startTime, endTime]`, at most `limit`.
fn klines(q: &HashMap<String, String>) -> serde_json::Value {
    let get = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let start = get("startTime").unwrap_or(T0_MS);
    let end = get("endTime").unwrap_or(i64::MAX);
    let limit = get("limit").unwrap_or(500) as usize;
    let rows: Vec<serde_json::Value> = (0..KLINES)
        .map(|k| T0_MS + k * MINUTE_MS)
        .filter(|t| *t >= start && *t <= end)
        .take(limit)
        .map(|t| {
            let p = 60_000.0 + ((t - T0_MS) / MINUTE_MS) as f64;
            serde_json::json!([
                t,
                format!("{p:.2}"),
                format!("{:.2}", p + 5.0),
                format!("{:.2}", p - 5.0),
                format!("{:.2}", p + 1.0),
                "1.5",
                t + MINUTE_MS - 1,
                "90000.0",
                42,
                "0.7",
                "42000.0",
                "0"
            ])
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// Starts the server on its own thread; returns its base URL and its request count.
fn binance_server() -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/api/v3/klines",
                get(move |Query(q): Query<HashMap<String, String>>| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async move { axum::Json(klines(&q)) }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(format!(
                "http://{}",
                listener.local_addr().expect("address")
            ))
            .expect("send the address");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    (rx.recv().expect("the server's address"), requests)
}

fn fetch(dir: &Path, settings: &str, to: &str) -> Output {
    command()
        .env("TRADELAB_CONFIG", settings)
        .arg("--data-dir")
        .arg(dir)
        .args([
            "data",
            "fetch",
            "--provider",
            "local",
            "--symbols",
            "BTCUSDT",
            "--timeframe",
            "1m",
            "--from",
            "2024-03-04T00:00:00Z",
            "--to",
            to,
            "--output",
            "json",
        ])
        .output()
        .expect("run tradelab")
}

#[test]
fn data_fetch_stores_a_vendors_bars_and_a_second_fetch_asks_only_for_the_rest() {
    let (base, requests) = binance_server();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let settings = d.join("settings.toml");
    std::fs::write(
        &settings,
        format!("[providers.local]\nkind = \"binance\"\nbase_url = \"{base}\"\n"),
    )
    .unwrap();
    let settings = settings.display().to_string();

    let first = json(fetch(d, &settings, "2024-03-04T01:00:00Z"));
    let item = &first["items"][0];
    assert_eq!(item["provider"], "local", "{first}");
    assert_eq!(item["inserted"], 60, "an hour of minute bars: {first}");
    assert_eq!(item["error"], serde_json::Value::Null, "{first}");
    let listed = ok(command()
        .arg("--data-dir")
        .arg(d)
        .args(["data", "list"])
        .output()
        .unwrap());
    assert!(
        listed.contains("BTCUSDT") && listed.contains("60"),
        "{listed}"
    );

    let asked = requests.load(Ordering::SeqCst);
    let second = json(fetch(d, &settings, "2024-03-04T01:30:00Z"));
    let item = &second["items"][0];
    assert_eq!(
        item["inserted"], 30,
        "only the half hour after the stored bars: {second}"
    );
    assert!(
        requests.load(Ordering::SeqCst) - asked <= 2,
        "the second fetch starts after the stored bars"
    );
}
