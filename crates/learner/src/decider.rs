//! [`OnlineLearner`]: the learner as a [`Decider`]. At each new bar of a symbol it
//! learns the sample whose label that bar completes, predicts the probability that the
//! close `h` bars later is above this close, and trades on it:
//!
//! - flat and `p > threshold` → buy; with `--allow-short`, flat and
//!   `p < 1 - threshold` → sell short;
//! - long and `p < ½` → close; short and `p > ½` → close.
//!
//! An entry is sized by its edge: half the Kelly fraction of an even-odds bet
//! (`(2p − 1) / 2` of equity, `(1 − 2p) / 2` for a short), capped at `max_fraction`.
//! Every order's reason names the probability, the sizing and the features that
//! pushed the prediction most (value × weight). No position is opened before the model
//! has learned `min_samples` labels, nor while the guardrail is paused
//! ([`crate::guard`]); positions are still closed then, and the pause and the resume
//! are said in the step's reasoning (`paused: degraded …`) and as model events
//! (`paused` / `resumed`) in the run's trail.
//!
//! A three-class learner (`label=three_class`) trades on P(up) and P(down): flat and
//! `P(up) > threshold` with `P(up) > P(down)` → buy (shorts symmetrically); long and
//! up no longer the most likely class (flat or down is) → close, and symmetrically
//! for a short. Its half-Kelly edge is `(P(up) − P(down)) / 2`: a flat outcome pays
//! nothing either way.
//!
//! Snapshots: every `snapshot_every` bars the learner hands out its whole state (a
//! `snapshot` model note, which a stored run saves as the run's next snapshot
//! version), and at the end of a run through [`Decider::checkpoint`]. A new run
//! warm-starts from one with [`Decider::restore`]: it continues exactly as the
//! original run would have over the bars after the snapshot.

use crate::features::FeatureSet;
use crate::guard::GuardChange;
use crate::learner::{Core, Prediction, SymbolLearner};
use crate::model::Model;
use crate::params::{LearnerConfig, STRATEGY};
use crate::report::LearnerReport;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use tradelab_core::{Money, OrderIntent, Side, Sizing, Timestamp};
use tradelab_engine::strategies::StrategyError;
use tradelab_engine::{
    Checkpoint, DecideError, Decider, DeciderArgs, Decision, DecisionContext, ModelNote,
    RestoreError,
};

/// Features named in an order's reason.
const TOP: usize = 3;

/// The online learner: shared model, one feature state per symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnlineLearner {
    cfg: LearnerConfig,
    allow_short: bool,
    core: Core,
    symbols: Vec<SymbolLearner>,
    /// The symbols' names, in the order of `symbols` (empty in snapshots saved before
    /// the names were kept: a warm start from one checks only their count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    symbol_names: Vec<String>,
    /// Bars taken so far, over all symbols (a warm start's included).
    #[serde(default)]
    bars_seen: u64,
    /// Time of the last bar taken.
    #[serde(default)]
    last_ts: Option<Timestamp>,
    #[serde(skip)]
    x: Vec<f64>,
    #[serde(skip)]
    names: Vec<&'static str>,
    /// Bars of each symbol's view taken in this run (a warm-started run's view starts
    /// at its own first bar, not at the snapshot's count).
    #[serde(skip)]
    taken: Vec<usize>,
    /// A warm start's last bar: bars up to it were learned before the snapshot and
    /// are skipped if the run's data shows them again.
    #[serde(skip)]
    resume_after: Option<Timestamp>,
    /// Whether the state came from a snapshot (its symbols must be the run's).
    #[serde(skip)]
    restored: bool,
}

impl OnlineLearner {
    /// A fresh learner configured by `cfg`; `allow_short` lets it open shorts.
    pub fn new(cfg: LearnerConfig, allow_short: bool) -> Self {
        OnlineLearner {
            core: Core::new(&cfg),
            x: vec![0.0; cfg.features.len()],
            names: cfg.features.names().collect(),
            cfg,
            allow_short,
            symbols: Vec::new(),
            symbol_names: Vec::new(),
            bars_seen: 0,
            last_ts: None,
            taken: Vec::new(),
            resume_after: None,
            restored: false,
        }
    }

    /// Bars taken so far, over all symbols (a warm start's included).
    pub fn bars_seen(&self) -> u64 {
        self.bars_seen
    }

    /// The state as JSON text (what a snapshot stores).
    pub fn state_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Starts from the state `state` (JSON of [`OnlineLearner::state_json`]): the
    /// model, calibration, scores, guardrail and per-symbol features it learned. This
    /// learner's trading parameters stay; the snapshot's features and horizon must be
    /// this learner's, or the learned weights would mean something else.
    pub fn restore_json(&mut self, state: &str) -> Result<(), RestoreError> {
        let saved: OnlineLearner = serde_json::from_str(state)
            .map_err(|e| RestoreError(format!("the snapshot is not an {STRATEGY} state: {e}")))?;
        let (mine, theirs) = (&self.cfg, &saved.cfg);
        if mine.features != theirs.features {
            let names = |c: &LearnerConfig| c.features.names().collect::<Vec<_>>().join(",");
            return Err(RestoreError(format!(
                "the snapshot's learner uses the features {} but this model uses {}",
                names(theirs),
                names(mine)
            )));
        }
        if mine.label != theirs.label {
            return Err(RestoreError(format!(
                "the snapshot's learner predicts label={} but this model predicts label={}",
                theirs.label.name(),
                mine.label.name()
            )));
        }
        if (mine.model, mine.hidden) != (theirs.model, theirs.hidden)
            && !(mine.model.is_logistic() && theirs.model.is_logistic())
        {
            let describe = |c: &LearnerConfig| match c.model {
                crate::model::ModelKind::Mlp => format!("model=mlp with hidden={}", c.hidden),
                kind => format!("model={}", kind.name()),
            };
            return Err(RestoreError(format!(
                "the snapshot's learner is a {} but this model is a {}",
                describe(theirs),
                describe(mine)
            )));
        }
        if mine.horizon != theirs.horizon {
            return Err(RestoreError(format!(
                "the snapshot's learner has horizon h={} but this model has h={}",
                theirs.horizon, mine.horizon
            )));
        }
        self.core = saved.core;
        self.symbols = saved.symbols;
        self.symbol_names = saved.symbol_names;
        self.bars_seen = saved.bars_seen;
        self.last_ts = saved.last_ts;
        self.resume_after = saved.last_ts;
        self.taken.clear();
        self.restored = true;
        Ok(())
    }

    /// The snapshot note of the state now.
    fn snapshot_note(&self) -> Result<ModelNote, DecideError> {
        let state = self.state_json().map_err(|e| {
            DecideError::new(format!("{STRATEGY}: cannot serialise its state: {e}"))
        })?;
        Ok(ModelNote::Snapshot {
            bars: self.bars_seen,
            size: state.len(),
            state,
        })
    }

    /// Built from the registry's arguments (parameters and shorting permission).
    pub fn from_args(args: DeciderArgs<'_>) -> Result<Self, StrategyError> {
        Ok(OnlineLearner::new(
            LearnerConfig::from_params(args.params)?,
            args.allow_short,
        ))
    }

    /// The configuration.
    pub fn config(&self) -> &LearnerConfig {
        &self.cfg
    }

    /// The shared model, calibration and scores.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The calibration report so far.
    pub fn report(&self) -> LearnerReport {
        LearnerReport::of(&self.core, self.cfg.features.names())
    }

    /// The features, for the names in reasons.
    pub fn features(&self) -> &FeatureSet {
        &self.cfg.features
    }

    /// `prob 0.62 > 0.55: buy …; top features: ret_1 +1.30×0.42, …`.
    fn reason(&self, p: Prediction, what: &str, sizing: &str) -> String {
        let h = self.cfg.horizon;
        let bars = if h == 1 { "bar" } else { "bars" };
        let mut r = match &p.classes {
            None => format!(
                "P(close up in {h} {bars}) {:.3}: {what}{sizing}; top features:",
                p.probability
            ),
            Some(c) => format!(
                "P(up/flat/down in {h} {bars}) {:.3}/{:.3}/{:.3}: {what}{sizing}; top \
                 features (log-odds of up against down):",
                c.probabilities[2], c.probabilities[1], c.probabilities[0]
            ),
        };
        let mut local = Vec::new();
        let w = match self.core.model() {
            Model::Logistic(m) => m.weights(),
            _ => {
                local.resize(self.x.len(), 0.0);
                self.core.sensitivity(&self.x, &mut local);
                &local
            }
        };
        let mut idx: Vec<usize> = (0..w.len()).collect();
        idx.sort_by(|&a, &b| {
            (w[b] * self.x[b])
                .abs()
                .total_cmp(&(w[a] * self.x[a]).abs())
        });
        for (k, &i) in idx.iter().take(TOP).enumerate() {
            let sep = if k == 0 { " " } else { ", " };
            let _ = write!(
                r,
                "{sep}{} {:+.2}σ × weight {:+.3} = {:+.3}",
                self.names[i],
                self.x[i],
                w[i],
                self.x[i] * w[i]
            );
        }
        r
    }
}

impl Decider for OnlineLearner {
    fn name(&self) -> String {
        let c = &self.cfg;
        let mut name = format!(
            "online_learner(h={}, threshold={}, learning_rate={}, l2={}, max_fraction={}",
            c.horizon, c.threshold, c.learning_rate, c.l2, c.max_fraction
        );
        if !c.label.is_binary() {
            let _ = write!(
                name,
                ", label={}, dead_band={}",
                c.label.name(),
                c.dead_band
            );
        }
        if !c.model.is_logistic() {
            let _ = write!(
                name,
                ", model={}, hidden={}, seed={}",
                c.model.name(),
                c.hidden,
                c.seed
            );
        }
        name.push(')');
        name
    }

    fn min_bars(&self) -> usize {
        self.cfg.features.warm_up()
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let run_names = || -> Vec<&str> {
            (0..ctx.view.len())
                .map(|i| ctx.view.symbol(i).as_str())
                .collect()
        };
        let mut names_differ = !self.symbol_names.is_empty()
            && (self.symbol_names.len() != ctx.view.len()
                || (0..ctx.view.len())
                    .any(|i| ctx.view.symbol(i).as_str() != self.symbol_names[i]));
        if names_differ && self.restored && self.symbols.len() == self.symbol_names.len() {
            // The same symbols in another order: each keeps what it learned.
            let order: Option<Vec<usize>> = run_names()
                .iter()
                .map(|n| self.symbol_names.iter().position(|m| m == n))
                .collect();
            if let Some(order) = order.filter(|o| o.len() == self.symbol_names.len()) {
                self.symbols = order.iter().map(|&k| self.symbols[k].clone()).collect();
                self.symbol_names = order
                    .iter()
                    .map(|&k| self.symbol_names[k].clone())
                    .collect();
                names_differ = false;
            }
        }
        if self.symbols.len() != ctx.view.len() || names_differ {
            if self.restored {
                return Err(DecideError::halt(format!(
                    "{STRATEGY}: {}",
                    symbols_mismatch(&self.symbol_names, self.symbols.len(), &run_names())
                )));
            }
            self.symbols = vec![SymbolLearner::new(&self.cfg); ctx.view.len()];
            self.symbol_names = (0..ctx.view.len())
                .map(|i| ctx.view.symbol(i).to_string())
                .collect();
        }
        if self.taken.len() != ctx.view.len() {
            self.taken = vec![0; ctx.view.len()];
        }
        if self.x.len() != self.cfg.features.len() {
            // Restored from a snapshot: the scratch buffers are not serialised.
            self.x = vec![0.0; self.cfg.features.len()];
            self.names = self.cfg.features.names().collect();
        }
        let seen_before = self.bars_seen;
        for &i in ctx.updated {
            let sym = &mut self.symbols[i];
            let bars = ctx.view.bars(i);
            let mut last = None;
            for bar in &bars[self.taken[i].min(bars.len())..] {
                self.taken[i] += 1;
                if self.resume_after.is_some_and(|t| bar.ts() <= t) {
                    continue;
                }
                last = sym.step(bar, &mut self.core, &mut self.x);
                self.bars_seen += 1;
                self.last_ts = Some(bar.ts());
            }
            if let Some(change) = self.core.guard_mut().take_change() {
                let text = change.text(&self.cfg.guard);
                decision.notes.push(match change {
                    GuardChange::Paused { .. } => ModelNote::Paused {
                        detail: text.clone(),
                    },
                    GuardChange::Resumed { .. } => ModelNote::Resumed {
                        detail: text.clone(),
                    },
                });
                say(decision, text);
            }
            let Some(p) = last else { continue };
            if self.core.model().learned() < self.cfg.min_samples {
                continue;
            }
            let q = ctx.portfolio.position(i).get();
            let (thr, prob) = (self.cfg.threshold, p.probability);
            let (side, edge) = if let Some(c) = &p.classes {
                let [down, flat, up] = c.probabilities;
                if q.is_zero() {
                    if up > thr && up > down {
                        (Side::Buy, up - down)
                    } else if self.allow_short && down > thr && down > up {
                        (Side::Sell, down - up)
                    } else {
                        continue;
                    }
                } else if q.is_sign_positive() && (up < flat || up < down) {
                    (Side::Sell, 0.0)
                } else if q.is_sign_negative() && (down < flat || down < up) {
                    (Side::Buy, 0.0)
                } else {
                    continue;
                }
            } else if q.is_zero() {
                if prob > thr {
                    (Side::Buy, 2.0 * prob - 1.0)
                } else if self.allow_short && prob < 1.0 - thr {
                    (Side::Sell, 1.0 - 2.0 * prob)
                } else {
                    continue;
                }
            } else if q.is_sign_positive() && prob < 0.5 {
                (Side::Sell, 0.0)
            } else if q.is_sign_negative() && prob > 0.5 {
                (Side::Buy, 0.0)
            } else {
                continue;
            };
            if edge > 0.0 && self.core.guard().paused() {
                continue;
            }
            let (sizing, what, size_text) = if edge > 0.0 {
                let fraction = (edge / 2.0).min(self.cfg.max_fraction);
                let equity = ctx.portfolio.equity_f64();
                let cash = Money::from_f64(equity * fraction).map_err(|e| {
                    DecideError::new(format!(
                        "{STRATEGY}: {}: cannot size {:.1}% of equity {equity}: {e}",
                        ctx.view.symbol(i),
                        fraction * 100.0
                    ))
                })?;
                let what = if side == Side::Buy {
                    "buy"
                } else {
                    "sell short"
                };
                let text = format!(
                    " {:.1}% of equity (half-Kelly {:.3}, cap {})",
                    fraction * 100.0,
                    edge / 2.0,
                    self.cfg.max_fraction
                );
                (Sizing::Cash(cash.round_cents()), what, text)
            } else {
                let what = match (side, p.classes.is_some()) {
                    (Side::Sell, false) => "close long (below 0.5)",
                    (_, false) => "close short (above 0.5)",
                    (Side::Sell, true) => "close long (up no longer the most likely)",
                    (_, true) => "close short (down no longer the most likely)",
                };
                (Sizing::ClosePosition, what, String::new())
            };
            let symbol = ctx.view.symbol(i);
            let reason = self.reason(p, what, &size_text);
            say(decision, format!("{symbol}: {reason}"));
            decision.order(OrderIntent::market(symbol.clone(), side, sizing, reason));
        }
        let every = self.cfg.snapshot_every;
        if every > 0 && self.bars_seen / every > seen_before / every {
            decision.notes.push(self.snapshot_note()?);
        }
        Ok(())
    }

    fn checkpoint(&self) -> Option<Checkpoint> {
        let state = self.state_json().ok()?;
        Some(Checkpoint {
            ts: self.last_ts,
            bars: self.bars_seen,
            state,
        })
    }

    fn restore(&mut self, state: &str) -> Result<(), RestoreError> {
        self.restore_json(state)
    }

    fn learned_symbols(&self) -> Option<Vec<String>> {
        (self.restored && !self.symbol_names.is_empty()).then(|| self.symbol_names.clone())
    }

    fn model_report(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self.report()).ok()
    }
}

/// Why a warm start's symbols are not the run's: both lists by name (or, for a
/// snapshot saved before the names were kept, the counts).
pub fn symbols_mismatch(learned: &[String], count: usize, run: &[&str]) -> String {
    if learned.is_empty() {
        return format!(
            "the warm start's snapshot learned {count} symbols, this run trades {} ({})",
            run.len(),
            run.join(",")
        );
    }
    format!(
        "the warm start's snapshot learned the symbols {} but this run trades {}; a warm \
         start needs the same symbols (in any order)",
        learned.join(","),
        run.join(",")
    )
}

/// Adds a line to the step's reasoning.
fn say(decision: &mut Decision, line: String) {
    match &mut decision.reasoning {
        Some(text) => {
            text.push('\n');
            text.push_str(&line);
        }
        None => decision.reasoning = Some(line),
    }
}
