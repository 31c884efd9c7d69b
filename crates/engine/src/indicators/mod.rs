//! Incremental technical indicators: O(1) (amortised) work per new value, `f64`.
//!
//! Each indicator is a small struct fed one value at a time through `update`, which
//! returns `None` until the indicator has seen enough values ("warm"). Inputs are
//! expected to be finite (bar prices are validated to be).

#![warn(missing_docs)]

mod extreme;
mod rsi;
mod sma;

pub use extreme::{RollingMax, RollingMin};
pub use rsi::Rsi;
pub use sma::Sma;

/// Why an indicator cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    /// A window or period of zero values.
    #[error("{indicator}: period must be at least 1, got {period}")]
    ZeroPeriod {
        /// Indicator name, e.g. `Sma`.
        indicator: &'static str,
        /// The period that was asked for.
        period: usize,
    },
}

/// Checks `period >= 1` for the indicator `name`.
fn check_period(indicator: &'static str, period: usize) -> Result<usize, IndicatorError> {
    if period == 0 {
        Err(IndicatorError::ZeroPeriod { indicator, period })
    } else {
        Ok(period)
    }
}
