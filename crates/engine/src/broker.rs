//! The paper broker: working orders, the fill model, slippage, commission and sizing.
//!
//! Fill rules (declared in every report):
//! - `next_open`: a market order decided at bar t's close fills at the open of the
//!   symbol's next bar. `close`: it fills at the close of the bar it was decided on.
//! - Limit and stop orders fill on the first later bar whose range reaches the price:
//!   at the open when the bar gaps through the level, otherwise at the level. Under
//!   `close`, one that is already marketable at the decision bar's close fills there.
//! - Slippage (basis points, adverse) applies to market and stop fills, not to limits.
//! - Commission `max(rate · notional + per_share · units, minimum)` on every fill.
//!
//! Every decimal amount is checked: one a decimal cannot hold is a [`LedgerOverflow`].

use crate::config::{Commission, RunConfig};
use crate::event::RejectReason;
use crate::lots::{floor_to_step, on_step, stepped_units};
use crate::portfolio::Ledger;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use tradelab_core::FastDecimal as Fd;
use tradelab_core::money::decimal_to_f64;
use tradelab_core::overflow::{self, Arith, LedgerOverflow};
use tradelab_core::{Bar, Money, Order, OrderType, Price, Quantity, Side, Sizing};

/// Why a fill price was chosen, before slippage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Trigger {
    /// Unslipped execution price.
    pub base: Price,
    /// Whether slippage applies (market and stop fills).
    pub slips: bool,
}

/// Price at which `order` executes on `bar` when it is a later bar than the decision,
/// or `None` when the bar's range does not reach the order's price.
pub(crate) fn trigger_on_bar(order: &Order, bar: &Bar) -> Option<Trigger> {
    let (open, high, low) = (bar.open(), bar.high(), bar.low());
    let side = order.intent.side;
    let at = |p: f64, slips: bool| Price::from_f64(p).ok().map(|base| Trigger { base, slips });
    match order.intent.order_type {
        OrderType::Market => at(open, true),
        OrderType::Limit(limit) => {
            let l = limit.to_f64();
            match side {
                Side::Buy if open <= l => at(open, false),
                Side::Buy if low <= l => Some(Trigger {
                    base: limit,
                    slips: false,
                }),
                Side::Sell if open >= l => at(open, false),
                Side::Sell if high >= l => Some(Trigger {
                    base: limit,
                    slips: false,
                }),
                _ => None,
            }
        }
        OrderType::Stop(stop) => {
            let s = stop.to_f64();
            match side {
                Side::Buy if open >= s => at(open, true),
                Side::Buy if high >= s => Some(Trigger {
                    base: stop,
                    slips: true,
                }),
                Side::Sell if open <= s => at(open, true),
                Side::Sell if low <= s => Some(Trigger {
                    base: stop,
                    slips: true,
                }),
                _ => None,
            }
        }
    }
}

/// Price at which `order` executes at the close of the bar it was decided on
/// (`close` fill model), or `None` when it is not marketable there.
pub(crate) fn trigger_at_close(order: &Order, close: f64) -> Option<Trigger> {
    let side = order.intent.side;
    let marketable = match order.intent.order_type {
        OrderType::Market => true,
        OrderType::Limit(l) => match side {
            Side::Buy => close <= l.to_f64(),
            Side::Sell => close >= l.to_f64(),
        },
        OrderType::Stop(s) => match side {
            Side::Buy => close >= s.to_f64(),
            Side::Sell => close <= s.to_f64(),
        },
    };
    let slips = !matches!(order.intent.order_type, OrderType::Limit(_));
    if !marketable {
        return None;
    }
    Price::from_f64(close)
        .ok()
        .map(|base| Trigger { base, slips })
}

/// Applies adverse slippage: buys pay more, sells receive less.
pub(crate) fn slipped(base: Price, side: Side, slips: bool, bps: Decimal) -> Ledger<Price> {
    if !slips || bps.is_zero() {
        return Ok(base);
    }
    // `bps` is at most 10 000 (checked when the engine is built): the factor is in 0..=2.
    let f = bps / Decimal::from(10_000);
    let factor = match side {
        Side::Buy => Decimal::ONE + f,
        Side::Sell => Decimal::ONE - f,
    };
    let op = "slipped price (price × slippage factor)";
    Ok(Price(overflow::mul(op, base.get(), factor)?))
}

/// Commission for one fill.
pub(crate) fn commission(c: &Commission, price: Price, qty: Quantity) -> Ledger<Money> {
    if c.rate.is_zero() && c.per_share.is_zero() && c.minimum.is_zero() {
        // What the general rule gives, `max(0, 0)`, written as plain zero.
        return Ok(Money::ZERO);
    }
    let (rate, per_share) = (Fd::from(c.rate), Fd::from(c.per_share));
    let minimum = Fd::from(c.minimum);
    let units = Fd::from(qty.get()).abs();
    let price = Fd::from(price.get());
    let fail = |what: &'static str, op: Arith, a: Fd, b: Fd| {
        Box::new(LedgerOverflow::new(
            what,
            op,
            a.to_decimal(),
            b.to_decimal(),
        ))
    };
    let on_price = rate
        .checked_mul(price)
        .ok_or_else(|| fail("commission (rate × price)", Arith::Mul, rate, price))?;
    let on_notional = on_price.checked_mul(units).ok_or_else(|| {
        fail(
            "commission (rate × price × units)",
            Arith::Mul,
            on_price,
            units,
        )
    })?;
    let on_units = per_share.checked_mul(units).ok_or_else(|| {
        fail(
            "commission (per-share fee × units)",
            Arith::Mul,
            per_share,
            units,
        )
    })?;
    let fee = on_notional.checked_add(on_units).ok_or_else(|| {
        fail(
            "commission (on notional + on units)",
            Arith::Add,
            on_notional,
            on_units,
        )
    })?;
    Ok(Money(fee.max(minimum).to_decimal()))
}

/// Whole units that `budget` buys at `price`, commission included (backtesting.py's
/// all-in rule): `floor(budget · (1 − ε) / (price · (1 + rate) + per_share))`.
///
/// With a lot step (crypto), the same budget buys the fractional amount: the quotient
/// `budget · (1 − ε) / unit cost` floored to a multiple of the step.
pub(crate) fn all_in_units(
    budget: f64,
    price: Price,
    c: &Commission,
    step: Option<Quantity>,
) -> Ledger<Quantity> {
    let p = price.to_f64();
    let unit_cost = p + p * decimal_to_f64(c.rate) + decimal_to_f64(c.per_share);
    if !(budget > 0.0 && unit_cost > 0.0) {
        return Ok(Quantity::ZERO);
    }
    if let Some(step) = step {
        let units = budget * (1.0 - f64::EPSILON) / unit_cost;
        return match Decimal::from_f64(units) {
            Some(units) => Ok(Quantity(floor_to_step(units, step.get())?)),
            None => Ok(Quantity::ZERO),
        };
    }
    let units = floordiv_positive(budget * (1.0 - f64::EPSILON), unit_cost);
    Ok(if units < 9.0e15 {
        Quantity(Decimal::from(units as i64))
    } else {
        Quantity(Decimal::from_f64(units).unwrap_or(Decimal::ZERO))
    })
}

/// The most whole units `cash` pays for at `price`, commission included, in exact
/// decimals. All-in sizes follow backtesting.py's f64 rule; at magnitudes where its
/// rounding sizes a few units more than the cash pays for (cash near 10^20), the
/// order buys this many instead of being rejected.
///
/// With a lot step, the most multiples of the step instead of whole units.
pub(crate) fn affordable_units(
    cash: Money,
    price: Price,
    c: &Commission,
    step: Option<Quantity>,
) -> Ledger<Quantity> {
    let unit_cost = unit_cost(price, c)?;
    if unit_cost <= Decimal::ZERO || cash.get() <= Decimal::ZERO {
        return Ok(Quantity::ZERO);
    }
    if let Some(step) = step {
        return affordable_steps(cash, price, c, unit_cost, step.get());
    }
    let op = "affordable units (cash ÷ cost of one unit)";
    let mut units = overflow::div(op, cash.get(), unit_cost)?.floor();
    let op = "affordable units: cost with commission (units × unit cost)";
    let with_fees = overflow::mul(op, units, unit_cost)?;
    let op = "affordable units: cost without commission (units × price)";
    let bare = overflow::mul(op, units, price.get())?;
    let op = "affordable units: commission part of the cost";
    if overflow::sub(op, with_fees, bare)? < c.minimum {
        // The minimum commission applies: price · units + minimum must fit.
        let op = "affordable units: cash left for the minimum commission";
        let left = overflow::sub(op, cash.get(), c.minimum)?;
        let op = "affordable units (cash less minimum commission ÷ price)";
        units = units.min(overflow::div(op, left, price.get())?.floor());
    }
    Ok(Quantity(units.max(Decimal::ZERO)))
}

/// [`affordable_units`] in multiples of a lot step.
fn affordable_steps(
    cash: Money,
    price: Price,
    c: &Commission,
    unit_cost: Decimal,
    step: Decimal,
) -> Ledger<Quantity> {
    let mut units = stepped_units(cash.get(), unit_cost, step)?;
    let op = "affordable units: cost with commission (units × unit cost)";
    let with_fees = overflow::mul(op, units, unit_cost)?;
    let op = "affordable units: cost without commission (units × price)";
    let bare = overflow::mul(op, units, price.get())?;
    let op = "affordable units: commission part of the cost";
    if overflow::sub(op, with_fees, bare)? < c.minimum {
        let op = "affordable units: cash left for the minimum commission";
        let left = overflow::sub(op, cash.get(), c.minimum)?;
        units = units.min(stepped_units(left, price.get(), step)?);
    }
    Ok(Quantity(units.max(Decimal::ZERO)))
}

/// Cost of one unit at `price`, commission rate and per-share fee included.
fn unit_cost(price: Price, c: &Commission) -> Ledger<Decimal> {
    let op = "cost of one unit (price × (1 + commission rate))";
    let with_rate = overflow::mul(op, price.get(), Decimal::ONE + c.rate)?;
    let op = "cost of one unit (plus the per-share fee)";
    Ok(overflow::add(op, with_rate, c.per_share)?)
}

/// [`py_floordiv`] of positive numbers, by one division when the quotient is not within
/// 1e-9 of a whole number: the rounding error of `a / b` (below 1.2e-10 for quotients
/// under a million) then cannot change its floor, and Python returns exactly that floor.
fn floordiv_positive(a: f64, b: f64) -> f64 {
    let q = a / b;
    if q < 1e6 {
        let whole = q as i64 as f64;
        let frac = q - whole;
        if frac > 1e-9 && frac < 1.0 - 1e-9 {
            return whole;
        }
    }
    py_floordiv(a, b)
}

/// Python's float floor division `a // b` (CPython `float_floor_div`), which can differ
/// from `(a / b).floor()` in the last bit; used so all-in sizes match backtesting.py.
fn py_floordiv(a: f64, b: f64) -> f64 {
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m += b;
        div -= 1.0;
    }
    let _ = m;
    if div != 0.0 {
        let mut floordiv = div.floor();
        if div - floordiv > 0.5 {
            floordiv += 1.0;
        }
        floordiv
    } else {
        0.0_f64.copysign(a / b)
    }
}

/// Whole units a cash amount buys at `price`, commission included (exact); with a lot
/// step, the most multiples of the step it buys (0.01234 BTC for a step of 0.00001).
pub(crate) fn cash_units(
    amount: Money,
    price: Price,
    c: &Commission,
    step: Option<Quantity>,
) -> Ledger<Quantity> {
    let unit_cost = unit_cost(price, c)?;
    if unit_cost <= Decimal::ZERO || amount.get() <= Decimal::ZERO {
        return Ok(Quantity::ZERO);
    }
    if let Some(step) = step {
        return Ok(Quantity(stepped_units(
            amount.get(),
            unit_cost,
            step.get(),
        )?));
    }
    let op = "units a cash amount buys (amount ÷ cost of one unit)";
    Ok(Quantity(
        overflow::div(op, amount.get(), unit_cost)?.floor(),
    ))
}

/// Checks an intent's own numbers before it is accepted.
pub(crate) fn validate_intent(order: &Order, config: &RunConfig) -> Result<(), RejectReason> {
    let i = &order.intent;
    let invalid = |detail: String| Err(RejectReason::InvalidOrder { detail });
    match i.sizing {
        Sizing::Shares(q) if q.get() <= Decimal::ZERO => {
            return invalid(format!("quantity {q} must be positive"));
        }
        Sizing::Shares(q) if q.get() > Decimal::from(1_000_000_000_000i64) => {
            return invalid(format!("quantity {q} is larger than 10^12 units"));
        }
        Sizing::Shares(q) => {
            if let Some(step) = config.lot_step(&i.symbol)
                && !on_step(q, step)
            {
                return Err(RejectReason::OffLotStep {
                    symbol: i.symbol.clone(),
                    qty: q,
                    lot_step: step,
                });
            }
        }
        Sizing::Cash(m) if m.get() <= Decimal::ZERO => {
            return invalid(format!("cash amount {m} must be positive"));
        }
        Sizing::AllIn if i.side == Side::Sell && !config.allow_short => {
            return Err(RejectReason::ShortingNotAllowed {
                symbol: i.symbol.clone(),
            });
        }
        _ => {}
    }
    match i.order_type {
        OrderType::Limit(p) | OrderType::Stop(p) if p.get() <= Decimal::ZERO => {
            invalid(format!("{} price {p} must be positive", i.order_type))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::{OrderId, OrderIntent, Symbol, Timestamp};

    #[test]
    fn affordable_units_leave_room_for_the_minimum_commission() {
        let (cash, price) = (Money::from(100), Price(Decimal::from(10)));
        let rate = |r: i64| Commission {
            rate: Decimal::new(r, 3),
            ..Commission::default()
        };
        assert_eq!(
            affordable_units(cash, price, &rate(0), None).unwrap(),
            Quantity::from(10)
        );
        // 9 · 10 · 1.01 = 90.9 fits, 10 · 10.1 = 101 does not.
        assert_eq!(
            affordable_units(cash, price, &rate(10), None).unwrap(),
            Quantity::from(9)
        );
        let minimum = Commission {
            minimum: Decimal::from(5),
            ..Commission::default()
        };
        // 10 units leave nothing for the 5 minimum; 9 units cost 90 + 5.
        assert_eq!(
            affordable_units(cash, price, &minimum, None).unwrap(),
            Quantity::from(9)
        );
        assert_eq!(
            affordable_units(Money::from(3), price, &minimum, None).unwrap(),
            Quantity::ZERO
        );
    }

    fn order(side: Side, order_type: OrderType) -> Order {
        Order {
            id: OrderId(1),
            created_at: Timestamp::from_secs(0),
            intent: OrderIntent {
                symbol: Symbol::new("X").unwrap(),
                side,
                order_type,
                sizing: Sizing::AllIn,
                reason: "".into(),
                client_order_id: None,
            },
        }
    }

    fn bar(o: f64, h: f64, l: f64, c: f64) -> Bar {
        Bar::new(Timestamp::from_secs(60), o, h, l, c, 0.0).unwrap()
    }

    fn px(p: &str) -> Price {
        p.parse().unwrap()
    }

    #[test]
    fn buy_limit_fills_at_limit_inside_the_bar() {
        let o = order(Side::Buy, OrderType::Limit(px("99")));
        let t = trigger_on_bar(&o, &bar(100.0, 101.0, 98.0, 100.0)).unwrap();
        assert_eq!(t.base, px("99"));
        assert!(!t.slips);
    }

    #[test]
    fn buy_limit_fills_at_open_when_bar_gaps_below() {
        let o = order(Side::Buy, OrderType::Limit(px("99")));
        let t = trigger_on_bar(&o, &bar(97.0, 98.0, 96.0, 97.5)).unwrap();
        assert_eq!(t.base, px("97"));
    }

    #[test]
    fn buy_limit_waits_when_range_stays_above() {
        let o = order(Side::Buy, OrderType::Limit(px("99")));
        assert!(trigger_on_bar(&o, &bar(100.0, 101.0, 99.5, 100.0)).is_none());
    }

    #[test]
    fn sell_stop_fills_at_open_on_gap_down_and_slips() {
        let o = order(Side::Sell, OrderType::Stop(px("95")));
        let t = trigger_on_bar(&o, &bar(90.0, 92.0, 89.0, 91.0)).unwrap();
        assert_eq!(t.base, px("90"));
        assert!(t.slips);
        assert_eq!(
            slipped(t.base, Side::Sell, t.slips, Decimal::from(10)).unwrap(),
            px("89.91")
        );
    }

    #[test]
    fn buy_stop_fills_at_level_when_reached_inside_bar() {
        let o = order(Side::Buy, OrderType::Stop(px("105")));
        let t = trigger_on_bar(&o, &bar(100.0, 106.0, 99.0, 104.0)).unwrap();
        assert_eq!(t.base, px("105"));
    }

    #[test]
    fn sell_limit_fills_at_open_on_gap_up() {
        let o = order(Side::Sell, OrderType::Limit(px("105")));
        let t = trigger_on_bar(&o, &bar(107.0, 108.0, 106.0, 107.0)).unwrap();
        assert_eq!(t.base, px("107"));
    }

    #[test]
    fn commission_respects_minimum_and_per_share() {
        let c = Commission {
            rate: "0.001".parse().unwrap(),
            per_share: "0.01".parse().unwrap(),
            minimum: "1".parse().unwrap(),
        };
        assert_eq!(
            commission(&c, px("10"), Quantity::from(10))
                .unwrap()
                .to_string(),
            "1"
        );
        assert_eq!(
            commission(&c, px("100"), Quantity::from(100))
                .unwrap()
                .to_string(),
            "11"
        );
    }

    #[test]
    fn fast_floor_division_equals_pythons() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for k in 0..200_000 {
            let b = 0.01 + next() * [1.0, 100.0, 10_000.0][k % 3];
            // Budgets near whole multiples of the price too, where the slow path decides.
            let a = if k % 4 == 0 {
                b * ((next() * 1000.0) as i64 as f64) * (1.0 - f64::EPSILON)
            } else {
                next() * [100.0, 1e4, 1e7, 1e10][k % 4]
            };
            assert_eq!(
                floordiv_positive(a, b).to_bits(),
                py_floordiv(a, b).to_bits(),
                "{a} // {b}"
            );
        }
    }

    #[test]
    fn zero_commission_is_plain_zero_like_the_general_rule() {
        let free = Commission::default();
        let c = commission(&free, px("101.25"), Quantity::from(7)).unwrap();
        assert!(c.is_zero());
        assert_eq!(c.get().scale(), 0);
        let zero_min = Commission {
            minimum: "0.00".parse().unwrap(),
            ..Commission::default()
        };
        assert_eq!(
            commission(&zero_min, px("101.25"), Quantity::from(7))
                .unwrap()
                .get()
                .scale(),
            0
        );
    }

    #[test]
    fn all_in_matches_backtesting_py_rule() {
        let c = Commission {
            rate: "0.002".parse().unwrap(),
            ..Commission::default()
        };
        // int(10000 * (1 - eps) // (100.0 * 1.002)) == 99
        assert_eq!(
            all_in_units(10_000.0, px("100"), &c, None).unwrap(),
            Quantity::from(99)
        );
        // exact multiple: 1000 / 10 would be 100, the epsilon keeps it at 99
        assert_eq!(
            all_in_units(1_000.0, px("10"), &Commission::default(), None).unwrap(),
            Quantity::from(99)
        );
    }

    #[test]
    fn cash_sizing_floors_to_whole_units() {
        let c = Commission::default();
        assert_eq!(
            cash_units(Money::from(1000), px("33"), &c, None).unwrap(),
            Quantity::from(30)
        );
    }
}
