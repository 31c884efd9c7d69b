//! A provider with the in-memory [`BarCache`] in front: recent bars of hot symbols are
//! answered from memory, everything else goes to the provider and is remembered.
//!
//! [`Cached`] answers `history` from the cache when the cache holds the requested span
//! completely — a span a provider answered in full before, up to the last bar it sent
//! (later bars may just not be published yet), or bars that streamed in one after the
//! other — and `latest` when the newest cached bar is the one that closed last. Bars
//! the provider returns, the latest ones and streamed ones fill the cache. One cache is
//! shared by every provider of a process ([`shared_cache`]), so two runs on the same
//! symbols share their recent bars.

use crate::cache::{BarCache, CacheLimits};
use crate::provider::{AssetClass, BarRequest, BarStream, Provider, ProviderFuture};
use futures_util::StreamExt;
use std::sync::{Arc, OnceLock};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};

/// What time it is for a [`Cached`] provider (tests and simulated runs set their own).
pub type Now = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The process's cache of recent bars (the default [`CacheLimits`]), shared by every
/// [`Cached`] provider built with it.
pub fn shared_cache() -> Arc<BarCache> {
    static SHARED: OnceLock<Arc<BarCache>> = OnceLock::new();
    Arc::clone(SHARED.get_or_init(|| Arc::new(BarCache::new(CacheLimits::default()))))
}

/// `inner` with `cache` in front (see the module documentation).
pub struct Cached<P: ?Sized> {
    cache: Arc<BarCache>,
    now: Now,
    inner: Arc<P>,
}

impl<P: Provider + ?Sized> Cached<P> {
    /// `inner` behind `cache`, on the wall clock.
    pub fn new(inner: Arc<P>, cache: Arc<BarCache>) -> Self {
        Cached {
            cache,
            now: Arc::new(|| {
                Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(0))
            }),
            inner,
        }
    }

    /// The same provider reading the time from `now` (which bar closed last).
    pub fn with_clock(mut self, now: Now) -> Self {
        self.now = now;
        self
    }

    /// The cache in front.
    pub fn cache(&self) -> &Arc<BarCache> {
        &self.cache
    }

    /// The provider behind.
    pub fn inner(&self) -> &Arc<P> {
        &self.inner
    }
}

/// The end of the span a provider's answer covers completely: up to the last bar it
/// sent (bars after it may not be published yet).
fn answered_until(bars: &[Bar], timeframe: Timeframe) -> Option<Timestamp> {
    bars.last()
        .map(|b| Timestamp::from_nanos(b.ts().nanos().saturating_add(timeframe.nanos())))
}

impl<P: Provider + ?Sized + 'static> Provider for Cached<P> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        self.inner.supports(class, timeframe)
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move {
            let (symbol, tf) = (&request.symbol, request.timeframe);
            if let Some(bars) = self.cache.span(symbol, tf, request.from, request.to) {
                return Ok(bars);
            }
            let bars = self.inner.history(request).await?;
            if let Some(until) = answered_until(&bars, tf) {
                self.cache
                    .insert_span(symbol, tf, request.from, until, &bars);
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
            let last_close = timeframe.floor((self.now)());
            if let Some(bar) = self.cache.latest(symbol, timeframe)
                && bar.ts().nanos().saturating_add(timeframe.nanos()) == last_close.nanos()
            {
                return Ok(Some(bar));
            }
            let bar = self.inner.latest(symbol, timeframe).await?;
            if let Some(bar) = bar {
                self.cache.insert(symbol, timeframe, &[bar]);
            }
            Ok(bar)
        })
    }

    /// The provider's stream; each bar it yields is remembered on its way through
    /// (bars that follow each other make a span held completely).
    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        Box::pin(async move {
            let stream = self.inner.stream(symbols, timeframe).await?;
            let cache = Arc::clone(&self.cache);
            let remembered = stream.inspect(move |item| {
                if let Ok((symbol, bar)) = item {
                    let end =
                        Timestamp::from_nanos(bar.ts().nanos().saturating_add(timeframe.nanos()));
                    cache.insert_span(symbol, timeframe, bar.ts(), end, &[*bar]);
                }
            });
            let stream: BarStream = Box::pin(remembered);
            Ok(stream)
        })
    }
}
