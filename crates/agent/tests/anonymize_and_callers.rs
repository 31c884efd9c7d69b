//! Anonymized prompts, the registry entry, and callers that are themselves inside a
//! tokio runtime.

mod common;

use common::*;
use serde_json::json;
use tradelab_agent::mock::{MockLlm, MockReply};
use tradelab_core::{OrderType, Price, Symbol};
use tradelab_engine::event::VecSink;
use tradelab_engine::{DeciderArgs, DeciderRegistry, Engine, RunConfig, RunEvent};

#[test]
fn anonymized_requests_carry_no_real_symbol_date_or_price_and_answers_map_back() {
    let mock = MockLlm::start();
    mock.push(MockReply::tool_calls(&[
        ("get_bars", json!({"symbol": "ASSET_A", "lookback": 5})),
        ("get_price", json!({"symbol": "ASSET_B", "time": "day 1"})),
        ("get_portfolio", json!({})),
        ("search_news", json!({"query": "apple"})),
    ]));
    mock.push(MockReply::tool_call(
        "buy",
        json!({"symbol": "ASSET_A", "qty": 3, "limit": 105}),
    ));
    mock.push(MockReply::tool_call(
        "finish",
        json!({"summary": "bought ASSET_A"}),
    ));
    mock.push(MockReply::tool_call("get_portfolio", json!({})));
    mock.push(MockReply::tool_call(
        "sell",
        json!({"symbol": "ASSET_B", "qty": 1}),
    ));
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "hold"})));
    let mut agent = agent(&mock_params(
        &mock,
        &[("style", "loop"), ("anonymize", "true")],
    ));
    let aapl = [431.77, 439.13, 447.91, 452.69];
    let msft = [27.83, 28.17, 28.61, 27.94];
    let series = vec![daily("AAPL", &aapl), daily("MSFT", &msft)];
    let engine = Engine::new(RunConfig::default(), series).unwrap();
    let mut sink = VecSink::default();
    engine.run(&mut agent, &mut sink, None).unwrap();
    let requests = mock.requests();
    assert!(requests.len() >= 6);
    let mut forbidden: Vec<String> =
        vec!["AAPL".into(), "MSFT".into(), "2020".into(), "Jan".into()];
    for p in aapl.iter().chain(&msft) {
        forbidden.push(format!("{p}"));
        forbidden.push(format!("{p:.2}"));
    }
    for request in &requests {
        let text = request.to_string();
        for f in &forbidden {
            assert!(!text.contains(f.as_str()), "{f} reached the model: {text}");
        }
    }
    let bars = requests[1]["messages"][3]["content"].as_str().unwrap();
    assert!(
        bars.contains("\"time\":\"day 1\"") && bars.contains("ASSET_A"),
        "{bars}"
    );
    let news = last_message(&requests[1]);
    assert!(
        news.contains("unknown tool") && news.contains("search_news"),
        "news is held back: {news}"
    );
    // The limit of 105 on the rebased scale is 105 % of AAPL's first close.
    let order = sink
        .events()
        .find_map(|e| match e {
            RunEvent::Decision { intent, .. } => Some(intent.clone()),
            _ => None,
        })
        .expect("an order");
    assert_eq!(order.symbol, Symbol::new("AAPL").unwrap());
    assert_eq!(
        order.order_type,
        OrderType::Limit(Price::from_f64(453.3585).unwrap())
    );
    // The rejected short sale comes back in neutral names.
    let after_reject = last_message(&requests[requests.len() - 1]);
    assert!(!after_reject.contains("MSFT"), "{after_reject}");
}

#[test]
fn the_registry_builds_the_agent_by_name_from_its_arguments() {
    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "wait", 0.5));
    let mut registry = DeciderRegistry::builtin();
    tradelab_agent::register(&mut registry).unwrap();
    let info = registry.info("llm").expect("registered");
    assert!(info.param("model").is_some() && info.param("max_cost").is_some());
    let p = mock_params(&mock, &[]);
    let rules = vec!["max 2 open positions".to_string()];
    let args = DeciderArgs::new(&p, false)
        .with_instructions("Be patient.")
        .with_rules(&rules);
    let mut decider = registry.build_with("llm", args).unwrap();
    assert_eq!(decider.name(), "llm(gpt-4o-mini)");
    let engine = Engine::new(RunConfig::default(), vec![minutes("AAPL", &[100.0])]).unwrap();
    engine
        .run(decider.as_mut(), &mut VecSink::default(), None)
        .unwrap();
    let system = mock.requests()[0]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(system.contains("Be patient.") && system.contains("max 2 open positions"));
    let e = registry
        .build("llm", &params(&[("style", "fast")]), false)
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "llm: style (fast) is not loop, decision or auto"
    );
}

fn run_in_place(url: String) -> usize {
    let mock_params = params(&[("base_url", &url), ("retries", "0")]);
    let mut agent = agent(&mock_params);
    let engine = Engine::new(RunConfig::default(), vec![minutes("AAPL", &[100.0, 101.0])]).unwrap();
    let mut sink = VecSink::default();
    engine.run(&mut agent, &mut sink, None).unwrap();
    decided(&sink.0.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>()).len()
}

#[tokio::test(flavor = "current_thread")]
async fn works_when_called_on_a_thread_that_runs_an_async_runtime() {
    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "wait", 0.5));
    // As a `#[tokio::main]` CLI that drives the sync engine directly.
    assert_eq!(run_in_place(mock.url().to_string()), 2);
    // As the runner, from a blocking task; the agent is dropped inside the runtime too.
    let url = mock.url().to_string();
    let n = tokio::task::spawn_blocking(move || run_in_place(url))
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(mock.served(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_a_multi_thread_runtime_too() {
    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "wait", 0.5));
    assert_eq!(run_in_place(mock.url().to_string()), 2);
}
