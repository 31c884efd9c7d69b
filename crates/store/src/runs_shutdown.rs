//! A run stopped because its server shut down is recorded as interrupted.

use crate::db::with_pool;
use crate::error::Result;
use crate::{Run, RunId, Runs};

impl Runs<'_> {
    /// System only: records a run that a shutting-down server stopped at a step
    /// boundary (status `stopped`, or still `running`) as `interrupted` with `reason`,
    /// keeping its summary and end time. A run in any other status is left as it is
    /// (a conflict).
    pub async fn interrupt(&self, id: RunId, reason: &str) -> Result<Run> {
        let changed = with_pool!(self.store, p => {
            sqlx::query(
                "UPDATE runs SET status = 'interrupted', status_reason = $2, \
                 ended_at_ns = COALESCE(ended_at_ns, last_event_at_ns, started_at_ns, created_at_ns) \
                 WHERE id = $1 AND status IN ('running', 'paused', 'stopped')",
            )
            .bind(id.0)
            .bind(reason)
            .execute(p)
            .await?
            .rows_affected()
        });
        if changed == 1 {
            return self.get_any(id).await;
        }
        Err(self.transition_error(id, "be marked interrupted").await)
    }
}
