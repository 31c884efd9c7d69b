//! The fast path (no quotes, memchr/SWAR splitting, parallel chunks) and the `csv`
//! crate path (taken as soon as a quote appears) give identical results.

use proptest::prelude::*;
use tradelab_data::{BadRowPolicy, CsvOptions, parse_bars};

/// The same CSV with every field quoted, which forces the `csv`-crate path.
fn quoted(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => match b.strip_suffix('\r') {
                Some(b) => (b, "\r\n"),
                None => (b, "\n"),
            },
            None => (line, ""),
        };
        if body.is_empty() {
            out += nl;
            continue;
        }
        let fields: Vec<String> = body.split(',').map(|f| format!("\"{f}\"")).collect();
        out += &fields.join(",");
        out += nl;
    }
    out
}

fn both(text: &str, policy: BadRowPolicy) -> (String, String) {
    let opts = CsvOptions {
        on_bad_row: policy,
        ..CsvOptions::default()
    };
    let run = |t: &str| format!("{:?}", parse_bars("p.csv", t.as_bytes(), &opts));
    (run(text), run(&quoted(text)))
}

fn row() -> impl Strategy<Value = String> {
    let sym = prop::sample::select(vec!["AAPL", "MSFT", "X"]);
    let day = 1..28u32;
    let minute = prop::sample::select(vec!["", " 09:30", " 09:31:05", "T10:00:00.5"]);
    let price = prop::sample::select(vec![
        "10", "10.5", "11", "9.25", "abc", "", "-1", "1e1", "NaN",
    ]);
    let vol = prop::sample::select(vec!["0", "100", "-3", "12.5"]);
    (
        sym,
        day,
        minute,
        price.clone(),
        price.clone(),
        price.clone(),
        price,
        vol,
        0..20u8,
    )
        .prop_map(|(s, d, m, o, h, l, c, v, shape)| match shape {
            0 => String::new(),
            1 => format!("{s},2020-01-{d:02}{m},{o},{h}"),
            2 => format!("{s},2020-13-{d:02},{o},{h},{l},{c},{v}"),
            _ => format!("{s},2020-01-{d:02}{m},{o},{h},{l},{c},{v}"),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn fast_and_csv_paths_agree_on_generated_rows(
        rows in prop::collection::vec(row(), 1..40),
        crlf in any::<bool>(),
        trailing_newline in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("symbol,date,open,high,low,close,volume{nl}");
        text += &rows.join(nl);
        if trailing_newline {
            text += nl;
        }
        for policy in [BadRowPolicy::Error, BadRowPolicy::Skip] {
            let (fast, slow) = both(&text, policy);
            prop_assert_eq!(fast, slow);
        }
    }
}

#[test]
fn fast_and_csv_paths_agree_on_a_multi_chunk_file() {
    let mut text = String::from("symbol,date,open,high,low,close,volume\n");
    for i in 0..60_000 {
        let sym = ["AAPL", "MSFT"][i % 2];
        let close = if i % 7_001 == 0 { "x" } else { "10.5" };
        let day = i / 2;
        text += &format!("{sym},{},10,11,9,{close},{i}\n", 1_600_000_000 + day * 60);
        if i % 5_003 == 0 {
            text += "\n";
        }
    }
    assert!(text.len() > 1 << 20, "must be split into chunks");
    for policy in [BadRowPolicy::Error, BadRowPolicy::Skip] {
        let (fast, slow) = both(&text, policy);
        assert_eq!(fast, slow);
    }
}

/// Rows of the common `date,open,high,low,close[,volume]` layout, which the line
/// scanner reads in place (dates with a per-day cache, numbers by SWAR).
fn plain_row(volume: bool) -> impl Strategy<Value = String> {
    let date = prop::sample::select(vec![
        "2020-01-DD 09:30:00",
        "2020-01-DD 23:59:59",
        "2020-01-DDT10:00:00",
        "2020-01-DD",
        "2020-01-DD 9:30",
        "2020-01-DD 09:30",
        "2020-01-DD 24:00:00",
        "2020-01-DD 10:60:00",
        "2020-01-DD 23:59:60",
        "2020-01-DD 10:00:00Z",
        "2020-01-DD 10:00:00.5",
        " 2020-01-DD 10:00:00",
        "2020-01-DD 10:00:00 ",
        "2020-02-30 10:00:00",
        "2020-1-DD 10:00:00",
        "2020-01-DD 1a:00:00",
        "1/DD/2020 10:00",
        "",
    ]);
    let day = 1..4u32;
    let price = prop::sample::select(vec![
        "10",
        "10.5",
        "10.50",
        "011.25",
        "9.",
        ".5",
        "0.5",
        "12",
        "1234567",
        "12345678",
        "1234.5678",
        "10.000000001",
        "1e1",
        "-1",
        "+10",
        "",
        "abc",
        " 10",
        "10 ",
        "0",
        "NaN",
        "11.",
        "9.99",
    ]);
    let vol = prop::sample::select(vec!["0", "100", "-3", "12.5", "", "1e3", "99999999"]);
    (
        date,
        day,
        [price.clone(), price.clone(), price.clone(), price],
        vol,
        0..25u8,
    )
        .prop_map(move |(d, day, [o, h, l, c], v, shape)| {
            let d = d.replace("DD", &format!("{day:02}"));
            let tail = if volume {
                format!(",{v}")
            } else {
                String::new()
            };
            match shape {
                0 => String::new(),
                1 => format!("{d},{o},{h}"),
                2 => format!("{d},{o},{h},{l},{c}{tail},7"),
                3..=12 => format!("{d},10,11,9,10.5{tail}"),
                _ => format!("{d},{o},{h},{l},{c}{tail}"),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn fast_and_csv_paths_agree_on_plain_layout(
        rows in prop::collection::vec(plain_row(true), 1..40),
        short_rows in prop::collection::vec(plain_row(false), 1..20),
        crlf in any::<bool>(),
        trailing_newline in any::<bool>(),
        new_york in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        for (header, rows) in [
            ("date,open,high,low,close,volume", &rows),
            ("date,open,high,low,close", &short_rows),
        ] {
            let mut text = format!("{header}{nl}");
            text += &rows.join(nl);
            if trailing_newline {
                text += nl;
            }
            for policy in [BadRowPolicy::Error, BadRowPolicy::Skip] {
                let opts = CsvOptions {
                    on_bad_row: policy,
                    tz: if new_york {
                        jiff::tz::TimeZone::get("America/New_York").unwrap()
                    } else {
                        jiff::tz::TimeZone::UTC
                    },
                    ..CsvOptions::default()
                };
                let run = |t: &str| format!("{:?}", parse_bars("p.csv", t.as_bytes(), &opts));
                prop_assert_eq!(run(&text), run(&quoted(&text)));
            }
        }
    }
}

#[test]
fn fast_and_csv_paths_agree_on_a_large_plain_file() {
    let mut text = String::from("datetime,open,high,low,close,volume\n");
    for i in 0..40_000 {
        let (day, minute) = (1 + i / 1440, i % 1440);
        let (h, m) = (minute / 60, minute % 60);
        let close = match i % 9_973 {
            0 => "x".to_string(),
            1 => "3000.5e0".to_string(),
            _ => format!("{}.{:02}", 3000 + i % 7, i % 100),
        };
        text += &format!(
            "2021-03-{day:02} {h:02}:{m:02}:00,3010.00,3011,2990.5,{close},{}\n",
            i % 5000
        );
        if i % 7_001 == 0 {
            text += "\r\n";
        }
    }
    assert!(text.len() > 1 << 20, "must be split into chunks");
    for policy in [BadRowPolicy::Error, BadRowPolicy::Skip] {
        let (fast, slow) = both(&text, policy);
        assert_eq!(fast, slow);
    }
}
