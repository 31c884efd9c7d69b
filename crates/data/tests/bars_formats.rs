//! Layout and date-format detection of bar CSV files.

use std::io::Write;
use tradelab_core::{BarSeries, Symbol, Timestamp};
use tradelab_data::{CsvOptions, ImportError, LoadedBars, load_bars, parse_bars};

fn parse(name: &str, text: &str) -> Result<LoadedBars, ImportError> {
    parse_bars(name, text.as_bytes(), &CsvOptions::default())
}

fn ts(s: &str) -> Timestamp {
    Timestamp::from_jiff(s.parse().unwrap()).unwrap()
}

fn only(l: &LoadedBars) -> &BarSeries {
    assert_eq!(l.series.len(), 1, "expected one series");
    &l.series[0]
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[test]
fn reads_long_format_with_ticker_column_into_series_sorted_by_symbol() {
    let l = load_bars(
        format!("{FIXTURES}/stocks_aapl_msft.csv").as_ref(),
        &CsvOptions::default(),
    )
    .unwrap();
    let syms: Vec<&str> = l.series.iter().map(|s| s.symbol().as_str()).collect();
    assert_eq!(syms, ["AAPL", "MSFT"]);
    assert_eq!(l.series[0].len(), 20);
    let b = l.series[0].bars()[0];
    assert_eq!(b.ts(), ts("2000-03-01T00:00:00Z"));
    assert_eq!(
        (b.open(), b.high(), b.low(), b.close()),
        (118.56, 132.06, 118.5, 130.31)
    );
    assert_eq!(b.volume(), 9_616_100.0);
    assert!(l.report.daily);
    assert!(!l.report.was_unsorted);
    assert_eq!(l.report.rows_read, 40);
    assert_eq!(l.report.bars, 40);
    assert!(
        l.report.columns.contains("symbol: \"Ticker\""),
        "{}",
        l.report.columns
    );
    assert!(
        l.report
            .columns
            .contains("ignored adjusted close: \"Adj Close\"")
    );
}

#[test]
fn recognises_adjclose_and_never_takes_it_for_close() {
    let l = load_bars(
        format!("{FIXTURES}/sp500_daily_head.csv").as_ref(),
        &CsvOptions::default(),
    )
    .unwrap();
    let s = only(&l);
    assert_eq!(s.symbol().as_str(), "SP500");
    assert_eq!(s.bars()[0].close(), 1455.219971);
    let e = parse(
        "x.csv",
        "date,open,high,low,adj close\n2020-01-02,1,2,1,1.5\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.csv: cannot find a close column (looked for close, c, last (an adjusted close is \
         never used in place of close); the columns are \"date\", \"open\", \"high\", \"low\", \
         \"adj close\"); rename the header"
    );
}

#[test]
fn detects_unnamed_first_column_as_date() {
    let l = parse(
        "GOOG_2004-2013.csv",
        ",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n",
    )
    .unwrap();
    let s = only(&l);
    assert_eq!(s.symbol().as_str(), "GOOG");
    assert_eq!(s.bars()[0].ts(), ts("2004-08-19T00:00:00Z"));
    assert!(
        l.report.columns.starts_with("date: unnamed column 1"),
        "{}",
        l.report.columns
    );
}

#[test]
fn reads_us_month_first_dates_in_any_column_order() {
    let l = load_bars(
        format!("{FIXTURES}/sp500_1min_head.csv").as_ref(),
        &CsvOptions::default(),
    )
    .unwrap();
    let b = only(&l).bars()[0];
    // Date,Open,Close,High,Low,Volume / 11/5/2019 9:30,3080.8,3080.49,3081.47,3080.3,0
    assert_eq!(b.ts(), ts("2019-11-05T09:30:00Z"));
    assert_eq!(
        (b.open(), b.high(), b.low(), b.close()),
        (3080.8, 3081.47, 3080.3, 3080.49)
    );
    assert!(!l.report.daily);
    assert!(
        l.report.columns.contains("US month first"),
        "{}",
        l.report.columns
    );
}

#[test]
fn reads_naive_times_in_the_given_time_zone() {
    let opts = CsvOptions {
        tz: jiff::tz::TimeZone::get("America/New_York").unwrap(),
        ..CsvOptions::default()
    };
    let text = "Date,Open,High,Low,Close\n11/5/2019 9:30,1,1,1,1\n7/1/2019 9:30,1,1,1,1\n";
    let l = parse_bars("spx.csv", text.as_bytes(), &opts).unwrap();
    let bars = only(&l).bars();
    assert_eq!(bars[0].ts(), ts("2019-07-01T13:30:00Z")); // EDT, sorted first
    assert_eq!(bars[1].ts(), ts("2019-11-05T14:30:00Z")); // EST
    assert!(l.report.was_unsorted);
}

#[test]
fn keeps_bare_dates_at_midnight_utc_whatever_the_time_zone() {
    let opts = CsvOptions {
        tz: jiff::tz::TimeZone::get("Asia/Tokyo").unwrap(),
        ..CsvOptions::default()
    };
    let l = parse_bars(
        "a.csv",
        b"date,open,high,low,close\n2020-01-03,1,1,1,1\n",
        &opts,
    )
    .unwrap();
    assert_eq!(only(&l).bars()[0].ts(), ts("2020-01-03T00:00:00Z"));
    assert!(l.report.daily);
}

#[test]
fn reads_iso_8601_with_offsets_and_z() {
    let text = "timestamp,open,high,low,close\n\
                2020-01-03T09:30:00-05:00,1,1,1,1\n\
                2020-01-03T15:00:00Z,1,1,1,1\n\
                2020-01-03 16:00:00.250+0100,1,1,1,1\n";
    let l = parse("a.csv", text).unwrap();
    let got: Vec<Timestamp> = only(&l).bars().iter().map(|b| b.ts()).collect();
    assert_eq!(
        got,
        [
            ts("2020-01-03T14:30:00Z"),
            ts("2020-01-03T15:00:00Z"),
            ts("2020-01-03T15:00:00.25Z")
        ]
    );
}

#[test]
fn reads_epoch_seconds_and_milliseconds_by_magnitude() {
    let text = "time,open,high,low,close\n1578000000,1,1,1,1\n1578000060000,1,1,1,1\n";
    let l = parse("a.csv", text).unwrap();
    let got: Vec<i64> = only(&l).bars().iter().map(|b| b.ts().nanos()).collect();
    assert_eq!(
        got,
        [1_578_000_000 * 1_000_000_000, 1_578_000_060 * 1_000_000_000]
    );
}

#[test]
fn combines_separate_date_and_time_columns() {
    let text =
        "Date,Time,Open,High,Low,Close,Volume\n2006-01-02,09:01:00,3602,3603,3597,3599,5699\n";
    let l = parse("fesx.csv", text).unwrap();
    assert_eq!(only(&l).bars()[0].ts(), ts("2006-01-02T09:01:00Z"));
    assert!(
        l.report
            .columns
            .starts_with("date: \"Date\" + time: \"Time\"")
    );
}

#[test]
fn handles_a_header_that_lacks_the_time_column_name() {
    // The backtrader FESX layout: the header has 7 names, every row 8 fields.
    let text = "Date,Open,High,Low,Close,Volume,OpenInterest\n\
                2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\n\
                2006-01-02,09:02:00,3600.00,3601.00,3598.00,3599.00,894,0\n";
    let l = parse("FESX_1min_2006-01.csv", text).unwrap();
    let s = only(&l);
    assert_eq!(s.symbol().as_str(), "FESX");
    let b = s.bars()[1];
    assert_eq!(b.ts(), ts("2006-01-02T09:02:00Z"));
    assert_eq!(
        (b.open(), b.high(), b.low(), b.close(), b.volume()),
        (3600.0, 3601.0, 3598.0, 3599.0, 894.0)
    );
    assert!(
        l.report.columns.contains("unnamed field 2"),
        "{}",
        l.report.columns
    );
}

#[test]
fn uses_a_custom_date_format() {
    let opts = CsvOptions {
        date_format: Some("%d.%m.%Y".into()),
        ..CsvOptions::default()
    };
    let l = parse_bars(
        "a.csv",
        b"Datum,Open,High,Low,Close\n03.01.2020,1,1,1,1\n",
        &CsvOptions {
            date_column: Some("datum".into()),
            ..opts
        },
    )
    .unwrap();
    assert_eq!(only(&l).bars()[0].ts(), ts("2020-01-03T00:00:00Z"));
    assert!(l.report.daily);
}

#[test]
fn uses_the_given_symbol_and_defaults_volume_to_zero() {
    let opts = CsvOptions {
        symbol: Some(Symbol::new("SPY").unwrap()),
        ..CsvOptions::default()
    };
    let l = parse_bars(
        "x_y.csv",
        b"date,close,low,high,open,extra\n2020-01-03,2,1,3,2,zz\n",
        &opts,
    )
    .unwrap();
    let s = only(&l);
    assert_eq!(s.symbol().as_str(), "SPY");
    assert_eq!(s.bars()[0].volume(), 0.0);
    assert_eq!(s.bars()[0].high(), 3.0);
    assert!(l.report.columns.contains("volume: none (0)"));
}

#[test]
fn matches_headers_case_insensitively_and_trimmed_with_bom_and_crlf() {
    let text = "\u{feff} DATE , OPEN ,High,low, Close ,VOLUME\r\n2020-01-03,1,2,0.5,1.5,10\r\n\r\n";
    let l = parse("b.csv", text).unwrap();
    assert_eq!(only(&l).bars()[0].low(), 0.5);
    assert_eq!(l.report.rows_read, 1);
}

#[test]
fn reads_quoted_fields() {
    let text = "\"date\",\"open\",\"high\",\"low\",\"close\",\"name\"\n\
                \"2020-01-03\",\"1\",\"2\",\"1\",\"1.5\",\"Apple, Inc.\"\n";
    let l = parse("q.csv", text).unwrap();
    assert_eq!(only(&l).bars()[0].close(), 1.5);
}

#[test]
fn loads_a_large_file_through_a_memory_map() {
    let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    writeln!(f, "timestamp,open,high,low,close,volume").unwrap();
    for i in 0..5000 {
        writeln!(
            f,
            "2020-01-03 {:02}:{:02}:00,10,11,9,10.5,{i}",
            i / 60 % 24,
            i % 60
        )
        .unwrap();
    }
    f.flush().unwrap();
    let opts = CsvOptions {
        symbol: Some(Symbol::new("T").unwrap()),
        ..CsvOptions::default()
    };
    // 5000 minutes wrap around the day: 1440 distinct times, the rest duplicates.
    let e = load_bars(f.path(), &opts).unwrap_err();
    assert_eq!(e.line(), Some(1442));
    assert!(
        e.to_string()
            .ends_with(":1442: duplicate timestamp 2020-01-03 for T (first seen on line 2)"),
        "{e}"
    );
    let e = load_bars(
        f.path(),
        &CsvOptions {
            on_bad_row: tradelab_data::BadRowPolicy::Skip,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(e.report.rows_read, 5000);
    assert_eq!(e.report.bars, 1440);
    assert_eq!(e.report.skipped.len(), 5000 - 1440);
}

#[test]
fn reports_a_missing_file_with_its_name() {
    let e = load_bars("/nonexistent/bars.csv".as_ref(), &CsvOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/bars.csv: cannot read the file"),
        "{e}"
    );
}

#[test]
fn refuses_a_file_that_is_not_text_without_printing_its_bytes() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(2_000).collect();
    let e = parse_bars("image.png", &binary, &CsvOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "image.png: the first line holds control characters: is this a CSV file?"
    );
    let latin1 = b"date,open,high,low,close,volume,caf\xe9\n2020-01-02,1,2,1,2,3,4\n";
    let e = parse_bars("latin1.csv", latin1, &CsvOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "latin1.csv: the first line is not UTF-8 text: is this a CSV file?"
    );
}

#[test]
fn refuses_prices_outside_the_ledger_range_naming_the_line() {
    let text = "date,open,high,low,close,volume\n2020-01-02,1,2,1,2,3\n\
                2020-01-03,1e300,1e300,1e300,1e300,3\n";
    let e = parse("huge.csv", text).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("huge.csv:3: open is 1e300; prices must be between 1e-10 and 1e15"),
        "{e}"
    );
}

#[test]
fn a_tick_file_read_as_bars_points_to_aggregation() {
    let text = "DateTime,Price,Volume\n2013-09-01 17:00:00.083,1640.25,8\n";
    let e = parse("es.csv", text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "es.csv: this looks like a file of ticks (the columns are \"DateTime\", \"Price\", \
         \"Volume\"), not bars; aggregate it into bars first: tradelab data aggregate --ticks \
         FILE --timeframe 1m --out BARS.csv"
    );
    let e = parse("x.csv", "date,high,low,close\n2020-01-02,2,1,1.5\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("x.csv: cannot find an open column (looked for open, o;"),
        "{e}"
    );
}
