//! Polygon (Massive) aggregates for US stocks: `GET /v2/aggs/ticker/{T}/range/{mult}/
//! {timespan}/{from_ms}/{to_ms}`, paged by following `next_url` as given (with the
//! bearer header added, and only on the configured host so the key never leaves it).
//!
//! `t` is the window start in Unix milliseconds; a daily bar's `t` is New York
//! midnight and is relabelled to midnight UTC of that date. `results` is left out when
//! there are none. A `status` other than `OK` or `DELAYED` is an error. Polygon has no
//! stream here: a live feed polls [`Provider::history`].

use crate::config::{Credentials, ProviderSettings};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::{Http, HttpConfig};
use crate::provider::{AssetClass, BarRequest, Provider, ProviderFuture};
use crate::validate::{RawBar, check_bars, new_york_daily_label};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};

/// Polygon's public REST base.
pub const DEFAULT_BASE_URL: &str = "https://api.polygon.io";
/// Base aggregates per page: Polygon's maximum.
const PAGE_LIMIT: u32 = 50_000;
/// Pages followed before giving up on a vendor that keeps paging.
const MAX_PAGES: usize = 10_000;
const NANOS_PER_MS: i64 = 1_000_000;

/// The Polygon adapter: one API key sent as `Authorization: Bearer`.
pub struct PolygonProvider {
    name: String,
    base_url: String,
    authorization: String,
    http: Http,
}

/// One page of aggregates.
#[derive(Debug, serde::Deserialize)]
struct AggsPage {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    results: Option<Vec<Agg>>,
    #[serde(default)]
    next_url: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// One aggregate bar; `vw`, `n`, `otc` are ignored.
#[derive(Debug, serde::Deserialize)]
struct Agg {
    t: i64,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
}

impl PolygonProvider {
    /// An adapter with `settings` and `credentials` (the key is required).
    pub fn new(
        settings: &ProviderSettings,
        credentials: Credentials,
        http: HttpConfig,
    ) -> Result<Self, ProviderError> {
        let key = credentials.require_key(settings)?;
        let name = settings.display_name().to_string();
        Ok(PolygonProvider {
            base_url: settings
                .base_url
                .as_deref()
                .unwrap_or(DEFAULT_BASE_URL)
                .trim_end_matches('/')
                .to_string(),
            authorization: format!("Bearer {key}"),
            http: Http::new(&name, http)?,
            name,
        })
    }

    fn error(&self, kind: ProviderErrorKind) -> ProviderError {
        ProviderError::new(&self.name, kind)
    }

    /// A refusal that means the ticker does not exist becomes `UnknownSymbol`.
    fn symbol_error(&self, symbol: &Symbol, e: ProviderError) -> ProviderError {
        match &e.kind {
            ProviderErrorKind::Rejected {
                status: 404,
                message,
            } => self.error(ProviderErrorKind::UnknownSymbol(format!(
                "{symbol} (404: {message})"
            ))),
            _ => e,
        }
    }

    /// The page's `status` as an error unless it is `OK` or `DELAYED`.
    fn check_status(&self, symbol: &Symbol, page: &AggsPage) -> Result<(), ProviderError> {
        let Some(status) = page.status.as_deref() else {
            return Ok(());
        };
        let message = || {
            page.message
                .clone()
                .or_else(|| page.error.clone())
                .unwrap_or_else(|| "(no message)".to_string())
        };
        let kind = match status {
            "OK" | "DELAYED" => return Ok(()),
            "NOT_AUTHORIZED" => ProviderErrorKind::Unauthorized(message()),
            "NOT_FOUND" => ProviderErrorKind::UnknownSymbol(format!("{symbol} ({})", message())),
            other => ProviderErrorKind::Rejected {
                status: 200,
                message: format!("status {other}: {}", message()),
            },
        };
        Err(self.error(kind))
    }

    /// `next_url` if it points at the configured host (the key is sent with it).
    fn next_page(&self, next: &str) -> Result<String, ProviderError> {
        let origin = |u: &str| {
            reqwest::Url::parse(u).ok().map(|u| {
                (
                    u.scheme().to_string(),
                    u.host_str().map(str::to_string),
                    u.port_or_known_default(),
                )
            })
        };
        match (origin(next), origin(&self.base_url)) {
            (Some(a), Some(b)) if a == b => Ok(next.to_string()),
            _ => Err(ProviderError::malformed(
                &self.name,
                "next_url",
                format!(
                    "{next:?} is not a URL on {} (not followed with the key)",
                    self.base_url
                ),
            )),
        }
    }

    /// Every page of aggregates of `request`, as raw bars labelled the tradelab way.
    async fn fetch(&self, request: &BarRequest) -> Result<Vec<RawBar>, ProviderError> {
        let (multiplier, timespan) = timespan(request.timeframe).ok_or_else(|| {
            self.error(ProviderErrorKind::Unsupported(format!(
                "timeframe {} (Polygon here has minutes, hours and 1 day)",
                request.timeframe
            )))
        })?;
        let from_ms = request.from.nanos().div_euclid(NANOS_PER_MS);
        // Polygon's `to` is inclusive; tradelab's is not.
        let to_ms = (request.to.nanos() - 1).div_euclid(NANOS_PER_MS);
        let segments = [
            "v2",
            "aggs",
            "ticker",
            request.symbol.as_str(),
            "range",
            &multiplier.to_string(),
            timespan,
            &from_ms.to_string(),
            &to_ms.to_string(),
        ];
        let mut url = self.http.url(&self.base_url, &segments)?;
        let mut query = vec![
            ("adjusted", "true".to_string()),
            ("sort", "asc".to_string()),
            ("limit", PAGE_LIMIT.to_string()),
        ];
        let headers = [("Authorization", self.authorization.as_str())];
        let mut raw = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let page: AggsPage = self
                .http
                .get_json(&url, &headers, &query)
                .await
                .map_err(|e| self.symbol_error(&request.symbol, e))?;
            self.check_status(&request.symbol, &page)?;
            let offset = raw.len();
            for (i, agg) in page.results.unwrap_or_default().iter().enumerate() {
                raw.push(self.to_raw(
                    &format!("results[{}]", offset + i),
                    agg,
                    request.timeframe,
                )?);
            }
            match page.next_url {
                Some(next) if !next.is_empty() => {
                    if !seen.insert(next.clone()) {
                        return Err(ProviderError::malformed(
                            &self.name,
                            "next_url",
                            format!("{next} was already followed"),
                        ));
                    }
                    url = self.next_page(&next)?;
                    // `next_url` carries the whole query (with its cursor).
                    query.clear();
                }
                _ => return Ok(raw),
            }
        }
        Err(ProviderError::malformed(
            &self.name,
            "next_url",
            format!("still paging after {MAX_PAGES} pages"),
        ))
    }

    fn to_raw(&self, at: &str, agg: &Agg, timeframe: Timeframe) -> Result<RawBar, ProviderError> {
        let ts = agg
            .t
            .checked_mul(NANOS_PER_MS)
            .map(Timestamp::from_nanos)
            .ok_or_else(|| {
                ProviderError::malformed(
                    &self.name,
                    format!("{at}.t"),
                    format!("{} ms is not a time tradelab can hold", agg.t),
                )
            })?;
        Ok(RawBar {
            ts: if timeframe == Timeframe::DAY {
                new_york_daily_label(ts)
            } else {
                ts
            },
            open: agg.o,
            high: agg.h,
            low: agg.l,
            close: agg.c,
            volume: agg.v,
        })
    }
}

/// Polygon's multiplier and timespan for `timeframe`: whole hours under a day as
/// `hour`, other whole minutes as `minute`, and one day.
fn timespan(timeframe: Timeframe) -> Option<(i64, &'static str)> {
    if timeframe == Timeframe::DAY {
        return Some((1, "day"));
    }
    let secs = timeframe.nanos() / 1_000_000_000;
    match secs {
        s if s % 3600 == 0 && s < 86_400 => Some((s / 3600, "hour")),
        s if s % 60 == 0 && s < 86_400 => Some((s / 60, "minute")),
        _ => None,
    }
}

fn now() -> Timestamp {
    Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(i64::MAX))
}

impl Provider for PolygonProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        class == AssetClass::Stock && timespan(timeframe).is_some()
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            if request.to <= request.from {
                return Ok(Vec::new());
            }
            let raw = self.fetch(request).await?;
            check_bars(&self.name, "results", &raw, request)
        })
    }

    /// The last closed bar of a recent window (ten bars' length, at least two weeks).
    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move {
            let now = now();
            crate::provider::latest_closed_stock_bar(self, symbol, timeframe, now).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeframes_map_to_polygon_timespans() {
        let tf = |s: &str| s.parse::<Timeframe>().unwrap();
        assert_eq!(timespan(tf("1m")), Some((1, "minute")));
        assert_eq!(timespan(tf("90m")), Some((90, "minute")));
        assert_eq!(timespan(tf("2h")), Some((2, "hour")));
        assert_eq!(timespan(tf("1d")), Some((1, "day")));
        assert_eq!(timespan(tf("30s")), None);
        assert_eq!(timespan(tf("2d")), None);
    }
}
