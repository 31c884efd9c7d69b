//! Warm starts: a learning model's new run starts from a snapshot of an earlier run's
//! learner state instead of from nothing.
//!
//! The reference is checked before the run is created, so a wrong one creates no run:
//! the snapshot must exist and be the owner's (another owner's run reads as unknown,
//! as the store says), and the model's decider must accept it (it learns, its
//! features and horizon are the snapshot's, and the symbols it learned are the run's,
//! by name, in any order). The run's strategy snapshot records which
//! snapshot it started from; its replays start from the same one.

use super::{Runner, RunnerError, decider_params};
use tradelab_core::Symbol;
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
    /// [`RunnerError::WarmStart`]. `symbols` are the ones the run asks for (the model's
    /// allowed symbols when empty).
    pub(super) async fn resolve_warm_start(
        &self,
        owner: UserId,
        reference: WarmStartRef,
        symbols: &[Symbol],
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
        let run: Vec<&str> = if symbols.is_empty() {
            snapshot
                .allowed_symbols
                .iter()
                .map(Symbol::as_str)
                .collect()
        } else {
            symbols.iter().map(Symbol::as_str).collect()
        };
        if let Some(learned) = probe.learned_symbols() {
            let mut a: Vec<&str> = learned.iter().map(String::as_str).collect();
            let mut b = run.clone();
            a.sort_unstable();
            b.sort_unstable();
            if !run.is_empty() && a != b {
                return Err(refused(format!(
                    "model {}: the snapshot learned the symbols {} but this run trades {}; \
                     a warm start needs the same symbols",
                    snapshot.model_name,
                    learned.join(","),
                    run.join(",")
                )));
            }
        }
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
