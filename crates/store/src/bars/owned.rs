//! Whose bars a call reads or writes.
//!
//! The model: bars are **shared** (`owner_id` 0: imported by an admin, read by every
//! user) or **private** (`owner_id` = a user: that user's upload, read by that user
//! only). A user reads, for each symbol and timeframe, their private series when they
//! have one, else the shared one. Only an admin writes shared bars: replacing or
//! deleting them is an admin's act. A user's import never touches another user's bars
//! and never shadows shared bars: re-importing bars that are shared and identical
//! changes nothing, and an import that would add to or differ from a shared series is
//! refused (upload it under another symbol). A user's private series can be replaced
//! and deleted by that user.

use super::chunk::{Chunk, chunk_start};
use super::{Bars, ChunkIo, ImportMode, ImportReport, SHARED_OWNER, SeriesKey, StoredBar};
use super::{import_on, nanos_span, validate};
use crate::db::{BeginWrite, RowExt, with_pool};
use crate::error::{Result, StoreError};
use crate::{RunId, RunMode, SeriesInfo, User, UserId};
use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::Value;
use tradelab_core::{BarSeries, Symbol, Timeframe, Timestamp};

/// A run that reads a series (its symbols, timeframe and period cover it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunUsingBars {
    pub run: RunId,
    /// `model#number`.
    pub label: String,
    /// The owner of the run's model.
    pub owner: UserId,
}

/// What [`Bars::delete_as`] removed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeleteReport {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    /// Whose series it was: `None` for shared bars.
    pub owner: Option<UserId>,
    /// Bars removed.
    pub deleted: u64,
    /// Bars of the series left (outside the deleted period).
    pub remaining: u64,
    /// Runs that read the removed bars (only a forced delete goes ahead with them);
    /// their replays now refuse (their data fingerprint no longer matches).
    pub runs: Vec<RunUsingBars>,
}

/// `what` of the [`StoreError::Conflict`] a delete of bars that runs read returns
/// without `force`.
pub const BARS_IN_USE: &str = "bars in use";

/// `what` of the [`StoreError::Conflict`] returned when a user writes shared bars.
pub const SHARED_BARS: &str = "shared bars";

pub(super) fn owner_of(user: &User) -> i64 {
    if user.role == crate::Role::Admin {
        SHARED_OWNER
    } else {
        user.id.0
    }
}

/// `trend#3, trend#4, … (12 runs)`: runs for a message.
fn runs_text(runs: &[RunUsingBars]) -> String {
    const SHOWN: usize = 5;
    let mut text: Vec<String> = runs.iter().take(SHOWN).map(|r| r.label.clone()).collect();
    if runs.len() > SHOWN {
        text.push(format!("… ({} runs)", runs.len()));
    }
    text.join(", ")
}

/// The timeframe a stored run read: the one in its execution settings, else that of
/// its mode.
fn run_timeframe(snapshot: &Value, mode: RunMode) -> Option<Timeframe> {
    match snapshot
        .get("fill_model")
        .and_then(|f| f.get("timeframe"))
        .and_then(Value::as_str)
    {
        Some(t) => t.parse().ok(),
        None if mode == RunMode::Daily => Some(Timeframe::DAY),
        None => Some(Timeframe::MINUTE),
    }
}

const DELETE_CHUNK: &str = "DELETE FROM bar_chunks WHERE symbol = $1 AND timeframe = $2 \
     AND owner_id = $3 AND chunk_start_ns = $4";
const COUNT_BARS: &str = "SELECT CAST(COALESCE(SUM(n_bars), 0) AS BIGINT) FROM bar_chunks \
     WHERE symbol = $1 AND timeframe = $2 AND owner_id = $3";
const OWNERS: &str = "SELECT DISTINCT owner_id FROM bar_chunks \
     WHERE symbol = $1 AND timeframe = $2 ORDER BY owner_id";
/// Runs of the models of owner `$1`, or of every owner when `$1` is 0 (shared bars).
const RUNS_READING: &str = "SELECT r.id, r.run_number, r.mode, r.symbols, r.period_start_ns, \
     r.period_end_ns, r.snapshot, m.owner_id FROM runs r JOIN models m ON m.id = r.model_id \
     WHERE $1 = 0 OR m.owner_id = $1 ORDER BY r.id";

impl Bars<'_> {
    /// The owners (shared = 0, users) that hold a series of `symbol` at `timeframe`.
    async fn owners(&self, symbol: &Symbol, timeframe: Timeframe) -> Result<Vec<i64>> {
        let tf = timeframe.to_string();
        with_pool!(self.store, p => {
            let rows = sqlx::query(OWNERS)
                .bind(symbol.as_str())
                .bind(&tf)
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| r.i64("owner_id")).collect()
        })
    }

    /// Whose series of `symbol` at `timeframe` `viewer` reads: their own, else the
    /// shared one; `None` when neither exists.
    async fn visible_owner(
        &self,
        viewer: UserId,
        symbol: &Symbol,
        timeframe: Timeframe,
    ) -> Result<Option<i64>> {
        let owners = self.owners(symbol, timeframe).await?;
        Ok(if owners.contains(&viewer.0) {
            Some(viewer.0)
        } else if owners.contains(&SHARED_OWNER) {
            Some(SHARED_OWNER)
        } else {
            None
        })
    }

    /// Imports bars for `actor` (see the module documentation): an admin's go to the
    /// shared bars, a user's to their private series. A user's import that would
    /// replace shared bars, or add to or differ from a shared series they have no
    /// private copy of, is refused with [`StoreError::Conflict`] ([`SHARED_BARS`]).
    pub async fn import_as(
        &self,
        actor: &User,
        symbol: &Symbol,
        timeframe: Timeframe,
        bars: &[StoredBar],
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let owner = owner_of(actor);
        if owner == SHARED_OWNER {
            return self
                .import_owned(SHARED_OWNER, symbol, timeframe, bars, mode)
                .await;
        }
        let owners = self.owners(symbol, timeframe).await?;
        if owners.contains(&owner) || !owners.contains(&SHARED_OWNER) {
            return self
                .import_owned(owner, symbol, timeframe, bars, mode)
                .await;
        }
        if mode == ImportMode::Replace {
            return Err(StoreError::Conflict {
                what: SHARED_BARS,
                message: format!(
                    "{symbol} {timeframe} bars are shared data: replacing or deleting them is \
                     an admin's act; import your bars under another symbol to keep them private"
                ),
            });
        }
        // Compare with the shared series without writing: unchanged bars are fine.
        validate(bars, timeframe)?;
        let key = SeriesKey::new(symbol, timeframe, SHARED_OWNER);
        let report = with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let report = import_on(&mut *tx, &key, bars, ImportMode::KeepExisting).await?;
            tx.rollback().await?;
            report
        });
        if report.inserted > 0 || report.conflicting > 0 {
            return Err(StoreError::Conflict {
                what: SHARED_BARS,
                message: format!(
                    "{symbol} {timeframe} bars are shared data and your import has {} bars they \
                     do not hold and {} that differ from them; your uploads are private and \
                     may not shadow shared bars: import them under another symbol, or ask an \
                     admin to import them into the shared data",
                    report.inserted, report.conflicting
                ),
            });
        }
        Ok(report)
    }

    /// Imports a whole series for `actor` (see [`Bars::import_as`]).
    pub async fn import_series_as(
        &self,
        actor: &User,
        series: &BarSeries,
        timeframe: Timeframe,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let bars: Vec<StoredBar> = series.bars().iter().copied().map(StoredBar::from).collect();
        self.import_as(actor, series.symbol(), timeframe, &bars, mode)
            .await
    }

    /// The bars `viewer` sees of a series with `from <= ts <= to` (their private
    /// series, else the shared one), oldest first.
    pub async fn load_for(
        &self,
        viewer: UserId,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<StoredBar>> {
        match self.visible_owner(viewer, symbol, timeframe).await? {
            Some(owner) => self.load_owned(owner, symbol, timeframe, from, to).await,
            None => Ok(Vec::new()),
        }
    }

    /// The bars `viewer` sees as a [`BarSeries`] (empty when there are none).
    pub async fn load_series_for(
        &self,
        viewer: UserId,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<BarSeries> {
        let owner = self
            .visible_owner(viewer, symbol, timeframe)
            .await?
            .unwrap_or(SHARED_OWNER);
        self.load_series_owned(owner, symbol, timeframe, from, to)
            .await
    }

    /// Every series `viewer` sees, whole: their private ones and the shared ones they
    /// have no private copy of, by symbol and timeframe. For lookups that need every
    /// timeframe of a few symbols (the runner choosing a run's timeframe); a listing
    /// pages with [`Bars::list_series_for`].
    pub async fn series_for(&self, viewer: UserId) -> Result<Vec<SeriesInfo>> {
        let mut all = self.series_owned(viewer.0).await?;
        let shared = self.series_owned(SHARED_OWNER).await?;
        let private: Vec<(Symbol, Timeframe)> = all
            .iter()
            .map(|s| (s.symbol.clone(), s.timeframe))
            .collect();
        all.extend(
            shared
                .into_iter()
                .filter(|s| !private.contains(&(s.symbol.clone(), s.timeframe))),
        );
        // As the store lists them: by symbol, then timeframe text.
        all.sort_by_cached_key(|s| (s.symbol.as_str().to_string(), s.timeframe.to_string()));
        Ok(all)
    }

    /// The series of `symbol` that `viewer` sees, one per timeframe: their private
    /// ones and the shared ones they have no private copy of. Reads that symbol's
    /// rows only (the runner choosing a run's timeframe, a "no bars" error saying
    /// what is stored instead).
    pub async fn series_of_symbol_for(
        &self,
        viewer: UserId,
        symbol: &Symbol,
    ) -> Result<Vec<SeriesInfo>> {
        let mut all = self.series_owned_of_symbol(viewer.0, symbol).await?;
        if viewer.0 != SHARED_OWNER {
            let private: Vec<Timeframe> = all.iter().map(|s| s.timeframe).collect();
            all.extend(
                self.series_owned_of_symbol(SHARED_OWNER, symbol)
                    .await?
                    .into_iter()
                    .filter(|s| !private.contains(&s.timeframe)),
            );
            all.sort_by_cached_key(|s| s.timeframe.to_string());
        }
        Ok(all)
    }

    /// Runs that read `owner`'s series of `symbol` at `timeframe` within `from ..= to`:
    /// runs of that user's models for a private series; for shared bars, runs of every
    /// user without a private copy. A run reads the series when it trades the symbol
    /// at the timeframe over a period that overlaps the span.
    async fn runs_using(
        &self,
        owner: i64,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<RunUsingBars>> {
        let shadowing: Vec<i64> = if owner == SHARED_OWNER {
            self.owners(symbol, timeframe)
                .await?
                .into_iter()
                .filter(|o| *o != SHARED_OWNER)
                .collect()
        } else {
            Vec::new()
        };
        let (lo, hi) = nanos_span(from, to);
        // Streamed and filtered row by row: memory holds the runs that read the
        // series, not every run in the store.
        let mut using = Vec::new();
        with_pool!(self.store, p => {
            let mut rows = sqlx::query(RUNS_READING).bind(owner).fetch(p);
            while let Some(r) = rows.try_next().await? {
                let run_owner = r.i64("owner_id")?;
                let snapshot = r.json("snapshot")?;
                let start = r.opt_ts("period_start_ns")?;
                let end = r.opt_ts("period_end_ns")?;
                let reads = r.json_as::<Vec<Symbol>>("symbols")?.contains(symbol)
                    && !shadowing.contains(&run_owner)
                    && run_timeframe(&snapshot, r.parse::<RunMode>("mode")?) == Some(timeframe)
                    && start.is_none_or(|s| s.nanos() <= hi)
                    && end.is_none_or(|e| e.nanos() >= lo);
                if !reads {
                    continue;
                }
                let model = snapshot
                    .get("model_name")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                using.push(RunUsingBars {
                    run: RunId(r.i64("id")?),
                    label: format!("{model}#{}", r.i64("run_number")?),
                    owner: UserId(run_owner),
                });
            }
        });
        Ok(using)
    }

    /// Deletes the bars of a series with `from <= ts <= to` (open ends: all of it) for
    /// `actor`: their private series if they have one, else the shared one, which only
    /// an admin may delete ([`StoreError::Conflict`] [`SHARED_BARS`] otherwise). When
    /// runs read the bars the delete is refused ([`StoreError::Conflict`]
    /// [`BARS_IN_USE`], naming them) unless `force`. One transaction.
    pub async fn delete_as(
        &self,
        actor: &User,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        force: bool,
    ) -> Result<DeleteReport> {
        let Some(owner) = self.visible_owner(actor.id, symbol, timeframe).await? else {
            return Err(StoreError::not_found(
                "bar series",
                format!("{symbol} {timeframe}"),
            ));
        };
        if owner == SHARED_OWNER && owner_of(actor) != SHARED_OWNER {
            return Err(StoreError::Conflict {
                what: SHARED_BARS,
                message: format!(
                    "{symbol} {timeframe} bars are shared data: replacing or deleting them is \
                     an admin's act"
                ),
            });
        }
        // Runs read the bars actually stored in the span, not the span itself.
        let stored = self.series_owned_of(owner, symbol, timeframe).await?;
        let runs = match stored {
            Some(s) => {
                let lo = from.map_or(s.first, |f| f.max(s.first));
                let hi = to.map_or(s.last, |t| t.min(s.last));
                if lo <= hi {
                    self.runs_using(owner, symbol, timeframe, Some(lo), Some(hi))
                        .await?
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        };
        if !runs.is_empty() && !force {
            return Err(StoreError::Conflict {
                what: BARS_IN_USE,
                message: format!(
                    "{} run(s) read these {symbol} {timeframe} bars ({}); deleting them means \
                     those runs can no longer be replayed on their data",
                    runs.len(),
                    runs_text(&runs)
                ),
            });
        }
        let key = SeriesKey::new(symbol, timeframe, owner);
        let (lo, hi) = nanos_span(from, to);
        if lo > hi {
            return Err(StoreError::invalid(
                "period",
                format!(
                    "from {} is after to {}",
                    Timestamp::from_nanos(lo),
                    Timestamp::from_nanos(hi)
                ),
            ));
        }
        let (deleted, remaining) = with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let chunks = tx.fetch_chunks(&key, chunk_start(timeframe, lo), hi).await?;
            let mut deleted = 0u64;
            for c in chunks {
                if c.last < lo || c.first > hi {
                    continue;
                }
                let kept: Vec<StoredBar> = if c.first >= lo && c.last <= hi {
                    Vec::new()
                } else {
                    let mut bars = c.decode(&key)?;
                    bars.retain(|b| b.bar.ts().nanos() < lo || b.bar.ts().nanos() > hi);
                    bars
                };
                deleted += u64::try_from(c.n).unwrap_or(0).saturating_sub(kept.len() as u64);
                if kept.is_empty() {
                    sqlx::query(DELETE_CHUNK)
                        .bind(key.symbol)
                        .bind(key.timeframe.as_str())
                        .bind(key.owner)
                        .bind(c.start)
                        .execute(&mut *tx)
                        .await?;
                } else if kept.len() as i64 != c.n {
                    tx.update_chunks(&key, &[Chunk::encode(c.start, &kept)]).await?;
                }
            }
            let remaining: i64 = sqlx::query_scalar(COUNT_BARS)
                .bind(key.symbol)
                .bind(key.timeframe.as_str())
                .bind(key.owner)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            (deleted, u64::try_from(remaining).unwrap_or(0))
        });
        Ok(DeleteReport {
            symbol: symbol.clone(),
            timeframe,
            owner: (owner != SHARED_OWNER).then_some(UserId(owner)),
            deleted,
            remaining,
            runs,
        })
    }
}
