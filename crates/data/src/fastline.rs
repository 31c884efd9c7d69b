//! A specialised scanner for plain rows: walks a row once, straight from the file
//! bytes, parsing numbers and fixed-layout dates in place (no line or field
//! splitting) and finding the line end on the way. It accepts only rows whose
//! numeric fields are plain decimals immediately followed by a comma or the line
//! end; anything else makes it decline, and the general parser takes the line.

use crate::numbers::scan_number;
use crate::timeparse::days_from_civil;

/// What a field holds, for the scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A number stored in slot `n`.
    Num(usize),
    /// A text field kept as a slice in slot `n` (date, time, symbol).
    Text(usize),
    /// The date (or date-time) field when it is read by the built-in layouts and
    /// there is no separate time column: `YYYY-MM-DD` and `YYYY-MM-DD[ T]HH:MM:SS`
    /// are parsed in place ([`Scanned::date`]); other layouts are kept as text
    /// slot 0.
    Date,
    /// A field nobody reads.
    Skip,
}

/// Field roles by field index, with a shortcut for the common layout.
#[derive(Clone, Debug)]
pub(crate) struct Roles {
    list: Vec<Role>,
    /// The roles are `Date, Num(0), Num(1), …, Num(n - 1)`: `Some(n)`.
    date_then_nums: Option<usize>,
}

/// Field roles by field index, built from the column mapping. With `fixed_date`,
/// the field of text slot 0 (the date) gets [`Role::Date`].
pub(crate) fn roles(expected: usize, nums: &[usize], texts: &[usize], fixed_date: bool) -> Roles {
    let list = role_list(expected, nums, texts, fixed_date);
    let straight = list.split_first().is_some_and(|(first, rest)| {
        *first == Role::Date && rest.iter().enumerate().all(|(i, r)| *r == Role::Num(i))
    });
    Roles {
        date_then_nums: straight.then(|| list.len() - 1),
        list,
    }
}

fn role_list(expected: usize, nums: &[usize], texts: &[usize], fixed_date: bool) -> Vec<Role> {
    let mut r = vec![Role::Skip; expected];
    for (slot, &i) in nums.iter().enumerate() {
        if let Some(x) = r.get_mut(i) {
            *x = Role::Num(slot);
        }
    }
    for (slot, &i) in texts.iter().enumerate() {
        if let Some(x) = r.get_mut(i) {
            *x = if slot == 0 && fixed_date {
                Role::Date
            } else {
                Role::Text(slot)
            };
        }
    }
    r
}

/// The date of the previous row, so that consecutive rows of one day parse their
/// `YYYY-MM-DD` with one comparison.
#[derive(Clone, Debug, Default)]
pub(crate) struct DayCache {
    key: Option<[u8; 10]>,
    days: i64,
}

impl DayCache {
    /// Days since 1970-01-01 of the `YYYY-MM-DD` in `s`, exactly as the general
    /// parser reads it, or `None` (not this layout, or an impossible date).
    #[inline]
    fn days(&mut self, s: &[u8; 10]) -> Option<i64> {
        if self.key.as_ref() == Some(s) {
            return Some(self.days);
        }
        let days = parse_ymd(s)?;
        self.key = Some(*s);
        self.days = days;
        Some(days)
    }
}

#[cold]
fn parse_ymd(s: &[u8; 10]) -> Option<i64> {
    if s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let mut v = [0i64; 8];
    for (k, &i) in [0, 1, 2, 3, 5, 6, 8, 9].iter().enumerate() {
        let d = s[i].wrapping_sub(b'0');
        if d >= 10 {
            return None;
        }
        v[k] = i64::from(d);
    }
    let y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    days_from_civil(y, v[4] * 10 + v[5], v[6] * 10 + v[7])
}

/// `HH:MM:SS` (valid: hours ≤ 23, minutes and seconds ≤ 59) in seconds.
#[inline]
fn hms(w: u64) -> Option<i64> {
    // Little-endian: byte k of `w` is character k. XOR maps digits to 0..=9 and
    // the colons to 0.
    let x = w ^ 0x3030_3a30_303a_3030;
    let colons = 0x0000_ff00_00ff_0000;
    if x & 0xf0f0_f0f0_f0f0_f0f0 != 0
        || (x + 0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0 != 0
        || x & colons != 0
    {
        return None;
    }
    let b = |k: u32| ((x >> (8 * k)) & 0xff) as i64;
    let (h, m, s) = (b(0) * 10 + b(1), b(3) * 10 + b(4), b(6) * 10 + b(7));
    (h <= 23 && m <= 59 && s <= 59).then_some(h * 3600 + m * 60 + s)
}

/// A date field read in place: days since 1970-01-01 and, for a date-time, the
/// seconds into the day.
pub(crate) type FixedDate = (i64, Option<i64>);

/// `YYYY-MM-DD` or `YYYY-MM-DD[ T]HH:MM:SS` at the start of `s`, with its length.
/// The caller checks that the field ends there.
#[inline]
fn fixed_date(s: &[u8], cache: &mut DayCache) -> Option<(FixedDate, usize)> {
    let head: &[u8; 20] = s.get(..20)?.try_into().ok()?;
    let date: &[u8; 10] = head[..10].try_into().ok()?;
    let days = cache.days(date)?;
    if !matches!(head[10], b' ' | b'T') {
        return Some(((days, None), 10));
    }
    let w = u64::from_le_bytes(head[11..19].try_into().ok()?);
    Some(((days, Some(hms(w)?)), 19))
}

/// What [`scan`] read from one row.
pub(crate) struct Scanned<'a, const N: usize, const T: usize> {
    /// Number slots.
    pub nums: [f64; N],
    /// Text slots (untrimmed).
    pub texts: [&'a [u8]; T],
    /// The date field read in place ([`Role::Date`]); `None` when it had another
    /// layout (then it is text slot 0).
    pub date: Option<FixedDate>,
}

impl<const N: usize, const T: usize> Default for Scanned<'_, N, T> {
    fn default() -> Self {
        Scanned {
            nums: [0.0; N],
            texts: [b""; T],
            date: None,
        }
    }
}

/// End of a text field starting at `rest`: the offset of the next `,` or `\n`.
#[inline]
fn text_end(rest: &[u8]) -> usize {
    memchr::memchr2(b',', b'\n', rest).unwrap_or(rest.len())
}

/// Scans the row at the start of `rest` (which runs on to the end of the data) by
/// `roles`, filling `out`; returns the offset of the row's end (its `\n`, or
/// `rest.len()`), or `None` to decline. The row is what the general splitter
/// gives: up to the `\n`, without one trailing `\r`.
#[inline]
pub(crate) fn scan<'a, const N: usize, const T: usize>(
    rest: &'a [u8],
    roles: &Roles,
    cache: &mut DayCache,
    out: &mut Scanned<'a, N, T>,
) -> Option<usize> {
    if let Some(n) = roles.date_then_nums
        && let Some((d, used)) = fixed_date(rest, cache)
    {
        out.date = Some(d);
        if let Some(end) = scan_nums(rest, used, &mut out.nums[..n.min(N)]) {
            return Some(end);
        }
    }
    scan_fields(rest, &roles.list, cache, out)
}

/// The rest of a `Date, Num(0), …` row after its date (`p` bytes): a comma and
/// a number per slot, then the line end.
#[inline(always)]
fn scan_nums(rest: &[u8], mut p: usize, nums: &mut [f64]) -> Option<usize> {
    for slot in nums {
        if rest.get(p) != Some(&b',') {
            return None;
        }
        let (v, used) = scan_number(rest.get(p + 1..)?)?;
        *slot = v;
        p += 1 + used;
    }
    match rest.get(p) {
        None | Some(b'\n') => Some(p),
        Some(b'\r') => match rest.get(p + 1) {
            None | Some(b'\n') => Some(p + 1),
            Some(_) => None,
        },
        Some(_) => None,
    }
}

/// [`scan`] for any roles.
#[inline]
fn scan_fields<'a, const N: usize, const T: usize>(
    rest: &'a [u8],
    roles: &[Role],
    cache: &mut DayCache,
    out: &mut Scanned<'a, N, T>,
) -> Option<usize> {
    let mut p = 0;
    let last = roles.len().checked_sub(1)?;
    for (k, role) in roles.iter().enumerate() {
        let s = rest.get(p..)?;
        // Bytes used by the field, and for text fields (which keep every byte up
        // to the next `,` or `\n`) the slot that holds them, if any.
        let (used, text) = match *role {
            Role::Num(slot) => {
                let (v, used) = scan_number(s)?;
                *out.nums.get_mut(slot)? = v;
                (used, None)
            }
            Role::Date => match fixed_date(s, cache) {
                Some((d, used)) if matches!(s.get(used), None | Some(b',' | b'\n' | b'\r')) => {
                    out.date = Some(d);
                    (used, None)
                }
                _ => {
                    let used = text_end(s);
                    *out.texts.get_mut(0)? = &s[..used];
                    out.date = None;
                    (used, Some(Some(0)))
                }
            },
            Role::Text(slot) => {
                let used = text_end(s);
                *out.texts.get_mut(slot)? = &s[..used];
                (used, Some(Some(slot)))
            }
            Role::Skip => (text_end(s), Some(None)),
        };
        p += used;
        let next = rest.get(p).copied();
        if k != last {
            if next != Some(b',') {
                return None;
            }
            p += 1;
            continue;
        }
        return match (next, text) {
            // A text field ends at the line end; drop one `\r` before it.
            (None | Some(b'\n'), Some(slot)) => {
                if let (Some(slot), [head @ .., b'\r']) = (slot, &s[..used]) {
                    *out.texts.get_mut(slot)? = head;
                }
                Some(p)
            }
            (None | Some(b'\n'), None) => Some(p),
            (Some(b'\r'), None) => match rest.get(p + 1) {
                None | Some(b'\n') => Some(p + 1),
                Some(_) => None,
            },
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<'a>(row: &'a [u8], roles: &Roles) -> Option<(usize, Scanned<'a, 2, 1>)> {
        let mut out = Scanned::default();
        let end = scan(row, roles, &mut DayCache::default(), &mut out)?;
        Some((end, out))
    }

    #[test]
    fn scans_plain_rows_and_declines_odd_ones() {
        let roles = roles(4, &[1, 3], &[0], false);
        let (end, s) = run(b"2020-01-02,1.5,x,7", &roles).unwrap();
        assert_eq!(
            (end, s.nums, s.texts[0]),
            (18, [1.5, 7.0], &b"2020-01-02"[..])
        );
        let (end, s) = run(b"2020-01-02,1.5,x,7\r\nnext", &roles).unwrap();
        assert_eq!((end, s.nums), (19, [1.5, 7.0]));
        let (end, _) = run(b"2020-01-02,1.5,x,7\nnext", &roles).unwrap();
        assert_eq!(end, 18);
        for odd in [
            "a,1,x",
            "a,1,x,7,8",
            "a, 1,x,7",
            "a,1e3,x,7",
            "a,1,x,",
            "a,-1,x,7",
            "a,1,x,7\rz",
            "a,1,x\n,7",
            "a\n,1,x,7",
        ] {
            assert!(run(odd.as_bytes(), &roles).is_none(), "{odd:?}");
        }
    }

    #[test]
    fn last_text_field_drops_one_carriage_return() {
        let roles = roles(2, &[0], &[1], false);
        let (end, s) = run(b"1,abc\r\n2,x", &roles).unwrap();
        assert_eq!((end, s.texts[0]), (6, &b"abc"[..]));
        let (end, s) = run(b"1,abc\r\r\n", &roles).unwrap();
        assert_eq!((end, s.texts[0]), (7, &b"abc\r"[..]));
        let (end, s) = run(b"1,a\rb", &roles).unwrap();
        assert_eq!((end, s.texts[0]), (5, &b"a\rb"[..]));
    }

    #[test]
    fn dates_are_read_in_place_and_cached() {
        let roles = roles(2, &[1], &[0], true);
        let mut cache = DayCache::default();
        let day = days_from_civil(2019, 1, 2).unwrap();
        for (row, want) in [
            (&b"2019-01-02 14:30:00,5\n"[..], Some((day, Some(52_200)))),
            (b"2019-01-02T14:30:59,5", Some((day, Some(52_259)))),
            (b"2019-01-02,5\nxxxxxxxxxx", Some((day, None))),
            (b"2019-01-03 00:00:00,5", Some((day + 1, Some(0)))),
            (b"2019-01-02 9:30,5\nxxxxxxxxxx", None),
            (b"2019-01-02 24:00:00,5", None),
            (b"2019-01-02 23:60:00,5", None),
            (b"2019-01-02 23:00:60,5", None),
            (b"2019-02-30 23:00:00,5", None),
            (b"2019-01-02 23:00:0a,5", None),
            (b"2019-01-02 23-00:00,5", None),
        ] {
            let mut out: Scanned<'_, 1, 1> = Scanned::default();
            let r = scan(row, &roles, &mut cache, &mut out);
            let got = r.and(out.date);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(row));
        }
    }
}
