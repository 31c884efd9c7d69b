//! Record, replay, budget and the key: reproducible runs that cost nothing to repeat,
//! stop at their limits, and never leak the key.

mod common;

use common::*;
use serde_json::json;
use tradelab_agent::mock::{MockLlm, MockReply};
use tradelab_agent::{AgentContext, LlmDecider, LlmSettings};
use tradelab_engine::{DecisionTrace, RunEvent};

fn script(mock: &MockLlm) {
    mock.push(MockReply::tool_call("get_price", json!({"symbol": "AAPL"})));
    mock.push(MockReply::tool_call(
        "buy",
        json!({"symbol": "AAPL", "qty": 3}),
    ));
    mock.push(MockReply::tool_call(
        "finish",
        json!({"summary": "bought 3"}),
    ));
    mock.push(MockReply::status(500, "down").header("x-should-retry", "false"));
    mock.fallback(MockReply::tool_call(
        "finish",
        json!({"summary": "holding"}),
    ));
}

fn prices() -> Vec<f64> {
    vec![100.0, 101.5, 99.25, 102.0]
}

#[test]
fn a_recorded_run_replays_with_the_server_gone_giving_identical_events() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exchanges.jsonl");
    let file_text = file.display().to_string();
    let mock = MockLlm::start();
    script(&mock);
    let mut recorder = agent(&mock_params(
        &mock,
        &[
            ("style", "loop"),
            ("mode", "record"),
            ("recordings", &file_text),
        ],
    ));
    let (outcome, recorded) = run(&mut recorder, vec![daily("AAPL", &prices())]);
    outcome.unwrap();
    let base_url = mock.url().to_string();
    mock.shutdown();
    assert_eq!(fills(&recorded), vec![("buy".into(), "3".into())]);
    let traces: Vec<DecisionTrace> = recorded
        .iter()
        .filter_map(|e| match e {
            RunEvent::Decided { trace, .. } => trace.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(traces[0].inputs["exchanges"].as_array().unwrap().len(), 3);
    assert!(
        traces[1].inputs["exchanges"][0]["error"]
            .as_str()
            .unwrap()
            .contains("down")
    );
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    assert_eq!(lines, 6, "one line per model call");

    let replay_params = |extra: &[(&str, &str)]| {
        let mut p = params(&[
            ("base_url", &base_url),
            ("model", "gpt-4o-mini"),
            ("style", "loop"),
            ("mode", "replay"),
        ]);
        p.extend(params(extra));
        p
    };
    // From the file.
    let mut from_file = agent(&replay_params(&[("recordings", &file_text)]));
    let (outcome, replayed) = run(&mut from_file, vec![daily("AAPL", &prices())]);
    outcome.unwrap();
    assert_eq!(replayed, recorded);
    // From the recorded run's traces.
    let mut from_traces = agent_with(
        &replay_params(&[]),
        AgentContext {
            prior: traces,
            ..AgentContext::default()
        },
    );
    let (outcome, replayed) = run(&mut from_traces, vec![daily("AAPL", &prices())]);
    outcome.unwrap();
    assert_eq!(replayed, recorded);
    assert_eq!(
        from_traces.spent().0,
        500,
        "replay counts the recorded tokens of 5 answered calls"
    );
}

#[test]
fn a_replay_asked_something_never_recorded_fails_naming_the_step_and_the_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    let file_text = file.display().to_string();
    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "wait", 0.5));
    let mut recorder = agent(&mock_params(
        &mock,
        &[("mode", "record"), ("recordings", &file_text)],
    ));
    run(&mut recorder, vec![minutes("AAPL", &[100.0, 101.0])])
        .0
        .unwrap();
    drop(mock);
    let mut replayer = agent(&params(&[("mode", "replay"), ("recordings", &file_text)]));
    let (outcome, events) = run(&mut replayer, vec![minutes("AAPL", &[100.0, 101.0, 102.0])]);
    let failure = outcome.unwrap_err().to_string();
    assert!(
        failure.contains(
            "replay: no recorded answer for the model call at 2020-01-02T14:32:00Z for AAPL"
        ),
        "{failure}"
    );
    assert_eq!(
        decided(&events).len(),
        2,
        "the recorded steps replayed first"
    );
    assert!(matches!(events.last(), Some(RunEvent::RunFailed { .. })));
}

#[test]
fn a_replay_without_recordings_is_refused_when_built() {
    let settings = LlmSettings::from_params(&params(&[("mode", "replay")])).unwrap();
    let e = LlmDecider::new(settings, AgentContext::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("mode=replay needs recorded exchanges"),
        "{e}"
    );
}

#[test]
fn passing_the_token_budget_halts_the_run_naming_the_limit_and_the_totals() {
    let mock = MockLlm::start();
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "hold"})).usage(100, 20, 0));
    let mut agent = agent(&mock_params(
        &mock,
        &[("style", "loop"), ("max_tokens", "300")],
    ));
    let (outcome, events) = run(&mut agent, vec![daily("AAPL", &prices())]);
    let reason = halted_reason(outcome.unwrap().status);
    assert!(
        reason.contains(
            "budget exceeded: max_tokens 300 passed: spent 360 tokens (300 prompt, 60 completion)"
        ),
        "{reason}"
    );
    // The model is not asked again; the run goes on to the end of its data, halted.
    assert_eq!(mock.served(), 3);
    assert_eq!(
        decided(&events).len(),
        3,
        "the passing call's decision is kept"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        RunEvent::DeciderFailed { message, continued: false, .. } if *message == reason
    )));
    assert!(matches!(events.last(), Some(RunEvent::RunFinished { .. })));
}

fn halted_reason(status: tradelab_engine::RunStatus) -> String {
    match status {
        tradelab_engine::RunStatus::Halted { reason } => reason,
        other => panic!("expected a halted run, got {other}"),
    }
}

#[test]
fn passing_the_cost_budget_halts_the_run_and_an_unpriced_model_cannot_have_one() {
    let mock = MockLlm::start();
    // gpt-4o: 1M prompt tokens cost 2.50 USD.
    mock.fallback(
        MockReply::tool_call("finish", json!({"summary": "hold"})).usage(1_000_000, 0, 0),
    );
    let mut agent = agent(&mock_params(
        &mock,
        &[("style", "loop"), ("model", "gpt-4o"), ("max_cost", "6")],
    ));
    let failure = halted_reason(
        run(&mut agent, vec![daily("AAPL", &prices())])
            .0
            .unwrap()
            .status,
    );
    assert!(
        failure.contains("budget exceeded: max_cost 6 USD passed"),
        "{failure}"
    );
    assert!(
        failure.contains("7.500000 USD in 3 model calls"),
        "{failure}"
    );

    let settings = LlmSettings::from_params(&mock_params(
        &mock,
        &[("model", "my-llama"), ("max_cost", "1")],
    ))
    .unwrap();
    let e = LlmDecider::new(settings, AgentContext::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("max_cost needs the price of model \"my-llama\""),
        "{e}"
    );
}

#[test]
fn the_key_is_sent_but_never_shown_in_debug_output_traces_or_recordings() {
    const SECRET: &str = "sk-test-secret-0042";
    // SAFETY: only this test reads or writes this variable.
    unsafe { std::env::set_var("TRADELAB_AGENT_TEST_KEY", SECRET) };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    let file_text = file.display().to_string();
    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "wait", 0.5));
    let p = mock_params(
        &mock,
        &[
            ("api_key_env", "TRADELAB_AGENT_TEST_KEY"),
            ("mode", "record"),
            ("recordings", &file_text),
        ],
    );
    let mut agent = agent(&p);
    let (outcome, events) = run(&mut agent, vec![minutes("AAPL", &[100.0, 101.0])]);
    outcome.unwrap();
    assert_eq!(mock.authorizations()[0], format!("Bearer {SECRET}"));
    let shown = [
        format!("{agent:?}"),
        format!("{events:?}"),
        serde_json::to_string(&decided(&events)).unwrap(),
        std::fs::read_to_string(&file).unwrap(),
        format!("{:?}", agent.settings().to_params()),
    ];
    for text in shown {
        assert!(!text.contains(SECRET), "{text}");
    }
}
