//! The learner's parameters: declared with defaults (so `tradelab strategies` lists
//! them) and parsed from the run's `key=value` pairs, each error naming the parameter
//! and the value.

use crate::features::{FeatureSet, Group};
use crate::guard::GuardConfig;
use crate::label::LabelKind;
use crate::model::ModelKind;
use serde::{Deserialize, Serialize};
use tradelab_engine::strategies::{ParamInfo, StrategyError};

/// The name the learner is selected by.
pub const STRATEGY: &str = "online_learner";

/// Declared parameters, with defaults.
pub const PARAMS: &[ParamInfo] = &[
    ParamInfo::fixed(
        "h",
        "1",
        "horizon: the label is whether the close h bars later is above this bar's close \
         (whole number 1-1000)",
    ),
    ParamInfo::fixed(
        "features",
        "returns,rsi,volatility,volume,ma,time",
        "feature groups, comma-separated: returns, rsi, volatility, volume, ma, time",
    ),
    ParamInfo::fixed(
        "learning_rate",
        "0.005",
        "SGD step size at the start (decays as 1/sqrt(1 + t/2000)), 0-10",
    ),
    ParamInfo::fixed("l2", "0.0001", "L2 regularisation strength, 0-1"),
    ParamInfo::fixed(
        "threshold",
        "0.55",
        "enter long when the calibrated probability of up is above this (short below \
         1 - threshold with --allow-short), 0.5-1; three_class: when P(up) is above \
         this and above P(down) (short symmetrically), 0.33-1, default 0.45",
    ),
    ParamInfo::fixed(
        "max_fraction",
        "0.25",
        "cap on the fraction of equity one entry uses (sizing is half-Kelly), 0-1",
    ),
    ParamInfo::fixed(
        "calibration_window",
        "2000",
        "labels in the rolling window of the Platt calibration (100-100000)",
    ),
    ParamInfo::fixed(
        "min_samples",
        "200",
        "labels learned before the learner may open a position (0-1000000)",
    ),
    ParamInfo::fixed(
        "guard_window",
        "250",
        "guardrail: labels in the rolling Brier window (0 turns the guardrail off, \
         at most 100000)",
    ),
    ParamInfo::fixed(
        "guard_margin",
        "0.01",
        "guardrail: how much worse than the base rate's Brier score counts as degraded, 0-1",
    ),
    ParamInfo::fixed(
        "guard_bars",
        "50",
        "guardrail: labels in a row degraded before it stops opening positions (1-100000)",
    ),
    ParamInfo::fixed(
        "snapshot_every",
        "500",
        "stored runs save the learner's state as a snapshot every this many bars (and at \
         the end); 0 saves only at the end (0-100000000)",
    ),
    ParamInfo::fixed(
        "label",
        "binary",
        "what is predicted: binary (close h bars later above this close) or three_class \
         (up / flat / down with a dead band)",
    ),
    ParamInfo::fixed(
        "dead_band",
        "0.5",
        "three_class: a move within ± dead_band × σ × √h is flat, σ the realised \
         volatility of the last 20 one-bar log returns (0-10)",
    ),
    ParamInfo::fixed(
        "model",
        "logistic",
        "logistic (logistic regression; softmax for three_class) or mlp (one hidden layer \
         of tanh units; try learning_rate=0.02)",
    ),
    ParamInfo::fixed("hidden", "8", "mlp: hidden units (1-64)"),
    ParamInfo::fixed(
        "seed",
        "1",
        "mlp: seed of the initial weights; the same seed replays the same run \
         (0-4294967295)",
    ),
];

/// The default of `hidden`.
pub const HIDDEN: usize = 8;
/// The default of `seed`.
pub const SEED: u64 = 1;

fn default_hidden() -> usize {
    HIDDEN
}

fn default_seed() -> u64 {
    SEED
}

fn is_default_hidden(v: &usize) -> bool {
    *v == HIDDEN
}

fn is_default_seed(v: &u64) -> bool {
    *v == SEED
}

/// The default of `dead_band`, in units of realised volatility.
pub const DEAD_BAND: f64 = 0.5;

fn default_dead_band() -> f64 {
    DEAD_BAND
}

fn is_default_dead_band(v: &f64) -> bool {
    *v == DEAD_BAND
}

/// Everything that configures a learner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnerConfig {
    /// Bars ahead the label looks.
    pub horizon: usize,
    /// The feature groups used.
    pub features: FeatureSet,
    /// SGD step size at the start.
    pub learning_rate: f64,
    /// L2 strength.
    pub l2: f64,
    /// Calibrated probability of up above which the learner goes long.
    pub threshold: f64,
    /// Cap on the fraction of equity one entry uses.
    pub max_fraction: f64,
    /// Labels in the calibration window.
    pub calibration_window: usize,
    /// Labels learned before the first entry.
    pub min_samples: u64,
    /// The guardrail.
    pub guard: GuardConfig,
    /// Bars between two snapshots of the state (0: only at the end of a run).
    #[serde(default)]
    pub snapshot_every: u64,
    /// What is predicted (binary by default; absent from a binary learner's JSON).
    #[serde(default, skip_serializing_if = "LabelKind::is_binary")]
    pub label: LabelKind,
    /// Three-class: half-width of the flat band, in units of realised volatility
    /// (times `√h`).
    #[serde(
        default = "default_dead_band",
        skip_serializing_if = "is_default_dead_band"
    )]
    pub dead_band: f64,
    /// The model (logistic by default; absent from a logistic learner's JSON).
    #[serde(default, skip_serializing_if = "ModelKind::is_logistic")]
    pub model: ModelKind,
    /// MLP: hidden units.
    #[serde(default = "default_hidden", skip_serializing_if = "is_default_hidden")]
    pub hidden: usize,
    /// MLP: seed of the initial weights.
    #[serde(default = "default_seed", skip_serializing_if = "is_default_seed")]
    pub seed: u64,
}

impl Default for LearnerConfig {
    fn default() -> Self {
        LearnerConfig::from_params(&[]).unwrap_or_else(|_| unreachable!("defaults parse"))
    }
}

impl LearnerConfig {
    /// Parses `key=value` parameters; missing ones take their defaults.
    pub fn from_params(given: &[(String, String)]) -> Result<Self, StrategyError> {
        for (k, (name, _)) in given.iter().enumerate() {
            if !PARAMS.iter().any(|p| p.name == name.as_str()) {
                let known: Vec<&str> = PARAMS.iter().map(|p| p.name.as_ref()).collect();
                return Err(StrategyError::UnknownParam {
                    strategy: STRATEGY,
                    param: name.clone(),
                    known: known.join(", "),
                });
            }
            if given[..k].iter().any(|(n, _)| n == name) {
                return Err(StrategyError::DuplicateParam {
                    strategy: STRATEGY,
                    param: name.clone(),
                });
            }
        }
        Ok(LearnerConfig {
            horizon: whole(given, "h", 1, 1000)?,
            features: features(text(given, "features"))?,
            learning_rate: number(given, "learning_rate", 0.0, 10.0, false)?,
            l2: number(given, "l2", 0.0, 1.0, true)?,
            threshold: if given.iter().any(|(n, _)| n == "threshold") {
                number(given, "threshold", threshold_floor(given), 1.0, false)?
            } else {
                default_threshold(given)
            },
            max_fraction: number(given, "max_fraction", 0.0, 1.0, false)?,
            calibration_window: whole(given, "calibration_window", 100, 100_000)?,
            min_samples: whole(given, "min_samples", 0, 1_000_000)? as u64,
            guard: GuardConfig {
                window: whole(given, "guard_window", 0, 100_000)?,
                margin: number(given, "guard_margin", 0.0, 1.0, true)?,
                bars: whole(given, "guard_bars", 1, 100_000)?,
            },
            snapshot_every: whole(given, "snapshot_every", 0, 100_000_000)? as u64,
            label: label(text(given, "label"))?,
            dead_band: number(given, "dead_band", 0.0, 10.0, true)?,
            model: model(text(given, "model"))?,
            hidden: whole(given, "hidden", 1, crate::mlp::MAX_HIDDEN)?,
            seed: whole(given, "seed", 0, u32::MAX as usize)? as u64,
        })
    }

    /// The parameters as `key=value` pairs, every one that matters given (what a
    /// stored run keeps): `label` and `dead_band` only for a three-class learner,
    /// `model`, `hidden` and `seed` only for an MLP, so a binary logistic learner's
    /// list reads as it did before they existed.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let mut out = self.base_params();
        if self.label != LabelKind::Binary {
            out.push(("label".into(), self.label.name().into()));
            out.push(("dead_band".into(), self.dead_band.to_string()));
        }
        if self.model != ModelKind::Logistic {
            out.push(("model".into(), self.model.name().into()));
            out.push(("hidden".into(), self.hidden.to_string()));
            out.push(("seed".into(), self.seed.to_string()));
        }
        out
    }

    fn base_params(&self) -> Vec<(String, String)> {
        let groups: Vec<&str> = self.features.groups().iter().map(|g| g.name()).collect();
        [
            ("h", self.horizon.to_string()),
            ("features", groups.join(",")),
            ("learning_rate", self.learning_rate.to_string()),
            ("l2", self.l2.to_string()),
            ("threshold", self.threshold.to_string()),
            ("max_fraction", self.max_fraction.to_string()),
            ("calibration_window", self.calibration_window.to_string()),
            ("min_samples", self.min_samples.to_string()),
            ("guard_window", self.guard.window.to_string()),
            ("guard_margin", self.guard.margin.to_string()),
            ("guard_bars", self.guard.bars.to_string()),
            ("snapshot_every", self.snapshot_every.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

fn text<'a>(given: &'a [(String, String)], name: &'static str) -> &'a str {
    given
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .or_else(|| {
            PARAMS
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.default.as_ref())
        })
        .unwrap_or("")
}

fn whole(
    given: &[(String, String)],
    name: &'static str,
    min: usize,
    max: usize,
) -> Result<usize, StrategyError> {
    let t = text(given, name);
    let v: usize = t.parse().map_err(|_| StrategyError::NotANumber {
        strategy: STRATEGY,
        param: name,
        value: t.to_string(),
        expected: "a whole number",
    })?;
    if !(min..=max).contains(&v) {
        return Err(StrategyError::OutOfRange {
            strategy: STRATEGY,
            param: name,
            value: t.to_string(),
            rule: format!("between {min} and {max}"),
        });
    }
    Ok(v)
}

/// A number in `(min, max]` (or `[min, max]` when `min_included`).
fn number(
    given: &[(String, String)],
    name: &'static str,
    min: f64,
    max: f64,
    min_included: bool,
) -> Result<f64, StrategyError> {
    let t = text(given, name);
    let v: f64 = t
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| StrategyError::NotANumber {
            strategy: STRATEGY,
            param: name,
            value: t.to_string(),
            expected: "a number",
        })?;
    let low_ok = if min_included { v >= min } else { v > min };
    if !low_ok || v > max {
        let open = if min_included { "" } else { "above " };
        return Err(StrategyError::OutOfRange {
            strategy: STRATEGY,
            param: name,
            value: t.to_string(),
            rule: format!("{open}{min} and at most {max}"),
        });
    }
    Ok(v)
}

/// The threshold when none is given: 0.55 for the binary label; 0.45 for three
/// classes, where P(up) rarely passes 0.55 (a flat class takes its share).
fn default_threshold(given: &[(String, String)]) -> f64 {
    match LabelKind::parse(text(given, "label")) {
        Some(LabelKind::ThreeClass) => 0.45,
        _ => 0.55,
    }
}

/// The lowest threshold (excluded): ½ for the binary label, where a probability of up
/// below ½ favours down; 0.33 for three classes, where up can be the most likely class
/// with little more than a third.
fn threshold_floor(given: &[(String, String)]) -> f64 {
    match LabelKind::parse(text(given, "label")) {
        Some(LabelKind::ThreeClass) => 0.33,
        _ => 0.5,
    }
}

fn model(t: &str) -> Result<ModelKind, StrategyError> {
    ModelKind::parse(t).ok_or_else(|| StrategyError::OutOfRange {
        strategy: STRATEGY,
        param: "model",
        value: t.to_string(),
        rule: "logistic or mlp".into(),
    })
}

fn label(t: &str) -> Result<LabelKind, StrategyError> {
    LabelKind::parse(t).ok_or_else(|| StrategyError::OutOfRange {
        strategy: STRATEGY,
        param: "label",
        value: t.to_string(),
        rule: "binary or three_class".into(),
    })
}

fn features(t: &str) -> Result<FeatureSet, StrategyError> {
    let mut groups = Vec::new();
    for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some(g) = Group::parse(part) else {
            let known: Vec<&str> = Group::ALL.iter().map(|g| g.name()).collect();
            return Err(StrategyError::OutOfRange {
                strategy: STRATEGY,
                param: "features",
                value: t.to_string(),
                rule: format!("groups among {} ({part:?} is not one)", known.join(", ")),
            });
        };
        groups.push(g);
    }
    if groups.is_empty() {
        return Err(StrategyError::OutOfRange {
            strategy: STRATEGY,
            param: "features",
            value: t.to_string(),
            rule: "at least one group".into(),
        });
    }
    Ok(FeatureSet::of(&groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    #[test]
    fn defaults_parse_and_round_trip_through_params() {
        let c = LearnerConfig::default();
        assert_eq!(c.horizon, 1);
        assert_eq!(c.features.len(), 16);
        assert_eq!(LearnerConfig::from_params(&c.to_params()).unwrap(), c);
    }

    #[test]
    fn bad_parameters_are_refused_naming_parameter_and_value() {
        let msg = |k, v| {
            LearnerConfig::from_params(&p(k, v))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg("h", "0"),
            "online_learner: h (0) must be between 1 and 1000"
        );
        assert_eq!(
            msg("threshold", "0.4"),
            "online_learner: threshold (0.4) must be above 0.5 and at most 1"
        );
        assert_eq!(
            msg("learning_rate", "fast"),
            "online_learner: learning_rate (fast) is not a number"
        );
        assert!(msg("features", "returns,moon").contains("\"moon\" is not one"));
        assert!(msg("depth", "3").contains("unknown parameter \"depth\""));
        assert_eq!(
            msg("label", "ternary"),
            "online_learner: label (ternary) must be binary or three_class"
        );
    }

    #[test]
    fn three_class_parameters_round_trip_and_a_binary_list_omits_them() {
        let binary = LearnerConfig::default().to_params();
        assert!(!binary.iter().any(|(k, _)| k == "label" || k == "dead_band"));
        let given = [p("label", "three_class"), p("dead_band", "0.8")].concat();
        let c = LearnerConfig::from_params(&given).unwrap();
        assert_eq!(c.label, LabelKind::ThreeClass);
        assert_eq!(c.dead_band, 0.8);
        assert_eq!(LearnerConfig::from_params(&c.to_params()).unwrap(), c);
        let given = [p("model", "mlp"), p("hidden", "12"), p("seed", "7")].concat();
        let m = LearnerConfig::from_params(&given).unwrap();
        assert_eq!((m.model, m.hidden, m.seed), (ModelKind::Mlp, 12, 7));
        assert_eq!(LearnerConfig::from_params(&m.to_params()).unwrap(), m);
        assert!(!binary.iter().any(|(k, _)| k == "model" || k == "seed"));
    }
}
