//! Simple moving average with pandas' rolling-mean arithmetic.

use super::{IndicatorError, check_period};

/// Simple moving average of the last `n` values, equal bit for bit to pandas'
/// `Series.rolling(n).mean()` (pandas 1.5 – 3.x, `_libs/window/aggregations.pyx`
/// `roll_mean`).
///
/// pandas keeps a running sum with Kahan compensation: each new value is added and each
/// value leaving the window is subtracted through a compensated add (with separate
/// compensation terms for adds and removes), the result is `sum / count`. When the last
/// `count` values added are all equal, the result is that value exactly; a mean of only
/// non-negative (non-positive) values is clamped at 0 from below (above). A plain
/// running sum or a sum recomputed over the window differs in the last bits, and those
/// bits decide strict crosses on exact ties (see `REFERENCE-CONVENTIONS.md`).
#[derive(Clone, Debug)]
pub struct Sma {
    window: Vec<f64>,
    period: usize,
    /// Next slot of `window` to overwrite (the oldest value once full).
    pos: usize,
    nobs: usize,
    sum: f64,
    neg_ct: usize,
    comp_add: f64,
    comp_remove: f64,
    same_run: usize,
    prev: f64,
    /// `period as f64` (the count of a full window).
    period_f64: f64,
}

impl Sma {
    /// An SMA over `period` values; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let period = check_period("Sma", period)?;
        Ok(Sma {
            window: Vec::with_capacity(period),
            period,
            pos: 0,
            nobs: 0,
            sum: 0.0,
            neg_ct: 0,
            comp_add: 0.0,
            comp_remove: 0.0,
            same_run: 0,
            prev: f64::NAN,
            period_f64: period as f64,
        })
    }

    /// Number of values averaged.
    pub fn period(&self) -> usize {
        self.period
    }

    /// True once `period` values were added: [`Sma::roll`] may be used from then on.
    #[inline(always)]
    pub fn is_full(&self) -> bool {
        self.nobs == self.period
    }

    /// Adds the next value; returns the mean of the last `period` values once there are
    /// that many.
    #[inline(always)]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.nobs == self.period {
            Some(self.roll(x))
        } else {
            self.warm_up(x)
        }
    }

    /// `update` while the window is not full yet.
    #[inline(never)]
    fn warm_up(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.pos += 1;
        if self.pos == self.period {
            self.pos = 0;
        }
        self.add(x);
        self.value()
    }

    /// [`Sma::update`] once the window is full ([`Sma::is_full`]): the same operations
    /// as pandas' `remove(old)` then `add(x)` in that order, with the count staying at
    /// `period`.
    #[inline(always)]
    pub fn roll(&mut self, x: f64) -> f64 {
        debug_assert!(self.is_full());
        let slot = &mut self.window[self.pos];
        let old = std::mem::replace(slot, x);
        self.pos += 1;
        if self.pos == self.period {
            self.pos = 0;
        }
        // remove(old)
        let y = -old - self.comp_remove;
        let t = self.sum + y;
        self.comp_remove = t - self.sum - y;
        self.sum = t;
        // add(x)
        let y = x - self.comp_add;
        let t = self.sum + y;
        self.comp_add = t - self.sum - y;
        self.sum = t;
        self.neg_ct =
            self.neg_ct + usize::from(x.is_sign_negative()) - usize::from(old.is_sign_negative());
        if x == self.prev {
            self.same_run += 1;
        } else {
            self.same_run = 1;
        }
        self.prev = x;
        // value(), with nobs == period
        if self.same_run >= self.period {
            return x;
        }
        let mean = self.sum / self.period_f64;
        if (self.neg_ct == 0 && mean < 0.0) || (self.neg_ct == self.period && mean > 0.0) {
            0.0
        } else {
            mean
        }
    }

    /// The current mean, or `None` before `period` values.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        if self.nobs < self.period {
            return None;
        }
        let mean = self.sum / self.nobs as f64;
        let all_non_negative = self.neg_ct == 0;
        let all_negative = self.neg_ct == self.nobs;
        Some(if self.same_run >= self.nobs {
            self.prev
        } else if (all_non_negative && mean < 0.0) || (all_negative && mean > 0.0) {
            0.0
        } else {
            mean
        })
    }

    #[inline]
    fn add(&mut self, x: f64) {
        self.nobs += 1;
        let y = x - self.comp_add;
        let t = self.sum + y;
        self.comp_add = t - self.sum - y;
        self.sum = t;
        if x.is_sign_negative() {
            self.neg_ct += 1;
        }
        if x == self.prev {
            self.same_run += 1;
        } else {
            self.same_run = 1;
        }
        self.prev = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_none_until_period_values() {
        let mut s = Sma::new(3).unwrap();
        assert_eq!(s.update(1.0), None);
        assert_eq!(s.update(2.0), None);
        assert_eq!(s.update(3.0), Some(2.0));
        assert_eq!(s.update(6.0), Some(11.0 / 3.0));
    }

    #[test]
    fn period_one_returns_each_value() {
        let mut s = Sma::new(1).unwrap();
        for x in [3.5, 1.25, 7.0] {
            assert_eq!(s.update(x), Some(x));
        }
    }

    #[test]
    fn equal_values_give_that_value_exactly() {
        let mut s = Sma::new(3).unwrap();
        for x in [0.1, 0.7, 0.3, 0.3, 0.3] {
            s.update(x);
        }
        assert_eq!(s.value().map(f64::to_bits), Some(0.3f64.to_bits()));
    }

    #[test]
    fn rejects_zero_period() {
        assert_eq!(
            Sma::new(0).unwrap_err().to_string(),
            "Sma: period must be at least 1, got 0"
        );
    }
}
