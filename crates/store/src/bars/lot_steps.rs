//! Lot steps of symbols set at import: the smallest quantity a symbol trades in (e.g.
//! 0.00001 BTC). Shared (an admin's import) or private to a user, as bars are; a user
//! sees their own step of a symbol first, else the shared one. A run takes the steps of
//! its symbols into its snapshot when it is created, so replays keep them.

use super::Bars;
use super::SHARED_OWNER;
use super::owned::owner_of;
use crate::db::{now, with_pool};
use crate::error::{Result, StoreError};
use crate::{User, UserId};
use std::collections::BTreeMap;
use tradelab_core::{Quantity, Symbol};

impl Bars<'_> {
    /// Sets the lot step of `symbol` for `actor`: an admin's is shared, a user's
    /// private. The step must be positive.
    pub async fn set_lot_step_as(
        &self,
        actor: &User,
        symbol: &Symbol,
        step: Quantity,
    ) -> Result<()> {
        if step <= Quantity::ZERO {
            return Err(StoreError::invalid(
                "lot step",
                format!("the lot step of {symbol} must be positive, got {step}"),
            ));
        }
        let owner = owner_of(actor);
        with_pool!(self.store, p => {
            sqlx::query(
                "INSERT INTO symbol_lot_steps (owner_id, symbol, lot_step, updated_at_ns) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (owner_id, symbol) \
                 DO UPDATE SET lot_step = excluded.lot_step, updated_at_ns = excluded.updated_at_ns",
            )
            .bind(owner)
            .bind(symbol.as_str())
            .bind(step.to_string())
            .bind(now().nanos())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The lot steps `viewer` sees of `symbols` (their own first, else the shared
    /// ones); symbols without a step are left out.
    pub async fn lot_steps_for(
        &self,
        viewer: UserId,
        symbols: &[Symbol],
    ) -> Result<BTreeMap<Symbol, Quantity>> {
        let rows: Vec<(i64, String, String)> = with_pool!(self.store, p => {
            sqlx::query_as(
                "SELECT owner_id, symbol, lot_step FROM symbol_lot_steps \
                 WHERE owner_id = $1 OR owner_id = $2 ORDER BY owner_id",
            )
            .bind(SHARED_OWNER)
            .bind(viewer.0)
            .fetch_all(p)
            .await?
        });
        let mut steps = BTreeMap::new();
        for (owner, symbol, step) in rows {
            let Some(symbol) = symbols.iter().find(|s| s.as_str() == symbol) else {
                continue;
            };
            let step: Quantity = step.parse().map_err(|e| {
                StoreError::invalid("lot step", format!("stored step of {symbol} {step:?}: {e}"))
            })?;
            // Rows come shared first: a private step replaces the shared one.
            if owner != SHARED_OWNER || !steps.contains_key(symbol) {
                steps.insert(symbol.clone(), step);
            }
        }
        Ok(steps)
    }
}
