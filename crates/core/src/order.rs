//! Orders as a decider asks for them, and fills as the broker makes them.

use crate::{Money, Price, Quantity, Reason, Symbol, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Direction of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for buy, -1 for sell.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

/// How the price of an order is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "price", rename_all = "lowercase")]
pub enum OrderType {
    /// At the fill model's next price.
    Market,
    /// At this price or better.
    Limit(Price),
    /// Becomes a market order once the price trades through this level.
    Stop(Price),
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderType::Market => f.write_str("market"),
            OrderType::Limit(p) => write!(f, "limit {p}"),
            OrderType::Stop(p) => write!(f, "stop {p}"),
        }
    }
}

/// How many units an order asks for; resolved to whole units at fill time where needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Sizing {
    /// A fixed number of units (positive).
    Shares(Quantity),
    /// As many whole units as this cash amount buys at the fill price, commission included.
    Cash(Money),
    /// Close any position in the symbol, then put all available equity into whole units
    /// (backtesting.py / backtrader "all-in" sizing).
    AllIn,
    /// Exactly the units that bring the symbol's position to zero.
    ClosePosition,
}

impl fmt::Display for Sizing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sizing::Shares(q) => write!(f, "{q} units"),
            Sizing::Cash(m) => write!(f, "cash {m}"),
            Sizing::AllIn => f.write_str("all-in"),
            Sizing::ClosePosition => f.write_str("close position"),
        }
    }
}

/// What a decider asks for: validated by the engine, then placed with the broker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderIntent {
    pub symbol: Symbol,
    pub side: Side,
    pub order_type: OrderType,
    pub sizing: Sizing,
    /// Why the decider wants this order (kept in the audit trail). Shared, so events
    /// that carry the intent do not copy the text.
    pub reason: Reason,
    /// The decider's own id for the order (an LLM agent's, from its run, step and
    /// tool call), so a retried answer is recognisably the same order. Kept in the
    /// audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<Reason>,
}

impl OrderIntent {
    /// A market order with the given sizing.
    pub fn market(symbol: Symbol, side: Side, sizing: Sizing, reason: impl Into<Reason>) -> Self {
        OrderIntent {
            symbol,
            side,
            order_type: OrderType::Market,
            sizing,
            reason: reason.into(),
            client_order_id: None,
        }
    }

    /// The same order carrying the decider's own id.
    pub fn with_client_order_id(mut self, id: impl Into<Reason>) -> Self {
        self.client_order_id = Some(id.into());
        self
    }
}

/// Identifier of an order within one run (1, 2, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An order accepted by the engine and working at the broker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub created_at: Timestamp,
    pub intent: OrderIntent,
}

/// An execution: units changed hands at a price, with costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub order_id: OrderId,
    pub ts: Timestamp,
    pub symbol: Symbol,
    pub side: Side,
    /// Units filled (positive).
    pub qty: Quantity,
    /// Execution price, slippage included.
    pub price: Price,
    pub commission: Money,
    /// Cost of slippage versus the unslipped price (non-negative).
    pub slippage: Money,
}
