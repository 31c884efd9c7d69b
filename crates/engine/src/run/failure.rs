//! How a run fails: an amount of the exact ledger beyond what a decimal holds, a
//! decider that failed (when the run stops on decider errors), or a sink that could not
//! record what happened.

use crate::decider::DecideError;
use crate::event::SinkError;
use serde::Serialize;
use tradelab_core::{LedgerOverflow, Timestamp};

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum FailureCause {
    /// A ledger operation's result was beyond what a decimal holds.
    #[error(transparent)]
    LedgerOverflow(LedgerOverflow),
    /// The decider failed and the run stops on decider errors.
    #[error("the decider failed: {0}")]
    Decider(DecideError),
    /// A sink could not take an event (e.g. the store's writer died).
    #[error("the run could not be recorded: {0}")]
    Sink(SinkError),
    /// A live feed delivered something a run cannot take (a bar of a symbol outside the
    /// run, a step back in time).
    #[error("the feed delivered an invalid step: {message}")]
    Input { message: String },
}

impl FailureCause {
    /// The ledger overflow behind the failure, if that is what it was.
    pub fn ledger_overflow(&self) -> Option<&LedgerOverflow> {
        match self {
            FailureCause::LedgerOverflow(e) => Some(e),
            _ => None,
        }
    }
}

/// A run that could not go on: at step `step` (0-based, at time `ts`) it failed for
/// `error`. The events before it were sent; a [`crate::RunEvent::RunFailed`] ends the
/// stream instead of `RunFinished` (unless the failing sink cannot take it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the run failed at step {} ({ts}): {error}", step + 1)]
pub struct RunFailure {
    /// Time of the step that failed.
    pub ts: Timestamp,
    /// Index of the step that failed in the merged timeline (0-based).
    pub step: usize,
    /// Why it failed.
    pub error: FailureCause,
}

/// A failure inside a step, on its way to the driver: one pointer wide, so the
/// step's `Result`s cost nothing on the fast path.
#[derive(Debug)]
pub(crate) struct Fault(pub Box<FailureCause>);

/// What the steps of a run return.
pub(crate) type Stepped<T> = Result<T, Fault>;

impl From<Box<LedgerOverflow>> for Fault {
    #[cold]
    fn from(e: Box<LedgerOverflow>) -> Self {
        Fault(Box::new(FailureCause::LedgerOverflow(*e)))
    }
}

impl From<LedgerOverflow> for Fault {
    #[cold]
    fn from(e: LedgerOverflow) -> Self {
        Fault(Box::new(FailureCause::LedgerOverflow(e)))
    }
}

impl From<Box<SinkError>> for Fault {
    #[cold]
    fn from(e: Box<SinkError>) -> Self {
        Fault(Box::new(FailureCause::Sink(*e)))
    }
}
