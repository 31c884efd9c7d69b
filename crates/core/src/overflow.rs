//! Checked ledger arithmetic: a result beyond what a decimal holds is an error that
//! names the operation and its amounts, never a panic.
//!
//! A decimal holds at most ±79,228,162,514,264,337,593,543,950,335 (2^96 − 1, with 28
//! significant digits). Prices from 1e-10 to 1e15, any whole number of units and any
//! initial cash a decimal can hold are accepted, so products and sums of them can pass
//! that limit: the run then fails with [`LedgerOverflow`] instead of rounding.

use crate::money::exact;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// The arithmetic of a ledger operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arith {
    /// `lhs + rhs`.
    Add,
    /// `lhs − rhs`.
    Sub,
    /// `lhs × rhs`.
    Mul,
    /// `lhs ÷ rhs`.
    Div,
}

impl fmt::Display for Arith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "×",
            Arith::Div => "÷",
        })
    }
}

/// An exact ledger operation whose result a decimal cannot hold: which operation (in
/// the ledger's words, e.g. `cash after a sell`), the arithmetic and both amounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error(
    "{operation} cannot be computed exactly: {lhs} {op} {rhs} is beyond \
     ±79228162514264337593543950335, the largest amount the exact ledger holds; \
     use less initial cash, smaller orders or prices nearer to 1"
)]
pub struct LedgerOverflow {
    /// What the ledger was computing, e.g. `equity: value of the position in SPY`.
    pub operation: &'static str,
    /// The arithmetic that overflowed.
    pub op: Arith,
    /// Left-hand amount.
    pub lhs: Decimal,
    /// Right-hand amount.
    pub rhs: Decimal,
}

impl LedgerOverflow {
    /// The error of `lhs op rhs` in `operation`.
    #[cold]
    #[inline(never)]
    pub fn new(operation: &'static str, op: Arith, lhs: Decimal, rhs: Decimal) -> Self {
        LedgerOverflow {
            operation,
            op,
            lhs,
            rhs,
        }
    }
}

/// `a + b` exactly as `Decimal` adds, or the error naming `operation`.
#[inline(always)]
pub fn add(operation: &'static str, a: Decimal, b: Decimal) -> Result<Decimal, LedgerOverflow> {
    exact::checked_add(a, b).ok_or_else(|| LedgerOverflow::new(operation, Arith::Add, a, b))
}

/// `a − b` exactly as `Decimal` subtracts, or the error naming `operation`.
#[inline(always)]
pub fn sub(operation: &'static str, a: Decimal, b: Decimal) -> Result<Decimal, LedgerOverflow> {
    exact::checked_sub(a, b).ok_or_else(|| LedgerOverflow::new(operation, Arith::Sub, a, b))
}

/// `a × b` exactly as `Decimal` multiplies, or the error naming `operation`.
#[inline(always)]
pub fn mul(operation: &'static str, a: Decimal, b: Decimal) -> Result<Decimal, LedgerOverflow> {
    exact::checked_mul(a, b).ok_or_else(|| LedgerOverflow::new(operation, Arith::Mul, a, b))
}

/// `a ÷ b` as `Decimal` divides (28 significant digits), or the error naming
/// `operation` (also for a division by zero).
#[inline]
pub fn div(operation: &'static str, a: Decimal, b: Decimal) -> Result<Decimal, LedgerOverflow> {
    a.checked_div(b)
        .ok_or_else(|| LedgerOverflow::new(operation, Arith::Div, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_names_the_operation_and_both_amounts() {
        let e = add("cash after a sell", Decimal::MAX, Decimal::ONE).unwrap_err();
        assert_eq!(e.operation, "cash after a sell");
        assert_eq!(
            (e.op, e.lhs, e.rhs),
            (Arith::Add, Decimal::MAX, Decimal::ONE)
        );
        let text = e.to_string();
        assert!(
            text.starts_with(
                "cash after a sell cannot be computed exactly: 79228162514264337593543950335 + 1"
            ),
            "{text}"
        );
        let big = Decimal::from(100_000_000_000_000i64);
        let e = mul("equity", big, Decimal::from(1_000_000_000_000_000i64)).unwrap_err();
        assert!(
            e.to_string().contains("100000000000000 × 1000000000000000"),
            "{e}"
        );
        assert!(div("average price", Decimal::ONE, Decimal::ZERO).is_err());
    }

    #[test]
    fn results_in_range_are_what_decimal_computes() {
        let (a, b) = (Decimal::new(12345, 2), Decimal::new(-7, 3));
        assert_eq!(add("x", a, b).unwrap().serialize(), (a + b).serialize());
        assert_eq!(sub("x", a, b).unwrap().serialize(), (a - b).serialize());
        assert_eq!(mul("x", a, b).unwrap().serialize(), (a * b).serialize());
        assert_eq!(div("x", a, b).unwrap().serialize(), (a / b).serialize());
    }
}
