//! Online logistic regression, trained by stochastic gradient descent one sample at a
//! time ([`Logistic::partial_fit`]) with L2 regularisation.
//!
//! Written by hand: the Rust crates that offer logistic regression (linfa-logistic,
//! smartcore) fit a whole data set at once; none keeps an allocation-free model that
//! takes one sample at a time with a chosen learning-rate schedule and L2 strength,
//! serialises its state, and stays in the tens of nanoseconds a sample this learner
//! needs (≥ 1M bars/s). The model is a dot product and a gradient step, so the
//! dependency would cost more than the code.

use crate::label::Outcome;
use crate::mlp::Mlp;
use crate::softmax::Softmax;
use serde::{Deserialize, Serialize};

/// The logistic function, `1 / (1 + e^-z)`.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Weights, bias and the count of samples learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    weights: Vec<f64>,
    bias: f64,
    learned: u64,
    learning_rate: f64,
    l2: f64,
}

/// Samples after which the learning rate has fallen to `1/√2` of its start: it decays
/// as `rate / √(1 + t / DECAY)` so early samples move the weights fast and later ones
/// refine them.
pub(crate) const DECAY: f64 = 2_000.0;

impl Logistic {
    /// A model of `features` inputs, all weights zero (probability ½ everywhere).
    pub fn new(features: usize, learning_rate: f64, l2: f64) -> Self {
        Logistic {
            weights: vec![0.0; features],
            bias: 0.0,
            learned: 0,
            learning_rate,
            l2,
        }
    }

    /// The weights, in feature order.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The bias (intercept).
    pub fn bias(&self) -> f64 {
        self.bias
    }

    /// Samples learned.
    pub fn learned(&self) -> u64 {
        self.learned
    }

    /// The log-odds of the positive class for features `x`.
    #[inline]
    pub fn logit(&self, x: &[f64]) -> f64 {
        let mut z = self.bias;
        for (w, v) in self.weights.iter().zip(x) {
            z += w * v;
        }
        z
    }

    /// The probability of the positive class for features `x`.
    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.logit(x))
    }

    /// One SGD step on the log loss of sample `(x, y)` (`y` is 0 or 1) plus
    /// `l2/2 · |w|²` (the bias is not regularised).
    #[inline]
    pub fn partial_fit(&mut self, x: &[f64], y: f64) {
        let rate = self.learning_rate / (1.0 + self.learned as f64 / DECAY).sqrt();
        let g = self.predict(x) - y;
        for (w, v) in self.weights.iter_mut().zip(x) {
            *w -= rate * (g * v + self.l2 * *w);
        }
        self.bias -= rate * g;
        self.learned += 1;
    }
}

/// Which model the `model` parameter chose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Logistic regression (softmax with three classes): the default.
    #[default]
    Logistic,
    /// A one-hidden-layer perceptron ([`crate::mlp`]).
    Mlp,
}

impl ModelKind {
    /// The name in the `model` parameter.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Logistic => "logistic",
            ModelKind::Mlp => "mlp",
        }
    }

    /// The kind named `text`.
    pub fn parse(text: &str) -> Option<ModelKind> {
        [ModelKind::Logistic, ModelKind::Mlp]
            .into_iter()
            .find(|k| k.name() == text)
    }

    /// True for the default.
    pub fn is_logistic(&self) -> bool {
        *self == ModelKind::Logistic
    }
}

/// The learner's model: what the `model` and `label` parameters chose.
///
/// Serialised as the inner model alone (untagged), so a snapshot of a binary logistic
/// learner reads exactly as it did before other models existed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Model {
    /// Binary logistic regression (the default).
    Logistic(Logistic),
    /// Three-class softmax regression.
    Softmax(Softmax),
    /// A one-hidden-layer network, binary or three-class.
    Mlp(Mlp),
}

impl Model {
    /// Samples learned.
    pub fn learned(&self) -> u64 {
        match self {
            Model::Logistic(m) => m.learned(),
            Model::Softmax(m) => m.learned(),
            Model::Mlp(m) => m.learned(),
        }
    }

    /// The raw input weights: one per feature (logistic), per class and feature,
    /// class by class (softmax), or per hidden unit and feature (mlp).
    pub fn weights(&self) -> &[f64] {
        match self {
            Model::Logistic(m) => m.weights(),
            Model::Softmax(m) => m.weights(),
            Model::Mlp(m) => m.weights(),
        }
    }

    /// Whether the model predicts three classes (else one log-odds of up).
    pub fn three_class(&self) -> bool {
        match self {
            Model::Logistic(_) => false,
            Model::Softmax(_) => true,
            Model::Mlp(m) => m.three_class(),
        }
    }

    /// One SGD step on sample `x` with label `y`.
    #[inline]
    pub fn partial_fit(&mut self, x: &[f64], y: Outcome) {
        match self {
            Model::Logistic(m) => m.partial_fit(x, (y == Outcome::Up) as u8 as f64),
            Model::Softmax(m) => m.partial_fit(x, y),
            Model::Mlp(m) => m.partial_fit(x, y),
        }
    }

    /// The three logits (down, flat, up) of a three-class model; zeros for a binary
    /// one.
    #[inline]
    pub fn logits(&self, x: &[f64]) -> [f64; 3] {
        match self {
            Model::Logistic(_) => [0.0; 3],
            Model::Softmax(m) => m.logits(x),
            Model::Mlp(m) if m.three_class() => m.outputs(x),
            Model::Mlp(_) => [0.0; 3],
        }
    }

    /// The log-odds of up for a binary model (0 for a three-class one).
    #[inline]
    pub fn logit(&self, x: &[f64]) -> f64 {
        match self {
            Model::Logistic(m) => m.logit(x),
            Model::Softmax(_) => 0.0,
            Model::Mlp(m) if m.three_class() => 0.0,
            Model::Mlp(m) => m.outputs(x)[0],
        }
    }

    /// How the score of up moves with each feature at `x`, into `out`: the weights of a
    /// logistic model, `w_up − w_down` of a softmax one (neither depends on `x`), the
    /// gradient at `x` of a network.
    pub fn sensitivity(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Model::Logistic(m) => out.copy_from_slice(m.weights()),
            Model::Softmax(m) => m.sensitivity(out),
            Model::Mlp(m) => m.sensitivity(x, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_learns_the_sign_of_a_separable_feature() {
        let mut m = Logistic::new(2, 0.1, 0.0);
        for i in 0..2_000 {
            let x = if i % 2 == 0 { [1.0, 0.3] } else { [-1.0, 0.3] };
            m.partial_fit(&x, if i % 2 == 0 { 1.0 } else { 0.0 });
        }
        assert!(m.predict(&[1.0, 0.3]) > 0.9);
        assert!(m.predict(&[-1.0, 0.3]) < 0.1);
        assert_eq!(m.learned(), 2_000);
    }

    #[test]
    fn l2_shrinks_weights_towards_zero() {
        let fit = |l2| {
            let mut m = Logistic::new(1, 0.1, l2);
            for i in 0..2_000 {
                let x = [if i % 2 == 0 { 1.0 } else { -1.0 }];
                m.partial_fit(&x, (i % 2 == 0) as u8 as f64);
            }
            m.weights()[0]
        };
        assert!(fit(0.1) < fit(0.0) * 0.5);
    }
}
