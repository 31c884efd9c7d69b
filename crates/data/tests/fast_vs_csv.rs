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
