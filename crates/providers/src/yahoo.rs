//! Yahoo Finance's chart endpoint (`GET {base}/v8/finance/chart/{symbol}`): daily bars
//! of stocks, no key.
//!
//! The endpoint is unofficial (no SLA), so the adapter reads it strictly:
//! - **Labels.** Yahoo stamps a daily bar with its session's start (`…T14:30:00Z` for
//!   New York). The bar's date is taken on the exchange's clock
//!   (`meta.exchangeTimezoneName`) and labelled midnight UTC of that date, as every
//!   daily bar in tradelab. The asked period is widened by a day each side (a session
//!   east of UTC starts on the previous UTC day) and the labels are then held to
//!   `[from, to)`.
//! - **Closed days only.** Yahoo includes the day in progress. A day counts once its
//!   regular session has closed: on New York's clock by [`tradelab_calendar`] (early
//!   closes included), elsewhere at the end of the local day. `history` and `latest`
//!   both leave the open day out.
//! - **Rows.** `timestamp[]` and the `indicators.quote[0]` arrays run in parallel; a row
//!   whose open, high, low and close are all null is a missing bar and is dropped (as
//!   yfinance does); a row with only some nulls is an error naming the value
//!   (`chart.result[0].indicators.quote[0].close[17]`); arrays of different lengths are
//!   malformed. Prices are Yahoo's quote prices (split-adjusted, not dividend-adjusted).
//! - **Errors.** `chart.error` "Not Found" (with 404 or 200) is an unknown symbol; a 429
//!   or a plain-text "Too Many Requests" is a rate limit.

use crate::config::{Credentials, ProviderSettings};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::{Http, HttpConfig, Refusal};
use crate::provider::{AssetClass, BarRequest, Provider, ProviderFuture};
use crate::validate::{RawBar, check_bar};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::sync::Arc;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};

/// Yahoo's public chart host.
pub const DEFAULT_BASE_URL: &str = "https://query1.finance.yahoo.com";

/// Yahoo answers scripts' default agents with errors; it is sent a browser's.
pub const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The JSON path of the quote arrays, for errors.
const QUOTE: &str = "chart.result[0].indicators.quote[0]";

const SECS_PER_DAY: i64 = 86_400;

/// What tells the adapter the time: the system clock, or a test's.
type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The Yahoo adapter: daily bars of stocks.
pub struct YahooProvider {
    name: String,
    base_url: String,
    http: Http,
    nyse: Calendar,
    now: Clock,
}

impl YahooProvider {
    /// An adapter with `settings` (`base_url` None: [`DEFAULT_BASE_URL`]); Yahoo needs
    /// no key, so `credentials` are not read.
    pub fn new(
        settings: &ProviderSettings,
        credentials: Credentials,
        http: HttpConfig,
    ) -> Result<Self, ProviderError> {
        let _ = credentials;
        let name = settings.display_name().to_string();
        let nyse = Calendar::new(Exchange::Nyse).map_err(|e| {
            ProviderError::new(&name, ProviderErrorKind::NotConfigured(e.to_string()))
        })?;
        Ok(YahooProvider {
            http: Http::new(&name, http)?,
            base_url: settings
                .base_url
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            name,
            nyse,
            now: Arc::new(|| {
                Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(0))
            }),
        })
    }

    /// The same adapter telling the time by `now` (which days have closed): for tests
    /// and replays.
    pub fn with_clock(mut self, now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    fn error(&self, kind: ProviderErrorKind) -> ProviderError {
        ProviderError::new(&self.name, kind)
    }

    fn daily_only(&self, timeframe: Timeframe) -> Result<(), ProviderError> {
        if timeframe == Timeframe::DAY {
            Ok(())
        } else {
            Err(self.error(ProviderErrorKind::Unsupported(format!(
                "{timeframe} bars (Yahoo serves daily bars, 1d, only)"
            ))))
        }
    }

    /// `{base}/v8/finance/chart/{symbol}`, the symbol as one escaped path segment.
    fn chart_url(&self, symbol: &Symbol) -> Result<String, ProviderError> {
        let mut url = reqwest::Url::parse(&self.base_url).map_err(|e| {
            self.error(ProviderErrorKind::NotConfigured(format!(
                "base_url {:?} is not a URL: {e}",
                self.base_url
            )))
        })?;
        url.path_segments_mut()
            .map_err(|()| {
                self.error(ProviderErrorKind::NotConfigured(format!(
                    "base_url {:?} cannot have a path",
                    self.base_url
                )))
            })?
            .pop_if_empty()
            .extend(["v8", "finance", "chart", symbol.as_str()]);
        Ok(url.into())
    }

    /// The closed daily bars of `symbol` labelled in `[from, to)`, in date order.
    async fn daily_bars(
        &self,
        symbol: &Symbol,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Bar>, ProviderError> {
        let secs = |t: Timestamp| t.nanos().div_euclid(1_000_000_000);
        let query = [
            ("period1", (secs(from) - SECS_PER_DAY).to_string()),
            ("period2", (secs(to) + SECS_PER_DAY).to_string()),
            ("interval", "1d".to_string()),
            ("includePrePost", "false".to_string()),
            ("events", "div,splits".to_string()),
        ];
        let url = self.chart_url(symbol)?;
        let classify = |r: &Refusal<'_>| refusal_kind(symbol, r);
        let body = self
            .http
            .get_text_with(&url, &[("User-Agent", USER_AGENT)], &query, &classify)
            .await?;
        if is_too_many_requests(&body) {
            return Err(self.error(ProviderErrorKind::RateLimited { retry_after: None }));
        }
        let envelope: Envelope = self.http.parse_json(&body)?;
        if let Some(error) = envelope.chart.error {
            return Err(self.error(chart_error_kind(symbol, 200, &error)));
        }
        let result = envelope
            .chart
            .result
            .and_then(|r| r.into_iter().next())
            .ok_or_else(|| {
                ProviderError::malformed(&self.name, "chart.result", "no result and no error")
            })?;
        let now = (self.now)();
        let rows = self.rows(result)?;
        let mut bars: Vec<Bar> = Vec::with_capacity(rows.len());
        for row in rows {
            if !self.closed(row.date, &row.zone, now)? {
                continue;
            }
            if let Some(last) = bars.last()
                && row.bar.ts() <= last.ts()
            {
                return Err(self.error(ProviderErrorKind::InvalidBar {
                    field: format!("chart.result[0].timestamp[{}]", row.index),
                    message: format!(
                        "date {} is not after the bar before it ({})",
                        row.date,
                        last.ts().display_auto()
                    ),
                }));
            }
            bars.push(row.bar);
        }
        bars.retain(|b| b.ts() >= from && b.ts() < to);
        Ok(bars)
    }

    /// Every non-missing row of `result`, checked, with its exchange date.
    fn rows(&self, result: ChartResult) -> Result<Vec<Row>, ProviderError> {
        let tz_name = result.meta.exchange_timezone_name.ok_or_else(|| {
            ProviderError::malformed(
                &self.name,
                "chart.result[0].meta.exchangeTimezoneName",
                "missing",
            )
        })?;
        let zone = TimeZone::get(&tz_name).map_err(|e| {
            ProviderError::malformed(
                &self.name,
                "chart.result[0].meta.exchangeTimezoneName",
                format!("{tz_name:?} is not a known time zone: {e}"),
            )
        })?;
        let times = result.timestamp.unwrap_or_default();
        if times.is_empty() {
            return Ok(Vec::new());
        }
        let quote = result
            .indicators
            .and_then(|i| i.quote.into_iter().next())
            .ok_or_else(|| {
                ProviderError::malformed(&self.name, QUOTE, "missing, but there are timestamps")
            })?;
        let n = times.len();
        let column = |name: &str, values: Option<Vec<Option<f64>>>| match values {
            None => Err(ProviderError::malformed(
                &self.name,
                format!("{QUOTE}.{name}"),
                format!("missing, timestamp has {n} entries"),
            )),
            Some(v) if v.len() != n => Err(ProviderError::malformed(
                &self.name,
                format!("{QUOTE}.{name}"),
                format!("{} entries, timestamp has {n}", v.len()),
            )),
            Some(v) => Ok(v),
        };
        let open = column("open", quote.open)?;
        let high = column("high", quote.high)?;
        let low = column("low", quote.low)?;
        let close = column("close", quote.close)?;
        let volume = column("volume", quote.volume)?;
        let mut rows = Vec::with_capacity(n);
        for (i, &t) in times.iter().enumerate() {
            let prices = [
                ("open", open[i]),
                ("high", high[i]),
                ("low", low[i]),
                ("close", close[i]),
                ("volume", volume[i]),
            ];
            if prices[..4].iter().all(|(_, v)| v.is_none()) {
                continue;
            }
            let value = |k: usize| {
                let (field, v) = prices[k];
                v.ok_or_else(|| {
                    ProviderError::malformed(
                        &self.name,
                        format!("{QUOTE}.{field}[{i}]"),
                        "null while other values of the row are set",
                    )
                })
            };
            let (o, h, l, c, v) = (value(0)?, value(1)?, value(2)?, value(3)?, value(4)?);
            let at = jiff::Timestamp::from_second(t).map_err(|e| {
                ProviderError::malformed(
                    &self.name,
                    format!("chart.result[0].timestamp[{i}]"),
                    e.to_string(),
                )
            })?;
            let date = at.to_zoned_datetime(zone.clone()).date();
            let label = midnight_utc(date).ok_or_else(|| {
                ProviderError::malformed(
                    &self.name,
                    format!("chart.result[0].timestamp[{i}]"),
                    format!("date {date} is out of range"),
                )
            })?;
            let raw = RawBar {
                ts: label,
                open: o,
                high: h,
                low: l,
                close: c,
                volume: v,
            };
            let bar = check_bar(&self.name, QUOTE, &raw).map_err(|mut e| {
                if let ProviderErrorKind::InvalidBar { field, .. } = &mut e.kind {
                    field.push_str(&format!("[{i}]"));
                }
                e
            })?;
            rows.push(Row {
                index: i,
                date,
                zone: zone.clone(),
                bar,
            });
        }
        Ok(rows)
    }

    /// Whether the exchange's day `date` had closed at `now`: New York by the NYSE
    /// calendar's regular close, other zones (or NYSE holidays with a bar) at the end of
    /// the local day.
    fn closed(&self, date: Date, zone: &TimeZone, now: Timestamp) -> Result<bool, ProviderError> {
        let out_of_range = |e: &dyn std::fmt::Display| {
            ProviderError::malformed(
                &self.name,
                "chart.result[0].timestamp",
                format!("date {date}: {e}"),
            )
        };
        let new_york = zone.iana_name() == Some(Exchange::Nyse.time_zone_name());
        let session = if new_york {
            self.nyse.session(date).map_err(|e| out_of_range(&e))?
        } else {
            None
        };
        let close = match session {
            Some(day) => day.regular.close,
            None => date
                .tomorrow()
                .and_then(|d| d.to_zoned_datetime(zone.clone()))
                .map_err(|e| out_of_range(&e))?
                .timestamp(),
        };
        Ok(now.to_jiff() >= close)
    }
}

/// One checked row of the chart.
struct Row {
    index: usize,
    date: Date,
    zone: TimeZone,
    bar: Bar,
}

/// Midnight UTC of `date`: the label of its daily bar.
fn midnight_utc(date: Date) -> Option<Timestamp> {
    let at = date.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp();
    Timestamp::from_jiff(at)
}

/// Yahoo's throttling reply: plain text, whatever the status.
fn is_too_many_requests(body: &str) -> bool {
    body.trim_start().starts_with("Too Many Requests")
}

/// Yahoo's reading of a non-2xx reply: `chart.error` "Not Found" is an unknown symbol,
/// "Too Many Requests" text (other than with a 429, which the common rules retry) a rate
/// limit; the rest is left to the common rules.
fn refusal_kind(symbol: &Symbol, refusal: &Refusal<'_>) -> Option<ProviderErrorKind> {
    if refusal.status != 429 && is_too_many_requests(refusal.body) {
        return Some(ProviderErrorKind::RateLimited {
            retry_after: refusal.retry_after,
        });
    }
    let envelope: Envelope = serde_json::from_str(refusal.body).ok()?;
    let error = envelope.chart.error?;
    is_not_found(&error).then(|| ProviderErrorKind::UnknownSymbol(symbol.to_string()))
}

fn is_not_found(error: &ChartError) -> bool {
    error.code.as_deref() == Some("Not Found")
        || error
            .description
            .as_deref()
            .is_some_and(|d| d.contains("No data found"))
}

/// The kind of a `chart.error` that came with `status`.
fn chart_error_kind(symbol: &Symbol, status: u16, error: &ChartError) -> ProviderErrorKind {
    if is_not_found(error) {
        return ProviderErrorKind::UnknownSymbol(symbol.to_string());
    }
    ProviderErrorKind::Rejected {
        status,
        message: format!(
            "{}: {}",
            error.code.as_deref().unwrap_or("error"),
            error.description.as_deref().unwrap_or("(no description)")
        ),
    }
}

impl Provider for YahooProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        class == AssetClass::Stock && timeframe == Timeframe::DAY
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            self.daily_only(request.timeframe)?;
            if request.from >= request.to {
                return Ok(Vec::new());
            }
            self.daily_bars(&request.symbol, request.from, request.to)
                .await
        })
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move {
            self.daily_only(timeframe)?;
            let today = Timeframe::DAY.floor((self.now)());
            let from = Timestamp::from_nanos(today.nanos() - 14 * Timeframe::DAY.nanos());
            let to = Timestamp::from_nanos(today.nanos() + Timeframe::DAY.nanos());
            Ok(self.daily_bars(symbol, from, to).await?.pop())
        })
    }
}

/// `{"chart": {"result": [...], "error": ...}}`.
#[derive(Deserialize)]
struct Envelope {
    chart: Chart,
}

#[derive(Deserialize)]
struct Chart {
    #[serde(default)]
    result: Option<Vec<ChartResult>>,
    #[serde(default)]
    error: Option<ChartError>,
}

/// `{"code": "Not Found", "description": "No data found, symbol may be delisted"}`.
#[derive(Deserialize)]
struct ChartError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct ChartResult {
    meta: Meta,
    /// Left out when the period has no bars.
    #[serde(default)]
    timestamp: Option<Vec<i64>>,
    #[serde(default)]
    indicators: Option<Indicators>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(rename = "exchangeTimezoneName", default)]
    exchange_timezone_name: Option<String>,
}

#[derive(Deserialize)]
struct Indicators {
    #[serde(default)]
    quote: Vec<Quote>,
}

/// The parallel arrays; each is checked against `timestamp`'s length.
#[derive(Deserialize)]
struct Quote {
    #[serde(default)]
    open: Option<Vec<Option<f64>>>,
    #[serde(default)]
    high: Option<Vec<Option<f64>>>,
    #[serde(default)]
    low: Option<Vec<Option<f64>>>,
    #[serde(default)]
    close: Option<Vec<Option<f64>>>,
    #[serde(default)]
    volume: Option<Vec<Option<f64>>>,
}
