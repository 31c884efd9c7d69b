//! Field separators other than the comma (detected or forced with `--delimiter`), the
//! symbol taken from a file name, and bar files handed to the tick reader.

use tradelab_data::{
    CsvOptions, Delimiter, ImportError, LoadedBars, TickOptions, parse_bars, parse_ticks,
    parse_ticks_with_report,
};

const COMMA: &str = "Date,Open,High,Low,Close,Volume\n\
2020-01-02,10.5,11,10,10.75,100\n\
2020-01-03,10.75,12,10.5,11.5,200\n\
2020-01-06,11.5,11.5,9.25,9.5,300\n";

fn with(sep: &str, text: &str) -> String {
    text.replace(',', sep)
}

fn parse(name: &str, text: &str, delimiter: Option<Delimiter>) -> Result<LoadedBars, ImportError> {
    let opts = CsvOptions {
        delimiter,
        ..CsvOptions::default()
    };
    parse_bars(name, text.as_bytes(), &opts)
}

#[test]
fn detects_semicolon_tab_and_pipe_separated_bar_files_on_the_fast_path() {
    let want = parse("x.csv", COMMA, None).unwrap();
    assert_eq!(want.report.delimiter, Delimiter::Comma);
    for (sep, d) in [
        (";", Delimiter::Semicolon),
        ("\t", Delimiter::Tab),
        ("|", Delimiter::Pipe),
    ] {
        let got = parse("x.csv", &with(sep, COMMA), None).unwrap_or_else(|e| panic!("{d:?}: {e}"));
        assert_eq!(got.series, want.series, "{d:?}");
        assert_eq!(got.report.delimiter, d);
        assert_eq!(got.report.columns, want.report.columns);
    }
}

#[test]
fn reads_quoted_semicolon_files_on_the_csv_crate_path_like_the_fast_path() {
    let want = parse("x.csv", COMMA, None).unwrap();
    // A quote anywhere sends the file to the csv-crate path.
    let quoted = with(";", COMMA).replace("2020-01-03", "\"2020-01-03\"");
    let got = parse("x.csv", &quoted, None).unwrap();
    assert_eq!(got.series, want.series);
    assert_eq!(got.report.delimiter, Delimiter::Semicolon);
    // And a bad row is reported on the same line by both paths.
    let bad = with(";", COMMA).replace("11.5;200", "abc;200");
    let fast = parse("x.csv", &bad, None).unwrap_err().to_string();
    let slow = parse("x.csv", &bad.replace("2020-01-02", "\"2020-01-02\""), None)
        .unwrap_err()
        .to_string();
    assert_eq!(fast, "x.csv:3: close is \"abc\", not a number");
    assert_eq!(slow, fast);
}

#[test]
fn forced_delimiter_overrides_detection() {
    // Forcing the separator the file does use reads it; forcing another one reads
    // the header as one column.
    let text = "Date;Open;High;Low;Close;Volume\n2020-01-02;1;2;0.5;1.5;10\n";
    let got = parse("x.csv", text, Some(Delimiter::Semicolon)).unwrap();
    assert_eq!(got.report.delimiter, Delimiter::Semicolon);
    assert_eq!(got.series[0].len(), 1);
    let e = parse("x.csv", text, Some(Delimiter::Comma))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "x.csv: split at comma (,) the header is one column, but it looks separated by \
         semicolon (;): pass --delimiter semicolon, or leave --delimiter out to detect it"
    );
}

#[test]
fn semicolon_file_with_a_date_column_no_longer_dead_ends() {
    // The file: `--date-column Date` used to be "not a column".
    let text = "Date;Open;High;Low;Close\n2020-01-02;1;2;0.5;1.5\n";
    let opts = CsvOptions {
        date_column: Some("Date".into()),
        ..CsvOptions::default()
    };
    let got = parse_bars("semi.csv", text.as_bytes(), &opts).unwrap();
    assert_eq!(got.series[0].len(), 1);
}

#[test]
fn reports_the_symbol_taken_from_the_file_name() {
    let got = parse("data/my_prices.csv", COMMA, None).unwrap();
    let (file, sym) = got.report.symbol_from_file_name.clone().unwrap();
    assert_eq!(file, "my_prices.csv");
    assert_eq!(sym.as_str(), "MY");
    let named = parse_bars(
        "data/my_prices.csv",
        COMMA.as_bytes(),
        &CsvOptions {
            symbol: Some(tradelab_core::Symbol::new("AAPL").unwrap()),
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(named.report.symbol_from_file_name, None);
    let long = "Date,Ticker,Open,High,Low,Close\n2020-01-02,AAPL,1,2,0.5,1.5\n";
    assert_eq!(
        parse("my_prices.csv", long, None)
            .unwrap()
            .report
            .symbol_from_file_name,
        None
    );
}

#[test]
fn reads_semicolon_separated_ticks() {
    let text =
        "DateTime;Price;Volume\n2013-09-01 17:00:00;1640.25;8\n2013-09-01 17:00:01;1640.5;2\n";
    let l = parse_ticks_with_report("t.csv", text.as_bytes(), &TickOptions::default()).unwrap();
    assert_eq!(l.ticks.len(), 2);
    assert_eq!(l.ticks[1].price, 1640.5);
    assert_eq!(l.report.delimiter, Delimiter::Semicolon);
}

#[test]
fn refuses_a_bar_file_given_as_ticks_and_points_to_import_and_backtest() {
    let e = parse_ticks("bars.csv", COMMA.as_bytes(), &TickOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("bars.csv: this looks like a file of OHLC bars"),
        "{e}"
    );
    assert!(e.contains("tradelab data import bars.csv"), "{e}");
    assert!(e.contains("tradelab backtest --data bars.csv"), "{e}");
}

#[test]
fn splits_large_semicolon_files_in_parallel_chunks_like_comma_files() {
    // Over 1 MiB, the fast path parses newline-aligned chunks on several threads.
    let mut comma = String::from("Date,Time,Open,High,Low,Close,Volume\n");
    for i in 0..40_000u32 {
        let (h, m) = (i / 60 % 24, i % 60);
        let day = 1 + i / 1440;
        let c = 100.0 + f64::from(i % 17) / 4.0;
        comma += &format!(
            "2020-01-{day:02},{h:02}:{m:02}:00,{c},{},{},{c},{}\n",
            c + 1.0,
            c - 1.0,
            i % 1000
        );
    }
    assert!(comma.len() > 1 << 20);
    let want = parse("big.csv", &comma, None).unwrap();
    let got = parse("big.csv", &with(";", &comma), None).unwrap();
    assert_eq!(got.report.delimiter, Delimiter::Semicolon);
    assert_eq!(got.series, want.series);
    assert_eq!(got.report.bars, 40_000);
}

/// What an import gave, with the separator set aside, to compare across separators.
fn outcome(text: &str, policy: tradelab_data::BadRowPolicy) -> String {
    let opts = CsvOptions {
        on_bad_row: policy,
        ..CsvOptions::default()
    };
    match parse_bars("p.csv", text.as_bytes(), &opts) {
        Ok(mut l) => {
            l.report.delimiter = Delimiter::Comma;
            format!("{l:?}")
        }
        Err(e) => format!("error: {e}"),
    }
}

/// Every field quoted (forces the csv-crate path), fields joined by `sep`.
fn quoted_with(sep: &str, comma_text: &str) -> String {
    comma_text
        .split('\n')
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                line.split(',')
                    .map(|f| format!("\"{f}\""))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn generated_row() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let price = prop::sample::select(vec!["10", "10.5", "11", "9.25", "abc", "", "-1", "1e1"]);
    (
        prop::sample::select(vec!["AAPL", "MSFT"]),
        1..28u32,
        prop::sample::select(vec!["", " 09:30", "T10:00:00.5"]),
        price.clone(),
        price.clone(),
        price.clone(),
        price,
        0..12u8,
    )
        .prop_map(|(s, d, m, o, h, l, c, shape)| match shape {
            0 => String::new(),
            1 => format!("{s},2020-01-{d:02}{m},{o},{h}"),
            _ => format!("{s},2020-01-{d:02}{m},{o},{h},{l},{c},100"),
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(100))]
    #[test]
    fn every_separator_gives_what_the_comma_gives_on_both_paths(
        rows in proptest::collection::vec(generated_row(), 1..30),
    ) {
        let text = format!("symbol,date,open,high,low,close,volume\n{}\n", rows.join("\n"));
        for policy in [tradelab_data::BadRowPolicy::Error, tradelab_data::BadRowPolicy::Skip] {
            let want = outcome(&text, policy);
            for sep in [";", "\t", "|"] {
                proptest::prop_assert_eq!(&outcome(&with(sep, &text), policy), &want, "fast path, {:?}", sep);
                proptest::prop_assert_eq!(&outcome(&quoted_with(sep, &text), policy), &want, "csv path, {:?}", sep);
            }
        }
    }
}
