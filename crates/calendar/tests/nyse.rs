//! The NYSE calendar against its published holidays and early closes, observed
//! holidays, one-off closures, sessions across daylight-saving changes.

use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use std::collections::BTreeMap;
use tradelab_calendar::{Calendar, Exchange, LocalTime};

fn nyse() -> Calendar {
    Calendar::new(Exchange::Nyse).expect("the bundled tzdb has America/New_York")
}

fn ts(text: &str) -> Timestamp {
    text.parse().expect("a test timestamp")
}

/// The reference table: date → (`closed` | `early`, name).
fn reference() -> BTreeMap<Date, (String, String)> {
    let text = include_str!("fixtures/nyse_2000_2030.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (day, rest) = line.split_once(' ').expect("DATE KIND NAME");
            let (kind, name) = rest.trim_start().split_once(' ').expect("KIND NAME");
            let day: Date = day.parse().expect("a fixture date");
            (day, (kind.to_string(), name.trim().to_string()))
        })
        .collect()
}

#[test]
fn every_weekday_from_2000_to_2030_matches_the_published_calendar() {
    let cal = nyse();
    let table = reference();
    assert!(table.len() > 300, "the fixture lists {} days", table.len());
    let mut day = date(2000, 1, 1);
    let mut mismatches = Vec::new();
    while day <= date(2030, 12, 31) {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            let got = match (cal.closure(day), cal.early_close(day)) {
                (Some(c), _) => Some(("closed".to_string(), c.name().to_string())),
                (None, Some(e)) => Some(("early".to_string(), e.name().to_string())),
                (None, None) => None,
            };
            let want = table.get(&day).cloned();
            if got != want {
                mismatches.push(format!("{day}: got {got:?}, want {want:?}"));
            }
            assert_eq!(cal.is_trading_day(day), cal.closure(day).is_none());
        }
        day = day.tomorrow().unwrap();
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn weekends_are_never_trading_days() {
    let cal = nyse();
    assert!(!cal.is_trading_day(date(2024, 11, 30)));
    assert!(!cal.is_trading_day(date(2024, 12, 1)));
    assert!(cal.session(date(2024, 12, 1)).unwrap().is_none());
}

#[test]
fn new_year_on_a_saturday_leaves_the_friday_before_a_trading_day() {
    let cal = nyse();
    assert!(cal.is_trading_day(date(2021, 12, 31)));
    assert!(cal.is_trading_day(date(2010, 12, 31)));
    assert!(cal.is_trading_day(date(2027, 12, 31)));
}

#[test]
fn sunday_holidays_are_observed_monday_and_saturday_ones_friday() {
    let cal = nyse();
    // Juneteenth 2022 fell on a Sunday.
    assert!(!cal.is_trading_day(date(2022, 6, 20)));
    // New Year's Day 2023 fell on a Sunday.
    assert!(!cal.is_trading_day(date(2023, 1, 2)));
    // Christmas 2021 and Independence Day 2020 fell on a Saturday.
    assert!(!cal.is_trading_day(date(2021, 12, 24)));
    assert!(!cal.is_trading_day(date(2020, 7, 3)));
    // And the Thursday before an observed July 3 is a full day.
    let july_2 = cal.session(date(2020, 7, 2)).unwrap().unwrap();
    assert_eq!(july_2.regular.close_local, LocalTime::hm(16, 0));
}

#[test]
fn juneteenth_is_a_holiday_from_2022_only() {
    let cal = nyse();
    assert!(cal.is_trading_day(date(2021, 6, 18)));
    assert!(!cal.is_trading_day(date(2024, 6, 19)));
    // 2027: June 19 is a Saturday, observed Friday June 18.
    assert!(!cal.is_trading_day(date(2027, 6, 18)));
}

#[test]
fn one_off_closures_are_shut() {
    let cal = nyse();
    for day in [
        date(2001, 9, 11),
        date(2001, 9, 12),
        date(2001, 9, 13),
        date(2001, 9, 14),
        date(2004, 6, 11),
        date(2007, 1, 2),
        date(2012, 10, 29),
        date(2012, 10, 30),
        date(2018, 12, 5),
        date(2025, 1, 9),
    ] {
        assert!(!cal.is_trading_day(day), "{day} should be closed");
        assert!(cal.closure(day).is_some());
    }
    assert!(cal.is_trading_day(date(2001, 9, 17)));
}

#[test]
fn an_early_close_ends_regular_trading_at_13_and_after_hours_at_17() {
    let cal = nyse();
    let day = cal.session(date(2024, 11, 29)).unwrap().unwrap();
    assert!(day.early_close.is_some());
    assert_eq!(day.regular.close_local, LocalTime::hm(13, 0));
    assert_eq!(day.regular.close, ts("2024-11-29T18:00:00Z"));
    let after = day.after.unwrap();
    assert_eq!(
        (after.open_local, after.close_local),
        (LocalTime::hm(13, 0), LocalTime::hm(17, 0))
    );
    let json = serde_json::to_value(&day).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "date": "2024-11-29",
            "regular": {"open": "09:30", "close": "13:00"},
            "pre": {"open": "04:00", "close": "09:30"},
            "after": {"open": "13:00", "close": "17:00"},
        })
    );
}

#[test]
fn the_open_is_14_30_utc_in_winter_and_13_30_utc_in_summer() {
    let cal = nyse();
    // 2024: DST began Sunday March 10 and ended Sunday November 3.
    let before = cal.session(date(2024, 3, 8)).unwrap().unwrap();
    let after = cal.session(date(2024, 3, 11)).unwrap().unwrap();
    assert_eq!(before.regular.open, ts("2024-03-08T14:30:00Z"));
    assert_eq!(after.regular.open, ts("2024-03-11T13:30:00Z"));
    let autumn_before = cal.session(date(2024, 11, 1)).unwrap().unwrap();
    let autumn_after = cal.session(date(2024, 11, 4)).unwrap().unwrap();
    assert_eq!(autumn_before.regular.close, ts("2024-11-01T20:00:00Z"));
    assert_eq!(autumn_after.regular.close, ts("2024-11-04T21:00:00Z"));
    assert_eq!(autumn_after.pre.unwrap().open, ts("2024-11-04T09:00:00Z"));
}

#[test]
fn is_open_covers_the_regular_session_only() {
    let cal = nyse();
    assert!(!cal.is_open(ts("2024-07-03T13:29:59Z")).unwrap());
    assert!(cal.is_open(ts("2024-07-03T13:30:00Z")).unwrap());
    assert!(cal.is_open(ts("2024-07-03T16:59:59Z")).unwrap());
    assert!(!cal.is_open(ts("2024-07-03T17:00:00Z")).unwrap());
    assert!(!cal.is_open(ts("2024-07-04T15:00:00Z")).unwrap());
}

#[test]
fn next_open_skips_holidays_and_weekends() {
    let cal = nyse();
    // Wednesday before Thanksgiving, after the close → Friday 09:30 ET.
    assert_eq!(
        cal.next_open(ts("2024-11-27T22:00:00Z")).unwrap(),
        ts("2024-11-29T14:30:00Z")
    );
    // Before the open the same day → that day's open.
    assert_eq!(
        cal.next_open(ts("2024-11-25T12:00:00Z")).unwrap(),
        ts("2024-11-25T14:30:00Z")
    );
    // After September 11 2001: the market reopened Monday September 17.
    assert_eq!(
        cal.next_open(ts("2001-09-11T12:00:00Z")).unwrap(),
        ts("2001-09-17T13:30:00Z")
    );
}

#[test]
fn trading_days_lists_thanksgiving_week_without_thursday() {
    let cal = nyse();
    let days = cal
        .trading_days(date(2024, 11, 25), date(2024, 12, 1))
        .unwrap();
    let dates: Vec<String> = days.iter().map(|d| d.date.to_string()).collect();
    assert_eq!(
        dates,
        ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29"]
    );
}

#[test]
fn a_reversed_range_is_refused() {
    assert!(
        nyse()
            .trading_days(date(2024, 2, 1), date(2024, 1, 1))
            .is_err()
    );
}
