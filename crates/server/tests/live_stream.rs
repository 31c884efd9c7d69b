//! A live run's stream, cut and resumed with `Last-Event-ID` while the run goes on,
//! gives every stored event once, in order.

mod common;
mod run_fixtures;

use futures_util::StreamExt;
use run_fixtures::{all_events, parse_sse, read_stream, user_id, wait_for_end};
use std::time::Duration;
use tradelab_core::{OrderIntent, Side, Sizing, Symbol, Timeframe};
use tradelab_engine::strategies::StrategyInfo;
use tradelab_engine::{DecideError, Decider, DeciderRegistry, Decision, DecisionContext};
use tradelab_runner::Runner;
use tradelab_store::{DeciderConfig, ImportMode};

/// Trades in and out every ten steps, taking its time at each.
struct Pacing {
    step: usize,
}

impl Decider for Pacing {
    fn name(&self) -> String {
        "pacing".into()
    }

    fn on_step(&mut self, ctx: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        std::thread::sleep(Duration::from_millis(4));
        let symbol = ctx.view.symbol(0).clone();
        match self.step % 20 {
            0 => d.order(OrderIntent::market(symbol, Side::Buy, Sizing::AllIn, "in")),
            10 => d.order(OrderIntent::market(
                symbol,
                Side::Sell,
                Sizing::ClosePosition,
                "out",
            )),
            _ => {}
        }
        self.step += 1;
        Ok(())
    }
}

const PACING: StrategyInfo = StrategyInfo::fixed("pacing", "trades slowly", &[]);

fn pacing_runner(store: tradelab_store::Store) -> Runner {
    let registry = DeciderRegistry::builtin()
        .with(PACING, |_| Ok(Box::new(Pacing { step: 0 })))
        .expect("a new name");
    Runner::with_deciders(store, registry)
}

async fn a_stream_resumed_while_the_run_goes_on_misses_and_repeats_nothing(db: common::db::TestDb) {
    let store = db.store.clone();
    store
        .bars()
        .import_series(
            &common::db::daily_series("PAC", 600, |k| 50.0 + (k % 13) as f64),
            Timeframe::DAY,
            ImportMode::KeepExisting,
        )
        .await
        .expect("import");
    let srv = common::TestServer::start_full(db, |_| {}, pacing_runner).await;
    let user = srv.user("pace@x.io").await;
    let owner = user_id(&user).await;
    let mut spec = common::db::model_spec("pacing");
    spec.decider = DeciderConfig {
        kind: "pacing".into(),
        params: serde_json::json!({}),
    };
    spec.allowed_symbols = vec![Symbol::new("PAC").expect("symbol")];
    spec.fill_model = tradelab_runner::ExecutionSettings::default().to_json();
    let model = store.models().create(owner, &spec).await.expect("model");
    let (s, run) = user
        .post(
            &format!("/models/{}/runs", model.id.0),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "{run}");
    let id = run["id"].as_i64().expect("id");

    // Read the live stream until a few trail events came, then hang up.
    let r = user
        .request(reqwest::Method::GET, &format!("/runs/{id}/stream"))
        .send()
        .await
        .expect("stream");
    let mut body = r.bytes_stream();
    let mut text = String::new();
    let first = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let chunk = body.next().await.expect("more").expect("bytes");
            text.push_str(&String::from_utf8_lossy(&chunk));
            let complete = &text[..text.rfind("\n\n").map_or(0, |i| i + 2)];
            let events = parse_sse(complete);
            if events.iter().filter(|e| e.id.is_some()).count() >= 5 {
                return events;
            }
        }
    })
    .await
    .expect("trail events while the run goes on");
    drop(body);
    let (_, detail) = user.get(&format!("/runs/{id}")).await;
    assert_eq!(detail["status"], "running", "resumed while live: {detail}");
    let last = first.iter().filter_map(|e| e.id).max().expect("an id");
    let rest = read_stream(&user, id, Some(last)).await;
    assert_eq!(rest.last().map(|e| e.kind.as_str()), Some("end"));
    wait_for_end(&user, id).await;

    let mut seen: Vec<i64> = first.iter().filter_map(|e| e.id).collect();
    seen.extend(rest.iter().filter_map(|e| e.id));
    let stored: Vec<i64> = all_events(&user, id, 1000)
        .await
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert!(stored.len() > 20, "the run traded: {} rows", stored.len());
    assert_eq!(
        seen, stored,
        "every stored event once, in order, across the resume"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_resumed_while_the_run_goes_on_misses_and_repeats_nothing_sqlite() {
    a_stream_resumed_while_the_run_goes_on_misses_and_repeats_nothing(common::db::sqlite().await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
async fn a_stream_resumed_while_the_run_goes_on_misses_and_repeats_nothing_postgres() {
    a_stream_resumed_while_the_run_goes_on_misses_and_repeats_nothing(common::db::postgres().await)
        .await;
}
