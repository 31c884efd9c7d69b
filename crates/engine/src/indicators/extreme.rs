//! Rolling maximum and minimum over the last `n` values (monotonic deque).

use super::{IndicatorError, check_period};
use std::collections::VecDeque;

/// Monotonic deque of `(sequence number, value)`: values in the deque are the only ones
/// that can still become the window's extreme. `keep(a, b)` is true when an older value
/// `a` must be dropped because a newer `b` is at least as extreme.
#[derive(Clone, Debug)]
struct Extreme {
    period: usize,
    seen: u64,
    deque: VecDeque<(u64, f64)>,
}

impl Extreme {
    fn new(indicator: &'static str, period: usize) -> Result<Self, IndicatorError> {
        let period = check_period(indicator, period)?;
        Ok(Extreme {
            period,
            seen: 0,
            deque: VecDeque::with_capacity(period + 1),
        })
    }

    #[inline]
    fn update(&mut self, x: f64, dominated: impl Fn(f64, f64) -> bool) -> Option<f64> {
        while self.deque.back().is_some_and(|&(_, v)| dominated(v, x)) {
            self.deque.pop_back();
        }
        self.deque.push_back((self.seen, x));
        self.seen += 1;
        let oldest_kept = self.seen.saturating_sub(self.period as u64);
        while self.deque.front().is_some_and(|&(i, _)| i < oldest_kept) {
            self.deque.pop_front();
        }
        self.value()
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        if self.seen < self.period as u64 {
            return None;
        }
        self.deque.front().map(|&(_, v)| v)
    }
}

/// Highest of the last `period` values (pandas `rolling(period).max()`), amortised O(1)
/// per update, no allocation after construction.
#[derive(Clone, Debug)]
pub struct RollingMax(Extreme);

impl RollingMax {
    /// A rolling maximum over `period` values; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Extreme::new("RollingMax", period).map(RollingMax)
    }

    /// Number of values in the window.
    pub fn period(&self) -> usize {
        self.0.period
    }

    /// Adds the next value; returns the maximum of the last `period` values once there
    /// are that many.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x, |old, new| old <= new)
    }

    /// The current maximum, or `None` before `period` values.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }
}

/// Lowest of the last `period` values (pandas `rolling(period).min()`), amortised O(1)
/// per update, no allocation after construction.
#[derive(Clone, Debug)]
pub struct RollingMin(Extreme);

impl RollingMin {
    /// A rolling minimum over `period` values; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Extreme::new("RollingMin", period).map(RollingMin)
    }

    /// Number of values in the window.
    pub fn period(&self) -> usize {
        self.0.period
    }

    /// Adds the next value; returns the minimum of the last `period` values once there
    /// are that many.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x, |old, new| old >= new)
    }

    /// The current minimum, or `None` before `period` values.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_and_min_slide_with_the_window() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 1.0, 1.0];
        let mut hi = RollingMax::new(3).unwrap();
        let mut lo = RollingMin::new(3).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let (h, l) = (hi.update(x), lo.update(x));
            if i < 2 {
                assert_eq!((h, l), (None, None));
            } else {
                let w = &xs[i - 2..=i];
                assert_eq!(h, Some(w.iter().copied().fold(f64::MIN, f64::max)));
                assert_eq!(l, Some(w.iter().copied().fold(f64::MAX, f64::min)));
            }
        }
    }

    #[test]
    fn deque_never_outgrows_the_window() {
        let mut lo = RollingMin::new(4).unwrap();
        for i in 0..100 {
            lo.update(f64::from(i));
            assert!(lo.0.deque.len() <= 4);
        }
        assert_eq!(lo.value(), Some(96.0));
    }
}
