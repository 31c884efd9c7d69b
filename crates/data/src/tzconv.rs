//! Wall-clock (naive) times in a time zone → UTC, with a per-hour offset cache.

use crate::timeparse::{NANOS_PER_DAY, NANOS_PER_SEC, civil_from_days};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Converts wall-clock times in one time zone to UTC nanoseconds, caching the
/// offset per local hour (only when the whole hour is unambiguous), so that a
/// million rows cost a million additions instead of a million tz look-ups.
#[derive(Clone, Debug)]
pub(crate) struct TzConv {
    tz: TimeZone,
    fixed: Option<i64>,
    cache: Option<(i64, i64)>,
}

impl TzConv {
    /// A converter for `tz`.
    pub(crate) fn new(tz: &TimeZone) -> Self {
        let fixed = tz
            .to_fixed_offset()
            .ok()
            .map(|o| i64::from(o.seconds()) * NANOS_PER_SEC);
        TzConv {
            tz: tz.clone(),
            fixed,
            cache: None,
        }
    }

    /// UTC nanoseconds of a local date-time; gaps and folds resolve like jiff's
    /// `compatible` (gap: the later offset, fold: the earlier instant).
    #[inline]
    pub(crate) fn local_to_utc(&mut self, days: i64, tod: i64) -> Option<i64> {
        let local = days.checked_mul(NANOS_PER_DAY)?.checked_add(tod)?;
        match self.fixed {
            Some(off) => local.checked_sub(off),
            None => self.zoned_to_utc(local),
        }
    }

    #[inline(never)]
    fn zoned_to_utc(&mut self, local: i64) -> Option<i64> {
        let hour = local.div_euclid(3600 * NANOS_PER_SEC);
        if let Some((h, off)) = self.cache
            && h == hour
        {
            return Some(local - off);
        }
        let hour_start = hour * 3600 * NANOS_PER_SEC;
        let a = self.offset_of(hour_start)?;
        let b = self.offset_of(hour_start + 3600 * NANOS_PER_SEC - 1)?;
        if let (Ok(x), Ok(y)) = (a, b)
            && x == y
        {
            self.cache = Some((hour, x));
            return Some(local - x);
        }
        let dt = local_to_datetime(local)?;
        let ts = self.tz.to_timestamp(dt).ok()?;
        i64::try_from(ts.as_nanosecond()).ok()
    }

    /// `Ok(offset_ns)` when the local time is unambiguous, `Err(())` otherwise.
    fn offset_of(&self, local: i64) -> Option<Result<i64, ()>> {
        let dt = local_to_datetime(local)?;
        Some(match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                Ok(i64::from(offset.seconds()) * NANOS_PER_SEC)
            }
            _ => Err(()),
        })
    }
}

fn local_to_datetime(local: i64) -> Option<DateTime> {
    let days = local.div_euclid(NANOS_PER_DAY);
    let tod = local.rem_euclid(NANOS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = tod / NANOS_PER_SEC;
    DateTime::new(
        i16::try_from(y).ok()?,
        m as i8,
        d as i8,
        (secs / 3600) as i8,
        (secs / 60 % 60) as i8,
        (secs % 60) as i8,
        (tod % NANOS_PER_SEC) as i32,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeparse::days_from_civil;

    #[test]
    fn tz_conversion_handles_dst_and_cache() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let mut c = TzConv::new(&ny);
        let d = days_from_civil(2024, 7, 1).unwrap();
        let got = c.local_to_utc(d, 9 * 3600 * NANOS_PER_SEC).unwrap();
        assert_eq!(got, d * NANOS_PER_DAY + 13 * 3600 * NANOS_PER_SEC);
        let w = days_from_civil(2024, 1, 2).unwrap();
        assert_eq!(
            c.local_to_utc(w, 9 * 3600 * NANOS_PER_SEC).unwrap(),
            w * NANOS_PER_DAY + 14 * 3600 * NANOS_PER_SEC
        );
        // Fold (01:30 happens twice on 2024-11-03): the earlier instant.
        let f = days_from_civil(2024, 11, 3).unwrap();
        assert_eq!(
            c.local_to_utc(f, 5400 * NANOS_PER_SEC).unwrap(),
            f * NANOS_PER_DAY + (5 * 3600 + 1800) * NANOS_PER_SEC
        );
    }
}
