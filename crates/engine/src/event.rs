//! The run's event stream: everything the engine does, in order. Sinks (report
//! builder, store, live subscribers) consume it; the engine never looks back at it.

use crate::trades::ClosedTrade;
use serde::Serialize;
use std::fmt;
use tradelab_core::{Fill, Money, Order, OrderIntent, Price, Quantity, Symbol, Timestamp};

/// An event's number in its run: 1 for the first, one more for each event after
/// (equity points included). Assigned by the engine, so a live stream, the store and a
/// subscriber agree on "event 1234" of a run.
pub type Seq = u64;

/// Why an order intent was refused. Carries the numbers behind the decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    /// The symbol is not part of the run.
    UnknownSymbol { symbol: Symbol },
    /// A sell would open or grow a short position and shorting is off.
    ShortingNotAllowed { symbol: Symbol },
    /// A buy costs more cash than the account has (long-only runs have no margin).
    InsufficientCash { needed: Money, available: Money },
    /// Sizing resolved to zero whole units.
    ZeroQuantity { sizing: String },
    /// A quantity, price or cash amount that is not a positive finite number.
    InvalidOrder { detail: String },
    /// A fixed quantity that is not a whole multiple of the symbol's lot step.
    OffLotStep {
        symbol: Symbol,
        qty: Quantity,
        lot_step: Quantity,
    },
    /// A close order with no position to close.
    NoPosition { symbol: Symbol },
    /// The order was still working when the data ended.
    EndOfData,
    /// A structured risk rule refused the order.
    Risk {
        rule: String,
        #[serde(flatten)]
        denial: crate::risk_engine::RiskDenial,
    },
}

impl RejectReason {
    /// Stable snake_case name of the reason, for counting and filtering.
    pub fn kind(&self) -> &'static str {
        match self {
            RejectReason::UnknownSymbol { .. } => "unknown_symbol",
            RejectReason::ShortingNotAllowed { .. } => "shorting_not_allowed",
            RejectReason::InsufficientCash { .. } => "insufficient_cash",
            RejectReason::ZeroQuantity { .. } => "zero_quantity",
            RejectReason::InvalidOrder { .. } => "invalid_order",
            RejectReason::OffLotStep { .. } => "off_lot_step",
            RejectReason::NoPosition { .. } => "no_position",
            RejectReason::EndOfData => "end_of_data",
            RejectReason::Risk { .. } => "risk_rule",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::UnknownSymbol { symbol } => {
                write!(f, "symbol {symbol} is not part of this run")
            }
            RejectReason::ShortingNotAllowed { symbol } => write!(
                f,
                "sell would open a short position in {symbol}; shorting is not allowed (--allow-short)"
            ),
            RejectReason::InsufficientCash { needed, available } => write!(
                f,
                "order needs {} in cash, account has {}",
                needed.round_cents(),
                available.round_cents()
            ),
            RejectReason::ZeroQuantity { sizing } => {
                write!(f, "{sizing} resolves to 0 whole units at the fill price")
            }
            RejectReason::InvalidOrder { detail } => write!(f, "invalid order: {detail}"),
            RejectReason::OffLotStep {
                symbol,
                qty,
                lot_step,
            } => write!(
                f,
                "quantity {qty} of {symbol} is not a multiple of its lot step {lot_step}"
            ),
            RejectReason::NoPosition { symbol } => write!(f, "no open position in {symbol}"),
            RejectReason::EndOfData => write!(f, "still working when the data ended"),
            RejectReason::Risk { rule, denial } => write!(f, "{denial} (rule {rule})"),
        }
    }
}

/// A refused intent, handed back to the decider at its next step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    pub ts: Timestamp,
    pub intent: OrderIntent,
    pub reason: RejectReason,
}

/// What a live feed reports about itself, recorded in the run's trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FeedNotice {
    /// `paused`, `resumed`, `failover` or `breaker`.
    pub notice: FeedNoticeKind,
    /// The provider concerned (empty when none is).
    pub provider: String,
    /// What happened, in words (the error of an outage, the breaker's new state).
    pub detail: String,
}

/// The kinds of [`FeedNotice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedNoticeKind {
    /// No data: the run waits (it decides nothing until bars come back).
    Paused,
    /// Data is back; missed bars are applied in order.
    Resumed,
    /// The chain moved on to another provider.
    Failover,
    /// A provider's circuit breaker changed state.
    Breaker,
}

impl FeedNoticeKind {
    /// The kind's name in the trail and in output.
    pub fn name(self) -> &'static str {
        match self {
            FeedNoticeKind::Paused => "paused",
            FeedNoticeKind::Resumed => "resumed",
            FeedNoticeKind::Failover => "failover",
            FeedNoticeKind::Breaker => "breaker",
        }
    }
}

/// One thing that happened in a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// The decider asked for an order, with its reasoning.
    Decision { ts: Timestamp, intent: OrderIntent },
    /// A decider call that said something (reasoning or a trace), holds included: one
    /// event per such call, before the orders it placed.
    Decided {
        ts: Timestamp,
        /// Orders the call placed (each also has its own `decision` event).
        orders: usize,
        /// Working orders the call withdrew.
        cancels: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        reasoning: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        trace: Option<crate::decider::DecisionTrace>,
    },
    /// The decider could not decide at this step; the run went on (the step counts as
    /// a hold) or stopped, as it was configured.
    DeciderFailed {
        ts: Timestamp,
        message: String,
        /// Whether the decider is asked again: false when the run fails, and when it
        /// goes on halted ([`crate::DecideError::halt`]).
        continued: bool,
    },
    /// Something happened to a live run's market-data feed (an outage paused it, data
    /// came back, the chain failed over, a breaker changed state). Replays have none.
    Feed {
        ts: Timestamp,
        #[serde(flatten)]
        notice: FeedNotice,
    },
    /// A learning decider reported on its model: its guardrail paused or resumed
    /// opening positions, or it checkpointed its learned state.
    Model {
        ts: Timestamp,
        #[serde(flatten)]
        note: crate::model_note::ModelNote,
    },
    /// A command from outside (API, admin, CLI) reached the run and was applied.
    Command {
        ts: Timestamp,
        command: crate::run::Command,
    },
    /// The order passed validation and is working at the broker.
    OrderAccepted { order: Order },
    /// The order was refused, at decision or at fill time.
    OrderRejected {
        ts: Timestamp,
        order_id: Option<tradelab_core::OrderId>,
        intent: OrderIntent,
        reason: RejectReason,
    },
    /// A working order was withdrawn (e.g. still open when the data ended).
    OrderCancelled {
        ts: Timestamp,
        order_id: tradelab_core::OrderId,
        reason: String,
    },
    /// The risk engine acted on its own (automatic exit, circuit breaker, halt, kill
    /// switch).
    Risk {
        ts: Timestamp,
        risk: crate::risk_engine::RiskEvent,
    },
    /// Units changed hands.
    Fill { fill: Fill },
    /// A symbol's position after a fill.
    PositionChanged {
        ts: Timestamp,
        symbol: Symbol,
        qty: Quantity,
        avg_price: Price,
    },
    /// A round trip ended (position back to zero, or reversed).
    TradeClosed { trade: ClosedTrade },
    /// Equity at a step's close (analytics value, `f64`).
    EquityPoint {
        ts: Timestamp,
        equity: f64,
        /// Whether any position was open at this close.
        invested: bool,
    },
    /// The run ended; exact final ledger.
    RunFinished {
        ts: Timestamp,
        status: crate::run::RunStatus,
        final_equity: Money,
        cash: Money,
        open_positions: usize,
    },
    /// The run ended early, failed at step `step` (0-based): a ledger amount beyond
    /// what a decimal holds, a decider that failed, a sink that could not record.
    /// `message` is the error as a person reads it.
    RunFailed {
        ts: Timestamp,
        step: usize,
        message: String,
        #[serde(flatten)]
        error: crate::run::FailureCause,
    },
}

/// A sink could not take an event (its writer is gone, its disk is full): the run
/// stops, failed, instead of going on unrecorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// What went wrong, naming the sink.
    pub message: String,
}

impl SinkError {
    /// An error with its message.
    pub fn new(message: impl Into<String>) -> Self {
        SinkError {
            message: message.into(),
        }
    }
}

/// What a sink call returns.
pub type SinkResult = Result<(), Box<SinkError>>;

/// Consumer of run events (report builder, database writer, live stream). Every call
/// carries the event's [`Seq`]. A sink that fails stops the run (see [`SinkError`]).
pub trait EventSink: Send {
    /// Receives one event. Called in run order.
    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult;

    /// Receives a closed round trip by value ([`RunEvent::TradeClosed`]), so a sink that
    /// keeps trades (the report) takes it without a copy.
    #[inline]
    fn on_trade_closed(&mut self, seq: Seq, trade: ClosedTrade) -> SinkResult {
        self.on_event(seq, &RunEvent::TradeClosed { trade })
    }

    /// Whether the sink reads [`RunEvent::PositionChanged`]. The engine does not build
    /// those events for a sink that does not (the report needs only fills and trades).
    fn wants_positions(&self) -> bool {
        true
    }

    /// Receives the step's equity point. The engine calls this once per step instead of
    /// building a [`RunEvent::EquityPoint`]; sinks on a hot path may override it.
    #[inline]
    fn on_equity(&mut self, seq: Seq, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        self.on_event(
            seq,
            &RunEvent::EquityPoint {
                ts,
                equity,
                invested,
            },
        )
    }
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    #[inline]
    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        (**self).on_event(seq, event)
    }
    #[inline]
    fn on_trade_closed(&mut self, seq: Seq, trade: ClosedTrade) -> SinkResult {
        (**self).on_trade_closed(seq, trade)
    }
    fn wants_positions(&self) -> bool {
        (**self).wants_positions()
    }
    #[inline]
    fn on_equity(&mut self, seq: Seq, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        (**self).on_equity(seq, ts, equity, invested)
    }
}

/// Two sinks fed the same events with the same numbers, `first` first (e.g. the store
/// and a live broadcast). Nest tees for more. The run fails when either fails.
pub struct Tee<A, B> {
    pub first: A,
    pub second: B,
}

impl<A: EventSink, B: EventSink> EventSink for Tee<A, B> {
    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        self.first.on_event(seq, event)?;
        self.second.on_event(seq, event)
    }
    fn on_trade_closed(&mut self, seq: Seq, trade: ClosedTrade) -> SinkResult {
        self.first.on_event(
            seq,
            &RunEvent::TradeClosed {
                trade: trade.clone(),
            },
        )?;
        self.second.on_trade_closed(seq, trade)
    }
    fn wants_positions(&self) -> bool {
        self.first.wants_positions() || self.second.wants_positions()
    }
    fn on_equity(&mut self, seq: Seq, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        self.first.on_equity(seq, ts, equity, invested)?;
        self.second.on_equity(seq, ts, equity, invested)
    }
}

/// A sink that keeps every event with its number, for tests and small runs.
#[derive(Default, Debug)]
pub struct VecSink(pub Vec<(Seq, RunEvent)>);

impl VecSink {
    /// The events without their numbers.
    pub fn events(&self) -> impl Iterator<Item = &RunEvent> {
        self.0.iter().map(|(_, e)| e)
    }
}

impl EventSink for VecSink {
    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        self.0.push((seq, event.clone()));
        Ok(())
    }
}
