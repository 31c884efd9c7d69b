//! How a run fails: an amount of the exact ledger beyond what a decimal holds.

use tradelab_core::{LedgerOverflow, Timestamp};

/// A run that could not go on exactly: at step `step` (0-based, at time `ts`) a ledger
/// operation's result was beyond what a decimal holds. The events before it were
/// sent; a [`crate::RunEvent::RunFailed`] ends the stream instead of `RunFinished`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the run failed at step {} ({ts}): {error}", step + 1)]
pub struct RunFailure {
    /// Time of the step that failed.
    pub ts: Timestamp,
    /// Index of the step that failed in the merged timeline (0-based).
    pub step: usize,
    /// The operation that overflowed, with its amounts.
    pub error: LedgerOverflow,
}

/// The step in progress, for the failure of a run.
pub(super) struct Cursor {
    pub step: usize,
    pub now: Timestamp,
}
