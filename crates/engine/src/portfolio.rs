//! The exact ledger: cash, positions and their cost basis, realized PnL, commissions.
//!
//! Every amount is decimal. Mark-to-market for the equity curve is also kept as `f64`
//! (analytics), updated on each fill and each close.
//!
//! Every decimal operation is checked: one whose result a decimal cannot hold returns
//! [`LedgerOverflow`] naming the operation and its amounts. A fill that fails this way
//! may leave the ledger half-updated; the run loop then ends the run as failed and
//! reads nothing more from it.

use crate::trades::ClosedTrade;
use std::ops::Neg;
use tradelab_core::FastDecimal as Fd;
use tradelab_core::overflow::{self, Arith, LedgerOverflow};
use tradelab_core::{Money, Price, Quantity, Side, Symbol, Timestamp};

/// The result of a ledger operation. The error is boxed: the `Ok` path, taken by every
/// fill, then moves no more than the value itself.
pub type Ledger<T> = Result<T, Box<LedgerOverflow>>;

/// `a + b`, or the overflow of `operation`.
#[inline(always)]
fn add(operation: &'static str, a: Fd, b: Fd) -> Ledger<Fd> {
    match a.checked_add(b) {
        Some(d) => Ok(d),
        None => Err(overflowed(operation, Arith::Add, a, b)),
    }
}

/// `a − b`, or the overflow of `operation`.
#[inline(always)]
fn sub(operation: &'static str, a: Fd, b: Fd) -> Ledger<Fd> {
    match a.checked_sub(b) {
        Some(d) => Ok(d),
        None => Err(overflowed(operation, Arith::Sub, a, b)),
    }
}

/// `a × b`, or the overflow of `operation`.
#[inline(always)]
fn mul(operation: &'static str, a: Fd, b: Fd) -> Ledger<Fd> {
    match a.checked_mul(b) {
        Some(d) => Ok(d),
        None => Err(overflowed(operation, Arith::Mul, a, b)),
    }
}

#[cold]
#[inline(never)]
fn overflowed(operation: &'static str, op: Arith, a: Fd, b: Fd) -> Box<LedgerOverflow> {
    Box::new(LedgerOverflow::new(
        operation,
        op,
        a.to_decimal(),
        b.to_decimal(),
    ))
}

/// Decimal places kept for amounts that come out of a division (a pro-rata share of a
/// position's cost or of a fill's commission). Rounding them to a fixed scale keeps
/// every later sum exact; what is taken from one account is exactly what the other gets.
const LEDGER_DP: u32 = 12;

/// One symbol's holding. `cost` is signed (`qty · average entry price`).
#[derive(Clone, Debug, Default)]
struct Position {
    qty: Fd,
    cost: Fd,
    /// The round trip the position belongs to, valid while `in_trade` (kept in place
    /// between trades rather than moved in and out of an `Option`).
    trade: OpenTrade,
    in_trade: bool,
}

/// The round trip a non-zero position belongs to.
#[derive(Clone, Debug)]
struct OpenTrade {
    entry_ts: Timestamp,
    entry_step: usize,
    max_abs_qty: Fd,
    long: bool,
    entry_notional: Fd,
    entry_units: Fd,
    exit_notional: Fd,
    exit_units: Fd,
    /// The price of every entry fill while they all had one price (then the average
    /// entry price is that price, no division needed); `None` once prices differed.
    entry_price: Option<Fd>,
    /// The same for the exit fills (`None` also before the first exit).
    exit_price: Option<Fd>,
    commissions: Fd,
    realized: Fd,
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
///
/// Amounts are kept as [`Fd`] (unpacked decimals with `Decimal`'s exact arithmetic) and
/// handed out as `Money`, `Price` and `Quantity`.
#[derive(Clone, Debug)]
pub struct Portfolio {
    initial_cash: Money,
    cash: Fd,
    realized: Fd,
    commissions: Fd,
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
            cash: Fd::from(initial_cash.get()),
            realized: Fd::ZERO,
            commissions: Fd::ZERO,
            positions: vec![Position::default(); n],
            symbols,
            marks: vec![f64::NAN; n],
            cash_f64: initial_cash.to_f64(),
            qty_f64: vec![0.0; n],
            open_count: 0,
        }
    }

    /// Cash on hand (negative only when short proceeds were spent; never for long-only
    /// runs).
    pub fn cash(&self) -> Money {
        Money(self.cash.to_decimal())
    }

    /// Cash at the start of the run.
    pub fn initial_cash(&self) -> Money {
        self.initial_cash
    }

    /// Signed position in symbol `i` (negative = short).
    #[inline]
    pub fn position(&self, i: usize) -> Quantity {
        Quantity(self.positions[i].qty.to_decimal())
    }

    /// Signed cost basis of symbol `i`'s position.
    pub fn cost_basis(&self, i: usize) -> Money {
        Money(self.positions[i].cost.to_decimal())
    }

    /// Average entry price of symbol `i`'s position (zero when flat).
    pub fn avg_price(&self, i: usize) -> Ledger<Price> {
        let p = &self.positions[i];
        if p.qty.is_zero() {
            return Ok(Price::ZERO);
        }
        let divided = || {
            let op = "average entry price (cost ÷ units)";
            Ok(Price(overflow::div(
                op,
                p.cost.to_decimal(),
                p.qty.to_decimal(),
            )?))
        };
        let t = &p.trade;
        // Not reduced yet and entered at one price: the cost is exactly that price times
        // the units, so the division would return that price (as a value; the division
        // may write it with trailing zeros, e.g. `99.9900`).
        match t.entry_price {
            Some(price) if p.in_trade && t.exit_units.is_zero() && t.entry_units == p.qty.abs() => {
                Ok(Price(price.to_decimal()))
            }
            _ => divided(),
        }
    }

    /// Number of symbols with a non-zero position.
    pub fn open_positions(&self) -> usize {
        self.open_count
    }

    /// Realized PnL before commissions, over all closes so far.
    pub fn realized(&self) -> Money {
        Money(self.realized.to_decimal())
    }

    /// Commissions paid so far.
    pub fn commissions(&self) -> Money {
        Money(self.commissions.to_decimal())
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
    pub fn equity(&self) -> Ledger<Money> {
        let mut e = self.cash.to_decimal();
        for (i, p) in self.positions.iter().enumerate() {
            if !p.qty.is_zero() {
                let op = "equity: position value (units × latest close)";
                let value = overflow::mul(op, p.qty.to_decimal(), self.mark_price(i).get())?;
                e = overflow::add("equity: cash plus position values", e, value)?;
            }
        }
        Ok(Money(e))
    }

    /// Unrealized PnL at the latest marks (exact).
    pub fn unrealized(&self) -> Ledger<Money> {
        let mut u = rust_decimal::Decimal::ZERO;
        for (i, p) in self.positions.iter().enumerate() {
            if !p.qty.is_zero() {
                let op = "unrealized PnL: position value (units × latest close)";
                let value = overflow::mul(op, p.qty.to_decimal(), self.mark_price(i).get())?;
                let op = "unrealized PnL: position value minus cost";
                let gain = overflow::sub(op, value, p.cost.to_decimal())?;
                u = overflow::add("unrealized PnL: sum over positions", u, gain)?;
            }
        }
        Ok(Money(u))
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
    #[inline]
    pub(crate) fn apply(&mut self, f: LedgerFill) -> Ledger<Option<ClosedTrade>> {
        let fill = Fill {
            symbol: f.symbol,
            qty: Fd::from(f.qty.get()),
            price: Fd::from(f.price.get()),
            commission: Fd::from(f.commission.get()),
            ts: f.ts,
            step: f.step,
        };
        let buying = f.side == Side::Buy && !fill.qty.is_zero();
        let signed = if f.side == Side::Buy {
            fill.qty
        } else {
            fill.qty.neg()
        };
        let notional = mul("fill notional (price × units)", fill.price, fill.qty)?;
        self.cash = match f.side {
            Side::Buy => sub("cash after a buy", self.cash, notional)?,
            Side::Sell => add("cash after a sell", self.cash, notional)?,
        };
        self.cash = sub("cash after the commission", self.cash, fill.commission)?;
        self.commissions = add("commissions paid", self.commissions, fill.commission)?;
        self.cash_f64 = self.cash.to_f64();

        let pos_qty = self.positions[f.symbol].qty;
        let was_open = !pos_qty.is_zero();
        let reducing = was_open && (pos_qty.is_positive() != buying);
        let mut closed = None;
        if reducing {
            let units = signed.abs();
            let closing_units = units.min(pos_qty.abs());
            let rest_units = sub("units left after the close", units, closing_units)?;
            let close_commission = if rest_units.is_zero() {
                fill.commission
            } else {
                pro_rata(fill.commission, closing_units, units)?
            };
            closed = self.reduce(&fill, closing_units, close_commission)?;
            if !rest_units.is_zero() {
                let op = "commission of the opening part";
                let open_commission = sub(op, fill.commission, close_commission)?;
                let rest = if buying { rest_units } else { rest_units.neg() };
                let op = "notional of the opening part (price × units)";
                let rest_notional = mul(op, fill.price, rest_units)?;
                self.increase(&fill, rest, rest_notional, open_commission)?;
            }
        } else {
            self.increase(&fill, signed, notional, fill.commission)?;
        }
        let now_open = !self.positions[f.symbol].qty.is_zero();
        match (was_open, now_open) {
            (false, true) => self.open_count += 1,
            (true, false) => self.open_count -= 1,
            _ => {}
        }
        self.qty_f64[f.symbol] = self.positions[f.symbol].qty.to_f64();
        Ok(closed)
    }

    /// Adds `signed_units` to the position; `notional` is `price · |signed_units|`.
    fn increase(&mut self, f: &Fill, signed_units: Fd, notional: Fd, commission: Fd) -> Ledger<()> {
        let pos = &mut self.positions[f.symbol];
        let long = signed_units.is_positive();
        // price · signed_units: the same product with the units' sign.
        let signed_notional = if long { notional } else { notional.neg() };
        pos.qty = add("position units", pos.qty, signed_units)?;
        pos.cost = add("position cost", pos.cost, signed_notional)?;
        let trade = &mut pos.trade;
        if !pos.in_trade {
            pos.in_trade = true;
            trade.start(f, long);
        }
        if trade.entry_price.is_some_and(|p| !p.same_repr(f.price)) {
            trade.entry_price = None;
        }
        trade.entry_notional = add("trade entry notional", trade.entry_notional, notional)?;
        trade.entry_units = add("trade entry units", trade.entry_units, signed_units.abs())?;
        trade.commissions = add("trade commissions", trade.commissions, commission)?;
        trade.max_abs_qty = trade.max_abs_qty.max(pos.qty.abs());
        Ok(())
    }

    fn reduce(&mut self, f: &Fill, units: Fd, commission: Fd) -> Ledger<Option<ClosedTrade>> {
        let pos = &mut self.positions[f.symbol];
        let old_abs = pos.qty.abs();
        let long = pos.qty.is_positive();
        let cost_removed = if units == old_abs {
            pos.cost
        } else {
            pro_rata(pos.cost, units, old_abs)?
        };
        // Proceeds of the closing units, signed like the position they close.
        let proceeds = mul(
            "proceeds of the closing units (price × units)",
            f.price,
            units,
        )?;
        let value = if long { proceeds } else { proceeds.neg() };
        let realized = sub("realized PnL of the close", value, cost_removed)?;
        self.realized = add("realized PnL", self.realized, realized)?;
        pos.cost = sub("position cost", pos.cost, cost_removed)?;
        pos.qty = if long {
            sub("position units", pos.qty, units)?
        } else {
            add("position units", pos.qty, units)?
        };
        if !pos.in_trade {
            return Ok(None);
        }
        let trade = &mut pos.trade;
        trade.realized = add("trade realized PnL", trade.realized, realized)?;
        trade.commissions = add("trade commissions", trade.commissions, commission)?;
        trade.exit_notional = add("trade exit notional", trade.exit_notional, proceeds)?;
        trade.exit_price = if trade.exit_units.is_zero()
            || trade.exit_price.is_some_and(|p| p.same_repr(f.price))
        {
            Some(f.price)
        } else {
            None
        };
        trade.exit_units = add("trade exit units", trade.exit_units, units)?;
        if !pos.qty.is_zero() {
            return Ok(None);
        }
        pos.cost = Fd::ZERO;
        pos.in_trade = false;
        pos.trade.close(self.symbols[f.symbol].clone(), f).map(Some)
    }
}

impl Default for OpenTrade {
    fn default() -> Self {
        OpenTrade {
            entry_ts: Timestamp::from_nanos(0),
            entry_step: 0,
            max_abs_qty: Fd::ZERO,
            long: true,
            entry_notional: Fd::ZERO,
            entry_units: Fd::ZERO,
            exit_notional: Fd::ZERO,
            exit_units: Fd::ZERO,
            entry_price: None,
            exit_price: None,
            commissions: Fd::ZERO,
            realized: Fd::ZERO,
        }
    }
}

impl OpenTrade {
    /// Starts the round trip of fill `f` (field by field: no temporary to copy in).
    #[inline]
    fn start(&mut self, f: &Fill, long: bool) {
        self.entry_ts = f.ts;
        self.entry_step = f.step;
        self.max_abs_qty = Fd::ZERO;
        self.long = long;
        self.entry_notional = Fd::ZERO;
        self.entry_units = Fd::ZERO;
        self.exit_notional = Fd::ZERO;
        self.exit_units = Fd::ZERO;
        self.entry_price = Some(f.price);
        self.exit_price = None;
        self.commissions = Fd::ZERO;
        self.realized = Fd::ZERO;
    }

    /// The finished round trip, closed by fill `f`.
    #[inline(never)]
    fn close(&self, symbol: Symbol, f: &Fill) -> Ledger<ClosedTrade> {
        let t = self;
        let pnl = sub(
            "trade PnL (realized minus commissions)",
            t.realized,
            t.commissions,
        )?;
        let op = "trade entry price (notional ÷ units)";
        let entry_price = average_price(op, t.entry_price, t.entry_notional, t.entry_units)?;
        let op = "trade exit price (notional ÷ units)";
        let exit_price = average_price(op, t.exit_price, t.exit_notional, t.exit_units)?;
        let capital = t.entry_notional.to_f64();
        Ok(ClosedTrade {
            symbol,
            qty: Quantity(
                if t.long {
                    t.max_abs_qty
                } else {
                    t.max_abs_qty.neg()
                }
                .to_decimal(),
            ),
            entry_ts: t.entry_ts,
            exit_ts: f.ts,
            entry_price,
            exit_price,
            pnl: Money(pnl.to_decimal()),
            commissions: Money(t.commissions.to_decimal()),
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

/// Average price of fills worth `notional` for `units`: `price` when every fill had
/// that one price (the division would give the same value at the same scale).
#[inline(always)]
fn average_price(what: &'static str, price: Option<Fd>, notional: Fd, units: Fd) -> Ledger<Price> {
    match price {
        Some(p) => Ok(Price(p.to_decimal())),
        None => Ok(Price(overflow::div(
            what,
            notional.to_decimal(),
            units.to_decimal(),
        )?)),
    }
}

/// `amount · part / whole` rounded to [`LEDGER_DP`] places: the share of a cost or a
/// commission that goes with `part` of `whole` units.
#[cold]
#[inline(never)]
fn pro_rata(amount: Fd, part: Fd, whole: Fd) -> Ledger<Fd> {
    let op = "pro-rata share (amount × part of the units)";
    let scaled = overflow::mul(op, amount.to_decimal(), part.to_decimal())?;
    let op = "pro-rata share (amount × part ÷ all units)";
    let share = overflow::div(op, scaled, whole.to_decimal())?;
    Ok(Fd::from(share.round_dp(LEDGER_DP)))
}

/// A fill in the ledger's own number type.
struct Fill {
    symbol: usize,
    /// Positive number of units.
    qty: Fd,
    price: Fd,
    commission: Fd,
    ts: Timestamp,
    step: usize,
}
