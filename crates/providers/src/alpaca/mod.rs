//! Alpaca Market Data v2 for US stocks: REST bars (paged by `next_page_token`), the
//! latest minute bar, and the websocket stream of minute bars ([`stream`]).
//!
//! Alpaca's `start`/`end` are inclusive; tradelab's ranges are `[from, to)`, so `end` is
//! one second before `to` and [`check_bars`] drops anything outside the range. Daily
//! bars come labelled by New York midnight (`…T05:00:00Z`) and are relabelled to
//! midnight UTC of that date.

mod stream;
mod wire;

use crate::config::{Credentials, ProviderSettings};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::{Http, HttpConfig};
use crate::provider::{AssetClass, BarRequest, BarStream, Provider, ProviderFuture};
use crate::validate::{check_bar, check_bars, is_stock_bar_closed};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use wire::{BarsPage, LatestBar};

/// Alpaca's public market-data REST base.
pub const DEFAULT_BASE_URL: &str = "https://data.alpaca.markets";
/// Alpaca's public market-data websocket base (the feed is appended: `/v2/iex`).
pub const DEFAULT_STREAM_URL: &str = "wss://stream.data.alpaca.markets";
/// The feed free plans have.
pub const DEFAULT_FEED: &str = "iex";
/// Bars per page: Alpaca's maximum.
const PAGE_LIMIT: u32 = 10_000;
/// Pages followed before giving up on a vendor that keeps paging.
const MAX_PAGES: usize = 10_000;

/// The Alpaca adapter: key and secret in headers, one feed (`iex` or `sip`).
pub struct AlpacaProvider {
    name: String,
    base_url: String,
    stream_url: String,
    feed: String,
    key: String,
    secret: String,
    http: Http,
    /// How long each step of the stream's handshake may take (the HTTP timeout).
    handshake_timeout: std::time::Duration,
}

impl AlpacaProvider {
    /// An adapter with `settings` and `credentials`; both key and secret are required
    /// ([`ProviderErrorKind::NotConfigured`] names the variable to set).
    pub fn new(
        settings: &ProviderSettings,
        credentials: Credentials,
        http: HttpConfig,
    ) -> Result<Self, ProviderError> {
        let key = credentials.require_key(settings)?.to_string();
        let secret = credentials.require_secret(settings)?.to_string();
        let name = settings.display_name().to_string();
        let trim = |url: &Option<String>, default: &str| {
            url.as_deref()
                .unwrap_or(default)
                .trim_end_matches('/')
                .to_string()
        };
        Ok(AlpacaProvider {
            base_url: trim(&settings.base_url, DEFAULT_BASE_URL),
            stream_url: trim(&settings.stream_url, DEFAULT_STREAM_URL),
            feed: settings
                .feed
                .clone()
                .unwrap_or_else(|| DEFAULT_FEED.to_string()),
            key,
            secret,
            handshake_timeout: http.timeout,
            http: Http::new(&name, http)?,
            name,
        })
    }

    fn headers(&self) -> [(&str, &str); 2] {
        [
            ("APCA-API-KEY-ID", self.key.as_str()),
            ("APCA-API-SECRET-KEY", self.secret.as_str()),
        ]
    }

    fn error(&self, kind: ProviderErrorKind) -> ProviderError {
        ProviderError::new(&self.name, kind)
    }

    /// Alpaca's `timeframe` text for `timeframe`, or `Unsupported`.
    fn timeframe(&self, timeframe: Timeframe) -> Result<String, ProviderError> {
        wire::timeframe_param(timeframe).ok_or_else(|| {
            self.error(ProviderErrorKind::Unsupported(format!(
                "timeframe {timeframe} (Alpaca has 1-59 minutes, 1-23 hours and 1 day)"
            )))
        })
    }

    /// A refusal naming the symbol (`invalid symbol: XXXX`) is an unknown symbol. A bare
    /// 404 is not: a wrong base URL answers that for every symbol. (Alpaca answers a
    /// well-formed symbol it does not list with no bars, which stays an empty history.)
    fn symbol_error(&self, symbol: &Symbol, e: ProviderError) -> ProviderError {
        match &e.kind {
            ProviderErrorKind::Rejected { status, message }
                if message.to_ascii_lowercase().contains("symbol") =>
            {
                self.error(ProviderErrorKind::UnknownSymbol(format!(
                    "{symbol} ({status}: {message})"
                )))
            }
            _ => e,
        }
    }

    /// Every page of bars of `symbol` over `[start, end]` (Alpaca's inclusive range),
    /// as raw bars labelled the tradelab way.
    async fn fetch(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<crate::validate::RawBar>, ProviderError> {
        let url = self
            .http
            .url(&self.base_url, &["v2", "stocks", symbol.as_str(), "bars"])?;
        let base_query = [
            ("timeframe", self.timeframe(timeframe)?),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("limit", PAGE_LIMIT.to_string()),
            ("adjustment", "raw".to_string()),
            ("feed", self.feed.clone()),
            ("sort", "asc".to_string()),
        ];
        let mut raw = Vec::new();
        let mut token: Option<String> = None;
        for page in 0..MAX_PAGES {
            let mut query = base_query.to_vec();
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let body: BarsPage = self
                .http
                .get_json(&url, &self.headers(), &query)
                .await
                .map_err(|e| self.symbol_error(symbol, e))?;
            let offset = raw.len();
            for (i, bar) in body.bars.unwrap_or_default().iter().enumerate() {
                // Errors name the bar's index over all pages, as `check_bars` does.
                raw.push(bar.to_raw(&self.name, &format!("bars[{}]", offset + i), timeframe)?);
            }
            match body.next_page_token {
                Some(next) if token.as_deref() == Some(next.as_str()) => {
                    return Err(ProviderError::malformed(
                        &self.name,
                        "next_page_token",
                        format!("page {page} repeats the token it was asked for ({next})"),
                    ));
                }
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(raw),
            }
        }
        Err(ProviderError::malformed(
            &self.name,
            "next_page_token",
            format!("still paging after {MAX_PAGES} pages"),
        ))
    }
}

/// Alpaca's `end` for tradelab's exclusive `to`: one second before (bars start on whole
/// seconds, so nothing in range is lost).
fn inclusive_end(to: Timestamp) -> Timestamp {
    Timestamp::from_nanos(to.nanos().saturating_sub(1_000_000_000))
}

fn now() -> Timestamp {
    Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(i64::MAX))
}

impl Provider for AlpacaProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        class == AssetClass::Stock && wire::timeframe_param(timeframe).is_some()
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            if request.to <= request.from {
                return Ok(Vec::new());
            }
            let raw = self
                .fetch(
                    &request.symbol,
                    request.timeframe,
                    request.from,
                    inclusive_end(request.to),
                )
                .await?;
            check_bars(&self.name, "bars", &raw, request)
        })
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move {
            let now = now();
            if timeframe == Timeframe::MINUTE {
                let segments = ["v2", "stocks", symbol.as_str(), "bars", "latest"];
                let url = self.http.url(&self.base_url, &segments)?;
                let query = [("feed", self.feed.clone())];
                let body: LatestBar = self
                    .http
                    .get_json(&url, &self.headers(), &query)
                    .await
                    .map_err(|e| self.symbol_error(symbol, e))?;
                let Some(bar) = body.bar else {
                    return Ok(None);
                };
                let raw = bar.to_raw(&self.name, "bar", timeframe)?;
                let bar = check_bar(&self.name, "bar", &raw)?;
                return Ok(is_stock_bar_closed(bar.ts(), timeframe, now).then_some(bar));
            }
            // Other timeframes: the bars of a recent window, the last closed one.
            crate::provider::latest_closed_stock_bar(self, symbol, timeframe, now).await
        })
    }

    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        Box::pin(async move {
            if timeframe != Timeframe::MINUTE {
                return Err(self.error(ProviderErrorKind::Unsupported(format!(
                    "a {timeframe} stream (Alpaca streams minute bars)"
                ))));
            }
            if symbols.is_empty() {
                return Err(self.error(ProviderErrorKind::Rejected {
                    status: 0,
                    message: "a stream needs at least one symbol".into(),
                }));
            }
            let url = format!("{}/v2/{}", self.stream_url, self.feed);
            let session = stream::Session {
                provider: self.name.clone(),
                key: self.key.clone(),
                secret: self.secret.clone(),
                handshake_timeout: self.handshake_timeout,
            };
            session.open(&url, symbols).await
        })
    }
}
