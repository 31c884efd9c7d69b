//! Schema version 6: the audit trail becomes rows of `run_events`.
//!
//! Runs up to version 5 kept their trail in `audit_chunks` (blobs, version 4) or, from
//! before that, in the row tables `decisions`, `orders`, `fills` and `run_events`
//! (renamed `legacy_run_events` by the version-6 script). In the migration's
//! transaction, each run's old trail is read from both, numbered, written as rows, and
//! the old tables are dropped: nothing is left to convert at a later open.
//!
//! Numbering: the old trail had no common sequence (orders and fills had none), so
//! each run's rows are numbered from 1 in time order, and at one instant decisions,
//! then orders, then fills, then events (each in its stored order): the numbers
//! `runs events` showed before.

use super::append::encode_rows;
use super::chunks::{SELECT_RUN_CHUNKS, decode_chunk};
use super::legacy::{decision_from_row, event_from_row, fill_from_row, order_from_row};
use super::table::RowsIo;
use super::{AuditBatch, AuditEvent, FillRow};
use crate::RunId;
use crate::error::Result;

/// Reading the old trail and dropping its tables, on one backend's connection.
pub(crate) trait ConvertIo: RowsIo + Send {
    /// Runs with an old trail, by id.
    fn runs_to_convert(&mut self) -> impl Future<Output = Result<Vec<i64>>> + Send;
    /// Run `run`'s old trail: legacy rows, then chunk records, each kind in its
    /// stored order (seqs as stored; 0 where there was none).
    fn old_trail(&mut self, run: i64) -> impl Future<Output = Result<Vec<AuditEvent>>> + Send;
    /// Drops the tables of the old trail.
    fn drop_old_tables(&mut self) -> impl Future<Output = Result<()>> + Send;
}

const RUNS_TO_CONVERT: &str = "SELECT run_id FROM audit_chunks \
     UNION SELECT run_id FROM decisions UNION SELECT run_id FROM orders \
     UNION SELECT run_id FROM fills UNION SELECT run_id FROM legacy_run_events ORDER BY 1";
const LEGACY_DECISIONS: &str = "SELECT seq, ts_ns, symbol, action, quantity, reasoning, inputs \
     FROM decisions WHERE run_id = $1 ORDER BY seq";
const LEGACY_ORDERS: &str = "SELECT order_id, client_order_id, ts_ns, symbol, side, order_type, \
     limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason \
     FROM orders WHERE run_id = $1 ORDER BY ts_ns, id";
const LEGACY_FILLS: &str = "SELECT order_id, ts_ns, symbol, side, price, qty, commission, slippage \
     FROM fills WHERE run_id = $1 ORDER BY ts_ns, id";
const LEGACY_EVENTS: &str =
    "SELECT seq, ts_ns, kind, detail FROM legacy_run_events WHERE run_id = $1 ORDER BY seq";
const DROP_OLD_TABLES: [&str; 5] = [
    "DROP TABLE audit_chunks",
    "DROP TABLE decisions",
    "DROP TABLE orders",
    "DROP TABLE fills",
    "DROP TABLE legacy_run_events",
];

macro_rules! impl_convert_io {
    ($conn:ty) => {
        impl ConvertIo for $conn {
            async fn runs_to_convert(&mut self) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar(RUNS_TO_CONVERT)
                    .fetch_all(&mut *self)
                    .await?)
            }

            async fn old_trail(&mut self, run: i64) -> Result<Vec<AuditEvent>> {
                let mut out = Vec::new();
                let rows = sqlx::query(LEGACY_DECISIONS)
                    .bind(run)
                    .fetch_all(&mut *self)
                    .await?;
                for r in &rows {
                    out.push(AuditEvent::Decision(decision_from_row(r)?));
                }
                let rows = sqlx::query(LEGACY_ORDERS)
                    .bind(run)
                    .fetch_all(&mut *self)
                    .await?;
                for r in &rows {
                    out.push(AuditEvent::Order(order_from_row(r)?));
                }
                let rows = sqlx::query(LEGACY_FILLS)
                    .bind(run)
                    .fetch_all(&mut *self)
                    .await?;
                for r in &rows {
                    let fill = fill_from_row(r)?;
                    out.push(AuditEvent::Fill(FillRow { seq: 0, fill }));
                }
                let rows = sqlx::query(LEGACY_EVENTS)
                    .bind(run)
                    .fetch_all(&mut *self)
                    .await?;
                for r in &rows {
                    out.push(AuditEvent::Event(event_from_row(r)?));
                }
                let rows = sqlx::query(SELECT_RUN_CHUNKS)
                    .bind(run)
                    .fetch_all(&mut *self)
                    .await?;
                for r in &rows {
                    decode_chunk(run, r, &mut out)?;
                }
                Ok(out)
            }

            async fn drop_old_tables(&mut self) -> Result<()> {
                for sql in DROP_OLD_TABLES {
                    sqlx::query(sql).execute(&mut *self).await?;
                }
                Ok(())
            }
        }
    };
}
impl_convert_io!(sqlx::SqliteConnection);
impl_convert_io!(sqlx::PgConnection);

/// Where a row of the old trail goes among rows of the same instant.
fn kind_rank(e: &AuditEvent) -> u8 {
    match e {
        AuditEvent::Decision(_) => 0,
        AuditEvent::Order(_) => 1,
        AuditEvent::Fill(_) => 2,
        AuditEvent::Event(_) => 3,
    }
}

/// The old trail numbered from 1 (see the module), as a batch.
pub(super) fn numbered(mut old: Vec<AuditEvent>) -> AuditBatch {
    // Stable: each kind keeps its stored order; decisions and events by their seqs.
    old.sort_by_key(|e| match e {
        AuditEvent::Decision(d) => (kind_rank(e), d.seq),
        AuditEvent::Event(v) => (kind_rank(e), v.seq),
        _ => (kind_rank(e), 0),
    });
    old.sort_by_key(|e| (e.ts(), kind_rank(e)));
    let mut batch = AuditBatch::default();
    for (seq, e) in (1..).zip(old) {
        match e {
            AuditEvent::Decision(mut d) => {
                d.seq = seq;
                batch.decisions.push(d);
            }
            AuditEvent::Order(mut o) => {
                o.seq = seq;
                batch.orders.push(o);
            }
            AuditEvent::Fill(mut f) => {
                f.seq = seq;
                batch.fills.push(f);
            }
            AuditEvent::Event(mut v) => {
                v.seq = seq;
                batch.events.push(v);
            }
        }
    }
    batch
}

/// Converts every run's old trail into rows of `run_events` and drops the old
/// tables, on the connection of the migration's transaction.
pub(crate) async fn convert_to_rows<C: ConvertIo>(conn: &mut C) -> Result<()> {
    for run in conn.runs_to_convert().await? {
        let batch = numbered(conn.old_trail(run).await?);
        let rows = encode_rows(RunId(run), &batch)?;
        conn.insert_rows(run, &rows).await?;
    }
    conn.drop_old_tables().await
}
