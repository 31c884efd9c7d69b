//! Lot steps: the smallest tradable increment of a symbol (0.00001 BTC), and the exact
//! arithmetic that floors a quantity to it. Symbols without a step never come here:
//! whole-unit sizing keeps its own path in the broker.

use crate::portfolio::Ledger;
use rust_decimal::Decimal;
use tradelab_core::Quantity;
use tradelab_core::overflow;

/// Largest lot step accepted: a million units.
const MAX_LOT_STEP: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Whether `step` can be a lot step: positive, at most a million units, with at most
/// 12 decimals (finer than any venue's step, and what the ledger's decimals carry
/// exactly through price × units).
pub(crate) fn valid_lot_step(step: Quantity) -> bool {
    let s = step.get().normalize();
    s > Decimal::ZERO && s <= MAX_LOT_STEP && s.scale() <= 12
}

/// `units` floored to a multiple of `step` (exact): `⌊units / step⌋ · step`, never
/// above `units` even where the decimal division rounds its last digit up.
pub(crate) fn floor_to_step(units: Decimal, step: Decimal) -> Ledger<Decimal> {
    if units <= Decimal::ZERO {
        return Ok(Decimal::ZERO);
    }
    let op = "units floored to the lot step (units ÷ step)";
    let steps = overflow::div(op, units, step)?.floor();
    let op = "units floored to the lot step (steps × step)";
    let mut floored = overflow::mul(op, steps, step)?;
    if floored > units {
        let op = "units floored to the lot step (one step less)";
        floored = overflow::sub(op, floored, step)?;
    }
    Ok(floored.max(Decimal::ZERO).normalize())
}

/// Whether `qty` is a whole multiple of `step`.
pub(crate) fn on_step(qty: Quantity, step: Quantity) -> bool {
    qty.get()
        .checked_rem(step.get())
        .is_some_and(|r| r.is_zero())
}

/// The most units of `step` that `cash` pays for at `unit_cost` (exact): the floored
/// quotient, one step less if the decimal division rounded it up past the cash.
pub(crate) fn stepped_units(cash: Decimal, unit_cost: Decimal, step: Decimal) -> Ledger<Decimal> {
    let op = "units the cash buys (cash ÷ cost of one unit)";
    let raw = overflow::div(op, cash, unit_cost)?;
    let mut units = floor_to_step(raw, step)?;
    let op = "units the cash buys: their cost (units × unit cost)";
    if overflow::mul(op, units, unit_cost)? > cash {
        units = (units - step).max(Decimal::ZERO);
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn flooring_to_a_step_never_exceeds_the_units_and_lands_on_the_step() {
        assert_eq!(
            floor_to_step(d("0.0123456"), d("0.00001")).unwrap(),
            d("0.01234")
        );
        assert_eq!(
            floor_to_step(d("1.2349"), d("0.0005")).unwrap(),
            d("1.2345")
        );
        assert_eq!(
            floor_to_step(d("0.00000999"), d("0.00001")).unwrap(),
            d("0")
        );
        assert_eq!(floor_to_step(d("-1"), d("0.1")).unwrap(), d("0"));
        // A quotient that rounds up in its 28th digit (1 / 3 of a cash amount) still
        // buys no more than the cash pays for.
        let units = stepped_units(d("1"), d("3"), d("0.000000000001")).unwrap();
        assert_eq!(units, d("0.333333333333"));
        assert!(units * d("3") <= d("1"));
        assert_eq!(stepped_units(d("0.3"), d("0.1"), d("1")).unwrap(), d("3"));
    }

    #[test]
    fn a_quantity_is_on_the_step_only_as_a_whole_multiple() {
        let q = |s: &str| Quantity(d(s));
        assert!(on_step(q("0.00002"), q("0.00001")));
        assert!(!on_step(q("0.000015"), q("0.00001")));
        assert!(on_step(q("3"), q("1")));
        assert!(!on_step(q("0.5"), q("1")));
        assert!(valid_lot_step(q("0.000000000001")));
        assert!(!valid_lot_step(q("0.0000000000001")));
        assert!(!valid_lot_step(q("0")));
    }
}
