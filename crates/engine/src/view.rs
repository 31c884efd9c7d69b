//! Point-in-time access to market data: a decider sees only bars with timestamp ≤ now.

use tradelab_core::{Bar, BarSeries, Symbol};

/// Why a [`DataView`] cannot be made from the given counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// One visible count is needed per series.
    #[error("{counts} visible bar counts given for {series} series; give one per series")]
    Counts {
        /// Number of series.
        series: usize,
        /// Number of counts given.
        counts: usize,
    },
    /// A count is larger than the series.
    #[error("{symbol}: {visible} bars visible, but the series has {bars}")]
    PastTheEnd {
        /// The series' symbol.
        symbol: Symbol,
        /// The count given.
        visible: usize,
        /// Bars in the series.
        bars: usize,
    },
}

/// Read-only window on the run's bars, cut at the current step.
///
/// The slices it hands out end at the last visible bar, so there is no index, iterator
/// or method through which a later bar can be reached.
#[derive(Clone, Copy)]
pub struct DataView<'a> {
    series: &'a [BarSeries],
    visible: &'a [usize],
}

impl<'a> DataView<'a> {
    /// A view where symbol `i` shows its first `visible[i]` bars, for drivers and tests
    /// outside the engine (see also [`crate::testkit`]). Refuses counts that do not
    /// match the series.
    pub fn checked(series: &'a [BarSeries], visible: &'a [usize]) -> Result<Self, ViewError> {
        if series.len() != visible.len() {
            return Err(ViewError::Counts {
                series: series.len(),
                counts: visible.len(),
            });
        }
        if let Some((s, &n)) = series.iter().zip(visible).find(|(s, n)| **n > s.len()) {
            return Err(ViewError::PastTheEnd {
                symbol: s.symbol().clone(),
                visible: n,
                bars: s.len(),
            });
        }
        Ok(DataView { series, visible })
    }

    /// A view where symbol `i` shows its first `visible[i]` bars (the engine's own,
    /// unchecked in release builds).
    pub(crate) fn new(series: &'a [BarSeries], visible: &'a [usize]) -> Self {
        debug_assert_eq!(series.len(), visible.len());
        DataView { series, visible }
    }

    /// Number of symbols in the run (indices `0..len`).
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True when the run has no symbols.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The symbol at index `i`.
    pub fn symbol(&self, i: usize) -> &'a Symbol {
        self.series[i].symbol()
    }

    /// Index of a symbol, if it is part of the run.
    pub fn index_of(&self, symbol: &Symbol) -> Option<usize> {
        self.series.iter().position(|s| s.symbol() == symbol)
    }

    /// Bars of symbol `i` up to and including now, oldest first.
    #[inline]
    pub fn bars(&self, i: usize) -> &'a [Bar] {
        &self.series[i].bars()[..self.visible[i]]
    }

    /// The latest visible bar of symbol `i`.
    #[inline]
    pub fn last(&self, i: usize) -> Option<&'a Bar> {
        self.bars(i).last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::daily_bars;

    #[test]
    fn checked_view_refuses_counts_that_do_not_fit_the_series() {
        let series = [daily_bars("A", 0, &[1.0, 2.0]).unwrap()];
        assert_eq!(DataView::checked(&series, &[2]).unwrap().bars(0).len(), 2);
        assert!(matches!(
            DataView::checked(&series, &[1, 1]),
            Err(ViewError::Counts {
                series: 1,
                counts: 2
            })
        ));
        let e = DataView::checked(&series, &[3]).err().unwrap();
        assert_eq!(e.to_string(), "A: 3 bars visible, but the series has 2");
    }
}
