//! Provider settings: which vendor, where, and the environment variables holding its
//! keys (keys are read from the environment when a provider is built, never stored).

use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::HttpConfig;
use crate::provider::Provider;
use std::sync::Arc;

/// The vendors tradelab speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Alpaca,
    Polygon,
    Yahoo,
    Binance,
}

impl ProviderKind {
    /// The kind's name in config and output.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Alpaca => "alpaca",
            ProviderKind::Polygon => "polygon",
            ProviderKind::Yahoo => "yahoo",
            ProviderKind::Binance => "binance",
        }
    }

    /// The environment variables that hold the key (and secret) by default.
    pub fn default_key_env(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            ProviderKind::Alpaca => (Some("APCA_API_KEY_ID"), Some("APCA_API_SECRET_KEY")),
            ProviderKind::Polygon => (Some("POLYGON_API_KEY"), None),
            ProviderKind::Yahoo | ProviderKind::Binance => (None, None),
        }
    }
}

/// One configured provider (`[providers.NAME]` in the config file).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// The name chains and commands use (often the kind's name).
    #[serde(default)]
    pub name: String,
    /// Which vendor's protocol it speaks.
    pub kind: ProviderKind,
    /// REST base URL; `None` is the vendor's public one.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Websocket URL for the live stream; `None` is the vendor's public one.
    #[serde(default)]
    pub stream_url: Option<String>,
    /// Environment variable holding the key; `None` is the kind's default.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Environment variable holding the secret; `None` is the kind's default.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Vendor data feed (Alpaca: `iex` or `sip`).
    #[serde(default)]
    pub feed: Option<String>,
}

impl ProviderSettings {
    /// Settings for `kind` at the vendor's public URLs, named after the kind.
    pub fn public(kind: ProviderKind) -> Self {
        ProviderSettings {
            name: kind.name().to_string(),
            kind,
            base_url: None,
            stream_url: None,
            key_env: None,
            secret_env: None,
            feed: None,
        }
    }

    /// The provider's name: `name`, or the kind's name when unset.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            self.kind.name()
        } else {
            &self.name
        }
    }

    /// The names of the key and secret variables (configured or the kind's defaults).
    pub fn key_vars(&self) -> (Option<String>, Option<String>) {
        let (key, secret) = self.kind.default_key_env();
        (
            self.key_env.clone().or(key.map(str::to_string)),
            self.secret_env.clone().or(secret.map(str::to_string)),
        )
    }
}

/// A provider's key and secret, resolved from the environment (or given by a test).
#[derive(Clone, Default, PartialEq)]
pub struct Credentials {
    pub key: Option<String>,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| if v.is_some() { "set" } else { "unset" };
        f.debug_struct("Credentials")
            .field("key", &shown(&self.key))
            .field("secret", &shown(&self.secret))
            .finish()
    }
}

impl Credentials {
    /// Reads the variables `settings` names; unset or empty variables are `None`.
    pub fn from_env(settings: &ProviderSettings) -> Self {
        let read = |name: Option<String>| {
            name.and_then(|n| std::env::var(n).ok())
                .filter(|v| !v.trim().is_empty())
        };
        let (key, secret) = settings.key_vars();
        Credentials {
            key: read(key),
            secret: read(secret),
        }
    }

    /// The key, or [`ProviderErrorKind::NotConfigured`] naming the variable to set.
    pub fn require_key<'a>(
        &'a self,
        settings: &ProviderSettings,
    ) -> Result<&'a str, ProviderError> {
        self.key.as_deref().ok_or_else(|| {
            let var = settings.key_vars().0.unwrap_or_default();
            ProviderError::new(
                settings.display_name(),
                ProviderErrorKind::NotConfigured(format!("set {var} to the provider's key")),
            )
        })
    }

    /// The secret, or [`ProviderErrorKind::NotConfigured`] naming the variable to set.
    pub fn require_secret<'a>(
        &'a self,
        settings: &ProviderSettings,
    ) -> Result<&'a str, ProviderError> {
        self.secret.as_deref().ok_or_else(|| {
            let var = settings.key_vars().1.unwrap_or_default();
            ProviderError::new(
                settings.display_name(),
                ProviderErrorKind::NotConfigured(format!("set {var} to the provider's secret")),
            )
        })
    }
}

/// Builds the adapter `settings` describes with `credentials`.
pub fn build_provider(
    settings: &ProviderSettings,
    credentials: Credentials,
    http: HttpConfig,
) -> Result<Arc<dyn Provider>, ProviderError> {
    Ok(match settings.kind {
        ProviderKind::Alpaca => Arc::new(crate::alpaca::AlpacaProvider::new(
            settings,
            credentials,
            http,
        )?),
        ProviderKind::Polygon => Arc::new(crate::polygon::PolygonProvider::new(
            settings,
            credentials,
            http,
        )?),
        ProviderKind::Yahoo => Arc::new(crate::yahoo::YahooProvider::new(
            settings,
            credentials,
            http,
        )?),
        ProviderKind::Binance => Arc::new(crate::binance::BinanceProvider::new(
            settings,
            credentials,
            http,
        )?),
    })
}
