//! The timestamps of a run's steps, borrowed from wherever they already live.

use tradelab_core::{Bar, Timestamp};

/// One timestamp per equity point, ascending.
///
/// A one-symbol run's steps are its bars, so its timeline is read from the bars and
/// the report never copies it; other timelines are given as timestamps.
#[derive(Clone, Copy, Debug)]
pub enum Timeline<'a> {
    /// Timestamps given one by one.
    Times(&'a [Timestamp]),
    /// The bars of a one-symbol run: one step per bar.
    Bars(&'a [Bar]),
}

impl<'a> Timeline<'a> {
    /// Number of steps.
    pub fn len(&self) -> usize {
        match self {
            Timeline::Times(t) => t.len(),
            Timeline::Bars(b) => b.len(),
        }
    }

    /// Whether there is no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Timestamp of step `i`; panics when `i >= len()`, like slice indexing.
    #[inline]
    pub fn at(&self, i: usize) -> Timestamp {
        match self {
            Timeline::Times(t) => t[i],
            Timeline::Bars(b) => b[i].ts(),
        }
    }

    /// The first `n` steps (all of them when there are fewer).
    pub fn prefix(self, n: usize) -> Timeline<'a> {
        match self {
            Timeline::Times(t) => Timeline::Times(&t[..n.min(t.len())]),
            Timeline::Bars(b) => Timeline::Bars(&b[..n.min(b.len())]),
        }
    }

    /// The timestamps in order.
    pub fn iter(&self) -> impl Iterator<Item = Timestamp> + 'a {
        let (times, bars): (&'a [Timestamp], &'a [Bar]) = match *self {
            Timeline::Times(t) => (t, &[]),
            Timeline::Bars(b) => (&[], b),
        };
        times.iter().copied().chain(bars.iter().map(Bar::ts))
    }
}

impl<'a> From<&'a [Timestamp]> for Timeline<'a> {
    fn from(t: &'a [Timestamp]) -> Self {
        Timeline::Times(t)
    }
}

impl<'a> From<&'a Vec<Timestamp>> for Timeline<'a> {
    fn from(t: &'a Vec<Timestamp>) -> Self {
        Timeline::Times(t)
    }
}

impl<'a> From<&'a [Bar]> for Timeline<'a> {
    fn from(b: &'a [Bar]) -> Self {
        Timeline::Bars(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_times_read_the_same_timestamps() {
        let ts: Vec<Timestamp> = (0..5).map(|k| Timestamp::from_secs(60 * k)).collect();
        let bars: Vec<Bar> = ts
            .iter()
            .map(|&t| Bar::new(t, 1.0, 1.0, 1.0, 1.0, 0.0).expect("bar"))
            .collect();
        let (a, b) = (Timeline::from(&ts), Timeline::from(&bars[..]));
        assert_eq!(a.len(), b.len());
        assert!(a.iter().eq(b.iter()));
        assert_eq!(a.at(3), b.at(3));
        assert_eq!(b.prefix(2).len(), 2);
        assert_eq!(a.prefix(9).len(), 5);
    }
}
