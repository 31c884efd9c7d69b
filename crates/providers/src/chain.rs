//! A provider chain per asset class with failover, itself a Provider.
//!
//! A [`ProviderChain`] holds providers in order of preference, each behind its own
//! [`Breaker`]. A call tries, in order, the providers that
//! [`Provider::supports`] the symbol's class and timeframe and whose breaker admits the
//! call (an open breaker is skipped with [`ProviderErrorKind::CircuitOpen`]). An outage
//! ([`ProviderErrorKind::is_outage`]) counts against the provider's breaker and the chain
//! moves on; an unknown symbol, a refused request, a missing key or an unauthorized
//! one moves on without tripping anything. When every provider failed, the error is
//! [`ProviderErrorKind::AllFailed`] listing each provider's failure in order.
//!
//! Breaker transitions and fail-overs are sent as [`ChainNotice`]s to every
//! [`ProviderChain::subscribe`]r (a live run records them as events); nobody listening
//! costs nothing.

use crate::breaker::{
    Admission, Breaker, BreakerSettings, BreakerState, BreakerTransition, Clock, SystemClock,
};
use crate::error::{ProviderError, ProviderErrorKind};
use crate::provider::{AssetClass, BarRequest, BarStream, Provider, ProviderFuture};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tradelab_core::{Bar, Symbol, Timeframe};

/// Quote currencies that mark a pair as crypto (`BTCUSDT`, `ETH-USD`, `SOL/EUR`).
const CRYPTO_QUOTES: [&str; 10] = [
    "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH", "BNB",
];

impl AssetClass {
    /// The class of `symbol`, by its shape (decided here, documented for users):
    ///
    /// - a pair written with a separator (`BTC-USD`, `ETH/USDT`, `SOL_EUR`) whose
    ///   quote is a crypto quote currency (USDT, USDC, FDUSD, BUSD, TUSD, USD, EUR, BTC,
    ///   ETH, BNB) is crypto;
    /// - a symbol of letters and digits only that ends in a stablecoin quote (USDT,
    ///   USDC, FDUSD, BUSD, TUSD) is crypto (`BTCUSDT`);
    /// - one of six or more letters and digits ending in any other crypto quote is
    ///   crypto (`BTCUSD`, `ETHBTC`): US tickers have at most five letters;
    /// - everything else is a stock (`AAPL`, `BRK.B`, `BRK-B`, `^GSPC`).
    pub fn of(symbol: &str) -> AssetClass {
        let s = symbol.trim().to_ascii_uppercase();
        if let Some((base, quote)) = s.rsplit_once(['-', '/', '_']) {
            let crypto = base.len() >= 2 && CRYPTO_QUOTES.contains(&quote);
            return if crypto {
                AssetClass::Crypto
            } else {
                AssetClass::Stock
            };
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return AssetClass::Stock;
        }
        for quote in CRYPTO_QUOTES {
            let Some(base) = s.strip_suffix(quote) else {
                continue;
            };
            let stable = quote.len() >= 4;
            if base.len() >= 2 && (stable || s.len() >= 6) {
                return AssetClass::Crypto;
            }
        }
        AssetClass::Stock
    }
}

/// One provider of a chain, as configured.
#[derive(Clone)]
pub struct ChainMember {
    pub provider: Arc<dyn Provider>,
    /// The vendor's kind for output (`alpaca`, …).
    pub kind: String,
}

/// What a chain reports as it works: breaker transitions and fail-overs.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainNotice {
    /// A provider's breaker changed state.
    Transition(BreakerTransition),
    /// `from` failed with `error`; the chain tries `to` next.
    Failover {
        chain: String,
        from: String,
        to: String,
        error: ProviderError,
    },
}

impl std::fmt::Display for ChainNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainNotice::Transition(t) => t.fmt(f),
            ChainNotice::Failover {
                chain, to, error, ..
            } => write!(f, "chain {chain}: {error}; trying {to}"),
        }
    }
}

/// One provider's state in a chain, for `data providers` and the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderStatus {
    pub name: String,
    pub kind: String,
    pub state: BreakerState,
    pub consecutive_failures: u32,
    /// The last outage failure's text.
    pub last_error: Option<String>,
    /// When an open breaker lets a probe through (wall-clock time).
    pub open_until: Option<jiff::Timestamp>,
}

struct Member {
    provider: Arc<dyn Provider>,
    kind: String,
    breaker: Mutex<Breaker>,
}

/// Providers in order of preference, with a breaker each (see the module documentation).
pub struct ProviderChain {
    name: String,
    members: Vec<Member>,
    clock: Arc<dyn Clock>,
    notices: broadcast::Sender<ChainNotice>,
}

/// Notices kept for a subscriber that lags behind.
const NOTICE_BUFFER: usize = 256;

impl ProviderChain {
    /// A chain named `name` (`stock`, `crypto`) of `members` in order, on the system
    /// clock.
    pub fn new(
        name: impl Into<String>,
        members: Vec<ChainMember>,
        breaker: BreakerSettings,
    ) -> Self {
        ProviderChain::with_clock(name, members, breaker, Arc::new(SystemClock))
    }

    /// A chain whose breakers read `clock` (tests move a [`crate::breaker::ManualClock`]).
    pub fn with_clock(
        name: impl Into<String>,
        members: Vec<ChainMember>,
        breaker: BreakerSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let members = members
            .into_iter()
            .map(|m| Member {
                breaker: Mutex::new(Breaker::new(m.provider.name(), breaker)),
                provider: m.provider,
                kind: m.kind,
            })
            .collect();
        ProviderChain {
            name: name.into(),
            members,
            clock,
            notices: broadcast::channel(NOTICE_BUFFER).0,
        }
    }

    /// The providers' names, in order.
    pub fn provider_names(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| m.provider.name().to_string())
            .collect()
    }

    /// Breaker transitions and fail-overs from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainNotice> {
        self.notices.subscribe()
    }

    /// Each provider's breaker state, in chain order.
    pub fn statuses(&self) -> Vec<ProviderStatus> {
        let now = self.clock.now();
        self.members
            .iter()
            .map(|m| {
                let status = lock(&m.breaker).status();
                let open_until = status.open_until.and_then(|until| {
                    let left = until.saturating_duration_since(now);
                    let left = jiff::SignedDuration::try_from(left).ok()?;
                    jiff::Timestamp::now().checked_add(left).ok()
                });
                ProviderStatus {
                    name: m.provider.name().to_string(),
                    kind: m.kind.clone(),
                    state: status.state,
                    consecutive_failures: status.consecutive_failures,
                    last_error: status.last_error,
                    open_until,
                }
            })
            .collect()
    }

    fn notify(&self, notice: ChainNotice) {
        tracing::info!(chain = %self.name, "{notice}");
        // No subscriber is fine: nobody records notices.
        let _ = self.notices.send(notice);
    }

    /// Tries `op` on each admitted provider serving `class` at `timeframe`, in order.
    async fn call<'a, T>(
        &'a self,
        class: AssetClass,
        timeframe: Timeframe,
        op: impl Fn(&'a dyn Provider) -> ProviderFuture<'a, T>,
    ) -> Result<T, ProviderError> {
        let candidates: Vec<&Member> = self
            .members
            .iter()
            .filter(|m| m.provider.supports(class, timeframe))
            .collect();
        if candidates.is_empty() {
            return Err(ProviderError::new(
                &self.name,
                ProviderErrorKind::Unsupported(format!(
                    "no provider of chain {} serves {} bars at {timeframe} (its providers: {})",
                    self.name,
                    class.name(),
                    self.provider_names().join(", ")
                )),
            ));
        }
        let mut failures = Vec::new();
        for (i, member) in candidates.iter().enumerate() {
            let admission = lock(&member.breaker).admit(self.clock.now());
            match admission {
                Admission::Refused { retry_in } => {
                    failures.push(ProviderError::new(
                        member.provider.name(),
                        ProviderErrorKind::CircuitOpen(retry_in),
                    ));
                    continue;
                }
                Admission::Probe {
                    transition: Some(t),
                } => self.notify(ChainNotice::Transition(t)),
                Admission::Probe { transition: None } | Admission::Go => {}
            }
            let outcome = op(member.provider.as_ref()).await;
            let transition = {
                let mut breaker = lock(&member.breaker);
                match &outcome {
                    Ok(_) => breaker.record_success(),
                    Err(e) => breaker.record_failure(&e.kind, self.clock.now()),
                }
            };
            if let Some(t) = transition {
                self.notify(ChainNotice::Transition(t));
            }
            match outcome {
                Ok(v) => return Ok(v),
                Err(error) => {
                    if let Some(next) = candidates.get(i + 1) {
                        self.fail_over(member, next, &error);
                    }
                    failures.push(error);
                }
            }
        }
        Err(ProviderError::new(
            &self.name,
            ProviderErrorKind::AllFailed(failures),
        ))
    }
}

fn lock(breaker: &Mutex<Breaker>) -> std::sync::MutexGuard<'_, Breaker> {
    // A breaker is consistent after every method: a panic elsewhere leaves it usable.
    breaker.lock().unwrap_or_else(|e| e.into_inner())
}

impl Provider for ProviderChain {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, class: AssetClass, timeframe: Timeframe) -> bool {
        self.members
            .iter()
            .any(|m| m.provider.supports(class, timeframe))
    }

    fn history<'a>(&'a self, request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        let class = AssetClass::of(request.symbol.as_str());
        Box::pin(self.call(class, request.timeframe, move |p| p.history(request)))
    }

    fn latest<'a>(
        &'a self,
        symbol: &'a Symbol,
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        let class = AssetClass::of(symbol.as_str());
        Box::pin(self.call(class, timeframe, move |p| p.latest(symbol, timeframe)))
    }

    /// The stream of the first provider of the chain that streams the class of the
    /// first symbol and whose breaker admits the call. A provider without a stream
    /// (`Unsupported`) is passed over without a fail-over notice; when no provider
    /// streams, the answer is `Unsupported` (the caller polls `history` instead).
    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        let class = symbols
            .first()
            .map_or(AssetClass::Stock, |s| AssetClass::of(s.as_str()));
        Box::pin(self.open_stream(class, symbols, timeframe))
    }
}

impl ProviderChain {
    /// Says that `from` failed with `error` and `to` is asked next.
    fn fail_over(&self, from: &Member, to: &Member, error: &ProviderError) {
        self.notify(ChainNotice::Failover {
            chain: self.name.clone(),
            from: from.provider.name().to_string(),
            to: to.provider.name().to_string(),
            error: error.clone(),
        });
    }

    async fn open_stream(
        &self,
        class: AssetClass,
        symbols: &[Symbol],
        timeframe: Timeframe,
    ) -> Result<BarStream, ProviderError> {
        let mut failures = Vec::new();
        let candidates: Vec<_> = self
            .members
            .iter()
            .filter(|m| m.provider.supports(class, timeframe))
            .collect();
        for (i, member) in candidates.iter().enumerate() {
            let admission = lock(&member.breaker).admit(self.clock.now());
            match admission {
                Admission::Refused { retry_in } => {
                    failures.push(ProviderError::new(
                        member.provider.name(),
                        ProviderErrorKind::CircuitOpen(retry_in),
                    ));
                    continue;
                }
                Admission::Probe {
                    transition: Some(t),
                } => self.notify(ChainNotice::Transition(t)),
                Admission::Probe { transition: None } | Admission::Go => {}
            }
            let outcome = member.provider.stream(symbols, timeframe).await;
            if let Err(ProviderError {
                kind: ProviderErrorKind::Unsupported(_),
                ..
            }) = &outcome
            {
                // No stream is no failure: a half-open breaker stays for a real call.
                continue;
            }
            let transition = {
                let mut breaker = lock(&member.breaker);
                match &outcome {
                    Ok(_) => breaker.record_success(),
                    Err(e) => breaker.record_failure(&e.kind, self.clock.now()),
                }
            };
            if let Some(t) = transition {
                self.notify(ChainNotice::Transition(t));
            }
            match outcome {
                Ok(stream) => return Ok(stream),
                Err(error) => {
                    if let Some(next) = candidates.get(i + 1) {
                        self.fail_over(member, next, &error);
                    }
                    failures.push(error);
                }
            }
        }
        if failures.is_empty() {
            return Err(ProviderError::new(
                &self.name,
                ProviderErrorKind::Unsupported(format!(
                    "a live stream: no provider of chain {} streams {} bars at {timeframe} \
                     (polled instead)",
                    self.name,
                    class.name()
                )),
            ));
        }
        Err(ProviderError::new(
            &self.name,
            ProviderErrorKind::AllFailed(failures),
        ))
    }
}
