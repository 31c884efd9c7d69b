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
