//! The agent's own cost per asked step, and a 390-bar intraday day end to end.
//!
//! - `agent_step/decision_replay` and `agent_step/loop_replay`: one asked step answered
//!   from an in-process recording (no network): prompt building, request hashing,
//!   reply parsing, tool dispatch, validation and the trace. This is what the agent
//!   itself costs per step.
//! - `agent_step/decision_loopback`: the same decision step answered at once by the
//!   mock server over loopback HTTP.
//! - `agent_day/intraday_390_bars`: an engine run over a 390-bar minute session with
//!   one symbol, the agent asked at every bar, against the loopback mock.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;
use tradelab_agent::mock::{MockLlm, MockReply};
use tradelab_agent::{AgentContext, LlmDecider, LlmSettings};
use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};
use tradelab_engine::event::VecSink;
use tradelab_engine::testkit::Scene;
use tradelab_engine::{Engine, RunConfig};

fn minutes(n: usize) -> BarSeries {
    let start = 18_263 * 86_400 + 14 * 3600 + 30 * 60;
    let bars = (0..n)
        .map(|k| {
            let c = 100.0 + (k as f64 * 0.05).sin() * 2.0;
            Bar::new(
                Timestamp::from_secs(start + 60 * k as i64),
                c,
                c + 0.1,
                c - 0.1,
                c,
                1000.0,
            )
            .expect("bar")
        })
        .collect();
    BarSeries::new(Symbol::new("AAPL").expect("symbol"), bars).expect("series")
}

fn agent(pairs: &[(&str, &str)]) -> LlmDecider {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    LlmDecider::new(
        LlmSettings::from_params(&params).expect("settings"),
        AgentContext {
            instructions: "Trade the trend; keep positions small.".into(),
            rules: vec!["max 20 % of equity per symbol (rejects)".into()],
            ..AgentContext::default()
        },
    )
    .expect("agent")
}

/// Records two steps at `scene` in `style` with the mock answering `replies` at each
/// (the second step's prompt carries the first's note, as every later one does), then
/// returns an agent replaying them.
fn replaying(
    scene: &Scene,
    style: &str,
    replies: &[MockReply],
    file: &std::path::Path,
) -> LlmDecider {
    let mock = MockLlm::start();
    for r in replies.iter().chain(replies) {
        mock.push(r.clone());
    }
    let path = file.display().to_string();
    let mut recorder = agent(&[
        ("base_url", mock.url()),
        ("style", style),
        ("mode", "record"),
        ("recordings", &path),
    ]);
    for _ in 0..2 {
        let d = scene.decide(&mut recorder).expect("recorded step");
        assert!(d.trace.is_some());
    }
    agent(&[("style", style), ("mode", "replay"), ("recordings", &path)])
}

fn agent_step(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let scene = Scene::new(vec![minutes(60)]);
    let mut group = c.benchmark_group("agent_step");

    let mut decision = replaying(
        &scene,
        "decision",
        &[MockReply::decision(
            "buy",
            10.0,
            "uptrend on rising closes",
            0.7,
        )],
        &dir.path().join("decision.jsonl"),
    );
    group.bench_function("decision_replay", |b| {
        b.iter(|| black_box(scene.decide(&mut decision).expect("step")))
    });

    let mut looping = replaying(
        &scene,
        "loop",
        &[
            MockReply::tool_calls(&[
                ("get_bars", json!({"symbol": "AAPL", "lookback": 20})),
                ("get_portfolio", json!({})),
            ]),
            MockReply::tool_call(
                "calculate",
                json!({"expression": "(101.2 - 99.8) / 99.8 * 100"}),
            ),
            MockReply::tool_call("buy", json!({"symbol": "AAPL", "qty": 10})),
            MockReply::tool_call("finish", json!({"summary": "bought 10 on the trend"})),
        ],
        &dir.path().join("loop.jsonl"),
    );
    group.bench_function("loop_replay_4_calls", |b| {
        b.iter(|| black_box(scene.decide(&mut looping).expect("step")))
    });

    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "flat", 0.5));
    let mut live = agent(&[("base_url", mock.url()), ("style", "decision")]);
    group.bench_function("decision_loopback", |b| {
        b.iter(|| black_box(scene.decide(&mut live).expect("step")))
    });
    group.finish();

    let mut day = c.benchmark_group("agent_day");
    day.sample_size(10);
    let engine = Engine::new(RunConfig::default(), vec![minutes(390)]).expect("engine");
    day.bench_function("intraday_390_bars", |b| {
        b.iter(|| {
            let mut agent = agent(&[("base_url", mock.url()), ("style", "decision")]);
            let mut sink = VecSink::default();
            let outcome = engine.run(&mut agent, &mut sink, None).expect("run");
            black_box((outcome, sink.0.len()))
        })
    });
    day.finish();
}

criterion_group!(benches, agent_step);
criterion_main!(benches);
