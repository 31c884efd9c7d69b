//! The decider: whatever turns point-in-time data into orders (rule-based strategy,
//! ML learner, LLM agent), and what it answers with.
//!
//! A call returns a [`Decision`]: orders, cancels of its own working orders and, when
//! the decider has something to say, its reasoning and a trace of how it got there. A
//! call may fail ([`DecideError`]); the engine records the failure and goes on or stops
//! as the run says ([`DeciderErrors`]). Plain deciders are called on the engine's
//! thread ([`Decider`]); a decider that awaits something (an HTTP call with a timeout)
//! implements [`AsyncDecider`] and runs under the async driver.

use crate::event::Rejection;
use crate::model_note::{Checkpoint, ModelNote, RestoreError};
use crate::portfolio::Portfolio;
use crate::run::Working;
use crate::view::DataView;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use tradelab_core::{Order, OrderId, OrderIntent, Timestamp};

/// What a decider sees at one step: data up to now, the portfolio, its working orders
/// and the orders the engine rejected since the previous step (so it can adapt).
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
    /// The decider's own orders still working at the broker (limit and stop orders
    /// waiting for their price, market orders waiting for the next open).
    pub working: WorkingOrders<'a>,
}

/// The decider's orders working at the broker, oldest first (the engine's own exit
/// orders are not shown: a decider cannot cancel them).
#[derive(Clone, Copy)]
pub struct WorkingOrders<'a>(&'a [Working]);

impl<'a> WorkingOrders<'a> {
    /// No working orders (a context built outside a run).
    pub fn none() -> Self {
        WorkingOrders(&[])
    }

    pub(crate) fn new(working: &'a [Working]) -> Self {
        WorkingOrders(working)
    }

    /// The decider's working orders, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &'a Order> + 'a {
        self.0.iter().filter(|w| !w.engine).map(|w| &w.order)
    }

    /// Whether the decider has no order working.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// What a decider answers at one step. The engine hands the same value to every call,
/// emptied, so a decider that orders nothing allocates nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    /// Orders to place, in this order.
    pub orders: Vec<OrderIntent>,
    /// Working orders of the decider's to withdraw before the new orders are placed.
    pub cancels: Vec<OrderId>,
    /// Why, in the decider's words. A hold with reasoning is recorded too.
    pub reasoning: Option<String>,
    /// What the decider looked at and did to decide (inputs, tool calls, usage).
    pub trace: Option<DecisionTrace>,
    /// What a learning decider reports about its model at this step (a pause of its
    /// guardrail, a checkpoint); each becomes a [`crate::RunEvent::Model`] event.
    pub notes: Vec<ModelNote>,
}

impl Decision {
    /// Adds an order.
    #[inline]
    pub fn order(&mut self, intent: OrderIntent) {
        self.orders.push(intent);
    }

    /// Whether the decider said something beyond its orders: such a call is recorded
    /// as one [`crate::RunEvent::Decided`] event, holds included.
    #[inline]
    pub fn says_something(&self) -> bool {
        self.reasoning.is_some() || self.trace.is_some()
    }

    /// Empties the decision for the next call, keeping its buffers.
    #[inline]
    pub fn clear(&mut self) {
        self.orders.clear();
        self.cancels.clear();
        self.reasoning = None;
        self.trace = None;
        self.notes.clear();
    }

    /// Whether the call left nothing to record beyond its orders (no reasoning, trace,
    /// cancel or model note): the replay's fast path.
    #[inline]
    pub fn is_silent(&self) -> bool {
        !self.says_something() && self.cancels.is_empty() && self.notes.is_empty()
    }
}

/// How a decision was reached: what went in, which tools were called, what it cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionTrace {
    /// The inputs the decider looked at (indicator values, a prompt excerpt, …).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub inputs: serde_json::Value,
    /// Tools the decider called, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Tokens and cost of the model calls behind the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One tool call of a decider (an LLM agent's function call) and what it returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The tool's name.
    pub name: String,
    /// The arguments it was called with.
    pub arguments: serde_json::Value,
    /// What it returned.
    pub result: serde_json::Value,
}

/// Tokens used and what they cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Cost in US dollars, when the price of the model is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

/// Why a decider could not decide at a step. Small, so a decider's `Ok(())` costs
/// nothing on the replay's fast path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct DecideError {
    message: Box<str>,
    #[serde(default)]
    halts: bool,
}

impl DecideError {
    /// An error with its message (e.g. `model call timed out after 60 s`); the run
    /// goes on or fails as it says ([`DeciderErrors`]).
    pub fn new(message: impl Into<String>) -> Self {
        DecideError {
            message: message.into().into_boxed_str(),
            halts: false,
        }
    }

    /// The decider must not be asked again (a spending limit passed): the run is
    /// halted with this message as its reason, whatever [`DeciderErrors`] says. Its
    /// working orders are withdrawn; positions stay and are marked to the end.
    pub fn halt(message: impl Into<String>) -> Self {
        DecideError {
            message: message.into().into_boxed_str(),
            halts: true,
        }
    }

    /// What went wrong, as a person reads it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the error halts the run ([`DecideError::halt`]).
    pub fn halts(&self) -> bool {
        self.halts
    }
}

/// What a run does when its decider fails at a step. The failure is recorded either
/// way (a [`crate::RunEvent::DeciderFailed`] event).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeciderErrors {
    /// The step counts as a hold; the run goes on.
    Continue,
    /// The run stops, failed, with the error as its reason.
    #[default]
    Stop,
}

/// A trading strategy in the widest sense. Called once per step, after the step's bars
/// close, on the engine's thread.
pub trait Decider: Send {
    /// Short name for reports, e.g. `sma_cross(10,20)`.
    fn name(&self) -> String;

    /// Decide at one step: put orders (and, when there is something to say, reasoning
    /// and a trace) into `decision`, which arrives empty.
    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError>;

    /// Bars of a symbol the decider must see before it can first order in it (its
    /// indicators' warm-up), so a run over fewer bars can say it will not trade.
    fn min_bars(&self) -> usize {
        1
    }

    /// The learned state at the end of a run, for a learning decider (saved as the
    /// run's last snapshot). Others have none: `None`, and nothing is saved.
    fn checkpoint(&self) -> Option<Checkpoint> {
        None
    }

    /// Starts from a state a [`Decider::checkpoint`] (or a snapshot note) saved: a warm
    /// start. Refused by deciders that do not learn, and by a learner whose
    /// configuration does not match the state's.
    fn restore(&mut self, state: &str) -> Result<(), RestoreError> {
        let _ = state;
        Err(RestoreError(format!(
            "{} does not learn: it has no state to start from",
            self.name()
        )))
    }

    /// The symbols a restored state learned, by name and in order, when the state
    /// knows them: a warm start checks them against the new run's symbols before the
    /// run is created. `None` for deciders without such a state (and for snapshots
    /// saved before learners kept the names).
    fn learned_symbols(&self) -> Option<Vec<String>> {
        None
    }

    /// What a learning decider reports at the end of a run (its calibration figures),
    /// kept with the run's report. `None` for the others.
    fn model_report(&self) -> Option<serde_json::Value> {
        None
    }
}

/// The future an [`AsyncDecider`] returns.
pub type DecideFuture<'a> = Pin<Box<dyn Future<Output = Result<(), DecideError>> + Send + 'a>>;

/// A decider that awaits something to decide (a model behind HTTP, a remote service).
/// Run by the async driver ([`crate::Engine::run_stream`]); the engine waits for each
/// answer before it goes on, so replays stay deterministic.
pub trait AsyncDecider: Send {
    /// Short name for reports.
    fn name(&self) -> String;

    /// Decide at one step, as [`Decider::on_step`].
    fn decide<'a>(
        &'a mut self,
        ctx: &'a DecisionContext<'a>,
        decision: &'a mut Decision,
    ) -> DecideFuture<'a>;

    /// As [`Decider::min_bars`].
    fn min_bars(&self) -> usize {
        1
    }
}

/// A plain [`Decider`] run by the async driver: it answers at once.
pub struct Immediate<D: ?Sized>(pub Box<D>);

impl<D: Decider + ?Sized> AsyncDecider for Immediate<D> {
    fn name(&self) -> String {
        self.0.name()
    }

    fn decide<'a>(
        &'a mut self,
        ctx: &'a DecisionContext<'a>,
        decision: &'a mut Decision,
    ) -> DecideFuture<'a> {
        let answer = self.0.on_step(ctx, decision);
        Box::pin(std::future::ready(answer))
    }

    fn min_bars(&self) -> usize {
        self.0.min_bars()
    }
}
