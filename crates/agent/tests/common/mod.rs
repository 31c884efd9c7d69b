//! Helpers shared by the agent's tests: bars, engines, agents pointed at a mock.
#![allow(dead_code)]

use serde_json::Value;
use tradelab_agent::mock::MockLlm;
use tradelab_agent::{AgentContext, LlmDecider, LlmSettings};
use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};
use tradelab_engine::event::VecSink;
use tradelab_engine::{Engine, RunConfig, RunEvent, RunFailure, RunOutcome};

/// 2020-01-01 in days since the epoch.
pub const JAN_01_2020: i64 = 18_262;

/// Daily bars from 2020-01-01 at the given closes (open = close).
pub fn daily(symbol: &str, closes: &[f64]) -> BarSeries {
    tradelab_engine::testkit::daily_bars(symbol, JAN_01_2020, closes).unwrap()
}

/// Minute bars from 2020-01-02 14:30 UTC at the given closes.
pub fn minutes(symbol: &str, closes: &[f64]) -> BarSeries {
    let start = (JAN_01_2020 + 1) * 86_400 + 14 * 3600 + 30 * 60;
    let bars = closes
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            Bar::new(
                Timestamp::from_secs(start + 60 * k as i64),
                c,
                c,
                c,
                c,
                100.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(symbol).unwrap(), bars).unwrap()
}

/// `key=value` pairs.
pub fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Parameters pointing at `mock`, quick to retry, plus `extra`.
pub fn mock_params(mock: &MockLlm, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p = params(&[
        ("base_url", mock.url()),
        ("model", "gpt-4o-mini"),
        ("api_key_env", "TRADELAB_AGENT_TEST_NO_KEY"),
        ("timeout", "5"),
        ("retries", "1"),
        ("backoff_ms", "10"),
    ]);
    for (k, v) in extra {
        p.retain(|(key, _)| key != k);
        p.push((k.to_string(), v.to_string()));
    }
    p
}

/// An agent built from parameters, with no instructions, rules or news.
pub fn agent(params: &[(String, String)]) -> LlmDecider {
    agent_with(params, AgentContext::default())
}

/// An agent built from parameters and context.
pub fn agent_with(params: &[(String, String)], context: AgentContext) -> LlmDecider {
    LlmDecider::new(LlmSettings::from_params(params).unwrap(), context).unwrap()
}

/// Runs `agent` over `series` with the default run configuration.
pub fn run(
    agent: &mut LlmDecider,
    series: Vec<BarSeries>,
) -> (Result<RunOutcome, RunFailure>, Vec<RunEvent>) {
    let engine = Engine::new(RunConfig::default(), series).unwrap();
    let mut sink = VecSink::default();
    let outcome = engine.run(agent, &mut sink, None);
    (outcome, sink.events().cloned().collect())
}

/// The `Decided` events: (reasoning, trace as JSON).
pub fn decided(events: &[RunEvent]) -> Vec<(String, Value)> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Decided {
                reasoning, trace, ..
            } => Some((
                reasoning.clone().unwrap_or_default(),
                serde_json::to_value(trace).unwrap(),
            )),
            _ => None,
        })
        .collect()
}

/// (side, qty) of every fill.
pub fn fills(events: &[RunEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Fill { fill } => Some((fill.side.to_string(), fill.qty.to_string())),
            _ => None,
        })
        .collect()
}

/// The text of the last message of a request body.
pub fn last_message(request: &Value) -> String {
    request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["content"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}
