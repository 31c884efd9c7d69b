//! Crypto trades every day, around the clock, on UTC days.

use jiff::civil::date;
use tradelab_calendar::{Calendar, Exchange, LocalTime};

#[test]
fn crypto_trades_every_day_of_the_year_including_holidays() {
    let cal = Calendar::new(Exchange::Crypto).unwrap();
    let days = cal
        .trading_days(date(2024, 1, 1), date(2024, 12, 31))
        .unwrap();
    assert_eq!(days.len(), 366);
    assert!(cal.is_trading_day(date(2024, 12, 25)));
    assert!(cal.closure(date(2024, 12, 25)).is_none());
}

#[test]
fn a_crypto_day_is_one_session_from_00_00_to_24_00_utc() {
    let cal = Calendar::new(Exchange::Crypto).unwrap();
    let day = cal.session(date(2024, 3, 10)).unwrap().unwrap();
    assert_eq!(day.regular.open_local, LocalTime::MIDNIGHT);
    assert_eq!(day.regular.close_local, LocalTime::END_OF_DAY);
    assert_eq!(day.regular.open, "2024-03-10T00:00:00Z".parse().unwrap());
    assert_eq!(day.regular.close, "2024-03-11T00:00:00Z".parse().unwrap());
    assert!(day.pre.is_none() && day.after.is_none());
    assert_eq!(
        serde_json::to_value(&day).unwrap(),
        serde_json::json!({"date": "2024-03-10", "regular": {"open": "00:00", "close": "24:00"}})
    );
    assert!(
        cal.is_open("2024-12-25T03:00:00Z".parse().unwrap())
            .unwrap()
    );
}

#[test]
fn exchange_names_parse_and_nasdaq_is_nyse() {
    assert_eq!("NYSE".parse::<Exchange>().unwrap(), Exchange::Nyse);
    assert_eq!("nasdaq".parse::<Exchange>().unwrap(), Exchange::Nyse);
    assert_eq!("crypto".parse::<Exchange>().unwrap(), Exchange::Crypto);
    assert!("lse".parse::<Exchange>().is_err());
}
