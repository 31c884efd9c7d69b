//! A live run on real provider adapters, against local servers speaking Yahoo's chart
//! protocol: the first provider of the chain is down, the chain fails over and its
//! breaker opens (both recorded in the run), the run trades on the NYSE calendar and
//! ends as a replay of the bars it kept.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{Symbol, Timeframe, Timestamp};
use tradelab_providers::breaker::BreakerSettings;
use tradelab_providers::chain::{ChainMember, ProviderChain};
use tradelab_providers::config::{Credentials, ProviderKind, ProviderSettings};
use tradelab_providers::http::HttpConfig;
use tradelab_providers::yahoo::YahooProvider;
use tradelab_runner::live::{FeedConfig, LiveClock, Schedule, SimClock};
use tradelab_runner::{LiveSource, Runner, StartRun};
use tradelab_store::{AuditEvent, RunStatus, Store, UserId};

/// Trading days of 2024-01-02 … 2024-03-28 with a daily bar each: open, high, low,
/// close, volume.
fn days() -> Vec<(jiff::civil::Date, [f64; 5])> {
    let calendar = Calendar::new(Exchange::Nyse).expect("calendar");
    let from: jiff::civil::Date = "2024-01-02".parse().expect("date");
    let to: jiff::civil::Date = "2024-03-28".parse().expect("date");
    calendar
        .trading_days(from, to)
        .expect("trading days")
        .into_iter()
        .enumerate()
        .map(|(k, day)| {
            let p = 180.0 + 12.0 * ((k as f64) / 6.0).sin();
            (day.date, [p, p + 2.0, p - 2.0, p + 0.5, 1_000_000.0])
        })
        .collect()
}

/// Yahoo's chart answer for the days inside `[period1, period2)` (Unix seconds).
fn chart(period1: i64, period2: i64) -> serde_json::Value {
    let rows: Vec<(i64, [f64; 5])> = days()
        .into_iter()
        .filter_map(|(date, bar)| {
            // Yahoo stamps a daily bar with the session's open (14:30 UTC in winter).
            let ts = date
                .at(14, 30, 0, 0)
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .ok()?
                .timestamp()
                .as_second();
            (ts >= period1 && ts < period2).then_some((ts, bar))
        })
        .collect();
    let column = |i: usize| rows.iter().map(|(_, b)| b[i]).collect::<Vec<f64>>();
    serde_json::json!({"chart": {"result": [{
        "meta": {"currency": "USD", "symbol": "AAPL", "exchangeTimezoneName": "America/New_York"},
        "timestamp": rows.iter().map(|(t, _)| *t).collect::<Vec<i64>>(),
        "indicators": {"quote": [{
            "open": column(0), "high": column(1), "low": column(2),
            "close": column(3), "volume": column(4)
        }]}
    }], "error": null}})
}

/// A local server: `/v8/finance/chart/{symbol}` answers from [`days`], or 503 when `down`.
async fn yahoo_server(down: bool) -> String {
    let app = axum::Router::new().route(
        "/v8/finance/chart/{symbol}",
        get(move |Path(_symbol): Path<String>, Query(q): Query<HashMap<String, String>>| async move {
            if down {
                return (StatusCode::SERVICE_UNAVAILABLE, "upstream down".to_string());
            }
            let p = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            (StatusCode::OK, chart(p("period1"), p("period2")).to_string())
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn yahoo(name: &str, base_url: String, clock: Arc<SimClock>) -> ChainMember {
    let settings = ProviderSettings {
        name: name.into(),
        base_url: Some(base_url),
        ..ProviderSettings::public(ProviderKind::Yahoo)
    };
    let http = HttpConfig {
        timeout: Duration::from_secs(5),
        max_retries: 0,
        backoff: Duration::from_millis(1),
        max_retry_after: Duration::from_secs(1),
    };
    let provider = YahooProvider::new(&settings, Credentials::default(), http)
        .expect("yahoo")
        .with_clock(move || clock.now());
    ChainMember {
        provider: Arc::new(provider),
        kind: "yahoo".into(),
    }
}

async fn model(store: &Store) -> (UserId, tradelab_store::ModelId) {
    let owner = common::owner(store, "live-yahoo@x.io").await;
    let mut spec = common::model_spec("live yahoo");
    spec.decider = tradelab_store::DeciderConfig {
        kind: "sma_cross".into(),
        params: serde_json::json!({"fast": 3, "slow": 8}),
    };
    spec.allowed_symbols = vec![Symbol::new("AAPL").expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    let m = store.models().create(owner.id, &spec).await.expect("model");
    (owner.id, m.id)
}

fn at(text: &str) -> Timestamp {
    Timestamp::from_jiff(text.parse().expect("instant")).expect("in range")
}

store_test!(
    a_live_run_on_a_chain_fails_over_records_the_breaker_and_equals_its_replay,
    |db| {
        let (owner, m) = model(&db.store).await;
        let clock = Arc::new(SimClock::new(at("2024-01-02T00:00:00Z")));
        let chain = Arc::new(ProviderChain::new(
            "stock",
            vec![
                yahoo("yahoo_down", yahoo_server(true).await, Arc::clone(&clock)),
                yahoo("yahoo", yahoo_server(false).await, Arc::clone(&clock)),
            ],
            BreakerSettings {
                failures: 2,
                cooldown: Duration::from_secs(3600),
            },
        ));
        let notices = chain.subscribe();
        let symbols = vec![Symbol::new("AAPL").expect("symbol")];
        let source = LiveSource {
            provider: chain,
            notices: Some(notices),
            schedule: Schedule::Calendar(Calendar::new(Exchange::Nyse).expect("calendar")),
            clock,
            keep_bars: true,
            feed: FeedConfig {
                symbols: symbols.clone(),
                timeframe: Timeframe::DAY,
                start: at("2024-01-02T00:00:00Z"),
                until: Some(at("2024-03-29T00:00:00Z")),
                grace: Duration::from_secs(60),
                retry: Duration::from_secs(600),
                empty_attempts: 3,
            },
        };
        let runner = Runner::new(db.store.clone());
        let req = StartRun::new(owner, m, symbols.clone(), Timeframe::DAY);
        let live = runner
            .start_live(req.clone(), source, None)
            .await
            .expect("live run");
        assert_eq!(live.run.status, RunStatus::Completed);
        assert_eq!(
            live.report.bars,
            days().len(),
            "one step per trading day, none on holidays"
        );

        let feed: Vec<String> = common::whole_trail(&db.store, owner, live.run.id, 500)
            .await
            .iter()
            .filter_map(|r| match r {
                AuditEvent::Event(e) if e.kind == "feed" => Some(format!(
                    "{} {}",
                    e.detail["notice"].as_str().unwrap_or_default(),
                    e.detail["provider"].as_str().unwrap_or_default()
                )),
                _ => None,
            })
            .collect();
        assert_eq!(feed[0], "failover yahoo_down", "{feed:?}");
        assert!(
            feed.contains(&"breaker yahoo_down".to_string()),
            "the breaker opened: {feed:?}"
        );
        assert!(
            !feed.iter().any(|f| f.starts_with("paused")),
            "the chain kept the data coming: {feed:?}"
        );

        let mut replay = req;
        replay.from = Some(at("2024-01-02T00:00:00Z"));
        replay.to = Some(at("2024-03-28T00:00:00Z"));
        let replay = runner.start(replay, None).await.expect("replay");
        assert_eq!(
            serde_json::to_value(&live.report).expect("report"),
            serde_json::to_value(&replay.report).expect("report")
        );
    }
);
