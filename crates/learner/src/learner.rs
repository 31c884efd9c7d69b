//! The learning loop shared by the decider and the walk-forward evaluation: features
//! → prediction → pending sample → label `h` bars later → `partial_fit`.
//!
//! [`Core`] holds what all symbols share (the model, its calibration and the
//! scores); [`SymbolLearner`] holds one symbol's features and the samples waiting for
//! their label, in a ring of `h` slots. A sample is learned exactly when the bar `h`
//! bars after it arrives: that bar's close is its label, and nothing later is read.
//!
//! A three-class learner ([`crate::label`]) keeps, with each pending sample, the dead
//! band computed from the volatility known when the sample was seen; its predictions
//! carry the three calibrated probabilities ([`ClassPrediction`]).

use crate::calibration::Platt;
use crate::features::FeatureState;
use crate::guard::Guard;
use crate::label::{CLASSES, LabelKind, Outcome};
use crate::mlp::Mlp;
use crate::model::{Logistic, Model, ModelKind};
use crate::params::LearnerConfig;
use crate::scores::{Scores, Summary};
use crate::softmax::Softmax;
use crate::vector_scaling::VectorScaling;
use serde::{Deserialize, Serialize};
use tradelab_core::{Bar, Timestamp};

/// Labels per segment of the over-time scores.
pub const SEGMENT: u64 = 250;

/// A prediction: the model's raw log-odds and the calibrated probability of up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The model's log-odds, before calibration (three classes: of up against down).
    pub logit: f64,
    /// Calibrated probability that the close `h` bars later is above this close
    /// (three classes: above the dead band).
    pub probability: f64,
    /// Three-class learners: the raw logits and calibrated probabilities per class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ClassPrediction>,
}

/// A three-class prediction, in the order down, flat, up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassPrediction {
    /// The model's logits, before calibration.
    pub logits: [f64; CLASSES],
    /// Calibrated probabilities (they sum to 1).
    pub probabilities: [f64; CLASSES],
}

impl Prediction {
    /// Calibrated probability of down (binary: of not up).
    #[inline]
    pub fn down(&self) -> f64 {
        match &self.classes {
            Some(c) => c.probabilities[0],
            None => 1.0 - self.probability,
        }
    }
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
    model: Model,
    platt: Platt,
    /// Three-class learners: the calibration of the three probabilities (`platt`
    /// then stays unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vector: Option<VectorScaling>,
    scores: Scores,
    segment: Scores,
    over_time: Vec<Segment>,
    last_label: Option<Timestamp>,
    guard: Guard,
}

impl Core {
    /// A fresh model of `features` inputs configured by `cfg`.
    pub fn new(cfg: &LearnerConfig) -> Self {
        let n = cfg.features.len();
        let three = cfg.label == LabelKind::ThreeClass;
        let (rate, l2) = (cfg.learning_rate, cfg.l2);
        let model = match (cfg.model, three) {
            (ModelKind::Mlp, _) => Model::Mlp(Mlp::new(n, cfg.hidden, three, rate, l2, cfg.seed)),
            (ModelKind::Logistic, true) => Model::Softmax(Softmax::new(n, rate, l2)),
            (ModelKind::Logistic, false) => Model::Logistic(Logistic::new(n, rate, l2)),
        };
        Core {
            model,
            platt: Platt::new(cfg.calibration_window),
            vector: three.then(|| VectorScaling::new(cfg.calibration_window)),
            scores: Scores::default(),
            segment: Scores::default(),
            over_time: Vec::new(),
            last_label: None,
            guard: Guard::new(cfg.guard),
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The calibration of a binary learner.
    pub fn platt(&self) -> &Platt {
        &self.platt
    }

    /// The calibration of a three-class learner (`None` for a binary one).
    pub fn vector_scaling(&self) -> Option<&VectorScaling> {
        self.vector.as_ref()
    }

    /// How the score of up (log-odds of up, or of up against down) moves with each
    /// feature at `x`, into `out`.
    pub fn sensitivity(&self, x: &[f64], out: &mut [f64]) {
        self.model.sensitivity(x, out)
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
        if let Some(v) = &self.vector {
            let logits = self.model.logits(x);
            let probabilities = v.calibrate(&logits);
            return Prediction {
                logit: logits[2] - logits[0],
                probability: probabilities[2],
                classes: Some(ClassPrediction {
                    logits,
                    probabilities,
                }),
            };
        }
        let logit = self.model.logit(x);
        Prediction {
            logit,
            probability: self.platt.calibrate(logit),
            classes: None,
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
        let y = if up { Outcome::Up } else { Outcome::Down };
        self.model.partial_fit(x, y);
    }

    /// Learns sample `x` with label `y`: [`Core::learn`] for a binary learner (up or
    /// not), the three-class update for a three-class one.
    #[inline]
    pub fn learn_outcome(&mut self, x: &[f64], y: Outcome, then: Prediction, at: Timestamp) {
        let (Some(_), Some(c)) = (&self.vector, then.classes) else {
            return self.learn(x, y == Outcome::Up, then, at);
        };
        let k = y.index();
        self.scores.add_classes(&c.probabilities, k);
        self.segment.add_classes(&c.probabilities, k);
        self.last_label = Some(at);
        self.guard.add_classes(&c.probabilities, k);
        if self.segment.count() >= SEGMENT {
            self.close_segment(at);
        }
        if let Some(v) = &mut self.vector {
            v.push(c.logits, k);
        }
        self.model.partial_fit(x, y);
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
    /// Three-class learners: the dead band (in log return) of this sample's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    band: Option<f64>,
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
    /// Three-class learners: `dead_band · √h`, the band in units of the realised
    /// volatility at the sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    band_sigmas: Option<f64>,
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
            band_sigmas: (cfg.label == LabelKind::ThreeClass)
                .then(|| cfg.dead_band * (cfg.horizon as f64).sqrt()),
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
            match p.band {
                None => core.learn(
                    &self.xs[cell.clone()],
                    bar.close() > p.close,
                    p.then,
                    bar.ts(),
                ),
                Some(band) => core.learn_outcome(
                    &self.xs[cell.clone()],
                    Outcome::of_move(p.close, bar.close(), band),
                    p.then,
                    bar.ts(),
                ),
            }
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
            band: self.band_sigmas.map(|k| k * self.features.realised_vol()),
        });
        Some(then)
    }
}
