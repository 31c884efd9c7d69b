//! The learning loop shared by the decider and the walk-forward evaluation: features
//! → prediction → pending sample → label `h` bars later → `partial_fit`.
//!
//! [`Core`] holds what all symbols share (the model, its calibration and the
//! scores); [`SymbolLearner`] holds one symbol's features and the samples waiting for
//! their label, in a ring of `h` slots. A sample is learned exactly when the bar `h`
//! bars after it arrives: that bar's close is its label, and nothing later is read.

use crate::calibration::Platt;
use crate::features::FeatureState;
use crate::guard::Guard;
use crate::model::Logistic;
use crate::params::LearnerConfig;
use crate::scores::{Scores, Summary};
use serde::{Deserialize, Serialize};
use tradelab_core::{Bar, Timestamp};

/// Labels per segment of the over-time scores.
pub const SEGMENT: u64 = 250;

/// A prediction: the model's raw log-odds and the calibrated probability of up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The model's log-odds, before calibration.
    pub logit: f64,
    /// Calibrated probability that the close `h` bars later is above this close.
    pub probability: f64,
}

/// The scores of one segment of labels (over time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Time of the bar whose close gave the segment's last label.
    pub until: Timestamp,
    /// The segment's figures.
    #[serde(flatten)]
    pub summary: Summary,
}

/// The model, its calibration and its scores, shared by all symbols.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Core {
    model: Logistic,
    platt: Platt,
    scores: Scores,
    segment: Scores,
    over_time: Vec<Segment>,
    last_label: Option<Timestamp>,
    guard: Guard,
}

impl Core {
    /// A fresh model of `features` inputs configured by `cfg`.
    pub fn new(cfg: &LearnerConfig) -> Self {
        Core {
            model: Logistic::new(cfg.features.len(), cfg.learning_rate, cfg.l2),
            platt: Platt::new(cfg.calibration_window),
            scores: Scores::default(),
            segment: Scores::default(),
            over_time: Vec::new(),
            last_label: None,
            guard: Guard::new(cfg.guard),
        }
    }

    /// The model.
    pub fn model(&self) -> &Logistic {
        &self.model
    }

    /// The calibration.
    pub fn platt(&self) -> &Platt {
        &self.platt
    }

    /// The guardrail.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The guardrail, to take its changes.
    pub fn guard_mut(&mut self) -> &mut Guard {
        &mut self.guard
    }

    /// Scores of every labelled prediction so far.
    pub fn scores(&self) -> &Scores {
        &self.scores
    }

    /// Scores per segment of [`SEGMENT`] labels, oldest first (the last, partial
    /// segment included when it has labels).
    pub fn over_time(&self) -> Vec<Segment> {
        let mut all = self.over_time.clone();
        if let (Some(until), true) = (self.last_label, self.segment.count() > 0) {
            all.push(Segment {
                until,
                summary: self.segment.summary(),
            });
        }
        all
    }

    /// What the model says about features `x`.
    #[inline]
    pub fn predict(&self, x: &[f64]) -> Prediction {
        let logit = self.model.logit(x);
        Prediction {
            logit,
            probability: self.platt.calibrate(logit),
        }
    }

    /// Learns sample `x` whose label `up` became known at `at`; `then` is what was
    /// predicted for it when it was seen (scored, and fed to the calibration).
    #[inline]
    pub fn learn(&mut self, x: &[f64], up: bool, then: Prediction, at: Timestamp) {
        self.scores.add(then.probability, up);
        self.segment.add(then.probability, up);
        self.last_label = Some(at);
        self.guard.add(then.probability, up);
        if self.segment.count() >= SEGMENT {
            self.close_segment(at);
        }
        self.platt.push(then.logit, up as u8 as f64);
        self.model.partial_fit(x, up as u8 as f64);
    }

    /// Scores only: `up` was the label of a prediction made with a frozen model (the
    /// test fold of a walk-forward evaluation).
    pub fn score(&mut self, then: Prediction, up: bool) {
        self.scores.add(then.probability, up);
    }

    fn close_segment(&mut self, at: Timestamp) {
        let summary = std::mem::take(&mut self.segment).summary();
        self.over_time.push(Segment { until: at, summary });
    }
}

/// A sample waiting for its label.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Pending {
    close: f64,
    then: Prediction,
}

/// One symbol's features and pending samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolLearner {
    features: FeatureState,
    width: usize,
    /// Bars taken.
    bars: usize,
    /// `h` slots of features, flat (`slot * width ..`).
    xs: Vec<f64>,
    pending: Vec<Option<Pending>>,
}

impl SymbolLearner {
    /// An empty learner for one symbol.
    pub fn new(cfg: &LearnerConfig) -> Self {
        let width = cfg.features.len();
        SymbolLearner {
            features: FeatureState::new(&cfg.features),
            width,
            bars: 0,
            xs: vec![0.0; width * cfg.horizon],
            pending: vec![None; cfg.horizon],
        }
    }

    /// Bars taken so far.
    pub fn bars(&self) -> usize {
        self.bars
    }

    /// Takes the next bar: learns the sample of `h` bars ago (its label is this close),
    /// then computes this bar's features into `x` and predicts. `None` while the
    /// features warm up.
    #[inline]
    pub fn step(&mut self, bar: &Bar, core: &mut Core, x: &mut [f64]) -> Option<Prediction> {
        let slot = self.bars % self.pending.len();
        let cell = slot * self.width..(slot + 1) * self.width;
        if let Some(p) = self.pending[slot].take() {
            core.learn(
                &self.xs[cell.clone()],
                bar.close() > p.close,
                p.then,
                bar.ts(),
            );
        }
        self.bars += 1;
        if !self.features.push(bar, x) {
            return None;
        }
        let then = core.predict(x);
        self.xs[cell].copy_from_slice(x);
        self.pending[slot] = Some(Pending {
            close: bar.close(),
            then,
        });
        Some(then)
    }
}
