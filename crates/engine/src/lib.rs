//! The tradelab backtest engine: a deterministic run loop that replays bars through a
//! look-ahead-proof [`DataView`], asks a [`Decider`] for orders, fills them on a paper
//! [`broker`] with a declared fill model, keeps an exact [`Portfolio`] ledger and emits
//! [`RunEvent`]s to sinks. It knows nothing of SQL or HTTP.

pub mod broker;
pub mod config;
pub mod decider;
pub mod event;
pub mod indicators;
mod lots;
pub mod metrics;
pub mod model_note;
pub mod portfolio;
pub mod registry;
pub mod report;
pub mod risk;
pub mod risk_engine;
pub mod run;
pub mod strategies;
pub mod testkit;
pub mod trades;
pub mod view;

pub use config::{Commission, FillModel, LotStepError, RunConfig, parse_lot_step};
pub use decider::{
    AsyncDecider, DecideError, Decider, DeciderErrors, Decision, DecisionContext, DecisionTrace,
    Immediate, ToolCall, Usage, WorkingOrders,
};
pub use event::{
    EventSink, FeedNotice, FeedNoticeKind, RejectReason, RunEvent, Seq, SinkError, SinkResult, Tee,
};
pub use model_note::{Checkpoint, ModelNote, RestoreError};
pub use portfolio::Portfolio;
pub use registry::{DeciderArgs, DeciderRegistry, RegistryError};
pub use run::{
    Command, Engine, FailureCause, Input, MergedTimeline, OpenPosition, RunControl, RunError,
    RunFailure, RunHooks, RunOutcome, RunStatus,
};
pub use trades::ClosedTrade;
pub use view::{DataView, ViewError};
