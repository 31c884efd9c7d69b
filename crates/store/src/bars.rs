//! Imported market data. Bars persist forever; importing is idempotent: the same bars
//! again change nothing, and a bar whose key exists with other values is reported as a
//! conflict and kept as stored unless the import asks to replace.

use crate::Store;
use crate::db::{BeginWrite, RowExt, with_pool};
use crate::error::{Result, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use tradelab_core::{Bar, BarSeries, Symbol, Timeframe, Timestamp};

/// A bar as stored: the OHLCV bar plus the optional trade count and VWAP some
/// sources provide.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StoredBar {
    #[serde(skip)]
    pub bar: Bar,
    pub trades: Option<i64>,
    pub vwap: Option<f64>,
}

impl From<Bar> for StoredBar {
    fn from(bar: Bar) -> Self {
        StoredBar {
            bar,
            trades: None,
            vwap: None,
        }
    }
}

/// What an import does with a bar whose key is stored with different values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImportMode {
    /// Keep the stored bar and report the conflict.
    #[default]
    KeepExisting,
    /// Overwrite the stored bar with the imported one.
    Replace,
}

/// A key stored with values other than the imported ones.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarConflict {
    pub ts: Timestamp,
    pub stored: StoredBar,
    pub incoming: StoredBar,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// New keys written.
    pub inserted: u64,
    /// Keys already stored with the same values.
    pub unchanged: u64,
    /// Keys stored with other values (kept, or replaced in [`ImportMode::Replace`]).
    pub conflicting: u64,
    /// Conflicting bars overwritten (only in [`ImportMode::Replace`]).
    pub replaced: u64,
    /// The first [`MAX_REPORTED_CONFLICTS`] conflicts, oldest first.
    pub conflicts: Vec<BarConflict>,
}

/// How many conflicts an [`ImportReport`] lists in full.
pub const MAX_REPORTED_CONFLICTS: usize = 20;

/// One stored series: a symbol at a timeframe.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesInfo {
    pub symbol: Symbol,
    pub timeframe: String,
    pub bars: i64,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// The bar repository: `store.bars()`.
pub struct Bars<'a> {
    pub(crate) store: &'a Store,
}

/// Bars compared and written per step of an import.
const CHUNK: usize = 20_000;
/// Bars per multi-row SQLite statement: 10 parameters each, below its 32,766.
const SQLITE_ROWS_PER_STATEMENT: usize = 3000;
/// PostgreSQL takes a chunk as one `INSERT … SELECT FROM UNNEST(arrays)`: ten
/// parameters whatever the row count, far faster than multi-row `VALUES`.
macro_rules! pg_insert {
    () => {
        "INSERT INTO bars (symbol, timeframe, ts_ns, open, high, low, close, volume, trades, vwap) \
         SELECT $1, $2, t.* FROM UNNEST($3::int8[], $4::float8[], $5::float8[], $6::float8[], \
         $7::float8[], $8::float8[], $9::int8[], $10::float8[]) AS t"
    };
}
macro_rules! on_conflict_keep {
    () => {
        " ON CONFLICT (symbol, timeframe, ts_ns) DO NOTHING"
    };
}
macro_rules! on_conflict_replace {
    () => {
        " ON CONFLICT (symbol, timeframe, ts_ns) DO UPDATE SET \
         open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, \
         volume = excluded.volume, trades = excluded.trades, vwap = excluded.vwap"
    };
}
const ON_CONFLICT_KEEP: &str = on_conflict_keep!();
const ON_CONFLICT_REPLACE: &str = on_conflict_replace!();
const PG_INSERT_PLAIN: &str = pg_insert!();
const PG_INSERT_KEEP: &str = concat!(pg_insert!(), on_conflict_keep!());
const PG_INSERT_REPLACE: &str = concat!(pg_insert!(), on_conflict_replace!());
const INSERT_HEAD: &str =
    "INSERT INTO bars (symbol, timeframe, ts_ns, open, high, low, close, volume, trades, vwap) ";
const RANGE_SQL: &str = "SELECT ts_ns, open, high, low, close, volume, trades, vwap FROM bars \
     WHERE symbol = $1 AND timeframe = $2 AND ts_ns >= $3 AND ts_ns <= $4 ORDER BY ts_ns";

/// Writes classified bars on one backend's connection.
trait WriteBars {
    fn write_bars(
        &mut self,
        symbol: &str,
        tf: &str,
        rows: &[&StoredBar],
        on_conflict: &'static str,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

impl WriteBars for sqlx::SqliteConnection {
    async fn write_bars(
        &mut self,
        symbol: &str,
        tf: &str,
        rows: &[&StoredBar],
        on_conflict: &'static str,
    ) -> Result<(), sqlx::Error> {
        for part in rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(INSERT_HEAD);
            qb.push_values(part, |mut b, r| {
                b.push_bind(symbol)
                    .push_bind(tf)
                    .push_bind(r.bar.ts().nanos())
                    .push_bind(r.bar.open())
                    .push_bind(r.bar.high())
                    .push_bind(r.bar.low())
                    .push_bind(r.bar.close())
                    .push_bind(r.bar.volume())
                    .push_bind(r.trades)
                    .push_bind(r.vwap);
            });
            qb.push(on_conflict);
            qb.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl WriteBars for sqlx::PgConnection {
    async fn write_bars(
        &mut self,
        symbol: &str,
        tf: &str,
        rows: &[&StoredBar],
        on_conflict: &'static str,
    ) -> Result<(), sqlx::Error> {
        let col = |f: fn(&Bar) -> f64| rows.iter().map(|r| f(&r.bar)).collect::<Vec<f64>>();
        let sql = match on_conflict {
            "" => PG_INSERT_PLAIN,
            ON_CONFLICT_KEEP => PG_INSERT_KEEP,
            _ => PG_INSERT_REPLACE,
        };
        sqlx::query(sql)
            .bind(symbol)
            .bind(tf)
            .bind(
                rows.iter()
                    .map(|r| r.bar.ts().nanos())
                    .collect::<Vec<i64>>(),
            )
            .bind(col(Bar::open))
            .bind(col(Bar::high))
            .bind(col(Bar::low))
            .bind(col(Bar::close))
            .bind(col(Bar::volume))
            .bind(rows.iter().map(|r| r.trades).collect::<Vec<Option<i64>>>())
            .bind(rows.iter().map(|r| r.vwap).collect::<Vec<Option<f64>>>())
            .execute(&mut *self)
            .await?;
        Ok(())
    }
}

fn from_row(row: &impl RowExt) -> Result<StoredBar> {
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

fn validate(bars: &[StoredBar]) -> Result<()> {
    for (i, b) in bars.iter().enumerate() {
        if i > 0 && b.bar.ts() <= bars[i - 1].bar.ts() {
            return Err(StoreError::invalid(
                "bars",
                format!(
                    "bar {i} at {} is not after the previous bar at {}",
                    b.bar.ts(),
                    bars[i - 1].bar.ts()
                ),
            ));
        }
        if b.trades.is_some_and(|t| t < 0) {
            return Err(StoreError::invalid(
                "bars",
                format!("bar {i}: trade count is negative"),
            ));
        }
        if b.vwap.is_some_and(|v| !v.is_finite() || v <= 0.0) {
            return Err(StoreError::invalid(
                "bars",
                format!("bar {i}: vwap must be a positive number"),
            ));
        }
    }
    Ok(())
}

/// Sorts one chunk of incoming bars against what is stored: returns the bars to write
/// and updates the report.
fn classify<'b>(
    chunk: &'b [StoredBar],
    stored: &HashMap<i64, StoredBar>,
    mode: ImportMode,
    report: &mut ImportReport,
) -> Vec<&'b StoredBar> {
    let mut write = Vec::with_capacity(chunk.len());
    for b in chunk {
        match stored.get(&b.bar.ts().nanos()) {
            None => {
                report.inserted += 1;
                write.push(b);
            }
            Some(s) if s == b => report.unchanged += 1,
            Some(s) => {
                report.conflicting += 1;
                if report.conflicts.len() < MAX_REPORTED_CONFLICTS {
                    report.conflicts.push(BarConflict {
                        ts: b.bar.ts(),
                        stored: *s,
                        incoming: *b,
                    });
                }
                if mode == ImportMode::Replace {
                    report.replaced += 1;
                    write.push(b);
                }
            }
        }
    }
    write
}

impl Bars<'_> {
    /// Imports bars of one symbol and timeframe (strictly increasing times) in one
    /// transaction and reports inserted / unchanged / conflicting counts.
    pub async fn import(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        bars: &[StoredBar],
        mode: ImportMode,
    ) -> Result<ImportReport> {
        validate(bars)?;
        let tf = timeframe.to_string();
        let mut report = ImportReport::default();
        let on_conflict = match mode {
            ImportMode::KeepExisting => ON_CONFLICT_KEEP,
            ImportMode::Replace => ON_CONFLICT_REPLACE,
        };
        with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            for chunk in bars.chunks(CHUNK) {
                let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
                let rows = sqlx::query(RANGE_SQL)
                    .bind(symbol.as_str())
                    .bind(&tf)
                    .bind(first.bar.ts().nanos())
                    .bind(last.bar.ts().nanos())
                    .fetch_all(&mut *tx)
                    .await?;
                let mut stored = HashMap::with_capacity(rows.len());
                for r in &rows {
                    let s = from_row(r)?;
                    stored.insert(s.bar.ts().nanos(), s);
                }
                let write = classify(chunk, &stored, mode, &mut report);
                if write.is_empty() {
                    continue;
                }
                // No stored bar in the chunk's range (checked under this transaction's
                // write lock): a plain INSERT, several times faster than an upsert on
                // PostgreSQL. A concurrent importer of the same range then fails the
                // whole import with a unique violation instead of mixing rows.
                let clause = if stored.is_empty() { "" } else { on_conflict };
                tx.write_bars(symbol.as_str(), &tf, &write, clause).await?;
            }
            tx.commit().await?;
        });
        Ok(report)
    }

    /// Imports a whole series (see [`Bars::import`]).
    pub async fn import_series(
        &self,
        series: &BarSeries,
        timeframe: Timeframe,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let bars: Vec<StoredBar> = series.bars().iter().copied().map(StoredBar::from).collect();
        self.import(series.symbol(), timeframe, &bars, mode).await
    }

    /// Stored bars of a series with `from <= ts <= to`, oldest first.
    pub async fn load(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<StoredBar>> {
        let tf = timeframe.to_string();
        with_pool!(self.store, p => {
            let rows = sqlx::query(RANGE_SQL)
                .bind(symbol.as_str())
                .bind(&tf)
                .bind(from.map_or(i64::MIN, Timestamp::nanos))
                .bind(to.map_or(i64::MAX, Timestamp::nanos))
                .fetch_all(p)
                .await?;
            rows.iter().map(from_row).collect()
        })
    }

    /// Stored bars as a [`BarSeries`] (for the engine).
    pub async fn load_series(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<BarSeries> {
        let bars = self.load(symbol, timeframe, from, to).await?;
        BarSeries::new(symbol.clone(), bars.into_iter().map(|b| b.bar).collect())
            .map_err(|e| StoreError::invalid("stored bars", e.to_string()))
    }

    /// Every stored series with its bar count and time range.
    pub async fn series(&self) -> Result<Vec<SeriesInfo>> {
        let sql = "SELECT symbol, timeframe, COUNT(*) AS n, MIN(ts_ns) AS first, MAX(ts_ns) AS last \
                   FROM bars GROUP BY symbol, timeframe ORDER BY symbol, timeframe";
        with_pool!(self.store, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    Ok(SeriesInfo {
                        symbol: r.parse("symbol")?,
                        timeframe: r.text("timeframe")?,
                        bars: r.i64("n")?,
                        first: r.ts("first")?,
                        last: r.ts("last")?,
                    })
                })
                .collect()
        })
    }
}
