//! When a live feed's bars close: on an exchange calendar (a stock's regular session,
//! crypto around the clock), or at the times of stored bars replayed as live. The feed
//! sleeps until a bar closes and never polls while the market is shut.

use tradelab_calendar::{Calendar, CalendarError};
use tradelab_core::{Timeframe, Timestamp};

/// How far ahead to look for the next trading day or session.
const HORIZON_DAYS: usize = 15;

/// The bar times of a live feed.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Bars of the exchange's regular session (every minute of the day for crypto).
    Calendar(Calendar),
    /// Bars that start at these instants (sorted, distinct): stored bars played live.
    Stored(Vec<Timestamp>),
}

/// One bar the feed expects: when it starts (its label) and when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedBar {
    pub start: Timestamp,
    pub close: Timestamp,
}

impl Schedule {
    /// The first bar starting at or after `cursor`, or `None` when there is none (the
    /// stored bars are used up, or the calendar has no session within two weeks).
    pub fn next_bar(
        &self,
        cursor: Timestamp,
        timeframe: Timeframe,
    ) -> Result<Option<ExpectedBar>, CalendarError> {
        match self {
            Schedule::Stored(starts) => {
                let i = starts.partition_point(|s| *s < cursor);
                Ok(starts.get(i).map(|&start| ExpectedBar {
                    start,
                    close: Timestamp::from_nanos(start.nanos() + timeframe.nanos()),
                }))
            }
            Schedule::Calendar(calendar) if timeframe == Timeframe::DAY => {
                next_trading_day(calendar, cursor)
            }
            Schedule::Calendar(calendar) => next_session_bar(calendar, cursor, timeframe),
        }
    }
}

/// The daily bar of the first trading day on or after `cursor`'s UTC date, closing
/// when its regular session closes.
fn next_trading_day(
    calendar: &Calendar,
    cursor: Timestamp,
) -> Result<Option<ExpectedBar>, CalendarError> {
    let mut date = cursor
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    if cursor.utc_midnight() < cursor {
        date = match date.tomorrow() {
            Ok(d) => d,
            Err(_) => return Ok(None),
        };
    }
    for _ in 0..HORIZON_DAYS {
        if let Some(day) = calendar.session(date)? {
            let Some(start) = date
                .at(0, 0, 0, 0)
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .ok()
                .and_then(|z| Timestamp::from_jiff(z.timestamp()))
            else {
                return Ok(None);
            };
            let Some(close) = Timestamp::from_jiff(day.regular.close) else {
                return Ok(None);
            };
            return Ok(Some(ExpectedBar { start, close }));
        }
        date = match date.tomorrow() {
            Ok(d) => d,
            Err(_) => return Ok(None),
        };
    }
    Ok(None)
}

/// The first intraday bar at or after `cursor` that starts inside a regular session,
/// closing at its end or at the session's close, whichever is first.
fn next_session_bar(
    calendar: &Calendar,
    cursor: Timestamp,
    timeframe: Timeframe,
) -> Result<Option<ExpectedBar>, CalendarError> {
    let mut start = align_up(cursor, timeframe);
    for _ in 0..HORIZON_DAYS * 2 {
        let instant = start.to_jiff();
        let date = instant
            .to_zoned_datetime(calendar.time_zone().clone())
            .date();
        if let Some(day) = calendar.session(date)?
            && day.regular.contains(instant)
        {
            let end = Timestamp::from_nanos(start.nanos() + timeframe.nanos());
            let close = Timestamp::from_jiff(day.regular.close).map_or(end, |c| c.min(end));
            return Ok(Some(ExpectedBar { start, close }));
        }
        let open = calendar.next_open(instant)?;
        let Some(open) = Timestamp::from_jiff(open) else {
            return Ok(None);
        };
        start = align_up(open, timeframe);
    }
    Ok(None)
}

/// The first bar boundary at or after `ts`.
pub fn align_up(ts: Timestamp, timeframe: Timeframe) -> Timestamp {
    let floor = timeframe.floor(ts);
    if floor == ts {
        ts
    } else {
        Timestamp::from_nanos(floor.nanos() + timeframe.nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::from_jiff(text.parse().expect("instant")).expect("in range")
    }

    fn nyse() -> Schedule {
        Schedule::Calendar(Calendar::new(tradelab_calendar::Exchange::Nyse).expect("calendar"))
    }

    #[test]
    fn a_minute_feed_waits_over_the_weekend_for_the_monday_open() {
        // Friday 2024-03-08 16:05 New York (EST, UTC-5): shut until Monday 09:30 (EDT
        // from Sunday, UTC-4).
        let bar = nyse()
            .next_bar(at("2024-03-08T21:05:00Z"), Timeframe::MINUTE)
            .expect("calendar")
            .expect("a bar");
        assert_eq!(bar.start, at("2024-03-11T13:30:00Z"));
        assert_eq!(bar.close, at("2024-03-11T13:31:00Z"));
    }

    #[test]
    fn a_minute_feed_skips_a_holiday_and_the_night() {
        // After the close on 2024-07-03 (an early close at 13:00) comes July 5th's open.
        let bar = nyse()
            .next_bar(at("2024-07-03T17:00:00Z"), Timeframe::MINUTE)
            .expect("calendar")
            .expect("a bar");
        assert_eq!(bar.start, at("2024-07-05T13:30:00Z"));
    }

    #[test]
    fn the_last_bar_of_an_early_close_day_closes_at_the_close() {
        let hourly = Timeframe::from_secs(3600).expect("1h");
        // 2024-11-29 closes at 13:00 New York (18:00 UTC): the 12:00 hourly bar is the
        // last, and the 13:30 bar of a normal day does not exist.
        let bar = nyse()
            .next_bar(at("2024-11-29T17:00:00Z"), hourly)
            .expect("calendar")
            .expect("a bar");
        assert_eq!(
            (bar.start, bar.close),
            (at("2024-11-29T17:00:00Z"), at("2024-11-29T18:00:00Z"))
        );
        let next = nyse()
            .next_bar(at("2024-11-29T18:00:00Z"), hourly)
            .expect("calendar")
            .expect("a bar");
        assert_eq!(
            next.start,
            at("2024-12-02T15:00:00Z"),
            "Monday's first whole hour"
        );
    }

    #[test]
    fn a_daily_feed_asks_for_the_bar_after_the_close_and_skips_closed_days() {
        // Thanksgiving 2024-11-28 is shut; the 29th closes early at 13:00 New York.
        let bar = nyse()
            .next_bar(at("2024-11-28T00:00:00Z"), Timeframe::DAY)
            .expect("calendar")
            .expect("a bar");
        assert_eq!(bar.start, at("2024-11-29T00:00:00Z"));
        assert_eq!(bar.close, at("2024-11-29T18:00:00Z"));
    }

    #[test]
    fn crypto_trades_every_minute_of_a_sunday() {
        let crypto = Schedule::Calendar(
            Calendar::new(tradelab_calendar::Exchange::Crypto).expect("calendar"),
        );
        let bar = crypto
            .next_bar(at("2024-03-10T03:07:30Z"), Timeframe::MINUTE)
            .expect("calendar")
            .expect("a bar");
        assert_eq!(bar.start, at("2024-03-10T03:08:00Z"));
    }

    #[test]
    fn stored_bars_are_played_at_their_own_times() {
        let starts = vec![at("2024-01-02T00:00:00Z"), at("2024-01-05T00:00:00Z")];
        let schedule = Schedule::Stored(starts);
        let bar = schedule
            .next_bar(at("2024-01-03T00:00:00Z"), Timeframe::DAY)
            .expect("schedule")
            .expect("a bar");
        assert_eq!(bar.start, at("2024-01-05T00:00:00Z"));
        assert!(
            schedule
                .next_bar(at("2024-01-06T00:00:00Z"), Timeframe::DAY)
                .expect("schedule")
                .is_none()
        );
    }
}
