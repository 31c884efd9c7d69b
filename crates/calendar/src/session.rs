//! A trading day's sessions: exchange-local clock times and the instants they strike.

use crate::{EarlyClose, Exchange};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use std::fmt;

/// A time of day on an exchange's clock, to the minute, from 00:00 to 24:00 (the end
/// of a 24-hour session, which `jiff::civil::Time` cannot say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    minutes: u16,
}

impl LocalTime {
    /// 00:00, the start of a day.
    pub const MIDNIGHT: LocalTime = LocalTime { minutes: 0 };
    /// 24:00, the end of a day.
    pub const END_OF_DAY: LocalTime = LocalTime { minutes: 24 * 60 };

    /// `hour:minute`; the session tables only use constants, so an hour past 24 or a
    /// minute past 59 is a bug and is clamped to 24:00.
    pub const fn hm(hour: i8, minute: i8) -> LocalTime {
        let minutes = (hour as i32) * 60 + minute as i32;
        let minutes = if minutes < 0 {
            0
        } else if minutes > 24 * 60 {
            24 * 60
        } else {
            minutes
        };
        LocalTime {
            minutes: minutes as u16,
        }
    }

    /// The hour, 0 to 24.
    pub fn hour(self) -> i8 {
        (self.minutes / 60) as i8
    }

    /// The minute of the hour, 0 to 59.
    pub fn minute(self) -> i8 {
        (self.minutes % 60) as i8
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One session of a trading day: from `open` (included) to `close` (excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The opening time on the exchange's clock.
    pub open_local: LocalTime,
    /// The closing time on the exchange's clock.
    pub close_local: LocalTime,
    /// The instant it opens.
    pub open: Timestamp,
    /// The instant it closes.
    pub close: Timestamp,
}

impl Session {
    /// Whether `instant` falls in the session (open included, close not).
    pub fn contains(&self, instant: Timestamp) -> bool {
        self.open <= instant && instant < self.close
    }
}

/// In JSON a session is its exchange-local times: `{"open": "09:30", "close": "16:00"}`.
impl Serialize for Session {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Session", 2)?;
        out.serialize_field("open", &self.open_local)?;
        out.serialize_field("close", &self.close_local)?;
        out.end()
    }
}

/// A day the exchange trades, with its sessions. Crypto has no pre- or after-hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradingDay {
    pub exchange: Exchange,
    /// The date on the exchange's clock.
    pub date: Date,
    pub regular: Session,
    pub pre: Option<Session>,
    pub after: Option<Session>,
    /// Why the regular session ends early, on an early-close day.
    pub early_close: Option<EarlyClose>,
}

/// In JSON a trading day is `{"date": "2024-11-29", "regular": {…}, "pre": {…},
/// "after": {…}}` with exchange-local times; `pre` and `after` are left out where the
/// exchange has none.
impl Serialize for TradingDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = 2 + usize::from(self.pre.is_some()) + usize::from(self.after.is_some());
        let mut out = s.serialize_struct("TradingDay", fields)?;
        out.serialize_field("date", &self.date.to_string())?;
        out.serialize_field("regular", &self.regular)?;
        match &self.pre {
            Some(pre) => out.serialize_field("pre", pre)?,
            None => out.skip_field("pre")?,
        }
        match &self.after {
            Some(after) => out.serialize_field("after", after)?,
            None => out.skip_field("after")?,
        }
        out.end()
    }
}
