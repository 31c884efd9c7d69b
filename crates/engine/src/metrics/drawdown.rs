//! Drawdowns of an equity curve: the deepest one with its peak, trough and recovery,
//! and the longest time spent under water.

use super::Timeline;

/// The deepest drawdown of a curve and the longest drawdown episode.
///
/// Indices point into the curve. A drawdown episode starts at the last point that
/// set (or equalled) the running high and ends at the first later point whose equity
/// is back at or above that high.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawdownSummary {
    /// Largest `1 − E_t / max_{s≤t} E_s`, as a fraction (≥ 0; 0 for a curve that
    /// never falls below its running high; may exceed 1 if equity turns negative).
    pub max_drawdown: f64,
    /// Index of the high the deepest drawdown fell from; `None` without drawdown.
    pub peak: Option<usize>,
    /// Index of the first point where the deepest drawdown was reached.
    pub trough: Option<usize>,
    /// First index after the trough whose equity is ≥ the peak's; `None` when the
    /// curve never recovered (or never drew down).
    pub recovery: Option<usize>,
    /// Longest episode, from its peak to its recovery, or to the last point when it
    /// is still open at the end; `None` when the curve never drew down.
    pub longest_duration_nanos: Option<i64>,
}

/// Scans the curve once. `timestamps` and `equity` must have the same non-zero length
/// and `equity[0] > 0` (checked by [`super::compute`]).
pub fn drawdowns<'a>(timestamps: impl Into<Timeline<'a>>, equity: &[f64]) -> DrawdownSummary {
    let timestamps = timestamps.into();
    let mut high = equity[0];
    let mut high_idx = 0usize;
    let mut under_water = false;
    let mut longest: Option<i64> = None;
    let mut max_dd = 0.0f64;
    let mut peak = None;
    let mut trough = None;
    let span = |from: usize, to: usize| {
        timestamps
            .at(to)
            .nanos()
            .saturating_sub(timestamps.at(from).nanos())
    };

    for (i, &e) in equity.iter().enumerate() {
        if e >= high {
            if under_water {
                longest = longest.max(Some(span(high_idx, i)));
                under_water = false;
            }
            high = e;
            high_idx = i;
        } else {
            under_water = true;
            let dd = 1.0 - e / high;
            if dd > max_dd {
                max_dd = dd;
                peak = Some(high_idx);
                trough = Some(i);
            }
        }
    }
    if under_water {
        longest = longest.max(Some(span(high_idx, equity.len() - 1)));
    }
    let recovery = match (peak, trough) {
        (Some(p), Some(t)) => (t + 1..equity.len()).find(|&i| equity[i] >= equity[p]),
        _ => None,
    };
    DrawdownSummary {
        max_drawdown: max_dd,
        peak,
        trough,
        recovery,
        longest_duration_nanos: longest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::Timestamp;

    fn days(n: usize) -> Vec<Timestamp> {
        (0..n as i64)
            .map(|d| Timestamp::from_secs(d * 86_400))
            .collect()
    }

    #[test]
    fn a_repeated_high_starts_a_new_episode() {
        let eq = [100.0, 90.0, 100.0, 80.0, 100.0, 101.0];
        let dd = drawdowns(&days(eq.len()), &eq);
        assert_eq!(
            (dd.peak, dd.trough, dd.recovery),
            (Some(2), Some(3), Some(4))
        );
        assert!((dd.max_drawdown - 0.2).abs() < 1e-15);
        assert_eq!(dd.longest_duration_nanos, Some(2 * 86_400 * 1_000_000_000));
    }

    #[test]
    fn rising_curve_has_no_drawdown() {
        let eq = [100.0, 100.0, 101.0];
        let dd = drawdowns(&days(3), &eq);
        assert_eq!(dd.max_drawdown, 0.0);
        assert_eq!(
            (dd.peak, dd.trough, dd.recovery, dd.longest_duration_nanos),
            (None, None, None, None)
        );
    }
}
