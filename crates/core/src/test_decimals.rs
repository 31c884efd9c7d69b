//! Random decimals for the tests of the exact arithmetic.

use rust_decimal::Decimal;

/// Decimals with mantissas of every size class (8 to 96 bits), scales 0..=28, both
/// signs, some small ledger-like amounts, and the edge values; `seed` picks the draw.
pub(crate) fn random_decimals(seed: u64) -> Vec<Decimal> {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = vec![
        Decimal::ZERO,
        Decimal::ONE,
        -Decimal::ONE,
        Decimal::MAX,
        Decimal::MIN,
        Decimal::new(0, 5),
    ];
    for k in 0..3000 {
        let (hi, lo) = (next(), next());
        let bits = [8, 16, 32, 48, 63, 64, 80, 95, 96][k % 9];
        let m = (((u128::from(hi) << 64) | u128::from(lo)) >> (128 - bits)) as i128;
        let scale = (next() % 29) as u32;
        let m = if next() % 2 == 0 { -m } else { m };
        out.push(Decimal::from_i128_with_scale(m, scale));
        if k % 5 == 0 {
            let small = ((next() % 2_000_000) as i64) - 1_000_000;
            out.push(Decimal::new(small, (next() % 4) as u32));
        }
    }
    out
}
