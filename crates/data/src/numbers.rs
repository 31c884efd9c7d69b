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
#[inline(never)]
pub(crate) fn scan_decimal(s: &[u8]) -> Option<(f64, usize)> {
    // Branch-light route for up to 7 integer and 7 fraction digits.
    let (int, n_int) = swar_digits(s, 0);
    if n_int < 8 {
        let (frac, n_frac, used) = match s.get(n_int) {
            Some(b'.') => {
                let (f, nf) = swar_digits(s, n_int + 1);
                (f, nf, n_int + 1 + nf)
            }
            _ => (0, 0, n_int),
        };
        if n_frac < 8 {
            if n_int + n_frac == 0 {
                return None;
            }
            let m = int * POW10_INT[n_frac] + frac;
            return Some((m as f64 / POW10[n_frac], used));
        }
    }
    scan_decimal_scalar(s)
}

/// [`scan_decimal`] for a field that starts at `s`, reading the common case —
/// up to 7 characters of `digits[.digits]` followed by a non-digit — with one
/// 8-byte load and one SWAR conversion. Same results as [`scan_decimal`].
#[inline(always)]
pub(crate) fn scan_number(s: &[u8]) -> Option<(f64, usize)> {
    const BYTES: u64 = 0x0101_0101_0101_0101;
    let Some(head) = s.first_chunk::<8>() else {
        return scan_decimal(s);
    };
    let w = u64::from_le_bytes(*head);
    // Digits become their values 0..=9. A byte is a non-digit iff its high nibble
    // or that of byte + 6 is set; carries of the add only run from a non-digit
    // into the bytes after it, so the first flagged byte is the first non-digit.
    let x = w ^ (BYTES * 0x30);
    let flags = (x | x.wrapping_add(BYTES * 6)) & (BYTES * 0xf0);
    if flags == 0 {
        return scan_decimal(s);
    }
    // Bit index of the first non-digit byte.
    let b1 = flags.trailing_zeros() & !7;
    let (digits, end, decimals) = if (w >> b1) as u8 == b'.' {
        let above = !0xff_u64 << b1;
        let rest = flags & above;
        if rest == 0 {
            return scan_decimal(s);
        }
        let b2 = rest.trailing_zeros() & !7;
        if b2 == 8 {
            return None; // a lone `.`
        }
        // Integer digits moved up one byte over the dot, next to the fraction.
        let int = (x & ((1_u64 << b1) - 1)) << 8;
        let frac = x & ((1_u64 << b2) - 1) & above;
        (int | frac, b2, (b2 - b1) / 8 - 1)
    } else {
        if b1 == 0 {
            return None;
        }
        (x & ((1_u64 << b1) - 1), b1, 0)
    };
    // Digit values sit in the bytes below `end` (zero bytes act as leading
    // zeros); move them to the top and combine pairs, quads and octets.
    let mut v = digits << (64 - end);
    v = (v.wrapping_mul(2561) >> 8) & 0x00ff_00ff_00ff_00ff;
    v = (v.wrapping_mul(6_553_601) >> 16) & 0x0000_ffff_0000_ffff;
    v = v.wrapping_mul(42_949_672_960_001) >> 32;
    // Below 10^7, so the conversion through i64 is exact.
    let m = v as i64 as f64;
    Some((m / POW10[decimals as usize], (end / 8) as usize))
}

/// High bit set in every byte of `w` that is not an ASCII digit.
#[inline]
fn non_digits(w: u64) -> u64 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // A byte is a digit iff its high nibble is 3 and adding 6 keeps it 3 (no carry
    // between bytes: the add works on 7-bit values).
    let not_digit = ((w & HI) ^ ZEROS) | ((((w & LO7) + 0x0606_0606_0606_0606) & HI) ^ ZEROS);
    // Exact per-byte "is non-zero" test, high bit of each byte.
    (((not_digit & LO7) + LO7) | not_digit) & !LO7
}

const POW10_INT: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// Value and count of the leading ASCII digits of the 8 bytes at `at` (count 8
/// means "maybe more": the caller falls back).
#[inline]
fn swar_digits(s: &[u8], at: usize) -> (u64, usize) {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let mut word = [0u8; 8];
    let rest = s.get(at..).unwrap_or_default();
    let k = rest.len().min(8);
    word[..k].copy_from_slice(&rest[..k]);
    let w = u64::from_le_bytes(word);
    let nonzero = non_digits(w);
    let n = if nonzero == 0 {
        8
    } else {
        (nonzero.trailing_zeros() / 8) as usize
    };
    if n == 0 || n == 8 {
        return (0, n);
    }
    let mut v = (w.wrapping_sub(ZEROS)) << (8 * (8 - n));
    v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
    v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    v = (v & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32;
    (v, n)
}

/// The reference digit loop (any length up to 19 characters).
#[inline]
fn scan_decimal_scalar(s: &[u8]) -> Option<(f64, usize)> {
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
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Decimals with leading zeros, no fraction, `.5`, `5.`, signs, exponents,
        /// long mantissas and surrounding spaces: the fast routes either decline or
        /// give fast-float2's bits, and [`number`] always does.
        #[test]
        fn decimal_routes_agree_with_fast_float(
            text in r" ?[-+]?[0-9]{0,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,3})? ?",
            tail in r"[,\n\r x0-9.]{0,10}",
        ) {
            let want = fast_float2::parse::<f64, _>(text.trim()).ok().filter(|v| v.is_finite());
            let got = number("x", text.as_bytes()).ok();
            prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
            if let Some(v) = simple_decimal(text.as_bytes()) {
                prop_assert_eq!(Some(v.to_bits()), want.map(f64::to_bits));
            }
            let field = format!("{text}{tail}");
            let scanned = [scan_number(field.as_bytes()), scan_decimal(field.as_bytes())];
            for (v, n) in scanned.into_iter().flatten() {
                let exact = fast_float2::parse::<f64, _>(&field[..n]).ok();
                prop_assert_eq!(Some(v.to_bits()), exact.map(f64::to_bits));
            }
        }
    }

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

    /// Random texts of digits, dots and delimiters, with and without room for an
    /// 8-byte load.
    fn random_texts(n: usize, mut seed: u64) -> Vec<Vec<u8>> {
        let alphabet = b"0123456789.,x-+e\n\r\xff/: ";
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let len = (seed >> 59) as usize + 1;
                let mut r = seed;
                (0..len)
                    .map(|_| {
                        r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(7);
                        let x = (r >> 33) as usize;
                        if x.is_multiple_of(3) {
                            alphabet[x / 3 % alphabet.len()]
                        } else {
                            b'0' + (x % 10) as u8
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn scan_number_agrees_with_scan_decimal() {
        for text in random_texts(300_000, 99) {
            let fast = scan_number(&text).map(|(v, n)| (v.to_bits(), n));
            let slow = scan_decimal(&text).map(|(v, n)| (v.to_bits(), n));
            assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(&text));
        }
        for s in [
            "3000.79,",
            "2730,xxxx",
            "0.5,xxxxx",
            ".5,xxxxxx",
            "5.,xxxxxx",
            ".,xxxxxxx",
            "007.010,x",
            "1234567,x",
            "12345678,",
            "1234.567,",
            "123.4567,",
            "1.234567,",
            "1.2345678",
            ",xxxxxxxx",
            "-1,xxxxxx",
            "1e5,xxxxx",
            "9999999\n0",
        ] {
            let fast = scan_number(s.as_bytes()).map(|(v, n)| (v.to_bits(), n));
            let slow = scan_decimal(s.as_bytes()).map(|(v, n)| (v.to_bits(), n));
            assert_eq!(fast, slow, "{s:?}");
        }
    }

    /// What the scanners accept, [`number`] reads identically (and so does
    /// fast-float2, which [`number`] matches): the scanned prefix is the field.
    #[test]
    fn scanned_numbers_agree_with_fast_float() {
        for text in random_texts(300_000, 7) {
            if let Some((v, n)) = scan_number(&text) {
                let field = &text[..n];
                let want: f64 = fast_float2::parse(field).expect("a plain decimal");
                assert_eq!(
                    v.to_bits(),
                    want.to_bits(),
                    "{:?}",
                    String::from_utf8_lossy(field)
                );
                assert_eq!(number("x", field).map(f64::to_bits), Ok(want.to_bits()));
            }
        }
    }

    #[test]
    fn swar_scan_agrees_with_the_digit_loop() {
        let mut seed = 1_u64;
        let alphabet = b"0123456789.,x-\n\xff/:";
        for _ in 0..200_000 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 60) as usize + 1;
            let text: Vec<u8> = (0..len)
                .map(|i| {
                    let r = (seed >> (i * 3 % 50)) as usize;
                    if r.is_multiple_of(3) {
                        alphabet[r / 3 % alphabet.len()]
                    } else {
                        b'0' + (r % 10) as u8
                    }
                })
                .collect();
            let fast = scan_decimal(&text).map(|(v, n)| (v.to_bits(), n));
            let slow = scan_decimal_scalar(&text).map(|(v, n)| (v.to_bits(), n));
            assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(&text));
        }
    }
}
