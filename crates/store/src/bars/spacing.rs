//! Does a declared timeframe fit the spacing of the bars filed under it?
//!
//! Bars closer than the timeframe are refused by the importer; this catches the other
//! way round: bars far farther apart than the timeframe (daily bars declared as `1m`),
//! which would store a fake series that no run can use.
//!
//! The rule, per symbol: the bars are refused when *no* two consecutive bars are one
//! timeframe apart (the smallest gap is longer than the timeframe) *and* the median gap
//! is at least twice the timeframe. Real bars of a timeframe always hold some
//! neighbours one bar apart, whatever their gaps, overnight breaks, weekends and
//! holidays (so their smallest gap is the timeframe), and their median gap is the
//! timeframe itself; sparse bars of an illiquid symbol keep their smallest gap. Daily
//! bars declared as `1m`, `5m` or `1h` have a smallest and a median gap of a day. With
//! fewer than three bars there is too little to judge and nothing is refused.

use tradelab_core::{Timeframe, Timestamp};

/// Bars whose spacing does not fit the timeframe they were declared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpacingMismatch {
    /// The declared timeframe.
    pub declared: Timeframe,
    /// The median gap between consecutive bars, in nanoseconds.
    pub median_gap_ns: i64,
    /// The smallest gap between consecutive bars, in nanoseconds.
    pub smallest_gap_ns: i64,
}

impl SpacingMismatch {
    /// The timeframe the bars look like: their median gap (`1d` for daily bars).
    pub fn inferred(&self) -> String {
        duration_text(self.median_gap_ns)
    }
}

impl std::fmt::Display for SpacingMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bars {} apart (the median gap; none closer than {}) look like {} bars, not {} \
             bars",
            duration_text(self.median_gap_ns),
            duration_text(self.smallest_gap_ns),
            self.inferred(),
            self.declared
        )
    }
}

/// `1d`, `5m`, `90s`, or days and hours for gaps past a week.
fn duration_text(ns: i64) -> String {
    let secs = ns / 1_000_000_000;
    match Timeframe::from_secs(secs) {
        Some(tf) if secs * 1_000_000_000 == ns => tf.to_string(),
        _ if secs >= 86_400 => format!("{:.1}d", secs as f64 / 86_400.0),
        _ => format!("{:.3}s", ns as f64 / 1e9),
    }
}

/// Checks bar times (strictly increasing, one symbol) against a declared timeframe;
/// `Some` when the timeframe does not fit (see the module documentation for the rule).
pub fn spacing_mismatch(
    times: impl IntoIterator<Item = Timestamp>,
    declared: Timeframe,
) -> Option<SpacingMismatch> {
    let mut times = times.into_iter().map(Timestamp::nanos);
    let first = times.next()?;
    let tf = declared.nanos();
    let mut gaps: Vec<i64> = Vec::new();
    let mut previous = first;
    for t in times {
        let gap = t.saturating_sub(previous);
        previous = t;
        // Real bars of the timeframe have neighbours one bar apart: nothing to refuse,
        // and no median to find (the common case costs one pass and no allocation).
        if gap <= tf {
            return None;
        }
        gaps.push(gap);
    }
    if gaps.len() < 2 {
        return None;
    }
    let smallest = gaps.iter().copied().min().unwrap_or(0);
    let middle = gaps.len() / 2;
    let median = *gaps.select_nth_unstable(middle).1;
    (median >= tf.saturating_mul(2)).then_some(SpacingMismatch {
        declared,
        median_gap_ns: median,
        smallest_gap_ns: smallest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;
    const DAY: i64 = 86_400;

    fn tf(text: &str) -> Timeframe {
        text.parse().expect("timeframe")
    }

    fn at(secs: &[i64]) -> Vec<Timestamp> {
        secs.iter().copied().map(Timestamp::from_secs).collect()
    }

    /// Weekday midnights from 2024-01-01 (a Monday), `days` calendar days.
    fn weekdays(days: i64) -> Vec<i64> {
        let monday = 1_704_067_200;
        (0..days)
            .filter(|d| d % 7 < 5)
            .map(|d| monday + d * DAY)
            .collect()
    }

    /// Regular-session minutes 14:30–21:00 UTC of every weekday, with `skip` minutes
    /// missing out of every 7.
    fn session_minutes(days: i64, skip: i64) -> Vec<i64> {
        weekdays(days)
            .into_iter()
            .flat_map(|d| {
                (0..390)
                    .filter(move |m| m % 7 >= skip)
                    .map(move |m| d + 870 * MIN + m * MIN)
            })
            .collect()
    }

    #[test]
    fn refuses_daily_bars_declared_as_minute_five_minute_or_hour_bars() {
        let daily = at(&weekdays(60));
        for declared in ["1m", "5m", "1h", "4h"] {
            let m = spacing_mismatch(daily.clone(), tf(declared)).expect(declared);
            assert_eq!(m.inferred(), "1d");
            assert!(m.to_string().contains("look like 1d bars"), "{m}");
        }
    }

    #[test]
    fn accepts_daily_bars_with_weekends_and_holidays_as_daily() {
        let mut days = weekdays(90);
        days.remove(10);
        days.remove(40);
        assert_eq!(spacing_mismatch(at(&days), tf("1d")), None);
    }

    #[test]
    fn accepts_minute_bars_with_gaps_overnight_breaks_and_holidays() {
        let mut minutes = session_minutes(30, 0);
        minutes.retain(|t| (t / DAY) % 11 != 3);
        assert_eq!(spacing_mismatch(at(&minutes), tf("1m")), None);
        // An illiquid symbol: three minutes of every seven without a trade.
        assert_eq!(
            spacing_mismatch(at(&session_minutes(10, 3)), tf("1m")),
            None
        );
    }

    #[test]
    fn refuses_hourly_and_five_minute_bars_declared_as_minute_bars() {
        let hourly: Vec<i64> = weekdays(20)
            .into_iter()
            .flat_map(|d| (0..7).map(move |h| d + 14 * 3600 + h * 3600))
            .collect();
        assert_eq!(
            spacing_mismatch(at(&hourly), tf("1m")).map(|m| m.inferred()),
            Some("1h".to_string())
        );
        let five: Vec<i64> = (0..200).map(|k| 1_704_200_000 + k * 300).collect();
        assert_eq!(
            spacing_mismatch(at(&five), tf("1m")).map(|m| m.inferred()),
            Some("5m".to_string())
        );
        assert_eq!(spacing_mismatch(at(&five), tf("5m")), None);
    }

    #[test]
    fn too_few_bars_are_not_judged() {
        assert_eq!(spacing_mismatch(at(&[0, DAY]), tf("1m")), None);
        assert!(spacing_mismatch(at(&[0, DAY, 2 * DAY]), tf("1m")).is_some());
    }
}
