//! Runs as durable records: snapshot a model, replay its data through the engine with
//! a store sink that writes the audit trail in batched transactions, move the run
//! through its lifecycle, replay a run with other rules, compare runs, measure the
//! spread of repeated runs.
//!
//! Dependencies point one way: runner → store and engine; the engine knows nothing of
//! the database — it emits events, and [`sink::StoreSink`] turns them into rows.

pub mod broadcast;
mod compare;
mod config;
pub mod fetch;
mod fingerprint;
pub mod live;
mod model_settings;
mod run;
mod sink;
mod spread;
mod timeframes;

pub use broadcast::{Broadcast, Numbered};
pub use compare::{Comparison, compare};
pub use config::{ExecutionSettings, checked_rules_from_specs, rules_from_specs, rules_to_specs};
pub use model_settings::{
    InstrumentChanges, InstrumentSettingsError, LabeledParam, ModelChanges, ModelSettingsError,
    apply_instrument_changes, apply_model_changes, effective_params, new_model_spec,
};
pub use run::{
    Finished, LiveSource, Progress, QueuedRun, ReplayOptions, RunHandle, RunWatcher, Runner,
    RunnerError, StartRun, TRAIL_ENDED, WarmStartRef, decider_params,
};
pub use sink::{Flushed, StoreSink};
pub use spread::{MetricSpread, Spread};
pub use timeframes::{check_timeframe, detect_timeframe};
