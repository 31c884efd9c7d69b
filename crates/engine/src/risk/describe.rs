//! What each rule kind means: its file name, scope, default category and priority,
//! whether it may appear twice, and a one-line summary of its parameters.

use super::kind::{Breach, Category, RuleKind, Scope, TradingWindow};
use std::fmt::Write as _;

impl RuleKind {
    /// The snake_case name used in the `kind` key, e.g. `"max_position_pct"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            RuleKind::MaxPositionPct { .. } => "max_position_pct",
            RuleKind::MaxOpenPositions { .. } => "max_open_positions",
            RuleKind::MinCashReservePct { .. } => "min_cash_reserve_pct",
            RuleKind::MaxOrderValue { .. } => "max_order_value",
            RuleKind::MaxOrderQty { .. } => "max_order_qty",
            RuleKind::AllowedSymbols { .. } => "allowed_symbols",
            RuleKind::BlockedSymbols { .. } => "blocked_symbols",
            RuleKind::AllowShort { .. } => "allow_short",
            RuleKind::StopLossPct { .. } => "stop_loss_pct",
            RuleKind::TakeProfitPct { .. } => "take_profit_pct",
            RuleKind::TrailingStopPct { .. } => "trailing_stop_pct",
            RuleKind::DailyLossLimitPct { .. } => "daily_loss_limit_pct",
            RuleKind::MaxDrawdownHaltPct { .. } => "max_drawdown_halt_pct",
            RuleKind::TradingWindow(_) => "trading_window",
            RuleKind::MaxTradesPerDay { .. } => "max_trades_per_day",
            RuleKind::MaxTradesPerSession { .. } => "max_trades_per_session",
            RuleKind::MaxOrdersPerMinute { .. } => "max_orders_per_minute",
            RuleKind::CooldownAfterLoss { .. } => "cooldown_after_loss",
        }
    }

    /// What the rule does when it triggers (see [`Scope`]).
    pub fn scope(&self) -> Scope {
        match self {
            RuleKind::MaxPositionPct {
                on_breach: Breach::Resize,
                ..
            } => Scope::ResizesOrRejectsEntries,
            RuleKind::MaxPositionPct { .. }
            | RuleKind::MaxOpenPositions { .. }
            | RuleKind::MinCashReservePct { .. }
            | RuleKind::AllowedSymbols { .. }
            | RuleKind::BlockedSymbols { .. }
            | RuleKind::AllowShort { .. }
            | RuleKind::DailyLossLimitPct { .. }
            | RuleKind::MaxTradesPerDay { .. }
            | RuleKind::MaxTradesPerSession { .. }
            | RuleKind::CooldownAfterLoss { .. } => Scope::BlocksEntries,
            RuleKind::TradingWindow(w) if w.flatten_at.is_some() => Scope::BlocksEntriesAndFlattens,
            RuleKind::TradingWindow(_) => Scope::BlocksEntries,
            RuleKind::MaxOrderValue { .. }
            | RuleKind::MaxOrderQty { .. }
            | RuleKind::MaxOrdersPerMinute { .. } => Scope::BlocksAllOrders,
            RuleKind::StopLossPct { .. }
            | RuleKind::TakeProfitPct { .. }
            | RuleKind::TrailingStopPct { .. } => Scope::ExitsPosition,
            RuleKind::MaxDrawdownHaltPct { .. } => Scope::HaltsRun,
        }
    }

    /// The category a rule of this kind gets when its file does not say.
    pub fn default_category(&self) -> Category {
        match self {
            RuleKind::MinCashReservePct { .. }
            | RuleKind::DailyLossLimitPct { .. }
            | RuleKind::MaxDrawdownHaltPct { .. } => Category::Risk,
            RuleKind::MaxPositionPct { .. }
            | RuleKind::MaxOpenPositions { .. }
            | RuleKind::MaxOrderValue { .. }
            | RuleKind::MaxOrderQty { .. } => Category::PositionSizing,
            RuleKind::TradingWindow(_) | RuleKind::CooldownAfterLoss { .. } => Category::Timing,
            RuleKind::AllowedSymbols { .. }
            | RuleKind::BlockedSymbols { .. }
            | RuleKind::AllowShort { .. }
            | RuleKind::TakeProfitPct { .. } => Category::EntryExit,
            RuleKind::StopLossPct { .. } | RuleKind::TrailingStopPct { .. } => Category::StopLoss,
            RuleKind::MaxTradesPerDay { .. }
            | RuleKind::MaxTradesPerSession { .. }
            | RuleKind::MaxOrdersPerMinute { .. } => Category::RateLimit,
        }
    }

    /// The priority (1..=10, higher is checked first) a rule of this kind gets when its
    /// file does not say.
    ///
    /// Account-level breakers come first (10), then what may be traded and when (9),
    /// protective exits (8), rate limits and cooldowns (7), size limits that only
    /// reject (6), the per-symbol limit that may resize (5), and the cash reserve last
    /// (4) so it sees an entry's final size.
    pub fn default_priority(&self) -> u8 {
        match self {
            RuleKind::MaxDrawdownHaltPct { .. } | RuleKind::DailyLossLimitPct { .. } => 10,
            RuleKind::AllowedSymbols { .. }
            | RuleKind::BlockedSymbols { .. }
            | RuleKind::AllowShort { .. }
            | RuleKind::TradingWindow(_) => 9,
            RuleKind::StopLossPct { .. }
            | RuleKind::TrailingStopPct { .. }
            | RuleKind::TakeProfitPct { .. } => 8,
            RuleKind::MaxOrdersPerMinute { .. }
            | RuleKind::MaxTradesPerDay { .. }
            | RuleKind::MaxTradesPerSession { .. }
            | RuleKind::CooldownAfterLoss { .. } => 7,
            RuleKind::MaxOpenPositions { .. }
            | RuleKind::MaxOrderValue { .. }
            | RuleKind::MaxOrderQty { .. } => 6,
            RuleKind::MaxPositionPct { .. } => 5,
            RuleKind::MinCashReservePct { .. } => 4,
        }
    }

    /// Whether several active rules of this kind may coexist. Only `blocked_symbols`
    /// may (the lists add up); for every other kind two active rules would contradict
    /// each other or leave the effective limit unclear, so validation rejects that.
    /// Inactive duplicates are always fine.
    pub fn repeatable(&self) -> bool {
        matches!(self, RuleKind::BlockedSymbols { .. })
    }

    /// One line in plain words, e.g. `max 20 % of equity per symbol (rejects)`; the
    /// default description of a rule.
    pub fn summary(&self) -> String {
        match self {
            RuleKind::MaxPositionPct { pct, on_breach } => {
                let action = match on_breach {
                    Breach::Reject => "rejects",
                    Breach::Resize => "resizes",
                };
                format!("max {pct} % of equity per symbol ({action})")
            }
            RuleKind::MaxOpenPositions { max } => format!("max {max} open positions"),
            RuleKind::MinCashReservePct { pct } => {
                format!("keep at least {pct} % of equity in cash")
            }
            RuleKind::MaxOrderValue { value } => format!("max order value {value}"),
            RuleKind::MaxOrderQty { qty } => format!("max order quantity {qty}"),
            RuleKind::AllowedSymbols { symbols } => {
                format!("enter only {}", list_symbols(symbols))
            }
            RuleKind::BlockedSymbols { symbols } => {
                format!("never enter {}", list_symbols(symbols))
            }
            RuleKind::AllowShort { allowed: true } => "short selling allowed".to_string(),
            RuleKind::AllowShort { allowed: false } => "no short selling".to_string(),
            RuleKind::StopLossPct { pct } => format!("stop-loss {pct} % from entry"),
            RuleKind::TakeProfitPct { pct } => format!("take profit {pct} % from entry"),
            RuleKind::TrailingStopPct { pct } => {
                format!("trailing stop {pct} % from the best price since entry")
            }
            RuleKind::DailyLossLimitPct { pct } => {
                format!("no entries for the rest of the session after a {pct} % daily loss")
            }
            RuleKind::MaxDrawdownHaltPct { pct } => {
                format!("liquidate and halt at {pct} % below peak equity")
            }
            RuleKind::TradingWindow(w) => window_summary(w),
            RuleKind::MaxTradesPerDay { max } => format!("max {max} entries per day"),
            RuleKind::MaxTradesPerSession { max } => format!("max {max} entries per session"),
            RuleKind::MaxOrdersPerMinute { max } => format!("max {max} orders per minute"),
            RuleKind::CooldownAfterLoss { bars } => {
                format!("no re-entry in a symbol for {bars} bars after a losing exit")
            }
        }
    }
}

/// `AAPL, MSFT` — or the first eight and a count when the list is long.
fn list_symbols(symbols: &[tradelab_core::Symbol]) -> String {
    const SHOWN: usize = 8;
    let mut out = symbols
        .iter()
        .take(SHOWN)
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if symbols.len() > SHOWN {
        let _ = write!(out, ", … ({} symbols)", symbols.len());
    }
    out
}

/// `entries 09:35-15:45 America/New_York, none 12:00-13:00, flatten at 15:55`.
fn window_summary(w: &TradingWindow) -> String {
    let mut out = match (w.start, w.end) {
        (Some(s), Some(e)) => format!("entries {s}-{e}"),
        (Some(s), None) => format!("entries from {s}"),
        (None, Some(e)) => format!("entries until {e}"),
        (None, None) if w.calendar == Some(tradelab_calendar::Exchange::Nyse) => {
            "entries in the regular session".to_string()
        }
        (None, None) => "entries all day".to_string(),
    };
    let _ = write!(out, " {}", w.tz);
    if !w.blackouts.is_empty() {
        let spans: Vec<String> = w.blackouts.iter().map(|b| b.to_string()).collect();
        let _ = write!(out, ", none {}", spans.join(", "));
    }
    if let Some(f) = w.flatten_at {
        let _ = write!(out, ", flatten at {f}");
    }
    if let Some(exchange) = w.calendar {
        let _ = write!(out, ", on the {exchange} calendar");
    }
    out
}
