//! The audit trail of a run. Decisions, order events (accepted, rejected, cancelled),
//! fills and run events (risk, closed trades, the run's end, …) are rows of one table,
//! `run_events`: one row per event, numbered by `seq` in run order, with readable
//! columns (RFC 3339 `time`, `kind`, `symbol`, order id, side, quantity, price, rule,
//! reason) and the rest as a JSON `payload`. The equity curve (a point per bar) stays
//! in chunks ([`equity`]). A batch is appended in one transaction, all or nothing.
//!
//! Readers: the typed lists ([`Audit::decisions`], [`Audit::orders`], …) and
//! [`Audit::page`], a keyset page of the trail filtered by kind, symbol and time
//! that reads the page, not the run.

use crate::Store;
use crate::db::text_enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tradelab_core::{Fill, OrderType, Quantity, Side, Sizing, Symbol, Timestamp};

mod append;
mod chunks;
mod codec;
mod convert;
#[cfg(test)]
mod convert_tests;
mod equity;
mod legacy;
mod read;
mod sqlite_bulk;
mod table;

pub(crate) use convert::convert_to_rows;
pub(crate) use equity::convert_legacy_equity;
pub(crate) use table::rfc3339;

/// A decider's decision with its reasoning and the inputs it saw. `J` is how the
/// JSON inputs are held: a parsed [`Value`] (what the readers return), or JSON text
/// serialized straight from a typed value (`Box<serde_json::value::RawValue>`), which
/// is cheaper to build on the engine's hot path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionRow<J = Value> {
    /// The row's number in the run's trail (see [`AuditEvent::seq`]).
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

/// An order event: the order accepted, rejected or cancelled (a fill is a
/// [`FillRow`]). [`Audit::orders`] folds an order's events into its latest state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    /// The row's number in the run's trail; in [`Audit::orders`], that of the order's
    /// first event (its placement).
    pub seq: i64,
    /// The engine's order id; `None` for an intent refused before it got one.
    pub order_id: Option<i64>,
    pub client_order_id: Option<String>,
    /// When it happened; in [`Audit::orders`], when the order was placed (or refused).
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
    /// Why it was refused or cancelled.
    pub reject_reason: Option<String>,
}

/// A fill with its number in the run's trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillRow {
    pub seq: i64,
    #[serde(flatten)]
    pub fill: Fill,
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

/// A notable run event: automatic exit, halt, circuit breaker, kill switch, closed
/// trade, the run's end, … `J` holds the JSON detail, as in [`DecisionRow`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow<J = Value> {
    /// The row's number in the run's trail.
    pub seq: i64,
    pub ts: Timestamp,
    /// The symbol it is about, if one (a closed trade, an automatic exit).
    pub symbol: Option<Symbol>,
    /// What happened (`risk`, `trade_closed`, `run_finished`, …); never one of the
    /// kinds of the other rows ([`RESERVED_KINDS`]).
    pub kind: String,
    pub detail: J,
}

/// The `kind` of decision, order and fill rows; a run event may not use them.
pub const RESERVED_KINDS: [&str; 3] = [table::DECISION, table::ORDER, table::FILL];

/// One row of a run's trail, as [`Audit::page`] returns it.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditEvent {
    Decision(DecisionRow),
    Order(OrderRow),
    Fill(FillRow),
    Event(EventRow),
}

impl AuditEvent {
    /// The row's number: unique in its run and ascending in run order. Numbers may
    /// skip values; a page continues after the last number it showed.
    pub fn seq(&self) -> i64 {
        match self {
            AuditEvent::Decision(d) => d.seq,
            AuditEvent::Order(o) => o.seq,
            AuditEvent::Fill(f) => f.seq,
            AuditEvent::Event(e) => e.seq,
        }
    }

    /// When it happened.
    pub fn ts(&self) -> Timestamp {
        match self {
            AuditEvent::Decision(d) => d.ts,
            AuditEvent::Order(o) => o.ts,
            AuditEvent::Fill(f) => f.fill.ts,
            AuditEvent::Event(e) => e.ts,
        }
    }

    /// The stored `kind`: `decision`, `order`, `fill`, or the event's kind.
    pub fn kind(&self) -> &str {
        match self {
            AuditEvent::Decision(_) => table::DECISION,
            AuditEvent::Order(_) => table::ORDER,
            AuditEvent::Fill(_) => table::FILL,
            AuditEvent::Event(e) => &e.kind,
        }
    }
}

/// Which rows of a trail [`Audit::page`] returns. The default is every row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only rows of these kinds (`decision`, `order`, `fill`, `risk`, …); empty for
    /// every kind.
    pub kinds: Vec<String>,
    /// Only rows about this symbol.
    pub symbol: Option<Symbol>,
    /// Only rows at or after this time.
    pub from: Option<Timestamp>,
    /// Only rows at or before this time.
    pub to: Option<Timestamp>,
}

/// Rows to append to one run in one transaction, with JSON documents held as `J` (see
/// [`DecisionRow`]); [`AuditBatch`] is the usual form, with parsed values. Rows of all
/// kinds share the run's `seq` numbers: each is used once, and a batch's numbers
/// follow those already stored.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditBatchOf<J = Value> {
    pub decisions: Vec<DecisionRow<J>>,
    pub orders: Vec<OrderRow>,
    pub fills: Vec<FillRow>,
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
        self.trail_len() + self.equity.len()
    }

    /// Number of trail rows (all but equity points).
    fn trail_len(&self) -> usize {
        self.decisions.len() + self.orders.len() + self.fills.len() + self.events.len()
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
        let f = self.fills.iter().map(|r| r.fill.ts);
        let e = self.equity.iter().map(|r| r.ts);
        let v = self.events.iter().map(|r| r.ts);
        d.chain(o).chain(f).chain(e).chain(v).max()
    }
}

/// Row counts of a run's audit trail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditCounts {
    pub decisions: i64,
    /// Orders, each counted once whatever its events (an intent refused before it
    /// got an id counts as one order).
    pub orders: i64,
    pub fills: i64,
    pub equity: i64,
    pub events: i64,
}

/// The audit repository: `store.audit()`.
pub struct Audit<'a> {
    pub(crate) store: &'a Store,
}
