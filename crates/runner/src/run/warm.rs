//! Warm starts: a learning model's new run starts from a snapshot of an earlier run's
//! learner state instead of from nothing.
//!
//! The reference is checked before the run is created, so a wrong one creates no run:
//! the snapshot must exist and be the owner's (another owner's run reads as unknown,
//! as the store says), and the model's decider must accept it (it learns, and its
//! features and horizon are the snapshot's). The run's strategy snapshot records which
//! snapshot it started from; its replays start from the same one.

use super::{Runner, RunnerError, decider_params};
use tradelab_engine::DeciderArgs;
use tradelab_store::{RunId, StrategySnapshot, UserId, WarmStart};

/// Which snapshot to start from: a run and a version (its latest when `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarmStartRef {
    pub run: RunId,
    pub version: Option<i64>,
}

impl std::fmt::Display for WarmStartRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            Some(v) => write!(f, "run {}@{v}", self.run),
            None => write!(f, "run {} (latest snapshot)", self.run),
        }
    }
}

impl Runner {
    /// Resolves `reference` for `owner`'s run of `snapshot`'s model and records it in
    /// the snapshot. Unknown (or another owner's) run or version:
    /// [`RunnerError::Store`] not found; a state the model's decider refuses:
    /// [`RunnerError::WarmStart`].
    pub(super) async fn resolve_warm_start(
        &self,
        owner: UserId,
        reference: WarmStartRef,
        snapshot: &mut StrategySnapshot,
    ) -> Result<(), RunnerError> {
        let found = self
            .store
            .snapshots()
            .get(owner, reference.run, reference.version)
            .await?;
        let refused = |message: String| RunnerError::WarmStart {
            reference: reference.to_string(),
            message,
        };
        let decider = &snapshot.decider;
        let params = decider_params(decider);
        let mut probe = self
            .deciders
            .build_with(&decider.kind, DeciderArgs::new(&params, false))
            .map_err(|e| {
                refused(format!(
                    "model {}'s decider {} cannot be built to check it: {e}",
                    snapshot.model_name, decider.kind
                ))
            })?;
        probe.restore(&found.state).map_err(|e| {
            refused(format!(
                "model {} ({}): {e}",
                snapshot.model_name, decider.kind
            ))
        })?;
        snapshot.warm_start = Some(WarmStart {
            run: reference.run,
            version: found.info.version,
        });
        Ok(())
    }

    /// The state a created run of `snapshot` starts from, if it warm-starts.
    pub(super) async fn warm_state(
        &self,
        owner: UserId,
        snapshot: &StrategySnapshot,
    ) -> Result<Option<String>, RunnerError> {
        let Some(w) = snapshot.warm_start else {
            return Ok(None);
        };
        let found = self
            .store
            .snapshots()
            .get(owner, w.run, Some(w.version))
            .await?;
        Ok(Some(found.state))
    }
}
