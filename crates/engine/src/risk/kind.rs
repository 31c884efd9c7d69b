//! The rule kinds and their typed parameters, plus the classification every rule
//! carries: [`Category`], [`Origin`] and [`Scope`].
//!
//! Words used in the docs: an **entry** is an order that opens or increases a position
//! (a buy when flat or long, a sell when flat or short); an **exit** reduces or closes
//! one. The engine's own exits (stop, target, trailing stop, flatten, halt) are never
//! blocked by any rule.

use super::time::{LocalTime, TimeRange};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use tradelab_core::Symbol;

/// What a rule is about; used to group rules in listings and in the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Account-level loss limits: daily loss, drawdown halt, cash reserve.
    Risk,
    /// How big an entry may be: per-symbol share of equity, order size, open positions.
    PositionSizing,
    /// When entries may happen: trading window, cooldowns.
    Timing,
    /// Which entries and exits are allowed: symbols, shorting, profit targets.
    EntryExit,
    /// Protective exits at a price level: stop-loss, trailing stop.
    StopLoss,
    /// How often orders and trades may happen.
    RateLimit,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Category; 6] = [
        Category::Risk,
        Category::PositionSizing,
        Category::Timing,
        Category::EntryExit,
        Category::StopLoss,
        Category::RateLimit,
    ];

    /// The snake_case name used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Risk => "risk",
            Category::PositionSizing => "position_sizing",
            Category::Timing => "timing",
            Category::EntryExit => "entry_exit",
            Category::StopLoss => "stop_loss",
            Category::RateLimit => "rate_limit",
        }
    }
}

/// Who wrote a rule; kept so a run's snapshot says where each constraint came from.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Written by the user (the default in rule files).
    #[default]
    User,
    /// Copied from a built-in template.
    Template,
    /// Proposed by the analyst agent and accepted by the user.
    AiSuggested,
}

impl Origin {
    /// The snake_case name used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::User => "user",
            Origin::Template => "template",
            Origin::AiSuggested => "ai_suggested",
        }
    }
}

/// What a rule does when it triggers; stated in every kind's docs and printed by
/// `tradelab rules check`, so a user knows whether a rule can ever close a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Rejects entries only; exits are always allowed.
    BlocksEntries,
    /// Rejects any order the decider sends, entries and exits alike (the engine's own
    /// exits are never blocked).
    BlocksAllOrders,
    /// The engine itself exits a position when a price level is reached.
    ExitsPosition,
    /// The engine liquidates every position and stops the run.
    HaltsRun,
    /// Shrinks an entry to fit (rejecting it when nothing fits); exits always allowed.
    ResizesOrRejectsEntries,
    /// Rejects entries outside a time window and closes every position at a set time.
    BlocksEntriesAndFlattens,
}

impl Scope {
    /// One line in plain words, for listings.
    pub fn description(self) -> &'static str {
        match self {
            Scope::BlocksEntries => "blocks entries only; exits are always allowed",
            Scope::BlocksAllOrders => "blocks any decider order, entries and exits",
            Scope::ExitsPosition => "exits the position itself when the level is reached",
            Scope::HaltsRun => "liquidates all positions and halts the run",
            Scope::ResizesOrRejectsEntries => "resizes or rejects entries; exits allowed",
            Scope::BlocksEntriesAndFlattens => {
                "blocks entries outside the window and flattens at a set time"
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// What `max_position_pct` does with a buy that would breach the limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    /// Reject the whole order (the default).
    #[default]
    Reject,
    /// Reduce the quantity to the largest that fits; reject if that is zero.
    Resize,
}

/// The default time zone of a trading window: US equities.
pub const DEFAULT_TZ: &str = "America/New_York";

/// Parameters of the `trading_window` rule: when entries may happen, in exchange-local
/// time, and when to flatten.
///
/// Scope: blocks entries outside `[start, end)` and inside any blackout; exits are
/// always allowed. With `flatten_at`, the engine also closes every position at that
/// time each session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TradingWindow {
    /// IANA time zone of the times below (default `America/New_York`).
    pub tz: String,
    /// No entries before this time (e.g. 09:35 skips the first five minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<LocalTime>,
    /// No entries at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<LocalTime>,
    /// Spans with no entries, e.g. `12:00-14:00` for the lunch lull.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blackouts: Vec<TimeRange>,
    /// Close every position at this time (e.g. 15:55), then no entries until the
    /// next session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flatten_at: Option<LocalTime>,
    /// The exchange calendar the window follows (`nyse`, `crypto`): no entries on a
    /// day the exchange is shut; on an early-close day `end` and `flatten_at` move
    /// earlier by as much as the close does (15:55 becomes 12:55 before a 13:00
    /// close); without `start` or `end`, the regular session's open and close; and
    /// the daily-loss day is the exchange's day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<tradelab_calendar::Exchange>,
}

impl Default for TradingWindow {
    fn default() -> Self {
        TradingWindow {
            tz: DEFAULT_TZ.to_string(),
            start: None,
            end: None,
            blackouts: Vec::new(),
            flatten_at: None,
            calendar: None,
        }
    }
}

impl TradingWindow {
    /// Resolves `tz` from the bundled time-zone database.
    pub fn time_zone(&self) -> Result<jiff::tz::TimeZone, jiff::Error> {
        jiff::tz::TimeZone::get(&self.tz)
    }

    /// True when an entry at local time `t` is allowed: inside `[start, end)`, outside
    /// every blackout, and before `flatten_at`.
    pub fn allows_entry_at(&self, t: LocalTime) -> bool {
        self.start.is_none_or(|s| t >= s)
            && self.end.is_none_or(|e| t < e)
            && self.flatten_at.is_none_or(|f| t < f)
            && !self.blackouts.iter().any(|b| b.contains(t))
    }

    /// True when positions must be flat at local time `t` (at or after `flatten_at`).
    pub fn must_be_flat_at(&self, t: LocalTime) -> bool {
        self.flatten_at.is_some_and(|f| t >= f)
    }
}

/// The typed parameters of a rule; the `kind` key in a rule file selects the variant.
///
/// Each variant's doc states its scope. Percentages are in percent (`20` = 20 %).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// An entry may not make one symbol's market value exceed `pct` % of equity.
    /// Scope: rejects the entry, or resizes it down with `on_breach = "resize"`;
    /// exits are always allowed.
    MaxPositionPct {
        /// Limit in percent of equity, 0 < pct <= 100.
        pct: f64,
        /// Reject (default) or resize a breaching entry.
        on_breach: Breach,
    },
    /// No entry in a new symbol while `max` positions are open (adding to an open
    /// position is allowed). Scope: blocks entries only; exits are always allowed.
    MaxOpenPositions {
        /// Most positions open at once, >= 1.
        max: u32,
    },
    /// A buy may not leave cash below `pct` % of equity. Scope: blocks entries only;
    /// exits are always allowed.
    MinCashReservePct {
        /// Cash floor in percent of equity, 0 < pct < 100.
        pct: f64,
    },
    /// No single order may be worth more than `value` (quantity x price, account
    /// currency). Scope: blocks all decider orders, entries and exits.
    MaxOrderValue {
        /// Largest order value, > 0.
        value: Decimal,
    },
    /// No single order may be for more than `qty` units. Scope: blocks all decider
    /// orders, entries and exits.
    MaxOrderQty {
        /// Largest order quantity, > 0.
        qty: Decimal,
    },
    /// Entries only in the listed symbols. Scope: blocks entries only; exits are
    /// always allowed.
    AllowedSymbols {
        /// The only symbols that may be entered; non-empty.
        symbols: Vec<Symbol>,
    },
    /// No entries in the listed symbols. Several such rules add up. Scope: blocks
    /// entries only; exits are always allowed.
    BlockedSymbols {
        /// Symbols that may never be entered; non-empty.
        symbols: Vec<Symbol>,
    },
    /// Whether short entries are allowed. Without an active `allow_short` rule they
    /// are not (shorting is off by default). Scope: blocks (short) entries only;
    /// buying to cover is always allowed.
    AllowShort {
        /// True lets sells open or increase a short position.
        allowed: bool,
    },
    /// Exit a position when price moves `pct` % against its average entry price.
    /// Checked on each bar's high/low; fills at the level, or at the open when the
    /// bar gaps through it; if stop and target are both inside one bar, the stop wins.
    /// Scope: exits the position.
    StopLossPct {
        /// Distance from entry in percent, 0 < pct < 100.
        pct: f64,
    },
    /// Exit a position when price moves `pct` % in its favour from the average entry
    /// price (same bar and gap rules as the stop). Scope: exits the position.
    TakeProfitPct {
        /// Distance from entry in percent, 0 < pct <= 1000.
        pct: f64,
    },
    /// Exit a position when price retreats `pct` % from the best price seen since
    /// entry. Scope: exits the position.
    TrailingStopPct {
        /// Distance from the best price in percent, 0 < pct < 100.
        pct: f64,
    },
    /// Circuit breaker: once equity is `pct` % below the session's starting equity, no
    /// new entries until the next session. Scope: blocks entries only; exits are
    /// always allowed.
    DailyLossLimitPct {
        /// Loss on the day in percent of starting equity, 0 < pct < 100.
        pct: f64,
    },
    /// When equity falls `pct` % below its running peak, liquidate everything and
    /// stop the run. Scope: halts the run.
    MaxDrawdownHaltPct {
        /// Drawdown from peak in percent, 0 < pct < 100.
        pct: f64,
    },
    /// Entries only inside a daily window, with optional blackouts, a flatten time
    /// and an exchange calendar. Scope: blocks entries (and flattens at `flatten_at`
    /// when set).
    TradingWindow(TradingWindow),
    /// At most `max` entries per exchange-local calendar day. Scope: blocks entries
    /// only; exits are always allowed.
    MaxTradesPerDay {
        /// Entries per day, >= 1.
        max: u32,
    },
    /// At most `max` entries per trading session. Scope: blocks entries only; exits
    /// are always allowed.
    MaxTradesPerSession {
        /// Entries per session, >= 1.
        max: u32,
    },
    /// At most `max` decider orders in any 60-second span. Scope: blocks all decider
    /// orders, entries and exits.
    MaxOrdersPerMinute {
        /// Orders per minute, >= 1.
        max: u32,
    },
    /// After a losing exit in a symbol, no new entry in that symbol for `bars` bars.
    /// Scope: blocks entries only; exits are always allowed.
    CooldownAfterLoss {
        /// Bars to wait, >= 1.
        bars: u32,
    },
}

/// Every kind name accepted in the `kind` key, in declaration order.
pub const KIND_NAMES: [&str; 18] = [
    "max_position_pct",
    "max_open_positions",
    "min_cash_reserve_pct",
    "max_order_value",
    "max_order_qty",
    "allowed_symbols",
    "blocked_symbols",
    "allow_short",
    "stop_loss_pct",
    "take_profit_pct",
    "trailing_stop_pct",
    "daily_loss_limit_pct",
    "max_drawdown_halt_pct",
    "trading_window",
    "max_trades_per_day",
    "max_trades_per_session",
    "max_orders_per_minute",
    "cooldown_after_loss",
];
