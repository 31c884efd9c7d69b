//! Exchange-local times of day (`"09:35"`) and time ranges (`"12:00-13:00"`) used by
//! the `trading_window` rule.
//!
//! Both serialize as the short text a user writes, never as a table, so rule files stay
//! readable. Parsing checks the range (00:00–23:59) and names the bad text.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A wall-clock time of day in the exchange's time zone, to the minute.
///
/// Written `"HH:MM"` (24-hour); `"H:MM"` and `"HH:MM:00"` are accepted on input (TOML's
/// unquoted local time `09:35:00` arrives as the latter). Ordered by time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime {
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
}

/// Why a text is not a time of day or a time range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not {expected}")]
pub struct TimeParseError {
    /// The offending text.
    pub text: String,
    /// What was expected instead, in words.
    pub expected: &'static str,
}

const TIME_EXPECTED: &str = "a time of day \"HH:MM\" from 00:00 to 23:59";
const RANGE_EXPECTED: &str =
    "a time range \"HH:MM-HH:MM\" (each from 00:00 to 23:59, start before end)";

impl LocalTime {
    /// Validated construction: `hour` 0..=23 and `minute` 0..=59.
    pub fn new(hour: u8, minute: u8) -> Result<Self, TimeParseError> {
        if hour > 23 || minute > 59 {
            return Err(TimeParseError {
                text: format!("{hour}:{minute:02}"),
                expected: TIME_EXPECTED,
            });
        }
        Ok(LocalTime { hour, minute })
    }

    /// True when the fields are in range (public fields let code build any value).
    pub fn is_valid(self) -> bool {
        self.hour <= 23 && self.minute <= 59
    }

    /// Minutes since local midnight, 0..=1439; handy for comparisons and arithmetic.
    pub fn minutes_since_midnight(self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }

    /// The time of day of a civil (zone-less) time, truncated to the minute.
    pub fn from_civil(t: jiff::civil::Time) -> Self {
        // jiff guarantees hour 0..=23 and minute 0..=59.
        LocalTime {
            hour: t.hour().unsigned_abs(),
            minute: t.minute().unsigned_abs(),
        }
    }

    /// The local time of day of an instant in the given time zone (e.g. a bar's start
    /// in America/New_York), truncated to the minute.
    pub fn at(ts: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> Self {
        Self::from_civil(ts.to_zoned_datetime(tz.clone()).time())
    }

    /// As a `jiff` civil time (seconds zero).
    pub fn to_civil(self) -> jiff::civil::Time {
        // An out-of-range value (only possible through the public fields) maps to 00:00.
        let (Ok(hour), Ok(minute)) = (i8::try_from(self.hour), i8::try_from(self.minute)) else {
            return jiff::civil::Time::MIN;
        };
        jiff::civil::Time::new(hour, minute, 0, 0).unwrap_or(jiff::civil::Time::MIN)
    }
}

impl FromStr for LocalTime {
    type Err = TimeParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || TimeParseError {
            text: text.to_string(),
            expected: TIME_EXPECTED,
        };
        let mut parts = text.trim().split(':');
        let (Some(h), Some(m)) = (parts.next(), parts.next()) else {
            return Err(bad());
        };
        // Optional seconds, which must be zero: the rules work to the minute.
        match (parts.next(), parts.next()) {
            (None, _) => {}
            (Some(s), None) if s.len() == 2 && s.trim_start_matches('0').is_empty() => {}
            _ => return Err(bad()),
        }
        let digits = |s: &str, max_len| {
            (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u8>().ok())
                .flatten()
        };
        match (digits(h, 2), digits(m, 2)) {
            (Some(hour), Some(minute)) if m.len() == 2 => {
                LocalTime::new(hour, minute).map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl TryFrom<String> for LocalTime {
    type Error = TimeParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<LocalTime> for String {
    fn from(t: LocalTime) -> String {
        t.to_string()
    }
}

/// A half-open span of local time `[start, end)`, written `"12:00-13:00"`.
///
/// Used for blackout periods: `12:00-13:00` blocks entries from 12:00 up to, but not
/// including, 13:00. Ranges do not wrap past midnight (start must be before end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    /// First minute inside the range.
    pub start: LocalTime,
    /// First minute after the range.
    pub end: LocalTime,
}

impl TimeRange {
    /// Validated construction: `start` must be before `end`.
    pub fn new(start: LocalTime, end: LocalTime) -> Result<Self, TimeParseError> {
        if start >= end {
            return Err(TimeParseError {
                text: format!("{start}-{end}"),
                expected: RANGE_EXPECTED,
            });
        }
        Ok(TimeRange { start, end })
    }

    /// True when `t` lies in `[start, end)`.
    pub fn contains(&self, t: LocalTime) -> bool {
        self.start <= t && t < self.end
    }
}

impl FromStr for TimeRange {
    type Err = TimeParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || TimeParseError {
            text: text.to_string(),
            expected: RANGE_EXPECTED,
        };
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let start: LocalTime = a.parse().map_err(|_| bad())?;
        let end: LocalTime = b.parse().map_err(|_| bad())?;
        TimeRange::new(start, end).map_err(|_| bad())
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl TryFrom<String> for TimeRange {
    type Error = TimeParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeRange> for String {
    fn from(r: TimeRange) -> String {
        r.to_string()
    }
}
