//! What the learner predicts: the label of a bar, known `h` bars after it.
//!
//! - `binary` (the default): up when the close `h` bars later is above this close,
//!   else down.
//! - `three_class`: up, flat or down, with a dead band scaled by the symbol's own
//!   realised volatility, as a quant would set it: with `r` the log return from this
//!   close to the close `h` bars later and `σ` the standard deviation of the last 20
//!   one-bar log returns (known at this bar), the move is flat when
//!   `|r| ≤ dead_band · σ · √h`, up above, down below. A band in units of volatility
//!   means the same thing for a quiet and a wild symbol, daily and minute bars, and a
//!   calm and a stormy year; with Gaussian returns the default `dead_band = 0.5`
//!   makes about 38 % of the moves flat and 31 % each up and down.

use serde::{Deserialize, Serialize};

/// Which label the learner predicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// Up (close `h` bars later above this close) or not.
    #[default]
    Binary,
    /// Up, flat or down, with a dead band in units of realised volatility.
    ThreeClass,
}

impl LabelKind {
    /// The name in the `label` parameter.
    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Binary => "binary",
            LabelKind::ThreeClass => "three_class",
        }
    }

    /// The kind named `text`.
    pub fn parse(text: &str) -> Option<LabelKind> {
        [LabelKind::Binary, LabelKind::ThreeClass]
            .into_iter()
            .find(|k| k.name() == text)
    }

    /// True for the default.
    pub fn is_binary(&self) -> bool {
        *self == LabelKind::Binary
    }
}

/// A label. In the binary label "down" means "not up" (a close equal to this one
/// included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Below the band (binary: not above this close).
    Down,
    /// Within the band (three-class only).
    Flat,
    /// Above the band (binary: above this close).
    Up,
}

/// Classes of the three-class label, in the order of every per-class array:
/// down, flat, up.
pub const CLASSES: usize = 3;

impl Outcome {
    /// Index in the per-class arrays (down 0, flat 1, up 2).
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Outcome::Down => 0,
            Outcome::Flat => 1,
            Outcome::Up => 2,
        }
    }

    /// The three-class label of a move from `then` to `now`, flat within `±band` in
    /// log return.
    #[inline]
    pub fn of_move(then: f64, now: f64, band: f64) -> Outcome {
        let r = (now / then).ln();
        if r > band {
            Outcome::Up
        } else if r < -band {
            Outcome::Down
        } else {
            Outcome::Flat
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_inside_the_band_is_flat_and_outside_it_up_or_down() {
        let band = 0.01;
        assert_eq!(Outcome::of_move(100.0, 100.5, band), Outcome::Flat);
        assert_eq!(Outcome::of_move(100.0, 99.5, band), Outcome::Flat);
        assert_eq!(Outcome::of_move(100.0, 101.5, band), Outcome::Up);
        assert_eq!(Outcome::of_move(100.0, 98.5, band), Outcome::Down);
        assert_eq!(LabelKind::parse("three_class"), Some(LabelKind::ThreeClass));
        assert_eq!(LabelKind::parse("ternary"), None);
    }
}
