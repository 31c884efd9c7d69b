//! Domain types shared by every tradelab crate: symbols, timestamps, bars,
//! exact money and quantities, orders and fills.
//!
//! Market data (bar prices) is `f64`; the ledger (cash, fill prices, quantities,
//! commissions) is exact decimal. Constructors validate their invariants and
//! return errors that name the broken condition.

pub mod bar;
pub mod fast_decimal;
pub mod money;
pub mod order;
pub mod overflow;
pub mod reason;
pub mod symbol;
#[cfg(test)]
mod test_decimals;
pub mod time;

pub use bar::{Bar, BarError, BarSeries, MAX_PRICE, MIN_PRICE, SeriesError, check_price};
pub use fast_decimal::FastDecimal;
pub use money::{Money, MoneyError, Price, Quantity};
pub use order::{Fill, Order, OrderId, OrderIntent, OrderType, Side, Sizing};
pub use overflow::{Arith, LedgerOverflow};
pub use reason::{Phrase, Reason};
pub use symbol::{Symbol, SymbolError};
pub use time::{Timeframe, TimeframeError, Timestamp};
