//! Provider settings: which vendor, where, and the environment variables holding its
//! keys (keys are read from the environment when a provider is built, never stored).

use crate::breaker::{BreakerSettings, Clock, SystemClock};
use crate::chain::{ChainMember, ProviderChain};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::HttpConfig;
use crate::provider::{AssetClass, BarRequest, BarStream, Provider, ProviderFuture};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tradelab_core::{Bar, Symbol, Timeframe};

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

/// A provider that could not be built (a key variable unset, a bad URL): every call
/// answers the error, so a chain moves past it without tripping and its all-failed
/// error says what to set.
struct Unavailable {
    name: String,
    error: ProviderError,
}

impl Provider for Unavailable {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, _class: AssetClass, _timeframe: Timeframe) -> bool {
        true
    }

    fn history<'a>(&'a self, _request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move { Err(self.error.clone()) })
    }

    fn latest<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move { Err(self.error.clone()) })
    }

    fn stream<'a>(
        &'a self,
        _symbols: &'a [Symbol],
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        Box::pin(async move { Err(self.error.clone()) })
    }
}

/// A key variable of a provider and whether it is set (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVar {
    /// The environment variable's name.
    pub name: String,
    /// Whether it holds a non-empty value.
    pub set: bool,
    /// Whether the provider cannot work without it.
    pub required: bool,
}

impl ProviderSettings {
    /// The provider's key variables (key, then secret) and whether each is set.
    pub fn key_status(&self) -> Vec<KeyVar> {
        let (default_key, default_secret) = self.kind.default_key_env();
        let (key, secret) = self.key_vars();
        let is_set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        [
            (key, default_key.is_some()),
            (secret, default_secret.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, required)| {
            name.map(|name| KeyVar {
                set: is_set(&name),
                name,
                required,
            })
        })
        .collect()
    }

    /// [`ProviderErrorKind::NotConfigured`] naming the required variables that are
    /// unset, or `None` when the provider has what it needs.
    pub fn missing_keys(&self) -> Option<ProviderError> {
        let missing: Vec<String> = self
            .key_status()
            .into_iter()
            .filter(|k| k.required && !k.set)
            .map(|k| k.name)
            .collect();
        (!missing.is_empty()).then(|| {
            ProviderError::new(
                self.display_name(),
                ProviderErrorKind::NotConfigured(format!(
                    "set the environment variable{} {} to the provider's key{}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(" and "),
                    if missing.len() > 1 { " and secret" } else { "" },
                )),
            )
        })
    }
}

/// Circuit-breaker limits (`[breaker]` in the settings file).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerLimits {
    /// Consecutive outage failures that open a provider's breaker.
    pub failures: u32,
    /// Seconds an open breaker skips its provider before a probe.
    pub cooldown_secs: u64,
}

impl Default for BreakerLimits {
    fn default() -> Self {
        let d = BreakerSettings::default();
        BreakerLimits {
            failures: d.failures,
            cooldown_secs: d.cooldown.as_secs(),
        }
    }
}

/// HTTP patience with vendors (`[provider_http]` in the settings file).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Seconds per request, connection to last byte.
    pub timeout_secs: u64,
    /// Retries after the first attempt (429, 5xx, timeouts, dropped connections).
    pub max_retries: u32,
    /// First backoff in milliseconds; doubles each retry.
    pub backoff_ms: u64,
    /// The longest `Retry-After` waited for, in seconds.
    pub max_retry_after_secs: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        let d = HttpConfig::default();
        HttpLimits {
            timeout_secs: d.timeout.as_secs(),
            max_retries: d.max_retries,
            backoff_ms: d.backoff.as_millis() as u64,
            max_retry_after_secs: d.max_retry_after.as_secs(),
        }
    }
}

/// The providers of each asset class, in order of preference (`[chains]`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Chains {
    pub stock: Vec<String>,
    pub crypto: Vec<String>,
}

impl Default for Chains {
    fn default() -> Self {
        Chains {
            stock: vec!["alpaca".into(), "polygon".into(), "yahoo".into()],
            crypto: vec!["binance".into()],
        }
    }
}

impl Chains {
    /// The chain of `class`.
    pub fn of(&self, class: AssetClass) -> &[String] {
        match class {
            AssetClass::Stock => &self.stock,
            AssetClass::Crypto => &self.crypto,
        }
    }
}

/// A providers setting that cannot be used: `key` is its path in the settings file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {key}: {message}")]
pub struct ProvidersConfigError {
    pub key: String,
    pub message: String,
}

/// The market-data settings: providers, chains, breaker limits and HTTP timeouts.
///
/// Built-in defaults need no file: `alpaca`, `polygon`, `yahoo` and `binance` at their
/// public URLs (alpaca and polygon work once their key variables are set), chains
/// `stock = ["alpaca", "polygon", "yahoo"]` and `crypto = ["binance"]`. A
/// `[providers.NAME]` table adds a provider or replaces the built-in of that name.
/// Keys are only ever read from the environment variables the settings name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProvidersConfig {
    /// `[providers.NAME]` tables of the file (the built-ins are added by
    /// [`ProvidersConfig::effective`]).
    pub providers: BTreeMap<String, ProviderSettings>,
    pub chains: Chains,
    pub breaker: BreakerLimits,
    pub provider_http: HttpLimits,
}

/// The built-in providers, by name.
pub fn builtin_providers() -> BTreeMap<String, ProviderSettings> {
    [
        ProviderKind::Alpaca,
        ProviderKind::Polygon,
        ProviderKind::Yahoo,
        ProviderKind::Binance,
    ]
    .into_iter()
    .map(|k| (k.name().to_string(), ProviderSettings::public(k)))
    .collect()
}

/// A stock chain and a crypto chain, built from [`ProvidersConfig`].
pub struct ProviderChains {
    pub stock: Arc<ProviderChain>,
    pub crypto: Arc<ProviderChain>,
}

impl ProviderChains {
    /// The chain of `class`.
    pub fn of(&self, class: AssetClass) -> &Arc<ProviderChain> {
        match class {
            AssetClass::Stock => &self.stock,
            AssetClass::Crypto => &self.crypto,
        }
    }

    /// Both chains with their class.
    pub fn all(&self) -> [(AssetClass, &Arc<ProviderChain>); 2] {
        [
            (AssetClass::Stock, &self.stock),
            (AssetClass::Crypto, &self.crypto),
        ]
    }
}

impl ProvidersConfig {
    /// Every provider by name: the built-ins, replaced or added to by the file's
    /// tables (each named after its table).
    pub fn effective(&self) -> BTreeMap<String, ProviderSettings> {
        let mut all = builtin_providers();
        for (name, settings) in &self.providers {
            let mut s = settings.clone();
            s.name = name.clone();
            all.insert(name.clone(), s);
        }
        all
    }

    /// Checks the settings; the error names the key (`chains.stock[1]`,
    /// `providers.alpaca.key_env`, `breaker.failures`).
    pub fn validate(&self) -> Result<(), ProvidersConfigError> {
        let bad = |key: String, message: String| Err(ProvidersConfigError { key, message });
        for (name, s) in &self.providers {
            if !s.name.is_empty() && s.name != *name {
                return bad(
                    format!("providers.{name}.name"),
                    format!(
                        "is {:?} but the table is [providers.{name}]; leave name out",
                        s.name
                    ),
                );
            }
            for (field, value) in [("key_env", &s.key_env), ("secret_env", &s.secret_env)] {
                if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                    return bad(
                        format!("providers.{name}.{field}"),
                        "is empty; give the name of an environment variable".into(),
                    );
                }
            }
            for (field, value) in [("base_url", &s.base_url), ("stream_url", &s.stream_url)] {
                if let Some(url) = value
                    && !(url.contains("://") && url.len() > 3)
                {
                    return bad(
                        format!("providers.{name}.{field}"),
                        format!("{url:?} is not a URL (http://…, https://…, wss://…)"),
                    );
                }
            }
        }
        let known = self.effective();
        for class in [AssetClass::Stock, AssetClass::Crypto] {
            for (i, name) in self.chains.of(class).iter().enumerate() {
                if !known.contains_key(name) {
                    let names: Vec<&str> = known.keys().map(String::as_str).collect();
                    return bad(
                        format!("chains.{}[{i}]", class.name()),
                        format!(
                            "unknown provider {name:?}; the providers are {} (add a \
                             [providers.{name}] table to define it)",
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        if self.breaker.failures == 0 {
            return bad("breaker.failures".into(), "must be at least 1".into());
        }
        if self.provider_http.timeout_secs == 0 {
            return bad(
                "provider_http.timeout_secs".into(),
                "must be at least 1".into(),
            );
        }
        Ok(())
    }

    /// The breaker settings.
    pub fn breaker_settings(&self) -> BreakerSettings {
        BreakerSettings {
            failures: self.breaker.failures.max(1),
            cooldown: Duration::from_secs(self.breaker.cooldown_secs),
        }
    }

    /// The HTTP settings of every adapter.
    pub fn http_config(&self) -> HttpConfig {
        let h = &self.provider_http;
        HttpConfig {
            timeout: Duration::from_secs(h.timeout_secs.max(1)),
            max_retries: h.max_retries,
            backoff: Duration::from_millis(h.backoff_ms),
            max_retry_after: Duration::from_secs(h.max_retry_after_secs),
        }
    }

    /// The chains each provider is in (`stock`, `crypto`), by provider name.
    pub fn chains_of(&self, name: &str) -> Vec<AssetClass> {
        [AssetClass::Stock, AssetClass::Crypto]
            .into_iter()
            .filter(|c| self.chains.of(*c).iter().any(|n| n == name))
            .collect()
    }

    /// The provider `name` with its keys from the environment; one whose required key
    /// variables are unset (or that cannot be built) answers every call with the error
    /// saying what to set. `None` when no provider has that name.
    pub fn provider(&self, name: &str) -> Option<ChainMember> {
        let settings = self.effective().remove(name)?;
        Some(self.member(&settings))
    }

    fn member(&self, settings: &ProviderSettings) -> ChainMember {
        let name = settings.display_name().to_string();
        let built = match settings.missing_keys() {
            Some(e) => Err(e),
            None => build_provider(
                settings,
                Credentials::from_env(settings),
                self.http_config(),
            ),
        };
        let provider = built.unwrap_or_else(|error| {
            Arc::new(Unavailable {
                name: name.clone(),
                error,
            })
        });
        ChainMember {
            provider,
            kind: settings.kind.name().to_string(),
        }
    }

    /// The chain of `class` on `clock` (validate first: unknown names are left out).
    pub fn build_chain_with_clock(
        &self,
        class: AssetClass,
        clock: Arc<dyn Clock>,
    ) -> ProviderChain {
        let all = self.effective();
        let members = self
            .chains
            .of(class)
            .iter()
            .filter_map(|name| all.get(name))
            .map(|s| self.member(s))
            .collect();
        ProviderChain::with_clock(class.name(), members, self.breaker_settings(), clock)
    }

    /// Both chains on the system clock, after checking the settings.
    pub fn build_chains(&self) -> Result<ProviderChains, ProvidersConfigError> {
        self.validate()?;
        Ok(self.build_chains_unchecked())
    }

    /// Both chains on the system clock without checking the settings (for settings
    /// checked when they were loaded): names no provider has are left out.
    pub fn build_chains_unchecked(&self) -> ProviderChains {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        ProviderChains {
            stock: Arc::new(self.build_chain_with_clock(AssetClass::Stock, clock.clone())),
            crypto: Arc::new(self.build_chain_with_clock(AssetClass::Crypto, clock)),
        }
    }
}
