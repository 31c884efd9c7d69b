//! A run's snapshot takes the lot steps set at import for its symbols.

use super::{Runner, RunnerError, StartRun};
use crate::config::ExecutionSettings;
use tradelab_store::StrategySnapshot;

impl Runner {
    /// The snapshot with the lot steps set at import for the run's symbols, where the
    /// model sets none: the run keeps them, so its replays do too.
    pub(super) async fn with_stored_lot_steps(
        &self,
        req: &StartRun,
        mut snapshot: StrategySnapshot,
    ) -> Result<StrategySnapshot, RunnerError> {
        let symbols = if req.symbols.is_empty() {
            &snapshot.allowed_symbols
        } else {
            &req.symbols
        };
        let stored = self.store.bars().lot_steps_for(req.owner, symbols).await?;
        if stored.is_empty() {
            return Ok(snapshot);
        }
        // A fill model that does not decode is reported by the run's checks.
        let Ok(mut settings) = ExecutionSettings::from_json(&snapshot.fill_model) else {
            return Ok(snapshot);
        };
        let before = settings.lot_steps.len();
        for (symbol, step) in stored {
            settings.lot_steps.entry(symbol).or_insert(step);
        }
        if settings.lot_steps.len() != before {
            snapshot.fill_model = settings.to_json();
        }
        Ok(snapshot)
    }
}
