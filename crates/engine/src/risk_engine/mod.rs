//! The risk engine: enforces a [`RuleSet`] on every order of a
//! run, whatever the decider, and exits positions itself (stops, targets, trailing
//! stops, flatten time, drawdown halt).
//!
//! It sits between the decider and the broker: the run loop asks it at submission
//! ([`RiskEngine::check_submission`]: halt, order rate) and again at execution, when the
//! size and price are known ([`RiskEngine::check_execution`]: everything else). Rules are
//! checked in priority order (higher first, then by name); the first refusal is the one
//! reported. An **entry** opens or grows a position; an **exit** shrinks or closes one.
//! Rules that block entries never block exits, and the engine's own exits are never
//! blocked.

mod clock;
mod denial;
mod exits;

pub use denial::RiskDenial;
pub use exits::{AutoExit, ExitKind};

use crate::portfolio::Portfolio;
use crate::risk::{Breach, LocalTime, Rule, RuleKind, RuleSet};
use clock::LocalClock;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::VecDeque;
use tradelab_core::money::decimal_to_f64;
use tradelab_core::{Quantity, Side, Symbol, Timestamp};

/// Something the risk engine did on its own, recorded in the run's event stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "risk_event", rename_all = "snake_case")]
pub enum RiskEvent {
    /// The engine closed a position because a level was reached.
    AutoExit {
        symbol: Symbol,
        rule: String,
        exit: ExitKind,
        level: f64,
    },
    /// The daily-loss circuit breaker tripped: entries are blocked until the next session.
    CircuitBreakerTripped {
        rule: String,
        loss_pct: f64,
        limit_pct: f64,
    },
    /// A new session started; entries are allowed again.
    CircuitBreakerReset { rule: String },
    /// Equity fell too far below its peak: positions are liquidated and the run halts.
    Halted {
        rule: String,
        drawdown_pct: f64,
        limit_pct: f64,
    },
    /// The flatten time was reached: every position is closed.
    Flatten { rule: String, local_time: String },
    /// The run was ordered to stop.
    KillSwitch { flatten: bool },
}

/// What the run loop must do after a step's close.
#[derive(Clone, Debug, PartialEq)]
pub enum StepAction {
    /// Close every position with engine orders (flatten time).
    Flatten { rule: String },
    /// Close every position, cancel working orders and accept no more decider orders.
    Halt { rule: String, reason: String },
}

/// An order as the risk engine judges it, with its size and price resolved.
#[derive(Clone, Debug)]
pub struct Proposed<'a> {
    pub symbol_index: usize,
    pub symbol: &'a Symbol,
    pub side: Side,
    pub qty: Quantity,
    pub price: f64,
    /// Commission the fill would pay (for the cash-reserve rule).
    pub commission: f64,
    pub now: Timestamp,
    /// The symbol's lot step (`None`: whole units): a resize floors to it.
    pub lot_step: Option<Quantity>,
}

/// The verdict on a proposed order.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Go ahead with this quantity (smaller than asked when a rule resized it).
    Approve(Quantity),
    /// Refused by `rule`.
    Reject { rule: String, denial: RiskDenial },
}

/// True when a change of `signed` units on a position of `held` units opens or grows
/// exposure (a flip through zero counts as an entry).
pub fn is_entry(held: Decimal, signed: Decimal) -> bool {
    // A sum beyond a decimal's range adds units of the held sign: exposure grows.
    let Some(after) = held.checked_add(signed) else {
        return true;
    };
    after.abs() > held.abs()
        || (!held.is_zero()
            && !after.is_zero()
            && after.is_sign_positive() != held.is_sign_positive())
}

/// Enforcement state of one run.
pub struct RiskEngine {
    rules: Vec<Rule>,
    daily_bars: bool,
    clock: LocalClock,
    exits: exits::ExitRules,
    daily_loss: Option<(String, f64)>,
    halt_rule: Option<(String, f64)>,
    flatten_at: Option<(String, LocalTime)>,
    day_start_equity: f64,
    last_equity: f64,
    peak_equity: f64,
    breaker: Option<f64>,
    halted: Option<String>,
    flattened_today: bool,
    trades_today: u32,
    trades_session: u32,
    submissions: VecDeque<i64>,
    bars_seen: Vec<u32>,
    cooldown_until: Vec<u32>,
}

impl RiskEngine {
    /// Compiles the active rules of `rules` for a run over `symbols`. `daily_bars`:
    /// time-of-day rules (trading window, flatten time) do not apply to daily bars.
    pub fn new(rules: &RuleSet, symbols: usize, initial_equity: f64, daily_bars: bool) -> Self {
        let active: Vec<Rule> = rules.active_by_priority().into_iter().cloned().collect();
        let pct_of = |f: fn(&RuleKind) -> Option<f64>| {
            active
                .iter()
                .find_map(|r| f(&r.kind).map(|p| (r.name.clone(), p)))
        };
        let daily_loss = pct_of(|k| match k {
            RuleKind::DailyLossLimitPct { pct } => Some(*pct),
            _ => None,
        });
        let halt_rule = pct_of(|k| match k {
            RuleKind::MaxDrawdownHaltPct { pct } => Some(*pct),
            _ => None,
        });
        let window = active.iter().find_map(|r| match &r.kind {
            RuleKind::TradingWindow(w) => Some((r.name.clone(), w.clone())),
            _ => None,
        });
        // The local clock only serves rules; without any, skip the time zone lookup
        // (the first one in a process loads the system's time zone database).
        let tz = if active.is_empty() {
            jiff::tz::TimeZone::UTC
        } else {
            window
                .as_ref()
                .and_then(|(_, w)| jiff::tz::TimeZone::get(&w.tz).ok())
                .or_else(|| jiff::tz::TimeZone::get(crate::risk::DEFAULT_TZ).ok())
                .unwrap_or(jiff::tz::TimeZone::UTC)
        };
        // A window on an exchange calendar keeps the calendar's clock (its days and
        // sessions); other rules use the window's time zone.
        let calendar = window
            .as_ref()
            .and_then(|(_, w)| w.calendar)
            .filter(|_| !active.is_empty())
            .and_then(|e| tradelab_calendar::Calendar::new(e).ok());
        let clock = match calendar {
            Some(calendar) => LocalClock::on_calendar(calendar),
            None => LocalClock::new(tz),
        };
        let flatten_at = window
            .as_ref()
            .and_then(|(name, w)| w.flatten_at.map(|t| (name.clone(), t)))
            .filter(|_| !daily_bars);
        RiskEngine {
            exits: exits::ExitRules::new(&active, symbols),
            rules: active,
            daily_bars,
            clock,
            daily_loss,
            halt_rule,
            flatten_at,
            day_start_equity: initial_equity,
            last_equity: initial_equity,
            peak_equity: initial_equity,
            breaker: None,
            halted: None,
            flattened_today: false,
            trades_today: 0,
            trades_session: 0,
            submissions: VecDeque::new(),
            bars_seen: vec![0; symbols],
            cooldown_until: vec![0; symbols],
        }
    }

    /// True when no rule is active (the run loop can skip every call).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Why the run is halted, if it is.
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    /// Marks the run halted (kill switch or drawdown halt).
    pub fn halt(&mut self, reason: impl Into<String>) {
        self.halted = Some(reason.into());
    }

    /// Start of a step: rolls the day and session counters; returns the events of a
    /// circuit breaker that resets with the new session.
    pub fn begin_step(&mut self, now: Timestamp, events: &mut Vec<RiskEvent>) {
        let roll = self.clock.advance(now);
        if roll.new_day {
            self.trades_today = 0;
            self.flattened_today = false;
            self.day_start_equity = self.last_equity;
        }
        if roll.new_session {
            self.trades_session = 0;
            if self.breaker.take().is_some()
                && let Some((rule, _)) = &self.daily_loss
            {
                events.push(RiskEvent::CircuitBreakerReset { rule: rule.clone() });
            }
        }
    }

    /// Symbol `i` got a new bar (counts bars for cooldowns).
    #[inline]
    pub fn on_bar(&mut self, i: usize) {
        self.bars_seen[i] += 1;
    }

    /// Checks an order when the decider submits it: halt and order rate. Records the
    /// submission when it passes.
    pub fn check_submission(&mut self, now: Timestamp) -> Result<(), (String, RiskDenial)> {
        if let Some(reason) = &self.halted {
            return Err((
                "halt".to_string(),
                RiskDenial::Halted {
                    reason: reason.clone(),
                },
            ));
        }
        for rule in &self.rules {
            if let RuleKind::MaxOrdersPerMinute { max } = rule.kind {
                let cutoff = now.nanos() - 60 * 1_000_000_000;
                while self.submissions.front().is_some_and(|&t| t <= cutoff) {
                    self.submissions.pop_front();
                }
                if self.submissions.len() >= max as usize {
                    return Err((rule.name.clone(), RiskDenial::OrdersPerMinute { max }));
                }
            }
        }
        self.submissions.push_back(now.nanos());
        Ok(())
    }

    /// Checks an order at execution, with its size and price known; may resize it.
    pub fn check_execution(&self, p: &Proposed<'_>, portfolio: &Portfolio) -> Verdict {
        let held = portfolio.position(p.symbol_index).get();
        let signed = match p.side {
            Side::Buy => p.qty.get(),
            Side::Sell => -p.qty.get(),
        };
        let entry = is_entry(held, signed);
        let mut qty = p.qty;
        for rule in &self.rules {
            let deny = |denial| Verdict::Reject {
                rule: rule.name.clone(),
                denial,
            };
            match &rule.kind {
                RuleKind::MaxOrderValue { value } => {
                    let v = decimal_to_f64(qty.get()) * p.price;
                    let max = decimal_to_f64(*value);
                    if v > max {
                        return deny(RiskDenial::OrderValue { value: v, max });
                    }
                }
                RuleKind::MaxOrderQty { qty: max } => {
                    if qty.get() > *max {
                        return deny(RiskDenial::OrderQty {
                            qty,
                            max: max.normalize().to_string(),
                        });
                    }
                }
                _ if !entry => {}
                kind => {
                    if let Some(v) = self.check_entry(rule, kind, p, portfolio, held, &mut qty) {
                        return v;
                    }
                }
            }
        }
        Verdict::Approve(qty)
    }

    /// One entry-only rule; `Some` when it refuses. May shrink `qty` (resize).
    fn check_entry(
        &self,
        rule: &Rule,
        kind: &RuleKind,
        p: &Proposed<'_>,
        portfolio: &Portfolio,
        held: Decimal,
        qty: &mut Quantity,
    ) -> Option<Verdict> {
        let deny = |denial| {
            Some(Verdict::Reject {
                rule: rule.name.clone(),
                denial,
            })
        };
        let i = p.symbol_index;
        let short_entry = p.side == Side::Sell;
        match kind {
            RuleKind::AllowedSymbols { symbols } if !symbols.contains(p.symbol) => {
                deny(RiskDenial::SymbolNotAllowed {
                    symbol: p.symbol.clone(),
                })
            }
            RuleKind::BlockedSymbols { symbols } if symbols.contains(p.symbol) => {
                deny(RiskDenial::SymbolBlocked {
                    symbol: p.symbol.clone(),
                })
            }
            RuleKind::AllowShort { allowed: false } if short_entry => {
                deny(RiskDenial::ShortingNotAllowed {
                    symbol: p.symbol.clone(),
                })
            }
            RuleKind::TradingWindow(w) if !self.daily_bars => {
                let t = self.clock.local_time(p.now);
                let today = self.clock.today().filter(|_| w.calendar.is_some());
                if let Some(day) = today
                    && let Some(why) = &day.closed
                {
                    return deny(RiskDenial::ExchangeClosed {
                        date: day.date.clone(),
                        why: why.clone(),
                    });
                }
                let session = today.and_then(|d| d.session);
                // `end` and `flatten_at` are stated for a usual day: on an early close
                // the time is compared as if the day closed as usual.
                let late = self.clock.close_relative(t);
                let outside = w.start.or(session.map(|s| s.0)).is_some_and(|s| t < s)
                    || w.end.or(session.map(|s| s.1)).is_some_and(|e| late >= e)
                    || w.blackouts.iter().any(|b| b.contains(t));
                if let Some(f) = w.flatten_at.filter(|f| late >= *f) {
                    return deny(RiskDenial::AfterFlattenTime {
                        local_time: t.to_string(),
                        flatten_at: self.clock.today_text(f),
                    });
                }
                outside
                    .then(|| {
                        deny(RiskDenial::OutsideTradingWindow {
                            local_time: t.to_string(),
                            window: kind.summary(),
                        })
                    })
                    .flatten()
            }
            RuleKind::DailyLossLimitPct { pct } => self.breaker.and_then(|loss| {
                deny(RiskDenial::CircuitBreaker {
                    loss_pct: loss,
                    limit_pct: *pct,
                })
            }),
            RuleKind::MaxTradesPerDay { max } if self.trades_today >= *max => {
                deny(RiskDenial::TradesPerDay { max: *max })
            }
            RuleKind::MaxTradesPerSession { max } if self.trades_session >= *max => {
                deny(RiskDenial::TradesPerSession { max: *max })
            }
            RuleKind::CooldownAfterLoss { .. } if self.bars_seen[i] < self.cooldown_until[i] => {
                deny(RiskDenial::Cooldown {
                    symbol: p.symbol.clone(),
                    bars_left: self.cooldown_until[i] - self.bars_seen[i],
                })
            }
            RuleKind::MaxOpenPositions { max }
                if held.is_zero() && portfolio.open_positions() >= *max as usize =>
            {
                deny(RiskDenial::MaxOpenPositions {
                    max: *max,
                    open: portfolio.open_positions(),
                })
            }
            RuleKind::MaxPositionPct { pct, on_breach } => {
                let equity = portfolio.equity_f64();
                let held_abs = decimal_to_f64(held.abs());
                let order_units = decimal_to_f64(qty.get());
                let value = (held_abs + order_units) * p.price;
                let limit = pct / 100.0 * equity;
                if value <= limit * (1.0 + 1e-12) {
                    return None;
                }
                if *on_breach == Breach::Resize {
                    if let Some(step) = p.lot_step {
                        if let Some(fits) = resized_to_step(limit / p.price - held_abs, step)
                            && fits.get() < qty.get()
                        {
                            *qty = fits;
                            return None;
                        }
                    } else {
                        let fits = (limit / p.price).floor() - held_abs;
                        if fits >= 1.0 && fits < order_units {
                            *qty = Quantity(Decimal::from(fits as i64));
                            return None;
                        }
                    }
                }
                deny(RiskDenial::PositionPct {
                    symbol: p.symbol.clone(),
                    order_value: order_units * p.price,
                    position_pct: if equity > 0.0 {
                        value / equity * 100.0
                    } else {
                        f64::INFINITY
                    },
                    limit_pct: *pct,
                })
            }
            RuleKind::MinCashReservePct { pct } if p.side == Side::Buy => {
                let equity = portfolio.equity_f64();
                let cash_after =
                    portfolio.cash().to_f64() - decimal_to_f64(qty.get()) * p.price - p.commission;
                let reserve = pct / 100.0 * equity;
                (cash_after < reserve)
                    .then(|| {
                        deny(RiskDenial::CashReserve {
                            cash_after,
                            reserve,
                            limit_pct: *pct,
                        })
                    })
                    .flatten()
            }
            _ => None,
        }
    }

    /// A fill happened: counts entries and starts trailing stops.
    pub fn on_fill(&mut self, i: usize, entry: bool, from_flat: bool, price: f64) {
        if entry {
            self.trades_today += 1;
            self.trades_session += 1;
        }
        if from_flat {
            self.exits.start(i, price);
        }
    }

    /// A round trip closed; a loss starts the symbol's cooldown.
    pub fn on_trade_closed(&mut self, i: usize, pnl_negative: bool) {
        if !pnl_negative {
            return;
        }
        if let Some(bars) = self.rules.iter().find_map(|r| match r.kind {
            RuleKind::CooldownAfterLoss { bars } => Some(bars),
            _ => None,
        }) {
            self.cooldown_until[i] = self.bars_seen[i] + bars;
        }
    }

    /// Checks symbol `i`'s position against its stop, target and trailing stop on `bar`.
    pub fn auto_exit(
        &mut self,
        i: usize,
        bar: &tradelab_core::Bar,
        qty: Quantity,
        avg_price: f64,
    ) -> Option<AutoExit> {
        self.exits.check(i, bar, qty, avg_price)
    }

    /// End of a step (after the closes are marked): updates the peak, trips the circuit
    /// breaker, and says whether to flatten or halt.
    pub fn end_step(
        &mut self,
        now: Timestamp,
        equity: f64,
        events: &mut Vec<RiskEvent>,
    ) -> Option<StepAction> {
        self.last_equity = equity;
        self.peak_equity = self.peak_equity.max(equity);
        if let Some((rule, limit)) = &self.daily_loss
            && self.breaker.is_none()
            && self.day_start_equity > 0.0
        {
            let loss = (self.day_start_equity - equity) / self.day_start_equity * 100.0;
            if loss >= *limit {
                self.breaker = Some(loss);
                events.push(RiskEvent::CircuitBreakerTripped {
                    rule: rule.clone(),
                    loss_pct: loss,
                    limit_pct: *limit,
                });
            }
        }
        if self.halted.is_none()
            && let Some((rule, limit)) = &self.halt_rule
            && self.peak_equity > 0.0
        {
            let dd = (1.0 - equity / self.peak_equity) * 100.0;
            if dd >= *limit {
                let reason = format!(
                    "equity {:.2} is {dd:.2} % below its peak {:.2}; {rule} halts at {limit} %",
                    equity, self.peak_equity
                );
                self.halted = Some(reason.clone());
                events.push(RiskEvent::Halted {
                    rule: rule.clone(),
                    drawdown_pct: dd,
                    limit_pct: *limit,
                });
                return Some(StepAction::Halt {
                    rule: rule.clone(),
                    reason,
                });
            }
        }
        if let Some((rule, at)) = &self.flatten_at
            && !self.flattened_today
        {
            let t = self.clock.local_time(now);
            if self.clock.close_relative(t) >= *at {
                self.flattened_today = true;
                events.push(RiskEvent::Flatten {
                    rule: rule.clone(),
                    local_time: t.to_string(),
                });
                return Some(StepAction::Flatten { rule: rule.clone() });
            }
        }
        None
    }
}

/// The units of a resize that fit, floored to the lot step: `None` when less than one
/// step fits.
fn resized_to_step(fits: f64, step: Quantity) -> Option<Quantity> {
    use rust_decimal::prelude::FromPrimitive;
    let fits = Decimal::from_f64(fits)?;
    let floored = crate::lots::floor_to_step(fits, step.get()).ok()?;
    (floored >= step.get()).then_some(Quantity(floored))
}
