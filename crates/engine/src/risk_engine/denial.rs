//! Why the risk engine refused an order: one variant per rule kind, with the numbers.

use serde::Serialize;
use std::fmt;
use tradelab_core::{Quantity, Symbol};

/// A refusal by a structured rule. The text a person (or an LLM decider) reads says
/// what the order would have done and what the rule allows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "denial", rename_all = "snake_case")]
pub enum RiskDenial {
    /// The run is halted (drawdown halt or kill switch): no decider orders at all.
    Halted { reason: String },
    /// Too many orders submitted within one minute.
    OrdersPerMinute { max: u32 },
    /// The symbol is not on the allowed list.
    SymbolNotAllowed { symbol: Symbol },
    /// The symbol is on the blocked list.
    SymbolBlocked { symbol: Symbol },
    /// Short entries are switched off by a rule.
    ShortingNotAllowed { symbol: Symbol },
    /// The fill time is outside the trading window (or inside a blackout).
    OutsideTradingWindow { local_time: String, window: String },
    /// The exchange is shut on the step's date (a weekend, a holiday).
    ExchangeClosed { date: String, why: String },
    /// Entries are blocked after `flatten_at` until the next day.
    AfterFlattenTime {
        local_time: String,
        flatten_at: String,
    },
    /// The daily-loss circuit breaker has tripped; entries wait for the next session.
    CircuitBreaker { loss_pct: f64, limit_pct: f64 },
    /// The day's entry count is used up.
    TradesPerDay { max: u32 },
    /// The session's entry count is used up.
    TradesPerSession { max: u32 },
    /// A losing exit in this symbol was too recent.
    Cooldown { symbol: Symbol, bars_left: u32 },
    /// Opening another symbol would exceed the open-position limit.
    MaxOpenPositions { max: u32, open: usize },
    /// The position would be too large a share of equity.
    PositionPct {
        symbol: Symbol,
        order_value: f64,
        position_pct: f64,
        limit_pct: f64,
    },
    /// The buy would leave too little cash.
    CashReserve {
        cash_after: f64,
        reserve: f64,
        limit_pct: f64,
    },
    /// The order's value is above the limit.
    OrderValue { value: f64, max: f64 },
    /// The order's quantity is above the limit.
    OrderQty { qty: Quantity, max: String },
}

/// `12345.6` → `$12,345.60`.
pub(crate) fn dollars(v: f64) -> String {
    let cents = format!("{:.2}", v.abs());
    let (int, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}${out}.{frac}", if v < 0.0 { "-" } else { "" })
}

impl fmt::Display for RiskDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RiskDenial::*;
        match self {
            Halted { reason } => write!(f, "the run is halted ({reason}); no new orders"),
            OrdersPerMinute { max } => {
                write!(f, "more than {max} orders within one minute")
            }
            SymbolNotAllowed { symbol } => write!(f, "{symbol} is not on the allowed list"),
            SymbolBlocked { symbol } => write!(f, "{symbol} is on the blocked list"),
            ShortingNotAllowed { symbol } => {
                write!(
                    f,
                    "the order would open or grow a short in {symbol}; shorting is off"
                )
            }
            ExchangeClosed { date, why } => {
                write!(f, "no entries on {date}: the exchange is shut ({why})")
            }
            OutsideTradingWindow { local_time, window } => {
                write!(
                    f,
                    "entry at {local_time} is outside the trading window {window}"
                )
            }
            AfterFlattenTime {
                local_time,
                flatten_at,
            } => write!(
                f,
                "entry at {local_time} is after the flatten time {flatten_at}"
            ),
            CircuitBreaker {
                loss_pct,
                limit_pct,
            } => write!(
                f,
                "today's loss of {loss_pct:.2} % passed the daily limit of {limit_pct} %; entries wait for the next session"
            ),
            TradesPerDay { max } => write!(f, "already {max} entries today"),
            TradesPerSession { max } => write!(f, "already {max} entries this session"),
            Cooldown { symbol, bars_left } => write!(
                f,
                "{symbol} is cooling down after a losing exit ({bars_left} more bar(s))"
            ),
            MaxOpenPositions { max, open } => write!(
                f,
                "{open} positions are open; a new symbol would exceed the limit of {max}"
            ),
            PositionPct {
                symbol,
                order_value,
                position_pct,
                limit_pct,
            } => write!(
                f,
                "order value {} would make {symbol} {position_pct:.1} % of equity; the limit is {limit_pct} %",
                dollars(*order_value)
            ),
            CashReserve {
                cash_after,
                reserve,
                limit_pct,
            } => write!(
                f,
                "the buy would leave {} in cash, below the {limit_pct} % reserve of {}",
                dollars(*cash_after),
                dollars(*reserve)
            ),
            OrderValue { value, max } => write!(
                f,
                "order value {} is above the limit of {}",
                dollars(*value),
                dollars(*max)
            ),
            OrderQty { qty, max } => write!(f, "order quantity {qty} is above the limit of {max}"),
        }
    }
}
