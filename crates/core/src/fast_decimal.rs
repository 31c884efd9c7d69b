//! A decimal kept as an `i128` mantissa and a scale, for the ledger's hot arithmetic.

use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::ops::Neg;

use crate::money::exact::{LIMIT, POW10};

/// The decimal `mantissa · 10^−scale`, always one that [`Decimal`] can hold.
///
/// Its arithmetic returns exactly what `rust_decimal`'s operators return — the same
/// value *and* the same scale, so text written from the result is unchanged. Where
/// `Decimal` unpacks its 96-bit layout on every operation, this keeps the mantissa
/// unpacked: the usual ledger operation is a few integer instructions. A result that
/// would not be an exact mantissa below 2^96 at the operator's natural scale (`max` of
/// the scales for `+`/`−`, their sum for `×`) is computed by `Decimal` itself.
///
/// The arithmetic is checked only (`checked_add`, `checked_sub`, `checked_mul`): a
/// result beyond a decimal's range is `None`, never a panic, so the ledger can fail a
/// run with an error that names the operation.
///
/// Zero has no sign: negating zero gives zero.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastDecimal {
    mantissa: i128,
    scale: u32,
}

impl FastDecimal {
    /// Zero (scale 0), what `Decimal::ZERO` is.
    pub const ZERO: FastDecimal = FastDecimal {
        mantissa: 0,
        scale: 0,
    };

    /// The same value and scale as `d`.
    #[inline(always)]
    pub fn from_decimal(d: Decimal) -> Self {
        FastDecimal {
            mantissa: d.mantissa(),
            scale: d.scale(),
        }
    }

    /// The same value and scale as a `Decimal`.
    #[inline(always)]
    pub fn to_decimal(self) -> Decimal {
        let mag = self.mantissa.unsigned_abs();
        Decimal::from_parts(
            mag as u32,
            (mag >> 32) as u32,
            (mag >> 64) as u32,
            self.mantissa < 0,
            self.scale,
        )
    }

    /// `Some` when `mantissa` fits a `Decimal` (the invariant of this type).
    #[inline(always)]
    fn make(mantissa: i128, scale: u32) -> Option<Self> {
        (mantissa.unsigned_abs() < LIMIT).then_some(FastDecimal { mantissa, scale })
    }

    /// True when zero (at any scale).
    #[inline(always)]
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// True when above zero.
    #[inline(always)]
    pub fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    /// True when below zero.
    #[inline(always)]
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// Absolute value (scale kept).
    #[inline(always)]
    pub fn abs(self) -> Self {
        FastDecimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
        }
    }

    /// Same value written the same way (mantissa and scale).
    #[inline(always)]
    pub fn same_repr(self, other: Self) -> bool {
        self.mantissa == other.mantissa && self.scale == other.scale
    }

    /// `a + b` (`b` already negated for a subtraction) of two non-zero values at the
    /// larger scale: inline when the scales agree (the usual case).
    #[inline(always)]
    fn sum_nonzero(self, other: Self) -> Option<Self> {
        if self.scale == other.scale
            && let Some(m) = self.mantissa.checked_add(other.mantissa)
            && let Some(d) = Self::make(m, self.scale)
        {
            return Some(d);
        }
        self.sum_rescaled(other)
    }

    /// `sum_nonzero` when the scales differ or the sum is not exact.
    #[inline(never)]
    fn sum_rescaled(self, other: Self) -> Option<Self> {
        let exact = || {
            let (mut ma, mut mb) = (self.mantissa, other.mantissa);
            let scale = match self.scale.cmp(&other.scale) {
                Ordering::Equal => self.scale,
                Ordering::Less => {
                    ma = ma.checked_mul(*POW10.get((other.scale - self.scale) as usize)?)?;
                    other.scale
                }
                Ordering::Greater => {
                    mb = mb.checked_mul(*POW10.get((self.scale - other.scale) as usize)?)?;
                    self.scale
                }
            };
            Self::make(ma.checked_add(mb)?, scale)
        };
        exact().or_else(|| slow(self, other, Decimal::checked_add))
    }

    /// `mul` of wide mantissas or past the scale limit.
    #[inline(never)]
    fn mul_wide(self, other: Self) -> Option<Self> {
        let scale = self.scale + other.scale;
        if scale <= Decimal::MAX_SCALE
            && let Some(p) = self.mantissa.checked_mul(other.mantissa)
            && let Some(d) = Self::make(p, scale)
        {
            return Some(d);
        }
        slow(self, other, Decimal::checked_mul)
    }

    /// `self + other` as `Decimal` adds it, or `None` where `Decimal::checked_add` is
    /// `None` (the sum is beyond a decimal's range).
    #[inline(always)]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        if self.is_zero() {
            return Some(other);
        }
        if other.is_zero() {
            return Some(self);
        }
        self.sum_nonzero(other)
    }

    /// `self − other` as `Decimal` subtracts it, or `None` where
    /// `Decimal::checked_sub` is `None`.
    #[inline(always)]
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        if self.is_zero() {
            return Some(other.neg());
        }
        if other.is_zero() {
            return Some(self);
        }
        self.sum_nonzero(other.neg())
    }

    /// `self × other` as `Decimal` multiplies it (zero times anything is `ZERO`), or
    /// `None` where `Decimal::checked_mul` is `None`.
    #[inline(always)]
    pub fn checked_mul(self, other: Self) -> Option<Self> {
        if self.is_zero() || other.is_zero() {
            return Some(FastDecimal::ZERO);
        }
        let scale = self.scale + other.scale;
        // Mantissas of up to 63 bits (every ledger amount in practice): one widening
        // multiplication that cannot overflow.
        if scale <= Decimal::MAX_SCALE
            && let (Ok(a), Ok(b)) = (i64::try_from(self.mantissa), i64::try_from(other.mantissa))
            && let Some(d) = Self::make(i128::from(a) * i128::from(b), scale)
        {
            return Some(d);
        }
        self.mul_wide(other)
    }

    /// The larger value (`self` on a tie, like `Decimal::max`).
    #[inline(always)]
    pub fn max(self, other: Self) -> Self {
        if self < other { other } else { self }
    }

    /// The smaller value (`self` on a tie, like `Decimal::min`).
    #[inline(always)]
    pub fn min(self, other: Self) -> Self {
        if self > other { other } else { self }
    }

    /// Nearest `f64`: one correctly rounded division when the mantissa has at most 53
    /// bits (the same result as `Decimal`'s general conversion).
    #[inline(always)]
    pub fn to_f64(self) -> f64 {
        const POW10F: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let small = self.mantissa.unsigned_abs() < (1u128 << 53);
        if small && self.scale == 0 {
            return self.mantissa as i64 as f64;
        }
        match POW10F.get(self.scale as usize) {
            Some(p) if small => (self.mantissa as i64 as f64) / p,
            _ => crate::money::decimal_to_f64(self.to_decimal()),
        }
    }
}

impl Neg for FastDecimal {
    type Output = FastDecimal;

    /// The value with the sign flipped (scale kept).
    #[inline(always)]
    fn neg(self) -> Self {
        FastDecimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }
}

/// Numeric comparison: `1.0` equals `1.00` (as for `Decimal`).
impl Ord for FastDecimal {
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (*self, *other);
        if a.scale == b.scale {
            return a.mantissa.cmp(&b.mantissa);
        }
        cmp_rescaled(a, b)
    }
}

impl PartialOrd for FastDecimal {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for FastDecimal {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for FastDecimal {}

impl From<Decimal> for FastDecimal {
    #[inline(always)]
    fn from(d: Decimal) -> Self {
        FastDecimal::from_decimal(d)
    }
}

impl From<FastDecimal> for Decimal {
    #[inline(always)]
    fn from(d: FastDecimal) -> Self {
        d.to_decimal()
    }
}

/// `cmp` of values at different scales: signs first, then the mantissas at the larger
/// scale (by `Decimal` when that rescaling would overflow).
#[inline(never)]
fn cmp_rescaled(a: FastDecimal, b: FastDecimal) -> Ordering {
    let by_sign = a.mantissa.signum().cmp(&b.mantissa.signum());
    if by_sign.is_ne() || a.mantissa == 0 {
        return by_sign;
    }
    let up = |m: i128, from: u32, to: u32| m.checked_mul(*POW10.get((to - from) as usize)?);
    let rescaled = if a.scale < b.scale {
        up(a.mantissa, a.scale, b.scale).map(|ma| ma.cmp(&b.mantissa))
    } else {
        up(b.mantissa, b.scale, a.scale).map(|mb| a.mantissa.cmp(&mb))
    };
    rescaled.unwrap_or_else(|| a.to_decimal().cmp(&b.to_decimal()))
}

/// An operation outside the fast path, done by `Decimal`'s checked operation.
#[cold]
#[inline(never)]
fn slow(
    a: FastDecimal,
    b: FastDecimal,
    op: fn(Decimal, Decimal) -> Option<Decimal>,
) -> Option<FastDecimal> {
    op(a.to_decimal(), b.to_decimal()).map(FastDecimal::from_decimal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_decimals::random_decimals;

    /// Same bits, but for the sign of a zero (this type's zero has none).
    fn assert_same(got: Decimal, want: Decimal, what: &str) {
        if want.is_zero() {
            assert!(
                got.is_zero() && got.scale() == want.scale(),
                "{what}: {got}"
            );
        } else {
            assert_eq!(got.serialize(), want.serialize(), "{what}");
        }
    }

    #[test]
    fn arithmetic_matches_rust_decimal_in_value_and_scale() {
        let ds = random_decimals(0x2545_F491_4F6C_DD1D);
        let f = FastDecimal::from_decimal;
        for (k, a) in ds.iter().enumerate() {
            for b in ds.iter().skip(k % 7).step_by(37) {
                let (a, b) = (*a, *b);
                let cases = [
                    ("+", f(a).checked_add(f(b)), a.checked_add(b)),
                    ("-", f(a).checked_sub(f(b)), a.checked_sub(b)),
                    ("*", f(a).checked_mul(f(b)), a.checked_mul(b)),
                ];
                for (op, got, want) in cases {
                    match (got, want) {
                        (Some(got), Some(want)) => {
                            assert_same(got.to_decimal(), want, &format!("{a} {op} {b}"))
                        }
                        (None, None) => {}
                        (got, want) => panic!("{a} {op} {b}: {got:?}, Decimal says {want:?}"),
                    }
                }
                assert_eq!(f(a).cmp(&f(b)), a.cmp(&b), "{a} cmp {b}");
                assert_eq!(
                    f(a).max(f(b)).to_decimal().serialize(),
                    a.max(b).serialize()
                );
                assert_eq!(
                    f(a).min(f(b)).to_decimal().serialize(),
                    a.min(b).serialize()
                );
            }
        }
    }

    #[test]
    fn round_trips_decimal_and_converts_to_nearest_f64() {
        for d in random_decimals(0x2545_F491_4F6C_DD1D) {
            let back = FastDecimal::from_decimal(d).to_decimal();
            // Negative zero comes back as zero; every other value keeps its bits.
            if d.is_zero() {
                assert!(back.is_zero() && back.scale() == d.scale(), "{d}");
            } else {
                assert_eq!(back.serialize(), d.serialize(), "{d}");
            }
            let want = rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(f64::NAN);
            assert_eq!(FastDecimal::from_decimal(d).to_f64(), want, "{d}");
        }
    }

    #[test]
    fn zero_has_no_sign() {
        let z = FastDecimal::from_decimal(Decimal::new(0, 2));
        assert!(z.neg().is_zero() && !z.neg().is_negative());
        let three = FastDecimal::from_decimal(Decimal::new(3, 0));
        assert!(FastDecimal::ZERO.checked_sub(three).unwrap().is_negative());
        assert!(three.checked_sub(three).unwrap().is_zero());
    }
}
