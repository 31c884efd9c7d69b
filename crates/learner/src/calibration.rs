//! Platt scaling kept online: `p = σ(a·z + b)` over the model's raw log-odds `z`,
//! refitted every [`REFIT_EVERY`] labels by Newton's method on a rolling window of the
//! latest out-of-sample `(z, label)` pairs.
//!
//! The pairs are out of sample by construction: `z` is what the model said when the
//! sample was seen, before it learned that sample's label. Until the window holds
//! [`MIN_PAIRS`] pairs the model's own probability is used (`a = 1, b = 0`).

use crate::model::sigmoid;
use serde::{Deserialize, Serialize};

/// Labels between refits (the refit costs a few passes over the window, so it is
/// amortised to a few operations a bar).
pub const REFIT_EVERY: usize = 50;
/// Pairs needed before the first fit.
pub const MIN_PAIRS: usize = 100;

/// The rolling window of pairs and the current scaling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    window: usize,
    z: Vec<f64>,
    y: Vec<f64>,
    next: usize,
    since_fit: usize,
    a: f64,
    b: f64,
}

impl Platt {
    /// Calibration over the latest `window` labels (≥ [`MIN_PAIRS`]).
    pub fn new(window: usize) -> Self {
        let window = window.max(MIN_PAIRS);
        Platt {
            window,
            z: Vec::with_capacity(window),
            y: Vec::with_capacity(window),
            next: 0,
            since_fit: 0,
            a: 1.0,
            b: 0.0,
        }
    }

    /// The scaling `(a, b)`.
    pub fn params(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// The calibrated probability of raw log-odds `z`.
    #[inline]
    pub fn calibrate(&self, z: f64) -> f64 {
        sigmoid(self.a * z + self.b)
    }

    /// Adds an out-of-sample pair; refits when due.
    #[inline]
    pub fn push(&mut self, z: f64, y: f64) {
        if self.z.len() < self.window {
            self.z.push(z);
            self.y.push(y);
        } else {
            self.z[self.next] = z;
            self.y[self.next] = y;
            self.next = (self.next + 1) % self.window;
        }
        self.since_fit += 1;
        if self.since_fit >= REFIT_EVERY && self.z.len() >= MIN_PAIRS {
            self.since_fit = 0;
            self.refit();
        }
    }

    /// Newton's method on the window's log loss in `(a, b)`, with Platt's smoothed
    /// targets (`(n₊+1)/(n₊+2)`, `1/(n₋+2)`) and a small ridge towards `(1, 0)` so a
    /// window without signal cannot blow the slope up. Each step is halved until the
    /// loss falls (Newton alone overshoots from a far start).
    fn refit(&mut self) {
        let pos = self.y.iter().sum::<f64>();
        let n = self.y.len() as f64;
        let (hi, lo) = ((pos + 1.0) / (pos + 2.0), 1.0 / (n - pos + 2.0));
        let ridge = 1e-3 * n;
        let loss = |a: f64, b: f64| {
            let mut l = 0.5 * ridge * (a - 1.0) * (a - 1.0);
            for (&z, &y) in self.z.iter().zip(&self.y) {
                let t = if y > 0.5 { hi } else { lo };
                let s = a * z + b;
                // −[t·ln σ(s) + (1−t)·ln(1−σ(s))], stable for large |s|.
                l += s.max(0.0) - t * s + (-s.abs()).exp().ln_1p();
            }
            l
        };
        let (mut a, mut b) = (self.a, self.b);
        let mut current = loss(a, b);
        for _ in 0..8 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&z, &y) in self.z.iter().zip(&self.y) {
                let t = if y > 0.5 { hi } else { lo };
                let p = sigmoid(a * z + b);
                let (d, w) = (p - t, (p * (1.0 - p)).max(1e-12));
                ga += d * z;
                gb += d;
                haa += w * z * z;
                hab += w * z;
                hbb += w;
            }
            ga += ridge * (a - 1.0);
            haa += ridge;
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-18 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            let mut step = 1.0;
            let mut improved = false;
            for _ in 0..20 {
                let (na, nb) = (a - step * da, b - step * db);
                let l = loss(na, nb);
                if l.is_finite() && l <= current {
                    (a, b, current, improved) = (na, nb, l, true);
                    break;
                }
                step *= 0.5;
            }
            if !improved || (step * (da.abs() + db.abs())) < 1e-9 {
                break;
            }
        }
        self.a = a;
        self.b = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_shrinks_overconfident_log_odds_to_the_observed_frequency() {
        // The model says log-odds ±3 (p 0.95 / 0.05) but is right 70 % of the time.
        let mut c = Platt::new(1_000);
        for i in 0..1_000 {
            let z = if i % 2 == 0 { 3.0 } else { -3.0 };
            let right = (i / 2) % 10 < 7;
            let y = if (z > 0.0) == right { 1.0 } else { 0.0 };
            c.push(z, y);
        }
        assert!(
            (c.calibrate(3.0) - 0.7).abs() < 0.03,
            "{}",
            c.calibrate(3.0)
        );
        assert!((c.calibrate(-3.0) - 0.3).abs() < 0.03);
    }

    #[test]
    fn platt_uses_the_model_probability_until_the_window_has_enough_pairs() {
        let mut c = Platt::new(500);
        for _ in 0..MIN_PAIRS - 1 {
            c.push(1.0, 0.0);
        }
        assert_eq!(c.calibrate(1.0), sigmoid(1.0));
    }
}
