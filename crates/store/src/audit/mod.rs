//! The audit trail of a run: decisions, orders, fills, equity points and run events,
//! appended in batches (one transaction per [`AuditBatch`], all or nothing).

use crate::db::{BeginWrite, RowExt, text_enum, with_pool};
use crate::error::{Result, StoreError, is_unique_violation};
use crate::{Backend, RunId, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use tradelab_core::{Fill, OrderId, OrderType, Quantity, Side, Sizing, Symbol, Timestamp};

/// A decider's decision with its reasoning and the inputs it saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionRow {
    /// Position in the run's decision stream; unique per run.
    pub seq: i64,
    pub ts: Timestamp,
    pub symbol: Option<Symbol>,
    /// `buy`, `sell`, `hold`, `close`, …
    pub action: String,
    pub quantity: Option<Quantity>,
    pub reasoning: String,
    /// The context the decider saw (indicators, prompt excerpt, tool results).
    pub inputs: Value,
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

/// A notable run event: automatic exit, halt, circuit breaker, kill switch, …
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// Position in the run's event stream; unique per run.
    pub seq: i64,
    pub ts: Timestamp,
    pub kind: String,
    pub detail: Value,
}

/// Rows to append to one run in one transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditBatch {
    pub decisions: Vec<DecisionRow>,
    pub orders: Vec<OrderRow>,
    pub fills: Vec<Fill>,
    pub equity: Vec<EquityRow>,
    pub events: Vec<EventRow>,
}

impl AuditBatch {
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

    /// Orders with the same id merged into one row (later status wins), so one
    /// statement never touches a row twice.
    fn merged_orders(&self) -> Vec<OrderRow> {
        let mut out: Vec<OrderRow> = Vec::with_capacity(self.orders.len());
        let mut at: HashMap<i64, usize> = HashMap::new();
        for row in &self.orders {
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

/// Rows per multi-row `INSERT` (below SQLite's 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 2048;

/// Multi-row `INSERT`s of at most [`ROWS_PER_STATEMENT`] rows, each a power of two, so
/// a handful of statement texts recur and stay prepared in the connection's cache
/// (SQLite spends more time parsing a fresh 2,000-row statement than running it).
macro_rules! insert_rows {
    ($tx:ident, $head:expr, $tail:expr, $rows:expr, |$b:ident, $r:ident| $push:block) => {
        let mut rest = &$rows[..];
        while !rest.is_empty() {
            let n = rest.len().min(ROWS_PER_STATEMENT);
            let n = 1usize << n.ilog2();
            let (part, tail) = rest.split_at(n);
            rest = tail;
            let mut qb = sqlx::QueryBuilder::new($head);
            qb.push_values(part, |mut $b, $r| $push);
            qb.push($tail);
            qb.build().execute(&mut *$tx).await?;
        }
    };
}

mod equity;
mod rows;

pub(crate) use equity::convert_legacy_equity;
use equity::{INSERT_EQUITY_CHUNK, decode_equity, encode_equity, sorted_points};
use rows::{decision_from_row, event_from_row, fill_from_row, order_from_row};

/// What an append transaction did.
enum Appended {
    Written,
    /// The run is not queued or running.
    Closed,
    /// An equity time is repeated (in the batch or against stored points).
    DuplicateEquity,
}

/// The JSON row arrays of a batch's decisions, merged orders and fills (PostgreSQL).
#[allow(clippy::type_complexity)]
fn pg_json_rows(
    batch: &AuditBatch,
    orders: &[OrderRow],
    fills: &[(i64, &Fill)],
) -> Result<(Option<String>, Option<String>, Option<String>)> {
    let decisions = json_rows(batch.decisions.iter().map(|r| {
        (
            r.seq,
            r.ts.nanos(),
            r.symbol.as_ref().map(Symbol::as_str),
            r.action.as_str(),
            r.quantity.map(|q| decimal_text(q.get())),
            r.reasoning.as_str(),
            &r.inputs,
        )
    }))?;
    let orders_json = json_rows(orders.iter().map(|r| {
        let (kind, limit, stop) = order_type_parts(&r.order_type);
        (
            r.order_id,
            r.client_order_id.as_deref(),
            r.ts.nanos(),
            r.symbol.as_str(),
            side_text(r.side),
            kind,
            limit,
            stop,
            r.qty.map(|q| decimal_text(q.get())),
            &r.sizing,
            r.status.as_str(),
            r.reject_rule.as_deref(),
            r.reject_reason.as_deref(),
        )
    }))?;
    let fills_json = json_rows(fills.iter().map(|(order_id, f)| {
        (
            order_id,
            f.ts.nanos(),
            f.symbol.as_str(),
            side_text(f.side),
            decimal_text(f.price.get()),
            decimal_text(f.qty.get()),
            decimal_text(f.commission.get()),
            decimal_text(f.slippage.get()),
        )
    }))?;
    Ok((decisions, orders_json, fills_json))
}

/// `[row, row, …]` with each row a JSON array, or `None` when there are no rows.
fn json_rows<T: Serialize>(rows: impl ExactSizeIterator<Item = T>) -> Result<Option<String>> {
    if rows.len() == 0 {
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(rows.len() * 96);
    buf.push(b'[');
    for (i, row) in rows.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, &row)
            .map_err(|e| StoreError::invalid("audit row", format!("cannot encode: {e}")))?;
    }
    buf.push(b']');
    String::from_utf8(buf)
        .map(Some)
        .map_err(|e| StoreError::invalid("audit row", e.to_string()))
}

fn side_text(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// PostgreSQL statements appending decisions, orders and fills from a JSON array of
/// rows (`$2`) to run `$1`, in array order.
struct AppendSql {
    decisions: &'static str,
    orders: &'static str,
    fills: &'static str,
}

/// Appending an order id the run has updates the stored order.
macro_rules! order_upsert {
    () => {
        " ON CONFLICT (run_id, order_id) DO UPDATE SET status = excluded.status, \
         qty = COALESCE(excluded.qty, orders.qty), \
         reject_rule = COALESCE(excluded.reject_rule, orders.reject_rule), \
         reject_reason = COALESCE(excluded.reject_reason, orders.reject_reason), \
         client_order_id = COALESCE(orders.client_order_id, excluded.client_order_id)"
    };
}

/// PostgreSQL: `jsonb_array_elements … WITH ORDINALITY` (the text is parsed once;
/// `json` would re-parse a row per `->>`), cast per column.
const PG_APPEND: AppendSql = AppendSql {
    decisions: "INSERT INTO decisions (run_id, seq, ts_ns, symbol, action, quantity, reasoning, inputs) \
         SELECT $1, (e->>0)::int8, (e->>1)::int8, e->>2, e->>3, e->>4, e->>5, e->6 \
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, i) ORDER BY i",
    orders: concat!(
        "INSERT INTO orders (run_id, order_id, client_order_id, ts_ns, symbol, side, order_type, \
         limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason) \
         SELECT $1, (e->>0)::int8, e->>1, (e->>2)::int8, e->>3, e->>4, e->>5, e->>6, e->>7, e->>8, \
         e->9, e->>10, e->>11, e->>12 \
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, i) ORDER BY i",
        order_upsert!()
    ),
    fills: "INSERT INTO fills (run_id, order_id, ts_ns, symbol, side, price, qty, commission, slippage) \
         SELECT $1, (e->>0)::int8, (e->>1)::int8, e->>2, e->>3, e->>4, e->>5, e->>6, e->>7 \
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, i) ORDER BY i",
};

fn decimal_text(d: rust_decimal::Decimal) -> String {
    d.to_string()
}

fn order_type_parts(t: &OrderType) -> (&'static str, Option<String>, Option<String>) {
    match t {
        OrderType::Market => ("market", None, None),
        OrderType::Limit(p) => ("limit", Some(decimal_text(p.get())), None),
        OrderType::Stop(p) => ("stop", None, Some(decimal_text(p.get()))),
    }
}

fn order_id_i64(id: OrderId) -> Result<i64> {
    i64::try_from(id.0).map_err(|_| StoreError::invalid("order id", format!("{id} is too large")))
}

impl Audit<'_> {
    /// Appends a batch to a queued or running run in one transaction: every row is
    /// written, or (on any error, e.g. a repeated `seq`) none is. Also advances the
    /// run's `last_event_at`.
    pub async fn append(&self, run: RunId, batch: &AuditBatch) -> Result<()> {
        let fills: Vec<(i64, &Fill)> = batch
            .fills
            .iter()
            .map(|f| order_id_i64(f.order_id).map(|id| (id, f)))
            .collect::<Result<_>>()?;
        let orders = batch.merged_orders();
        let last = batch.last_ts().map(Timestamp::nanos);
        let points = sorted_points(&batch.equity);
        // PostgreSQL takes decisions, orders and fills as one JSON array of row arrays
        // per table and statement: one parameter and one round trip each, instead of
        // thousands of bound values. (SQLite, in process, binds values faster than it
        // re-extracts them from JSON.)
        let pg_rows = match self.store.backend() {
            Backend::Sqlite => None,
            Backend::Postgres => Some(pg_json_rows(batch, &orders, &fills)?),
        };
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
            if touched == 1 {
                if let Some(pg) = &pg_rows {
                    for (sql, rows) in [
                        (PG_APPEND.decisions, &pg.0),
                        (PG_APPEND.orders, &pg.1),
                        (PG_APPEND.fills, &pg.2),
                    ] {
                        if let Some(rows) = rows {
                            sqlx::query(sql)
                                .bind(run.0)
                                .bind(rows.as_str())
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                } else {
                    insert_rows!(tx, "INSERT INTO decisions (run_id, seq, ts_ns, symbol, action, quantity, reasoning, inputs) ", "",
                        batch.decisions, |b, r| {
                        b.push_bind(run.0)
                            .push_bind(r.seq)
                            .push_bind(r.ts.nanos())
                            .push_bind(r.symbol.as_ref().map(|s| s.as_str()))
                            .push_bind(r.action.as_str())
                            .push_bind(r.quantity.map(|q| decimal_text(q.get())))
                            .push_bind(r.reasoning.as_str())
                            .push_bind(sqlx::types::Json(&r.inputs));
                    });
                    insert_rows!(tx, "INSERT INTO orders (run_id, order_id, client_order_id, ts_ns, symbol, side, \
                         order_type, limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason) ",
                        order_upsert!(), orders, |b, r| {
                        let (kind, limit, stop) = order_type_parts(&r.order_type);
                        b.push_bind(run.0)
                            .push_bind(r.order_id)
                            .push_bind(r.client_order_id.as_deref())
                            .push_bind(r.ts.nanos())
                            .push_bind(r.symbol.as_str())
                            .push_bind(side_text(r.side))
                            .push_bind(kind)
                            .push_bind(limit)
                            .push_bind(stop)
                            .push_bind(r.qty.map(|q| decimal_text(q.get())))
                            .push_bind(sqlx::types::Json(&r.sizing))
                            .push_bind(r.status.as_str())
                            .push_bind(r.reject_rule.as_deref())
                            .push_bind(r.reject_reason.as_deref());
                    });
                    insert_rows!(tx, "INSERT INTO fills (run_id, order_id, ts_ns, symbol, side, price, qty, commission, slippage) ", "",
                        fills, |b, r| {
                        let (order_id, f) = *r;
                        b.push_bind(run.0)
                            .push_bind(order_id)
                            .push_bind(f.ts.nanos())
                            .push_bind(f.symbol.as_str())
                            .push_bind(side_text(f.side))
                            .push_bind(decimal_text(f.price.get()))
                            .push_bind(decimal_text(f.qty.get()))
                            .push_bind(decimal_text(f.commission.get()))
                            .push_bind(decimal_text(f.slippage.get()));
                    });
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
                insert_rows!(tx, "INSERT INTO run_events (run_id, seq, ts_ns, kind, detail) ", "", batch.events, |b, r| {
                    b.push_bind(run.0)
                        .push_bind(r.seq)
                        .push_bind(r.ts.nanos())
                        .push_bind(r.kind.as_str())
                        .push_bind(sqlx::types::Json(&r.detail));
                });
                tx.commit().await?;
                return Ok(Appended::Written);
            }
            Ok(Appended::Closed)
        }.await);
        let duplicate = || StoreError::Duplicate {
            what: "audit row",
            name: format!("run {run}: a seq, order id or equity time already stored"),
        };
        match written {
            Ok(Appended::Written) => return Ok(()),
            Ok(Appended::DuplicateEquity) => return Err(duplicate()),
            Ok(Appended::Closed) => {}
            Err(StoreError::Database(e)) if is_unique_violation(&e) => return Err(duplicate()),
            Err(e) => return Err(e),
        }
        let status = self.store.runs().get(run).await?.status;
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

macro_rules! read_rows {
    ($self:ident, $sql:expr, $run:expr, $conv:path) => {
        with_pool!($self.store, p => {
            let rows = sqlx::query($sql).bind($run.0).fetch_all(p).await?;
            rows.iter().map($conv).collect()
        })
    };
}

impl Audit<'_> {
    /// A run's decisions, by `seq`.
    pub async fn decisions(&self, run: RunId) -> Result<Vec<DecisionRow>> {
        read_rows!(
            self,
            "SELECT seq, ts_ns, symbol, action, quantity, reasoning, inputs \
             FROM decisions WHERE run_id = $1 ORDER BY seq",
            run,
            decision_from_row
        )
    }

    /// A run's orders, in placement order.
    pub async fn orders(&self, run: RunId) -> Result<Vec<OrderRow>> {
        read_rows!(
            self,
            "SELECT order_id, client_order_id, ts_ns, symbol, side, order_type, \
             limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason \
             FROM orders WHERE run_id = $1 ORDER BY ts_ns, id",
            run,
            order_from_row
        )
    }

    /// A run's fills, in execution order.
    pub async fn fills(&self, run: RunId) -> Result<Vec<Fill>> {
        read_rows!(
            self,
            "SELECT order_id, ts_ns, symbol, side, price, qty, commission, slippage \
             FROM fills WHERE run_id = $1 ORDER BY ts_ns, id",
            run,
            fill_from_row
        )
    }

    /// A run's equity curve, by time.
    pub async fn equity(&self, run: RunId) -> Result<Vec<EquityRow>> {
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
    pub async fn events(&self, run: RunId) -> Result<Vec<EventRow>> {
        read_rows!(
            self,
            "SELECT seq, ts_ns, kind, detail FROM run_events WHERE run_id = $1 ORDER BY seq",
            run,
            event_from_row
        )
    }

    /// How many rows of each kind a run has.
    pub async fn counts(&self, run: RunId) -> Result<AuditCounts> {
        let sql = "SELECT \
            (SELECT COUNT(*) FROM decisions WHERE run_id = $1) AS decisions, \
            (SELECT COUNT(*) FROM orders WHERE run_id = $1) AS orders, \
            (SELECT COUNT(*) FROM fills WHERE run_id = $1) AS fills, \
            (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM equity_chunks WHERE run_id = $1) AS equity, \
            (SELECT COUNT(*) FROM run_events WHERE run_id = $1) AS events";
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
