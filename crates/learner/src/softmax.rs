//! Multinomial (softmax) logistic regression over the three classes down / flat / up,
//! trained by SGD one sample at a time with L2: the three-class counterpart of
//! [`crate::model::Logistic`], written by hand for the same reasons (see that module):
//! one sample at a time, no allocation, a serialisable state.

use crate::label::{CLASSES, Outcome};
use crate::model::DECAY;
use serde::{Deserialize, Serialize};

/// `softmax(z)`, computed stably (the largest logit is subtracted first).
#[inline]
pub fn softmax(z: &[f64; CLASSES]) -> [f64; CLASSES] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = [(z[0] - m).exp(), (z[1] - m).exp(), (z[2] - m).exp()];
    let s = e[0] + e[1] + e[2];
    [e[0] / s, e[1] / s, e[2] / s]
}

/// One weight vector and one bias per class (down, flat, up), and the count of
/// samples learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Softmax {
    /// `CLASSES × features`, class by class.
    class_weights: Vec<f64>,
    class_bias: [f64; CLASSES],
    learned: u64,
    learning_rate: f64,
    l2: f64,
}

impl Softmax {
    /// A model of `features` inputs, all weights zero (a third each everywhere).
    pub fn new(features: usize, learning_rate: f64, l2: f64) -> Self {
        Softmax {
            class_weights: vec![0.0; CLASSES * features],
            class_bias: [0.0; CLASSES],
            learned: 0,
            learning_rate,
            l2,
        }
    }

    /// Samples learned.
    pub fn learned(&self) -> u64 {
        self.learned
    }

    /// All weights, class by class (down, flat, up).
    pub fn weights(&self) -> &[f64] {
        &self.class_weights
    }

    fn width(&self) -> usize {
        self.class_weights.len() / CLASSES
    }

    /// The three logits (down, flat, up) for features `x`.
    #[inline]
    pub fn logits(&self, x: &[f64]) -> [f64; CLASSES] {
        let n = self.width();
        let mut z = self.class_bias;
        for (k, zk) in z.iter_mut().enumerate() {
            for (w, v) in self.class_weights[k * n..(k + 1) * n].iter().zip(x) {
                *zk += w * v;
            }
        }
        z
    }

    /// One SGD step on the cross-entropy of sample `(x, class)` plus `l2/2 · |W|²`
    /// (biases not regularised); the rate decays as in the binary model.
    #[inline]
    pub fn partial_fit(&mut self, x: &[f64], class: Outcome) {
        let rate = self.learning_rate / (1.0 + self.learned as f64 / DECAY).sqrt();
        let p = softmax(&self.logits(x));
        let n = self.width();
        for (k, pk) in p.iter().enumerate() {
            let g = pk - (class.index() == k) as u8 as f64;
            for (w, v) in self.class_weights[k * n..(k + 1) * n].iter_mut().zip(x) {
                *w -= rate * (g * v + self.l2 * *w);
            }
            self.class_bias[k] -= rate * g;
        }
        self.learned += 1;
    }

    /// How the log-odds of up against down move with each feature:
    /// `w_up − w_down`, into `out`.
    pub fn sensitivity(&self, out: &mut [f64]) {
        let n = self.width();
        for (i, o) in out.iter_mut().enumerate().take(n) {
            *o = self.class_weights[2 * n + i] - self.class_weights[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_survives_huge_logits() {
        let p = softmax(&[1000.0, 0.0, -1000.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > 0.999_999);
    }

    #[test]
    fn learns_which_of_three_regions_a_feature_points_to() {
        let mut m = Softmax::new(1, 0.1, 0.0);
        let cases = [
            (-1.0, Outcome::Down),
            (0.0, Outcome::Flat),
            (1.0, Outcome::Up),
        ];
        for i in 0..6_000 {
            let (x, y) = cases[i % 3];
            m.partial_fit(&[x], y);
        }
        for (x, y) in cases {
            let p = softmax(&m.logits(&[x]));
            assert!(p[y.index()] > 0.6, "{x}: {p:?}");
        }
        assert_eq!(m.learned(), 6_000);
    }
}
