//! US equity trading sessions, evaluated in America/New_York.

use crate::timeparse::{NANOS_PER_DAY, NANOS_PER_SEC};
use jiff::tz::TimeZone;
use tradelab_core::Timestamp;

/// Which part of the US equity trading day to keep when aggregating ticks.
///
/// Times are evaluated in America/New_York (with its daylight saving time):
/// pre-market 04:00–09:30, regular 09:30–16:00, after-hours 16:00–20:00, each
/// interval closed on the left. Every session but [`Session::All`] excludes
/// Saturdays and Sundays (New York date); exchange holidays are not known here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Session {
    /// Every tick, any day and time.
    #[default]
    All,
    /// 09:30–16:00 New York time, Monday to Friday.
    Regular,
    /// 04:00–09:30 New York time, Monday to Friday.
    Pre,
    /// 16:00–20:00 New York time, Monday to Friday.
    After,
    /// 04:00–20:00 New York time (pre + regular + after), Monday to Friday.
    Extended,
}

/// Why a session name was not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("session {0:?} is not one of all, regular, pre, after, extended")]
pub struct SessionError(pub String);

impl std::str::FromStr for Session {
    type Err = SessionError;
    /// Accepts `all`, `regular`/`rth`, `pre`, `after`/`post`, `extended`/`eth`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Session::All),
            "regular" | "rth" => Ok(Session::Regular),
            "pre" | "premarket" => Ok(Session::Pre),
            "after" | "post" | "afterhours" => Ok(Session::After),
            "extended" | "eth" => Ok(Session::Extended),
            _ => Err(SessionError(s.to_string())),
        }
    }
}

const MIN: i64 = 60 * NANOS_PER_SEC;

impl Session {
    /// The `[start, end)` window in nanoseconds after New York midnight.
    fn window(self) -> Option<(i64, i64)> {
        let hm = |h: i64, m: i64| (h * 60 + m) * MIN;
        match self {
            Session::All => None,
            Session::Regular => Some((hm(9, 30), hm(16, 0))),
            Session::Pre => Some((hm(4, 0), hm(9, 30))),
            Session::After => Some((hm(16, 0), hm(20, 0))),
            Session::Extended => Some((hm(4, 0), hm(20, 0))),
        }
    }

    /// True when `ts` falls in this session.
    pub fn contains(self, ts: Timestamp) -> bool {
        SessionFilter::new(self).contains(ts.nanos())
    }
}

/// A session test with the New York offset cached per UTC hour (New York changes
/// its offset only at 06:00/07:00 UTC, on whole UTC hours).
pub(crate) struct SessionFilter {
    window: Option<(i64, i64)>,
    tz: TimeZone,
    hour: i64,
    offset: i64,
}

impl SessionFilter {
    pub(crate) fn new(session: Session) -> Self {
        let tz = TimeZone::get("America/New_York")
            .unwrap_or(TimeZone::fixed(jiff::tz::Offset::constant(-5)));
        SessionFilter {
            window: session.window(),
            tz,
            hour: i64::MIN,
            offset: 0,
        }
    }

    #[inline]
    pub(crate) fn contains(&mut self, utc: i64) -> bool {
        let Some((start, end)) = self.window else {
            return true;
        };
        let hour = utc.div_euclid(3600 * NANOS_PER_SEC);
        if hour != self.hour {
            let ts = Timestamp::from_nanos(hour * 3600 * NANOS_PER_SEC).to_jiff();
            self.offset = i64::from(self.tz.to_offset(ts).seconds()) * NANOS_PER_SEC;
            self.hour = hour;
        }
        let local = utc + self.offset;
        let days = local.div_euclid(NANOS_PER_DAY);
        let weekday = (days + 3).rem_euclid(7); // 0 = Monday; 1970-01-01 was a Thursday
        let tod = local.rem_euclid(NANOS_PER_DAY);
        weekday < 5 && tod >= start && tod < end
    }
}
