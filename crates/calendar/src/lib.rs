//! Exchange calendars: which days an exchange trades, and when its sessions open and
//! close.
//!
//! Why: a backtest's sessions and daily-loss days, live scheduling (no polling while the
//! market is shut), `tradelab calendar` and `/api/v1/calendar` all need the same answer
//! to "is the market open, and until when". This crate gives it from the exchange's
//! rules — holidays derived from their definitions (observed days included), the
//! one-off closures, early closes — with the daylight-saving arithmetic left to jiff's
//! bundled time-zone database, so the answer does not depend on the host.
//!
//! - [`Exchange::Nyse`] (Nasdaq keeps the same calendar): America/New_York; pre-market
//!   04:00–09:30, regular 09:30–16:00, after-hours 16:00–20:00; on an early close the
//!   regular session ends at 13:00 and after-hours runs 13:00–17:00. The rules are in
//!   [`nyse`].
//! - [`Exchange::Crypto`]: every day, one regular session 00:00–24:00 UTC.
//!
//! It depends on no other tradelab crate, so the engine, runner, server and CLI can all
//! use it.

pub mod nyse;
mod session;

pub use nyse::{Closure, EarlyClose};
pub use session::{LocalTime, Session, TradingDay};

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An exchange whose calendar this crate knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exchange {
    /// The New York Stock Exchange; Nasdaq trades the same days and hours.
    Nyse,
    /// Crypto venues: every day, around the clock (UTC days).
    Crypto,
}

impl Exchange {
    /// Every exchange, in the order they are listed to people.
    pub const ALL: [Exchange; 2] = [Exchange::Nyse, Exchange::Crypto];

    /// The lowercase name used in flags, query strings and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Exchange::Nyse => "nyse",
            Exchange::Crypto => "crypto",
        }
    }

    /// The IANA name of the time zone of its sessions.
    pub fn time_zone_name(self) -> &'static str {
        match self {
            Exchange::Nyse => "America/New_York",
            Exchange::Crypto => "UTC",
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Exchange {
    type Err = CalendarError;

    /// `nyse` (or `nasdaq`, the same calendar) or `crypto`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "nyse" | "nasdaq" => Ok(Exchange::Nyse),
            "crypto" => Ok(Exchange::Crypto),
            _ => Err(CalendarError::UnknownExchange(s.to_string())),
        }
    }
}

/// What a calendar question can fail on.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown exchange {0:?}: use nyse (or nasdaq) or crypto")]
    UnknownExchange(String),
    #[error("the range starts on {from}, after its end {to}")]
    ReversedRange { from: Date, to: Date },
    #[error("the time zone {name} is not in the bundled database: {source}")]
    TimeZone {
        name: &'static str,
        #[source]
        source: jiff::Error,
    },
    #[error("{date} {time} cannot be placed on the {zone} clock: {source}")]
    OutOfRange {
        date: Date,
        time: LocalTime,
        zone: &'static str,
        #[source]
        source: jiff::Error,
    },
    #[error("no regular session opens in the {days} days after {after}")]
    NoOpenWithin { after: Timestamp, days: u32 },
}

/// The calendar of one exchange: its rules and its time zone.
#[derive(Clone, Debug)]
pub struct Calendar {
    exchange: Exchange,
    tz: TimeZone,
}

/// How far [`Calendar::next_open`] looks ahead; the longest NYSE closure since 1933 was
/// four weekdays (September 2001), so two weeks is ample.
const NEXT_OPEN_HORIZON_DAYS: u32 = 14;

impl Calendar {
    /// The calendar of `exchange`, its time zone from jiff's bundled database.
    pub fn new(exchange: Exchange) -> Result<Calendar, CalendarError> {
        let name = exchange.time_zone_name();
        let tz = TimeZone::get(name).map_err(|source| CalendarError::TimeZone { name, source })?;
        Ok(Calendar { exchange, tz })
    }

    /// The exchange this is the calendar of.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The time zone of its sessions.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Why the exchange does not trade on `date` although it is a weekday (a holiday
    /// or a one-off closure); `None` on trading days and weekends.
    pub fn closure(&self, date: Date) -> Option<Closure> {
        match self.exchange {
            Exchange::Crypto => None,
            Exchange::Nyse if is_weekend(date) => None,
            Exchange::Nyse => nyse::closure(date),
        }
    }

    /// Whether the exchange trades on `date` (a date on its own clock).
    pub fn is_trading_day(&self, date: Date) -> bool {
        match self.exchange {
            Exchange::Crypto => true,
            Exchange::Nyse => !is_weekend(date) && nyse::closure(date).is_none(),
        }
    }

    /// Why the regular session of `date` ends early, if it does (trading days only).
    pub fn early_close(&self, date: Date) -> Option<EarlyClose> {
        match self.exchange {
            Exchange::Crypto => None,
            Exchange::Nyse if self.is_trading_day(date) => nyse::early_close(date),
            Exchange::Nyse => None,
        }
    }

    /// The sessions of `date`, or `None` when the exchange does not trade that day.
    /// Fails only for dates too near the ends of jiff's range to place on a clock.
    pub fn session(&self, date: Date) -> Result<Option<TradingDay>, CalendarError> {
        if !self.is_trading_day(date) {
            return Ok(None);
        }
        let day = match self.exchange {
            Exchange::Crypto => TradingDay {
                exchange: self.exchange,
                date,
                regular: self.span(date, LocalTime::MIDNIGHT, LocalTime::END_OF_DAY)?,
                pre: None,
                after: None,
                early_close: None,
            },
            Exchange::Nyse => {
                let early = nyse::early_close(date);
                let (close, after_close) = match early {
                    Some(_) => (LocalTime::hm(13, 0), LocalTime::hm(17, 0)),
                    None => (LocalTime::hm(16, 0), LocalTime::hm(20, 0)),
                };
                let open = LocalTime::hm(9, 30);
                TradingDay {
                    exchange: self.exchange,
                    date,
                    pre: Some(self.span(date, LocalTime::hm(4, 0), open)?),
                    regular: self.span(date, open, close)?,
                    after: Some(self.span(date, close, after_close)?),
                    early_close: early,
                }
            }
        };
        Ok(Some(day))
    }

    /// The trading days from `from` to `to`, both included, with their sessions.
    pub fn trading_days(&self, from: Date, to: Date) -> Result<Vec<TradingDay>, CalendarError> {
        if from > to {
            return Err(CalendarError::ReversedRange { from, to });
        }
        let mut days = Vec::new();
        let mut date = from;
        loop {
            if let Some(day) = self.session(date)? {
                days.push(day);
            }
            if date >= to {
                break;
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        Ok(days)
    }

    /// Whether the regular session is open at `instant` (open included, close not).
    pub fn is_open(&self, instant: Timestamp) -> Result<bool, CalendarError> {
        let date = instant.to_zoned_datetime(self.tz.clone()).date();
        Ok(self
            .session(date)?
            .is_some_and(|day| day.regular.contains(instant)))
    }

    /// The first regular-session open at or after `instant`: `instant`'s own day when
    /// its session has not opened yet, else the next trading day's.
    pub fn next_open(&self, instant: Timestamp) -> Result<Timestamp, CalendarError> {
        let mut date = instant.to_zoned_datetime(self.tz.clone()).date();
        for _ in 0..=NEXT_OPEN_HORIZON_DAYS {
            if let Some(day) = self.session(date)?
                && day.regular.open >= instant
            {
                return Ok(day.regular.open);
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        Err(CalendarError::NoOpenWithin {
            after: instant,
            days: NEXT_OPEN_HORIZON_DAYS,
        })
    }

    /// A session of `date` from `open` to `close` on the exchange's clock.
    fn span(
        &self,
        date: Date,
        open: LocalTime,
        close: LocalTime,
    ) -> Result<Session, CalendarError> {
        Ok(Session {
            open_local: open,
            close_local: close,
            open: self.instant(date, open)?,
            close: self.instant(date, close)?,
        })
    }

    /// The instant `time` strikes on `date` on the exchange's clock (24:00: the next
    /// day's midnight).
    fn instant(&self, date: Date, time: LocalTime) -> Result<Timestamp, CalendarError> {
        let zone = self.exchange.time_zone_name();
        let out_of_range = |source| CalendarError::OutOfRange {
            date,
            time,
            zone,
            source,
        };
        let (day, hour, minute) = if time == LocalTime::END_OF_DAY {
            (date.tomorrow().map_err(out_of_range)?, 0, 0)
        } else {
            (date, time.hour(), time.minute())
        };
        day.at(hour, minute, 0, 0)
            .to_zoned_datetime(self.tz.clone())
            .map(|z| z.timestamp())
            .map_err(out_of_range)
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}
