//! What can go wrong when asking a provider for bars.

use std::time::Duration;

/// A failed request to a provider: which provider, and what went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{provider}: {kind}")]
pub struct ProviderError {
    /// The provider's name (`alpaca`, `polygon`, `yahoo`, `binance`, …).
    pub provider: String,
    /// What went wrong.
    pub kind: ProviderErrorKind,
}

/// The kinds of provider failure. [`ProviderErrorKind::is_outage`] says which ones
/// count against a provider's circuit breaker and move a chain on to the next provider.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderErrorKind {
    /// The key is missing, wrong or not entitled (401/403).
    #[error("not authorized: {0}")]
    Unauthorized(String),
    /// Too many requests; `retry_after` is what the provider asked us to wait.
    #[error("rate limited{}", retry_after.map(|d| format!(" (retry after {:.1} s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// The provider failed (5xx), after the retries.
    #[error("server error {status}: {message}")]
    Server { status: u16, message: String },
    /// The provider refused the request as asked (4xx other than auth and rate limit).
    #[error("request refused ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// No answer in time.
    #[error("timed out after {0:.1?}")]
    Timeout(Duration),
    /// The connection failed (refused, reset, DNS, TLS, a dropped stream).
    #[error("connection failed: {0}")]
    Network(String),
    /// The answer could not be read: `field` names where (`bars[3].o`, `chart.result`).
    #[error("malformed payload at {field}: {message}")]
    Malformed { field: String, message: String },
    /// A bar broke the bar checks (the CSV importer's): `field` names which bar and field.
    #[error("invalid bar at {field}: {message}")]
    InvalidBar { field: String, message: String },
    /// The provider has no data for this symbol.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// The provider cannot serve this request (a timeframe or asset class it lacks, a
    /// stream it does not offer).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The provider is not configured (a key's environment variable is unset).
    #[error("not configured: {0}")]
    NotConfigured(String),
    /// The provider's circuit breaker is open: it is not asked until the cool-down ends.
    #[error("circuit open for another {0:.0?}")]
    CircuitOpen(Duration),
    /// Every provider of a chain failed: each one's error, in chain order.
    #[error("every provider failed: {}", all_failed_text(.0))]
    AllFailed(Vec<ProviderError>),
}

/// `alpaca: not configured: …; yahoo: timed out after 15s`.
fn all_failed_text(errors: &[ProviderError]) -> String {
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    text.join("; ")
}

impl ProviderErrorKind {
    /// Whether the failure says the provider is unwell (down, slow, rate limiting,
    /// sending garbage) rather than that the request was wrong: outages trip breakers and
    /// make a chain fail over; an unknown symbol or a refused request does not trip the
    /// breaker, but a chain still tries the next provider for it.
    ///
    /// A chain's [`ProviderErrorKind::AllFailed`] is an outage when any of its
    /// providers' failures is (a chain nested in another chain trips like a provider).
    pub fn is_outage(&self) -> bool {
        if let ProviderErrorKind::AllFailed(errors) = self {
            return errors.iter().any(|e| e.kind.is_outage());
        }
        matches!(
            self,
            ProviderErrorKind::RateLimited { .. }
                | ProviderErrorKind::Server { .. }
                | ProviderErrorKind::Timeout(_)
                | ProviderErrorKind::Network(_)
                | ProviderErrorKind::Malformed { .. }
                | ProviderErrorKind::InvalidBar { .. }
        )
    }
}

impl ProviderError {
    /// An error of `provider`.
    pub fn new(provider: impl Into<String>, kind: ProviderErrorKind) -> Self {
        ProviderError {
            provider: provider.into(),
            kind,
        }
    }

    /// A malformed payload of `provider` at `field`.
    pub fn malformed(
        provider: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ProviderError::new(
            provider,
            ProviderErrorKind::Malformed {
                field: field.into(),
                message: message.into(),
            },
        )
    }
}
