//! The bar checks every received bar passes: the CSV importer's, plus what a request
//! implies (inside its range, in time order, no duplicates).

use crate::error::{ProviderError, ProviderErrorKind};
use crate::provider::BarRequest;
use tradelab_core::{Bar, Timestamp};

/// One bar as a vendor sent it, before the checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawBar {
    pub ts: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// Checks `raw` against the bar invariants and `request`, returning the bars in time
/// order. `what` names the payload's list (`bars`, `results`) for errors: a bad bar is
/// `InvalidBar` at `what[i].field`. Bars outside `[from, to)` are dropped (vendors
/// round ranges to whole days); an unordered or duplicated time is an error.
pub fn check_bars(
    provider: &str,
    what: &str,
    raw: &[RawBar],
    request: &BarRequest,
) -> Result<Vec<Bar>, ProviderError> {
    let mut bars = Vec::with_capacity(raw.len());
    let mut last: Option<Timestamp> = None;
    for (i, r) in raw.iter().enumerate() {
        let bar = check_bar(provider, &format!("{what}[{i}]"), r)?;
        if let Some(prev) = last
            && r.ts <= prev
        {
            return Err(ProviderError::new(
                provider,
                ProviderErrorKind::InvalidBar {
                    field: format!("{what}[{i}].t"),
                    message: format!(
                        "time {} is not after the bar before it ({})",
                        r.ts.display_auto(),
                        prev.display_auto()
                    ),
                },
            ));
        }
        last = Some(r.ts);
        if r.ts >= request.from && r.ts < request.to {
            bars.push(bar);
        }
    }
    Ok(bars)
}

/// Checks one bar; `at` names it in errors (`bars[3]`).
pub fn check_bar(provider: &str, at: &str, r: &RawBar) -> Result<Bar, ProviderError> {
    Bar::new(r.ts, r.open, r.high, r.low, r.close, r.volume).map_err(|e| {
        let field = match &e {
            tradelab_core::BarError::NotFinite { field, .. }
            | tradelab_core::BarError::NonPositivePrice { field, .. }
            | tradelab_core::BarError::PriceOutOfRange { field, .. } => field,
            tradelab_core::BarError::NegativeVolume(_) => "volume",
            tradelab_core::BarError::HighBelow { .. } => "high",
            tradelab_core::BarError::LowAbove { .. } => "low",
        };
        ProviderError::new(
            provider,
            ProviderErrorKind::InvalidBar {
                field: format!("{at}.{field}"),
                message: e.to_string(),
            },
        )
    })
}

/// A vendor number that may come as a JSON number or a decimal string (Binance sends
/// strings): `field` names it in the error.
pub fn number(
    provider: &str,
    field: &str,
    value: &serde_json::Value,
) -> Result<f64, ProviderError> {
    let parsed = match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        ProviderError::malformed(provider, field, format!("expected a number, got {value}"))
    })
}

/// The tradelab label of a US stock's daily bar: midnight UTC of the New York date of
/// `vendor_ts` (vendors label a session by New York midnight, `…T05:00:00Z`, or by its
/// open, `…T14:30:00Z`; both are that date in New York).
pub fn new_york_daily_label(vendor_ts: Timestamp) -> Timestamp {
    let tz = jiff::tz::TimeZone::get("America/New_York").unwrap_or(jiff::tz::TimeZone::UTC);
    let date = vendor_ts.to_jiff().to_zoned_datetime(tz).date();
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .and_then(|z| Timestamp::from_jiff(z.timestamp()))
        .unwrap_or_else(|| vendor_ts.utc_midnight())
}

/// Whether a bar labelled `ts` of length `timeframe` has closed by `now`.
pub fn is_closed(ts: Timestamp, timeframe: tradelab_core::Timeframe, now: Timestamp) -> bool {
    ts.nanos().saturating_add(timeframe.nanos()) <= now.nanos()
}

/// Whether a US stock's bar labelled `ts` has closed by `now`. A daily bar (labelled by
/// its New York date) closes with that date's after-hours session (vendors fold
/// extended-hours trades into it), or at the end of the UTC day when the calendar has
/// no session that date; intraday bars close at the end of their interval.
pub fn is_stock_bar_closed(
    ts: Timestamp,
    timeframe: tradelab_core::Timeframe,
    now: Timestamp,
) -> bool {
    if timeframe != tradelab_core::Timeframe::DAY {
        return is_closed(ts, timeframe, now);
    }
    let date = ts
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let session = tradelab_calendar::Calendar::new(tradelab_calendar::Exchange::Nyse)
        .ok()
        .and_then(|calendar| calendar.session(date).ok().flatten());
    match session {
        Some(day) => now.to_jiff() >= day.after.unwrap_or(day.regular).close,
        None => is_closed(ts, timeframe, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::Timeframe;

    fn at(text: &str) -> Timestamp {
        Timestamp::from_jiff(text.parse().unwrap()).unwrap()
    }

    #[test]
    fn daily_labels_are_the_new_york_date() {
        // 01:30 UTC on the 30th is still the 29th in New York.
        assert_eq!(
            new_york_daily_label(at("2024-11-30T01:30:00Z")),
            at("2024-11-29T00:00:00Z")
        );
        assert_eq!(
            new_york_daily_label(at("2024-07-01T04:00:00Z")),
            at("2024-07-01T00:00:00Z")
        );
        assert_eq!(
            new_york_daily_label(at("2024-11-29T14:30:00Z")),
            at("2024-11-29T00:00:00Z")
        );
    }

    #[test]
    fn a_stock_daily_bar_closes_with_its_after_hours_session() {
        let day = at("2024-11-27T00:00:00Z");
        // Wednesday: after-hours ends at 20:00 New York, 01:00 UTC the next day.
        assert!(!is_stock_bar_closed(
            day,
            Timeframe::DAY,
            at("2024-11-28T00:59:00Z")
        ));
        assert!(is_stock_bar_closed(
            day,
            Timeframe::DAY,
            at("2024-11-28T01:00:00Z")
        ));
        // The day after Thanksgiving closes early: after-hours ends at 17:00 New York.
        let friday = at("2024-11-29T00:00:00Z");
        assert!(is_stock_bar_closed(
            friday,
            Timeframe::DAY,
            at("2024-11-29T22:00:00Z")
        ));
        assert!(!is_stock_bar_closed(
            friday,
            Timeframe::DAY,
            at("2024-11-29T21:59:00Z")
        ));
        // A minute bar closes at the end of its minute.
        let minute = at("2024-11-29T14:30:00Z");
        assert!(!is_stock_bar_closed(
            minute,
            Timeframe::MINUTE,
            at("2024-11-29T14:30:59Z")
        ));
        assert!(is_stock_bar_closed(
            minute,
            Timeframe::MINUTE,
            at("2024-11-29T14:31:00Z")
        ));
    }
}
