//! Specifications of the CLI's input handling: other CSV separators, the symbol taken
//! from a file name said out loud, a sane risk-free rate, and bar files refused as ticks.

mod common;

use common::{fail, ok, ok_with_stderr, tl, write_file};
use std::path::Path;

/// 30 daily bars, fields separated by `sep`.
fn bars(dir: &Path, name: &str, sep: &str) -> String {
    let mut s = ["Date", "Open", "High", "Low", "Close", "Volume"].join(sep) + "\n";
    let start = jiff::civil::date(2020, 1, 1);
    for i in 0..30i32 {
        let d = start.checked_add(jiff::Span::new().days(i)).unwrap();
        let c = 100.0 + f64::from(i % 7) - f64::from(i % 3);
        let row = [
            d.to_string(),
            format!("{c}"),
            format!("{}", c + 2.0),
            format!("{}", c - 2.0),
            format!("{c}"),
            "1000".into(),
        ];
        s += &(row.join(sep) + "\n");
    }
    write_file(dir, name, &s)
}

#[test]
fn backtests_and_inspects_a_semicolon_separated_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let semi = bars(d, "acme.csv", ";");
    let comma = bars(d, "acme_comma.csv", ",");
    let args = |f: &str| {
        vec![
            "backtest".to_string(),
            "--data".into(),
            f.into(),
            "--symbol".into(),
            "ACME".into(),
            "--strategy".into(),
            "sma_cross".into(),
            "--param".into(),
            "fast=2".into(),
            "--param".into(),
            "slow=5".into(),
        ]
    };
    let run = |f: &str| {
        let a = args(f);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(tl(d, &a))
    };
    assert_eq!(run(&semi), run(&comma));
    let inspect = |extra: &[&str]| {
        tl(
            d,
            &[&["data", "inspect", &semi, "--symbol", "ACME"][..], extra].concat(),
        )
    };
    let detected = ok(inspect(&[]));
    assert!(detected.contains("delimiter semicolon (;)"), "{detected}");
    let forced = ok(inspect(&["--delimiter", ";"]));
    assert!(forced.contains("delimiter semicolon (;)"), "{forced}");
    let e = fail(inspect(&["--delimiter", "comma"]));
    assert!(e.contains("pass --delimiter semicolon"), "{e}");
}

#[test]
fn says_which_symbol_was_taken_from_the_file_name_and_how_to_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = bars(d, "my_prices.csv", ",");
    let note = "note: my_prices.csv has no ticker/symbol column; its bars are filed under \
                symbol MY, taken from the file name; pass --symbol NAME to name them";
    for args in [
        vec!["backtest", "--data", &file, "--strategy", "buy_and_hold"],
        vec!["data", "inspect", &file],
        vec!["data", "import", &file],
    ] {
        let (_, err) = ok_with_stderr(&tl(d, &args));
        assert!(err.contains(note), "{args:?}: {err}");
    }
    let (_, err) = ok_with_stderr(&tl(
        d,
        &[
            "backtest",
            "--data",
            &file,
            "--symbol",
            "ACME",
            "--strategy",
            "buy_and_hold",
        ],
    ));
    assert!(!err.contains("taken from the file name"), "{err}");
}

#[test]
fn refuses_a_risk_free_rate_outside_plus_minus_100_percent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = bars(d, "acme.csv", ",");
    let base = ["backtest", "--data", &file, "--strategy", "buy_and_hold"];
    for bad in ["2", "-1.5", "inf", "NaN"] {
        let mut a = base.to_vec();
        a.extend(["--risk-free", bad]);
        let e = fail(tl(d, &a));
        assert!(e.contains("--risk-free"), "{bad}: {e}");
        assert!(e.contains("between -1 and 1"), "{bad}: {e}");
    }
    for good in ["0.02", "-0.01", "1"] {
        let mut a = base.to_vec();
        a.extend(["--risk-free", good]);
        ok(tl(d, &a));
    }
}

#[test]
fn refuses_a_bar_file_given_to_aggregate_as_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = bars(d, "acme.csv", ",");
    let out = d.join("out.csv").display().to_string();
    let e = fail(tl(
        d,
        &[
            "data",
            "aggregate",
            "--ticks",
            &file,
            "--timeframe",
            "1h",
            "--out",
            &out,
        ],
    ));
    assert!(e.contains("looks like a file of OHLC bars"), "{e}");
    assert!(e.contains("tradelab data import"), "{e}");
    assert!(!Path::new(&out).exists(), "no output for a refused file");
}
