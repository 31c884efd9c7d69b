//! Inline fast paths of `Decimal` addition, subtraction and multiplication.
//!
//! Each returns exactly what the `rust_decimal` operator returns — the same value *and*
//! the same representation (mantissa, scale, sign), so text output is unchanged — and
//! falls back to that operator whenever the result is not an exact 96-bit mantissa at
//! the operator's natural scale (`max` of the scales for `+`/`−`, their sum for `×`,
//! at most 28). Ledger amounts nearly always take the fast path: a few integer
//! instructions instead of a call into the general 96-bit routines.
//!
//! The `checked_*` forms return `None` where the operator would panic (a result beyond
//! a decimal's range); the ledger uses them through [`crate::overflow`].

use rust_decimal::Decimal;

/// Mantissas of a `Decimal` are below 2^96.
pub(crate) const LIMIT: u128 = 1 << 96;
/// 10^k for the rescaling of an addend (checked: it may overflow i128).
pub(crate) const POW10: [i128; 20] = {
    let mut t = [1i128; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

#[inline(always)]
fn make(m: i128, scale: u32) -> Option<Decimal> {
    let mag = m.unsigned_abs();
    if mag < LIMIT {
        Some(Decimal::from_parts(
            mag as u32,
            (mag >> 32) as u32,
            (mag >> 64) as u32,
            m < 0,
            scale,
        ))
    } else {
        None
    }
}

/// `a + b` (`−b` with `negate_b`) of two non-zero values, inline when the scales
/// agree (the usual case).
#[inline(always)]
fn sum_nonzero(a: Decimal, b: Decimal, negate_b: bool) -> Option<Decimal> {
    if a.scale() != b.scale() {
        return sum_rescaled(a, b, negate_b);
    }
    let mb = if negate_b {
        -b.mantissa()
    } else {
        b.mantissa()
    };
    make(a.mantissa().checked_add(mb)?, a.scale())
}

/// `sum_nonzero` of values at different scales.
#[inline(never)]
fn sum_rescaled(a: Decimal, b: Decimal, negate_b: bool) -> Option<Decimal> {
    let (sa, sb) = (a.scale(), b.scale());
    let (mut ma, mut mb) = (a.mantissa(), b.mantissa());
    if negate_b {
        mb = -mb;
    }
    let scale = if sa < sb {
        ma = ma.checked_mul(*POW10.get((sb - sa) as usize)?)?;
        sb
    } else {
        mb = mb.checked_mul(*POW10.get((sa - sb) as usize)?)?;
        sa
    };
    make(ma.checked_add(mb)?, scale)
}

#[cold]
#[inline(never)]
fn slow_add(a: Decimal, b: Decimal) -> Decimal {
    a + b
}

#[cold]
#[inline(never)]
fn slow_sub(a: Decimal, b: Decimal) -> Decimal {
    a - b
}

#[cold]
#[inline(never)]
fn slow_mul(a: Decimal, b: Decimal) -> Decimal {
    a * b
}

#[cold]
#[inline(never)]
fn slow_checked(
    a: Decimal,
    b: Decimal,
    op: fn(Decimal, Decimal) -> Option<Decimal>,
) -> Option<Decimal> {
    op(a, b)
}

/// `a + b` as the `rust_decimal` operator computes it, or `None` where that
/// operator would panic (`Decimal::checked_add` is `None`).
#[inline(always)]
pub fn checked_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    if a.is_zero() {
        return Some(b);
    }
    if b.is_zero() {
        return Some(a);
    }
    sum_nonzero(a, b, false).or_else(|| slow_checked(a, b, Decimal::checked_add))
}

/// `a − b` as the `rust_decimal` operator computes it, or `None` where that
/// operator would panic.
#[inline(always)]
pub fn checked_sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    if a.is_zero() {
        return Some(if b.is_zero() { b } else { -b });
    }
    if b.is_zero() {
        return Some(a);
    }
    sum_nonzero(a, b, true).or_else(|| slow_checked(a, b, Decimal::checked_sub))
}

/// `a × b` as the `rust_decimal` operator computes it, or `None` where that
/// operator would panic.
#[inline(always)]
pub fn checked_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    if a.is_zero() || b.is_zero() {
        return Some(Decimal::ZERO);
    }
    let scale = a.scale() + b.scale();
    let (ma, mb) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    let product = match (u64::try_from(ma), u64::try_from(mb)) {
        (Ok(x), Ok(y)) => Some(u128::from(x) * u128::from(y)),
        _ => ma.checked_mul(mb),
    };
    if scale <= Decimal::MAX_SCALE
        && let Some(p) = product
        && p < LIMIT
    {
        return Some(Decimal::from_parts(
            p as u32,
            (p >> 32) as u32,
            (p >> 64) as u32,
            a.is_sign_negative() != b.is_sign_negative(),
            scale,
        ));
    }
    slow_checked(a, b, Decimal::checked_mul)
}

/// `a + b`, identical to the `rust_decimal` operator (which panics past the range).
#[inline(always)]
pub fn add(a: Decimal, b: Decimal) -> Decimal {
    checked_add(a, b).unwrap_or_else(|| slow_add(a, b))
}

/// `a − b`, identical to the `rust_decimal` operator (which panics past the range).
#[inline(always)]
pub fn sub(a: Decimal, b: Decimal) -> Decimal {
    checked_sub(a, b).unwrap_or_else(|| slow_sub(a, b))
}

/// `a.cmp(&b)`: a mantissa comparison when the scales agree.
#[inline(always)]
pub fn cmp(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(&b)
    }
}

/// `Decimal::max(a, b)` (`a` on a tie, like that inherent method).
#[inline(always)]
pub fn max(a: Decimal, b: Decimal) -> Decimal {
    if cmp(a, b).is_lt() { b } else { a }
}

/// `Decimal::min(a, b)` (`a` on a tie, like that inherent method).
#[inline(always)]
pub fn min(a: Decimal, b: Decimal) -> Decimal {
    if cmp(a, b).is_gt() { b } else { a }
}

/// `a × b`, identical to the `rust_decimal` operator.
#[inline(always)]
pub fn mul(a: Decimal, b: Decimal) -> Decimal {
    checked_mul(a, b).unwrap_or_else(|| slow_mul(a, b))
}
