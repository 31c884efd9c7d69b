//! A circuit breaker per provider: closed, open after N failures, half-open probe after a cool-down.
//!
//! The breaker keeps a chain from hammering a provider that is down: after
//! [`BreakerSettings::failures`] consecutive outage failures
//! ([`ProviderErrorKind::is_outage`]) it opens and the provider is skipped for
//! [`BreakerSettings::cooldown`]. The first call after the cool-down is let through as a
//! probe (half-open); its success closes the breaker, an outage re-opens it for another
//! cool-down. An answer that is not an outage (an unknown symbol, a refused request)
//! shows the provider is up: it counts as a success.
//!
//! The breaker is a plain state machine: every method takes the time (`now`) from the
//! caller, so tests step through each transition without sleeping, and every change of
//! state comes back as a [`BreakerTransition`] for the chain to report.

use crate::error::ProviderErrorKind;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where a source of time comes from: the system clock in service, a [`ManualClock`]
/// in tests.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to (tests of cool-downs without sleeping).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Instant>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock {
            now: Mutex::new(Instant::now()),
        }
    }
}

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// When a breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive outage failures that open the breaker (at least 1).
    pub failures: u32,
    /// How long an open breaker refuses calls before a probe.
    pub cooldown: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: 3,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// The state of a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// The cool-down ended: one probe call goes through, others are refused.
    HalfOpen,
}

impl BreakerState {
    /// The state's name in output (`closed`, `open`, `half-open`).
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

impl std::fmt::Display for BreakerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A change of a breaker's state, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerTransition {
    /// The provider whose breaker changed.
    pub provider: String,
    pub from: BreakerState,
    pub to: BreakerState,
    /// Why, for people (`3 consecutive failures; last: server error 503: …`).
    pub reason: String,
}

impl std::fmt::Display for BreakerTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: circuit {} → {} ({})",
            self.provider, self.from, self.to, self.reason
        )
    }
}

/// What a breaker says about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The breaker is closed: go ahead.
    Go,
    /// The call is the half-open probe; `transition` is set when this call ended the
    /// cool-down (open → half-open).
    Probe {
        transition: Option<BreakerTransition>,
    },
    /// Refused: the breaker is open for `retry_in` more (zero while a probe is out).
    Refused { retry_in: Duration },
}

/// A breaker's state for status output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerStatus {
    pub state: BreakerState,
    /// Outage failures since the last success.
    pub consecutive_failures: u32,
    /// The last outage failure's text.
    pub last_error: Option<String>,
    /// When an open breaker lets a probe through.
    pub open_until: Option<Instant>,
}

/// The circuit breaker of one provider (see the module documentation).
#[derive(Debug, Clone)]
pub struct Breaker {
    provider: String,
    settings: BreakerSettings,
    state: BreakerState,
    consecutive_failures: u32,
    last_error: Option<String>,
    open_until: Option<Instant>,
    /// When the half-open probe was let through (a probe whose caller gave up is
    /// replaced after a cool-down).
    probe_since: Option<Instant>,
}

impl Breaker {
    /// A closed breaker for `provider`.
    pub fn new(provider: impl Into<String>, settings: BreakerSettings) -> Self {
        Breaker {
            provider: provider.into(),
            settings: BreakerSettings {
                failures: settings.failures.max(1),
                ..settings
            },
            state: BreakerState::Closed,
            consecutive_failures: 0,
            last_error: None,
            open_until: None,
            probe_since: None,
        }
    }

    /// The breaker's state now.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// The breaker's state for status output.
    pub fn status(&self) -> BreakerStatus {
        BreakerStatus {
            state: self.state,
            consecutive_failures: self.consecutive_failures,
            last_error: self.last_error.clone(),
            open_until: self.open_until,
        }
    }

    /// Whether a call at `now` may go through (an open breaker whose cool-down is
    /// over turns half-open and lets this call through as the probe).
    pub fn admit(&mut self, now: Instant) -> Admission {
        match self.state {
            BreakerState::Closed => Admission::Go,
            BreakerState::Open => {
                let until = self.open_until.unwrap_or(now);
                if now < until {
                    return Admission::Refused {
                        retry_in: until - now,
                    };
                }
                let transition = self.transition(
                    BreakerState::HalfOpen,
                    format!(
                        "cool-down of {} s over; one probe request goes through",
                        self.settings.cooldown.as_secs_f64()
                    ),
                );
                self.open_until = None;
                self.probe_since = Some(now);
                Admission::Probe {
                    transition: Some(transition),
                }
            }
            BreakerState::HalfOpen => match self.probe_since {
                Some(since) if now < since + self.settings.cooldown => Admission::Refused {
                    retry_in: Duration::ZERO,
                },
                _ => {
                    self.probe_since = Some(now);
                    Admission::Probe { transition: None }
                }
            },
        }
    }

    /// Records a call that got an answer (data, or an error that is not an outage):
    /// resets the failure count and closes a half-open breaker.
    pub fn record_success(&mut self) -> Option<BreakerTransition> {
        self.consecutive_failures = 0;
        self.probe_since = None;
        match self.state {
            BreakerState::Closed => None,
            BreakerState::HalfOpen | BreakerState::Open => {
                self.open_until = None;
                Some(self.transition(BreakerState::Closed, "probe request succeeded".into()))
            }
        }
    }

    /// Records the outcome of a call that failed with `error` at `now`: an outage
    /// counts against the breaker (opening it at the limit, or re-opening a half-open
    /// one); any other error is an answer and counts as a success.
    pub fn record_failure(
        &mut self,
        error: &ProviderErrorKind,
        now: Instant,
    ) -> Option<BreakerTransition> {
        if !error.is_outage() {
            return self.record_success();
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_error = Some(error.to_string());
        match self.state {
            BreakerState::Closed if self.consecutive_failures >= self.settings.failures => {
                self.open_until = Some(now + self.settings.cooldown);
                let reason = format!(
                    "{} consecutive failures; last: {error}",
                    self.consecutive_failures
                );
                Some(self.transition(BreakerState::Open, reason))
            }
            BreakerState::Closed => None,
            BreakerState::HalfOpen => {
                self.open_until = Some(now + self.settings.cooldown);
                self.probe_since = None;
                Some(self.transition(BreakerState::Open, format!("probe failed: {error}")))
            }
            BreakerState::Open => {
                // A call admitted before the breaker opened finished late.
                self.open_until = Some(now + self.settings.cooldown);
                None
            }
        }
    }

    fn transition(&mut self, to: BreakerState, reason: String) -> BreakerTransition {
        let from = self.state;
        self.state = to;
        BreakerTransition {
            provider: self.provider.clone(),
            from,
            to,
            reason,
        }
    }
}
