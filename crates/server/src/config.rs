//! The server's settings: defaults, then an optional TOML file, then flags and
//! environment (the binary's clap layer applies those last, see [`Overrides`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tradelab_providers::config::{
    BreakerLimits, Chains, HttpLimits, ProviderSettings, ProvidersConfig, ProvidersConfigError,
};

/// Everything `tradelab serve` needs to know.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where the SQLite store, the signing secret and imports live.
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL; SQLite in the data dir when absent.
    pub database_url: Option<String>,
    /// Runs executed at once (default: the number of cores).
    pub workers: Option<usize>,
    /// Runs waiting for a worker before new ones are refused.
    pub max_queued: usize,
    /// The secret signing session tokens, CSRF tokens and API keys. When absent, one is
    /// generated on first start and kept in `<data dir>/server.secret` (owner-only).
    pub secret: Option<String>,
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest upload (a bar or tick CSV), in bytes.
    pub max_upload_bytes: usize,
    /// Origins allowed by CORS; none (the default) turns CORS off.
    pub cors_origins: Vec<String>,
    /// How long a login lasts, in hours.
    pub session_hours: u64,
    /// Failed logins allowed per account and per address within
    /// `login_window_secs` before further attempts are refused.
    pub login_attempts: u32,
    pub login_window_secs: u64,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Import the bundled sample data (five daily stocks, ES minute bars) as shared
    /// series on the first start of an empty store.
    pub sample_data: bool,
    /// Market-data providers (`[providers.NAME]`), added to or replacing the built-in
    /// `alpaca`, `polygon`, `yahoo` and `binance`. Keys come only from the environment
    /// variables they name.
    pub providers: BTreeMap<String, ProviderSettings>,
    /// The providers of each asset class in order of preference (`[chains]`).
    pub chains: Chains,
    /// When a provider's circuit breaker opens and for how long (`[breaker]`).
    pub breaker: BreakerLimits,
    /// HTTP timeouts and retries towards providers (`[provider_http]`).
    pub provider_http: HttpLimits,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: None,
            database_url: None,
            workers: None,
            max_queued: 256,
            secret: None,
            max_body_bytes: 1 << 20,
            max_upload_bytes: 256 << 20,
            cors_origins: Vec::new(),
            session_hours: 24 * 7,
            login_attempts: 10,
            login_window_secs: 300,
            log_format: LogFormat::Text,
            sample_data: true,
            providers: BTreeMap::new(),
            chains: Chains::default(),
            breaker: BreakerLimits::default(),
            provider_http: HttpLimits::default(),
        }
    }
}

/// A settings file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("setting {name}: {message}")]
    Value { name: &'static str, message: String },
    #[error(transparent)]
    Providers(#[from] ProvidersConfigError),
}

/// Settings given on the command line or in the environment; each replaces the
/// file's or the default.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub workers: Option<usize>,
    pub secret: Option<String>,
    pub cors_origins: Option<Vec<String>>,
    pub log_format: Option<LogFormat>,
    pub sample_data: Option<bool>,
}

impl ServerConfig {
    /// The defaults, replaced by `file`'s settings when given, then by `overrides`.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?
            }
            None => ServerConfig::default(),
        };
        let Overrides {
            bind,
            data_dir,
            database_url,
            workers,
            secret,
            cors_origins,
            log_format,
            sample_data,
        } = overrides;
        config.bind = bind.unwrap_or(config.bind);
        config.data_dir = data_dir.or(config.data_dir);
        config.database_url = database_url.or(config.database_url);
        config.workers = workers.or(config.workers);
        config.secret = secret.or(config.secret);
        config.cors_origins = cors_origins.unwrap_or(config.cors_origins);
        config.log_format = log_format.unwrap_or(config.log_format);
        config.sample_data = sample_data.unwrap_or(config.sample_data);
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.workers == Some(0) {
            return Err(ConfigError::Value {
                name: "workers",
                message: "must be at least 1".into(),
            });
        }
        if let Some(s) = &self.secret
            && s.len() < 32
        {
            return Err(ConfigError::Value {
                name: "secret",
                message: format!(
                    "is {} bytes; a signing secret needs at least 32 (or leave it out to \
                     have one generated)",
                    s.len()
                ),
            });
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Value {
                name: "max_body_bytes",
                message: "must be at least 1024".into(),
            });
        }
        if self.session_hours == 0 {
            return Err(ConfigError::Value {
                name: "session_hours",
                message: "must be at least 1".into(),
            });
        }
        self.providers_config().validate()?;
        Ok(())
    }

    /// The market-data settings (providers, chains, breaker limits, HTTP timeouts).
    pub fn providers_config(&self) -> ProvidersConfig {
        ProvidersConfig {
            providers: self.providers.clone(),
            chains: self.chains.clone(),
            breaker: self.breaker.clone(),
            provider_http: self.provider_http.clone(),
        }
    }

    /// Runs executed at once.
    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }

    /// How long a login lasts.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_hours * 3600)
    }

    /// The settings as TOML for people, secrets masked (the database URL's password,
    /// the signing secret).
    pub fn masked(&self) -> ServerConfig {
        let mut shown = self.clone();
        shown.secret = shown.secret.as_ref().map(|_| "********".into());
        shown.database_url = shown
            .database_url
            .as_deref()
            .map(tradelab_store::redact_url);
        // Every provider, built-ins included, with the names of its key variables.
        shown.providers = self
            .providers_config()
            .effective()
            .into_iter()
            .map(|(name, mut settings)| {
                let (key, secret) = settings.key_vars();
                settings.key_env = key;
                settings.secret_env = secret;
                (name, settings)
            })
            .collect();
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_replace_the_file_which_replaces_the_defaults() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\nworkers = 3\nmax_queued = 9\n",
        )
        .expect("write");
        let config = ServerConfig::load(
            Some(&path),
            Overrides {
                workers: Some(5),
                ..Overrides::default()
            },
        )
        .expect("config");
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.workers, Some(5));
        assert_eq!(config.max_queued, 9);
        assert_eq!(config.session_hours, 24 * 7);
    }

    #[test]
    fn rejects_unknown_settings_naming_them() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "bnid = \"127.0.0.1:9000\"\n").expect("write");
        let err = ServerConfig::load(Some(&path), Overrides::default()).expect_err("refused");
        assert!(err.to_string().contains("bnid"), "{err}");
    }

    #[test]
    fn rejects_a_short_secret() {
        let err = ServerConfig::load(
            None,
            Overrides {
                secret: Some("short".into()),
                ..Overrides::default()
            },
        )
        .expect_err("refused");
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn reads_providers_chains_and_limits_from_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("server.toml");
        let text = "[providers.alpaca]\nkind = \"alpaca\"\nkey_env = \"MY_ALPACA_KEY\"\n\
                    secret_env = \"MY_ALPACA_SECRET\"\nfeed = \"sip\"\n\
                    [chains]\nstock = [\"yahoo\", \"alpaca\"]\n\
                    [breaker]\nfailures = 5\ncooldown_secs = 120\n\
                    [provider_http]\ntimeout_secs = 7\n";
        std::fs::write(&path, text).expect("write");
        let config = ServerConfig::load(Some(&path), Overrides::default()).expect("config");
        let providers = config.providers_config();
        assert_eq!(providers.chains.stock, ["yahoo", "alpaca"]);
        assert_eq!(providers.chains.crypto, ["binance"], "the default stays");
        assert_eq!(providers.breaker_settings().failures, 5);
        assert_eq!(providers.http_config().timeout, Duration::from_secs(7));
        let alpaca = &providers.effective()["alpaca"];
        assert_eq!(alpaca.key_vars().0.as_deref(), Some("MY_ALPACA_KEY"));
        assert_eq!(alpaca.feed.as_deref(), Some("sip"));
    }

    #[test]
    fn rejects_an_unknown_provider_in_a_chain_naming_the_key() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "[chains]\ncrypto = [\"kraken\"]\n").expect("write");
        let err = ServerConfig::load(Some(&path), Overrides::default()).expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("chains.crypto[0]"), "{text}");
        assert!(text.contains("kraken"), "{text}");
    }

    #[test]
    fn shows_provider_key_variable_names_never_values() {
        let shown = toml::to_string(&ServerConfig::default().masked()).expect("toml");
        assert!(shown.contains("[providers.alpaca]"), "{shown}");
        assert!(shown.contains("key_env = \"APCA_API_KEY_ID\""), "{shown}");
        assert!(shown.contains("key_env = \"POLYGON_API_KEY\""), "{shown}");
    }

    #[test]
    fn masks_the_secret_and_the_database_password() {
        let config = ServerConfig {
            secret: Some("s".repeat(40)),
            database_url: Some("postgres://me:hunter2@db/x".into()),
            ..ServerConfig::default()
        };
        let shown = toml::to_string(&config.masked()).expect("toml");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains(&"s".repeat(40)), "{shown}");
    }
}
