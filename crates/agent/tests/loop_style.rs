//! The daily tool loop through the real engine, against the mock server.

mod common;

use common::*;
use serde_json::json;
use tradelab_agent::AgentContext;
use tradelab_agent::mock::{MockLlm, MockReply};
use tradelab_core::{Symbol, Timestamp};
use tradelab_data::{NewsArchive, NewsItem};

#[test]
fn a_multi_step_daily_loop_looks_buys_and_finishes_with_its_tool_calls_in_the_trace() {
    let mock = MockLlm::start();
    mock.push(MockReply::tool_call(
        "get_bars",
        json!({"symbol": "AAPL", "lookback": 5}),
    ));
    mock.push(MockReply::tool_calls(&[
        ("get_portfolio", json!({})),
        ("buy", json!({"symbol": "AAPL", "qty": 10})),
    ]));
    mock.push(MockReply::tool_call(
        "finish",
        json!({"summary": "bought 10 AAPL on strength"}),
    ));
    mock.fallback(MockReply::tool_call(
        "finish",
        json!({"summary": "holding"}),
    ));
    let mut agent = agent_with(
        &mock_params(&mock, &[("style", "loop")]),
        AgentContext {
            instructions: "Buy strength.".into(),
            rules: vec!["max 5 open positions".into()],
            ..AgentContext::default()
        },
    );
    let (outcome, events) = run(
        &mut agent,
        vec![daily("AAPL", &[101.37, 102.59, 103.41, 104.0])],
    );
    outcome.unwrap();
    assert_eq!(fills(&events), vec![("buy".to_string(), "10".to_string())]);
    let decided = decided(&events);
    assert_eq!(
        decided.len(),
        4,
        "one decision per asked day, holds included"
    );
    let (reasoning, trace) = &decided[0];
    assert_eq!(reasoning, "bought 10 AAPL on strength");
    let names: Vec<&str> = trace["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_bars", "get_portfolio", "buy", "finish"]);
    assert_eq!(
        trace["tool_calls"][0]["result"]["bars"][0]["close"],
        json!(101.37)
    );
    assert_eq!(trace["inputs"]["style"], "loop");
    assert_eq!(trace["inputs"]["calls"], 3);
    assert_eq!(trace["usage"]["prompt_tokens"], 300);
    assert!(trace["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(decided[1].0, "holding");

    let requests = mock.requests();
    let first = &requests[0];
    assert_eq!(first["model"], "gpt-4o-mini");
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("Buy strength.") && system.contains("- max 5 open positions"));
    assert_eq!(
        first["messages"][0], requests[3]["messages"][0],
        "stable system prompt"
    );
    // The tool result follows the echoed assistant turn.
    let second = requests[1]["messages"].as_array().unwrap();
    assert_eq!(second[2]["role"], "assistant");
    assert_eq!(second[3]["role"], "tool");
    assert_eq!(second[3]["tool_call_id"], second[2]["tool_calls"][0]["id"]);
    // Day two's prompt carries the note and the position.
    let day_two = last_message(&requests[3]);
    assert!(
        day_two.contains("Your note from the last step: bought 10 AAPL"),
        "{day_two}"
    );
    assert!(day_two.contains("AAPL: 10 units"), "{day_two}");
}

#[test]
fn a_tool_asking_for_the_future_is_refused_and_no_future_number_reaches_the_model() {
    let mock = MockLlm::start();
    let closes = [101.37, 102.59, 103.41, 777.77, 888.88];
    // Day 3 (2020-01-03): ask the price of 2020-01-05.
    mock.push(MockReply::tool_call("finish", json!({"summary": "wait"})));
    mock.push(MockReply::tool_call("finish", json!({"summary": "wait"})));
    mock.push(MockReply::tool_call(
        "get_price",
        json!({"symbol": "AAPL", "time": "2020-01-05"}),
    ));
    mock.push(MockReply::tool_call(
        "get_bars",
        json!({"symbol": "AAPL", "lookback": 50}),
    ));
    mock.push(MockReply::tool_call(
        "finish",
        json!({"summary": "no peeking"}),
    ));
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "done"})));
    let mut agent = agent(&mock_params(&mock, &[("style", "loop")]));
    let (outcome, _) = run(&mut agent, vec![daily("AAPL", &closes)]);
    outcome.unwrap();
    let requests = mock.requests();
    let refused = last_message(&requests[3]);
    assert_eq!(refused, r#"{"error":"no data after 2020-01-03"}"#);
    for request in &requests[..5] {
        let text = request.to_string();
        assert!(
            !text.contains("777.77") && !text.contains("888.88"),
            "{text}"
        );
        assert!(!text.contains("2020-01-04"), "{text}");
    }
}

#[test]
fn news_is_searched_up_to_the_decision_time() {
    let mock = MockLlm::start();
    mock.push(MockReply::tool_call(
        "search_news",
        json!({"query": "apple", "symbol": "AAPL"}),
    ));
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "read"})));
    let item = |day: i64, headline: &str| NewsItem {
        published: Timestamp::from_secs((JAN_01_2020 + day) * 86_400),
        symbols: vec![Symbol::new("AAPL").unwrap()],
        headline: headline.into(),
        body: "Apple news".into(),
        source: "wire".into(),
    };
    let news = NewsArchive::new(vec![
        item(0, "Apple opens the year"),
        item(1, "Apple tomorrow"),
    ]);
    let mut agent = agent_with(
        &mock_params(&mock, &[("style", "loop")]),
        AgentContext {
            news,
            ..AgentContext::default()
        },
    );
    let (outcome, _) = run(&mut agent, vec![daily("AAPL", &[100.0, 101.0])]);
    outcome.unwrap();
    let result = last_message(&mock.requests()[1]);
    assert!(result.contains("Apple opens the year"), "{result}");
    assert!(!result.contains("Apple tomorrow"), "{result}");
}

#[test]
fn malformed_tool_calls_are_answered_with_the_error_once_then_the_step_holds() {
    let mock = MockLlm::start();
    mock.push(MockReply::raw_tool_calls(vec![
        json!({"id": "c1", "type": "function",
        "function": {"name": "buy", "arguments": "{\"symbol\": \"AAPL\", "}}),
    ]));
    mock.push(MockReply::tool_call("teleport", json!({})));
    mock.push(MockReply::tool_call(
        "buy",
        json!({"symbol": "AAPL", "qty": 5}),
    ));
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "ok"})));
    let mut agent = agent(&mock_params(&mock, &[("style", "loop")]));
    let (outcome, events) = run(&mut agent, vec![daily("AAPL", &[100.0])]);
    outcome.unwrap();
    assert!(
        fills(&events).is_empty(),
        "no order after two malformed answers"
    );
    assert_eq!(mock.served(), 2, "one re-ask, then hold");
    let reask = last_message(&mock.requests()[1]);
    assert!(reask.contains("arguments are not valid JSON"), "{reask}");
    let (reasoning, trace) = &decided(&events)[0];
    assert!(
        reasoning.starts_with("hold: malformed tool calls again"),
        "{reasoning}"
    );
    assert_eq!(trace["inputs"]["ended_by"], "malformed output");
    assert_eq!(
        trace["tool_calls"][0]["arguments"],
        "{\"symbol\": \"AAPL\", "
    );
}

#[test]
fn arguments_as_an_object_and_calls_without_an_id_are_accepted() {
    let mock = MockLlm::start();
    mock.push(MockReply::raw_tool_calls(vec![json!({
        "function": {"name": "buy", "arguments": {"symbol": "AAPL", "qty": 2}}})]));
    mock.fallback(MockReply::text("That is all for today."));
    let mut agent = agent(&mock_params(&mock, &[("style", "loop")]));
    let (outcome, events) = run(&mut agent, vec![daily("AAPL", &[100.0, 100.5])]);
    outcome.unwrap();
    assert_eq!(fills(&events), vec![("buy".to_string(), "2".to_string())]);
    let echoed = &mock.requests()[1]["messages"][2]["tool_calls"][0];
    assert_eq!(echoed["id"], "call_1_0_0");
    assert_eq!(
        mock.requests()[1]["messages"][3]["tool_call_id"],
        "call_1_0_0"
    );
    assert_eq!(decided(&events)[0].0, "That is all for today.");
}
