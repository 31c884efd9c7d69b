//! The guardrail: when the learner's recent probabilities are worse than knowing
//! nothing, it stops opening positions (it keeps learning) until they recover.
//!
//! Over the latest `window` labels it compares the Brier score of the learner's
//! probabilities with the Brier score of the base rate over the same labels
//! (`r(1 − r)`, `r` the share of up labels). Worse by more than `margin` for `bars`
//! labels in a row → paused (`paused: degraded`); no worse than the base rate again →
//! resumed. The gap between the two levels keeps it from flapping.
//!
//! Three-class learners are held to the multi-class Brier score (summed over down,
//! flat and up) against always predicting the window's class shares (`1 − Σ r_k²`);
//! `margin` is on that scale.

use crate::label::CLASSES;
use serde::{Deserialize, Serialize};

/// Guardrail settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardConfig {
    /// Labels in the rolling window (0 turns the guardrail off).
    pub window: usize,
    /// How much worse than the base rate's Brier score counts as degraded.
    pub margin: f64,
    /// Labels in a row that must be degraded before it pauses.
    pub bars: usize,
}

/// A change of the guardrail's state, to be said in the decision's reasoning.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum GuardChange {
    /// It paused: rolling Brier `brier` against the base rate's `base`.
    Paused { brier: f64, base: f64 },
    /// It resumed.
    Resumed { brier: f64, base: f64 },
}

impl GuardChange {
    /// The reasoning text: `paused: degraded (…)` or `resumed: recovered (…)`.
    pub fn text(&self, cfg: &GuardConfig) -> String {
        match *self {
            GuardChange::Paused { brier, base } => format!(
                "paused: degraded (rolling Brier {brier:.4} over the last {} labels worse \
                 than the base rate's {base:.4} by more than {} for {} labels); no new \
                 positions until it recovers",
                cfg.window, cfg.margin, cfg.bars
            ),
            GuardChange::Resumed { brier, base } => format!(
                "resumed: recovered (rolling Brier {brier:.4} over the last {} labels, base \
                 rate's {base:.4})",
                cfg.window
            ),
        }
    }
}

/// The rolling window and the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    cfg: GuardConfig,
    sq: Vec<f64>,
    ys: Vec<f64>,
    next: usize,
    sum_sq: f64,
    sum_y: f64,
    degraded_for: usize,
    paused: bool,
    change: Option<GuardChange>,
    /// Labels per class (down, flat, up) in the window, for a three-class learner
    /// (whose `ys` then hold class indices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class_counts: Option<[f64; CLASSES]>,
}

impl Guard {
    /// A guardrail with settings `cfg`, not paused.
    pub fn new(cfg: GuardConfig) -> Self {
        Guard {
            cfg,
            sq: Vec::with_capacity(cfg.window),
            ys: Vec::with_capacity(cfg.window),
            next: 0,
            sum_sq: 0.0,
            sum_y: 0.0,
            degraded_for: 0,
            paused: false,
            change: None,
            class_counts: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &GuardConfig {
        &self.cfg
    }

    /// Whether new positions are stopped.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The last change since it was taken, if any.
    pub fn take_change(&mut self) -> Option<GuardChange> {
        self.change.take()
    }

    /// Rolling Brier score and the base rate's over the window (`None` until full).
    pub fn rolling(&self) -> Option<(f64, f64)> {
        let n = self.sq.len();
        if self.cfg.window == 0 || n < self.cfg.window {
            return None;
        }
        let base = match self.class_counts {
            Some(c) => 1.0 - c.iter().map(|k| (k / n as f64).powi(2)).sum::<f64>(),
            None => {
                let r = self.sum_y / n as f64;
                r * (1.0 - r)
            }
        };
        Some((self.sum_sq / n as f64, base))
    }

    /// Takes one label `up` of a prediction `p`.
    #[inline]
    pub fn add(&mut self, p: f64, up: bool) {
        if self.cfg.window == 0 {
            return;
        }
        let y = up as u8 as f64;
        let sq = (p - y) * (p - y);
        self.push(sq, y);
    }

    /// Takes one three-class label (index: down 0, flat 1, up 2) of a prediction `p`
    /// (down, flat, up).
    #[inline]
    pub fn add_classes(&mut self, p: &[f64; CLASSES], class: usize) {
        if self.cfg.window == 0 {
            return;
        }
        let sq: f64 = (0..CLASSES)
            .map(|k| (p[k] - (k == class) as u8 as f64).powi(2))
            .sum();
        let counts = self.class_counts.get_or_insert([0.0; CLASSES]);
        counts[class] += 1.0;
        if self.sq.len() == self.cfg.window {
            counts[self.ys[self.next] as usize] -= 1.0;
        }
        self.push(sq, class as f64);
    }

    /// Puts one squared error and label into the window and updates the state.
    #[inline]
    fn push(&mut self, sq: f64, y: f64) {
        if self.sq.len() < self.cfg.window {
            self.sq.push(sq);
            self.ys.push(y);
        } else {
            self.sum_sq -= self.sq[self.next];
            self.sum_y -= self.ys[self.next];
            self.sq[self.next] = sq;
            self.ys[self.next] = y;
            self.next = (self.next + 1) % self.cfg.window;
        }
        self.sum_sq += sq;
        self.sum_y += y;
        let Some((brier, base)) = self.rolling() else {
            return;
        };
        if brier > base + self.cfg.margin {
            self.degraded_for += 1;
        } else {
            self.degraded_for = 0;
        }
        if !self.paused && self.degraded_for >= self.cfg.bars.max(1) {
            self.paused = true;
            self.change = Some(GuardChange::Paused { brier, base });
        } else if self.paused && brier <= base {
            self.paused = false;
            self.change = Some(GuardChange::Resumed { brier, base });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: GuardConfig = GuardConfig {
        window: 10,
        margin: 0.01,
        bars: 3,
    };

    #[test]
    fn pauses_after_the_given_labels_of_degraded_brier_and_resumes_at_the_base_rate() {
        let mut g = Guard::new(CFG);
        // Right and confident: Brier 0.01, far below the base rate's 0.25.
        for i in 0..10 {
            g.add(if i % 2 == 0 { 0.9 } else { 0.1 }, i % 2 == 0);
        }
        assert!(!g.paused());
        // Confidently wrong: the window degrades; it pauses after 3 degraded labels.
        let mut paused_at = None;
        for i in 0..10 {
            g.add(if i % 2 == 0 { 0.1 } else { 0.9 }, i % 2 == 0);
            if g.paused() && paused_at.is_none() {
                paused_at = Some(i);
            }
        }
        let first_degraded = (0..10).find(|&k| {
            // Brier after k+1 wrong labels: ((k+1)·0.81 + (9−k)·0.01)/10 > 0.26.
            ((k + 1) as f64 * 0.81 + (9 - k) as f64 * 0.01) / 10.0 > 0.26
        });
        assert_eq!(paused_at, first_degraded.map(|k| k + 2));
        assert!(matches!(g.take_change(), Some(GuardChange::Paused { .. })));
        assert_eq!(g.take_change(), None);
        for i in 0..10 {
            g.add(if i % 2 == 0 { 0.9 } else { 0.1 }, i % 2 == 0);
        }
        assert!(!g.paused());
        let change = g.take_change().unwrap();
        assert!(change.text(&CFG).starts_with("resumed: recovered"));
    }

    #[test]
    fn three_class_pauses_when_worse_than_the_class_shares_and_resumes() {
        let mut g = Guard::new(CFG);
        // Right and confident on a cycle of down, flat, up: far better than the shares.
        let sure = |k: usize| {
            let mut p = [0.05; 3];
            p[k] = 0.9;
            p
        };
        for i in 0..10 {
            g.add_classes(&sure(i % 3), i % 3);
        }
        assert!(!g.paused());
        let (brier, base) = g.rolling().unwrap();
        assert!(brier < 0.02 && (base - (1.0 - 0.09 - 0.16 - 0.09)).abs() < 1e-9);
        // Confidently wrong: the next class each time.
        for i in 0..10 {
            g.add_classes(&sure((i + 1) % 3), i % 3);
        }
        assert!(g.paused());
        assert!(matches!(g.take_change(), Some(GuardChange::Paused { .. })));
        for i in 0..10 {
            g.add_classes(&sure(i % 3), i % 3);
        }
        assert!(!g.paused());
    }

    #[test]
    fn window_zero_never_pauses() {
        let mut g = Guard::new(GuardConfig { window: 0, ..CFG });
        for _ in 0..100 {
            g.add(0.99, false);
        }
        assert!(!g.paused());
    }
}
