//! Alpaca's JSON shapes (bars, pages, the latest bar) and its timeframe names.

use crate::error::ProviderError;
use crate::validate::{RawBar, new_york_daily_label};
use tradelab_core::{Timeframe, Timestamp};

/// One page of `GET /v2/stocks/{symbol}/bars`. `bars` is `null` when there are none.
#[derive(Debug, serde::Deserialize)]
pub(super) struct BarsPage {
    #[serde(default)]
    pub bars: Option<Vec<WireBar>>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// `GET /v2/stocks/{symbol}/bars/latest`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct LatestBar {
    #[serde(default)]
    pub bar: Option<WireBar>,
}

/// One bar: `t` the start as RFC 3339 in UTC; `n`, `vw` and other fields are ignored.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct WireBar {
    pub t: String,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
}

impl WireBar {
    /// The bar with its time read and labelled the tradelab way (a daily bar by its New
    /// York date); `at` names it in errors (`bars[3]`).
    pub fn to_raw(
        &self,
        provider: &str,
        at: &str,
        timeframe: Timeframe,
    ) -> Result<RawBar, ProviderError> {
        let ts = parse_time(provider, &format!("{at}.t"), &self.t)?;
        Ok(RawBar {
            ts: if timeframe == Timeframe::DAY {
                new_york_daily_label(ts)
            } else {
                ts
            },
            open: self.o,
            high: self.h,
            low: self.l,
            close: self.c,
            volume: self.v,
        })
    }
}

/// An RFC 3339 time; `field` names it in the error.
pub(super) fn parse_time(
    provider: &str,
    field: &str,
    text: &str,
) -> Result<Timestamp, ProviderError> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .and_then(Timestamp::from_jiff)
        .ok_or_else(|| {
            ProviderError::malformed(provider, field, format!("{text:?} is not an RFC 3339 time"))
        })
}

/// Alpaca's `timeframe` for `timeframe`: `{1-59}Min`, `{1-23}Hour` or `1Day`.
pub(super) fn timeframe_param(timeframe: Timeframe) -> Option<String> {
    let secs = timeframe.nanos() / 1_000_000_000;
    if timeframe == Timeframe::DAY {
        return Some("1Day".to_string());
    }
    if secs % 60 != 0 {
        return None;
    }
    let minutes = secs / 60;
    match minutes {
        1..=59 => Some(format!("{minutes}Min")),
        m if m % 60 == 0 && (1..=23).contains(&(m / 60)) => Some(format!("{}Hour", m / 60)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeframes_map_to_alpaca_names() {
        let tf = |s: &str| s.parse::<Timeframe>().unwrap();
        assert_eq!(timeframe_param(tf("1m")).as_deref(), Some("1Min"));
        assert_eq!(timeframe_param(tf("15m")).as_deref(), Some("15Min"));
        assert_eq!(timeframe_param(tf("1h")).as_deref(), Some("1Hour"));
        assert_eq!(timeframe_param(tf("4h")).as_deref(), Some("4Hour"));
        assert_eq!(timeframe_param(tf("1d")).as_deref(), Some("1Day"));
        assert_eq!(timeframe_param(tf("90m")), None);
        assert_eq!(timeframe_param(tf("30s")), None);
        assert_eq!(timeframe_param(tf("2d")), None);
    }
}
