//! Query values shared by routes: period bounds, symbols, timeframes. A bad value is a
//! 422 naming the parameter.

use crate::error::ApiError;
use tradelab_core::{Symbol, Timeframe, Timestamp};

/// A period bound: a date (`2024-01-31`: its start, or its end when `end_of_day`) or
/// an RFC 3339 time.
pub fn time_bound(field: &str, text: &str, end_of_day: bool) -> Result<Timestamp, ApiError> {
    let t = text.trim();
    let bad = || {
        ApiError::invalid(
            field,
            format!("{field} {t:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"),
        )
    };
    if let Ok(date) = t.parse::<jiff::civil::Date>() {
        let day = if end_of_day {
            date.tomorrow().map_err(|_| bad())?
        } else {
            date
        };
        let ts = day
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|_| bad())?
            .timestamp();
        let ts = Timestamp::from_jiff(ts).ok_or_else(bad)?;
        return Ok(if end_of_day {
            Timestamp::from_nanos(ts.nanos() - 1)
        } else {
            ts
        });
    }
    let ts = t.parse::<jiff::Timestamp>().map_err(|_| bad())?;
    Timestamp::from_jiff(ts).ok_or_else(bad)
}

/// An optional period `[from, to]`; `from` after `to` is refused.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<Timestamp>, Option<Timestamp>), ApiError> {
    let from = from.map(|f| time_bound("from", f, false)).transpose()?;
    let to = to.map(|t| time_bound("to", t, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid("from", "from is after to"));
    }
    Ok((from, to))
}

/// A symbol.
pub fn symbol(field: &str, text: &str) -> Result<Symbol, ApiError> {
    Symbol::new(text.trim()).map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

/// A timeframe (`1m`, `5m`, `1h`, `1d`).
pub fn timeframe(field: &str, text: &str) -> Result<Timeframe, ApiError> {
    text.trim()
        .parse::<Timeframe>()
        .map_err(|e| ApiError::invalid(field, format!("{field} {text:?} is not a timeframe: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_bound_covers_the_whole_day() {
        let from = time_bound("from", "2024-01-31", false).expect("from");
        let to = time_bound("to", "2024-01-31", true).expect("to");
        assert_eq!(to.nanos() - from.nanos(), 86_400_000_000_000 - 1);
        let t = time_bound("from", "2024-01-31T10:00:00Z", false).expect("time");
        assert_eq!(t.nanos() - from.nanos(), 36_000_000_000_000);
    }

    #[test]
    fn rejects_a_bad_bound_naming_the_parameter() {
        let e = time_bound("to", "yesterday", true).expect_err("refused");
        assert_eq!(e.field.as_deref(), Some("to"));
        assert!(period(Some("2024-02-01"), Some("2024-01-01")).is_err());
    }
}
