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
        let m = (value * p).round();
        if m.abs() >= 9_007_199_254_740_992.0 {
            break;
        }
        if m / p == value {
            return Ok(Decimal::new(m as i64, k as u32));
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
    if m.unsigned_abs() < (1u128 << 53) && scale < POW10.len() {
        (m as i64 as f64) / POW10[scale]
    } else {
        d.to_f64().unwrap_or(f64::NAN)
    }
}

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
            pub fn abs(self) -> Self {
                $name(self.0.abs())
            }

            /// True when zero.
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
            fn add(self, o: $name) -> $name {
                $name(self.0 + o.0)
            }
        }
        impl Sub for $name {
            type Output = $name;
            fn sub(self, o: $name) -> $name {
                $name(self.0 - o.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: $name) {
                self.0 += o.0;
            }
        }
        impl SubAssign for $name {
            fn sub_assign(&mut self, o: $name) {
                self.0 -= o.0;
            }
        }
        impl Neg for $name {
            type Output = $name;
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
    fn mul(self, qty: Quantity) -> Money {
        Money(self.0 * qty.0)
    }
}

impl Mul<Price> for Quantity {
    type Output = Money;
    fn mul(self, p: Price) -> Money {
        Money(self.0 * p.0)
    }
}

impl Mul<Decimal> for Money {
    type Output = Money;
    fn mul(self, rate: Decimal) -> Money {
        Money(self.0 * rate)
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
            for v in [cents, odd, cents / 7.0, -cents] {
                let expected: Decimal = format!("{v}").parse().unwrap();
                assert_eq!(decimal_from_f64("v", v).unwrap(), expected, "{v}");
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
    fn notional_is_exact() {
        let p = Price::from_f64(0.1).unwrap();
        let q = Quantity::from(3);
        assert_eq!((p * q).to_string(), "0.3");
    }
}
