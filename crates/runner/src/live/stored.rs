//! Stored bars served as a provider, so a replay-as-live run goes through the live
//! path exactly as a market feed would.

use std::collections::HashMap;
use tradelab_core::{Bar, BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_providers::{
    AssetClass, BarRequest, Provider, ProviderError, ProviderErrorKind, ProviderFuture,
};

/// The provider name of stored bars replayed as live.
pub const STORED_PROVIDER: &str = "replay";

/// Bars loaded from the store, answering history requests like a provider.
pub struct StoredBars {
    timeframe: Timeframe,
    series: HashMap<Symbol, BarSeries>,
}

impl StoredBars {
    /// A provider over `series` at `timeframe`.
    pub fn new(series: Vec<BarSeries>, timeframe: Timeframe) -> Self {
        StoredBars {
            timeframe,
            series: series
                .into_iter()
                .map(|s| (s.symbol().clone(), s))
                .collect(),
        }
    }

    /// Every distinct bar start of the series, in order: the schedule of a replay as
    /// live.
    pub fn starts(&self) -> Vec<Timestamp> {
        let mut starts: Vec<Timestamp> = self
            .series
            .values()
            .flat_map(|s| s.bars().iter().map(|b| b.ts()))
            .collect();
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    fn range(&self, request: &BarRequest) -> Result<Vec<Bar>, ProviderError> {
        let series = self.series.get(&request.symbol).ok_or_else(|| {
            ProviderError::new(
                STORED_PROVIDER,
                ProviderErrorKind::UnknownSymbol(request.symbol.to_string()),
            )
        })?;
        let bars = series.bars();
        let lo = bars.partition_point(|b| b.ts() < request.from);
        let hi = bars.partition_point(|b| b.ts() < request.to);
        Ok(bars[lo..hi.max(lo)].to_vec())
    }
}

impl Provider for StoredBars {
    fn name(&self) -> &str {
        STORED_PROVIDER
    }

    fn supports(&self, _class: AssetClass, timeframe: Timeframe) -> bool {
        timeframe == self.timeframe
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move { self.range(request) })
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move {
            Ok(self
                .series
                .get(symbol)
                .and_then(|s| s.bars().last().copied()))
        })
    }
}
