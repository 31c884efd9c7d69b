//! The exact ledger: cash, positions and their cost basis, realized PnL, commissions.
//!
//! Every amount is decimal. Mark-to-market for the equity curve is also kept as `f64`
//! (analytics), updated on each fill and each close.

use crate::trades::ClosedTrade;
use rust_decimal::Decimal;
use tradelab_core::money::exact;
use tradelab_core::{Money, Price, Quantity, Side, Symbol, Timestamp};

/// Decimal places kept for amounts that come out of a division (a pro-rata share of a
/// position's cost or of a fill's commission). Rounding them to a fixed scale keeps
/// every later sum exact; what is taken from one account is exactly what the other gets.
const LEDGER_DP: u32 = 12;

/// One symbol's holding. `cost` is signed (`qty · average entry price`).
#[derive(Clone, Debug, Default)]
struct Position {
    qty: Quantity,
    cost: Money,
    trade: Option<OpenTrade>,
}

/// The round trip a non-zero position belongs to.
#[derive(Clone, Debug)]
struct OpenTrade {
    entry_ts: Timestamp,
    entry_step: usize,
    max_abs_qty: Decimal,
    long: bool,
    entry_notional: Money,
    entry_units: Decimal,
    exit_notional: Money,
    exit_units: Decimal,
    /// The price of every entry fill while they all had one price (then the average
    /// entry price is that price, no division needed); `None` once prices differed.
    entry_price: Option<Price>,
    /// The same for the exit fills (`None` also before the first exit).
    exit_price: Option<Price>,
    commissions: Money,
    realized: Money,
}

/// A fill as the ledger needs it.
#[derive(Clone, Copy, Debug)]
pub struct LedgerFill {
    pub symbol: usize,
    pub side: Side,
    /// Positive number of units.
    pub qty: Quantity,
    pub price: Price,
    pub commission: Money,
    pub ts: Timestamp,
    pub step: usize,
}

/// Cash and positions of one run.
#[derive(Clone, Debug)]
pub struct Portfolio {
    initial_cash: Money,
    cash: Money,
    realized: Money,
    commissions: Money,
    positions: Vec<Position>,
    symbols: Vec<Symbol>,
    marks: Vec<f64>,
    cash_f64: f64,
    qty_f64: Vec<f64>,
    open_count: usize,
}

impl Portfolio {
    /// A flat account holding `initial_cash`, for the run's symbols.
    pub fn new(initial_cash: Money, symbols: Vec<Symbol>) -> Self {
        let n = symbols.len();
        Portfolio {
            initial_cash,
            cash: initial_cash,
            realized: Money::ZERO,
            commissions: Money::ZERO,
            positions: vec![Position::default(); n],
            symbols,
            marks: vec![f64::NAN; n],
            cash_f64: initial_cash.to_f64(),
            qty_f64: vec![0.0; n],
            open_count: 0,
        }
    }

    /// Cash on hand (may be negative only when shorting proceeds were spent... never for
    /// long-only runs).
    pub fn cash(&self) -> Money {
        self.cash
    }

    /// Cash at the start of the run.
    pub fn initial_cash(&self) -> Money {
        self.initial_cash
    }

    /// Signed position in symbol `i` (negative = short).
    #[inline]
    pub fn position(&self, i: usize) -> Quantity {
        self.positions[i].qty
    }

    /// Signed cost basis of symbol `i`'s position.
    pub fn cost_basis(&self, i: usize) -> Money {
        self.positions[i].cost
    }

    /// Average entry price of symbol `i`'s position (zero when flat).
    pub fn avg_price(&self, i: usize) -> Price {
        let p = &self.positions[i];
        if p.qty.is_zero() {
            return Price::ZERO;
        }
        match &p.trade {
            // Not reduced yet and entered at one price: the cost is exactly that price
            // times the units, so the division would return that price (as a value; the
            // division may write it with trailing zeros, e.g. `99.9900`).
            Some(t) if t.exit_units.is_zero() && t.entry_units == p.qty.get().abs() => {
                match t.entry_price {
                    Some(price) => price,
                    None => Price(p.cost.get() / p.qty.get()),
                }
            }
            _ => Price(p.cost.get() / p.qty.get()),
        }
    }

    /// Number of symbols with a non-zero position.
    pub fn open_positions(&self) -> usize {
        self.open_count
    }

    /// Realized PnL before commissions, over all closes so far.
    pub fn realized(&self) -> Money {
        self.realized
    }

    /// Commissions paid so far.
    pub fn commissions(&self) -> Money {
        self.commissions
    }

    /// Latest mark (close) of symbol `i`, NaN before its first bar.
    pub fn mark(&self, i: usize) -> f64 {
        self.marks[i]
    }

    /// Equity marked at the latest closes, as `f64` (for the equity curve and sizing).
    #[inline]
    pub fn equity_f64(&self) -> f64 {
        let mut e = self.cash_f64;
        if self.open_count > 0 {
            for (q, m) in self.qty_f64.iter().zip(&self.marks) {
                if *q != 0.0 {
                    e += q * m;
                }
            }
        }
        e
    }

    /// Market value of every position except symbol `skip`, as `f64` (absolute values).
    pub fn gross_exposure_except(&self, skip: usize) -> f64 {
        self.qty_f64
            .iter()
            .zip(&self.marks)
            .enumerate()
            .filter(|(i, (q, _))| *i != skip && **q != 0.0)
            .map(|(_, (q, m))| (q * m).abs())
            .sum()
    }

    /// Exact equity: cash plus every position at its latest mark taken as the decimal
    /// the price was written as.
    pub fn equity(&self) -> Money {
        let mut e = self.cash;
        for (i, p) in self.positions.iter().enumerate() {
            if !p.qty.is_zero() {
                e += p.qty * self.mark_price(i);
            }
        }
        e
    }

    /// Unrealized PnL at the latest marks (exact).
    pub fn unrealized(&self) -> Money {
        let mut u = Money::ZERO;
        for (i, p) in self.positions.iter().enumerate() {
            if !p.qty.is_zero() {
                u += p.qty * self.mark_price(i) - p.cost;
            }
        }
        u
    }

    fn mark_price(&self, i: usize) -> Price {
        Price::from_f64(self.marks[i]).unwrap_or(Price::ZERO)
    }

    /// Records the latest close of symbol `i`.
    #[inline]
    pub(crate) fn set_mark(&mut self, i: usize, close: f64) {
        self.marks[i] = close;
    }

    /// Applies a fill to cash and position; returns the round trip it closed, if any.
    /// A fill that crosses zero closes the old trade and opens a new one with the rest;
    /// its commission is split between the two in proportion to units.
    pub(crate) fn apply(&mut self, f: LedgerFill) -> Option<ClosedTrade> {
        let signed = match f.side {
            Side::Buy => f.qty.get(),
            Side::Sell => -f.qty.get(),
        };
        let buying = f.side == Side::Buy && !f.qty.is_zero();
        let notional = f.price * f.qty;
        match f.side {
            Side::Buy => self.cash -= notional,
            Side::Sell => self.cash += notional,
        }
        self.cash -= f.commission;
        self.commissions += f.commission;
        self.cash_f64 = self.cash.to_f64();

        let was_open = !self.positions[f.symbol].qty.is_zero();
        let pos_qty = self.positions[f.symbol].qty.get();
        let reducing = !pos_qty.is_zero() && (pos_qty.is_sign_positive() != buying);
        let mut closed = None;
        if reducing {
            let closing_units = exact::min(signed.abs(), pos_qty.abs());
            let rest_units = exact::sub(signed.abs(), closing_units);
            let close_commission = if rest_units.is_zero() {
                f.commission
            } else {
                Money((f.commission.get() * closing_units / signed.abs()).round_dp(LEDGER_DP))
            };
            closed = self.reduce(f, closing_units, close_commission);
            if !rest_units.is_zero() {
                let open_commission = f.commission - close_commission;
                let rest = if buying { rest_units } else { -rest_units };
                let rest_notional = exact::mul(f.price.get(), rest_units);
                self.increase(f, rest, rest_notional, open_commission);
            }
        } else {
            self.increase(f, signed, notional.get(), f.commission);
        }
        let now_open = !self.positions[f.symbol].qty.is_zero();
        match (was_open, now_open) {
            (false, true) => self.open_count += 1,
            (true, false) => self.open_count -= 1,
            _ => {}
        }
        self.qty_f64[f.symbol] = self.positions[f.symbol].qty.to_f64();
        closed
    }

    /// Adds `signed_units` to the position; `notional` is `price · |signed_units|`.
    fn increase(
        &mut self,
        f: LedgerFill,
        signed_units: Decimal,
        notional: Decimal,
        commission: Money,
    ) {
        let pos = &mut self.positions[f.symbol];
        let long = signed_units.is_sign_positive() && !signed_units.is_zero();
        // price · signed_units: the same product with the units' sign (zero stays the
        // unsigned zero the multiplication returns).
        let signed_notional = if long || notional.is_zero() {
            notional
        } else {
            -notional
        };
        let notional = Money(notional);
        pos.qty = Quantity(exact::add(pos.qty.get(), signed_units));
        pos.cost += Money(signed_notional);
        let trade = pos.trade.get_or_insert(OpenTrade {
            entry_ts: f.ts,
            entry_step: f.step,
            max_abs_qty: Decimal::ZERO,
            long,
            entry_notional: Money::ZERO,
            entry_units: Decimal::ZERO,
            exit_notional: Money::ZERO,
            exit_units: Decimal::ZERO,
            entry_price: Some(f.price),
            exit_price: None,
            commissions: Money::ZERO,
            realized: Money::ZERO,
        });
        if trade.entry_price.is_some_and(|p| !same_price(p, f.price)) {
            trade.entry_price = None;
        }
        trade.entry_notional += notional;
        trade.entry_units = exact::add(trade.entry_units, signed_units.abs());
        trade.commissions += commission;
        trade.max_abs_qty = exact::max(trade.max_abs_qty, pos.qty.get().abs());
    }

    fn reduce(&mut self, f: LedgerFill, units: Decimal, commission: Money) -> Option<ClosedTrade> {
        let pos = &mut self.positions[f.symbol];
        let old_abs = pos.qty.get().abs();
        let long = pos.qty.get().is_sign_positive();
        let cost_removed = if exact::cmp(units, old_abs).is_eq() {
            pos.cost
        } else {
            Money((pos.cost.get() * units / old_abs).round_dp(LEDGER_DP))
        };
        // Proceeds of the closing units, signed like the position they close.
        let proceeds = exact::mul(f.price.get(), units);
        let value = Money(if long || proceeds.is_zero() {
            proceeds
        } else {
            -proceeds
        });
        let realized = value - cost_removed;
        self.realized += realized;
        pos.cost -= cost_removed;
        pos.qty = Quantity(if long {
            exact::sub(pos.qty.get(), units)
        } else {
            exact::add(pos.qty.get(), units)
        });
        let trade = pos.trade.as_mut()?;
        trade.realized += realized;
        trade.commissions += commission;
        trade.exit_notional += Money(proceeds);
        trade.exit_price = if trade.exit_units.is_zero()
            || trade.exit_price.is_some_and(|p| same_price(p, f.price))
        {
            Some(f.price)
        } else {
            None
        };
        trade.exit_units = exact::add(trade.exit_units, units);
        if !pos.qty.is_zero() {
            return None;
        }
        pos.cost = Money::ZERO;
        let t = pos.trade.take()?;
        let pnl = t.realized - t.commissions;
        // One price for all fills: the average is that price (the division would give
        // the same value at the same scale).
        let average = |price: Option<Price>, notional: Money, units: Decimal| match price {
            Some(p) => p,
            None => Price(notional.get() / units),
        };
        let entry_price = average(t.entry_price, t.entry_notional, t.entry_units);
        let exit_price = average(t.exit_price, t.exit_notional, t.exit_units);
        let capital = t.entry_notional.to_f64();
        Some(ClosedTrade {
            symbol: self.symbols[f.symbol].clone(),
            qty: Quantity(if t.long {
                t.max_abs_qty
            } else {
                -t.max_abs_qty
            }),
            entry_ts: t.entry_ts,
            exit_ts: f.ts,
            entry_price,
            exit_price,
            pnl,
            commissions: t.commissions,
            return_pct: if capital > 0.0 {
                pnl.to_f64() / capital * 100.0
            } else {
                0.0
            },
            entry_step: t.entry_step,
            exit_step: f.step,
        })
    }
}

/// The same price written the same way (value and scale).
fn same_price(a: Price, b: Price) -> bool {
    a.get().scale() == b.get().scale() && a == b
}
