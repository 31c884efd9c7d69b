//! Market data from the outside world.
//!
//! A [`Provider`] answers three questions about bars: the history of a symbol over a
//! period, its latest closed bar, and (where the vendor has one) a live stream of bars
//! as they close. Adapters speak each vendor's protocol (Alpaca, Polygon, Yahoo,
//! Binance); [`http::Http`] gives them one behaviour for timeouts, `Retry-After` and
//! server errors; [`validate`] holds every received bar to the same checks as the CSV
//! importer, so a bad payload is an error naming the provider and the field, never a
//! silent zero.

pub mod alpaca;
pub mod binance;
pub mod breaker;
pub mod cache;
pub mod cached;
pub mod chain;
pub mod config;
pub mod error;
pub mod http;
pub mod polygon;
pub mod provider;
pub mod validate;
pub mod yahoo;

pub use cached::Cached;
pub use error::{ProviderError, ProviderErrorKind};
pub use provider::{AssetClass, BarRequest, BarStream, Provider, ProviderFuture};
