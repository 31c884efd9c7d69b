//! Automatic exits: stop-loss, take-profit and trailing stop, checked on each bar.
//!
//! Levels come from the position's average entry price (stop, target) and from the
//! best price since entry (trailing). A bar that gaps through a level exits at its
//! open; otherwise the exit is at the level. When a bar reaches both the stop and the
//! target, the stop is assumed to have come first (the conservative reading of a bar
//! whose intrabar path is unknown). The trailing reference moves with each bar's
//! high (long) or low (short) only after that bar has been checked.

use crate::risk::{Rule, RuleKind};
use serde::Serialize;
use tradelab_core::{Bar, Quantity};

/// Why the engine closed a position on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    StopLoss,
    TakeProfit,
    TrailingStop,
    FlattenAt,
    DrawdownHalt,
    KillSwitch,
}

impl ExitKind {
    /// snake_case name, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitKind::StopLoss => "stop_loss",
            ExitKind::TakeProfit => "take_profit",
            ExitKind::TrailingStop => "trailing_stop",
            ExitKind::FlattenAt => "flatten_at",
            ExitKind::DrawdownHalt => "drawdown_halt",
            ExitKind::KillSwitch => "kill_switch",
        }
    }
}

/// An exit the engine must make now.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoExit {
    pub kind: ExitKind,
    pub rule: String,
    /// The stop or target level that was reached.
    pub level: f64,
    /// Execution price before slippage: the level, or the open on a gap.
    pub price: f64,
    /// Stops slip like stop orders; targets fill like limits and do not.
    pub slips: bool,
}

/// The per-position exit rules and the trailing references.
pub(crate) struct ExitRules {
    stop: Option<(String, f64)>,
    target: Option<(String, f64)>,
    trailing: Option<(String, f64)>,
    best: Vec<f64>,
}

impl ExitRules {
    pub(crate) fn new(active: &[Rule], symbols: usize) -> Self {
        let find = |f: fn(&RuleKind) -> Option<f64>| {
            active
                .iter()
                .find_map(|r| f(&r.kind).map(|p| (r.name.clone(), p / 100.0)))
        };
        ExitRules {
            stop: find(|k| match k {
                RuleKind::StopLossPct { pct } => Some(*pct),
                _ => None,
            }),
            target: find(|k| match k {
                RuleKind::TakeProfitPct { pct } => Some(*pct),
                _ => None,
            }),
            trailing: find(|k| match k {
                RuleKind::TrailingStopPct { pct } => Some(*pct),
                _ => None,
            }),
            best: vec![f64::NAN; symbols],
        }
    }

    /// A new position in symbol `i` was opened at `price`.
    pub(crate) fn start(&mut self, i: usize, price: f64) {
        self.best[i] = price;
    }

    pub(crate) fn check(
        &mut self,
        i: usize,
        bar: &Bar,
        qty: Quantity,
        avg: f64,
    ) -> Option<AutoExit> {
        if self.stop.is_none() && self.target.is_none() && self.trailing.is_none() {
            return None;
        }
        let long = qty.get().is_sign_positive();
        // Levels are computed on the decimal entry price and kept to 8 decimals, so a
        // 10 % target on 100 is 110, not 110.00000000000001.
        let level_at = |base: f64, factor: f64| round8(base * factor);
        let dir = if long { 1.0 } else { -1.0 };
        if self.best[i].is_nan() {
            self.best[i] = avg;
        }
        // Stop candidates: the fixed stop and the trailing stop; the tighter one wins.
        let mut stop: Option<(ExitKind, &str, f64)> = None;
        if let Some((name, pct)) = &self.stop {
            stop = Some((ExitKind::StopLoss, name, level_at(avg, 1.0 - dir * pct)));
        }
        if let Some((name, pct)) = &self.trailing {
            let level = level_at(self.best[i], 1.0 - dir * pct);
            let tighter = stop.is_none_or(|(_, _, s)| dir * level > dir * s);
            if tighter {
                stop = Some((ExitKind::TrailingStop, name, level));
            }
        }
        let adverse = if long { bar.low() } else { bar.high() };
        let favourable = if long { bar.high() } else { bar.low() };
        let open = bar.open();
        if let Some((kind, name, level)) = stop
            && dir * adverse <= dir * level
        {
            let price = if dir * open <= dir * level {
                open
            } else {
                level
            };
            return Some(AutoExit {
                kind,
                rule: name.to_string(),
                level,
                price,
                slips: true,
            });
        }
        if let Some((name, pct)) = &self.target {
            let level = level_at(avg, 1.0 + dir * pct);
            if dir * favourable >= dir * level {
                let price = if dir * open >= dir * level {
                    open
                } else {
                    level
                };
                return Some(AutoExit {
                    kind: ExitKind::TakeProfit,
                    rule: name.clone(),
                    level,
                    price,
                    slips: false,
                });
            }
        }
        self.best[i] = if long {
            self.best[i].max(bar.high())
        } else {
            self.best[i].min(bar.low())
        };
        None
    }
}

/// Rounds to 8 decimals through the shortest decimal text, so levels read as the
/// prices a person would write.
fn round8(x: f64) -> f64 {
    let scaled = (x * 1e8).round();
    if scaled.abs() < 9.0e15 {
        scaled / 1e8
    } else {
        x
    }
}
