//! The NYSE's holiday and early-close rules (Nasdaq keeps the same calendar), derived
//! from the rules rather than listed, plus the one-off closures since 2000.
//!
//! Holidays (NYSE Rule 7.2): a holiday on a Saturday is observed the Friday before, one
//! on a Sunday the Monday after — except New Year's Day: when January 1 is a Saturday
//! the exchange stays open on Friday December 31 (the end of an accounting year).
//!
//! Early closes (13:00 ET, from 1993; before 1993 the rules differed and are not
//! modelled):
//! - the day after Thanksgiving;
//! - Christmas Eve when it is a Monday to Thursday (a Friday Dec 24 is the observed
//!   Christmas holiday);
//! - around Independence Day: July 3 when it is a Monday, Tuesday or Thursday (July 4 on
//!   a Tuesday, Wednesday or Friday); when July 4 is a Thursday, Wednesday July 3 from
//!   2013 on, Friday July 5 before 2013 (1995–2012). When July 4 is a Saturday, Friday
//!   July 3 is the observed holiday and Thursday July 2 is a full day; when it is a
//!   Sunday or Monday, there is no early close;
//! - one-off early closes: 1997-12-26, 1999-12-31, 2003-12-26.
//!
//! These are the definitions of the XNYS calendar of `exchange_calendars` and the NYSE
//! calendar of `pandas_market_calendars`, checked against the NYSE's published
//! holiday lists (see the test fixture `nyse_2000_2030.txt`).

use jiff::civil::{Date, Weekday};

/// Why the NYSE is shut on a weekday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closure {
    NewYearsDay,
    MartinLutherKingDay,
    WashingtonsBirthday,
    GoodFriday,
    MemorialDay,
    Juneteenth,
    IndependenceDay,
    LaborDay,
    Thanksgiving,
    Christmas,
    /// A one-off closure (a national day of mourning, a storm, September 11).
    OneOff(&'static str),
}

impl Closure {
    /// The holiday's name, as the NYSE publishes it.
    pub fn name(self) -> &'static str {
        match self {
            Closure::NewYearsDay => "New Year's Day",
            Closure::MartinLutherKingDay => "Martin Luther King, Jr. Day",
            Closure::WashingtonsBirthday => "Washington's Birthday",
            Closure::GoodFriday => "Good Friday",
            Closure::MemorialDay => "Memorial Day",
            Closure::Juneteenth => "Juneteenth National Independence Day",
            Closure::IndependenceDay => "Independence Day",
            Closure::LaborDay => "Labor Day",
            Closure::Thanksgiving => "Thanksgiving Day",
            Closure::Christmas => "Christmas Day",
            Closure::OneOff(why) => why,
        }
    }
}

/// Why the NYSE closes its regular session at 13:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarlyClose {
    IndependenceDay,
    DayAfterThanksgiving,
    ChristmasEve,
    /// A one-off early close.
    OneOff(&'static str),
}

impl EarlyClose {
    /// What the early close is for.
    pub fn name(self) -> &'static str {
        match self {
            EarlyClose::IndependenceDay => "Independence Day early close",
            EarlyClose::DayAfterThanksgiving => "day after Thanksgiving early close",
            EarlyClose::ChristmasEve => "Christmas Eve early close",
            EarlyClose::OneOff(why) => why,
        }
    }
}

/// Whole-day closures that no rule gives.
const ONE_OFF_CLOSURES: &[((i16, i8, i8), &str)] = &[
    ((2001, 9, 11), "September 11 attacks"),
    ((2001, 9, 12), "September 11 attacks"),
    ((2001, 9, 13), "September 11 attacks"),
    ((2001, 9, 14), "September 11 attacks"),
    ((2004, 6, 11), "National day of mourning for Ronald Reagan"),
    ((2007, 1, 2), "National day of mourning for Gerald Ford"),
    ((2012, 10, 29), "Hurricane Sandy"),
    ((2012, 10, 30), "Hurricane Sandy"),
    (
        (2018, 12, 5),
        "National day of mourning for George H. W. Bush",
    ),
    ((2025, 1, 9), "National day of mourning for Jimmy Carter"),
];

/// Early closes that no rule gives.
const ONE_OFF_EARLY_CLOSES: &[((i16, i8, i8), &str)] = &[
    ((1997, 12, 26), "day after Christmas early close"),
    ((1999, 12, 31), "millennium eve early close"),
    ((2003, 12, 26), "day after Christmas early close"),
];

fn same_day(date: Date, (y, m, d): (i16, i8, i8)) -> bool {
    date.year() == y && date.month() == m && date.day() == d
}

/// Easter Sunday of `year` by the Gregorian computus (the anonymous algorithm of
/// Meeus/Jones/Butcher).
pub fn easter(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// The `nth` `weekday` of a month (negative: counted from the end).
fn nth(year: i16, month: i8, nth: i8, weekday: Weekday) -> Option<Date> {
    Date::new(year, month, 1)
        .ok()?
        .nth_weekday_of_month(nth, weekday)
        .ok()
}

/// A fixed-date holiday moved off the weekend: Saturday to Friday, Sunday to Monday.
/// Neither move leaves the year for the holidays this is used for (none is on Jan 1
/// or Dec 31).
fn observed(year: i16, month: i8, day: i8) -> Option<Date> {
    let date = Date::new(year, month, day).ok()?;
    match date.weekday() {
        Weekday::Saturday => date.yesterday().ok(),
        Weekday::Sunday => date.tomorrow().ok(),
        _ => Some(date),
    }
}

/// New Year's Day: a Sunday is observed Monday, a Saturday not at all.
fn new_years_day(year: i16) -> Option<Date> {
    let date = Date::new(year, 1, 1).ok()?;
    match date.weekday() {
        Weekday::Saturday => None,
        Weekday::Sunday => date.tomorrow().ok(),
        _ => Some(date),
    }
}

/// Every rule-derived holiday of `year`, as observed, in calendar order.
pub fn holidays(year: i16) -> Vec<(Date, Closure)> {
    let good_friday = easter(year)
        .and_then(|e| e.yesterday().ok())
        .and_then(|d| d.yesterday().ok());
    let candidates = [
        (new_years_day(year), Closure::NewYearsDay),
        (
            (year >= 1998)
                .then(|| nth(year, 1, 3, Weekday::Monday))
                .flatten(),
            Closure::MartinLutherKingDay,
        ),
        (
            nth(year, 2, 3, Weekday::Monday),
            Closure::WashingtonsBirthday,
        ),
        (good_friday, Closure::GoodFriday),
        (nth(year, 5, -1, Weekday::Monday), Closure::MemorialDay),
        (
            (year >= 2022).then(|| observed(year, 6, 19)).flatten(),
            Closure::Juneteenth,
        ),
        (observed(year, 7, 4), Closure::IndependenceDay),
        (nth(year, 9, 1, Weekday::Monday), Closure::LaborDay),
        (nth(year, 11, 4, Weekday::Thursday), Closure::Thanksgiving),
        (observed(year, 12, 25), Closure::Christmas),
    ];
    candidates
        .into_iter()
        .filter_map(|(date, why)| date.map(|d| (d, why)))
        .collect()
}

/// Why the NYSE is shut on `date`, a weekday; `None` when it trades. Weekends are not
/// closures in this sense (the exchange never trades on them).
pub fn closure(date: Date) -> Option<Closure> {
    if let Some((_, why)) = ONE_OFF_CLOSURES.iter().find(|(d, _)| same_day(date, *d)) {
        return Some(Closure::OneOff(why));
    }
    holidays(date.year())
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, why)| why)
}

/// Why the regular session of `date` ends at 13:00, if it does. `date` must be a
/// trading day (the caller checks); the rules alone say nothing of closures.
pub fn early_close(date: Date) -> Option<EarlyClose> {
    if let Some((_, why)) = ONE_OFF_EARLY_CLOSES
        .iter()
        .find(|(d, _)| same_day(date, *d))
    {
        return Some(EarlyClose::OneOff(why));
    }
    let year = date.year();
    if year < 1993 {
        return None;
    }
    let weekday = date.weekday();
    let (month, day) = (date.month(), date.day());
    let independence = match (month, day, weekday) {
        (7, 3, Weekday::Monday | Weekday::Tuesday | Weekday::Thursday) => year >= 1995,
        (7, 3, Weekday::Wednesday) => year >= 2013,
        (7, 5, Weekday::Friday) => (1995..2013).contains(&year),
        _ => false,
    };
    if independence {
        return Some(EarlyClose::IndependenceDay);
    }
    if month == 12 && day == 24 && !matches!(weekday, Weekday::Friday) {
        return Some(EarlyClose::ChristmasEve);
    }
    let thanksgiving = nth(year, 11, 4, Weekday::Thursday)?;
    if thanksgiving.tomorrow().ok() == Some(date) {
        return Some(EarlyClose::DayAfterThanksgiving);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_matches_known_years() {
        assert_eq!(easter(2000), Some(date(2000, 4, 23)));
        assert_eq!(easter(2008), Some(date(2008, 3, 23)));
        assert_eq!(easter(2011), Some(date(2011, 4, 24)));
        assert_eq!(easter(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter(2038), Some(date(2038, 4, 25)));
    }

    #[test]
    fn new_year_on_a_saturday_is_not_observed() {
        assert_eq!(new_years_day(2022), None);
        assert_eq!(new_years_day(2023), Some(date(2023, 1, 2)));
    }
}
