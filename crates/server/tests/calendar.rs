//! `GET /api/v1/calendar`: an exchange's trading days and sessions, for signed-in
//! callers; bad input is a problem naming the field.

mod common;

use reqwest::StatusCode;
use serde_json::json;

server_test!(
    thanksgiving_week_2024_skips_thursday_and_closes_friday_early,
    |srv| {
        let amy = srv.user("amy@x.io").await;
        let (s, days) = amy
            .get("/calendar?exchange=nyse&from=2024-11-25&to=2024-11-29")
            .await;
        assert_eq!(s, StatusCode::OK, "{days}");
        let dates: Vec<&str> = days
            .as_array()
            .expect("a list")
            .iter()
            .map(|d| d["date"].as_str().expect("date"))
            .collect();
        assert_eq!(
            dates,
            ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29"]
        );
        assert_eq!(
            days[3],
            json!({
                "date": "2024-11-29",
                "regular": {"open": "09:30", "close": "13:00"},
                "pre": {"open": "04:00", "close": "09:30"},
                "after": {"open": "13:00", "close": "17:00"},
            })
        );
    }
);

server_test!(crypto_trades_on_weekends_without_extended_sessions, |srv| {
    let amy = srv.user("amy@x.io").await;
    let (s, days) = amy
        .get("/calendar?exchange=crypto&from=2024-11-30&to=2024-12-01")
        .await;
    assert_eq!(s, StatusCode::OK, "{days}");
    assert_eq!(
        days,
        json!([
            {"date": "2024-11-30", "regular": {"open": "00:00", "close": "24:00"}},
            {"date": "2024-12-01", "regular": {"open": "00:00", "close": "24:00"}},
        ])
    );
});

server_test!(bad_input_is_a_problem_naming_the_field, |srv| {
    let amy = srv.user("amy@x.io").await;
    for (query, field) in [
        ("from=2024-13-01", "from"),
        ("from=2024-01-01&to=someday", "to"),
        ("exchange=lse", "exchange"),
        ("from=2024-02-01&to=2024-01-01", "to"),
        ("from=2020-01-01&to=2024-01-01", "to"),
        ("bogus=1", "query"),
    ] {
        let (s, problem) = amy.get(&format!("/calendar?{query}")).await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::BAD_REQUEST,
            "{query}: {s}"
        );
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
});

server_test!(the_calendar_needs_a_signed_in_caller, |srv| {
    let (s, _) = srv
        .anonymous()
        .get("/calendar?from=2024-11-25&to=2024-11-29")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});
