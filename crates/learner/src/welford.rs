//! Online mean and variance (Welford's algorithm), used to standardise each feature
//! with what has been seen so far, never with what comes later.

use serde::{Deserialize, Serialize};

/// Standardised values are clipped to ±`CLIP` so one outlier bar cannot throw the
/// model's weights.
pub const CLIP: f64 = 5.0;

/// Running count, mean and sum of squared deviations of one series of values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Adds one value.
    #[inline]
    pub fn update(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Values seen.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Mean of the values seen (0 before any).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Sample standard deviation (0 before two values).
    #[inline]
    pub fn std(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).sqrt()
        }
    }

    /// `x` in standard deviations from the mean, clipped to ±[`CLIP`]; 0 while the
    /// values seen do not vary (a constant feature says nothing).
    #[inline]
    pub fn standardise(&self, x: f64) -> f64 {
        let s = self.std();
        if s > 1e-12 {
            ((x - self.mean) / s).clamp(-CLIP, CLIP)
        } else {
            0.0
        }
    }

    /// Adds `x`, then standardises it against everything seen up to and including it.
    #[inline]
    pub fn push(&mut self, x: f64) -> f64 {
        self.update(x);
        self.standardise(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_the_two_pass_mean_and_sample_deviation() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut w = Welford::default();
        xs.iter().for_each(|&x| w.update(x));
        let mean = xs.iter().sum::<f64>() / 8.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 7.0;
        assert!((w.mean() - mean).abs() < 1e-12);
        assert!((w.std() - var.sqrt()).abs() < 1e-12);
        assert!((w.standardise(mean + var.sqrt()) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn constant_values_standardise_to_zero_and_outliers_are_clipped() {
        let mut w = Welford::default();
        for _ in 0..10 {
            assert_eq!(w.push(3.0), 0.0);
        }
        w.update(4.0);
        assert_eq!(w.standardise(1e9), CLIP);
    }
}
