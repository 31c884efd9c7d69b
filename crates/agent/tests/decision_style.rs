//! The intraday decision style through the real engine, against the mock server:
//! structured answers, the concurrency bound, timeouts, retries and re-asks.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use tradelab_agent::mock::{MockLlm, MockReply};

fn closes(n: usize) -> Vec<f64> {
    (0..n).map(|k| 100.0 + (k as f64 * 0.7).sin()).collect()
}

#[test]
fn an_intraday_session_asks_every_n_bars_and_trades_on_structured_answers() {
    let mock = MockLlm::start();
    mock.push(MockReply::decision("buy", 5.0, "momentum", 0.8));
    mock.push(MockReply::decision("sell", 5.0, "take profit", 0.6));
    mock.fallback(MockReply::decision("hold", 0.0, "nothing new", 0.5));
    let mut agent = agent(&mock_params(&mock, &[("every", "5")]));
    let (outcome, events) = run(&mut agent, vec![minutes("AAPL", &closes(30))]);
    outcome.unwrap();
    assert_eq!(mock.served(), 6, "30 bars, asked every 5");
    assert_eq!(
        fills(&events),
        vec![("buy".into(), "5".into()), ("sell".into(), "5".into())]
    );
    let decided = decided(&events);
    assert_eq!(decided.len(), 6);
    let (reasoning, trace) = &decided[0];
    assert_eq!(reasoning, "AAPL: buy 5 (confidence 0.80): momentum");
    assert_eq!(trace["inputs"]["style"], "decision");
    assert_eq!(trace["inputs"]["action"], "buy");
    assert_eq!(trace["inputs"]["confidence"], 0.8);
    assert_eq!(trace["tool_calls"][0]["name"], "decide");
    assert_eq!(
        trace["inputs"]["raw"][0]["tool_calls"][0]["function"]["name"],
        "decide"
    );
    let request = &mock.requests()[0];
    assert_eq!(request["tool_choice"]["function"]["name"], "decide");
    let prompt = last_message(request);
    assert!(prompt.contains("2020-01-02 14:30: "), "{prompt}");
    assert!(
        prompt.starts_with("Decision time: 2020-01-02 14:30"),
        "{prompt}"
    );
}

#[test]
fn symbols_are_asked_in_parallel_within_the_concurrency_bound_even_when_calls_fail() {
    let mock = MockLlm::start();
    let symbols = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"];
    for s in &symbols[..2] {
        mock.push_for(
            s,
            MockReply::status(500, "overloaded").after(Duration::from_millis(100)),
        );
    }
    mock.fallback(MockReply::decision("hold", 0.0, "wait", 0.5).after(Duration::from_millis(150)));
    let mut agent = agent(&mock_params(
        &mock,
        &[
            ("concurrency", "2"),
            ("style", "decision"),
            ("retries", "1"),
        ],
    ));
    let series = symbols.iter().map(|s| minutes(s, &closes(2))).collect();
    let start = Instant::now();
    let (outcome, events) = run(&mut agent, series);
    outcome.unwrap();
    assert_eq!(mock.served(), 14, "6 symbols × 2 bars, 2 failures retried");
    assert_eq!(
        mock.concurrent_peak(),
        2,
        "asked in parallel, never more than 2"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(decided(&events).len(), 2);
}

#[test]
fn a_call_that_keeps_timing_out_holds_with_the_error_and_the_run_goes_on() {
    let mock = MockLlm::start();
    mock.push(MockReply::decision("buy", 1.0, "late", 0.9).after(Duration::from_secs(3)));
    mock.push(MockReply::decision("buy", 1.0, "late", 0.9).after(Duration::from_secs(3)));
    mock.fallback(MockReply::decision("hold", 0.0, "fine", 0.5));
    let mut agent = agent(&mock_params(&mock, &[("timeout", "0.3"), ("retries", "1")]));
    let (outcome, events) = run(&mut agent, vec![minutes("AAPL", &closes(3))]);
    assert_eq!(outcome.unwrap().steps, 3);
    assert!(fills(&events).is_empty());
    let decided = decided(&events);
    assert_eq!(decided.len(), 3);
    let (reasoning, trace) = &decided[0];
    assert!(
        reasoning.starts_with(
            "AAPL: hold: model call failed: the model call timed out after 0.3 s (after 1 retries)"
        ),
        "{reasoning}"
    );
    assert_eq!(trace["inputs"]["action"], "hold");
    assert_eq!(trace["inputs"]["retries"], 1);
    assert!(
        trace["inputs"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("timed out")
    );
    assert_eq!(decided[1].0, "AAPL: hold 0 (confidence 0.50): fine");
}

#[test]
fn a_malformed_answer_is_re_asked_once_quoting_the_error_then_holds() {
    let mock = MockLlm::start();
    mock.push(MockReply::text("I would buy some."));
    mock.push(MockReply::decision("moon", 3.0, "to the moon", 0.99));
    mock.push(MockReply::tool_call(
        "decide",
        json!({"action": "buy", "quantity": -1}),
    ));
    mock.push(MockReply::decision("buy", 2.0, "fixed", 0.7));
    mock.fallback(MockReply::decision("hold", 0.0, "fine", 0.5));
    let mut agent = agent(&mock_params(&mock, &[]));
    let (outcome, events) = run(&mut agent, vec![minutes("AAPL", &closes(3))]);
    outcome.unwrap();
    let requests = mock.requests();
    let reask = last_message(&requests[1]);
    assert!(
        reask.starts_with("Your answer was not valid: the answer is not JSON"),
        "{reask}"
    );
    let decided = decided(&events);
    assert!(
        decided[0]
            .0
            .contains("hold: invalid answer again after a re-ask: action \"moon\""),
        "{}",
        decided[0].0
    );
    let tool_reask = &requests[3]["messages"].as_array().unwrap()[3];
    assert_eq!(tool_reask["role"], "tool");
    assert!(
        tool_reask["content"]
            .as_str()
            .unwrap()
            .contains("quantity -1 must be 0 or more")
    );
    assert_eq!(decided[1].0, "AAPL: buy 2 (confidence 0.70): fixed");
    assert_eq!(fills(&events), vec![("buy".into(), "2".into())]);
}

#[test]
fn a_429_is_retried_after_the_servers_retry_after() {
    let mock = MockLlm::start();
    mock.push(MockReply::status(429, "slow down").header("retry-after", "1"));
    mock.push(
        MockReply::status(503, "busy")
            .header("retry-after-ms", "300")
            .header("retry-after", "30"),
    );
    mock.fallback(MockReply::decision("hold", 0.0, "ok", 0.5));
    let mut agent = agent(&mock_params(&mock, &[("retries", "3")]));
    let start = Instant::now();
    let (outcome, events) = run(&mut agent, vec![minutes("AAPL", &closes(1))]);
    let elapsed = start.elapsed();
    outcome.unwrap();
    assert!(elapsed >= Duration::from_millis(1300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "{elapsed:?}: retry-after-ms is read first"
    );
    let (reasoning, trace) = &decided(&events)[0];
    assert_eq!(reasoning, "AAPL: hold 0 (confidence 0.50): ok");
    assert_eq!(trace["inputs"]["retries"], 2);
    assert!(trace["inputs"]["latency_ms"].as_u64().unwrap() >= 1300);
}

#[test]
fn a_server_that_says_do_not_retry_or_sends_garbage_gives_a_hold_at_once() {
    let mock = MockLlm::start();
    mock.push(MockReply::status(500, "broken").header("x-should-retry", "false"));
    mock.push(MockReply::garbage());
    mock.fallback(MockReply::decision("hold", 0.0, "ok", 0.5));
    let mut agent = agent(&mock_params(&mock, &[("retries", "3")]));
    let (outcome, events) = run(&mut agent, vec![minutes("AAPL", &closes(3))]);
    outcome.unwrap();
    assert_eq!(mock.served(), 3);
    let decided = decided(&events);
    assert!(
        decided[0]
            .0
            .contains("answered 500: broken (after 0 retries)"),
        "{}",
        decided[0].0
    );
    assert!(decided[1].0.contains("not JSON"), "{}", decided[1].0);
}
