//! Features of one symbol, computed bar by bar from the bars seen so far and each
//! standardised online ([`Welford`]): nothing here can read a later bar.
//!
//! Groups (the `features` parameter lists the ones to use):
//! - `returns`: log returns over 1, 2, 5, 10 and 20 bars;
//! - `rsi`: Wilder's RSI(14), centred (`(rsi - 50) / 50`);
//! - `volatility`: realised volatility of one-bar log returns over 10 and 20 bars;
//! - `volume`: z-score of the bar's volume against the last 20 bars;
//! - `ma`: distance of the close from its 10, 20 and 50-bar moving averages;
//! - `time`: time of day and day of week (UTC) as points on a circle; constant, so 0
//!   after standardising, for daily bars' time of day.
//!
//! The rolling windows are written here rather than taken from the engine's
//! indicators so the whole state serialises (snapshots of a learner come later).

use crate::welford::Welford;
use serde::{Deserialize, Serialize};
use tradelab_core::Bar;

/// A group of features, as named in the `features` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Returns,
    Rsi,
    Volatility,
    Volume,
    Ma,
    Time,
}

impl Group {
    /// Every group, in the order their features are laid out.
    pub const ALL: [Group; 6] = [
        Group::Returns,
        Group::Rsi,
        Group::Volatility,
        Group::Volume,
        Group::Ma,
        Group::Time,
    ];

    /// The group's name in the `features` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Group::Returns => "returns",
            Group::Rsi => "rsi",
            Group::Volatility => "volatility",
            Group::Volume => "volume",
            Group::Ma => "ma",
            Group::Time => "time",
        }
    }

    /// The group named `text`.
    pub fn parse(text: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == text)
    }

    /// Names of the group's features, in layout order.
    pub fn features(self) -> &'static [&'static str] {
        match self {
            Group::Returns => &["ret_1", "ret_2", "ret_5", "ret_10", "ret_20"],
            Group::Rsi => &["rsi_14"],
            Group::Volatility => &["vol_10", "vol_20"],
            Group::Volume => &["volume_z_20"],
            Group::Ma => &["ma_dist_10", "ma_dist_20", "ma_dist_50"],
            Group::Time => &["tod_sin", "tod_cos", "dow_sin", "dow_cos"],
        }
    }

    /// Bars a symbol needs before the group's features exist.
    fn warm_up(self) -> usize {
        match self {
            Group::Returns | Group::Volatility => 21,
            Group::Rsi => RSI_PERIOD + 1,
            Group::Volume => 20,
            Group::Ma => 50,
            Group::Time => 1,
        }
    }
}

/// The chosen groups: which features the learner computes, in layout order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSet {
    groups: Vec<Group>,
}

impl FeatureSet {
    /// All groups (16 features).
    pub fn all() -> Self {
        FeatureSet {
            groups: Group::ALL.to_vec(),
        }
    }

    /// The given groups, laid out in the canonical order whatever order they came in.
    pub fn of(groups: &[Group]) -> Self {
        FeatureSet {
            groups: Group::ALL
                .into_iter()
                .filter(|g| groups.contains(g))
                .collect(),
        }
    }

    /// The groups, in layout order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.features().len()).sum()
    }

    /// True when no group is chosen.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Feature names, in layout order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.features().iter().copied())
    }

    /// Bars a symbol needs before every chosen feature exists.
    pub fn warm_up(&self) -> usize {
        self.groups.iter().map(|g| g.warm_up()).max().unwrap_or(1)
    }
}

const RSI_PERIOD: usize = 14;
/// One-bar returns in the realised volatility of the three-class dead band.
const VOL_WINDOW: usize = 20;
/// Ring buffers hold this many bars (≥ the longest lookback + 1; a power of two).
const RING: usize = 64;
const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// One symbol's rolling windows and feature scalers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureState {
    set: FeatureSet,
    warm_up: usize,
    /// Bars seen.
    n: usize,
    closes: Vec<f64>,
    rets: Vec<f64>,
    volumes: Vec<f64>,
    rsi_gain: f64,
    rsi_loss: f64,
    scalers: Vec<Welford>,
}

impl FeatureState {
    /// Empty windows for the features of `set`.
    pub fn new(set: &FeatureSet) -> Self {
        FeatureState {
            set: set.clone(),
            warm_up: set.warm_up(),
            n: 0,
            closes: vec![0.0; RING],
            rets: vec![0.0; RING],
            volumes: vec![0.0; RING],
            rsi_gain: 0.0,
            rsi_loss: 0.0,
            scalers: vec![Welford::default(); set.len()],
        }
    }

    /// Bars seen.
    pub fn bars_seen(&self) -> usize {
        self.n
    }

    #[inline]
    fn close_back(&self, k: usize) -> f64 {
        self.closes[(self.n - 1 - k) & (RING - 1)]
    }

    #[inline]
    fn mean_back(ring: &[f64], n: usize, len: usize) -> (f64, f64) {
        let (mut s, mut s2) = (0.0, 0.0);
        for k in 0..len {
            let x = ring[(n - 1 - k) & (RING - 1)];
            s += x;
            s2 += x * x;
        }
        let m = s / len as f64;
        (m, (s2 / len as f64 - m * m).max(0.0))
    }

    /// Realised volatility now: the standard deviation of the last 20 one-bar log
    /// returns (fewer while fewer are known; 0 before two bars).
    pub fn realised_vol(&self) -> f64 {
        let len = VOL_WINDOW.min(self.n.saturating_sub(1));
        if len == 0 {
            return 0.0;
        }
        Self::mean_back(&self.rets, self.n, len).1.sqrt()
    }

    /// Takes the next bar; once warm, writes its standardised features into `out`
    /// (length [`FeatureSet::len`]) and returns true.
    pub fn push(&mut self, bar: &Bar, out: &mut [f64]) -> bool {
        let close = bar.close();
        let slot = self.n & (RING - 1);
        let ret = if self.n > 0 {
            let prev = self.close_back(0);
            let change = close - prev;
            self.update_rsi(change);
            (close / prev).ln()
        } else {
            0.0
        };
        self.closes[slot] = close;
        self.rets[slot] = ret;
        self.volumes[slot] = bar.volume();
        self.n += 1;
        if self.n < self.warm_up {
            return false;
        }
        let mut k = 0;
        let mut put = |v: f64, scalers: &mut [Welford]| {
            out[k] = scalers[k].push(v);
            k += 1;
        };
        let n = self.n;
        for gi in 0..self.set.groups.len() {
            match self.set.groups[gi] {
                Group::Returns => {
                    for lag in [1, 2, 5, 10, 20] {
                        let v = (close / self.close_back(lag)).ln();
                        put(v, &mut self.scalers);
                    }
                }
                Group::Rsi => {
                    let (g, l) = (self.rsi_gain, self.rsi_loss);
                    let rsi = if g + l > 0.0 {
                        100.0 * g / (g + l)
                    } else {
                        50.0
                    };
                    put((rsi - 50.0) / 50.0, &mut self.scalers);
                }
                Group::Volatility => {
                    for len in [10, 20] {
                        let (_, var) = Self::mean_back(&self.rets, n, len);
                        put(var.sqrt(), &mut self.scalers);
                    }
                }
                Group::Volume => {
                    let (m, var) = Self::mean_back(&self.volumes, n, 20);
                    let sd = var.sqrt();
                    let z = if sd > 0.0 {
                        (bar.volume() - m) / sd
                    } else {
                        0.0
                    };
                    put(z, &mut self.scalers);
                }
                Group::Ma => {
                    for len in [10, 20, 50] {
                        let (m, _) = Self::mean_back(&self.closes, n, len);
                        put(close / m - 1.0, &mut self.scalers);
                    }
                }
                Group::Time => {
                    let ns = bar.ts().nanos();
                    let day = ns.rem_euclid(NANOS_PER_DAY) as f64 / NANOS_PER_DAY as f64;
                    // 1970-01-01 was a Thursday: day 0 → 3 (Monday = 0).
                    let dow = ((ns.div_euclid(NANOS_PER_DAY) + 3).rem_euclid(7)) as f64 / 7.0;
                    let tau = std::f64::consts::TAU;
                    put((tau * day).sin(), &mut self.scalers);
                    put((tau * day).cos(), &mut self.scalers);
                    put((tau * dow).sin(), &mut self.scalers);
                    put((tau * dow).cos(), &mut self.scalers);
                }
            }
        }
        true
    }

    /// Wilder's smoothing: a simple mean of the first 14 changes, then
    /// `avg = (avg * 13 + x) / 14`.
    fn update_rsi(&mut self, change: f64) {
        let (g, l) = (change.max(0.0), (-change).max(0.0));
        let p = RSI_PERIOD as f64;
        if self.n <= RSI_PERIOD {
            self.rsi_gain += g / p;
            self.rsi_loss += l / p;
        } else {
            self.rsi_gain = (self.rsi_gain * (p - 1.0) + g) / p;
            self.rsi_loss = (self.rsi_loss * (p - 1.0) + l) / p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::Timestamp;

    fn bar(day: i64, close: f64, volume: f64) -> Bar {
        let ts = Timestamp::from_secs(day * 86_400);
        Bar::new(ts, close, close, close, close, volume).unwrap()
    }

    #[test]
    fn all_groups_make_sixteen_named_features() {
        let set = FeatureSet::all();
        assert_eq!(set.len(), 16);
        assert_eq!(set.names().count(), 16);
        assert_eq!(set.warm_up(), 50);
        let set = FeatureSet::of(&[Group::Rsi, Group::Returns]);
        let names: Vec<_> = set.names().collect();
        assert_eq!(names[0], "ret_1");
        assert_eq!(names[5], "rsi_14");
        assert_eq!(set.warm_up(), 21);
    }

    #[test]
    fn features_appear_after_the_warm_up_and_depend_only_on_bars_so_far() {
        let set = FeatureSet::of(&[Group::Returns]);
        let mut a = FeatureState::new(&set);
        let mut b = FeatureState::new(&set);
        let mut out_a = vec![0.0; 5];
        let mut out_b = vec![0.0; 5];
        for d in 0..40 {
            let c = 100.0 + (d as f64 * 0.7).sin() * 5.0;
            let warm = a.push(&bar(d, c, 10.0), &mut out_a);
            assert_eq!(warm, d >= 20, "bar {d}");
            b.push(&bar(d, c, 10.0), &mut out_b);
            assert_eq!(out_a, out_b);
        }
        assert!(out_a.iter().all(|x| x.is_finite() && x.abs() <= 5.0));
    }

    #[test]
    fn raw_return_and_rsi_are_the_textbook_values() {
        // Closes rising by 1 each bar: RSI 100, ret_1 = ln(c/c-1).
        let set = FeatureSet::of(&[Group::Rsi]);
        let mut s = FeatureState::new(&set);
        let mut out = [0.0];
        for d in 0..20 {
            s.push(&bar(d, 10.0 + d as f64, 1.0), &mut out);
        }
        let rsi = 100.0 * s.rsi_gain / (s.rsi_gain + s.rsi_loss);
        assert_eq!(rsi, 100.0);
        assert!((s.close_back(0) / s.close_back(1) - 29.0 / 28.0).abs() < 1e-12);
    }
}
