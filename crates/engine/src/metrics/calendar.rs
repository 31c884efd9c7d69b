//! Calendar helpers: how many bars make a year, and durations as human text.

use super::Timeline;
use std::collections::HashMap;
use tradelab_core::Timestamp;

/// Trading days per year, the annualization empyrical and quantstats use for daily
/// returns.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// Periods per year for annualizing per-bar returns.
///
/// Daily bars (`daily = true`): 252. Intraday bars: 252 × the median number of bars
/// per calendar date, dates taken in `tz` (UTC unless the caller passes the exchange's
/// zone, so a session is not split at midnight UTC). The median of an even number of
/// days is the mean of the two middle counts (numpy's). Using the median keeps half
/// sessions and a partial first or last day from shifting the factor: 390 one-minute
/// bars a day give 98,280. Without timestamps the daily 252 is returned. Callers may
/// override the result through [`super::MetricsInput::periods_per_year`].
pub fn periods_per_year<'a>(
    timestamps: impl Into<Timeline<'a>>,
    daily: bool,
    tz: &jiff::tz::TimeZone,
) -> f64 {
    periods_per_year_for(timestamps, daily, tz, TRADING_DAYS_PER_YEAR)
}

/// Calendar days per year, the annualization of symbols that trade seven days a week
/// (crypto): their daily returns come every day, weekends included.
pub const CALENDAR_DAYS_PER_YEAR: f64 = 365.0;

/// [`periods_per_year`] with `days_per_year` trading days: 252 for stocks,
/// [`CALENDAR_DAYS_PER_YEAR`] for a run that holds a symbol trading 24/7 (its equity
/// curve has a point every day). Daily bars give `days_per_year`; intraday bars give
/// `days_per_year` × the median bars per day (1,440 one-minute bars a day of a 24/7
/// pair give 525,600).
pub fn periods_per_year_for<'a>(
    timestamps: impl Into<Timeline<'a>>,
    daily: bool,
    tz: &jiff::tz::TimeZone,
    days_per_year: f64,
) -> f64 {
    let timestamps = timestamps.into();
    if daily || timestamps.is_empty() {
        return days_per_year;
    }
    let sorted = timestamps
        .iter()
        .zip(timestamps.iter().skip(1))
        .all(|(a, b)| a <= b);
    let mut counts = if sorted {
        bars_per_day_sorted(timestamps, tz)
    } else {
        let mut per_day: HashMap<jiff::civil::Date, usize> = HashMap::new();
        for ts in timestamps.iter() {
            *per_day
                .entry(tz.to_datetime(ts.to_jiff()).date())
                .or_default() += 1;
        }
        per_day.into_values().collect()
    };
    counts.sort_unstable();
    let mid = counts.len() / 2;
    let median = if counts.len() % 2 == 1 {
        counts[mid] as f64
    } else {
        (counts[mid - 1] + counts[mid]) as f64 / 2.0
    };
    days_per_year * median
}

/// Bars per local day of time-ordered timestamps. Converts time zones once per day:
/// a timestamp inside the current day's `[start, end)` needs no conversion.
fn bars_per_day_sorted(timestamps: Timeline<'_>, tz: &jiff::tz::TimeZone) -> Vec<usize> {
    let nanos_of = |d: jiff::civil::Date| {
        d.to_zoned_datetime(tz.clone())
            .ok()
            .and_then(|z| Timestamp::from_jiff(z.timestamp()))
            .map(Timestamp::nanos)
    };
    let mut counts = Vec::new();
    let (mut start, mut end) = (i64::MAX, i64::MIN);
    let mut current: Option<jiff::civil::Date> = None;
    let mut n = 0usize;
    for ts in timestamps.iter() {
        let t = ts.nanos();
        if t >= start && t < end {
            n += 1;
            continue;
        }
        let date = tz.to_datetime(ts.to_jiff()).date();
        if current != Some(date) {
            if n > 0 {
                counts.push(n);
            }
            n = 0;
            current = Some(date);
        }
        n += 1;
        match (nanos_of(date), date.tomorrow().ok().and_then(nanos_of)) {
            (Some(s), Some(e)) => (start, end) = (s, e),
            _ => (start, end) = (i64::MAX, i64::MIN),
        }
    }
    if n > 0 {
        counts.push(n);
    }
    counts
}

/// A duration in whole seconds as short human text with its two largest units:
/// `"12d 3h"`, `"3h 5m"`, `"45m"`, `"45m 30s"`, `"7s"`, `"0s"`; a zero second unit is
/// left out (`"2d"`), smaller units are dropped (not rounded). Negative durations get
/// a leading `-`.
pub fn format_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let units = [(86_400u64, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let Some(first) = units.iter().position(|&(size, _)| s >= size) else {
        return "0s".to_string();
    };
    let (size, name) = units[first];
    let mut text = format!("{sign}{}{name}", s / size);
    if let Some(&(next_size, next_name)) = units.get(first + 1) {
        let rest = (s % size) / next_size;
        if rest > 0 {
            text.push_str(&format!(" {rest}{next_name}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_two_largest_units() {
        assert_eq!(format_duration(12 * 86_400 + 3 * 3600 + 59), "12d 3h");
        assert_eq!(format_duration(45 * 60), "45m");
        assert_eq!(format_duration(3 * 3600 + 5 * 60 + 9), "3h 5m");
        assert_eq!(format_duration(2 * 86_400 + 59 * 60), "2d");
        assert_eq!(format_duration(61), "1m 1s");
        assert_eq!(format_duration(7), "7s");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(-3600), "-1h");
        assert_eq!(format_duration(i64::MIN).chars().next(), Some('-'));
    }
}

#[cfg(test)]
mod per_day_tests {
    use super::*;

    #[test]
    fn sorted_day_counting_matches_grouping_by_date_across_dst() {
        let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
        // every 7 minutes over 40 days around the March 2024 DST change
        let start = 1_709_251_200; // 2024-03-01 UTC
        let ts: Vec<Timestamp> = (0..40 * 24 * 60 / 7)
            .map(|k| Timestamp::from_secs(start + 420 * k))
            .collect();
        let mut fast = bars_per_day_sorted((&ts).into(), &tz);
        let mut grouped: HashMap<jiff::civil::Date, usize> = HashMap::new();
        for t in &ts {
            *grouped
                .entry(tz.to_datetime(t.to_jiff()).date())
                .or_default() += 1;
        }
        let mut slow: Vec<usize> = grouped.into_values().collect();
        fast.sort_unstable();
        slow.sort_unstable();
        assert_eq!(fast, slow);
    }
}
