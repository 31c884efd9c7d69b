//! Checks on bars before they are stored.

use super::StoredBar;
use super::spacing::spacing_mismatch;
use crate::error::{Result, StoreError};
use tradelab_core::Timeframe;

/// Checks bars before they are stored: strictly increasing, and at least one
/// `timeframe` apart (a bar covers `[start, start + timeframe)`, so a closer one means
/// the bars are of a shorter timeframe than the one they would be filed under).
pub(super) fn validate(bars: &[StoredBar], timeframe: Timeframe) -> Result<()> {
    for (i, b) in bars.iter().enumerate() {
        if i > 0 && b.bar.ts() <= bars[i - 1].bar.ts() {
            return Err(StoreError::invalid(
                "bars",
                format!(
                    "bar {i} at {} is not after the previous bar at {}",
                    b.bar.ts(),
                    bars[i - 1].bar.ts()
                ),
            ));
        }
        if i > 0 && b.bar.ts().nanos() - bars[i - 1].bar.ts().nanos() < timeframe.nanos() {
            return Err(StoreError::invalid(
                "bars",
                format!(
                    "bar {i} at {} starts less than one {timeframe} bar after the previous \
                     bar at {}: these are not {timeframe} bars",
                    b.bar.ts(),
                    bars[i - 1].bar.ts()
                ),
            ));
        }
        if b.trades.is_some_and(|t| t < 0) {
            return Err(StoreError::invalid(
                "bars",
                format!("bar {i}: trade count is negative"),
            ));
        }
        if b.vwap.is_some_and(|v| !v.is_finite() || v <= 0.0) {
            return Err(StoreError::invalid(
                "bars",
                format!("bar {i}: vwap must be a positive number"),
            ));
        }
    }
    if let Some(m) = spacing_mismatch(bars.iter().map(|b| b.bar.ts()), timeframe) {
        return Err(StoreError::invalid("bars", m.to_string()));
    }
    Ok(())
}
