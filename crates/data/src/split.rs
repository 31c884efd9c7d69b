//! Turning CSV bytes into rows: a fast path for files without quote characters
//! (memchr splitting, parallel over newline-aligned chunks) and a `csv`-crate path
//! for everything else. Both feed the same [`RowParser`], so they give identical
//! rows, errors and line numbers.

use crate::{BadRowPolicy, SkippedRow};
use std::thread;

/// Access to the raw fields of one record.
pub(crate) trait Fields {
    /// Field `i` (untrimmed), empty when out of range.
    fn get(&self, i: usize) -> &[u8];
}

impl Fields for [&[u8]] {
    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        <[&[u8]]>::get(self, i).copied().unwrap_or(b"")
    }
}

impl Fields for csv::ByteRecord {
    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        csv::ByteRecord::get(self, i).unwrap_or(b"")
    }
}

/// Turns one record into a value; state is per chunk (e.g. a symbol table).
pub(crate) trait RowParser: Sync {
    /// One parsed row.
    type Out: Send;
    /// Per-chunk mutable state.
    type State: Send;
    /// Fresh state for a chunk.
    fn new_state(&self) -> Self::State;
    /// Parses a record, or says what is wrong with it (without file:line).
    fn parse<F: Fields + ?Sized>(&self, st: &mut Self::State, f: &F) -> Result<Self::Out, String>;
}

/// Rows parsed from one part of the file.
pub(crate) struct Chunk<O, S> {
    /// Parsed rows, in file order.
    pub out: Vec<O>,
    /// Line of each parsed row.
    pub lines: Vec<u32>,
    /// Rows skipped under [`BadRowPolicy::Skip`].
    pub skipped: Vec<SkippedRow>,
    /// First bad row under [`BadRowPolicy::Error`] (line, message); parsing stopped there.
    pub error: Option<(usize, String)>,
    /// The parser state at the end.
    pub state: S,
    /// Non-empty data rows seen.
    pub rows_read: usize,
    /// Newlines consumed (to number the lines of the next chunk).
    newlines: usize,
}

impl<O, S> Chunk<O, S> {
    fn new(state: S, cap: usize) -> Self {
        Chunk {
            out: Vec::with_capacity(cap),
            lines: Vec::with_capacity(cap),
            skipped: Vec::new(),
            error: None,
            state,
            rows_read: 0,
            newlines: 0,
        }
    }

    /// Records the outcome of one row; returns false when parsing must stop.
    #[inline]
    fn record(&mut self, r: Result<O, String>, line: usize, policy: BadRowPolicy) -> bool {
        self.rows_read += 1;
        match r {
            Ok(o) => {
                self.out.push(o);
                self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
                true
            }
            Err(reason) if policy == BadRowPolicy::Skip => {
                self.skipped.push(SkippedRow { line, reason });
                true
            }
            Err(reason) => {
                self.error = Some((line, reason));
                false
            }
        }
    }

    fn shift_lines(&mut self, by: usize) {
        let by32 = u32::try_from(by).unwrap_or(u32::MAX);
        self.lines
            .iter_mut()
            .for_each(|l| *l = l.saturating_add(by32));
        self.skipped.iter_mut().for_each(|s| s.line += by);
        if let Some((l, _)) = &mut self.error {
            *l += by;
        }
    }
}

/// Fast path: `data` holds the rows after the header (no quote characters),
/// its first line is line `first_line`. Splits into newline-aligned chunks parsed
/// on scoped threads; chunks come back in file order with correct line numbers.
pub(crate) fn parse_fast<P: RowParser>(
    data: &[u8],
    first_line: usize,
    expected_fields: usize,
    parser: &P,
    policy: BadRowPolicy,
) -> Vec<Chunk<P::Out, P::State>> {
    let threads = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let n = if data.len() < 1 << 20 { 1 } else { threads };
    let mut bounds = vec![0];
    for k in 1..n {
        let target = (data.len() * k / n).max(bounds[k - 1]);
        let cut = memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |p| target + p + 1);
        bounds.push(cut);
    }
    bounds.push(data.len());
    let parts: Vec<&[u8]> = bounds.windows(2).map(|w| &data[w[0]..w[1]]).collect();
    let est = |p: &[u8]| p.len() / 48;
    let mut chunks: Vec<Chunk<P::Out, P::State>> = thread::scope(|s| {
        let handles: Vec<_> = parts[1..]
            .iter()
            .map(|p| s.spawn(move || parse_part(p, expected_fields, parser, policy, est(p))))
            .collect();
        let mut out = vec![parse_part(
            parts[0],
            expected_fields,
            parser,
            policy,
            est(parts[0]),
        )];
        for h in handles {
            match h.join() {
                Ok(c) => out.push(c),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    });
    let mut line = first_line;
    for c in &mut chunks {
        c.shift_lines(line);
        line += c.newlines;
    }
    chunks
}

/// Parses one newline-aligned part; line numbers are relative (0 = first line).
fn parse_part<'a, P: RowParser>(
    part: &'a [u8],
    expected: usize,
    parser: &P,
    policy: BadRowPolicy,
    cap: usize,
) -> Chunk<P::Out, P::State> {
    let mut c = Chunk::new(parser.new_state(), cap);
    let mut fields: Vec<&'a [u8]> = Vec::with_capacity(expected + 1);
    let mut pos = 0;
    let mut line = 0;
    while pos < part.len() {
        let end = memchr::memchr(b'\n', &part[pos..]).map_or(part.len(), |p| pos + p);
        let mut row = &part[pos..end];
        if end < part.len() {
            c.newlines += 1;
        }
        pos = end + 1;
        line += 1;
        if let [rest @ .., b'\r'] = row {
            row = rest;
        }
        if row.is_empty() {
            continue;
        }
        fields.clear();
        split_commas(row, &mut fields);
        let r = if fields.len() == expected {
            parser.parse(&mut c.state, fields.as_slice())
        } else {
            Err(field_count_message(expected, fields.len()))
        };
        if !c.record(r, line - 1, policy) {
            break;
        }
    }
    c
}

/// Splits a line at commas, 8 bytes at a time (exact SWAR zero-byte test, no
/// false positives), then byte by byte for the tail.
#[inline]
fn split_commas<'a>(row: &'a [u8], fields: &mut Vec<&'a [u8]>) {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut start = 0;
    let mut i = 0;
    while let Some(block) = row.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        let x = u64::from_le_bytes(word) ^ COMMAS;
        let mut mask = !((((x & LO7) + LO7) | x) | LO7);
        while mask != 0 {
            let j = i + (mask.trailing_zeros() / 8) as usize;
            fields.push(&row[start..j]);
            start = j + 1;
            mask &= mask - 1;
        }
        i += 8;
    }
    for (j, &b) in row.iter().enumerate().skip(i) {
        if b == b',' {
            fields.push(&row[start..j]);
            start = j + 1;
        }
    }
    fields.push(&row[start..]);
}

pub(crate) fn field_count_message(expected: usize, found: usize) -> String {
    format!("expected {expected} fields like the header, found {found}")
}

/// Slow path via the `csv` crate (quoted fields); `reader` is positioned after the header.
pub(crate) fn parse_csv<P: RowParser, R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    expected: usize,
    parser: &P,
    policy: BadRowPolicy,
) -> Result<Chunk<P::Out, P::State>, (usize, String)> {
    let mut c = Chunk::new(parser.new_state(), 0);
    let mut rec = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err((line, e.to_string()));
            }
        }
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let r = if rec.len() == expected {
            parser.parse(&mut c.state, &rec)
        } else {
            Err(field_count_message(expected, rec.len()))
        };
        if !c.record(r, line, policy) {
            break;
        }
    }
    Ok(c)
}

/// Trims ASCII whitespace (spaces, tabs) around a field.
#[inline]
pub(crate) fn trim(f: &[u8]) -> &[u8] {
    f.trim_ascii()
}

/// Text of a field for messages.
pub(crate) fn show(f: &[u8]) -> String {
    String::from_utf8_lossy(trim(f)).into_owned()
}

/// Parses a finite number; messages like `close is "abc", not a number`.
#[inline]
pub(crate) fn number(name: &str, f: &[u8]) -> Result<f64, String> {
    let t = trim(f);
    if let Some(v) = simple_decimal(t) {
        return Ok(v);
    }
    match fast_float2::parse::<f64, _>(t) {
        Ok(v) if v.is_finite() => Ok(v),
        _ if t.is_empty() => Err(format!("{name} is empty")),
        Ok(_) => Err(format!("{name} is \"{}\", not a finite number", show(t))),
        Err(_) => Err(format!("{name} is \"{}\", not a number", show(t))),
    }
}

/// Exact powers of ten representable in `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `[-+]digits[.digits]` with a mantissa below 2^53 and at most 22 decimals: the
/// mantissa and the power of ten are exact, so one division is correctly rounded
/// (Clinger's fast path) — the same `f64` fast-float2 returns, several times faster.
/// `None` for anything else (the caller falls back to fast-float2).
#[inline]
fn simple_decimal(s: &[u8]) -> Option<f64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits.len();
    if n == 0 || n > 19 {
        return None;
    }
    let mut m: u64 = 0;
    let mut i = 0;
    while i < n {
        let d = digits[i].wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        m = m * 10 + u64::from(d);
        i += 1;
    }
    let int_digits = i;
    let mut decimals = 0;
    if i < n && digits[i] == b'.' {
        i += 1;
        let first = i;
        while i < n {
            let d = digits[i].wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            m = m * 10 + u64::from(d);
            i += 1;
        }
        decimals = i - first;
    }
    if i != n || int_digits + decimals == 0 || m > 1 << 53 {
        return None;
    }
    let v = m as f64 / *POW10.get(decimals)?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_decimal_agrees_with_fast_float() {
        for s in [
            "0",
            "1",
            "3078.96",
            "-2.5",
            "+7",
            "0.1",
            "123456789.123456",
            "1.",
            ".5",
            "9007199254740993",
            "0.000000000000000000001",
        ] {
            let want: f64 = fast_float2::parse(s).unwrap();
            if let Some(got) = simple_decimal(s.as_bytes()) {
                assert_eq!(got.to_bits(), want.to_bits(), "{s}");
            }
        }
        assert_eq!(simple_decimal(b"."), None);
        assert_eq!(simple_decimal(b"1e5"), None);
        assert_eq!(simple_decimal(b"nan"), None);
    }

    #[test]
    fn splits_commas_exactly() {
        for row in ["", ",", "a,b", "2019-11-05 09:30:00,-1,,-2.5,x,", ",-,-,-,-,-,-,-,-,-,", "abcdefghijklmnop"] {
            let mut got = Vec::new();
            split_commas(row.as_bytes(), &mut got);
            let want: Vec<&[u8]> = row.split(',').map(str::as_bytes).collect();
            assert_eq!(got, want, "{row}");
        }
    }
}
