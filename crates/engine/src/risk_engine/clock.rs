//! Exchange-local calendar for the risk engine: which day and session a step is in.

use crate::risk::LocalTime;
use jiff::tz::TimeZone;
use tradelab_core::Timestamp;

/// A gap between steps at least this long starts a new session even within one day
/// (e.g. a futures market's daily break).
const SESSION_GAP_NANOS: i64 = 3_600 * 1_000_000_000;

/// What changed when the clock moved to a new step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Roll {
    pub new_day: bool,
    pub new_session: bool,
}

/// Tracks the local day and session boundaries, converting time zones only when a step
/// crosses the cached end of the current day.
pub(crate) struct LocalClock {
    tz: TimeZone,
    day_end: i64,
    last: Option<i64>,
}

impl LocalClock {
    pub(crate) fn new(tz: TimeZone) -> Self {
        LocalClock {
            tz,
            day_end: i64::MIN,
            last: None,
        }
    }

    /// Moves to `ts` (non-decreasing) and says whether a new day or session began.
    pub(crate) fn advance(&mut self, ts: Timestamp) -> Roll {
        let now = ts.nanos();
        let first = self.last.is_none();
        let gap = self.last.is_some_and(|l| now - l >= SESSION_GAP_NANOS);
        let new_day = now >= self.day_end;
        if new_day {
            self.day_end = self.next_midnight(ts);
        }
        self.last = Some(now);
        Roll {
            new_day: new_day && !first,
            new_session: (new_day || gap) && !first,
        }
    }

    /// Wall-clock time of `ts` in the exchange's zone.
    pub(crate) fn local_time(&self, ts: Timestamp) -> LocalTime {
        LocalTime::at(ts.to_jiff(), &self.tz)
    }

    fn next_midnight(&self, ts: Timestamp) -> i64 {
        let zoned = ts.to_jiff().to_zoned_datetime(self.tz.clone());
        zoned
            .date()
            .tomorrow()
            .ok()
            .and_then(|d| d.to_zoned_datetime(self.tz.clone()).ok())
            .and_then(|z| Timestamp::from_jiff(z.timestamp()))
            .map_or(i64::MAX, Timestamp::nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
        let tz = TimeZone::get("America/New_York").unwrap();
        let z = jiff::civil::date(y, mo, d)
            .at(h, mi, 0, 0)
            .to_zoned_datetime(tz)
            .unwrap();
        Timestamp::from_jiff(z.timestamp()).unwrap()
    }

    #[test]
    fn rolls_the_day_at_local_midnight_and_sessions_after_long_gaps() {
        let mut c = LocalClock::new(TimeZone::get("America/New_York").unwrap());
        assert_eq!(c.advance(ny(2024, 3, 1, 9, 30)), Roll::default());
        assert!(c.advance(ny(2024, 3, 1, 15, 59)).new_session, "6h gap");
        let r = c.advance(ny(2024, 3, 1, 16, 0));
        assert!(!r.new_day && !r.new_session);
        let r = c.advance(ny(2024, 3, 1, 23, 59));
        assert!(!r.new_day && r.new_session);
        let r = c.advance(ny(2024, 3, 2, 0, 1));
        assert!(r.new_day && r.new_session);
        assert_eq!(c.local_time(ny(2024, 3, 2, 0, 1)).to_string(), "00:01");
    }
}
