//! Binance spot klines: REST history paged by `startTime`, and the websocket kline
//! stream ([`stream`]); crypto pairs, 24/7, no key.
//!
//! - **Symbols.** Binance names a pair `BTCUSDT`; tradelab also accepts `BTC-USDT` and
//!   `BTC/USDT` (separators stripped, upper case). Bars come back under the caller's
//!   symbol.
//! - **Intervals.** 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h and 1d. A kline is
//!   labelled by its open time (for 1d: midnight UTC, tradelab's daily label).
//! - **Paging.** `GET /api/v3/klines?symbol&interval&startTime&endTime&limit=1000` has
//!   no cursor: the next page starts at the last open time + 1 ms, until the range is
//!   covered or a page comes back short.
//! - **Closed klines only.** A kline whose close time is not yet past is the one in
//!   progress: left out of `history` and `latest`; the stream yields a kline only when
//!   Binance marks it closed (`k.x`).
//! - **Rows.** Arrays of 12 values with prices and volumes as decimal strings; each is
//!   checked, and an error names the row and column as in the body
//!   (`[3][2] (high)`).
//! - **Errors.** `{"code":-1121,"msg":"Invalid symbol."}` is an unknown symbol; 429 waits
//!   out `Retry-After` and retries ([`crate::http`]); 418 is an IP ban: reported at once
//!   as [`ProviderErrorKind::RateLimited`] with the ban's `Retry-After`, never retried.

pub mod stream;

use crate::config::{Credentials, ProviderSettings};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::{Http, HttpConfig, Refusal};
use crate::provider::{AssetClass, BarRequest, BarStream, Provider, ProviderFuture};
use crate::validate::{RawBar, check_bar, number};
use std::sync::Arc;
use std::time::Duration;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};

/// Binance's public REST host.
pub const DEFAULT_BASE_URL: &str = "https://api.binance.com";

/// Binance's public market-stream host.
pub const DEFAULT_STREAM_URL: &str = "wss://stream.binance.com:9443";

/// How long the stream may stay silent before it counts as dropped: Binance pings
/// every 20 s and sends kline updates every 2 s, so a minute of silence is a dead
/// connection (a half-open TCP connection would otherwise hang the stream for good).
pub const DEFAULT_STREAM_IDLE: Duration = Duration::from_secs(60);

/// The most klines Binance returns per request.
pub const PAGE_LIMIT: usize = 1000;

const NANOS_PER_MS: i64 = 1_000_000;

/// What tells the adapter the time: the system clock, or a test's.
type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The Binance adapter: klines of spot pairs.
pub struct BinanceProvider {
    name: String,
    base_url: String,
    stream_url: String,
    http: Http,
    connect_timeout: Duration,
    stream_idle: Duration,
    now: Clock,
}

/// Binance's pair name for `symbol`: `BTC-USDT`, `btc/usdt` and `BTCUSDT` are all
/// `BTCUSDT`. `None` when what is left is not letters and digits.
pub fn pair(symbol: &Symbol) -> Option<String> {
    let pair: String = symbol
        .as_str()
        .chars()
        .filter(|c| !matches!(c, '-' | '/' | '_'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (!pair.is_empty() && pair.chars().all(|c| c.is_ascii_alphanumeric())).then_some(pair)
}

/// Binance's interval name for `timeframe`, when Binance has it.
pub fn interval(timeframe: Timeframe) -> Option<&'static str> {
    let name = match timeframe.nanos() / 1_000_000_000 {
        60 => "1m",
        180 => "3m",
        300 => "5m",
        900 => "15m",
        1800 => "30m",
        3600 => "1h",
        7200 => "2h",
        14_400 => "4h",
        21_600 => "6h",
        28_800 => "8h",
        43_200 => "12h",
        86_400 => "1d",
        _ => return None,
    };
    (timeframe.nanos() % 1_000_000_000 == 0).then_some(name)
}

/// One kline row, read but not yet checked.
struct Kline {
    raw: RawBar,
    close_ms: i64,
}

/// The column index and name of each kline field, for errors.
const COLUMNS: [(usize, &str); 7] = [
    (0, "open time"),
    (1, "open"),
    (2, "high"),
    (3, "low"),
    (4, "close"),
    (5, "volume"),
    (6, "close time"),
];

fn column_field(row: usize, col: usize) -> String {
    format!("[{row}][{col}] ({})", COLUMNS[col].1)
}

impl BinanceProvider {
    /// An adapter with `settings` (`base_url` None: [`DEFAULT_BASE_URL`], `stream_url`
    /// None: [`DEFAULT_STREAM_URL`]); market data needs no key, so `credentials` are not
    /// read.
    pub fn new(
        settings: &ProviderSettings,
        credentials: Credentials,
        http: HttpConfig,
    ) -> Result<Self, ProviderError> {
        let _ = credentials;
        let name = settings.display_name().to_string();
        Ok(BinanceProvider {
            connect_timeout: http.timeout,
            stream_idle: DEFAULT_STREAM_IDLE,
            http: Http::new(&name, http)?,
            base_url: settings
                .base_url
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            stream_url: settings
                .stream_url
                .clone()
                .unwrap_or_else(|| DEFAULT_STREAM_URL.to_string()),
            name,
            now: Arc::new(|| {
                Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(0))
            }),
        })
    }

    /// The same adapter telling the time by `now` (which klines have closed): for
    /// tests and replays.
    pub fn with_clock(mut self, now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The same adapter ending a stream that stays silent for `idle` (default
    /// [`DEFAULT_STREAM_IDLE`]).
    pub fn with_stream_idle(mut self, idle: Duration) -> Self {
        self.stream_idle = idle;
        self
    }

    fn error(&self, kind: ProviderErrorKind) -> ProviderError {
        ProviderError::new(&self.name, kind)
    }

    /// Binance's interval for `timeframe`, or [`ProviderErrorKind::Unsupported`].
    fn interval_of(&self, timeframe: Timeframe) -> Result<&'static str, ProviderError> {
        interval(timeframe).ok_or_else(|| {
            self.error(ProviderErrorKind::Unsupported(format!(
                "{timeframe} klines (Binance has 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d)"
            )))
        })
    }

    /// Binance's pair for `symbol`, or [`ProviderErrorKind::UnknownSymbol`].
    fn pair_of(&self, symbol: &Symbol) -> Result<String, ProviderError> {
        pair(symbol).ok_or_else(|| self.error(ProviderErrorKind::UnknownSymbol(symbol.to_string())))
    }

    /// The pair and interval of a request, or why Binance cannot serve it.
    fn resolve(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
    ) -> Result<(String, &'static str), ProviderError> {
        Ok((self.pair_of(symbol)?, self.interval_of(timeframe)?))
    }

    /// One `GET /api/v3/klines`, its rows read (not yet checked).
    async fn klines(
        &self,
        symbol: &Symbol,
        query: &[(&str, String)],
        page: &str,
    ) -> Result<Vec<Kline>, ProviderError> {
        let url = format!("{}/api/v3/klines", self.base_url.trim_end_matches('/'));
        let classify = |r: &Refusal<'_>| refusal_kind(&self.name, symbol, r);
        let rows: Vec<Vec<serde_json::Value>> =
            self.http.get_json_with(&url, &[], query, &classify).await?;
        rows.iter()
            .enumerate()
            .map(|(i, row)| self.read_row(i, row, page))
            .collect()
    }

    /// Reads row `i` of a page; `page` says which page in error messages.
    fn read_row(
        &self,
        i: usize,
        row: &[serde_json::Value],
        page: &str,
    ) -> Result<Kline, ProviderError> {
        let malformed = |col: usize, message: String| {
            ProviderError::malformed(
                &self.name,
                column_field(i, col),
                format!("{message} ({page})"),
            )
        };
        if row.len() < COLUMNS.len() {
            return Err(ProviderError::malformed(
                &self.name,
                format!("[{i}]"),
                format!("a kline row has 12 values, this one {} ({page})", row.len()),
            ));
        }
        let millis = |col: usize| {
            let ms = row[col].as_i64().ok_or_else(|| {
                malformed(
                    col,
                    format!("expected whole milliseconds, got {}", row[col]),
                )
            })?;
            ms.checked_mul(NANOS_PER_MS)
                .map(|_| ms)
                .ok_or_else(|| malformed(col, format!("{ms} ms is out of range")))
        };
        let price = |col: usize| number(&self.name, &column_field(i, col), &row[col]);
        let open_ms = millis(0)?;
        let close_ms = millis(6)?;
        Ok(Kline {
            raw: RawBar {
                ts: Timestamp::from_nanos(open_ms * NANOS_PER_MS),
                open: price(1)?,
                high: price(2)?,
                low: price(3)?,
                close: price(4)?,
                volume: price(5)?,
            },
            close_ms,
        })
    }

    /// Checks kline `i` of a page as a bar; errors name its column.
    fn check(&self, i: usize, kline: &Kline, page: &str) -> Result<Bar, ProviderError> {
        check_bar(&self.name, "", &kline.raw).map_err(|mut e| {
            if let ProviderErrorKind::InvalidBar { field, message } = &mut e.kind {
                let name = field.trim_start_matches('.');
                if let Some((col, _)) = COLUMNS.iter().find(|(_, n)| *n == name) {
                    *field = column_field(i, *col);
                }
                message.push_str(&format!(" ({page})"));
            }
            e
        })
    }

    fn now_ms(&self) -> i64 {
        (self.now)().nanos().div_euclid(NANOS_PER_MS)
    }
}

/// Binance's reading of a refusal: a 418 is a ban (final, with its `Retry-After`),
/// code -1121 an unknown symbol; the rest is left to the common rules.
fn refusal_kind(provider: &str, symbol: &Symbol, r: &Refusal<'_>) -> Option<ProviderErrorKind> {
    if r.status == 418 {
        tracing::warn!(
            provider,
            retry_after_s = r.retry_after.map(|d| d.as_secs()),
            "Binance banned this IP for ignoring rate limits (418)"
        );
        return Some(ProviderErrorKind::RateLimited {
            retry_after: r.retry_after,
        });
    }
    let body: serde_json::Value = serde_json::from_str(r.body).ok()?;
    (body.get("code").and_then(|c| c.as_i64()) == Some(-1121))
        .then(|| ProviderErrorKind::UnknownSymbol(symbol.to_string()))
}

/// The first millisecond at or after `t`.
fn ms_ceil(t: Timestamp) -> i64 {
    let ms = t.nanos().div_euclid(NANOS_PER_MS);
    if t.nanos().rem_euclid(NANOS_PER_MS) == 0 {
        ms
    } else {
        ms + 1
    }
}

impl Provider for BinanceProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        class == AssetClass::Crypto && interval(timeframe).is_some()
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            let (pair, interval) = self.resolve(&request.symbol, request.timeframe)?;
            let mut start = ms_ceil(request.from);
            // endTime is inclusive of open times.
            let end = ms_ceil(request.to) - 1;
            let now_ms = self.now_ms();
            let mut bars: Vec<Bar> = Vec::new();
            let mut last_open: Option<i64> = None;
            while start <= end {
                let query = [
                    ("symbol", pair.clone()),
                    ("interval", interval.to_string()),
                    ("startTime", start.to_string()),
                    ("endTime", end.to_string()),
                    ("limit", PAGE_LIMIT.to_string()),
                ];
                let page = format!("page from startTime={start}");
                let klines = self.klines(&request.symbol, &query, &page).await?;
                for (i, kline) in klines.iter().enumerate() {
                    let open_ms = kline.raw.ts.nanos() / NANOS_PER_MS;
                    if let Some(prev) = last_open
                        && open_ms <= prev
                    {
                        return Err(self.error(ProviderErrorKind::InvalidBar {
                            field: column_field(i, 0),
                            message: format!(
                                "open time {open_ms} is not after the kline before it ({prev}) ({page})"
                            ),
                        }));
                    }
                    last_open = Some(open_ms);
                    let bar = self.check(i, kline, &page)?;
                    let in_range = bar.ts() >= request.from && bar.ts() < request.to;
                    if in_range && kline.close_ms < now_ms {
                        bars.push(bar);
                    }
                }
                match last_open {
                    Some(last) if klines.len() >= PAGE_LIMIT => start = last + 1,
                    _ => break,
                }
            }
            Ok(bars)
        })
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move {
            let (pair, interval) = self.resolve(symbol, timeframe)?;
            let query = [
                ("symbol", pair),
                ("interval", interval.to_string()),
                ("limit", "2".to_string()),
            ];
            let page = "latest klines".to_string();
            let klines = self.klines(symbol, &query, &page).await?;
            let now_ms = self.now_ms();
            let closed = klines
                .iter()
                .enumerate()
                .rev()
                .find(|(_, k)| k.close_ms < now_ms);
            closed.map(|(i, k)| self.check(i, k, &page)).transpose()
        })
    }

    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        Box::pin(async move {
            let interval = self.interval_of(timeframe)?;
            let subscriptions = symbols
                .iter()
                .map(|symbol| Ok((self.pair_of(symbol)?, symbol.clone())))
                .collect::<Result<Vec<_>, ProviderError>>()?;
            stream::open(
                &self.name,
                &self.stream_url,
                &subscriptions,
                interval,
                self.connect_timeout,
                self.stream_idle,
            )
            .await
        })
    }
}
