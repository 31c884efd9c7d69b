//! Statistics of a return series, in empyrical's conventions.
//!
//! Every function returns `None` where empyrical returns NaN or an infinity (too few
//! returns, zero dispersion, no downside), so callers never see a non-finite ratio.
//! Sums use Neumaier's compensated summation, so means over a million returns keep
//! their last digits.

/// A Neumaier (improved Kahan) compensated running sum.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// Adds `x`, carrying the bits lost to rounding in a separate term.
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    pub(crate) fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

/// Compensated sum of an iterator.
pub(crate) fn sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut acc = CompensatedSum::default();
    values.for_each(|x| acc.add(x));
    acc.value()
}

/// `Some(x)` when `x` is finite.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Simple returns `E_t / E_{t-1} - 1` of a curve (pandas `pct_change`), one fewer
/// than the points.
pub(crate) fn simple_returns(equity: &[f64]) -> Vec<f64> {
    equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

/// Arithmetic mean; `None` for an empty slice.
pub(crate) fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| sum(xs.iter().copied()) / xs.len() as f64)
}

/// Sample standard deviation (ddof = 1); `None` below two values. Exactly `0.0` when
/// every value is equal (as empyrical's `_zero_dispersion_std`), so a constant series
/// is not divided by a rounding residue of 1e-18.
pub(crate) fn sample_std(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    if xs.iter().all(|&x| x == xs[0]) {
        return Some(0.0);
    }
    let m = mean(xs)?;
    let ss = sum(xs.iter().map(|&x| (x - m) * (x - m)));
    finite((ss / (xs.len() - 1) as f64).sqrt())
}

/// `std(r, ddof=1) · √P`; `None` below two returns.
pub(crate) fn annual_volatility(returns: &[f64], periods_per_year: f64) -> Option<f64> {
    finite(sample_std(returns)? * periods_per_year.sqrt())
}

/// `mean(r − rf) / std(r − rf, ddof=1) · √P`; `None` below two returns or at zero
/// dispersion (empyrical: NaN / ±inf).
pub(crate) fn sharpe(returns: &[f64], rf_per_period: f64, periods_per_year: f64) -> Option<f64> {
    let adjusted = adjust(returns, rf_per_period);
    let sd = sample_std(&adjusted)?;
    if sd == 0.0 {
        return None;
    }
    finite(mean(&adjusted)? / sd * periods_per_year.sqrt())
}

/// `mean(r − rf)·P / (√mean(min(r − rf, 0)²) · √P)` with the downside deviation over
/// *all* returns (empyrical's `sortino_ratio`); `None` below two returns or when no
/// return falls below the threshold (empyrical: ±inf or NaN).
pub(crate) fn sortino(returns: &[f64], rf_per_period: f64, periods_per_year: f64) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let adjusted = adjust(returns, rf_per_period);
    let downside_sq = sum(adjusted.iter().map(|&x| x.min(0.0) * x.min(0.0)));
    let downside = (downside_sq / adjusted.len() as f64).sqrt() * periods_per_year.sqrt();
    if downside == 0.0 {
        return None;
    }
    finite(mean(&adjusted)? * periods_per_year / downside)
}

/// Compound annual growth `(E_end / E_start)^(1 / (n / P)) − 1` over `n` returns
/// (empyrical's `annual_return`); `None` without returns or when the curve ends below
/// zero (a negative ratio has no real root). A curve ending at exactly zero gives −1.
pub(crate) fn cagr(start: f64, end: f64, n_returns: usize, periods_per_year: f64) -> Option<f64> {
    if n_returns == 0 {
        return None;
    }
    let ratio = end / start;
    if ratio < 0.0 {
        // powf would return a real number for integer exponents; growth is meaningless.
        return None;
    }
    let years = n_returns as f64 / periods_per_year;
    finite(ratio.powf(1.0 / years) - 1.0)
}

fn adjust(returns: &[f64], rf_per_period: f64) -> Vec<f64> {
    if rf_per_period == 0.0 {
        returns.to_vec()
    } else {
        returns.iter().map(|&r| r - rf_per_period).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_keeps_small_terms_next_to_large_ones() {
        let xs = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(sum(xs.iter().copied()), 2.0);
    }

    #[test]
    fn constant_series_has_exactly_zero_dispersion() {
        assert_eq!(sample_std(&[0.001; 10]), Some(0.0));
        assert_eq!(sharpe(&[0.001; 10], 0.0, 252.0), None);
        assert_eq!(annual_volatility(&[0.001; 10], 252.0), Some(0.0));
    }

    #[test]
    fn sortino_is_undefined_without_downside() {
        assert_eq!(sortino(&[0.01, 0.02, 0.0], 0.0, 252.0), None);
        assert!(sortino(&[0.01, -0.02, 0.0], 0.0, 252.0).is_some());
    }

    #[test]
    fn cagr_of_a_curve_ending_below_zero_is_undefined() {
        assert_eq!(cagr(100.0, -5.0, 10, 252.0), None);
        assert_eq!(cagr(100.0, -5.0, 2, 252.0), None);
        assert_eq!(cagr(100.0, 0.0, 10, 252.0), Some(-1.0));
    }
}
