//! Walk-forward evaluation of the learner on one symbol's bars (`tradelab learn
//! evaluate`): anchored, so each fold's model has learned every label known before
//! the fold starts, then predicts the fold without learning from it.
//!
//! The samples (bars with features whose label lies inside the series) are cut into
//! `folds + 1` equal chunks. The first is training only: the model learns it online,
//! each sample once its label is known. Then for each fold `k`: the model is frozen,
//! predicts every sample of chunk `k` (scored against its label) and trades on it;
//! afterwards it learns those samples, each once its label bar lies before the next
//! fold (a label that reaches into the next fold waits, so no fold is tested on a
//! model that saw its closes).
//!
//! Trading, per fold: long over the next bar (close to close) whenever the
//! probability is above `threshold`, flat otherwise; compared with holding the symbol
//! over the same bars. Probabilities are compared with the base rate: always
//! predicting the share of up labels seen in training.
//!
//! A three-class learner is scored on its three probabilities (Brier summed over the
//! classes, log loss of the class that happened, accuracy of the most likely class,
//! reliability and ECE of the up class) against always predicting the class shares
//! seen in training, and its accuracy against the majority class of training; it is
//! long when `P(up) > threshold` and `P(up) > P(down)`.

use crate::features::FeatureState;
use crate::label::{CLASSES, LabelKind, Outcome};
use crate::learner::{Core, Prediction};
use crate::params::LearnerConfig;
use crate::scores::{ReliabilityBin, Scores};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use tradelab_core::BarSeries;

/// Samples each chunk needs at least.
pub const MIN_CHUNK: usize = 50;

/// Why an evaluation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    /// Zero folds asked for.
    #[error("--folds must be at least 1")]
    NoFolds,
    /// Too few bars for the folds asked for.
    #[error(
        "{symbol}: {samples} samples (bars with features and a label {horizon} bars later, \
         of {bars} bars) are too few for {folds} folds; give at least {needed} samples \
         ({MIN_CHUNK} per fold and for the first training window) or fewer folds"
    )]
    TooFewSamples {
        /// The series' symbol.
        symbol: String,
        /// Bars in the series.
        bars: usize,
        /// Usable samples.
        samples: usize,
        /// The horizon.
        horizon: usize,
        /// Folds asked for.
        folds: usize,
        /// Samples needed.
        needed: usize,
    },
}

/// Figures of a set of test predictions, against the base rate and buy-and-hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Test samples.
    pub samples: u64,
    /// Share on the right side of ½.
    pub accuracy: f64,
    /// Brier score of the calibrated probabilities.
    pub brier: f64,
    /// Log loss.
    pub log_loss: f64,
    /// Expected calibration error (10 bins).
    pub ece: f64,
    /// Share of up labels in training (the base rate predicted).
    pub base_rate: f64,
    /// Brier score of predicting the base rate on the test samples.
    pub base_brier: f64,
    /// Accuracy of always predicting the majority class of training.
    pub base_accuracy: f64,
    /// Return of the strategy (long when the probability passes the threshold).
    pub strategy_return: f64,
    /// Return of holding the symbol over the same bars.
    pub buy_and_hold_return: f64,
    /// Share of test bars the strategy was long.
    pub exposure: f64,
    /// Three-class labels only: shares of the classes among the test labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<crate::scores::ClassShares>,
    /// Three-class labels only: of the test moves outside the dead band, the share
    /// whose side the more likely of up and down called (a coin: ½). The flat class
    /// can be told from a move a little even in noise (the band is set by the
    /// volatility the features see); a trading edge needs the direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction_accuracy: Option<f64>,
    /// Three-class labels only: the test moves outside the dead band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moves: Option<u64>,
}

/// One fold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    /// 1-based fold number.
    pub fold: usize,
    /// Time of the fold's first test bar (a date for daily bars, else RFC 3339).
    pub from: String,
    /// Time of its last test bar.
    pub to: String,
    /// Labels the model had learned when the fold started.
    pub trained_on: u64,
    /// The fold's figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The evaluation: overall figures at the top, the folds in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The evaluated symbol.
    pub symbol: String,
    /// Bars in the series.
    pub bars: usize,
    /// Horizon of the label.
    pub horizon: usize,
    /// Three-class evaluations only: `three_class` (a binary one has no `label`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Figures over every fold's test samples.
    #[serde(flatten)]
    pub overall: Figures,
    /// Reliability table over every fold's test samples.
    pub reliability: Vec<ReliabilityBin>,
    /// The folds, in time order.
    pub folds: Vec<Fold>,
}

/// Running sums of a fold (or of all of them).
#[derive(Default)]
struct Tally {
    scores: Scores,
    base_sq: f64,
    base_right: u64,
    base_rate_sum: f64,
    growth: f64,
    hold_growth: f64,
    long: u64,
    /// Three classes: moves outside the band, and those whose side was called.
    moves: u64,
    called: u64,
}

impl Tally {
    fn new() -> Self {
        Tally {
            growth: 1.0,
            hold_growth: 1.0,
            ..Tally::default()
        }
    }

    fn figures(&self) -> Figures {
        let s = self.scores.summary();
        let n = s.samples.max(1) as f64;
        Figures {
            samples: s.samples,
            accuracy: s.accuracy,
            brier: s.brier,
            log_loss: s.log_loss,
            ece: s.ece,
            base_rate: self.base_rate_sum / n,
            base_brier: self.base_sq / n,
            base_accuracy: self.base_right as f64 / n,
            strategy_return: self.growth - 1.0,
            buy_and_hold_return: self.hold_growth - 1.0,
            exposure: self.long as f64 / n,
            direction_accuracy: s
                .classes
                .as_ref()
                .map(|_| self.called as f64 / self.moves.max(1) as f64),
            moves: s.classes.as_ref().map(|_| self.moves),
            classes: s.classes,
        }
    }
}

/// Walk-forward evaluation of a learner configured by `cfg` on `series`.
pub fn evaluate(
    series: &BarSeries,
    cfg: &LearnerConfig,
    folds: usize,
) -> Result<Evaluation, EvaluateError> {
    if folds == 0 {
        return Err(EvaluateError::NoFolds);
    }
    let bars = series.bars();
    let (h, width) = (cfg.horizon, cfg.features.len());
    let mut fs = FeatureState::new(&cfg.features);
    let mut xs = vec![0.0; bars.len() * width];
    let mut samples = Vec::new();
    let three = cfg.label == LabelKind::ThreeClass;
    let band_sigmas = cfg.dead_band * (h as f64).sqrt();
    let mut bands = vec![0.0; if three { bars.len() } else { 0 }];
    for (t, bar) in bars.iter().enumerate() {
        if fs.push(bar, &mut xs[t * width..(t + 1) * width]) && t + h < bars.len() {
            samples.push(t);
        }
        if three {
            bands[t] = band_sigmas * fs.realised_vol();
        }
    }
    let needed = (folds + 1) * MIN_CHUNK;
    if samples.len() < needed {
        return Err(EvaluateError::TooFewSamples {
            symbol: series.symbol().to_string(),
            bars: bars.len(),
            samples: samples.len(),
            horizon: h,
            folds,
            needed,
        });
    }
    let x = |t: usize| &xs[t * width..(t + 1) * width];
    let label = |t: usize| {
        if three {
            Outcome::of_move(bars[t].close(), bars[t + h].close(), bands[t])
        } else if bars[t + h].close() > bars[t].close() {
            Outcome::Up
        } else {
            Outcome::Down
        }
    };
    let chunk = samples.len() / (folds + 1);
    let mut core = Core::new(cfg);
    let mut queue: VecDeque<(usize, Prediction)> = VecDeque::new();
    let mut learned = [0u64; CLASSES];
    let mut learn_until = |core: &mut Core, queue: &mut VecDeque<(usize, Prediction)>, t: usize| {
        while let Some(&(s, then)) = queue.front() {
            if s + h > t {
                break;
            }
            queue.pop_front();
            let y = label(s);
            core.learn_outcome(x(s), y, then, bars[s + h].ts());
            learned[y.index()] += 1;
        }
        learned
    };
    for &t in &samples[..chunk] {
        learn_until(&mut core, &mut queue, t);
        queue.push_back((t, core.predict(x(t))));
    }
    let mut all = Tally::new();
    let mut out = Vec::with_capacity(folds);
    for k in 1..=folds {
        let end = if k == folds {
            samples.len()
        } else {
            (k + 1) * chunk
        };
        let test = &samples[k * chunk..end];
        let counts = learn_until(&mut core, &mut queue, test[0]);
        let n_learned: u64 = counts.iter().sum();
        // The base rate: the class shares of training (binary: up against the rest).
        let shares = if n_learned > 0 {
            counts.map(|c| c as f64 / n_learned as f64)
        } else if three {
            [1.0 / 3.0; CLASSES]
        } else {
            [0.5, 0.0, 0.5]
        };
        let base = shares[2];
        let majority = if three {
            (0..CLASSES).fold(0, |b, k| if shares[k] > shares[b] { k } else { b })
        } else {
            0
        };
        let mut tally = Tally::new();
        for &t in test {
            let then = core.predict(x(t));
            let outcome = label(t);
            let y = outcome == Outcome::Up;
            let r = bars[t + 1].close() / bars[t].close() - 1.0;
            let long = then.probability > cfg.threshold && then.probability > then.down();
            for tl in [&mut tally, &mut all] {
                tl.scores.score_outcome_of(then, outcome);
                if three {
                    let k = outcome.index();
                    if outcome != Outcome::Flat {
                        tl.moves += 1;
                        let says_up = then.probability > then.down();
                        tl.called += (says_up == (outcome == Outcome::Up)) as u64;
                    }
                    tl.base_sq += (0..CLASSES)
                        .map(|c| (shares[c] - (c == k) as u8 as f64).powi(2))
                        .sum::<f64>();
                    tl.base_right += (majority == k) as u64;
                } else {
                    tl.base_sq += (base - y as u8 as f64).powi(2);
                    tl.base_right += ((base > 0.5) == y) as u64;
                }
                tl.base_rate_sum += base;
                tl.hold_growth *= 1.0 + r;
                if long {
                    tl.growth *= 1.0 + r;
                    tl.long += 1;
                }
            }
            queue.push_back((t, then));
        }
        out.push(Fold {
            fold: k,
            from: bars[test[0]].ts().display_auto(),
            to: bars[test[test.len() - 1]].ts().display_auto(),
            trained_on: n_learned,
            figures: tally.figures(),
        });
    }
    Ok(Evaluation {
        symbol: series.symbol().to_string(),
        bars: bars.len(),
        horizon: h,
        label: three.then(|| cfg.label.name().to_string()),
        overall: all.figures(),
        reliability: all.scores.reliability(),
        folds: out,
    })
}
