//! The one-time conversion of the row tables `decisions`, `orders`, `fills` and
//! `run_events` (schema versions 1–3, or rows written by raw SQL) into audit chunks.

use super::chunks::{self, NewChunk};
use super::equity::LEGACY_EQUITY_LOCK;
use super::insert_chunk;
use super::rows::{decision_from_row, event_from_row, fill_from_row, order_from_row};
use crate::db::{BeginConversion, Pool, with_pool};
use crate::error::Result;

/// Most rows per chunk when converting legacy rows.
const LEGACY_ROWS_PER_CHUNK: usize = 50_000;

/// The chunks holding `rows`, at most [`LEGACY_ROWS_PER_CHUNK`] rows each.
fn chunks_of<T>(rows: &[T], encode: fn(&[T]) -> Result<NewChunk>) -> Result<Vec<NewChunk>> {
    rows.chunks(LEGACY_ROWS_PER_CHUNK).map(encode).collect()
}

/// Whether any audit row table holds rows.
const ANY_LEGACY_ROWS: &str = "SELECT EXISTS (SELECT 1 FROM decisions) \
     OR EXISTS (SELECT 1 FROM orders) OR EXISTS (SELECT 1 FROM fills) \
     OR EXISTS (SELECT 1 FROM run_events)";

/// Converts the rows of the audit row tables into chunks (per run, in each table's
/// read order) and deletes them, in one transaction. Does nothing (and takes no write
/// lock) when the tables are empty.
pub(crate) async fn convert_legacy_rows(pool: &Pool) -> Result<()> {
    with_pool!(pool, p => {
        let Some(mut tx) = p.begin_conversion(ANY_LEGACY_ROWS, LEGACY_EQUITY_LOCK).await? else {
            return Ok(());
        };
        let runs: Vec<i64> = sqlx::query_scalar(
            "SELECT run_id FROM decisions UNION SELECT run_id FROM orders \
             UNION SELECT run_id FROM fills UNION SELECT run_id FROM run_events ORDER BY 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        for run in runs {
            let mut all = Vec::new();
            let rows = sqlx::query(
                "SELECT seq, ts_ns, symbol, action, quantity, reasoning, inputs \
                 FROM decisions WHERE run_id = $1 ORDER BY seq",
            )
            .bind(run)
            .fetch_all(&mut *tx)
            .await?;
            let decisions = rows.iter().map(decision_from_row).collect::<Result<Vec<_>>>()?;
            all.extend(chunks_of(&decisions, chunks::decision_chunk)?);
            let rows = sqlx::query(
                "SELECT order_id, client_order_id, ts_ns, symbol, side, order_type, \
                 limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason \
                 FROM orders WHERE run_id = $1 ORDER BY ts_ns, id",
            )
            .bind(run)
            .fetch_all(&mut *tx)
            .await?;
            let orders = rows.iter().map(order_from_row).collect::<Result<Vec<_>>>()?;
            all.extend(chunks_of(&orders, chunks::order_chunk)?);
            let rows = sqlx::query(
                "SELECT order_id, ts_ns, symbol, side, price, qty, commission, slippage \
                 FROM fills WHERE run_id = $1 ORDER BY ts_ns, id",
            )
            .bind(run)
            .fetch_all(&mut *tx)
            .await?;
            let fills = rows.iter().map(fill_from_row).collect::<Result<Vec<_>>>()?;
            all.extend(chunks_of(&fills, chunks::fill_chunk)?);
            let rows = sqlx::query(
                "SELECT seq, ts_ns, kind, detail FROM run_events WHERE run_id = $1 ORDER BY seq",
            )
            .bind(run)
            .fetch_all(&mut *tx)
            .await?;
            let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
            all.extend(chunks_of(&events, chunks::event_chunk)?);
            for c in &all {
                insert_chunk!(tx, run, c);
            }
        }
        for sql in [
            "DELETE FROM decisions",
            "DELETE FROM orders",
            "DELETE FROM fills",
            "DELETE FROM run_events",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    })
}
