//! What every handler shares: the store, the runner, the run queue, the signer, the
//! settings.

use crate::auth::limiter::LoginLimiter;
use crate::auth::token::Signer;
use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::queue::RunQueue;
use std::sync::Arc;
use std::time::Duration;
use tradelab_providers::config::ProviderChains;
use tradelab_runner::Runner;
use tradelab_store::Store;

/// The server's shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub runner: Runner,
    pub queue: Arc<RunQueue>,
    pub signer: Signer,
    pub config: Arc<ServerConfig>,
    pub logins: Arc<LoginLimiter>,
    pub metrics: Arc<Metrics>,
    /// The market-data chains (stock, crypto) with their live breaker states.
    pub providers: Arc<ProviderChains>,
}

impl AppState {
    /// The state over an open store, with the run queue's workers started.
    pub fn new(store: Store, runner: Runner, config: ServerConfig, secret: Vec<u8>) -> Self {
        let metrics = Arc::new(Metrics::default());
        let queue = RunQueue::start(
            runner.clone(),
            config.worker_count(),
            config.max_queued,
            Arc::clone(&metrics),
        );
        // The settings were checked when loaded.
        let providers = Arc::new(config.providers_config().build_chains_unchecked());
        AppState {
            providers,
            store,
            runner,
            queue,
            signer: Signer::new(secret),
            logins: Arc::new(LoginLimiter::new(
                config.login_attempts,
                Duration::from_secs(config.login_window_secs),
            )),
            config: Arc::new(config),
            metrics,
        }
    }
}
