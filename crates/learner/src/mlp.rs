//! A small multilayer perceptron: one hidden layer of `tanh` units, trained by SGD one
//! sample at a time with L2, for patterns a linear model cannot draw (the sign of a
//! product of two features, a threshold that depends on volatility).
//!
//! One output (the log-odds of up, calibrated by Platt scaling) for the binary label,
//! three (down, flat, up; softmax, calibrated by vector scaling) for the three-class
//! one. The hidden weights and biases start from a seeded generator (weights normal
//! scaled by `1/√inputs`, biases standard normal: with zero biases a `tanh` network is
//! an odd function of its inputs and SGD keeps it near one, so it could not learn an
//! even pattern such as the sign of a product), the output weights at zero (so the
//! first prediction is the same neutral one as the linear models'); the same seed
//! gives the same run bit for bit.
//!
//! Written by hand: the Rust neural-network crates (burn, candle, tch) are built for
//! batches on tensors and bring large dependency trees; a learner that takes one
//! sample at a time needs a few hundred multiply-adds a bar without allocation, and
//! a state that serialises into a snapshot. The hidden layer is at most
//! [`MAX_HIDDEN`] units so a forward pass lives on the stack.

use crate::label::{CLASSES, Outcome};
use crate::model::{DECAY, sigmoid};
use crate::softmax::softmax;
use crate::synth::Rng;
use serde::{Deserialize, Serialize};

/// Most hidden units.
pub const MAX_HIDDEN: usize = 64;

/// Weights, biases and the count of samples learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    inputs: usize,
    hidden: usize,
    outputs: usize,
    /// `hidden × inputs`, unit by unit.
    hidden_weights: Vec<f64>,
    hidden_bias: Vec<f64>,
    /// `outputs × hidden`, output by output.
    output_weights: Vec<f64>,
    output_bias: Vec<f64>,
    learned: u64,
    learning_rate: f64,
    l2: f64,
}

impl Mlp {
    /// A network of `inputs` features, `hidden` units (1 to [`MAX_HIDDEN`]) and one
    /// output (binary) or three (`three_class`), initialised from `seed`.
    pub fn new(
        inputs: usize,
        hidden: usize,
        three_class: bool,
        learning_rate: f64,
        l2: f64,
        seed: u64,
    ) -> Self {
        let hidden = hidden.clamp(1, MAX_HIDDEN);
        let outputs = if three_class { CLASSES } else { 1 };
        let mut rng = Rng::new(seed);
        let scale = 1.0 / (inputs.max(1) as f64).sqrt();
        let hidden_weights = (0..hidden * inputs).map(|_| rng.normal() * scale).collect();
        Mlp {
            inputs,
            hidden,
            outputs,
            hidden_weights,
            hidden_bias: (0..hidden).map(|_| rng.normal()).collect(),
            output_weights: vec![0.0; outputs * hidden],
            output_bias: vec![0.0; outputs],
            learned: 0,
            learning_rate,
            l2,
        }
    }

    /// Samples learned.
    pub fn learned(&self) -> u64 {
        self.learned
    }

    /// Hidden units.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Whether it has three outputs (down, flat, up).
    pub fn three_class(&self) -> bool {
        self.outputs == CLASSES
    }

    /// The hidden layer's input weights, unit by unit.
    pub fn weights(&self) -> &[f64] {
        &self.hidden_weights
    }

    /// The hidden activations into `h` and the outputs (only the first is used with
    /// one output).
    #[inline]
    fn forward(&self, x: &[f64], h: &mut [f64; MAX_HIDDEN]) -> [f64; CLASSES] {
        let n = self.inputs;
        for (j, hj) in h.iter_mut().enumerate().take(self.hidden) {
            let mut a = self.hidden_bias[j];
            for (w, v) in self.hidden_weights[j * n..(j + 1) * n].iter().zip(x) {
                a += w * v;
            }
            *hj = a.tanh();
        }
        let mut z = [0.0; CLASSES];
        for (k, zk) in z.iter_mut().enumerate().take(self.outputs) {
            let mut s = self.output_bias[k];
            let row = &self.output_weights[k * self.hidden..(k + 1) * self.hidden];
            for (v, hj) in row.iter().zip(&h[..self.hidden]) {
                s += v * hj;
            }
            *zk = s;
        }
        z
    }

    /// The outputs for `x`: the log-odds of up in the first place (one output), or the
    /// three logits (down, flat, up).
    #[inline]
    pub fn outputs(&self, x: &[f64]) -> [f64; CLASSES] {
        let mut h = [0.0; MAX_HIDDEN];
        self.forward(x, &mut h)
    }

    /// One SGD step (backpropagation) on the log loss of sample `(x, y)` plus
    /// `l2/2 · |weights|²` (biases not regularised); the rate decays as in the linear
    /// models.
    // Indices run over several arrays at once (weights, activations, gradients); they
    // read as the formulas do.
    #[allow(clippy::needless_range_loop)]
    pub fn partial_fit(&mut self, x: &[f64], y: Outcome) {
        let rate = self.learning_rate / (1.0 + self.learned as f64 / DECAY).sqrt();
        let mut h = [0.0; MAX_HIDDEN];
        let z = self.forward(x, &mut h);
        let mut dz = [0.0; CLASSES];
        if self.outputs == 1 {
            dz[0] = sigmoid(z[0]) - (y == Outcome::Up) as u8 as f64;
        } else {
            let p = softmax(&z);
            for k in 0..CLASSES {
                dz[k] = p[k] - (y.index() == k) as u8 as f64;
            }
        }
        let (n, m) = (self.inputs, self.hidden);
        // Gradient at the hidden pre-activations, with the output weights before the
        // step.
        let mut da = [0.0; MAX_HIDDEN];
        for j in 0..m {
            let back: f64 = (0..self.outputs)
                .map(|k| dz[k] * self.output_weights[k * m + j])
                .sum();
            da[j] = back * (1.0 - h[j] * h[j]);
        }
        for k in 0..self.outputs {
            for j in 0..m {
                let v = &mut self.output_weights[k * m + j];
                *v -= rate * (dz[k] * h[j] + self.l2 * *v);
            }
            self.output_bias[k] -= rate * dz[k];
        }
        for j in 0..m {
            for (w, v) in self.hidden_weights[j * n..(j + 1) * n].iter_mut().zip(x) {
                *w -= rate * (da[j] * v + self.l2 * *w);
            }
            self.hidden_bias[j] -= rate * da[j];
        }
        self.learned += 1;
    }

    /// How the score of up (its log-odds, or with three outputs the log-odds of up
    /// against down) moves with each feature at `x`: the gradient, into `out`.
    #[allow(clippy::needless_range_loop)]
    pub fn sensitivity(&self, x: &[f64], out: &mut [f64]) {
        let mut h = [0.0; MAX_HIDDEN];
        self.forward(x, &mut h);
        let m = self.hidden;
        let n = self.inputs;
        out.iter_mut().for_each(|o| *o = 0.0);
        for j in 0..m {
            let g = if self.outputs == 1 {
                self.output_weights[j]
            } else {
                self.output_weights[2 * m + j] - self.output_weights[j]
            };
            let d = g * (1.0 - h[j] * h[j]);
            for (o, w) in out.iter_mut().zip(&self.hidden_weights[j * n..(j + 1) * n]) {
                *o += d * w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sensitivity_is_the_gradient_of_the_output() {
        let mut m = Mlp::new(3, 4, false, 0.1, 0.0, 7);
        for i in 0..200 {
            let x = [(i % 3) as f64 - 1.0, 0.5, -0.2];
            m.partial_fit(
                &x,
                if i % 2 == 0 {
                    Outcome::Up
                } else {
                    Outcome::Down
                },
            );
        }
        let x = [0.3, -0.4, 0.8];
        let mut g = [0.0; 3];
        m.sensitivity(&x, &mut g);
        for i in 0..3 {
            let (mut lo, mut hi) = (x, x);
            lo[i] -= 1e-6;
            hi[i] += 1e-6;
            let numeric = (m.outputs(&hi)[0] - m.outputs(&lo)[0]) / 2e-6;
            assert!((numeric - g[i]).abs() < 1e-6, "{i}: {numeric} vs {}", g[i]);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_network_and_another_seed_another() {
        let a = Mlp::new(16, 8, true, 0.01, 0.0, 1);
        assert_eq!(a, Mlp::new(16, 8, true, 0.01, 0.0, 1));
        assert_ne!(a, Mlp::new(16, 8, true, 0.01, 0.0, 2));
        assert_eq!(a.outputs(&[0.5; 16]), [0.0; 3], "outputs start neutral");
    }
}
