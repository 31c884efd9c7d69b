//! `tradelab calendar`: trading days with their sessions, as a table or JSON.

mod common;

use common::{fail, ok, tradelab};

#[test]
fn thanksgiving_week_2024_in_json_skips_thursday_and_closes_friday_at_13() {
    let out = ok(tradelab(&[
        "calendar",
        "--from",
        "2024-11-25",
        "--to",
        "2024-11-29",
        "--output",
        "json",
    ]));
    let days: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let dates: Vec<&str> = days
        .as_array()
        .expect("a list of days")
        .iter()
        .map(|d| d["date"].as_str().expect("a date"))
        .collect();
    assert_eq!(
        dates,
        ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29"]
    );
    assert_eq!(
        days[3],
        serde_json::json!({
            "date": "2024-11-29",
            "regular": {"open": "09:30", "close": "13:00"},
            "pre": {"open": "04:00", "close": "09:30"},
            "after": {"open": "13:00", "close": "17:00"},
        })
    );
    assert_eq!(
        days[0]["regular"],
        serde_json::json!({"open": "09:30", "close": "16:00"})
    );
}

#[test]
fn the_table_marks_early_closes() {
    let out = ok(tradelab(&[
        "calendar",
        "--from",
        "2024-12-23",
        "--to",
        "2024-12-27",
    ]));
    let christmas_eve = out
        .lines()
        .find(|l| l.starts_with("2024-12-24"))
        .expect("Christmas Eve trades");
    assert!(christmas_eve.contains("09:30–13:00"), "{christmas_eve}");
    assert!(
        christmas_eve.contains("Christmas Eve early close"),
        "{christmas_eve}"
    );
    assert!(!out.contains("2024-12-25"), "{out}");
}

#[test]
fn crypto_lists_weekends_too() {
    let out = ok(tradelab(&[
        "calendar",
        "--exchange",
        "crypto",
        "--from",
        "2024-11-30",
        "--to",
        "2024-12-01",
        "--output",
        "json",
    ]));
    let days: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(days.as_array().map(Vec::len), Some(2));
}

#[test]
fn a_bad_from_date_is_refused_naming_the_flag() {
    let err = fail(tradelab(&["calendar", "--from", "2024-13-01"]));
    assert!(err.contains("--from \"2024-13-01\" is not a date"), "{err}");
    let err = fail(tradelab(&[
        "calendar",
        "--from",
        "2024-12-01",
        "--to",
        "2024-11-01",
    ]));
    assert!(
        err.contains("--from 2024-12-01 is after --to 2024-11-01"),
        "{err}"
    );
}
