//! Validation of bar rows: every message names the file and the line.

use tradelab_data::{BadRowPolicy, CsvOptions, ImportError, LoadedBars, SkippedRow, parse_bars};

fn parse(name: &str, text: &str) -> Result<LoadedBars, ImportError> {
    parse_bars(name, text.as_bytes(), &CsvOptions::default())
}

fn err(name: &str, text: &str) -> String {
    parse(name, text).unwrap_err().to_string()
}

fn skip(name: &str, text: &str) -> LoadedBars {
    let opts = CsvOptions {
        on_bad_row: BadRowPolicy::Skip,
        ..CsvOptions::default()
    };
    parse_bars(name, text.as_bytes(), &opts).unwrap()
}

const HEAD: &str = "date,open,high,low,close,volume\n";

#[test]
fn rejects_high_below_close_with_file_and_line() {
    let text = format!(
        "{HEAD}2020-01-02,10,11,9,10,1\n2020-01-03,10,11,9,10,1\n2020-01-06,10,11,9,10,1\n2020-01-07,10,10.2,9,10.5,1\n"
    );
    assert_eq!(
        err("prices.csv", &text),
        "prices.csv:5: high 10.2 is below close 10.5"
    );
}

#[test]
fn rejects_non_numeric_empty_and_nan_fields() {
    let bad = |row: &str| {
        err(
            "ticks.csv",
            &format!("{HEAD}2020-01-02,10,11,9,10,1\n{row}\n"),
        )
    };
    assert_eq!(
        bad("2020-01-03,10,11,9,abc,1"),
        "ticks.csv:3: close is \"abc\", not a number"
    );
    assert_eq!(bad("2020-01-03,,11,9,10,1"), "ticks.csv:3: open is empty");
    assert_eq!(
        bad("2020-01-03,10,NaN,9,10,1"),
        "ticks.csv:3: high is \"NaN\", not a finite number"
    );
    assert_eq!(
        bad("2020-01-03,10,11,9,10,inf"),
        "ticks.csv:3: volume is \"inf\", not a finite number"
    );
}

#[test]
fn rejects_impossible_bars() {
    let bad = |row: &str| err("p.csv", &format!("{HEAD}{row}\n"));
    assert_eq!(
        bad("2020-01-03,0,11,9,10,1"),
        "p.csv:2: open is 0; prices must be > 0"
    );
    assert_eq!(
        bad("2020-01-03,10,11,-9,10,1"),
        "p.csv:2: low is -9; prices must be > 0"
    );
    assert_eq!(
        bad("2020-01-03,10,11,9,10,-5"),
        "p.csv:2: volume is -5; volume must be >= 0"
    );
    assert_eq!(
        bad("2020-01-03,12,11,9,10,1"),
        "p.csv:2: high 11 is below open 12"
    );
    assert_eq!(
        bad("2020-01-03,10,11,10.5,10.7,1"),
        "p.csv:2: low 10.5 is above open 10"
    );
}

#[test]
fn rejects_duplicate_timestamps_naming_the_first_line() {
    let text = "Ticker,Date,Open,High,Low,Close\n\
                MSFT,2020-01-02,1,1,1,1\n\
                AAPL,2020-01-02,1,1,1,1\n\
                AAPL,2020-01-03,1,1,1,1\n\
                MSFT,2020-01-03,1,1,1,1\n\
                MSFT,2020-01-06,1,1,1,1\n\
                AAPL,2020-01-06,1,1,1,1\n\
                AAPL,2020-01-03,2,2,2,2\n\
                AAPL,2020-01-03,3,3,3,3\n";
    assert_eq!(
        err("bars.csv", text),
        "bars.csv:8: duplicate timestamp 2020-01-03 for AAPL (first seen on line 4)"
    );
    let l = skip("bars.csv", text);
    assert_eq!(l.report.skipped.len(), 2);
    assert_eq!(l.report.skipped[1].line, 9);
    assert_eq!(
        l.series[0].bars()[1].close(),
        1.0,
        "the first row in file order is kept"
    );
    assert!(l.report.was_unsorted);
}

#[test]
fn names_the_flag_when_no_date_column_is_found() {
    assert_eq!(
        err("bars.csv", "day,open,high,low,close\n2020-01-03,1,1,1,1\n"),
        "bars.csv: cannot find a date column (looked for date, datetime, timestamp, time, or an \
         unnamed first column; the columns are \"day\", \"open\", \"high\", \"low\", \"close\"); \
         pass --date-column NAME"
    );
    let opts = CsvOptions {
        date_column: Some("when".into()),
        ..CsvOptions::default()
    };
    let e = parse_bars("bars.csv", b"day,open,high,low,close\n", &opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bars.csv: --date-column \"when\" is not a column; the columns are \"day\", \"open\", \
         \"high\", \"low\", \"close\""
    );
}

#[test]
fn names_the_flag_for_unknown_date_formats() {
    assert_eq!(
        err(
            "bars.csv",
            &format!("{HEAD}2020-01-02,1,1,1,1,1\n2020/13/45,1,1,1,1,1\n")
        ),
        "bars.csv:3: date \"2020/13/45\" matches no known format; pass --date-format (strftime, \
         e.g. %d.%m.%Y)"
    );
    assert_eq!(
        err("bars.csv", &format!("{HEAD}2020-02-30,1,1,1,1,1\n")),
        "bars.csv:2: date \"2020-02-30\" is not a valid date or time"
    );
}

#[test]
fn never_guesses_day_first_dates() {
    assert_eq!(
        err(
            "eu.csv",
            &format!("{HEAD}12/01/2020,1,1,1,1,1\n13/01/2020,1,1,1,1,1\n")
        ),
        "eu.csv:3: date \"13/01/2020\" has no month 13: dates with slashes are read as M/D/YYYY \
         (US, month first); pass --date-format %d/%m/%Y for day-first dates"
    );
    let opts = CsvOptions {
        date_format: Some("%d/%m/%Y".into()),
        ..CsvOptions::default()
    };
    let l = parse_bars(
        "eu.csv",
        format!("{HEAD}13/01/2020,1,1,1,1,1\n").as_bytes(),
        &opts,
    )
    .unwrap();
    assert_eq!(l.series[0].bars()[0].ts().date_string(), "2020-01-13");
}

#[test]
fn rejects_rows_with_the_wrong_number_of_fields() {
    assert_eq!(
        err("b.csv", &format!("{HEAD}2020-01-02,1,1,1,1\n")),
        "b.csv:2: expected 6 fields like the header, found 5"
    );
}

#[test]
fn rejects_empty_files_and_headers_without_rows() {
    assert_eq!(
        err("e.csv", ""),
        "e.csv: the file is empty (no header, no rows)"
    );
    assert_eq!(
        err("e.csv", HEAD),
        "e.csv: the file has a header but no data rows"
    );
}

#[test]
fn rejects_a_file_name_that_is_no_symbol() {
    assert_eq!(
        err("my data.csv", &format!("{HEAD}2020-01-02,1,1,1,1,1\n")),
        "my data.csv: no ticker/symbol column, and the file name gives no symbol (symbol \"MY \
         DATA\" contains ' '; allowed are letters, digits and . - _ / : ^ =); pass --symbol"
    );
}

#[test]
fn skip_policy_counts_and_explains_every_skipped_row() {
    let text = format!(
        "{HEAD}2020-01-02,1,1,1,1,1\n2020-01-03,x,1,1,1,1\n\n2020-01-06,1,1,1,1\n2020-01-07,1,1,1,1,1\n2020-01-07,2,2,2,2,2\n"
    );
    let l = skip("s.csv", &text);
    assert_eq!(l.report.rows_read, 5);
    assert_eq!(l.report.bars, 2);
    assert_eq!(
        l.report.skipped,
        vec![
            SkippedRow {
                line: 3,
                reason: "open is \"x\", not a number".into()
            },
            SkippedRow {
                line: 5,
                reason: "expected 6 fields like the header, found 5".into()
            },
            SkippedRow {
                line: 7,
                reason: "duplicate timestamp 2020-01-07 for S (first seen on line 6)".into()
            },
        ]
    );
}

#[test]
fn sorts_unsorted_rows_stably_and_says_so() {
    let l = parse(
        "u.csv",
        &format!("{HEAD}2020-01-06,3,3,3,3,0\n2020-01-02,1,1,1,1,0\n2020-01-03,2,2,2,2,0\n"),
    )
    .unwrap();
    let closes: Vec<f64> = l.series[0].bars().iter().map(|b| b.close()).collect();
    assert_eq!(closes, [1.0, 2.0, 3.0]);
    assert!(l.report.was_unsorted);
    let l = parse(
        "u.csv",
        &format!("{HEAD}2020-01-02,1,1,1,1,0\n2020-01-03,2,2,2,2,0\n"),
    )
    .unwrap();
    assert!(!l.report.was_unsorted);
}

#[test]
fn reports_the_first_bad_row_in_file_order_across_parallel_chunks() {
    // > 1 MiB so the fast path splits the file; bad rows in both halves.
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..40_000 {
        let close = if i == 30_000 || i == 39_000 {
            "oops"
        } else {
            "10.5"
        };
        text += &format!("{},10,11,9,{close},100\n", 1_600_000_000 + i * 60);
    }
    assert!(text.len() > 1 << 20);
    let e = parse_bars(
        "big.csv",
        text.as_bytes(),
        &CsvOptions {
            symbol: Some("B".parse().unwrap()),
            ..CsvOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "big.csv:30002: close is \"oops\", not a number"
    );
    let l = parse_bars(
        "big.csv",
        text.as_bytes(),
        &CsvOptions {
            symbol: Some("B".parse().unwrap()),
            on_bad_row: BadRowPolicy::Skip,
            ..CsvOptions::default()
        },
    )
    .unwrap();
    let lines: Vec<usize> = l.report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [30_002, 39_002]);
    assert_eq!(l.report.bars, 39_998);
}
