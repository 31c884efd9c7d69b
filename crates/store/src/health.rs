//! Whether the database answers (for a server's readiness check).

use crate::Store;
use crate::db::with_pool;
use crate::error::Result;

impl Store {
    /// Runs a trivial query: `Ok` when the database answers now.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, p => {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }
}
