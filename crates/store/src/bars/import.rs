//! The import path: chunk reads and writes per backend ([`ChunkIo`]), the merge of
//! incoming bars into stored chunks, and [`Bars::import`] / [`Bars::import_series`].

use super::chunk::{Chunk, chunk_start};
use super::{
    BarConflict, Bars, ImportMode, ImportReport, MAX_REPORTED_CONFLICTS, SHARED_OWNER, SeriesKey,
    StoredBar, validate,
};
use crate::db::{BeginWrite, with_pool};
use crate::error::{Result, StoreError};
use tradelab_core::{BarSeries, Symbol, Timeframe};

/// Chunks read, merged and written per step of an import (bounds memory).
const CHUNKS_PER_STEP: usize = 64;

const SELECT_CHUNKS: &str = "SELECT chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data \
     FROM bar_chunks WHERE symbol = $1 AND timeframe = $2 AND owner_id = $5 \
     AND chunk_start_ns >= $3 AND chunk_start_ns <= $4 ORDER BY chunk_start_ns";
const SELECT_CHUNKS_FOR_UPDATE: &str = "SELECT chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data \
     FROM bar_chunks WHERE symbol = $1 AND timeframe = $2 AND owner_id = $5 \
     AND chunk_start_ns >= $3 AND chunk_start_ns <= $4 ORDER BY chunk_start_ns FOR UPDATE";
const INSERT_CHUNK: &str = "INSERT INTO bar_chunks \
     (symbol, timeframe, chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data, owner_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// PostgreSQL inserts a step's new chunks in one `INSERT … SELECT FROM UNNEST(arrays)`.
const PG_INSERT_CHUNKS: &str = "INSERT INTO bar_chunks \
     (symbol, timeframe, chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data, owner_id) \
     SELECT $1, $2, t.*, $8 FROM UNNEST($3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::bytea[]) AS t";
const UPDATE_CHUNK: &str = "UPDATE bar_chunks SET n_bars = $4, first_ts_ns = $5, last_ts_ns = $6, \
     data = $7 WHERE symbol = $1 AND timeframe = $2 AND chunk_start_ns = $3 AND owner_id = $8";

/// Chunk reads and writes on one backend's connection (inside a transaction).
pub(super) trait ChunkIo {
    /// Holds the series against concurrent importers until the transaction ends, so
    /// two imports of the same new bars do not both insert them (PostgreSQL; SQLite's
    /// `BEGIN IMMEDIATE` already admits one writer at a time).
    fn lock_series(
        &mut self,
        key: &SeriesKey<'_>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Chunks of a series with `lo <= chunk_start <= hi`, locked for update where the
    /// backend locks rows.
    fn fetch_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        lo: i64,
        hi: i64,
    ) -> impl Future<Output = Result<Vec<Chunk>>> + Send;
    /// Inserts new chunks (a unique violation fails the import: a concurrent importer
    /// wrote the same chunk first).
    fn insert_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        chunks: &[Chunk],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Overwrites stored chunks.
    fn update_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        chunks: &[Chunk],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

macro_rules! update_each {
    ($conn:ident, $key:ident, $chunks:ident) => {
        for c in $chunks {
            sqlx::query(UPDATE_CHUNK)
                .bind($key.symbol)
                .bind($key.timeframe.as_str())
                .bind(c.start)
                .bind(c.n)
                .bind(c.first)
                .bind(c.last)
                .bind(c.data.as_slice())
                .bind($key.owner)
                .execute(&mut *$conn)
                .await?;
        }
    };
}

impl ChunkIo for sqlx::SqliteConnection {
    async fn lock_series(&mut self, _key: &SeriesKey<'_>) -> Result<(), sqlx::Error> {
        Ok(())
    }

    async fn fetch_chunks(&mut self, key: &SeriesKey<'_>, lo: i64, hi: i64) -> Result<Vec<Chunk>> {
        // The transaction holds SQLite's write lock (BEGIN IMMEDIATE).
        let rows = sqlx::query(SELECT_CHUNKS)
            .bind(key.symbol)
            .bind(key.timeframe.as_str())
            .bind(lo)
            .bind(hi)
            .bind(key.owner)
            .fetch_all(&mut *self)
            .await?;
        rows.iter().map(Chunk::from_row).collect()
    }

    async fn insert_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        chunks: &[Chunk],
    ) -> Result<(), sqlx::Error> {
        // In-process: a prepared statement per chunk costs no round trip.
        for c in chunks {
            sqlx::query(INSERT_CHUNK)
                .bind(key.symbol)
                .bind(key.timeframe.as_str())
                .bind(c.start)
                .bind(c.n)
                .bind(c.first)
                .bind(c.last)
                .bind(c.data.as_slice())
                .bind(key.owner)
                .execute(&mut *self)
                .await?;
        }
        Ok(())
    }

    async fn update_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        chunks: &[Chunk],
    ) -> Result<(), sqlx::Error> {
        let conn = self;
        update_each!(conn, key, chunks);
        Ok(())
    }
}

impl ChunkIo for sqlx::PgConnection {
    async fn lock_series(&mut self, key: &SeriesKey<'_>) -> Result<(), sqlx::Error> {
        // Two-key advisory locks live apart from the one-key migration locks.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext('tradelab bars'), hashtext($1 || ' ' || $2))",
        )
        .bind(key.symbol)
        .bind(key.timeframe.as_str())
        .execute(&mut *self)
        .await?;
        Ok(())
    }

    async fn fetch_chunks(&mut self, key: &SeriesKey<'_>, lo: i64, hi: i64) -> Result<Vec<Chunk>> {
        let rows = sqlx::query(SELECT_CHUNKS_FOR_UPDATE)
            .bind(key.symbol)
            .bind(key.timeframe.as_str())
            .bind(lo)
            .bind(hi)
            .bind(key.owner)
            .fetch_all(&mut *self)
            .await?;
        rows.iter().map(Chunk::from_row).collect()
    }

    async fn insert_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        chunks: &[Chunk],
    ) -> Result<(), sqlx::Error> {
        if chunks.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&Chunk) -> i64| chunks.iter().map(f).collect::<Vec<i64>>();
        sqlx::query(PG_INSERT_CHUNKS)
            .bind(key.symbol)
            .bind(key.timeframe.as_str())
            .bind(col(|c| c.start))
            .bind(col(|c| c.n))
            .bind(col(|c| c.first))
            .bind(col(|c| c.last))
            .bind(
                chunks
                    .iter()
                    .map(|c| c.data.as_slice())
                    .collect::<Vec<&[u8]>>(),
            )
            .bind(key.owner)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn update_chunks(
        &mut self,
        key: &SeriesKey<'_>,
        chunks: &[Chunk],
    ) -> Result<(), sqlx::Error> {
        let conn = self;
        update_each!(conn, key, chunks);
        Ok(())
    }
}

/// Merges incoming bars of one chunk into its stored bars (both in time order):
/// updates the report and returns the merged bars when anything is to be written.
fn merge(
    stored: &[StoredBar],
    incoming: &[StoredBar],
    mode: ImportMode,
    report: &mut ImportReport,
) -> Option<Vec<StoredBar>> {
    let mut out = Vec::with_capacity(stored.len() + incoming.len());
    let mut changed = false;
    let mut s = stored.iter().peekable();
    for b in incoming {
        let ts = b.bar.ts();
        while let Some(old) = s.next_if(|old| old.bar.ts() < ts) {
            out.push(*old);
        }
        match s.next_if(|old| old.bar.ts() == ts) {
            None => {
                report.inserted += 1;
                changed = true;
                out.push(*b);
            }
            Some(old) if old == b => {
                report.unchanged += 1;
                out.push(*old);
            }
            Some(old) => {
                report.conflicting += 1;
                if report.conflicts.len() < MAX_REPORTED_CONFLICTS {
                    report.conflicts.push(BarConflict {
                        ts,
                        stored: *old,
                        incoming: *b,
                    });
                }
                if mode == ImportMode::Replace {
                    report.replaced += 1;
                    changed = true;
                    out.push(*b);
                } else {
                    out.push(*old);
                }
            }
        }
    }
    out.extend(s.copied());
    changed.then_some(out)
}

/// Imports validated bars (strictly increasing times) of one series on a connection
/// inside the caller's transaction.
pub(super) async fn import_on<C: ChunkIo + Send>(
    conn: &mut C,
    key: &SeriesKey<'_>,
    bars: &[StoredBar],
    mode: ImportMode,
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    conn.lock_series(key).await?;
    // Bars are in time order, so each chunk's bars are one contiguous run.
    let mut groups: Vec<(i64, &[StoredBar])> = Vec::new();
    let mut rest = bars;
    while let Some(first) = rest.first() {
        let start = chunk_start(key.tf, first.bar.ts().nanos());
        let len = rest
            .iter()
            .position(|b| chunk_start(key.tf, b.bar.ts().nanos()) != start)
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(len);
        groups.push((start, group));
        rest = tail;
    }
    for step in groups.chunks(CHUNKS_PER_STEP) {
        let (Some((lo, _)), Some((hi, _))) = (step.first(), step.last()) else {
            continue;
        };
        let mut stored = conn
            .fetch_chunks(key, *lo, *hi)
            .await?
            .into_iter()
            .peekable();
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for (start, incoming) in step {
            // Stored chunks without incoming bars in this step are skipped.
            while stored.next_if(|c| c.start < *start).is_some() {}
            match stored.next_if(|c| c.start == *start) {
                None => {
                    report.inserted += incoming.len() as u64;
                    inserts.push(Chunk::encode(*start, incoming));
                }
                Some(chunk) => match (chunk.decode(key), mode) {
                    (Ok(old), _) => {
                        if let Some(merged) = merge(&old, incoming, mode, &mut report) {
                            updates.push(Chunk::encode(*start, &merged));
                        }
                    }
                    // Replacing does not need the old bars: a damaged chunk is
                    // rewritten from the incoming ones.
                    (Err(_), ImportMode::Replace) => {
                        report.damaged_chunks += 1;
                        report.replaced += incoming.len() as u64;
                        updates.push(Chunk::encode(*start, incoming));
                    }
                    (Err(StoreError::InvalidData { what, message }), _) => {
                        return Err(StoreError::InvalidData {
                            what,
                            message: format!(
                                "{message}; importing these bars in replace mode \
                                 (--replace) rewrites the damaged chunk"
                            ),
                        });
                    }
                    (Err(e), _) => return Err(e),
                },
            }
        }
        conn.insert_chunks(key, &inserts).await?;
        conn.update_chunks(key, &updates).await?;
    }
    Ok(report)
}
impl Bars<'_> {
    /// Imports **shared** bars (what an admin imports; every user reads them) of one
    /// symbol and timeframe (strictly increasing times) in one transaction and reports
    /// inserted / unchanged / conflicting counts. Commands acting for a user call
    /// [`Bars::import_as`], which checks the user's role.
    pub async fn import(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        bars: &[StoredBar],
        mode: ImportMode,
    ) -> Result<ImportReport> {
        self.import_owned(SHARED_OWNER, symbol, timeframe, bars, mode)
            .await
    }

    /// Imports bars into the series of `owner` ([`SHARED_OWNER`] or a user id).
    pub(super) async fn import_owned(
        &self,
        owner: i64,
        symbol: &Symbol,
        timeframe: Timeframe,
        bars: &[StoredBar],
        mode: ImportMode,
    ) -> Result<ImportReport> {
        validate(bars, timeframe)?;
        let key = SeriesKey::new(symbol, timeframe, owner);
        with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let report = import_on(&mut *tx, &key, bars, mode).await?;
            tx.commit().await?;
            Ok(report)
        })
    }

    /// Imports a whole series of shared bars (see [`Bars::import`]).
    pub async fn import_series(
        &self,
        series: &BarSeries,
        timeframe: Timeframe,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let bars: Vec<StoredBar> = series.bars().iter().copied().map(StoredBar::from).collect();
        self.import(series.symbol(), timeframe, &bars, mode).await
    }
}
