//! Binance spot klines: REST (paged by startTime) and the websocket kline stream; crypto, 24/7.
//!
//! Placeholder until the adapter lands: every call answers `Unsupported`.

use crate::config::{Credentials, ProviderSettings};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::HttpConfig;
use crate::provider::{AssetClass, BarRequest, Provider, ProviderFuture};
use tradelab_core::{Bar, Symbol, Timeframe};

/// The Binance adapter.
pub struct BinanceProvider {
    name: String,
}

impl BinanceProvider {
    /// An adapter with `settings` and `credentials`.
    pub fn new(
        settings: &ProviderSettings,
        credentials: Credentials,
        http: HttpConfig,
    ) -> Result<Self, ProviderError> {
        let _ = (credentials, http);
        Ok(BinanceProvider {
            name: settings.display_name().to_string(),
        })
    }

    fn unsupported(&self) -> ProviderError {
        ProviderError::new(
            &self.name,
            ProviderErrorKind::Unsupported("this adapter is not built yet".into()),
        )
    }
}

impl Provider for BinanceProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, _class: AssetClass, _timeframe: Timeframe) -> bool {
        false
    }

    fn history<'a>(&'a self, _request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move { Err(self.unsupported()) })
    }

    fn latest<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move { Err(self.unsupported()) })
    }
}
