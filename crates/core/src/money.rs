//! Exact ledger values: prices, quantities and money as decimals, never `f64`.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

/// Why a number cannot enter the ledger.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MoneyError {
    #[error("{what} is {value}, not a finite number")]
    NotFinite { what: &'static str, value: f64 },
    #[error("{what} {value} is out of the representable range")]
    OutOfRange { what: &'static str, value: String },
}

/// Converts market-data `f64` into the decimal it was written as (shortest round-trip
/// text), so `100.34` enters the ledger as exactly `100.34`.
pub fn decimal_from_f64(what: &'static str, value: f64) -> Result<Decimal, MoneyError> {
    if !value.is_finite() {
        return Err(MoneyError::NotFinite { what, value });
    }
    // Fast path: the fewest decimals k (up to 12) whose integer m = value·10^k divides
    // back to exactly `value`. IEEE division is correctly rounded, so this is the same
    // test as parsing the text "m·10^-k" — the shortest round-trip decimal.
    const POW10: [f64; 13] = [
        1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
    ];
    for (k, p) in POW10.iter().enumerate() {
        let scaled = value * p;
        if scaled.abs() >= 9_007_199_254_740_992.0 {
            break;
        }
        // `scaled.round()` without the library call (no SSE4.1 in the baseline
        // target): truncate, then step away from zero when the exact fraction is ≥ ½.
        let mut m = scaled as i64;
        let frac = scaled - m as f64;
        if frac >= 0.5 {
            m += 1;
        } else if frac <= -0.5 {
            m -= 1;
        }
        if m.unsigned_abs() >= 1 << 53 {
            break;
        }
        // If `value` is m·10^-k rounded, then |m − value·10^k| ≤ |value·10^k|·2^-53, and
        // the rounded product is within another 2^-53 of it: a product farther than
        // that from its nearest integer rules k out without the division.
        if (scaled - m as f64).abs() > scaled.abs() * 1e-15 {
            continue;
        }
        // (At k = 0 the division by one is the number itself.)
        if (k == 0 && m as f64 == value) || (k > 0 && m as f64 / p == value) {
            return Ok(Decimal::new(m, k as u32));
        }
    }
    let text = format!("{value}");
    text.parse::<Decimal>()
        .map_err(|_| MoneyError::OutOfRange { what, value: text })
}

/// Nearest `f64` of a decimal. When the mantissa fits in 53 bits (every ledger value
/// with up to ~15 significant digits) this is one correctly rounded division, the same
/// result as the slow general conversion; otherwise it falls back to that conversion.
#[inline]
pub fn decimal_to_f64(d: Decimal) -> f64 {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let m = d.mantissa();
    let scale = d.scale() as usize;
    if scale == 0 && m.unsigned_abs() < (1u128 << 53) {
        // Whole numbers (unit counts): exact, no division.
        return m as i64 as f64;
    }
    if m.unsigned_abs() < (1u128 << 53) && scale < POW10.len() {
        (m as i64 as f64) / POW10[scale]
    } else {
        d.to_f64().unwrap_or(f64::NAN)
    }
}

/// Exact fast paths of `Decimal` arithmetic (see the module).
pub mod exact;

macro_rules! decimal_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Decimal);

        impl $name {
            /// Zero.
            pub const ZERO: $name = $name(Decimal::ZERO);

            /// The exact decimal value.
            #[inline]
            pub fn get(self) -> Decimal {
                self.0
            }

            /// Approximate `f64`, for analytics only.
            #[inline]
            pub fn to_f64(self) -> f64 {
                decimal_to_f64(self.0)
            }

            /// Exact conversion of an `f64` via its shortest decimal text.
            pub fn from_f64(value: f64) -> Result<Self, MoneyError> {
                decimal_from_f64(stringify!($name), value).map($name)
            }

            /// Absolute value.
            #[inline]
            pub fn abs(self) -> Self {
                $name(self.0.abs())
            }

            /// True when zero.
            #[inline]
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.normalize(), f)
            }
        }

        impl Add for $name {
            type Output = $name;
            #[inline]
            fn add(self, o: $name) -> $name {
                $name(exact::add(self.0, o.0))
            }
        }
        impl Sub for $name {
            type Output = $name;
            #[inline]
            fn sub(self, o: $name) -> $name {
                $name(exact::sub(self.0, o.0))
            }
        }
        impl AddAssign for $name {
            #[inline]
            fn add_assign(&mut self, o: $name) {
                self.0 = exact::add(self.0, o.0);
            }
        }
        impl SubAssign for $name {
            #[inline]
            fn sub_assign(&mut self, o: $name) {
                self.0 = exact::sub(self.0, o.0);
            }
        }
        impl Neg for $name {
            type Output = $name;
            #[inline]
            fn neg(self) -> $name {
                $name(-self.0)
            }
        }
        impl From<Decimal> for $name {
            fn from(d: Decimal) -> $name {
                $name(d)
            }
        }
        impl From<i64> for $name {
            fn from(v: i64) -> $name {
                $name(Decimal::from(v))
            }
        }
        impl std::str::FromStr for $name {
            type Err = rust_decimal::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse::<Decimal>().map($name)
            }
        }
    };
}

decimal_newtype!(
    /// A price per unit in the quote currency (exact).
    Price
);
decimal_newtype!(
    /// A signed number of units (shares, contracts); negative means short.
    Quantity
);
decimal_newtype!(
    /// An amount of the account currency (exact).
    Money
);

impl Mul<Quantity> for Price {
    type Output = Money;
    /// Notional value of `qty` units at this price.
    #[inline]
    fn mul(self, qty: Quantity) -> Money {
        Money(exact::mul(self.0, qty.0))
    }
}

impl Mul<Price> for Quantity {
    type Output = Money;
    #[inline]
    fn mul(self, p: Price) -> Money {
        Money(exact::mul(self.0, p.0))
    }
}

impl Mul<Decimal> for Money {
    type Output = Money;
    #[inline]
    fn mul(self, rate: Decimal) -> Money {
        Money(exact::mul(self.0, rate))
    }
}

impl Money {
    /// Rounds to cents (banker's rounding is not used: half away from zero), for display.
    pub fn round_cents(self) -> Money {
        Money(
            self.0
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_price_a_bar_may_carry_enters_the_ledger_as_its_shortest_decimal() {
        use crate::{MAX_PRICE, MIN_PRICE};
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (lo, hi) = (MIN_PRICE.log10(), MAX_PRICE.log10());
        let mut values = vec![
            MIN_PRICE,
            MAX_PRICE,
            f64::from_bits(MIN_PRICE.to_bits() + 1),
        ];
        for _ in 0..20_000 {
            let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
            // Random magnitudes, and random last bits (17 significant digits).
            values.push(10f64.powf(lo + unit * (hi - lo)));
        }
        for v in values
            .into_iter()
            .filter(|v| (MIN_PRICE..=MAX_PRICE).contains(v))
        {
            let d = decimal_from_f64("price", v).unwrap_or_else(|e| panic!("{v:e}: {e}"));
            assert_eq!(d.to_string().parse::<f64>().unwrap(), v, "{v:e} → {d}");
        }
    }

    #[test]
    fn converts_market_prices_exactly() {
        assert_eq!(Price::from_f64(100.34).unwrap().to_string(), "100.34");
        assert_eq!(Price::from_f64(0.1).unwrap().get(), Decimal::new(1, 1));
        assert!(Price::from_f64(f64::NAN).is_err());
        assert!(Price::from_f64(f64::INFINITY).is_err());
    }

    #[test]
    fn fast_conversion_agrees_with_shortest_text() {
        let mut x: u64 = 88172645463325252;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let cents = (x % 10_000_000) as f64 / 100.0;
            let odd = f64::from_bits(0x3FF0_0000_0000_0000 | (x >> 12)) * 1000.0;
            // Up to 12 decimals, small and large magnitudes.
            let fine = (x % 1_000_000_000_000) as f64 / 10f64.powi((x % 13) as i32);
            let tiny = (x % 1000) as f64 / 1e12;
            for v in [
                cents,
                odd,
                cents / 7.0,
                -cents,
                fine,
                -fine,
                tiny,
                fine * 1e3,
            ] {
                let expected: Decimal = format!("{v}").parse().unwrap();
                let got = decimal_from_f64("v", v).unwrap();
                assert_eq!(got, expected, "{v}");
                assert_eq!(
                    got.to_string(),
                    expected.to_string(),
                    "{v} written the same way"
                );
            }
        }
    }

    #[test]
    fn fast_f64_conversion_matches_the_general_one() {
        for text in [
            "100.34",
            "-0.000123",
            "56263.51934",
            "1e-20",
            "123456789012345.6789",
            "0",
        ] {
            let d: Decimal = text
                .parse()
                .unwrap_or_else(|_| Decimal::from_scientific(text).unwrap());
            assert_eq!(decimal_to_f64(d), d.to_f64().unwrap(), "{text}");
        }
    }

    #[test]
    fn exact_fast_paths_match_rust_decimal_bit_for_bit() {
        let ds = crate::test_decimals::random_decimals(0x9E37_79B9_7F4A_7C15);
        for (k, a) in ds.iter().enumerate() {
            for b in ds.iter().skip(k % 7).step_by(37) {
                let (a, b) = (*a, *b);
                if let Some(want) = a.checked_add(b) {
                    assert_eq!(exact::add(a, b).serialize(), want.serialize(), "{a} + {b}");
                }
                if let Some(want) = a.checked_sub(b) {
                    assert_eq!(exact::sub(a, b).serialize(), want.serialize(), "{a} - {b}");
                }
                assert_eq!(exact::cmp(a, b), a.cmp(&b), "{a} cmp {b}");
                assert_eq!(exact::max(a, b).serialize(), a.max(b).serialize());
                assert_eq!(exact::min(a, b).serialize(), a.min(b).serialize());
                if let Some(want) = a.checked_mul(b) {
                    assert_eq!(exact::mul(a, b).serialize(), want.serialize(), "{a} * {b}");
                }
                let checked = [
                    ("+", exact::checked_add(a, b), a.checked_add(b)),
                    ("-", exact::checked_sub(a, b), a.checked_sub(b)),
                    ("*", exact::checked_mul(a, b), a.checked_mul(b)),
                ];
                for (op, got, want) in checked {
                    assert_eq!(
                        got.map(|d| d.serialize()),
                        want.map(|d| d.serialize()),
                        "checked {a} {op} {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn notional_is_exact() {
        let p = Price::from_f64(0.1).unwrap();
        let q = Quantity::from(3);
        assert_eq!((p * q).to_string(), "0.3");
    }
}
