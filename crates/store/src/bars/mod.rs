//! Imported market data. Bars persist until deleted; importing is idempotent: the same
//! bars again change nothing, and a bar whose key exists with other values is reported
//! as a conflict and kept as stored unless the import asks to replace. Bars are shared
//! (an admin's imports) or private to the user who uploaded them: see [`owned`].

use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::{Store, UserId};
use futures_util::TryStreamExt;
use serde::Serialize;
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
    /// Stored chunks that could not be read (damaged) and were rewritten from the
    /// imported bars (only in [`ImportMode::Replace`]; their incoming bars count as
    /// `replaced`). Stored bars of such a chunk that the import does not hold are gone.
    pub damaged_chunks: u64,
}

/// How many conflicts an [`ImportReport`] lists in full.
pub const MAX_REPORTED_CONFLICTS: usize = 20;

/// One stored series: a symbol at a timeframe.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesInfo {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    pub bars: i64,
    pub first: Timestamp,
    pub last: Timestamp,
    /// The user whose private upload the series is; `None` for shared bars.
    pub owner: Option<UserId>,
}

/// The bar repository: `store.bars()`.
pub struct Bars<'a> {
    pub(crate) store: &'a Store,
}

const LOAD_CHUNKS: &str = "SELECT chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data \
     FROM bar_chunks WHERE symbol = $1 AND timeframe = $2 AND owner_id = $6 \
     AND chunk_start_ns >= $3 AND chunk_start_ns <= $4 \
     AND last_ts_ns >= $5 AND first_ts_ns <= $4 ORDER BY chunk_start_ns";

mod checks;
mod chunk;
mod import;
mod legacy;
mod listing;
mod lot_steps;
mod owned;
mod spacing;

use checks::validate;
use chunk::{Chunk, chunk_start};
use import::{ChunkIo, import_on};
pub(crate) use legacy::convert_legacy_bars;
use listing::series_info;
pub use listing::{SeriesCursor, SeriesCursorError};
pub use owned::{BARS_IN_USE, DeleteReport, RunUsingBars, SHARED_BARS};
pub use spacing::{SpacingMismatch, spacing_mismatch};

/// A series as stored: symbol text, timeframe and its text, and its owner
/// ([`SHARED_OWNER`] for shared bars, else the id of the user whose upload it is).
pub(super) struct SeriesKey<'s> {
    pub(super) symbol: &'s str,
    pub(super) tf: Timeframe,
    pub(super) timeframe: String,
    pub(super) owner: i64,
}

impl<'s> SeriesKey<'s> {
    /// The key of `owner`'s series of `symbol` at `tf`.
    pub(super) fn new(symbol: &'s Symbol, tf: Timeframe, owner: i64) -> Self {
        SeriesKey {
            symbol: symbol.as_str(),
            tf,
            timeframe: tf.to_string(),
            owner,
        }
    }
}

/// `bar_chunks.owner_id` of shared bars (imported by an admin, read by everyone).
pub(super) const SHARED_OWNER: i64 = 0;

impl Bars<'_> {
    /// Stored shared bars of a series with `from <= ts <= to`, oldest first
    /// ([`Bars::load_for`] reads what a user sees).
    pub async fn load(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<StoredBar>> {
        self.load_owned(SHARED_OWNER, symbol, timeframe, from, to)
            .await
    }

    /// Stored bars of `owner`'s series with `from <= ts <= to`, oldest first.
    pub(super) async fn load_owned(
        &self,
        owner: i64,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<StoredBar>> {
        let mut out = Vec::new();
        let key = SeriesKey::new(symbol, timeframe, owner);
        self.visit_bars(&key, from, to, |b| out.push(b)).await?;
        Ok(out)
    }

    /// Stored shared bars as a [`BarSeries`] (for the engine); [`Bars::load_series_for`]
    /// reads what a user sees.
    pub async fn load_series(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<BarSeries> {
        self.load_series_owned(SHARED_OWNER, symbol, timeframe, from, to)
            .await
    }

    /// `owner`'s stored bars as a [`BarSeries`].
    pub(super) async fn load_series_owned(
        &self,
        owner: i64,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<BarSeries> {
        let mut bars = Vec::new();
        let key = SeriesKey::new(symbol, timeframe, owner);
        self.visit_bars(&key, from, to, |b| bars.push(b.bar))
            .await?;
        BarSeries::new(symbol.clone(), bars)
            .map_err(|e| StoreError::invalid("stored bars", e.to_string()))
    }

    /// Hands each stored bar of the series `key` with `from <= ts <= to` to `take`,
    /// oldest first.
    ///
    /// Chunks are streamed and decoded one at a time straight into the caller's bars:
    /// a million bars never sit in memory twice.
    async fn visit_bars(
        &self,
        key: &SeriesKey<'_>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        mut take: impl FnMut(StoredBar) + Send,
    ) -> Result<()> {
        let (from, to) = nanos_span(from, to);
        if from > to {
            return Ok(());
        }
        with_pool!(self.store, p => {
            let mut rows = sqlx::query(LOAD_CHUNKS)
                .bind(key.symbol)
                .bind(key.timeframe.as_str())
                .bind(chunk_start(key.tf, from))
                .bind(to)
                .bind(from)
                .bind(key.owner)
                .fetch(p);
            while let Some(row) = rows.try_next().await? {
                Chunk::from_row(&row)?.decode_with(key, from, to, &mut take)?;
            }
        });
        Ok(())
    }

    /// Every series of `owner` with its bar count and time range, whole (for lookups
    /// over one user's series; listings page with [`Bars::list_series_for`]).
    pub(super) async fn series_owned(&self, owner: i64) -> Result<Vec<SeriesInfo>> {
        let sql = "SELECT symbol, timeframe, CAST(SUM(n_bars) AS BIGINT) AS n, \
                   MIN(first_ts_ns) AS first, MAX(last_ts_ns) AS last \
                   FROM bar_chunks WHERE owner_id = $1 \
                   GROUP BY symbol, timeframe ORDER BY symbol, timeframe";
        with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(owner).fetch_all(p).await?;
            rows.iter().map(|r| series_info(r, owner)).collect()
        })
    }

    /// `owner`'s series of `symbol`, every timeframe, by timeframe text.
    pub(super) async fn series_owned_of_symbol(
        &self,
        owner: i64,
        symbol: &Symbol,
    ) -> Result<Vec<SeriesInfo>> {
        let sql = "SELECT symbol, timeframe, CAST(SUM(n_bars) AS BIGINT) AS n, \
                   MIN(first_ts_ns) AS first, MAX(last_ts_ns) AS last \
                   FROM bar_chunks WHERE owner_id = $1 AND symbol = $2 \
                   GROUP BY symbol, timeframe ORDER BY timeframe";
        with_pool!(self.store, p => {
            let rows = sqlx::query(sql)
                .bind(owner)
                .bind(symbol.as_str())
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| series_info(r, owner)).collect()
        })
    }

    /// `owner`'s series of `symbol` at `timeframe` with its bar count and time range;
    /// `None` when nothing is stored.
    pub(super) async fn series_owned_of(
        &self,
        owner: i64,
        symbol: &Symbol,
        timeframe: Timeframe,
    ) -> Result<Option<SeriesInfo>> {
        let sql = "SELECT symbol, timeframe, CAST(SUM(n_bars) AS BIGINT) AS n, \
                   MIN(first_ts_ns) AS first, MAX(last_ts_ns) AS last \
                   FROM bar_chunks WHERE owner_id = $1 AND symbol = $2 AND timeframe = $3 \
                   GROUP BY symbol, timeframe";
        let tf = timeframe.to_string();
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(owner)
                .bind(symbol.as_str())
                .bind(&tf)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(|r| series_info(r, owner)).transpose()
        })
    }
}

/// `from ..= to` in nanoseconds, open ends as the widest bounds.
fn nanos_span(from: Option<Timestamp>, to: Option<Timestamp>) -> (i64, i64) {
    (
        from.map_or(i64::MIN, Timestamp::nanos),
        to.map_or(i64::MAX, Timestamp::nanos),
    )
}
