//! The synthetic data of the engine benchmark and the profiling example.

use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};

/// A deterministic random walk of `n` minute bars with two-decimal prices.
pub fn random_walk(n: usize) -> BarSeries {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut cents: i64 = 100_000;
    let bars = (0..n)
        .map(|k| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let open = cents;
            cents = (cents + (state % 41) as i64 - 20).max(1_000);
            let hi = open.max(cents) + (state >> 20) as i64 % 7;
            let lo = open.min(cents) - (state >> 30) as i64 % 7;
            Bar::new(
                Timestamp::from_secs(1_500_000_000 + 60 * k as i64),
                open as f64 / 100.0,
                hi as f64 / 100.0,
                lo as f64 / 100.0,
                cents as f64 / 100.0,
                100.0,
            )
            .expect("valid bar")
        })
        .collect();
    BarSeries::new(Symbol::new("RW").expect("symbol"), bars).expect("series")
}
