//! What a learning decider says about itself, beyond its orders: a checkpoint of its
//! learned state, or a change of its own status (its guardrail paused or resumed
//! opening positions). Recorded as [`crate::RunEvent::Model`] events, so the audit
//! trail, the store (which keeps checkpoints as versioned snapshots) and live
//! subscribers see them; rule-based strategies and the LLM agent never send any.

use serde::Serialize;
use tradelab_core::Timestamp;

/// One thing a decider reports about its model at a step (see [`crate::Decision::notes`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ModelNote {
    /// The model stopped opening positions (e.g. `paused: degraded`): it keeps
    /// learning and still closes positions.
    Paused {
        /// Why, with the numbers (rolling score against the baseline).
        detail: String,
    },
    /// The model opens positions again.
    Resumed {
        /// Why, with the numbers.
        detail: String,
    },
    /// A checkpoint of the learned state, taken after `bars` bars; a store sink keeps
    /// it as the run's next snapshot version. The state itself is not part of the
    /// event's JSON (it can be large); its size is.
    Snapshot {
        /// Bars the model has taken so far (over all symbols, warm start included).
        bars: u64,
        /// Size of the state in bytes.
        size: usize,
        /// The state, as JSON text.
        #[serde(skip)]
        state: String,
    },
}

impl ModelNote {
    /// The note's name in the trail and in output: `paused`, `resumed`, `snapshot`.
    pub fn name(&self) -> &'static str {
        match self {
            ModelNote::Paused { .. } => "paused",
            ModelNote::Resumed { .. } => "resumed",
            ModelNote::Snapshot { .. } => "snapshot",
        }
    }
}

/// A decider's learned state at a point of its run, for the end-of-run snapshot
/// ([`crate::Decider::checkpoint`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Time of the last bar the model took (`None` before its first bar).
    pub ts: Option<Timestamp>,
    /// Bars the model has taken (over all symbols, warm start included).
    pub bars: u64,
    /// The state, as JSON text.
    pub state: String,
}

/// Why a decider cannot start from a saved state (see [`crate::Decider::restore`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RestoreError(pub String);
