//! UTC timestamps and bar timeframes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A UTC instant in nanoseconds since the Unix epoch.
///
/// Daily bars use midnight UTC of their date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SEC;

impl Timestamp {
    /// From nanoseconds since the Unix epoch (UTC).
    pub const fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    /// From whole seconds since the Unix epoch (UTC).
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs * NANOS_PER_SEC)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// The UTC calendar date (midnight) containing this instant.
    pub fn utc_midnight(self) -> Timestamp {
        Timestamp(self.0.div_euclid(NANOS_PER_DAY) * NANOS_PER_DAY)
    }

    /// True when the instant is exactly midnight UTC (a date-only timestamp).
    pub fn is_utc_midnight(self) -> bool {
        self.0.rem_euclid(NANOS_PER_DAY) == 0
    }

    /// Converts to a `jiff` timestamp for calendar and time-zone work.
    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_nanosecond(self.0 as i128).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// Converts from a `jiff` timestamp; `None` outside ±292 years of 1970.
    pub fn from_jiff(ts: jiff::Timestamp) -> Option<Self> {
        i64::try_from(ts.as_nanosecond()).ok().map(Timestamp)
    }

    /// `YYYY-MM-DD` in UTC.
    pub fn date_string(self) -> String {
        self.to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    }

    /// Human text: the date alone when the instant is midnight UTC, else RFC 3339 in UTC.
    pub fn display_auto(self) -> String {
        if self.is_utc_midnight() {
            self.date_string()
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2013-09-03T13:51:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_jiff())
    }
}

/// A bar length such as `1m`, `5m`, `1h` or `1d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timeframe {
    nanos: i64,
}

/// Why a timeframe text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeframeError {
    #[error(
        "timeframe {0:?} is not of the form <number><unit> with unit s, m, h or d (e.g. 1m, 5m, 1h, 1d)"
    )]
    Malformed(String),
    #[error("timeframe {0:?} must be positive and at most 7d")]
    OutOfRange(String),
}

impl Timeframe {
    /// One day.
    pub const DAY: Timeframe = Timeframe {
        nanos: NANOS_PER_DAY,
    };
    /// One minute.
    pub const MINUTE: Timeframe = Timeframe {
        nanos: 60 * NANOS_PER_SEC,
    };

    /// Length in nanoseconds.
    pub const fn nanos(self) -> i64 {
        self.nanos
    }

    /// From a whole number of seconds (must be positive).
    pub fn from_secs(secs: i64) -> Option<Self> {
        (secs > 0 && secs <= 7 * 86_400).then_some(Timeframe {
            nanos: secs * NANOS_PER_SEC,
        })
    }

    /// Start of the interval `[start, start + tf)` containing `ts`, aligned to the epoch
    /// (for `1d`: midnight UTC).
    pub fn floor(self, ts: Timestamp) -> Timestamp {
        Timestamp(ts.0.div_euclid(self.nanos) * self.nanos)
    }
}

impl std::str::FromStr for Timeframe {
    type Err = TimeframeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let split = t
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| TimeframeError::Malformed(s.to_string()))?;
        let (num, unit) = t.split_at(split);
        let n: i64 = num
            .parse()
            .map_err(|_| TimeframeError::Malformed(s.to_string()))?;
        let unit_secs = match unit {
            "s" | "sec" => 1,
            "m" | "min" | "t" => 60,
            "h" | "hr" => 3600,
            "d" | "day" => 86_400,
            _ => return Err(TimeframeError::Malformed(s.to_string())),
        };
        n.checked_mul(unit_secs)
            .and_then(Timeframe::from_secs)
            .ok_or_else(|| TimeframeError::OutOfRange(s.to_string()))
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.nanos / NANOS_PER_SEC;
        if secs % 86_400 == 0 {
            write!(f, "{}d", secs / 86_400)
        } else if secs % 3600 == 0 {
            write!(f, "{}h", secs / 3600)
        } else if secs % 60 == 0 {
            write!(f, "{}m", secs / 60)
        } else {
            write!(f, "{secs}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_timeframes() {
        for (text, secs) in [
            ("1m", 60),
            ("5m", 300),
            ("15m", 900),
            ("1h", 3600),
            ("1d", 86_400),
        ] {
            let tf: Timeframe = text.parse().unwrap();
            assert_eq!(tf.nanos(), secs * NANOS_PER_SEC);
            assert_eq!(tf.to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_timeframes() {
        assert!("m5".parse::<Timeframe>().is_err());
        assert!("0m".parse::<Timeframe>().is_err());
        assert!("5x".parse::<Timeframe>().is_err());
    }

    #[test]
    fn floor_labels_by_interval_start() {
        let tf: Timeframe = "5m".parse().unwrap();
        let ts = Timestamp::from_secs(1_000_000_123);
        assert_eq!(
            tf.floor(ts),
            Timestamp::from_secs(1_000_000_123 / 300 * 300)
        );
    }

    #[test]
    fn displays_dates_and_instants() {
        assert_eq!(Timestamp::from_secs(86_400).display_auto(), "1970-01-02");
        assert_eq!(
            Timestamp::from_secs(86_460).display_auto(),
            "1970-01-02T00:01:00Z"
        );
    }
}
