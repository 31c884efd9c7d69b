//! The online ML learner of tradelab: a [`Decider`](tradelab_engine::Decider) that
//! learns bar by bar from the point-in-time view, calibrates its probabilities and
//! trades on them.
//!
//! - [`features`]: returns, RSI, realised volatility, volume z-score, distance from
//!   moving averages, time of day and day of week, each standardised online
//!   ([`welford`]).
//! - [`label`]: what is predicted: up or not `h` bars ahead (binary), or up / flat /
//!   down with a dead band in units of realised volatility (three-class).
//! - [`model`]: logistic regression by SGD, one sample at a time (written by hand;
//!   its doc says why); [`softmax`]: its three-class form; [`mlp`]: a small network
//!   (one hidden layer) for either label.
//! - [`calibration`]: Platt scaling refitted on a rolling window;
//!   [`vector_scaling`]: its three-class form.
//! - [`scores`]: Brier, log loss, ECE and the reliability table; [`report`] puts
//!   them together with the weights.
//! - [`learner`]: the loop: a sample is learned only once its label is known, `h` bars
//!   after it was seen.
//! - [`guard`]: the guardrail (stops opening positions while the rolling Brier score
//!   is worse than the base rate's).
//! - [`OnlineLearner`]: the decider; [`evaluate`]: walk-forward evaluation.
//! - [`synth`]: synthetic series (AR(1) returns, planted signals) for tests, the
//!   benchmark and demonstrations.
//!
//! Every state is serde-serialisable so snapshots and warm starts can be added.
//! Register it with [`register`]; drivers then build it by the name `online_learner`.

pub mod calibration;
mod decider;
pub mod evaluate;
pub mod features;
pub mod guard;
pub mod label;
pub mod learner;
pub mod mlp;
pub mod model;
pub mod params;
pub mod report;
pub mod scores;
pub mod softmax;
pub mod synth;
pub mod vector_scaling;
pub mod welford;

pub use decider::OnlineLearner;
pub use params::{LearnerConfig, PARAMS, STRATEGY};
pub use report::LearnerReport;

use tradelab_engine::strategies::StrategyInfo;
use tradelab_engine::{DeciderRegistry, RegistryError};

/// The registry entry: the name `online_learner`, what it does and its parameters
/// with defaults.
pub fn info() -> StrategyInfo {
    StrategyInfo::fixed(
        STRATEGY,
        "Online logistic regression learned bar by bar (label: close h bars later above \
         this close), Platt-calibrated; enters when the probability passes `threshold`, \
         sized half-Kelly up to `max_fraction` of equity. Optionally a three-class label \
         (up/flat/down, label=three_class) and a small network (model=mlp).",
        PARAMS,
    )
}

/// Registers the learner as `online_learner`.
pub fn register(registry: &mut DeciderRegistry) -> Result<(), RegistryError> {
    registry.register(info(), |args| Ok(Box::new(OnlineLearner::from_args(args)?)))
}
