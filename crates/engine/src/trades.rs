//! Closed trades: round trips from flat to flat (or to a reversal).

use serde::Serialize;
use tradelab_core::{Money, Price, Quantity, Symbol, Timestamp};

/// A finished round trip. Additions to an open position average its entry price;
/// partial exits add to its realized PnL; the trade closes when the position is flat.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClosedTrade {
    pub symbol: Symbol,
    /// Largest absolute position held; positive for long trades, negative for short.
    pub qty: Quantity,
    pub entry_ts: Timestamp,
    pub exit_ts: Timestamp,
    /// Average entry price.
    pub entry_price: Price,
    /// Average exit price.
    pub exit_price: Price,
    /// Profit or loss net of every commission paid on the trade's fills.
    pub pnl: Money,
    /// Commissions paid on entry and exit fills.
    pub commissions: Money,
    /// `pnl / (entry_price · |qty|)`: net return on the capital the trade used.
    pub return_pct: f64,
    /// Index of the entry and exit steps (bars of the run's timeline).
    pub entry_step: usize,
    pub exit_step: usize,
}

impl ClosedTrade {
    /// True for a long trade.
    pub fn is_long(&self) -> bool {
        self.qty.get().is_sign_positive()
    }
}
