//! Test helpers for the strategies' unit tests: the public [`crate::testkit`] with
//! failures as panics, and the indicator fixtures.

use crate::decider::Decider;
use crate::testkit;
pub(crate) use crate::testkit::Emitted;
use tradelab_core::BarSeries;

/// Daily bars from `start_day` (days since 1970-01-01) with `open = high = low = close`.
pub(crate) fn series(symbol: &str, start_day: i64, closes: &[f64]) -> BarSeries {
    testkit::daily_bars(symbol, start_day, closes).unwrap()
}

/// Daily bars from `start_day` with the given `(high, low, close)` and `open = close`.
pub(crate) fn series_hlc(symbol: &str, start_day: i64, hlc: &[(f64, f64, f64)]) -> BarSeries {
    testkit::daily_bars_hlc(symbol, start_day, hlc).unwrap()
}

/// The public [`testkit::Replay`], failing the test on a harness error.
pub(crate) struct Replay(testkit::Replay);

impl Replay {
    pub(crate) fn new(series: Vec<BarSeries>) -> Self {
        Replay(testkit::Replay::new(series))
    }

    /// Calls the decider a second time at every step with the same bars (no new data).
    pub(crate) fn asking_twice(self) -> Self {
        Replay(self.0.asking_twice())
    }

    /// Runs `decider` over every step; returns every intent it emitted.
    pub(crate) fn run(&self, decider: &mut dyn Decider) -> Vec<Emitted> {
        self.0.run(decider).unwrap()
    }
}

/// Columns of a fixture under `tests/fixtures/indicators/`: `(high, low, close)` per bar
/// and the `cross` column (1 up, −1 down, 0 none).
pub(crate) fn fixture(name: &str) -> (Vec<(f64, f64, f64)>, Vec<i32>) {
    let path = format!(
        "{}/tests/fixtures/indicators/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (h, l, c, x) = (at("high"), at("low"), at("close"), at("cross"));
    let (mut hlc, mut cross) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let num = |k: usize| cells[k].parse::<f64>().unwrap();
        hlc.push((num(h), num(l), num(c)));
        cross.push(cells[x].parse().unwrap());
    }
    (hlc, cross)
}
