//! Point-in-time access to market data: a decider sees only bars with timestamp ≤ now.

use tradelab_core::{Bar, BarSeries, Symbol};

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
    /// A view where symbol `i` shows its first `visible[i]` bars.
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
