//! How values read in tables: amounts with thousands separators from exact decimals,
//! percentages with their unit, RFC 3339 times, durations, one-line text. Every table
//! of the CLI formats through here, so one amount or time reads the same everywhere.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use tradelab_core::Timestamp;

/// Shown where a value is missing or not finite.
pub const NA: &str = "n/a";

/// Inserts `,` every three digits of an unsigned integer text.
fn group_digits(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A decimal with `dp` fixed decimals (`None`: as many as it has, trailing zeros
/// dropped), rounded half away from zero, with thousands separators. Exact: the
/// digits come from the decimal, never through a float.
pub fn decimal(d: Decimal, dp: Option<u32>) -> String {
    let shown = match dp {
        Some(dp) => d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
        None => d.normalize(),
    };
    let negative = shown.is_sign_negative() && !shown.is_zero();
    let text = match dp {
        Some(dp) => format!("{:.*}", dp as usize, shown.abs()),
        None => shown.abs().to_string(),
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{}", group_digits(int))
    } else {
        format!("{sign}{}.{frac}", group_digits(int))
    }
}

/// A money amount: two decimals, thousands separators, exact.
/// `amount(1e27)` is `1,000,000,000,000,000,000,000,000,000.00`.
pub fn amount(d: Decimal) -> String {
    decimal(d, Some(2))
}

/// A price or quantity: up to four decimals, thousands separators.
pub fn price(d: Decimal) -> String {
    decimal(
        d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero),
        None,
    )
}

/// The decimal a float was written from: its shortest round-trip digits (so
/// `1e27_f64` is `1000000000000000000000000000`, not the binary value
/// `1000000000000000013287555072`). `None` for values no decimal holds.
pub fn float_decimal(v: f64) -> Option<Decimal> {
    if !v.is_finite() {
        return None;
    }
    format!("{v}").parse::<Decimal>().ok()
}

/// A money amount held as a float (metrics): the digits it was written from, two
/// decimals, thousands separators.
pub fn amount_f64(v: f64) -> String {
    match float_decimal(v) {
        Some(d) => amount(d),
        None if v.is_finite() => {
            let text = format!("{:.2}", v.abs());
            let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
            let sign = if v < 0.0 { "-" } else { "" };
            format!("{sign}{}.{frac}", group_digits(int))
        }
        None => NA.to_string(),
    }
}

/// A plain number with `dp` decimals (ratios such as Sharpe), `n/a` when missing.
pub fn number(v: Option<f64>, dp: u32) -> String {
    match v.and_then(float_decimal) {
        Some(d) => decimal(d, Some(dp)),
        None => NA.to_string(),
    }
}

/// A plain number as written, rounded to at most four decimals: `252`, `5.5`.
pub fn plain(v: f64) -> String {
    match float_decimal(v) {
        Some(d) => price(d),
        None => NA.to_string(),
    }
}

/// A percentage with two decimals and its unit: `-15.65 %`; `n/a` when missing.
pub fn percent(v: Option<f64>) -> String {
    match v.and_then(float_decimal) {
        Some(d) => format!("{} %", decimal(d, Some(2))),
        None => NA.to_string(),
    }
}

/// A count with thousands separators.
pub fn count(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = group_digits(&n.unsigned_abs().to_string());
    if n < 0 { format!("-{digits}") } else { digits }
}

/// An instant as RFC 3339 in UTC, to the second: `2026-12-07T02:54:07Z`.
pub fn instant(ts: Timestamp) -> String {
    let secs = ts.nanos().div_euclid(1_000_000_000);
    jiff::Timestamp::from_second(secs).map_or_else(|_| ts.to_string(), |t| t.to_string())
}

/// A bar time: the RFC 3339 date alone for daily bars (midnight UTC), else the full
/// RFC 3339 time in UTC.
pub fn bar_time(ts: Timestamp) -> String {
    ts.display_auto()
}

/// An instant as a JSON string in RFC 3339 (full precision), for `--output json`.
pub fn json_time(ts: Timestamp) -> Value {
    Value::String(ts.to_string())
}

/// A duration in the largest units that matter: `3 d 4 h`, `2 h 5 min`, `45 s`.
pub fn duration(nanos: i64) -> String {
    let secs = nanos.unsigned_abs() / 1_000_000_000;
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    let text = if d > 0 {
        if h > 0 {
            format!("{d} d {h} h")
        } else {
            format!("{d} d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else if m > 0 {
        if s > 0 {
            format!("{m} min {s} s")
        } else {
            format!("{m} min")
        }
    } else {
        format!("{s} s")
    };
    if nanos < 0 { format!("-{text}") } else { text }
}

/// Text on one line of at most `max` characters: the first line, cut with `…` (and
/// saying how many lines were left out).
pub fn one_line(text: &str, max: usize) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim_end();
    let rest = lines.filter(|l| !l.trim().is_empty()).count();
    let mut shown: String = first.chars().take(max).collect();
    if first.chars().count() > max {
        shown.pop();
        shown.push('…');
    }
    if rest > 0 {
        shown.push_str(&format!(
            " (+{rest} more line{})",
            if rest == 1 { "" } else { "s" }
        ));
    }
    shown
}

/// A JSON scalar as a person reads it: strings without quotes, numbers rounded to
/// four decimals, `n/a` for null; objects and arrays as `key = value` lists.
pub fn json_text(v: &Value) -> String {
    match v {
        Value::Null => NA.to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => count(i),
            None => number(n.as_f64(), 4)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_string(),
        Value::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(", "),
        Value::Object(map) if map.is_empty() => "none".to_string(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} = {}", json_text(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A snake_case key as a label: `total_return_pct` → `Total return`, with the unit
/// the suffix names (`%`).
pub fn label(key: &str) -> String {
    let (stem, unit) = match key.strip_suffix("_pct") {
        Some(s) => (s, " (%)"),
        None => (key, ""),
    };
    let mut words = stem.replace('_', " ");
    if let Some(first) = words.get(0..1) {
        let upper = first.to_uppercase();
        words.replace_range(0..1, &upper);
    }
    format!("{words}{unit}")
}

/// Aligned `label  value` rows; an empty label leaves a blank line.
pub fn rows(rows: &[(String, String)]) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        if k.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("{k:<width$}  {v}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_are_exact_with_separators_and_cents() {
        assert_eq!(
            amount(d("1000000000000000000000000000")),
            "1,000,000,000,000,000,000,000,000,000.00"
        );
        assert_eq!(amount(d("1234567.005")), "1,234,567.01");
        assert_eq!(amount(d("-1234.5")), "-1,234.50");
        assert_eq!(amount(d("-0.001")), "0.00");
        assert_eq!(amount(d("999")), "999.00");
        assert_eq!(
            amount(Decimal::MAX),
            "79,228,162,514,264,337,593,543,950,335.00"
        );
    }

    #[test]
    fn float_amounts_show_the_digits_they_were_written_with() {
        assert_eq!(amount_f64(1e27), "1,000,000,000,000,000,000,000,000,000.00");
        assert_eq!(amount_f64(8435.45), "8,435.45");
        assert_eq!(amount_f64(f64::NAN), "n/a");
        let huge = amount_f64(-1e40);
        assert!(
            huge.starts_with("-10,000,000,") && huge.ends_with(".00"),
            "{huge}"
        );
    }

    #[test]
    fn prices_keep_up_to_four_decimals() {
        assert_eq!(price(d("1063.18550")), "1,063.1855");
        assert_eq!(price(d("50.50")), "50.5");
        assert_eq!(price(d("0.00001")), "0");
    }

    #[test]
    fn percentages_are_rounded_and_carry_their_unit() {
        assert_eq!(percent(Some(-5.348158545000004)), "-5.35 %");
        assert_eq!(percent(Some(-0.001)), "0.00 %");
        assert_eq!(percent(None), "n/a");
        assert_eq!(percent(Some(f64::INFINITY)), "n/a");
        assert_eq!(number(Some(-0.319590918337985), 4), "-0.3196");
        assert_eq!(plain(252.0), "252");
        assert_eq!(plain(5.123456), "5.1235");
    }

    #[test]
    fn times_are_rfc3339() {
        let day = Timestamp::from_nanos(960_940_800_000_000_000);
        assert_eq!(bar_time(day), "2000-06-14");
        assert_eq!(json_time(day), Value::String("2000-06-14T00:00:00Z".into()));
        let t = Timestamp::from_nanos(1_796_612_025_884_140_056);
        assert_eq!(instant(t), "2026-12-07T02:53:45Z");
    }

    #[test]
    fn durations_use_the_largest_units() {
        let s = 1_000_000_000;
        assert_eq!(duration(45 * s), "45 s");
        assert_eq!(duration(125 * s), "2 min 5 s");
        assert_eq!(duration(3 * 3600 * s), "3 h");
        assert_eq!(duration((2 * 86_400 + 4 * 3600 + 59) * s), "2 d 4 h");
    }

    #[test]
    fn text_is_cut_to_one_line() {
        assert_eq!(one_line("short", 10), "short");
        assert_eq!(one_line("abcdefghijkl", 5), "abcd…");
        assert_eq!(one_line("one\ntwo\nthree", 10), "one (+2 more lines)");
    }

    #[test]
    fn json_values_read_as_text() {
        let v: Value = serde_json::json!({"fast": "10", "level": 116.15000000001, "on": true});
        assert_eq!(json_text(&v), "fast = 10, level = 116.15, on = yes");
        assert_eq!(json_text(&Value::Array(vec![])), "none");
        assert_eq!(label("total_return_pct"), "Total return (%)");
        assert_eq!(label("final_equity"), "Final equity");
    }
}
