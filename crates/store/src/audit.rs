//! The audit trail of a run: decisions, orders, fills, equity points and run events,
//! appended in batches (one transaction per [`AuditBatch`], all or nothing).

use crate::db::{BeginWrite, RowExt, text_enum, with_pool};
use crate::error::{Result, StoreError, is_unique_violation};
use crate::{RunId, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use tradelab_core::{Fill, Money, OrderId, OrderType, Quantity, Side, Sizing, Symbol, Timestamp};

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

/// Equity at a step's close.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EquityRow {
    pub ts: Timestamp,
    pub equity: Money,
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
const ROWS_PER_STATEMENT: usize = 2000;

macro_rules! insert_rows {
    ($tx:ident, $head:expr, $rows:expr, |$b:ident, $r:ident| $push:block) => {
        for chunk in $rows.chunks(ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::new($head);
            qb.push_values(chunk, |mut $b, $r| $push);
            qb.build().execute(&mut *$tx).await?;
        }
    };
}

/// Writes equity points on one backend's connection (the bulk of a replay's rows).
trait WriteEquity {
    fn write_equity(
        &mut self,
        run: i64,
        rows: &[EquityRow],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

impl WriteEquity for sqlx::SqliteConnection {
    async fn write_equity(&mut self, run: i64, rows: &[EquityRow]) -> Result<(), sqlx::Error> {
        let tx = self;
        insert_rows!(
            tx,
            "INSERT INTO equity (run_id, ts_ns, equity, invested) ",
            rows,
            |b, r| {
                b.push_bind(run)
                    .push_bind(r.ts.nanos())
                    .push_bind(decimal_text(r.equity.get()))
                    .push_bind(r.invested);
            }
        );
        Ok(())
    }
}

impl WriteEquity for sqlx::PgConnection {
    /// One `INSERT … SELECT FROM UNNEST(arrays)`: four parameters for any row count.
    async fn write_equity(&mut self, run: i64, rows: &[EquityRow]) -> Result<(), sqlx::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO equity (run_id, ts_ns, equity, invested) \
             SELECT $1, t.* FROM UNNEST($2::int8[], $3::text[], $4::bool[]) AS t",
        )
        .bind(run)
        .bind(rows.iter().map(|r| r.ts.nanos()).collect::<Vec<i64>>())
        .bind(
            rows.iter()
                .map(|r| decimal_text(r.equity.get()))
                .collect::<Vec<String>>(),
        )
        .bind(rows.iter().map(|r| r.invested).collect::<Vec<bool>>())
        .execute(&mut *self)
        .await?;
        Ok(())
    }
}

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
        let written: std::result::Result<u64, sqlx::Error> = with_pool!(self.store, p => async {
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
                insert_rows!(tx, "INSERT INTO decisions (run_id, seq, ts_ns, symbol, action, quantity, reasoning, inputs) ",
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
                for chunk in orders.chunks(ROWS_PER_STATEMENT) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO orders (run_id, order_id, client_order_id, ts_ns, symbol, side, \
                         order_type, limit_price, stop_price, qty, sizing, status, reject_rule, reject_reason) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        let (kind, limit, stop) = order_type_parts(&r.order_type);
                        b.push_bind(run.0)
                            .push_bind(r.order_id)
                            .push_bind(r.client_order_id.as_deref())
                            .push_bind(r.ts.nanos())
                            .push_bind(r.symbol.as_str())
                            .push_bind(r.side.to_string())
                            .push_bind(kind)
                            .push_bind(limit)
                            .push_bind(stop)
                            .push_bind(r.qty.map(|q| decimal_text(q.get())))
                            .push_bind(sqlx::types::Json(&r.sizing))
                            .push_bind(r.status.as_str())
                            .push_bind(r.reject_rule.as_deref())
                            .push_bind(r.reject_reason.as_deref());
                    });
                    qb.push(
                        " ON CONFLICT (run_id, order_id) DO UPDATE SET status = excluded.status, \
                         qty = COALESCE(excluded.qty, orders.qty), \
                         reject_rule = COALESCE(excluded.reject_rule, orders.reject_rule), \
                         reject_reason = COALESCE(excluded.reject_reason, orders.reject_reason), \
                         client_order_id = COALESCE(orders.client_order_id, excluded.client_order_id)",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                insert_rows!(tx, "INSERT INTO fills (run_id, order_id, ts_ns, symbol, side, price, qty, commission, slippage) ",
                    fills, |b, r| {
                    let (order_id, f) = *r;
                    b.push_bind(run.0)
                        .push_bind(order_id)
                        .push_bind(f.ts.nanos())
                        .push_bind(f.symbol.as_str())
                        .push_bind(f.side.to_string())
                        .push_bind(decimal_text(f.price.get()))
                        .push_bind(decimal_text(f.qty.get()))
                        .push_bind(decimal_text(f.commission.get()))
                        .push_bind(decimal_text(f.slippage.get()));
                });
                tx.write_equity(run.0, &batch.equity).await?;
                insert_rows!(tx, "INSERT INTO run_events (run_id, seq, ts_ns, kind, detail) ", batch.events, |b, r| {
                    b.push_bind(run.0)
                        .push_bind(r.seq)
                        .push_bind(r.ts.nanos())
                        .push_bind(r.kind.as_str())
                        .push_bind(sqlx::types::Json(&r.detail));
                });
                tx.commit().await?;
            }
            Ok(touched)
        }.await);
        let touched = written.map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate {
                    what: "audit row",
                    name: format!("run {run}: a seq, order id or equity time already stored"),
                }
            } else {
                StoreError::Database(e)
            }
        })?;
        if touched == 1 {
            return Ok(());
        }
        let status = self.store.runs().get(run).await?.status;
        Err(StoreError::Conflict {
            what: "run",
            message: format!("run {run} is {status}; its audit trail is closed"),
        })
    }
}

fn parse_side(col: &'static str, text: &str) -> Result<Side> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(StoreError::invalid(col, format!("stored side {other:?}"))),
    }
}

fn decision_from_row(row: &impl RowExt) -> Result<DecisionRow> {
    Ok(DecisionRow {
        seq: row.i64("seq")?,
        ts: row.ts("ts_ns")?,
        symbol: row.opt_parse("symbol")?,
        action: row.text("action")?,
        quantity: row.opt_parse("quantity")?,
        reasoning: row.text("reasoning")?,
        inputs: row.json("inputs")?,
    })
}

fn order_from_row(row: &impl RowExt) -> Result<OrderRow> {
    let order_type = match row.text("order_type")?.as_str() {
        "market" => OrderType::Market,
        "limit" => OrderType::Limit(
            row.opt_parse("limit_price")?
                .ok_or_else(|| StoreError::invalid("limit_price", "missing on a limit order"))?,
        ),
        "stop" => OrderType::Stop(
            row.opt_parse("stop_price")?
                .ok_or_else(|| StoreError::invalid("stop_price", "missing on a stop order"))?,
        ),
        other => {
            return Err(StoreError::invalid(
                "order_type",
                format!("stored type {other:?}"),
            ));
        }
    };
    Ok(OrderRow {
        order_id: row.opt_i64("order_id")?,
        client_order_id: row.opt_text("client_order_id")?,
        ts: row.ts("ts_ns")?,
        symbol: row.parse("symbol")?,
        side: parse_side("side", &row.text("side")?)?,
        order_type,
        qty: row.opt_parse("qty")?,
        sizing: row.json_as("sizing")?,
        status: row.parse("status")?,
        reject_rule: row.opt_text("reject_rule")?,
        reject_reason: row.opt_text("reject_reason")?,
    })
}

fn fill_from_row(row: &impl RowExt) -> Result<Fill> {
    let order_id = row.i64("order_id")?;
    Ok(Fill {
        order_id: OrderId(
            u64::try_from(order_id)
                .map_err(|_| StoreError::invalid("order_id", format!("stored id {order_id}")))?,
        ),
        ts: row.ts("ts_ns")?,
        symbol: row.parse("symbol")?,
        side: parse_side("side", &row.text("side")?)?,
        qty: row.parse("qty")?,
        price: row.parse("price")?,
        commission: row.parse("commission")?,
        slippage: row.parse("slippage")?,
    })
}

fn equity_from_row(row: &impl RowExt) -> Result<EquityRow> {
    Ok(EquityRow {
        ts: row.ts("ts_ns")?,
        equity: row.parse("equity")?,
        invested: row.bool("invested")?,
    })
}

fn event_from_row(row: &impl RowExt) -> Result<EventRow> {
    Ok(EventRow {
        seq: row.i64("seq")?,
        ts: row.ts("ts_ns")?,
        kind: row.text("kind")?,
        detail: row.json("detail")?,
    })
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
        read_rows!(
            self,
            "SELECT ts_ns, equity, invested FROM equity WHERE run_id = $1 ORDER BY ts_ns",
            run,
            equity_from_row
        )
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
            (SELECT COUNT(*) FROM equity WHERE run_id = $1) AS equity, \
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
