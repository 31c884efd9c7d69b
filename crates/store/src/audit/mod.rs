//! The audit trail of a run: decisions, orders, fills, equity points and run events,
//! appended in batches (one transaction per [`AuditBatch`], all or nothing).

use crate::db::{BeginWrite, RowExt, text_enum, with_pool};
use crate::error::{Result, StoreError, is_unique_violation};
use crate::{RunId, Store, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use tradelab_core::{Fill, OrderId, OrderType, Quantity, Side, Sizing, Symbol, Timestamp};

/// A decider's decision with its reasoning and the inputs it saw. `J` is how the
/// JSON inputs are held: a parsed [`Value`] (what the readers return), or JSON text
/// serialized straight from a typed value (`Box<serde_json::value::RawValue>`), which
/// is cheaper to build on the engine's hot path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionRow<J = Value> {
    /// Position in the run's decision stream; unique per run.
    pub seq: i64,
    pub ts: Timestamp,
    pub symbol: Option<Symbol>,
    /// `buy`, `sell`, `hold`, `close`, …
    pub action: String,
    pub quantity: Option<Quantity>,
    pub reasoning: String,
    /// The context the decider saw (indicators, prompt excerpt, tool results).
    pub inputs: J,
}

text_enum!(
    /// Where an order stands.
    OrderStatus {
        /// Passed the risk engine, working at the broker.
        Accepted => "accepted",
        /// Fully executed.
        Filled => "filled",
        /// Withdrawn before it filled.
        Cancelled => "cancelled",
        /// Refused by a rule (see `reject_rule`, `reject_reason`).
        Rejected => "rejected",
    }
);

/// An order, accepted or rejected. Appending a row with an `order_id` the run already
/// has updates that order's status, quantity and rejection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    /// The engine's order id; `None` for an intent refused before it got one.
    pub order_id: Option<i64>,
    pub client_order_id: Option<String>,
    /// When the order was placed (or refused).
    pub ts: Timestamp,
    pub symbol: Symbol,
    pub side: Side,
    pub order_type: OrderType,
    /// Resolved units, once known.
    pub qty: Option<Quantity>,
    /// How the decider sized it.
    pub sizing: Sizing,
    pub status: OrderStatus,
    /// The rule that refused it (snake_case kind).
    pub reject_rule: Option<String>,
    pub reject_reason: Option<String>,
}

/// Equity at a step's close. The equity curve is analytics data: stored as `f64`
/// (the exact ledger is in fills and the run summary).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EquityRow {
    /// The step's time.
    pub ts: Timestamp,
    /// Account equity at the step's close.
    pub equity: f64,
    /// Whether any position was open.
    pub invested: bool,
}

/// A notable run event: automatic exit, halt, circuit breaker, kill switch, … `J` holds
/// the JSON detail, as in [`DecisionRow`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow<J = Value> {
    /// Position in the run's event stream; unique per run.
    pub seq: i64,
    pub ts: Timestamp,
    pub kind: String,
    pub detail: J,
}

/// Rows to append to one run in one transaction, with JSON documents held as `J` (see
/// [`DecisionRow`]); [`AuditBatch`] is the usual form, with parsed values.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditBatchOf<J = Value> {
    pub decisions: Vec<DecisionRow<J>>,
    pub orders: Vec<OrderRow>,
    pub fills: Vec<Fill>,
    pub equity: Vec<EquityRow>,
    pub events: Vec<EventRow<J>>,
}

/// Rows to append to one run in one transaction.
pub type AuditBatch = AuditBatchOf<Value>;

impl<J> Default for AuditBatchOf<J> {
    fn default() -> Self {
        AuditBatchOf {
            decisions: Vec::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            equity: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl<J> AuditBatchOf<J> {
    /// Number of rows in the batch.
    pub fn len(&self) -> usize {
        self.decisions.len()
            + self.orders.len()
            + self.fills.len()
            + self.equity.len()
            + self.events.len()
    }

    /// True when there is nothing to append.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.decisions.clear();
        self.orders.clear();
        self.fills.clear();
        self.equity.clear();
        self.events.clear();
    }

    /// Newest time of any row.
    fn last_ts(&self) -> Option<Timestamp> {
        let d = self.decisions.iter().map(|r| r.ts);
        let o = self.orders.iter().map(|r| r.ts);
        let f = self.fills.iter().map(|r| r.ts);
        let e = self.equity.iter().map(|r| r.ts);
        let v = self.events.iter().map(|r| r.ts);
        d.chain(o).chain(f).chain(e).chain(v).max()
    }

    /// The batch's orders with the same id merged into one row.
    fn merged_orders(&self) -> Vec<OrderRow> {
        merge_orders(&self.orders)
    }
}

/// Orders with the same id merged into the first one's row (later status wins), as
/// appending an order id again updates the stored order.
fn merge_orders(rows: &[OrderRow]) -> Vec<OrderRow> {
    let mut out: Vec<OrderRow> = Vec::with_capacity(rows.len());
    let mut at: HashMap<i64, usize> = HashMap::new();
    for row in rows {
        match row.order_id.and_then(|id| at.get(&id).copied()) {
            Some(i) => merge_order(&mut out[i], row),
            None => {
                if let Some(id) = row.order_id {
                    at.insert(id, out.len());
                }
                out.push(row.clone());
            }
        }
    }
    out
}

fn merge_order(into: &mut OrderRow, later: &OrderRow) {
    into.status = later.status;
    into.qty = later.qty.or(into.qty);
    into.reject_rule = later.reject_rule.clone().or(into.reject_rule.take());
    into.reject_reason = later.reject_reason.clone().or(into.reject_reason.take());
    if into.client_order_id.is_none() {
        into.client_order_id = later.client_order_id.clone();
    }
}

/// The audit repository: `store.audit()`.
pub struct Audit<'a> {
    pub(crate) store: &'a Store,
}

mod chunks;
mod codec;
mod equity;
mod legacy;
mod rows;

use chunks::{
    Kind, NewChunk, SELECT_CHUNKS, SELECT_OVERLAPPING, decode_decisions, decode_events,
    decode_fills, decode_orders, unique_sorted,
};
pub(crate) use equity::convert_legacy_equity;
use equity::{INSERT_EQUITY_CHUNK, decode_equity, encode_equity, sorted_points};
pub(crate) use legacy::convert_legacy_rows;

/// What an append transaction did.
enum Appended {
    Written,
    /// The run is not queued or running.
    Closed,
    /// A seq or an equity time is repeated (in the batch or against stored rows).
    Duplicate,
}

/// A batch encoded into chunks, before its transaction.
struct Prepared {
    /// Decision and event seqs, sorted; `None` when one repeats within the batch.
    decision_seqs: Option<Vec<i64>>,
    event_seqs: Option<Vec<i64>>,
    /// The ids of the batch's merged orders, in order.
    order_ids: Vec<Option<i64>>,
    decisions: Option<NewChunk>,
    orders: Option<NewChunk>,
    fills: Option<NewChunk>,
    events: Option<NewChunk>,
}

impl Prepared {
    fn new<J: Serialize>(batch: &AuditBatchOf<J>) -> Result<Prepared> {
        for f in &batch.fills {
            order_id_i64(f.order_id)?;
        }
        let orders = batch.merged_orders();
        let some = |rows: usize| rows > 0;
        Ok(Prepared {
            decision_seqs: unique_sorted(batch.decisions.iter().map(|r| r.seq)),
            event_seqs: unique_sorted(batch.events.iter().map(|r| r.seq)),
            order_ids: orders.iter().map(|o| o.order_id).collect(),
            decisions: some(batch.decisions.len())
                .then(|| chunks::decision_chunk(&batch.decisions))
                .transpose()?,
            orders: some(orders.len())
                .then(|| chunks::order_chunk(&orders))
                .transpose()?,
            fills: some(batch.fills.len())
                .then(|| chunks::fill_chunk(&batch.fills))
                .transpose()?,
            events: some(batch.events.len())
                .then(|| chunks::event_chunk(&batch.events))
                .transpose()?,
        })
    }
}

/// Inserts one audit chunk of run `$run` in transaction `$tx`.
macro_rules! insert_chunk {
    ($tx:ident, $run:expr, $chunk:expr) => {{
        let c: &$crate::audit::chunks::NewChunk = $chunk;
        sqlx::query($crate::audit::chunks::INSERT_CHUNK)
            .bind($run)
            .bind(c.kind.as_str())
            .bind(c.first_key)
            .bind(c.last_key)
            .bind(c.n)
            .bind(c.n_rows)
            .bind(c.data.as_slice())
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use insert_chunk;

fn order_id_i64(id: OrderId) -> Result<i64> {
    i64::try_from(id.0).map_err(|_| StoreError::invalid("order id", format!("{id} is too large")))
}

impl Audit<'_> {
    /// System only (the runner's writer, for a run it created; it takes no owner):
    /// appends a batch to a queued or running run in one transaction: every row is
    /// written, or (on any error, e.g. a repeated `seq`) none is. Also advances the
    /// run's `last_event_at`.
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
        let prepared = Prepared::new(batch)?;
        let mut prepared = prepared;
        let last = batch.last_ts().map(Timestamp::nanos);
        let points = sorted_points(&batch.equity);
        let written: Result<Appended> = with_pool!(self.store, p => async {
            let mut tx = p.begin_write().await?;
            let touched = sqlx::query(
                "UPDATE runs SET last_event_at_ns = CASE \
                 WHEN $2 IS NOT NULL AND (last_event_at_ns IS NULL OR last_event_at_ns < $2) THEN $2 \
                 ELSE last_event_at_ns END \
                 WHERE id = $1 AND status IN ('queued', 'running')",
            )
            .bind(run.0)
            .bind(last)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if touched != 1 {
                return Ok(Appended::Closed);
            }
            // Seqs stored by an earlier batch: only chunks whose seq range overlaps
            // this batch's are read (normally none: seqs grow batch after batch).
            for (kind, seqs) in [
                (Kind::Decision, &prepared.decision_seqs),
                (Kind::Event, &prepared.event_seqs),
            ] {
                let Some(seqs) = seqs else { return Ok(Appended::Duplicate) };
                let (Some(lo), Some(hi)) = (seqs.first(), seqs.last()) else { continue };
                let rows = sqlx::query(SELECT_OVERLAPPING)
                    .bind(run.0)
                    .bind(kind.as_str())
                    .bind(*hi)
                    .bind(*lo)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut stored = Vec::new();
                for r in &rows {
                    if kind == Kind::Decision {
                        let mut d = Vec::new();
                        decode_decisions(run.0, r, &mut d)?;
                        stored.extend(d.iter().map(|d| d.seq));
                    } else {
                        let mut e = Vec::new();
                        decode_events(run.0, r, &mut e)?;
                        stored.extend(e.iter().map(|e| e.seq));
                    }
                }
                if stored.iter().any(|s| seqs.binary_search(s).is_ok()) {
                    return Ok(Appended::Duplicate);
                }
            }
            // An order id stored by an earlier batch updates that order: it adds no
            // row to the run's order count.
            if let Some(c) = prepared.orders.as_mut()
                && let (Some(lo), Some(hi)) = (c.first_key, c.last_key)
            {
                let rows = sqlx::query(SELECT_OVERLAPPING)
                    .bind(run.0)
                    .bind(Kind::Order.as_str())
                    .bind(hi)
                    .bind(lo)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut stored = Vec::new();
                for r in &rows {
                    decode_orders(run.0, r, &mut stored)?;
                }
                let ids: HashSet<i64> = stored.iter().filter_map(|o| o.order_id).collect();
                let new = prepared
                    .order_ids
                    .iter()
                    .filter(|id| id.is_none_or(|id| !ids.contains(&id)))
                    .count();
                c.n_rows = new as i64;
            }
            for c in [&prepared.decisions, &prepared.orders, &prepared.fills, &prepared.events]
                .into_iter()
                .flatten()
            {
                insert_chunk!(tx, run.0, c);
            }
            let Some(points) = &points else {
                return Ok(Appended::Duplicate);
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
                    return Ok(Appended::Duplicate);
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
        let duplicate = || StoreError::Duplicate {
            what: "audit row",
            name: format!("run {run}: a seq, order id or equity time already stored"),
        };
        match written {
            Ok(Appended::Written) => return Ok(()),
            Ok(Appended::Duplicate) => return Err(duplicate()),
            Ok(Appended::Closed) => {}
            Err(StoreError::Database(e)) if is_unique_violation(&e) => return Err(duplicate()),
            Err(e) => return Err(e),
        }
        let status = self.store.runs().get_any(run).await?.status;
        Err(StoreError::Conflict {
            what: "run",
            message: format!("run {run} is {status}; its audit trail is closed"),
        })
    }
}

/// Row counts of a run's audit trail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditCounts {
    pub decisions: i64,
    pub orders: i64,
    pub fills: i64,
    pub equity: i64,
    pub events: i64,
}

/// Decodes every chunk of `$kind` of run `$run`, in append order.
macro_rules! read_chunks {
    ($self:ident, $run:expr, $kind:expr, $decode:path) => {{
        let mut out = Vec::new();
        with_pool!($self.store, p => {
            let rows = sqlx::query(SELECT_CHUNKS)
                .bind($run.0)
                .bind($kind.as_str())
                .fetch_all(p)
                .await?;
            for r in &rows {
                $decode($run.0, r, &mut out)?;
            }
        });
        out
    }};
}

/// Stable-sorts rows by `key` unless they already are.
fn sort_by<T, K: Ord>(rows: &mut [T], key: impl Fn(&T) -> K) {
    if !rows.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
        rows.sort_by_key(key);
    }
}

impl Audit<'_> {
    /// [`StoreError::NotFound`] unless `run` is a run of one of `owner`'s models: the
    /// readers below return another owner's run's trail as if the run did not exist.
    async fn check_owner(&self, owner: UserId, run: RunId) -> Result<()> {
        let owned: Option<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar(crate::runs::OWNED_RUN_SQL)
                .bind(run.0)
                .bind(owner.0)
                .fetch_optional(p)
                .await?
        });
        owned
            .map(|_| ())
            .ok_or_else(|| StoreError::not_found("run", run))
    }

    /// A run's decisions, by `seq`. The readers take the run's owner: another
    /// owner's run is [`StoreError::NotFound`], as a missing one.
    #[tracing::instrument(name = "store.audit.decisions", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn decisions(&self, owner: UserId, run: RunId) -> Result<Vec<DecisionRow>> {
        self.check_owner(owner, run).await?;
        let mut rows = read_chunks!(self, run, Kind::Decision, decode_decisions);
        sort_by(&mut rows, |r| r.seq);
        Ok(rows)
    }

    /// A run's orders, in placement order (an order appended again is merged into
    /// its first row).
    #[tracing::instrument(name = "store.audit.orders", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn orders(&self, owner: UserId, run: RunId) -> Result<Vec<OrderRow>> {
        self.check_owner(owner, run).await?;
        let stored: Vec<OrderRow> = read_chunks!(self, run, Kind::Order, decode_orders);
        let mut rows = merge_orders(&stored);
        sort_by(&mut rows, |r| r.ts);
        Ok(rows)
    }

    /// A run's fills, in execution order.
    #[tracing::instrument(name = "store.audit.fills", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn fills(&self, owner: UserId, run: RunId) -> Result<Vec<Fill>> {
        self.check_owner(owner, run).await?;
        let mut rows = read_chunks!(self, run, Kind::Fill, decode_fills);
        sort_by(&mut rows, |r| r.ts);
        Ok(rows)
    }

    /// A run's equity curve, by time.
    #[tracing::instrument(name = "store.audit.equity", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn equity(&self, owner: UserId, run: RunId) -> Result<Vec<EquityRow>> {
        self.check_owner(owner, run).await?;
        let mut points = Vec::new();
        with_pool!(self.store, p => {
            let rows = sqlx::query(
                "SELECT first_ts_ns, last_ts_ns, n, data FROM equity_chunks \
                 WHERE run_id = $1 ORDER BY first_ts_ns",
            )
            .bind(run.0)
            .fetch_all(p)
            .await?;
            for r in &rows {
                decode_equity(r, run.0, &mut points)?;
            }
        });
        // Batches appended out of time order leave overlapping chunks.
        if !points.windows(2).all(|w| w[0].ts < w[1].ts) {
            points.sort_by_key(|p| p.ts);
        }
        Ok(points)
    }

    /// A run's events, by `seq`.
    #[tracing::instrument(name = "store.audit.events", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn events(&self, owner: UserId, run: RunId) -> Result<Vec<EventRow>> {
        self.check_owner(owner, run).await?;
        let mut rows = read_chunks!(self, run, Kind::Event, decode_events);
        sort_by(&mut rows, |r| r.seq);
        Ok(rows)
    }

    /// How many rows of each kind a run has.
    #[tracing::instrument(name = "store.audit.counts", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn counts(&self, owner: UserId, run: RunId) -> Result<AuditCounts> {
        self.check_owner(owner, run).await?;
        let sql = "SELECT \
            (SELECT CAST(COALESCE(SUM(n_rows), 0) AS BIGINT) FROM audit_chunks WHERE run_id = $1 AND kind = 'decision') AS decisions, \
            (SELECT CAST(COALESCE(SUM(n_rows), 0) AS BIGINT) FROM audit_chunks WHERE run_id = $1 AND kind = 'order') AS orders, \
            (SELECT CAST(COALESCE(SUM(n_rows), 0) AS BIGINT) FROM audit_chunks WHERE run_id = $1 AND kind = 'fill') AS fills, \
            (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM equity_chunks WHERE run_id = $1) AS equity, \
            (SELECT CAST(COALESCE(SUM(n_rows), 0) AS BIGINT) FROM audit_chunks WHERE run_id = $1 AND kind = 'event') AS events";
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(run.0).fetch_one(p).await?;
            Ok(AuditCounts {
                decisions: row.i64("decisions")?,
                orders: row.i64("orders")?,
                fills: row.i64("fills")?,
                equity: row.i64("equity")?,
                events: row.i64("events")?,
            })
        })
    }
}
