//! OHLCV bars and per-symbol bar series.

use crate::{Symbol, Timestamp};

/// One OHLCV bar, labelled by the start of its interval. Prices are market data (`f64`).
///
/// Built through [`Bar::new`], which rejects bars that cannot exist.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    ts: Timestamp,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

/// A broken bar invariant, naming the field and the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BarError {
    #[error("{field} is {value}, not a finite number")]
    NotFinite { field: &'static str, value: f64 },
    #[error("{field} is {value}; prices must be > 0")]
    NonPositivePrice { field: &'static str, value: f64 },
    #[error(
        "{field} is {value:e}; prices must be between {MIN_PRICE:e} and {MAX_PRICE:e}, the \
         range the exact ledger holds (quote the instrument in another unit)"
    )]
    PriceOutOfRange { field: &'static str, value: f64 },
    #[error("volume is {0}; volume must be >= 0")]
    NegativeVolume(f64),
    #[error("high {high} is below {field} {value}")]
    HighBelow {
        high: f64,
        field: &'static str,
        value: f64,
    },
    #[error("low {low} is above {field} {value}")]
    LowAbove {
        low: f64,
        field: &'static str,
        value: f64,
    },
}

/// The smallest price a bar may carry: every `f64` from here up, with its 17
/// significant digits, is an exact ledger decimal (at most 28 decimal places).
pub const MIN_PRICE: f64 = 1e-10;
/// The largest price a bar may carry: a price times the largest order (10^12 units)
/// stays within the ledger's 28 digits.
pub const MAX_PRICE: f64 = 1e15;

/// Checks one price of market data: finite, positive, and between [`MIN_PRICE`] and
/// [`MAX_PRICE`]; the error names `field`.
#[cold]
pub fn check_price(field: &'static str, value: f64) -> Result<(), BarError> {
    if !value.is_finite() {
        return Err(BarError::NotFinite { field, value });
    }
    if value <= 0.0 {
        return Err(BarError::NonPositivePrice { field, value });
    }
    if !(MIN_PRICE..=MAX_PRICE).contains(&value) {
        return Err(BarError::PriceOutOfRange { field, value });
    }
    Ok(())
}

impl Bar {
    /// Validates and builds a bar: finite prices between [`MIN_PRICE`] and
    /// [`MAX_PRICE`], non-negative volume, `low <= open, close <= high`.
    pub fn new(
        ts: Timestamp,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Result<Self, BarError> {
        for (field, value) in [
            ("open", open),
            ("high", high),
            ("low", low),
            ("close", close),
        ] {
            // One range test covers finite and positive too; the detail is only
            // worked out for a price that fails it.
            if !(MIN_PRICE..=MAX_PRICE).contains(&value) {
                check_price(field, value)?;
            }
        }
        if !volume.is_finite() {
            return Err(BarError::NotFinite {
                field: "volume",
                value: volume,
            });
        }
        if volume < 0.0 {
            return Err(BarError::NegativeVolume(volume));
        }
        for (field, value) in [("open", open), ("close", close), ("low", low)] {
            if high < value {
                return Err(BarError::HighBelow { high, field, value });
            }
        }
        for (field, value) in [("open", open), ("close", close)] {
            if low > value {
                return Err(BarError::LowAbove { low, field, value });
            }
        }
        Ok(Bar {
            ts,
            open,
            high,
            low,
            close,
            volume,
        })
    }

    /// Interval start.
    #[inline]
    pub fn ts(&self) -> Timestamp {
        self.ts
    }
    /// First price of the interval.
    #[inline]
    pub fn open(&self) -> f64 {
        self.open
    }
    /// Highest price of the interval.
    #[inline]
    pub fn high(&self) -> f64 {
        self.high
    }
    /// Lowest price of the interval.
    #[inline]
    pub fn low(&self) -> f64 {
        self.low
    }
    /// Last price of the interval.
    #[inline]
    pub fn close(&self) -> f64 {
        self.close
    }
    /// Traded volume (0 when the source has none).
    #[inline]
    pub fn volume(&self) -> f64 {
        self.volume
    }
}

/// Bars of one symbol in strictly increasing time order.
#[derive(Clone, Debug, PartialEq)]
pub struct BarSeries {
    symbol: Symbol,
    bars: Vec<Bar>,
}

/// Why bars do not form a series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeriesError {
    #[error("{symbol}: bar {index} at {ts} is not after the previous bar at {prev}")]
    NotIncreasing {
        symbol: Symbol,
        index: usize,
        ts: Timestamp,
        prev: Timestamp,
    },
}

impl BarSeries {
    /// Builds a series; timestamps must be strictly increasing.
    pub fn new(symbol: Symbol, bars: Vec<Bar>) -> Result<Self, SeriesError> {
        if let Some(i) = bars.windows(2).position(|w| w[1].ts <= w[0].ts) {
            return Err(SeriesError::NotIncreasing {
                symbol,
                index: i + 1,
                ts: bars[i + 1].ts,
                prev: bars[i].ts,
            });
        }
        Ok(BarSeries { symbol, bars })
    }

    /// The instrument.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Appends a bar that arrived after the others (a live feed); refuses one that is
    /// not after the last bar.
    pub fn push(&mut self, bar: Bar) -> Result<(), SeriesError> {
        if let Some(prev) = self.bars.last()
            && bar.ts <= prev.ts
        {
            return Err(SeriesError::NotIncreasing {
                symbol: self.symbol.clone(),
                index: self.bars.len(),
                ts: bar.ts,
                prev: prev.ts,
            });
        }
        self.bars.push(bar);
        Ok(())
    }

    /// All bars, oldest first.
    pub fn bars(&self) -> &[Bar] {
        &self.bars
    }

    /// Hints the CPU to load bar `index` into cache ahead of its use; nothing when the
    /// index is past the end or off x86-64. A replay reads bars in order, and the
    /// hardware prefetcher stops at each 4 KiB page, so a replay hints a few dozen bars
    /// ahead to keep the next page's first bars from stalling it. Results do not change.
    #[inline(always)]
    pub fn prefetch(&self, index: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(bar) = self.bars.get(index) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: a prefetch is only a hint: it cannot fault and changes no memory,
            // and the pointer comes from a live reference into `self.bars`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(bar).cast()) }
        }
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    /// True when every bar is at midnight UTC (daily data).
    pub fn is_daily(&self) -> bool {
        self.bars.iter().all(|b| b.ts.is_utc_midnight())
    }

    /// Keeps only bars with `from <= ts <= to`.
    pub fn restrict(&mut self, from: Option<Timestamp>, to: Option<Timestamp>) {
        self.bars
            .retain(|b| from.is_none_or(|f| b.ts >= f) && to.is_none_or(|t| b.ts <= t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    #[test]
    fn accepts_a_consistent_bar() {
        let b = Bar::new(ts(0), 10.0, 11.0, 9.0, 10.5, 100.0).unwrap();
        assert_eq!(b.close(), 10.5);
    }

    #[test]
    fn rejects_high_below_close() {
        let e = Bar::new(ts(0), 10.0, 10.2, 9.0, 10.5, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "high 10.2 is below close 10.5");
    }

    #[test]
    fn rejects_low_above_open() {
        assert!(matches!(
            Bar::new(ts(0), 10.0, 11.0, 10.1, 10.5, 1.0),
            Err(BarError::LowAbove { field: "open", .. })
        ));
    }

    #[test]
    fn rejects_nan_zero_and_negative_volume() {
        assert!(matches!(
            Bar::new(ts(0), f64::NAN, 11.0, 9.0, 10.0, 1.0),
            Err(BarError::NotFinite { field: "open", .. })
        ));
        assert!(matches!(
            Bar::new(ts(0), 0.0, 11.0, 9.0, 10.0, 1.0),
            Err(BarError::NonPositivePrice { .. })
        ));
        assert_eq!(
            Bar::new(ts(0), 10.0, 11.0, 9.0, 10.0, -1.0),
            Err(BarError::NegativeVolume(-1.0))
        );
    }

    #[test]
    fn rejects_prices_the_exact_ledger_cannot_hold() {
        let err = Bar::new(ts(0), 1e300, 1e300, 1e300, 1e300, 1.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "open is 1e300; prices must be between 1e-10 and 1e15, the range the exact \
             ledger holds (quote the instrument in another unit)"
        );
        assert!(matches!(
            Bar::new(ts(0), 1.0, 1.0, 1e-12, 1.0, 1.0),
            Err(BarError::PriceOutOfRange { field: "low", .. })
        ));
        // The bounds themselves, and sub-cent token prices, are fine.
        assert!(Bar::new(ts(0), MIN_PRICE, MAX_PRICE, MIN_PRICE, MAX_PRICE, 0.0).is_ok());
        assert!(Bar::new(ts(0), 2.5e-8, 3e-8, 2e-8, 2.7e-8, 1e12).is_ok());
    }

    #[test]
    fn series_rejects_duplicate_timestamps() {
        let b = Bar::new(ts(0), 10.0, 11.0, 9.0, 10.0, 1.0).unwrap();
        let err = BarSeries::new(Symbol::new("X").unwrap(), vec![b, b]).unwrap_err();
        assert!(matches!(err, SeriesError::NotIncreasing { index: 1, .. }));
    }

    #[test]
    fn prefetch_at_or_past_the_end_changes_nothing() {
        let bars: Vec<Bar> = (0..3)
            .map(|k| Bar::new(ts(k), 10.0, 11.0, 9.0, 10.0, 1.0).unwrap())
            .collect();
        let series = BarSeries::new(Symbol::new("X").unwrap(), bars.clone()).unwrap();
        for index in [0, 2, 3, usize::MAX] {
            series.prefetch(index);
        }
        assert_eq!(series.bars(), &bars[..]);
    }
}
