//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};

pub const DAY: i64 = 86_400;

/// A daily series from (open, high, low, close) tuples, one day apart from 2020-01-01.
pub fn daily(symbol: &str, ohlc: &[(f64, f64, f64, f64)]) -> BarSeries {
    let start = 1_577_836_800; // 2020-01-01
    let bars = ohlc
        .iter()
        .enumerate()
        .map(|(k, &(o, h, l, c))| {
            Bar::new(
                Timestamp::from_secs(start + k as i64 * DAY),
                o,
                h,
                l,
                c,
                1000.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(symbol).unwrap(), bars).unwrap()
}

/// A daily series where every bar is flat at the given closes (open = high = low = close).
pub fn flat(symbol: &str, closes: &[f64]) -> BarSeries {
    let ohlc: Vec<_> = closes.iter().map(|&c| (c, c, c, c)).collect();
    daily(symbol, &ohlc)
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}
