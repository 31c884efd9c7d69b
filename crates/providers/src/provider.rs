//! The provider interface every adapter implements.

use crate::error::{ProviderError, ProviderErrorKind};
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};

/// What a provider call returns.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// Closed bars as they arrive from a live stream, each with its symbol. The stream ends
/// (or yields an error) when the connection drops; the caller reconnects.
pub type BarStream = Pin<Box<dyn Stream<Item = Result<(Symbol, Bar), ProviderError>> + Send>>;

/// The kind of instrument a symbol is, which decides the provider chain and the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetClass {
    /// US stocks and ETFs: NYSE/Nasdaq sessions.
    Stock,
    /// Crypto pairs: 24/7.
    Crypto,
}

impl AssetClass {
    /// The class's name in config and output.
    pub fn name(self) -> &'static str {
        match self {
            AssetClass::Stock => "stock",
            AssetClass::Crypto => "crypto",
        }
    }
}

/// Bars of one symbol and timeframe over `[from, to)`. Bars are labelled by the start of
/// their interval; daily bars by midnight UTC of their exchange date, as everywhere in
/// tradelab.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRequest {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    pub from: Timestamp,
    pub to: Timestamp,
}

/// A source of market data: an adapter for one vendor's API.
///
/// Every answer is validated ([`crate::validate`]): bars are finite, positive, with
/// `low <= open, close <= high`, strictly increasing in time, within the request's range,
/// and only closed bars. Adapters retry what is worth retrying ([`crate::http::Http`]);
/// what they return as an error is final for this call.
pub trait Provider: Send + Sync {
    /// The provider's name in config, output and errors (`alpaca`, `yahoo`, …).
    fn name(&self) -> &str;

    /// Whether this provider can serve bars of this class and timeframe at all.
    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool;

    /// Every bar of the request, in time order, following the vendor's pages.
    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>>;

    /// The latest closed bar of `symbol` at `timeframe`, if the vendor has one.
    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>>;

    /// A live stream of closed bars of `symbols` (after the vendor's handshake and
    /// subscription succeeded). Providers without a stream answer
    /// [`ProviderErrorKind::Unsupported`]; a live feed then polls [`Provider::history`].
    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        let _ = (symbols, timeframe);
        Box::pin(async move {
            Err(ProviderError::new(
                self.name(),
                ProviderErrorKind::Unsupported("a live stream (polled instead)".into()),
            ))
        })
    }
}

/// The last closed stock bar of a recent window of `provider`'s history (ten
/// intervals, at least two weeks): `latest` for a vendor without a latest-bar endpoint.
pub async fn latest_closed_stock_bar<P: Provider + ?Sized>(
    provider: &P,
    symbol: &Symbol,
    timeframe: Timeframe,
    now: Timestamp,
) -> Result<Option<Bar>, ProviderError> {
    let lookback = timeframe
        .nanos()
        .saturating_mul(10)
        .max(14 * 86_400 * 1_000_000_000);
    let request = BarRequest {
        symbol: symbol.clone(),
        timeframe,
        from: timeframe.floor(Timestamp::from_nanos(now.nanos().saturating_sub(lookback))),
        to: now,
    };
    let bars = provider.history(&request).await?;
    Ok(bars
        .into_iter()
        .rev()
        .find(|b| crate::validate::is_stock_bar_closed(b.ts(), timeframe, now)))
}
