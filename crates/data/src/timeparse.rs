//! Hand-written, allocation-free parsers for the timestamp formats found in market
//! data files, plus the conversion of naive (wall-clock) times to UTC.
//!
//! Recognised without options (see the crate docs for the rules):
//! `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM[:SS[.f…]][Z|±HH:MM|±HHMM|±HH]`,
//! `M/D/YYYY[ H:MM[:SS[.f…]]]` (always US month-first), `YYYYMMDD`, and epoch
//! numbers (9+ integer digits; unit chosen by magnitude).

pub(crate) const NANOS_PER_SEC: i64 = 1_000_000_000;
pub(crate) const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SEC;

/// A parsed date/time field before time-zone resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawTime {
    /// A date without a time: days since 1970-01-01.
    Date(i64),
    /// A wall-clock date and time without an offset: days, nanoseconds into the day.
    Naive(i64, i64),
    /// An absolute instant (had an offset, `Z`, or was an epoch number), UTC nanos.
    Instant(i64),
}

/// Why a date/time text was not understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeError {
    /// Matches none of the known layouts.
    NoFormat,
    /// A slashed date whose first number cannot be a month (we never swap silently).
    MonthFirst,
    /// A known layout with an impossible value (month 13, 25:00, Feb 30 …).
    Invalid,
}

/// Days since 1970-01-01 of a proleptic Gregorian date; `None` when impossible.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || !(1..=9999).contains(&y) {
        return None;
    }
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `(year, month, day)` of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Reads 1..=max ASCII digits at `*i`, advancing it.
#[inline]
fn digits(s: &[u8], i: &mut usize, min: usize, max: usize) -> Option<i64> {
    let start = *i;
    let mut v: i64 = 0;
    while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
        v = v.checked_mul(10)?.checked_add(i64::from(s[*i] - b'0'))?;
        *i += 1;
    }
    (*i - start >= min).then_some(v)
}

#[inline]
fn expect(s: &[u8], i: &mut usize, c: u8) -> bool {
    if s.get(*i) == Some(&c) {
        *i += 1;
        true
    } else {
        false
    }
}

/// Parses `H:MM[:SS[.fraction]]` starting at `*i`; returns nanoseconds into the day.
fn time_of_day(s: &[u8], i: &mut usize) -> Result<i64, TimeError> {
    let h = digits(s, i, 1, 2).ok_or(TimeError::NoFormat)?;
    if !expect(s, i, b':') {
        return Err(TimeError::NoFormat);
    }
    let m = digits(s, i, 2, 2).ok_or(TimeError::NoFormat)?;
    let mut sec = 0;
    let mut frac = 0;
    if expect(s, i, b':') {
        sec = digits(s, i, 2, 2).ok_or(TimeError::NoFormat)?;
        if expect(s, i, b'.') {
            let start = *i;
            let f = digits(s, i, 1, 9).ok_or(TimeError::NoFormat)?;
            let n = *i - start;
            frac = f * 10i64.pow(9 - n as u32);
            // Digits beyond nanoseconds are truncated.
            while *i < s.len() && s[*i].is_ascii_digit() {
                *i += 1;
            }
        }
    }
    if h > 23 || m > 59 || sec > 60 {
        return Err(TimeError::Invalid);
    }
    // A leap second is read as the last nanosecond of its minute.
    let sec_ns = if sec == 60 {
        60 * NANOS_PER_SEC - 1
    } else {
        sec * NANOS_PER_SEC + frac
    };
    Ok((h * 3600 + m * 60) * NANOS_PER_SEC + sec_ns)
}

/// Parses a standalone time-of-day field (`H:MM[:SS[.f]]`), for a separate time column.
pub(crate) fn parse_time_only(s: &[u8]) -> Result<i64, TimeError> {
    let mut i = 0;
    let t = time_of_day(s, &mut i)?;
    if i == s.len() {
        Ok(t)
    } else {
        Err(TimeError::NoFormat)
    }
}

/// Parses an offset suffix (`Z`, `±HH:MM`, `±HHMM`, `±HH`) in seconds.
fn offset_suffix(s: &[u8], i: &mut usize) -> Result<Option<i64>, TimeError> {
    while *i < s.len() && s[*i] == b' ' {
        *i += 1;
    }
    match s.get(*i) {
        None => Ok(None),
        Some(b'Z' | b'z') => {
            *i += 1;
            Ok(Some(0))
        }
        Some(&c @ (b'+' | b'-')) => {
            *i += 1;
            let h = digits(s, i, 2, 2).ok_or(TimeError::NoFormat)?;
            expect(s, i, b':');
            let m = if *i < s.len() {
                digits(s, i, 2, 2).ok_or(TimeError::NoFormat)?
            } else {
                0
            };
            if h > 25 || m > 59 {
                return Err(TimeError::Invalid);
            }
            let off = h * 3600 + m * 60;
            Ok(Some(if c == b'-' { -off } else { off }))
        }
        Some(_) => Err(TimeError::NoFormat),
    }
}

/// Parses a date or date-time field in one of the built-in layouts.
pub(crate) fn parse_datetime(s: &[u8]) -> Result<RawTime, TimeError> {
    if let Some(r) = fixed_layout(s) {
        return r;
    }
    let mut i = 0;
    let first = digits(s, &mut i, 1, 19).ok_or(TimeError::NoFormat)?;
    let n_first = i;
    let days = match s.get(i) {
        Some(b'-') if n_first == 4 => {
            i += 1;
            let m = digits(s, &mut i, 1, 2).ok_or(TimeError::NoFormat)?;
            if !expect(s, &mut i, b'-') {
                return Err(TimeError::NoFormat);
            }
            let d = digits(s, &mut i, 1, 2).ok_or(TimeError::NoFormat)?;
            days_from_civil(first, m, d).ok_or(TimeError::Invalid)?
        }
        Some(b'/') if n_first <= 2 => {
            i += 1;
            let d = digits(s, &mut i, 1, 2).ok_or(TimeError::NoFormat)?;
            if !expect(s, &mut i, b'/') {
                return Err(TimeError::NoFormat);
            }
            let y = digits(s, &mut i, 4, 4).ok_or(TimeError::NoFormat)?;
            if first > 12 {
                return Err(TimeError::MonthFirst);
            }
            days_from_civil(y, first, d).ok_or(TimeError::Invalid)?
        }
        None if n_first == 8 => {
            let (y, m, d) = (first / 10_000, first / 100 % 100, first % 100);
            return days_from_civil(y, m, d)
                .map(RawTime::Date)
                .ok_or(TimeError::Invalid);
        }
        None | Some(b'.') if n_first >= 9 => return parse_epoch(first, n_first, &s[i..]),
        _ => return Err(TimeError::NoFormat),
    };
    if i == s.len() {
        return Ok(RawTime::Date(days));
    }
    if !(expect(s, &mut i, b' ') || expect(s, &mut i, b'T') || expect(s, &mut i, b't')) {
        return Err(TimeError::NoFormat);
    }
    while expect(s, &mut i, b' ') {}
    let tod = time_of_day(s, &mut i)?;
    match offset_suffix(s, &mut i)? {
        _ if i != s.len() => Err(TimeError::NoFormat),
        None => Ok(RawTime::Naive(days, tod)),
        Some(off) => Ok(RawTime::Instant(
            days * NANOS_PER_DAY + tod - off * NANOS_PER_SEC,
        )),
    }
}

/// Fast path for `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS` (or with `T`), the layouts
/// of nearly every large file; `None` sends other texts to the general parser.
#[inline]
fn fixed_layout(s: &[u8]) -> Option<Result<RawTime, TimeError>> {
    #[inline]
    fn d2(s: &[u8], i: usize) -> Option<i64> {
        let a = s[i].wrapping_sub(b'0');
        let b = s[i + 1].wrapping_sub(b'0');
        (a < 10 && b < 10).then(|| i64::from(a * 10 + b))
    }
    if (s.len() != 10 && s.len() != 19) || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let y = d2(s, 0)? * 100 + d2(s, 2)?;
    let days = match days_from_civil(y, d2(s, 5)?, d2(s, 8)?) {
        Some(d) => d,
        None => return Some(Err(TimeError::Invalid)),
    };
    if s.len() == 10 {
        return Some(Ok(RawTime::Date(days)));
    }
    if !matches!(s[10], b' ' | b'T') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let (h, m, sec) = (d2(s, 11)?, d2(s, 14)?, d2(s, 17)?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(Ok(RawTime::Naive(
        days,
        (h * 3600 + m * 60 + sec) * NANOS_PER_SEC,
    )))
}

/// Epoch numbers: below 1e11 seconds, below 1e14 milliseconds, below 1e17
/// microseconds, else nanoseconds. A fraction is allowed for seconds only.
fn parse_epoch(v: i64, n_digits: usize, rest: &[u8]) -> Result<RawTime, TimeError> {
    if n_digits > 19 {
        return Err(TimeError::Invalid);
    }
    let mut frac = 0;
    if let Some((b'.', f)) = rest.split_first() {
        if v >= 100_000_000_000 || f.is_empty() || !f.iter().all(u8::is_ascii_digit) {
            return Err(TimeError::NoFormat);
        }
        let mut i = 0;
        let digits9 = digits(f, &mut i, 1, 9).ok_or(TimeError::NoFormat)?;
        frac = digits9 * 10i64.pow(9 - i as u32);
    }
    let nanos = if v < 100_000_000_000 {
        v * NANOS_PER_SEC + frac
    } else if v < 100_000_000_000_000 {
        v * 1_000_000
    } else if v < 100_000_000_000_000_000 {
        v * 1_000
    } else {
        v
    };
    Ok(RawTime::Instant(nanos))
}

/// Parses a field with a user strftime format (`--date-format`), via jiff.
pub(crate) fn parse_with_format(fmt: &str, s: &[u8]) -> Result<RawTime, TimeError> {
    let tm = jiff::fmt::strtime::parse(fmt, s).map_err(|_| TimeError::NoFormat)?;
    if tm.timestamp().is_some() || tm.offset().is_some() {
        let ts = tm.to_timestamp().map_err(|_| TimeError::Invalid)?;
        return i64::try_from(ts.as_nanosecond())
            .map(RawTime::Instant)
            .map_err(|_| TimeError::Invalid);
    }
    let date = tm.to_date().map_err(|_| TimeError::Invalid)?;
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
    .ok_or(TimeError::Invalid)?;
    if tm.hour().is_none() {
        return Ok(RawTime::Date(days));
    }
    let t = tm.to_time().map_err(|_| TimeError::Invalid)?;
    let tod = (i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second()))
        * NANOS_PER_SEC
        + i64::from(t.subsec_nanosecond());
    Ok(RawTime::Naive(days, tod))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        for d in [-1000, 0, 1, 59, 10_957, 18_262, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), Some(d));
        }
        assert_eq!(days_from_civil(2000, 1, 1), Some(10_957));
        assert_eq!(days_from_civil(2021, 2, 29), None);
    }

    #[test]
    fn parses_builtin_layouts() {
        let d = days_from_civil(2019, 11, 5).unwrap();
        let t = (9 * 3600 + 30 * 60) * NANOS_PER_SEC;
        assert_eq!(parse_datetime(b"2019-11-05"), Ok(RawTime::Date(d)));
        assert_eq!(parse_datetime(b"20191105"), Ok(RawTime::Date(d)));
        assert_eq!(
            parse_datetime(b"2019-11-05 09:30"),
            Ok(RawTime::Naive(d, t))
        );
        assert_eq!(parse_datetime(b"11/5/2019 9:30"), Ok(RawTime::Naive(d, t)));
        assert_eq!(parse_datetime(b"11/05/2019"), Ok(RawTime::Date(d)));
        assert_eq!(
            parse_datetime(b"2019-11-05T09:30:00.5Z"),
            Ok(RawTime::Instant(d * NANOS_PER_DAY + t + NANOS_PER_SEC / 2))
        );
        assert_eq!(
            parse_datetime(b"2019-11-05T09:30:00-05:00"),
            Ok(RawTime::Instant(
                d * NANOS_PER_DAY + t + 5 * 3600 * NANOS_PER_SEC
            ))
        );
        assert_eq!(parse_datetime(b"13/5/2019"), Err(TimeError::MonthFirst));
        assert_eq!(parse_datetime(b"2019-13-05"), Err(TimeError::Invalid));
        assert_eq!(parse_datetime(b"2019/11/05"), Err(TimeError::NoFormat));
        assert_eq!(parse_datetime(b"12345"), Err(TimeError::NoFormat));
    }

    #[test]
    fn epoch_unit_follows_magnitude() {
        let s = 1_567_000_000;
        assert_eq!(
            parse_datetime(b"1567000000"),
            Ok(RawTime::Instant(s * NANOS_PER_SEC))
        );
        assert_eq!(
            parse_datetime(b"1567000000000"),
            Ok(RawTime::Instant(s * NANOS_PER_SEC))
        );
        assert_eq!(
            parse_datetime(b"1567000000000000"),
            Ok(RawTime::Instant(s * NANOS_PER_SEC))
        );
        assert_eq!(
            parse_datetime(b"1567000000000000000"),
            Ok(RawTime::Instant(s * NANOS_PER_SEC))
        );
        assert_eq!(
            parse_datetime(b"1567000000.25"),
            Ok(RawTime::Instant(s * NANOS_PER_SEC + NANOS_PER_SEC / 4))
        );
    }
}
