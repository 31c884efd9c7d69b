//! Snapshots of an online learner's state, versioned per run: `store.snapshots()`.
//!
//! The runner saves one every N bars of a learning run and one at its end
//! ([`Snapshots::save`], a system path like the audit trail's `append`); a user lists
//! a run's snapshots and reads one to warm-start a new run from it. Reads take the
//! owner: another owner's run is [`StoreError::NotFound`], as a missing one.

use crate::db::{BeginWrite, RowExt, with_pool};
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::{RunId, Store, UserId};
use serde::{Deserialize, Serialize};
use tradelab_core::Timestamp;

/// The snapshots repository: `store.snapshots()`.
pub struct Snapshots<'a> {
    pub(crate) store: &'a Store,
}

/// Which snapshot a run warm-started from (kept in its strategy snapshot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmStart {
    /// The run whose snapshot it is.
    pub run: RunId,
    /// The snapshot's version in that run.
    pub version: i64,
}

impl std::fmt::Display for WarmStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "run {}@{}", self.run, self.version)
    }
}

/// A snapshot to save: the learner's state and where in the run it was taken.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSnapshot {
    /// Time of the last bar the learner took (`None`: none yet).
    pub bar_ts: Option<Timestamp>,
    /// Bars the learner had taken (over all symbols, warm start included).
    pub bars: u64,
    /// The learner's state, as JSON text (kept as written).
    pub state: String,
}

/// What is known of a stored snapshot without its state (a listing's row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    /// Its run.
    pub run: RunId,
    /// 1 for the run's first snapshot, one more for each after.
    pub version: i64,
    /// Time of the last bar the learner took.
    pub bar_ts: Option<Timestamp>,
    /// Bars the learner had taken.
    pub bars: u64,
    /// Size of the state in bytes.
    pub size_bytes: u64,
    /// When it was saved.
    pub created_at: Timestamp,
}

/// A stored snapshot with its state.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Its description.
    pub info: SnapshotInfo,
    /// The learner's state, as JSON text.
    pub state: String,
}

macro_rules! info_cols {
    () => {
        "run_id, version, bar_ts_ns, bars, size_bytes, created_at_ns"
    };
}

/// Scopes `run_id = $1` to the owner `$2`.
macro_rules! owned {
    () => {
        "run_id = $1 AND run_id IN (SELECT r.id FROM runs r JOIN models m ON m.id = r.model_id \
         WHERE m.owner_id = $2)"
    };
}

/// Inserts the run's next version (`$1` run, then time, bars, size, state, created).
const INSERT: &str = concat!(
    "INSERT INTO learner_snapshots (run_id, version, bar_ts_ns, bars, size_bytes, state, \
     created_at_ns) SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 \
     FROM learner_snapshots WHERE run_id = $1 RETURNING ",
    info_cols!()
);

const LIST: &str = concat!(
    "SELECT ",
    info_cols!(),
    " FROM learner_snapshots WHERE ",
    owned!(),
    " ORDER BY version"
);

/// Version `$3`, or the latest when `$3` is NULL.
const GET: &str = concat!(
    "SELECT ",
    info_cols!(),
    ", state FROM learner_snapshots WHERE ",
    owned!(),
    " AND ($3 IS NULL OR version = $3) ORDER BY version DESC LIMIT 1"
);

fn info_from_row(row: &impl RowExt) -> Result<SnapshotInfo> {
    let count = |col: &'static str| {
        row.i64(col).and_then(|v| {
            u64::try_from(v).map_err(|_| StoreError::invalid("snapshot", format!("{col} {v}")))
        })
    };
    Ok(SnapshotInfo {
        run: RunId(row.i64("run_id")?),
        version: row.i64("version")?,
        bar_ts: row.opt_ts("bar_ts_ns")?,
        bars: count("bars")?,
        size_bytes: count("size_bytes")?,
        created_at: row.ts("created_at_ns")?,
    })
}

fn to_i64(what: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::invalid("snapshot", format!("{what} {v} too large")))
}

impl Snapshots<'_> {
    /// Saves `snapshot` as run `run`'s next version (1 for its first) and returns its
    /// description. System path (the runner of the run): no owner. An unknown run is
    /// [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.snapshots.save", skip(self, snapshot), fields(run = run.0, bytes = snapshot.state.len()))]
    pub async fn save(&self, run: RunId, snapshot: &NewSnapshot) -> Result<SnapshotInfo> {
        let bars = to_i64("bars", snapshot.bars)?;
        let size = to_i64("size", snapshot.state.len() as u64)?;
        let created = crate::db::now();
        let info = with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query(INSERT)
                .bind(run.0)
                .bind(snapshot.bar_ts.map(Timestamp::nanos))
                .bind(bars)
                .bind(size)
                .bind(snapshot.state.as_str())
                .bind(created.nanos())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::not_found("run", run)
                    } else {
                        StoreError::Database(e)
                    }
                })?;
            let info = info_from_row(&row)?;
            tx.commit().await?;
            info
        });
        Ok(info)
    }

    /// The owner's run `run`'s snapshots, oldest first (without their states).
    #[tracing::instrument(name = "store.snapshots.list", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn list(&self, owner: UserId, run: RunId) -> Result<Vec<SnapshotInfo>> {
        self.store.runs().get(owner, run).await?;
        with_pool!(self.store, p => {
            let rows = sqlx::query(LIST)
                .bind(run.0)
                .bind(owner.0)
                .fetch_all(p)
                .await?;
            rows.iter().map(info_from_row).collect()
        })
    }

    /// The owner's run `run`'s snapshot `version` (`None`: its latest), with its state.
    /// An unknown run, another owner's, is [`StoreError::NotFound`] (`run …`); a run
    /// without that version is [`StoreError::NotFound`] (`snapshot run@version`, or
    /// `snapshot run` when it has none at all).
    #[tracing::instrument(name = "store.snapshots.get", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn get(&self, owner: UserId, run: RunId, version: Option<i64>) -> Result<Snapshot> {
        self.store.runs().get(owner, run).await?;
        let found = with_pool!(self.store, p => {
            let row = sqlx::query(GET)
                .bind(run.0)
                .bind(owner.0)
                .bind(version)
                .fetch_optional(p)
                .await?;
            match row {
                Some(row) => Some(Snapshot {
                    info: info_from_row(&row)?,
                    state: row.text("state")?,
                }),
                None => None,
            }
        });
        found.ok_or_else(|| match version {
            Some(v) => StoreError::not_found("snapshot", format!("{run}@{v}")),
            None => StoreError::not_found("snapshot of run", run),
        })
    }
}
