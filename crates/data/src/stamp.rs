//! Reading the timestamp of a row from its date (and optional time) field.

use crate::fastline::FixedDate;
use crate::split::{Fields, show, trim};
use crate::timeparse::{
    NANOS_PER_DAY, NANOS_PER_SEC, RawTime, TimeError, parse_datetime, parse_time_only,
    parse_with_format,
};
use crate::tzconv::TzConv;

/// How a row's timestamp is laid out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StampSpec<'a> {
    /// Date (or date-time) field index.
    pub date: usize,
    /// Separate time-of-day field index.
    pub time: Option<usize>,
    /// User strftime format for the date field.
    pub format: Option<&'a str>,
}

/// The row's instant in UTC nanoseconds, and whether it was a bare date.
///
/// Bare dates are midnight UTC of that date (never shifted by the time zone);
/// wall-clock times are read in the converter's zone; offsets and epochs are absolute.
#[inline]
pub(crate) fn row_stamp<F: Fields + ?Sized>(
    spec: &StampSpec<'_>,
    tz: &mut TzConv,
    f: &F,
) -> Result<(i64, bool), String> {
    stamp_of(spec, tz, f.get(spec.date), spec.time.map(|t| f.get(t)))
}

/// [`row_stamp`] from the date field and the separate time field (if any).
#[inline]
pub(crate) fn stamp_of(
    spec: &StampSpec<'_>,
    tz: &mut TzConv,
    date: &[u8],
    time: Option<&[u8]>,
) -> Result<(i64, bool), String> {
    let field = trim(date);
    let raw = match spec.format {
        Some(fmt) => parse_with_format(fmt, field),
        None => parse_datetime(field),
    }
    .map_err(|e| date_message(field, e, spec.format))?;
    let raw = match (time, raw) {
        (None, r) => r,
        (Some(t), RawTime::Date(days)) => {
            let tf = trim(t);
            let tod = parse_time_only(tf).map_err(|_| {
                format!(
                    "time \"{}\" is not a time of day (H:MM[:SS[.fff]])",
                    show(tf)
                )
            })?;
            RawTime::Naive(days, tod)
        }
        (Some(_), _) => {
            return Err(format!(
                "date \"{}\" already has a time of day, but a separate time column is used; \
                 pass --time-column only for date-only columns",
                show(field)
            ));
        }
    };
    let out = match raw {
        RawTime::Date(days) => days.checked_mul(NANOS_PER_DAY).map(|n| (n, true)),
        RawTime::Naive(days, tod) => tz.local_to_utc(days, tod).map(|n| (n, false)),
        RawTime::Instant(n) => Some((n, false)),
    };
    out.ok_or_else(|| format!("date \"{}\" is out of the supported range", show(field)))
}

/// [`stamp_of`] for a date field the line scanner read in place
/// ([`crate::fastline::Role::Date`]); `None` for the rows whose error [`stamp_of`]
/// reports.
#[inline]
pub(crate) fn fixed_stamp(tz: &mut TzConv, (days, secs): FixedDate) -> Option<(i64, bool)> {
    match secs {
        None => days.checked_mul(NANOS_PER_DAY).map(|n| (n, true)),
        Some(s) => tz.local_to_utc(days, s * NANOS_PER_SEC).map(|n| (n, false)),
    }
}

fn date_message(field: &[u8], e: TimeError, format: Option<&str>) -> String {
    let s = show(field);
    match (e, format) {
        _ if s.is_empty() => "date is empty".to_string(),
        (TimeError::NoFormat, Some(fmt)) => {
            format!("date \"{s}\" does not match --date-format \"{fmt}\"")
        }
        (TimeError::NoFormat, None) => format!(
            "date \"{s}\" matches no known format; pass --date-format (strftime, e.g. %d.%m.%Y)"
        ),
        (TimeError::MonthFirst, _) => format!(
            "date \"{s}\" has no month {}: dates with slashes are read as M/D/YYYY (US, month \
             first); pass --date-format %d/%m/%Y for day-first dates",
            s.split('/').next().unwrap_or_default()
        ),
        (TimeError::Invalid, Some(fmt)) => {
            format!("date \"{s}\" is not a valid date or time for --date-format \"{fmt}\"")
        }
        (TimeError::Invalid, None) => format!("date \"{s}\" is not a valid date or time"),
    }
}

/// A short description of the layout of a date field, for the import report.
pub(crate) fn describe_layout(field: &[u8], format: Option<&str>) -> String {
    if let Some(f) = format {
        return format!("--date-format \"{f}\"");
    }
    let f = trim(field);
    let text = match parse_datetime(f) {
        Ok(RawTime::Date(_)) if f.contains(&b'/') => "M/D/YYYY, US month first",
        Ok(RawTime::Date(_)) if f.len() == 8 => "YYYYMMDD",
        Ok(RawTime::Date(_)) => "YYYY-MM-DD",
        Ok(RawTime::Naive(..)) if f.contains(&b'/') => {
            "M/D/YYYY H:MM[:SS], US month first, wall clock in --tz"
        }
        Ok(RawTime::Naive(..)) => "YYYY-MM-DD HH:MM[:SS], wall clock in --tz",
        Ok(RawTime::Instant(_)) if f.iter().all(|c| c.is_ascii_digit() || *c == b'.') => {
            "epoch number, unit by magnitude"
        }
        Ok(RawTime::Instant(_)) => "ISO 8601 with offset",
        Err(_) => "unrecognised",
    };
    text.to_string()
}
