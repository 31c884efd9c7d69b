//! Mock-server helpers for the Yahoo and Binance adapter tests: an axum app on
//! 127.0.0.1 (port 0), a record of the requests it saw, and quick retry settings.

#![allow(dead_code)]

use axum::Router;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tradelab_core::Timestamp;
use tradelab_providers::config::{ProviderKind, ProviderSettings};
use tradelab_providers::http::HttpConfig;

/// Serves `app` on an OS-assigned port of 127.0.0.1; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// Retry settings small enough for tests: two retries, 20 ms backoff.
pub fn quick_http() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

/// Settings of `kind` pointing at a mock server.
pub fn settings(kind: ProviderKind, base_url: &str, stream_url: Option<&str>) -> ProviderSettings {
    let mut settings = ProviderSettings::public(kind);
    settings.base_url = Some(base_url.to_string());
    settings.stream_url = stream_url.map(str::to_string);
    settings
}

/// An RFC 3339 instant as a tradelab timestamp.
pub fn at(text: &str) -> Timestamp {
    Timestamp::from_jiff(text.parse().unwrap()).unwrap()
}

/// One request a mock server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub when: Instant,
    pub path: String,
    pub query: HashMap<String, String>,
    pub user_agent: Option<String>,
}

/// The requests a mock server saw, in order.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    /// Records a request; returns how many came before it.
    pub fn record(
        &self,
        path: &str,
        query: &HashMap<String, String>,
        headers: &HeaderMap,
    ) -> usize {
        let mut seen = self.0.lock().unwrap();
        seen.push(Seen {
            when: Instant::now(),
            path: path.to_string(),
            query: query.clone(),
            user_agent: headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        });
        seen.len() - 1
    }

    /// Everything seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}
