//! Synthetic bar series with known statistics, for tests, the benchmark and
//! demonstrations: daily returns that follow an AR(1) (coefficient 0 is pure noise),
//! from a seeded generator so every run sees the same bars.

use tradelab_core::{Bar, BarError, BarSeries, SeriesError, Symbol, SymbolError, Timestamp};

/// Why a synthetic series cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The symbol is not a valid symbol.
    #[error("synthetic series: {0}")]
    Symbol(#[from] SymbolError),
    /// A generated bar is invalid (a price out of range after a long drift).
    #[error("synthetic series: bar {index}: {source}")]
    Bar {
        /// Index of the bar.
        index: usize,
        /// What was wrong.
        source: BarError,
    },
    /// The bars do not make a series.
    #[error("synthetic series: {0}")]
    Series(#[from] SeriesError),
}

/// SplitMix64: small, fast, seeded; good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `(0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The standard normal distribution function (Abramowitz–Stegun 7.1.26, error < 1e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Log returns `r_t = phi · r_{t-1} + sigma · e_t` with standard normal `e_t`.
pub fn ar1_returns(n: usize, phi: f64, sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut prev = 0.0;
    (0..n)
        .map(|_| {
            prev = phi * prev + sigma * rng.normal();
            prev
        })
        .collect()
}

/// Daily bars (midnight UTC from 2000-01-03) whose closes follow the log returns
/// `returns` from 100; each bar opens at the previous close, its high and low a little
/// outside, and its volume is random around 1 000 000.
pub fn bars_from_returns(
    symbol: &str,
    returns: &[f64],
    seed: u64,
) -> Result<BarSeries, SynthError> {
    let symbol = Symbol::new(symbol)?;
    let mut rng = Rng::new(seed ^ 0xA5A5_A5A5);
    let start = 10_959; // 2000-01-03 in days since the epoch
    let mut close: f64 = 100.0;
    let mut bars = Vec::with_capacity(returns.len());
    for (index, r) in returns.iter().enumerate() {
        let open = close;
        close = open * r.exp();
        let high = open.max(close) * (1.0 + 0.002 * rng.uniform());
        let low = open.min(close) * (1.0 - 0.002 * rng.uniform());
        let volume = (1e6 * (1.0 + 0.3 * rng.normal())).max(1.0).round();
        let ts = Timestamp::from_secs((start + index as i64) * 86_400);
        let bar = Bar::new(ts, open, high, low, close, volume)
            .map_err(|source| SynthError::Bar { index, source })?;
        bars.push(bar);
    }
    Ok(BarSeries::new(symbol, bars)?)
}

/// `n` daily bars whose log returns follow an AR(1) with coefficient `phi` and
/// innovations of 1 %.
pub fn ar1_series(symbol: &str, n: usize, phi: f64, seed: u64) -> Result<BarSeries, SynthError> {
    bars_from_returns(symbol, &ar1_returns(n, phi, 0.01, seed), seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_has_the_table_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((normal_cdf(-1.96) - 0.024_997_9).abs() < 1e-6);
    }

    #[test]
    fn ar1_returns_have_the_asked_lag_one_correlation() {
        let r = ar1_returns(100_000, 0.3, 0.01, 7);
        let m = r.iter().sum::<f64>() / r.len() as f64;
        let var: f64 = r.iter().map(|x| (x - m).powi(2)).sum();
        let cov: f64 = r.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum();
        assert!((cov / var - 0.3).abs() < 0.01, "{}", cov / var);
    }
}
