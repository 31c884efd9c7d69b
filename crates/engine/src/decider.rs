//! The decider: whatever turns point-in-time data into order intents (rule-based
//! strategy, ML learner, LLM agent).

use crate::event::Rejection;
use crate::portfolio::Portfolio;
use crate::view::DataView;
use tradelab_core::{OrderIntent, Timestamp};

/// What a decider sees at one step: data up to now, the portfolio, and the orders the
/// engine rejected since the previous step (so it can adapt).
pub struct DecisionContext<'a> {
    /// Timestamp of the step (the close of the bars in `updated`).
    pub now: Timestamp,
    /// Bars up to now.
    pub view: DataView<'a>,
    /// Indices of the symbols that got a new bar at `now`.
    pub updated: &'a [usize],
    /// Cash and positions after all fills up to now, marked at the latest closes.
    pub portfolio: &'a Portfolio,
    /// Orders rejected since the previous step, with the reason.
    pub rejections: &'a [Rejection],
}

/// A trading strategy in the widest sense. Called once per step, after the step's bars
/// close; pushes zero or more order intents into `orders`.
pub trait Decider: Send {
    /// Short name for reports, e.g. `sma_cross(10,20)`.
    fn name(&self) -> String;

    /// Decide at one step.
    fn on_step(&mut self, ctx: &DecisionContext<'_>, orders: &mut Vec<OrderIntent>);

    /// Bars of a symbol the decider must see before it can first order in it (its
    /// indicators' warm-up), so a run over fewer bars can say it will not trade.
    fn min_bars(&self) -> usize {
        1
    }
}
