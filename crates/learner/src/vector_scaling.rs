//! Calibration of the three-class probabilities, kept online: the multi-class form of
//! Platt scaling (vector scaling with one shared slope, Guo et al. 2017):
//! `p = softmax(a·z + b)` over the model's raw logits `z` (down, flat, up), with
//! `b_flat = 0` (softmax ignores a common shift). Three parameters `(a, b_down, b_up)`,
//! refitted by Newton's method on a rolling window of out-of-sample `(z, class)` pairs
//! on the same schedule as the binary [`crate::calibration::Platt`]; a small ridge
//! pulls towards `(1, 0, 0)` so a window without signal (or without one class) cannot
//! blow the scaling up. Written by hand for the reasons `calibration` gives.

use crate::calibration::{MIN_PAIRS, REFIT_EVERY};
use crate::label::CLASSES;
use crate::softmax::softmax;
use serde::{Deserialize, Serialize};

/// The rolling window of pairs and the current scaling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VectorScaling {
    window: usize,
    z: Vec<[f64; CLASSES]>,
    y: Vec<u8>,
    next: usize,
    since_fit: usize,
    a: f64,
    b: [f64; CLASSES],
}

impl VectorScaling {
    /// Calibration over the latest `window` labels (≥ [`MIN_PAIRS`]).
    pub fn new(window: usize) -> Self {
        let window = window.max(MIN_PAIRS);
        VectorScaling {
            window,
            z: Vec::with_capacity(window),
            y: Vec::with_capacity(window),
            next: 0,
            since_fit: 0,
            a: 1.0,
            b: [0.0; CLASSES],
        }
    }

    /// The slope `a` and the offsets `b` (down, flat = 0, up).
    pub fn params(&self) -> (f64, [f64; CLASSES]) {
        (self.a, self.b)
    }

    /// The calibrated probabilities (down, flat, up) of raw logits `z`.
    #[inline]
    pub fn calibrate(&self, z: &[f64; CLASSES]) -> [f64; CLASSES] {
        softmax(&[
            self.a * z[0] + self.b[0],
            self.a * z[1] + self.b[1],
            self.a * z[2] + self.b[2],
        ])
    }

    /// Adds an out-of-sample pair (logits, class index); refits when due.
    #[inline]
    pub fn push(&mut self, z: [f64; CLASSES], class: usize) {
        if self.z.len() < self.window {
            self.z.push(z);
            self.y.push(class as u8);
        } else {
            self.z[self.next] = z;
            self.y[self.next] = class as u8;
            self.next = (self.next + 1) % self.window;
        }
        self.since_fit += 1;
        let every = REFIT_EVERY.max(self.z.len() / 4);
        if self.since_fit >= every && self.z.len() >= MIN_PAIRS {
            self.since_fit = 0;
            self.refit();
        }
    }

    /// Newton's method in `θ = (a, b_down, b_up)` with step halving, started from the
    /// last fit.
    fn refit(&mut self) {
        let ridge = 1e-3 * self.z.len() as f64;
        let mut theta = [self.a, self.b[0], self.b[2]];
        let (mut loss, mut g, mut h) = self.pass(theta, ridge);
        for _ in 0..8 {
            let Some(d) = solve3(h, g) else { break };
            let mut step = 1.0;
            let mut improved = false;
            for _ in 0..20 {
                let next = [
                    theta[0] - step * d[0],
                    theta[1] - step * d[1],
                    theta[2] - step * d[2],
                ];
                let (l, ng, nh) = self.pass(next, ridge);
                if l.is_finite() && l <= loss {
                    (theta, loss, g, h, improved) = (next, l, ng, nh, true);
                    break;
                }
                step *= 0.5;
            }
            if !improved || step * (d[0].abs() + d[1].abs() + d[2].abs()) < 1e-4 {
                break;
            }
        }
        self.a = theta[0];
        self.b = [theta[1], 0.0, theta[2]];
    }

    /// Loss, gradient and Hessian of the window's cross-entropy at `θ`. With
    /// `s_k = a·z_k + b_k`, `∂s_k/∂θ` is `(z_k, [k = down], [k = up])`; the Hessian is
    /// `Jᵀ (diag p − p pᵀ) J`.
    fn pass(&self, t: [f64; 3], ridge: f64) -> (f64, [f64; 3], [[f64; 3]; 3]) {
        let mut loss = 0.5 * ridge * ((t[0] - 1.0).powi(2) + t[1] * t[1] + t[2] * t[2]);
        let mut g = [ridge * (t[0] - 1.0), ridge * t[1], ridge * t[2]];
        let mut h = [[ridge, 0.0, 0.0], [0.0, ridge, 0.0], [0.0, 0.0, ridge]];
        for (z, &y) in self.z.iter().zip(&self.y) {
            let s = [t[0] * z[0] + t[1], t[0] * z[1], t[0] * z[2] + t[2]];
            let m = s[0].max(s[1]).max(s[2]);
            let lse = m + ((s[0] - m).exp() + (s[1] - m).exp() + (s[2] - m).exp()).ln();
            loss += lse - s[y as usize];
            let p = softmax(&s);
            let jac = [[z[0], 1.0, 0.0], [z[1], 0.0, 0.0], [z[2], 0.0, 1.0]];
            // Gradient Σ_k (p_k − y_k) J_k; Hessian Σ_k p_k J_k J_kᵀ − (Σ p_k J_k)(…)ᵀ.
            let mut mean = [0.0; 3];
            for k in 0..CLASSES {
                let d = p[k] - (y as usize == k) as u8 as f64;
                for i in 0..3 {
                    g[i] += d * jac[k][i];
                    mean[i] += p[k] * jac[k][i];
                    for j in 0..3 {
                        h[i][j] += p[k] * jac[k][i] * jac[k][j];
                    }
                }
            }
            for i in 0..3 {
                for j in 0..3 {
                    h[i][j] -= mean[i] * mean[j];
                }
            }
        }
        (loss, g, h)
    }
}

/// Solves `h · d = g` for a 3 × 3 symmetric `h` by Cramer's rule; `None` when singular.
fn solve3(h: [[f64; 3]; 3], g: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(h);
    if d.abs() < 1e-18 || !d.is_finite() {
        return None;
    }
    let mut out = [0.0; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let mut m = h;
        for r in 0..3 {
            m[r][c] = g[r];
        }
        *o = det(m) / d;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_overconfident_logits_to_the_observed_frequencies() {
        // The model always says "up" with logits (−3, 0, 3) (p_up ≈ 0.95) but the
        // classes come 20 % down, 30 % flat, 50 % up.
        let mut c = VectorScaling::new(1_000);
        for i in 0..1_000 {
            let class = match i % 10 {
                0 | 1 => 0,
                2..=4 => 1,
                _ => 2,
            };
            c.push([-3.0, 0.0, 3.0], class);
        }
        let p = c.calibrate(&[-3.0, 0.0, 3.0]);
        for (got, want) in p.iter().zip([0.2, 0.3, 0.5]) {
            assert!((got - want).abs() < 0.02, "{p:?}");
        }
    }

    #[test]
    fn uses_the_model_probabilities_until_the_window_has_enough_pairs() {
        let mut c = VectorScaling::new(500);
        for _ in 0..MIN_PAIRS - 1 {
            c.push([1.0, 0.0, 0.0], 2);
        }
        assert_eq!(c.calibrate(&[1.0, 0.0, 0.0]), softmax(&[1.0, 0.0, 0.0]));
    }
}
