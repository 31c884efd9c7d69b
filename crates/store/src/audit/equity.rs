//! The equity curve's storage: one `equity_chunks` row per appended batch, and the
//! one-time conversion of the older row-per-point table.

use super::EquityRow;
use crate::db::{BeginConversion, Pool, RowExt, with_pool};
use crate::error::{Result, StoreError};
use tradelab_core::Timestamp;

// Equity points are stored in `equity_chunks`, one row per appended batch (per run
// and batch: first/last time, point count). `data` is a blob:
//
//   byte 0   format version (EQUITY_FORMAT_V1)
//   then n records of EQUITY_RECORD bytes, in time order, little-endian:
//     ts_ns i64 | equity f64 | invested u8 (0 or 1)

/// Version byte of the equity chunk layout described above.
pub(super) const EQUITY_FORMAT_V1: u8 = 1;
/// Bytes per equity point in a chunk.
pub(super) const EQUITY_RECORD: usize = 17;
/// Most points per chunk when converting legacy rows.
pub(super) const LEGACY_POINTS_PER_CHUNK: usize = 100_000;

pub(super) const INSERT_EQUITY_CHUNK: &str = "INSERT INTO equity_chunks (run_id, first_ts_ns, last_ts_ns, n, data) VALUES ($1, $2, $3, $4, $5)";

/// Encodes equity points (non-empty, strictly increasing times).
pub(super) fn encode_equity(points: &[EquityRow]) -> Vec<u8> {
    let mut data = Vec::with_capacity(1 + points.len() * EQUITY_RECORD);
    data.push(EQUITY_FORMAT_V1);
    for p in points {
        data.extend_from_slice(&p.ts.nanos().to_le_bytes());
        data.extend_from_slice(&p.equity.to_le_bytes());
        data.push(u8::from(p.invested));
    }
    data
}

/// Decodes and checks one stored equity chunk, appending its points to `out`.
pub(super) fn decode_equity(row: &impl RowExt, run: i64, out: &mut Vec<EquityRow>) -> Result<()> {
    let first = row.i64("first_ts_ns")?;
    let last = row.i64("last_ts_ns")?;
    let n = row.i64("n")?;
    let data = row.bytes("data")?;
    let bad = |why: String| {
        StoreError::invalid(
            "equity chunk",
            format!(
                "run {run}, chunk starting at {}: {why}",
                Timestamp::from_nanos(first)
            ),
        )
    };
    let (version, body) = data.split_first().ok_or_else(|| bad("empty data".into()))?;
    if *version != EQUITY_FORMAT_V1 {
        return Err(bad(format!("unknown format version {version}")));
    }
    let count = usize::try_from(n).map_err(|_| bad(format!("point count {n}")))?;
    if count == 0 || body.len() != count * EQUITY_RECORD {
        return Err(bad(format!(
            "{} data bytes do not hold {n} points",
            data.len()
        )));
    }
    out.reserve(count);
    let mut prev: Option<i64> = None;
    for (i, rec) in body.chunks_exact(EQUITY_RECORD).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&rec[..8]);
        let ts = i64::from_le_bytes(word);
        word.copy_from_slice(&rec[8..16]);
        let equity = f64::from_le_bytes(word);
        let invested = match rec[16] {
            0 => false,
            1 => true,
            other => return Err(bad(format!("point {i}: invested flag {other}"))),
        };
        if prev.is_some_and(|p| ts <= p)
            || (i == 0 && ts != first)
            || (i == count - 1 && ts != last)
        {
            return Err(bad(format!("point {i} at {ts} is out of order or range")));
        }
        prev = Some(ts);
        out.push(EquityRow {
            ts: Timestamp::from_nanos(ts),
            equity,
            invested,
        });
    }
    Ok(())
}

/// A batch's equity points in time order, or `None` when two share a time.
pub(super) fn sorted_points(points: &[EquityRow]) -> Option<std::borrow::Cow<'_, [EquityRow]>> {
    let increasing = |p: &[EquityRow]| p.windows(2).all(|w| w[0].ts < w[1].ts);
    if increasing(points) {
        return Some(std::borrow::Cow::Borrowed(points));
    }
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|p| p.ts);
    increasing(&sorted).then_some(std::borrow::Cow::Owned(sorted))
}

/// Converts rows of the row-per-point `equity` table (schema versions 1–2, or written
/// by raw SQL) into chunks and deletes them, in one transaction. Does nothing (and
/// takes no write lock) when the table is empty.
pub(crate) async fn convert_legacy_equity(pool: &Pool) -> Result<()> {
    with_pool!(pool, p => {
        let Some(mut tx) = p.begin_conversion("SELECT EXISTS (SELECT 1 FROM equity)", LEGACY_EQUITY_LOCK).await? else {
            return Ok(());
        };
        let runs: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT run_id FROM equity ORDER BY run_id")
            .fetch_all(&mut *tx)
            .await?;
        for run in runs {
            let rows = sqlx::query(
                "SELECT ts_ns, equity, invested FROM equity WHERE run_id = $1 ORDER BY ts_ns",
            )
            .bind(run)
            .fetch_all(&mut *tx)
            .await?;
            let points = rows
                .iter()
                .map(|r| {
                    Ok(EquityRow {
                        ts: r.ts("ts_ns")?,
                        equity: r.parse::<f64>("equity")?,
                        invested: r.bool("invested")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            for part in points.chunks(LEGACY_POINTS_PER_CHUNK) {
                let (Some(first), Some(last)) = (part.first(), part.last()) else { continue };
                sqlx::query(INSERT_EQUITY_CHUNK)
                    .bind(run)
                    .bind(first.ts.nanos())
                    .bind(last.ts.nanos())
                    .bind(part.len() as i64)
                    .bind(encode_equity(part))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("DELETE FROM equity").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Arbitrary constant key of the PostgreSQL advisory lock that serializes the legacy
/// equity conversion of concurrently starting processes.
pub(super) const LEGACY_EQUITY_LOCK: i64 = 0x7472_6164_6571_6376; // "tradeqcv"
