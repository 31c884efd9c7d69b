//! Exchange-local calendar for the risk engine: which day and session a step is in.

use crate::risk::LocalTime;
use jiff::tz::TimeZone;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::Timestamp;

/// The NYSE's usual close, 16:00, in minutes after midnight: an early close moves the
/// window's end and flatten time earlier by its distance from this.
const NYSE_CLOSE_MINUTES: u16 = 16 * 60;

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
    /// The exchange calendar a trading window follows, and what it says of today.
    calendar: Option<Calendar>,
    today: Option<ExchangeDay>,
}

/// Today on the exchange calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExchangeDay {
    /// The exchange-local date.
    pub date: String,
    /// Why the exchange is shut today (a weekend or a holiday), if it is.
    pub closed: Option<String>,
    /// The regular session's open and usual close, for an exchange with sessions (the
    /// NYSE; crypto trades all day).
    pub session: Option<(LocalTime, LocalTime)>,
    /// Minutes the regular session closes earlier than usual today.
    pub early_by: u16,
}

impl LocalClock {
    pub(crate) fn new(tz: TimeZone) -> Self {
        LocalClock {
            tz,
            day_end: i64::MIN,
            last: None,
            calendar: None,
            today: None,
        }
    }

    /// A clock on `calendar`'s time zone that also knows each day's session.
    pub(crate) fn on_calendar(calendar: Calendar) -> Self {
        LocalClock {
            tz: calendar.time_zone().clone(),
            calendar: Some(calendar),
            ..LocalClock::new(TimeZone::UTC)
        }
    }

    /// Today on the calendar (`None` without one).
    pub(crate) fn today(&self) -> Option<&ExchangeDay> {
        self.today.as_ref()
    }

    /// `t` moved later by today's early close, to compare with a window's `end` and
    /// `flatten_at` (stated for a usual day); `t` itself on a usual day.
    pub(crate) fn close_relative(&self, t: LocalTime) -> LocalTime {
        let early_by = self.today.as_ref().map_or(0, |d| d.early_by);
        if early_by == 0 {
            return t;
        }
        let minutes = (u16::from(t.hour) * 60 + u16::from(t.minute) + early_by).min(23 * 60 + 59);
        LocalTime {
            hour: (minutes / 60) as u8,
            minute: (minutes % 60) as u8,
        }
    }

    /// A window time stated for a usual day, as it falls today: `12:55 (15:55 on a
    /// usual day)` on an early close, else the time itself.
    pub(crate) fn today_text(&self, t: LocalTime) -> String {
        let early_by = self.today.as_ref().map_or(0, |d| d.early_by);
        let minutes = u16::from(t.hour) * 60 + u16::from(t.minute);
        if early_by == 0 || minutes < early_by {
            return t.to_string();
        }
        let moved = minutes - early_by;
        let today = LocalTime {
            hour: (moved / 60) as u8,
            minute: (moved % 60) as u8,
        };
        format!("{today} ({t} on a usual day)")
    }

    fn exchange_day(&self, ts: Timestamp) -> Option<ExchangeDay> {
        let calendar = self.calendar.as_ref()?;
        let date = ts.to_jiff().to_zoned_datetime(self.tz.clone()).date();
        let minutes = |t: tradelab_calendar::LocalTime| {
            u16::try_from(t.hour()).unwrap_or(0) * 60 + u16::try_from(t.minute()).unwrap_or(0)
        };
        let local = |t: tradelab_calendar::LocalTime| LocalTime {
            hour: u8::try_from(t.hour()).unwrap_or(0),
            minute: u8::try_from(t.minute()).unwrap_or(0),
        };
        let day = match calendar.session(date) {
            Ok(Some(day)) => {
                let nyse = calendar.exchange() == Exchange::Nyse;
                ExchangeDay {
                    date: date.to_string(),
                    closed: None,
                    session: nyse.then(|| {
                        (
                            local(day.regular.open_local),
                            LocalTime {
                                hour: (NYSE_CLOSE_MINUTES / 60) as u8,
                                minute: 0,
                            },
                        )
                    }),
                    early_by: if nyse && day.early_close.is_some() {
                        NYSE_CLOSE_MINUTES.saturating_sub(minutes(day.regular.close_local))
                    } else {
                        0
                    },
                }
            }
            Ok(None) => ExchangeDay {
                date: date.to_string(),
                closed: Some(
                    calendar
                        .closure(date)
                        .map_or("a weekend".to_string(), |c| c.name().to_string()),
                ),
                session: None,
                early_by: 0,
            },
            Err(_) => return None,
        };
        Some(day)
    }

    /// Moves to `ts` (non-decreasing) and says whether a new day or session began.
    pub(crate) fn advance(&mut self, ts: Timestamp) -> Roll {
        let now = ts.nanos();
        let first = self.last.is_none();
        let gap = self.last.is_some_and(|l| now - l >= SESSION_GAP_NANOS);
        let new_day = now >= self.day_end;
        if new_day {
            self.day_end = self.next_midnight(ts);
            if self.calendar.is_some() {
                self.today = self.exchange_day(ts);
            }
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
