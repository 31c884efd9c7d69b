//! An LLM model run through the runner against a local chat-completions server: its
//! decisions, tokens and cost are stored as audit rows, and a replay answers from the
//! recorded exchanges with the server gone.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use serde_json::{Value, json};
use tradelab_agent::mock::{MockLlm, MockReply};
use tradelab_core::{BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_data::NewsItem;
use tradelab_engine::DeciderRegistry;
use tradelab_engine::risk::RuleSet;
use tradelab_runner::{ExecutionSettings, ReplayOptions, Runner, StartRun};
use tradelab_store::{AuditEvent, DeciderConfig, ImportMode, RunStatus};

fn bars(n: usize) -> BarSeries {
    common::daily_series("LLM", n, |k| 50.0 + k as f64)
}

fn registry() -> DeciderRegistry {
    let mut r = DeciderRegistry::builtin();
    tradelab_agent::register(&mut r).expect("llm registers");
    r
}

/// The `decided` rows of a run: (reasoning, tool calls, prompt tokens, cost).
async fn decisions(
    store: &tradelab_store::Store,
    owner: tradelab_store::UserId,
    run: tradelab_store::RunId,
) -> Vec<(Value, Value, Value, Value)> {
    common::whole_trail(store, owner, run, 50)
        .await
        .into_iter()
        .filter_map(|row| match row {
            AuditEvent::Event(e) if e.kind == "decided" => Some((
                e.detail["reasoning"].clone(),
                e.detail["trace"]["tool_calls"].clone(),
                e.detail["trace"]["usage"]["prompt_tokens"].clone(),
                e.detail["trace"]["usage"]["cost_usd"].clone(),
            )),
            _ => None,
        })
        .collect()
}

store_test!(
    an_llm_run_stores_its_decisions_and_costs_and_its_replay_answers_offline,
    |db| {
        let mock = MockLlm::start();
        // The model reads the news first: it finds what was published by the first
        // day's close, never what came later.
        mock.push(
            MockReply::tool_call("search_news", json!({"query": "", "symbol": "LLM"}))
                .usage(0, 0, 0),
        );
        mock.push(
            MockReply::tool_calls(&[("buy", json!({"symbol": "LLM", "qty": 5}))])
                .usage(1_000, 100, 0),
        );
        mock.fallback(
            MockReply::tool_call("finish", json!({"summary": "holding"})).usage(1_000, 50, 0),
        );
        db.store
            .bars()
            .import_series(&bars(6), Timeframe::DAY, ImportMode::KeepExisting)
            .await
            .expect("import");
        let owner = common::owner(&db.store, "llm@x.io").await;
        let item = |day: i64, headline: &str| NewsItem {
            published: Timestamp::from_secs(946_684_800 + 86_400 * day - 3_600),
            symbols: vec![Symbol::new("LLM").expect("symbol")],
            headline: headline.into(),
            body: String::new(),
            source: "wire".into(),
        };
        db.store
            .news()
            .import(
                owner.id,
                &[
                    item(0, "LLM beats estimates"),
                    item(3, "LLM recalls product"),
                ],
            )
            .await
            .expect("news");
        let mut spec = common::model_spec("agent");
        spec.decider = DeciderConfig {
            kind: "llm".into(),
            params: json!({
                "base_url": mock.url(),
                "model": "gpt-4o-mini",
                "api_key_env": "TRADELAB_RUNNER_TEST_NO_KEY",
                "timeout": "5",
                "retries": "1",
                "backoff_ms": "10",
                "style": "loop",
                "max_steps": "4",
                "mode": "record",
            }),
        };
        spec.allowed_symbols = vec![Symbol::new("LLM").expect("symbol")];
        spec.fill_model = ExecutionSettings::default().to_json();
        let model = db
            .store
            .models()
            .create(owner.id, &spec)
            .await
            .expect("model");
        let runner = Runner::with_deciders(db.store.clone(), registry());
        let req = StartRun::new(
            owner.id,
            model.id,
            vec![Symbol::new("LLM").expect("symbol")],
            Timeframe::DAY,
        );
        let first = runner.start(req, None).await.expect("the llm run");
        assert_eq!(first.run.status, RunStatus::Completed);
        assert_eq!(first.report.fills, 1, "the model's buy filled");
        // The order carries the agent's id for it: run, asked step, tool call.
        let client_ids: Vec<String> = common::whole_trail(&db.store, owner.id, first.run.id, 50)
            .await
            .into_iter()
            .filter_map(|row| match row {
                AuditEvent::Order(o) => o.client_order_id,
                _ => None,
            })
            .collect();
        assert_eq!(client_ids.len(), 1, "{client_ids:?}");
        assert!(
            client_ids[0].starts_with(&format!("{}-1-", first.run.id)),
            "{client_ids:?}"
        );
        // Eight calls: news, a buy and a finish on the first day, a finish on each other.
        let usage = first
            .report
            .model_usage
            .expect("the report totals the model calls");
        assert_eq!(
            (
                usage.decisions,
                usage.prompt_tokens,
                usage.completion_tokens
            ),
            (6, 7_000, 400)
        );
        assert!(usage.cost_usd.is_some_and(|c| c > 0.0));

        let asked = decisions(&db.store, owner.id, first.run.id).await;
        assert_eq!(asked.len(), 6, "one decision per asked day, holds included");
        assert_eq!(asked[0].1[0]["name"], "search_news");
        let found = asked[0].1[0]["result"].to_string();
        assert!(found.contains("LLM beats estimates"), "{found}");
        assert!(!found.contains("recalls"), "news from the future: {found}");
        assert_eq!(asked[0].1[1]["name"], "buy");
        assert!(
            asked
                .iter()
                .all(|d| d.2.as_u64().is_some_and(|t| t >= 1_000))
        );
        assert!(
            asked.iter().all(|d| d.3.as_f64().is_some_and(|c| c > 0.0)),
            "gpt-4o-mini has a price: every decision has a cost"
        );

        // The server is gone: the replay answers from the recorded exchanges.
        mock.shutdown();
        let replay = runner
            .replay(owner.id, first.run.id, RuleSet::default(), None)
            .await
            .expect("the replay");
        assert_eq!(replay.run.status, RunStatus::Completed);
        assert_eq!(replay.report.fills, 1);
        let replayed = decisions(&db.store, owner.id, replay.run.id).await;
        let said = |d: &[(Value, Value, Value, Value)]| {
            d.iter()
                .map(|(r, t, p, _)| (r.clone(), t.clone(), p.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(said(&replayed), said(&asked));
        assert_eq!(
            replay.report.final_equity_exact,
            first.report.final_equity_exact
        );

        // With other rules the model would be shown other prompts: the replay answers
        // each day with the parent's answers, and the new rule refuses the buy.
        let strict = tradelab_rules_file::from_toml_str(
            "[[rule]]\nname = \"small\"\nkind = \"max_order_qty\"\nqty = 1\n",
            "strict.toml",
        )
        .expect("rules");
        let ruled = runner
            .replay(owner.id, first.run.id, strict, None)
            .await
            .expect("a replay with other rules");
        assert_eq!(ruled.run.status, RunStatus::Completed);
        assert_eq!(ruled.report.fills, 0, "the rule refused the model's buy");
        assert_eq!(ruled.report.orders_rejected.values().sum::<usize>(), 1);
        assert_eq!(
            said(&decisions(&db.store, owner.id, ruled.run.id).await).len(),
            6
        );

        // Asked again with the server gone, every call fails and the model holds.
        let again = runner
            .replay_with(
                owner.id,
                first.run.id,
                RuleSet::default(),
                ReplayOptions {
                    ask_again: true,
                    ..ReplayOptions::default()
                },
                None,
            )
            .await
            .expect("a replay asking again");
        assert_eq!(again.report.fills, 0);
    }
);
