//! Number fields: a correctly rounded fast path for plain decimals, fast-float2
//! for everything else, and the error messages.

use crate::split::{show, trim};

/// Parses a finite number; messages like `close is "abc", not a number`.
#[inline]
pub(crate) fn number(name: &str, f: &[u8]) -> Result<f64, String> {
    let t = trim(f);
    match simple_decimal(t) {
        Some(v) => Ok(v),
        None => number_slow(name, t),
    }
}

/// Exponents, long mantissas, `inf`/`nan`, and every error.
#[cold]
#[inline(never)]
fn number_slow(name: &str, t: &[u8]) -> Result<f64, String> {
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
pub(crate) fn simple_decimal(s: &[u8]) -> Option<f64> {
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

/// Scans a plain decimal (`digits[.digits]`) at the start of `s`, stopping at the
/// first other byte; returns the value and the bytes used. Gives exactly what
/// [`number`] gives for the same field, or `None` when unsure.
#[inline]
pub(crate) fn scan_decimal(s: &[u8]) -> Option<(f64, usize)> {
    let n = s.len().min(19);
    let mut m: u64 = 0;
    let mut i = 0;
    while i < n {
        let d = s[i].wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        m = m * 10 + u64::from(d);
        i += 1;
    }
    let int_digits = i;
    let mut decimals = 0;
    if i < n && s[i] == b'.' {
        i += 1;
        let first = i;
        while i < n {
            let d = s[i].wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            m = m * 10 + u64::from(d);
            i += 1;
        }
        decimals = i - first;
    }
    if int_digits + decimals == 0 || m > 1 << 53 {
        return None;
    }
    Some((m as f64 / *POW10.get(decimals)?, i))
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
}
