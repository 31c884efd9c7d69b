//! Appending a batch: its trail rows checked and encoded, then written in bulk with
//! the batch's equity points in one transaction.
//!
//! A trail is a log: every row's `seq` is new and follows the run's stored seqs, and
//! no row is earlier than the row before it. Both are checked (one look at the run's
//! last row), so the rows of a period are a range of seqs ([`Audit::page`]).

use super::equity::{INSERT_EQUITY_CHUNK, decode_equity, encode_equity, sorted_points};
use super::table::{NewRow, RowsIo};
use super::{Audit, AuditBatchOf};
use crate::RunId;
use crate::db::{Backend, BeginWrite, RowExt, with_pool};
use crate::error::{Result, StoreError, is_unique_violation};
use serde::Serialize;
use tradelab_core::Timestamp;

/// What an append transaction did.
enum Appended {
    Written,
    /// The run is not queued or running.
    Closed,
    /// This seq is stored already.
    DuplicateSeq(i64),
    /// The batch's first seq is not after the run's last stored seq.
    OutOfOrder {
        first: i64,
        last: i64,
    },
    /// The batch's first row is earlier than the run's last stored row.
    EarlierThanStored {
        first: (i64, i64),
        last: (i64, i64),
    },
    /// An equity time is repeated (in the batch or against stored points).
    DuplicateEquity,
}

/// The run's last stored row: its seq and time.
const LAST_ROW: &str =
    "SELECT seq, ts_ns FROM run_events WHERE run_id = $1 ORDER BY seq DESC LIMIT 1";
/// Stored seqs in `[$2, $3]`.
const SEQS_IN: &str =
    "SELECT seq FROM run_events WHERE run_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq";

fn earlier(run: RunId, seq: i64, ts: i64, prev_seq: i64, prev_ts: i64) -> StoreError {
    StoreError::invalid(
        "audit row",
        format!(
            "run {run}: seq {seq} at {} is earlier than seq {prev_seq} at {}; a run's trail \
             is appended in time order",
            Timestamp::from_nanos(ts),
            Timestamp::from_nanos(prev_ts)
        ),
    )
}

fn duplicate(run: RunId, what: String) -> StoreError {
    StoreError::Duplicate {
        what: "audit row",
        name: format!("run {run}, {what}"),
    }
}

/// The batch's trail rows encoded, in seq order; a repeated seq, a row earlier than
/// the one before it or an invalid value is an error naming the row.
pub(crate) fn encode_rows<J: Serialize>(
    run: RunId,
    batch: &AuditBatchOf<J>,
) -> Result<Vec<NewRow<'_>>> {
    let mut rows = Vec::with_capacity(batch.trail_len());
    for d in &batch.decisions {
        rows.push(NewRow::decision(d)?);
    }
    for o in &batch.orders {
        rows.push(NewRow::order(o)?);
    }
    for f in &batch.fills {
        rows.push(NewRow::fill(f)?);
    }
    for e in &batch.events {
        rows.push(NewRow::event(e)?);
    }
    // Stable and run-aware: the sink's kinds come as a few runs of increasing seqs.
    rows.sort_by_key(|r| r.seq);
    for w in rows.windows(2) {
        if w[0].seq == w[1].seq {
            return Err(duplicate(
                run,
                format!("seq {} twice in one batch", w[0].seq),
            ));
        }
        if w[1].ts_ns < w[0].ts_ns {
            return Err(earlier(run, w[1].seq, w[1].ts_ns, w[0].seq, w[0].ts_ns));
        }
    }
    Ok(rows)
}

impl Audit<'_> {
    /// System only (the runner's writer, for a run it created; it takes no owner):
    /// appends a batch to a queued or running run in one transaction: every row is
    /// written, or (on any error, e.g. a repeated `seq`) none is. The batch's seqs
    /// must follow the run's stored ones and its rows be in time order, from the
    /// time of the last stored row on. Also advances the run's `last_event_at`.
    pub async fn append<J: Serialize + Sync>(
        &self,
        run: RunId,
        batch: &AuditBatchOf<J>,
    ) -> Result<()> {
        self.append_then(run, batch, None).await
    }

    /// [`Audit::append`], and in the same transaction, when `finish` is given, ends
    /// the run (see [`crate::Runs::finish_with`]).
    pub(crate) async fn append_then<J: Serialize + Sync>(
        &self,
        run: RunId,
        batch: &AuditBatchOf<J>,
        finish: Option<&crate::runs::Finish<'_>>,
    ) -> Result<()> {
        let rows = encode_rows(run, batch)?;
        let last = batch.last_ts().map(Timestamp::nanos);
        let points = sorted_points(&batch.equity);
        // A batch of a running run needs no flush of its own: the run's last batch
        // commits with its status, and that flush writes the earlier batches too. A
        // crash before it loses at most the run's latest batches, and the run, still
        // `running`, is marked interrupted at the next start (SQLite, in WAL mode with
        // `synchronous = NORMAL`, commits that way already).
        let defer_flush = finish.is_none() && self.store.backend() == Backend::Postgres;
        let written: Result<Appended> = with_pool!(self.store, p => async {
            let mut tx = p.begin_write().await?;
            if defer_flush {
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
            }
            let touched = sqlx::query(
                "UPDATE runs SET last_event_at_ns = CASE \
                 WHEN $2 IS NOT NULL AND (last_event_at_ns IS NULL OR last_event_at_ns < $2) THEN $2 \
                 ELSE last_event_at_ns END \
                 WHERE id = $1 AND status IN ('queued', 'running', 'paused')",
            )
            .bind(run.0)
            .bind(last)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if touched != 1 {
                return Ok(Appended::Closed);
            }
            if let (Some(first), Some(end)) = (rows.first(), rows.last()) {
                let stored = sqlx::query(LAST_ROW).bind(run.0).fetch_optional(&mut *tx).await?;
                if let Some(stored) = stored {
                    let (seq, ts) = (stored.i64("seq")?, stored.i64("ts_ns")?);
                    if first.seq <= seq {
                        let taken: Vec<i64> = sqlx::query_scalar(SEQS_IN)
                            .bind(run.0)
                            .bind(first.seq)
                            .bind(end.seq.min(seq))
                            .fetch_all(&mut *tx)
                            .await?;
                        let repeated = taken
                            .iter()
                            .find(|s| rows.binary_search_by_key(*s, |r| r.seq).is_ok());
                        return Ok(match repeated {
                            Some(s) => Appended::DuplicateSeq(*s),
                            None => Appended::OutOfOrder { first: first.seq, last: seq },
                        });
                    }
                    if first.ts_ns < ts {
                        return Ok(Appended::EarlierThanStored {
                            first: (first.seq, first.ts_ns),
                            last: (seq, ts),
                        });
                    }
                }
                RowsIo::insert_rows(&mut *tx, run.0, &rows).await?;
            }
            let Some(points) = &points else {
                return Ok(Appended::DuplicateEquity);
            };
            if let (Some(first), Some(last)) = (points.first(), points.last()) {
                let (first, last) = (first.ts.nanos(), last.ts.nanos());
                // Stored chunks whose range overlaps this batch's: normally none
                // (batches follow each other in time); else no time may repeat.
                let overlapping = sqlx::query(
                    "SELECT first_ts_ns, last_ts_ns, n, data FROM equity_chunks \
                     WHERE run_id = $1 AND first_ts_ns <= $2 AND last_ts_ns >= $3",
                )
                .bind(run.0)
                .bind(last)
                .bind(first)
                .fetch_all(&mut *tx)
                .await?;
                let mut stored = Vec::new();
                for r in &overlapping {
                    decode_equity(r, run.0, &mut stored)?;
                }
                if stored
                    .iter()
                    .any(|s| points.binary_search_by_key(&s.ts, |p| p.ts).is_ok())
                {
                    return Ok(Appended::DuplicateEquity);
                }
                sqlx::query(INSERT_EQUITY_CHUNK)
                    .bind(run.0)
                    .bind(first)
                    .bind(last)
                    .bind(points.len() as i64)
                    .bind(encode_equity(points))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(f) = finish {
                // The run is open: the first statement of this transaction found it so.
                sqlx::query(crate::runs::FINISH_SQL)
                    .bind(run.0)
                    .bind(f.status.as_str())
                    .bind(f.reason)
                    .bind(f.summary.map(sqlx::types::Json))
                    .bind(crate::db::now().nanos())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Appended::Written)
        }.await);
        match written {
            Ok(Appended::Written) => return Ok(()),
            Ok(Appended::DuplicateSeq(seq)) => {
                return Err(duplicate(run, format!("seq {seq}")));
            }
            Ok(Appended::OutOfOrder { first, last }) => {
                return Err(StoreError::Conflict {
                    what: "audit row",
                    message: format!(
                        "run {run}: seq {first} does not follow the last stored seq {last}; \
                         a run's trail is appended in seq order"
                    ),
                });
            }
            Ok(Appended::EarlierThanStored { first, last }) => {
                return Err(earlier(run, first.0, first.1, last.0, last.1));
            }
            Ok(Appended::DuplicateEquity) => {
                return Err(duplicate(run, "an equity time already stored".into()));
            }
            Ok(Appended::Closed) => {}
            Err(StoreError::Database(e)) if is_unique_violation(&e) => {
                return Err(duplicate(run, "a seq or equity time already stored".into()));
            }
            Err(e) => return Err(e),
        }
        let status = self.store.runs().get_any(run).await?.status;
        Err(StoreError::Conflict {
            what: "run",
            message: format!("run {run} is {status}; its audit trail is closed"),
        })
    }
}
