//! What a learner reports at the end of a run: its calibration figures (whole run, per
//! segment over time, reliability table), its calibration scaling and its weights.

use crate::learner::Core;
use crate::scores::{ReliabilityBin, Summary};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The learner's report, as the CLI prints it and its JSON carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnerReport {
    /// Figures over every labelled prediction of the run.
    #[serde(flatten)]
    pub overall: Summary,
    /// Platt scaling in force at the end: `p = σ(a·z + b)` (three classes: the slope
    /// of `p = softmax(a·z + b)`).
    pub calibration_a: f64,
    /// See `calibration_a` (three classes: the offset of up).
    pub calibration_b: f64,
    /// Three classes only: the offset of down (flat's is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_b_down: Option<f64>,
    /// Samples the model learned.
    pub learned: u64,
    /// The 10-bin reliability table.
    pub reliability: Vec<ReliabilityBin>,
    /// Figures per segment of labels, oldest first.
    pub over_time: Vec<SegmentFigures>,
    /// Final weights by feature, largest magnitude first: the logistic model's
    /// weights; for a three-class model those of the log-odds of up against down.
    pub weights: Vec<FeatureWeight>,
}

/// The figures of one segment of labels, as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentFigures {
    /// When the segment's last label became known (a date for daily bars, else an
    /// RFC 3339 time).
    pub until: String,
    /// The segment's figures.
    #[serde(flatten)]
    pub summary: Summary,
}

/// One feature's weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureWeight {
    /// The feature's name.
    pub feature: String,
    /// Its weight in the model (per standard deviation of the feature).
    pub weight: f64,
}

impl LearnerReport {
    /// The report of `core`, whose features are called `names`.
    pub fn of<'a>(core: &Core, names: impl Iterator<Item = &'a str>) -> Self {
        let (a, b, b_down) = match core.vector_scaling() {
            Some(v) => {
                let (a, b) = v.params();
                (a, b[2], Some(b[0]))
            }
            None => {
                let (a, b) = core.platt().params();
                (a, b, None)
            }
        };
        let names: Vec<&str> = names.collect();
        let zero = vec![0.0; names.len()];
        let mut effective = vec![0.0; names.len()];
        core.sensitivity(&zero, &mut effective);
        let mut weights: Vec<FeatureWeight> = names
            .into_iter()
            .zip(&effective)
            .map(|(f, &w)| FeatureWeight {
                feature: f.to_string(),
                weight: w,
            })
            .collect();
        weights.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
        LearnerReport {
            overall: core.scores().summary(),
            calibration_a: a,
            calibration_b: b,
            calibration_b_down: b_down,
            learned: core.model().learned(),
            reliability: core.scores().reliability(),
            over_time: core
                .over_time()
                .into_iter()
                .map(|s| SegmentFigures {
                    until: s.until.display_auto(),
                    summary: s.summary,
                })
                .collect(),
            weights,
        }
    }

    /// The report as text tables for people.
    pub fn table(&self) -> String {
        let o = &self.overall;
        let mut t = String::new();
        let _ = writeln!(t, "\nOnline learner: calibration");
        let _ = writeln!(t, "  labelled predictions  {}", o.samples);
        let _ = writeln!(t, "  accuracy              {:.4}", o.accuracy);
        if o.classes.is_some() {
            let _ = writeln!(
                t,
                "  Brier score           {:.4}  (class shares: {:.4})",
                o.brier, o.base_brier
            );
        } else {
            let _ = writeln!(
                t,
                "  Brier score           {:.4}  (base rate {:.4}: {:.4})",
                o.brier, o.base_rate, o.base_brier
            );
        }
        let _ = writeln!(t, "  log loss              {:.4}", o.log_loss);
        let _ = writeln!(t, "  calibration error     {:.4}  (ECE, 10 bins)", o.ece);
        match (&o.classes, self.calibration_b_down) {
            (Some(c), Some(b_down)) => {
                let _ = writeln!(
                    t,
                    "  three classes         down {:.3}, flat {:.3}, up {:.3}; majority \
                     class accuracy {:.4}",
                    c.down, c.flat, c.up, c.majority_accuracy
                );
                let _ = writeln!(
                    t,
                    "  (Brier sums over the three classes; the reliability table and ECE \
                     are for the up class)"
                );
                let _ = writeln!(
                    t,
                    "  vector scaling        a {:.3}, b down {:.3}, b up {:.3}",
                    self.calibration_a, b_down, self.calibration_b
                );
            }
            _ => {
                let _ = writeln!(
                    t,
                    "  Platt scaling         a {:.3}, b {:.3}",
                    self.calibration_a, self.calibration_b
                );
            }
        }
        let _ = writeln!(t, "\n  reliability   count  predicted  observed");
        for r in &self.reliability {
            let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
            let _ = writeln!(
                t,
                "  {:.1}-{:.1}   {:>8}  {:>9}  {:>8}",
                r.from,
                r.to,
                r.count,
                f(r.predicted),
                f(r.observed)
            );
        }
        if !self.over_time.is_empty() {
            let _ = writeln!(
                t,
                "\n  over time (until)      labels  accuracy   Brier  log loss     ECE"
            );
            for s in &self.over_time {
                let m = &s.summary;
                let _ = writeln!(
                    t,
                    "  {:<20} {:>7}  {:>8.4}  {:.4}  {:>8.4}  {:.4}",
                    s.until, m.samples, m.accuracy, m.brier, m.log_loss, m.ece
                );
            }
        }
        let _ = writeln!(t, "\n  top weights");
        for w in self.weights.iter().take(5) {
            let _ = writeln!(t, "  {:<14} {:+.4}", w.feature, w.weight);
        }
        t
    }
}
