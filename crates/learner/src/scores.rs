//! How good the probabilities were: Brier score, log loss, accuracy, expected
//! calibration error and a 10-bin reliability table, for a whole run and per segment
//! of it (over time).
//!
//! Three-class predictions (down / flat / up) are scored the standard multi-class way:
//! Brier is the squared error summed over the three classes (0 perfect, 2 worst, 2/3
//! for a uniform third each), log loss is `−ln p` of the class that happened, accuracy
//! counts the most likely class. The reliability table and ECE are for the **up**
//! class (its predicted probability against how often up happened), the one the
//! learner trades on: one table that reads like the binary one, rather than three.

use crate::label::CLASSES;
use serde::{Deserialize, Serialize};

/// Bins of the reliability table (predicted probability in tenths).
pub const BINS: usize = 10;
/// Probabilities are clipped to `[EPS, 1 - EPS]` in the log loss.
const EPS: f64 = 1e-6;

/// Running sums over `(probability, label)` pairs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    n: u64,
    positives: u64,
    correct: u64,
    brier: f64,
    log_loss: f64,
    bin_n: [u64; BINS],
    bin_p: [f64; BINS],
    bin_y: [f64; BINS],
    /// Labels per class (down, flat, up), for three-class predictions only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classes: Option<[u64; CLASSES]>,
}

/// Shares of the three classes among the labels, and the accuracy of always
/// predicting the most frequent one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassShares {
    /// Share of down labels.
    pub down: f64,
    /// Share of flat labels.
    pub flat: f64,
    /// Share of up labels.
    pub up: f64,
    /// Accuracy of always predicting the majority class: the bar accuracy must beat.
    pub majority_accuracy: f64,
}

/// One row of the reliability table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin's predicted probability.
    pub from: f64,
    /// Upper edge.
    pub to: f64,
    /// Predictions in the bin.
    pub count: u64,
    /// Mean predicted probability in the bin (`null` when empty).
    pub predicted: Option<f64>,
    /// Observed frequency of the positive label in the bin (`null` when empty).
    pub observed: Option<f64>,
}

/// The figures of a set of predictions, as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Labelled predictions scored.
    pub samples: u64,
    /// Share of predictions on the right side of ½.
    pub accuracy: f64,
    /// Mean squared error of the probability (0 perfect, 0.25 a coin).
    pub brier: f64,
    /// Mean negative log-likelihood (ln 2 ≈ 0.693 a coin).
    pub log_loss: f64,
    /// Expected calibration error over the 10 bins.
    pub ece: f64,
    /// Share of positive labels.
    pub base_rate: f64,
    /// Brier score of always predicting the base rate (`r(1-r)`): the bar to beat.
    /// Three classes: of always predicting the class shares (`1 − Σ r_k²`).
    pub base_brier: f64,
    /// Three-class labels only: the class shares and the majority-class accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ClassShares>,
}

impl Scores {
    /// Scores one prediction `p` of a label `y` (true: positive).
    #[inline]
    pub fn add(&mut self, p: f64, y: bool) {
        let yf = y as u8 as f64;
        self.n += 1;
        self.positives += y as u64;
        self.correct += ((p > 0.5) == y) as u64;
        self.brier += (p - yf) * (p - yf);
        let pc = p.clamp(EPS, 1.0 - EPS);
        self.log_loss -= if y { pc.ln() } else { (1.0 - pc).ln() };
        let b = ((p * BINS as f64) as usize).min(BINS - 1);
        self.bin_n[b] += 1;
        self.bin_p[b] += p;
        self.bin_y[b] += yf;
    }

    /// Scores one three-class prediction `p` (down, flat, up) of the class `y`
    /// (index: down 0, flat 1, up 2).
    #[inline]
    pub fn add_classes(&mut self, p: &[f64; CLASSES], y: usize) {
        let counts = self.classes.get_or_insert([0; CLASSES]);
        counts[y] += 1;
        self.n += 1;
        self.positives += (y == 2) as u64;
        let best = if p[2] >= p[1] && p[2] >= p[0] {
            2
        } else if p[1] >= p[0] {
            1
        } else {
            0
        };
        self.correct += (best == y) as u64;
        for (k, pk) in p.iter().enumerate() {
            let d = pk - (k == y) as u8 as f64;
            self.brier += d * d;
        }
        self.log_loss -= p[y].clamp(EPS, 1.0 - EPS).ln();
        let up = p[2];
        let b = ((up * BINS as f64) as usize).min(BINS - 1);
        self.bin_n[b] += 1;
        self.bin_p[b] += up;
        self.bin_y[b] += (y == 2) as u8 as f64;
    }

    /// Scores a prediction of either kind against its label.
    #[inline]
    pub fn score_outcome_of(&mut self, then: crate::learner::Prediction, y: crate::label::Outcome) {
        match then.classes {
            Some(c) => self.add_classes(&c.probabilities, y.index()),
            None => self.add(then.probability, y == crate::label::Outcome::Up),
        }
    }

    /// Adds every pair of `other`.
    pub fn merge(&mut self, other: &Scores) {
        self.n += other.n;
        self.positives += other.positives;
        self.correct += other.correct;
        self.brier += other.brier;
        self.log_loss += other.log_loss;
        for b in 0..BINS {
            self.bin_n[b] += other.bin_n[b];
            self.bin_p[b] += other.bin_p[b];
            self.bin_y[b] += other.bin_y[b];
        }
        if let Some(theirs) = other.classes {
            let mine = self.classes.get_or_insert([0; CLASSES]);
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }

    /// Predictions scored.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The figures (zeros when nothing was scored).
    pub fn summary(&self) -> Summary {
        let n = self.n.max(1) as f64;
        let rate = self.positives as f64 / n;
        let classes = self.classes.map(|c| {
            let r = c.map(|k| k as f64 / n);
            ClassShares {
                down: r[0],
                flat: r[1],
                up: r[2],
                majority_accuracy: r[0].max(r[1]).max(r[2]),
            }
        });
        let base_brier = match &classes {
            Some(c) => 1.0 - c.down * c.down - c.flat * c.flat - c.up * c.up,
            None => rate * (1.0 - rate),
        };
        Summary {
            samples: self.n,
            accuracy: self.correct as f64 / n,
            brier: self.brier / n,
            log_loss: self.log_loss / n,
            ece: self.ece(),
            base_rate: rate,
            base_brier,
            classes,
        }
    }

    /// `Σ n_b/N · |mean predicted_b − observed_b|`.
    pub fn ece(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        (0..BINS)
            .filter(|&b| self.bin_n[b] > 0)
            .map(|b| (self.bin_p[b] - self.bin_y[b]).abs())
            .sum::<f64>()
            / self.n as f64
    }

    /// The reliability table, one row per tenth of probability.
    pub fn reliability(&self) -> Vec<ReliabilityBin> {
        (0..BINS)
            .map(|b| {
                let n = self.bin_n[b];
                let mean = |s: f64| (n > 0).then(|| s / n as f64);
                ReliabilityBin {
                    from: b as f64 / BINS as f64,
                    to: (b + 1) as f64 / BINS as f64,
                    count: n,
                    predicted: mean(self.bin_p[b]),
                    observed: mean(self.bin_y[b]),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coin_scores_brier_a_quarter_and_log_loss_ln_2() {
        let mut s = Scores::default();
        for i in 0..100 {
            s.add(0.5, i % 2 == 0);
        }
        let m = s.summary();
        assert!((m.brier - 0.25).abs() < 1e-12);
        assert!((m.log_loss - 2f64.ln()).abs() < 1e-12);
        assert_eq!(m.ece, 0.0);
        assert_eq!(m.base_rate, 0.5);
    }

    #[test]
    fn ece_is_the_gap_between_predicted_and_observed_per_bin() {
        // Says 0.9, right 60 % of the time: ECE 0.3, all in the top bin.
        let mut s = Scores::default();
        for i in 0..10 {
            s.add(0.9, i < 6);
        }
        assert!((s.ece() - 0.3).abs() < 1e-12);
        let table = s.reliability();
        assert_eq!(table[9].count, 10);
        assert!((table[9].observed.unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(table[0].predicted, None);
        assert!((s.summary().accuracy - 0.6).abs() < 1e-12);
    }

    #[test]
    fn three_class_brier_sums_over_classes_and_the_base_is_the_class_shares() {
        let mut s = Scores::default();
        // A uniform third each: Brier 2/3 whatever happens, log loss ln 3.
        for y in [0, 1, 2, 2] {
            s.add_classes(&[1.0 / 3.0; 3], y);
        }
        let m = s.summary();
        assert!((m.brier - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.log_loss - 3f64.ln()).abs() < 1e-12);
        let c = m.classes.expect("three-class shares");
        assert_eq!((c.down, c.flat, c.up), (0.25, 0.25, 0.5));
        assert_eq!(c.majority_accuracy, 0.5);
        assert!((m.base_brier - (1.0 - 0.0625 - 0.0625 - 0.25)).abs() < 1e-12);
        // Reliability is for the up class: predicted 1/3, observed 1/2.
        assert!((s.ece() - (0.5 - 1.0 / 3.0)).abs() < 1e-12);
    }
}
