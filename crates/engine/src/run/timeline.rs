//! The merged timeline of several symbols' bars: the steps of a replay, outside the
//! run loop.
//!
//! A step is one distinct timestamp; the symbols with a bar at it are the step's
//! *updated* symbols. Ties are broken by the order the series were given in: at one
//! timestamp, symbol 0's bar is processed before symbol 1's (the documented tie-break
//! of [`crate::Engine::new`]).

use tradelab_core::{BarSeries, Timestamp};

/// Walks the merged timeline of `series`, one step at a time. Not a std `Iterator`:
/// each step lends its updated symbols as a slice of the walker's own buffer, so a
/// million-step replay allocates nothing.
pub struct MergedTimeline<'a> {
    series: &'a [BarSeries],
    /// Next bar of each series.
    next: Vec<usize>,
    /// Next bar of the only series, when there is one.
    single: usize,
    updated: Vec<usize>,
}

impl<'a> MergedTimeline<'a> {
    /// The timeline of `series`, before its first step.
    pub fn new(series: &'a [BarSeries]) -> Self {
        MergedTimeline {
            series,
            next: vec![0; series.len()],
            single: 0,
            updated: Vec::with_capacity(series.len()),
        }
    }

    /// The next step: its timestamp and the indices of the symbols with a bar at it,
    /// ascending; `None` when every series is exhausted.
    #[inline]
    pub fn next_step(&mut self) -> Option<(Timestamp, &[usize])> {
        if let [only] = self.series {
            let ts = only.bars().get(self.single)?.ts();
            only.prefetch(self.single + PREFETCH_AHEAD);
            self.single += 1;
            return Some((ts, &ONLY));
        }
        let now = self
            .series
            .iter()
            .zip(&self.next)
            .filter_map(|(s, &v)| s.bars().get(v).map(|b| b.ts()))
            .min()?;
        self.updated.clear();
        for (i, s) in self.series.iter().enumerate() {
            let at = self.next[i];
            if s.bars().get(at).is_some_and(|b| b.ts() == now) {
                self.updated.push(i);
                s.prefetch(at + PREFETCH_AHEAD);
                self.next[i] = at + 1;
            }
        }
        Some((now, &self.updated))
    }

    /// Number of steps: distinct timestamps across all series.
    pub fn count(series: &[BarSeries]) -> usize {
        if let [one] = series {
            return one.len();
        }
        step_timestamps(series).len()
    }
}

/// The updated symbols of every step of a single-series run.
const ONLY: [usize; 1] = [0];

/// How many bars ahead of the current one a replay asks the CPU to load: far enough to
/// hide a memory access, near enough to stay in cache (measured best between 32 and 128).
const PREFETCH_AHEAD: usize = 32;

/// The merged timeline of a run: the distinct timestamps of all series, ascending.
pub(crate) fn step_timestamps(series: &[BarSeries]) -> Vec<Timestamp> {
    let mut all: Vec<Timestamp> = series
        .iter()
        .flat_map(|s| s.bars().iter().map(|b| b.ts()))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::daily_bars;

    fn steps(series: &[BarSeries]) -> Vec<(i64, Vec<usize>)> {
        let mut t = MergedTimeline::new(series);
        let mut out = Vec::new();
        while let Some((ts, updated)) = t.next_step() {
            out.push((ts.nanos() / 86_400_000_000_000, updated.to_vec()));
        }
        out
    }

    #[test]
    fn merges_symbols_by_time_and_breaks_ties_by_series_order() {
        let a = daily_bars("A", 0, &[1.0, 2.0, 3.0]).unwrap();
        let b = daily_bars("B", 1, &[1.0, 2.0, 3.0]).unwrap();
        let got = steps(&[a, b]);
        assert_eq!(
            got,
            vec![(0, vec![0]), (1, vec![0, 1]), (2, vec![0, 1]), (3, vec![1])]
        );
        assert_eq!(
            MergedTimeline::count(&[
                daily_bars("A", 0, &[1.0, 2.0, 3.0]).unwrap(),
                daily_bars("B", 1, &[1.0, 2.0, 3.0]).unwrap()
            ]),
            4
        );
    }

    #[test]
    fn a_single_series_steps_through_every_bar() {
        let a = daily_bars("A", 5, &[1.0, 2.0]).unwrap();
        assert_eq!(
            steps(std::slice::from_ref(&a)),
            vec![(5, vec![0]), (6, vec![0])]
        );
    }
}
