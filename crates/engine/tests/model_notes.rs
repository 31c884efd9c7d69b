//! Model notes: what a learning decider says about its model (a guardrail pause, a
//! checkpoint) becomes `model` events in the run's stream, at the step it was said;
//! deciders that do not learn keep the default hooks (no checkpoint, no warm start).

mod common;

use common::*;
use tradelab_engine::event::VecSink;
use tradelab_engine::{
    DecideError, Decider, Decision, DecisionContext, Engine, ModelNote, RunEvent, strategies,
};

/// Pauses at its 3rd step, resumes at its 5th and checkpoints at its 4th.
struct Noting {
    steps: u64,
}

impl Decider for Noting {
    fn name(&self) -> String {
        "noting".into()
    }

    fn on_step(&mut self, _: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        self.steps += 1;
        match self.steps {
            3 => d.notes.push(ModelNote::Paused {
                detail: "degraded".into(),
            }),
            4 => d.notes.push(ModelNote::Snapshot {
                bars: 4,
                size: 2,
                state: "{}".into(),
            }),
            5 => d.notes.push(ModelNote::Resumed {
                detail: "recovered".into(),
            }),
            _ => {}
        }
        Ok(())
    }
}

#[test]
fn notes_become_model_events_at_their_step() {
    let series = flat("AAA", &[10.0, 11.0, 12.0, 13.0, 14.0, 15.0]);
    let ts: Vec<_> = series.bars().iter().map(|b| b.ts()).collect();
    let engine = Engine::new(tradelab_engine::RunConfig::default(), vec![series]).expect("engine");
    let mut sink = VecSink::default();
    engine
        .run(&mut Noting { steps: 0 }, &mut sink, None)
        .expect("run");
    let notes: Vec<(_, &str)> = sink
        .events()
        .filter_map(|e| match e {
            RunEvent::Model { ts, note } => Some((*ts, note.name())),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        vec![(ts[2], "paused"), (ts[3], "snapshot"), (ts[4], "resumed")]
    );
}

#[test]
fn snapshot_event_json_carries_size_not_state() {
    let event = RunEvent::Model {
        ts: tradelab_core::Timestamp::from_nanos(0),
        note: ModelNote::Snapshot {
            bars: 7,
            size: 11,
            state: "{\"w\":[1]}".into(),
        },
    };
    let json = serde_json::to_value(&event).expect("json");
    assert_eq!(json["event"], "model");
    assert_eq!(json["model"], "snapshot");
    assert_eq!(json["bars"], 7);
    assert_eq!(json["size"], 11);
    assert!(json.get("state").is_none(), "{json}");
}

#[test]
fn rule_based_strategies_refuse_a_warm_start_and_have_no_checkpoint() {
    let params = [
        ("fast".to_string(), "3".to_string()),
        ("slow".to_string(), "7".to_string()),
    ];
    let mut sma = strategies::build("sma_cross", &params, false).expect("sma_cross");
    assert!(sma.checkpoint().is_none());
    assert!(sma.model_report().is_none());
    let err = sma.restore("{}").expect_err("refused");
    assert!(err.to_string().contains("does not learn"), "{err}");
}
