//! The HTTP service of tradelab (`tradelab serve`): accounts and API keys, the REST
//! API over models, rules, runs and data, live run streams (SSE), admin, health and
//! metrics. It stands above the runner and the store: handlers check who calls and
//! what they may see, runs go through the [`queue::RunQueue`], and nothing here
//! touches SQL or the engine's loop.

pub mod auth;
pub mod config;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod params;
pub mod queue;
pub mod routes;
pub mod seed;
pub mod state;
pub mod views;

pub use config::{ConfigError, LogFormat, Overrides, ServerConfig};
pub use state::AppState;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tradelab_runner::Runner;
use tradelab_store::{Store, StoreConfig};

/// How long a shutdown waits for running runs to stop at a step.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] tradelab_store::StoreError),
    #[error(transparent)]
    Secret(#[from] auth::secret::SecretError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("importing the sample data: {0}")]
    Seed(#[from] seed::SeedError),
}

/// The store the settings name: PostgreSQL when a URL is given, else SQLite in the
/// data dir.
pub fn store_config(config: &ServerConfig) -> StoreConfig {
    StoreConfig::from_flags(config.data_dir.clone(), config.database_url.clone())
}

/// A server bound and ready to serve (its address known, for tests on port 0).
pub struct Bound {
    pub addr: SocketAddr,
    pub state: AppState,
    /// What the first start imported of the bundled sample data (`None` when nothing).
    pub sample_import: Option<seed::SampleImport>,
    listener: tokio::net::TcpListener,
}

/// Opens the store, marks runs left by a dead process interrupted, loads or makes
/// the signing secret, starts the workers and binds the address.
pub async fn bind(
    config: ServerConfig,
    runner: impl FnOnce(Store) -> Runner,
) -> Result<Bound, ServeError> {
    let store_cfg = store_config(&config);
    let store = Store::open(&store_cfg).await?;
    let interrupted = store.runs().mark_interrupted_runs().await?;
    if !interrupted.is_empty() {
        tracing::info!(
            count = interrupted.len(),
            "marked runs of an ended process interrupted"
        );
    }
    let sample_import = if config.sample_data {
        seed::import_on_first_start(&store).await?
    } else {
        None
    };
    let secret = auth::secret::load_or_create(config.secret.as_deref(), &store_cfg.data_dir)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr()?;
    let runner = runner(store.clone());
    let state = AppState::new(store, runner, config, secret);
    Ok(Bound {
        addr,
        state,
        sample_import,
        listener,
    })
}

impl Bound {
    /// Serves until `shutdown` resolves, then stops taking requests and runs, stops
    /// running runs at a step and marks them interrupted.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Bound {
            addr,
            state,
            listener,
            ..
        } = self;
        let app = routes::router(state.clone());
        tracing::info!(%addr, "serving");
        let queue = std::sync::Arc::clone(&state.queue);
        let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: stopping running runs");
            let stopped = queue.shut_down(SHUTDOWN_GRACE).await;
            tracing::info!(runs = stopped.len(), "running runs stopped");
            let _ = closed_tx.send(());
        };
        let serving = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
        });
        serving.await?;
        let _ = closed_rx.await;
        state.store.close().await;
        Ok(())
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Now, as the store's timestamps.
pub(crate) fn now() -> tradelab_core::Timestamp {
    tradelab_core::Timestamp::from_jiff(jiff::Timestamp::now())
        .unwrap_or(tradelab_core::Timestamp::from_nanos(0))
}
