//! Bars of the row-per-bar `bars` table (schema versions 1–2, or written by raw SQL),
//! converted into shared chunks at open.

use super::{ImportMode, SHARED_OWNER, SeriesKey, StoredBar, import_on};
use crate::db::{BeginConversion, Pool, RowExt, parse_text, with_pool};
use crate::error::{Result, StoreError};
use tradelab_core::{Bar, Timeframe};

/// Converts rows of the row-per-bar `bars` table (schema versions 1–2, or written by
/// raw SQL) into chunks and deletes them, in one transaction. Bars already stored in
/// chunks win over a legacy row with the same time and other values. Does nothing
/// (and takes no write lock) when the table is empty.
pub(crate) async fn convert_legacy_bars(pool: &Pool) -> Result<()> {
    with_pool!(pool, p => {
        let Some(mut tx) = p.begin_conversion("SELECT EXISTS (SELECT 1 FROM bars)", LEGACY_CONVERSION_LOCK).await? else {
            return Ok(());
        };
        let series = sqlx::query("SELECT DISTINCT symbol, timeframe FROM bars ORDER BY symbol, timeframe")
            .fetch_all(&mut *tx)
            .await?;
        for s in &series {
            let symbol = s.text("symbol")?;
            let timeframe = s.text("timeframe")?;
            let tf: Timeframe = parse_text("timeframe", &timeframe)?;
            let rows = sqlx::query(LEGACY_RANGE_SQL)
                .bind(&symbol)
                .bind(&timeframe)
                .fetch_all(&mut *tx)
                .await?;
            let bars = rows.iter().map(legacy_from_row).collect::<Result<Vec<_>>>()?;
            let key = SeriesKey { symbol: &symbol, tf, timeframe, owner: SHARED_OWNER };
            import_on(&mut *tx, &key, &bars, ImportMode::KeepExisting).await?;
        }
        sqlx::query("DELETE FROM bars").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Arbitrary constant key of the PostgreSQL advisory lock that serializes the legacy
/// conversion of concurrently starting processes.
const LEGACY_CONVERSION_LOCK: i64 = 0x7472_6164_6263_6876; // "tradbchv"

const LEGACY_RANGE_SQL: &str = "SELECT ts_ns, open, high, low, close, volume, trades, vwap \
     FROM bars WHERE symbol = $1 AND timeframe = $2 ORDER BY ts_ns";

/// A row of the legacy `bars` table.
fn legacy_from_row(row: &impl RowExt) -> Result<StoredBar> {
    let ts = row.ts("ts_ns")?;
    let bar = Bar::new(
        ts,
        row.f64("open")?,
        row.f64("high")?,
        row.f64("low")?,
        row.f64("close")?,
        row.f64("volume")?,
    )
    .map_err(|e| StoreError::invalid("stored bar", format!("at {ts}: {e}")))?;
    Ok(StoredBar {
        bar,
        trades: row.opt_i64("trades")?,
        vwap: row.opt_f64("vwap")?,
    })
}
