//! The circuit breaker's transitions, on an injected clock.

use std::time::{Duration, Instant};
use tradelab_providers::ProviderErrorKind;
use tradelab_providers::breaker::{Admission, Breaker, BreakerSettings, BreakerState};

fn settings() -> BreakerSettings {
    BreakerSettings {
        failures: 3,
        cooldown: Duration::from_secs(30),
    }
}

fn outage() -> ProviderErrorKind {
    ProviderErrorKind::Server {
        status: 503,
        message: "down".into(),
    }
}

#[test]
fn breaker_opens_after_the_configured_consecutive_outages() {
    let mut b = Breaker::new("alpaca", settings());
    let t0 = Instant::now();
    assert_eq!(b.record_failure(&outage(), t0), None);
    assert_eq!(b.record_failure(&outage(), t0), None);
    assert_eq!(b.state(), BreakerState::Closed);
    let t = b.record_failure(&outage(), t0).expect("opened");
    assert_eq!(t.provider, "alpaca");
    assert_eq!((t.from, t.to), (BreakerState::Closed, BreakerState::Open));
    assert!(t.reason.contains("3 consecutive failures"), "{}", t.reason);
    assert!(t.reason.contains("503"), "{}", t.reason);
    let status = b.status();
    assert_eq!(status.consecutive_failures, 3);
    assert_eq!(status.open_until, Some(t0 + Duration::from_secs(30)));
    assert!(status.last_error.expect("last error").contains("down"));
}

#[test]
fn breaker_refuses_calls_while_open_saying_how_long() {
    let mut b = Breaker::new("alpaca", settings());
    let t0 = Instant::now();
    for _ in 0..3 {
        b.record_failure(&outage(), t0);
    }
    assert_eq!(
        b.admit(t0 + Duration::from_secs(10)),
        Admission::Refused {
            retry_in: Duration::from_secs(20)
        }
    );
}

#[test]
fn breaker_lets_one_probe_through_after_the_cooldown_and_a_success_closes_it() {
    let mut b = Breaker::new("alpaca", settings());
    let t0 = Instant::now();
    for _ in 0..3 {
        b.record_failure(&outage(), t0);
    }
    let later = t0 + Duration::from_secs(30);
    let Admission::Probe {
        transition: Some(t),
    } = b.admit(later)
    else {
        panic!("expected the probe");
    };
    assert_eq!((t.from, t.to), (BreakerState::Open, BreakerState::HalfOpen));
    // A second call while the probe is out is refused.
    assert!(matches!(b.admit(later), Admission::Refused { .. }));
    let closed = b.record_success().expect("closed");
    assert_eq!(
        (closed.from, closed.to),
        (BreakerState::HalfOpen, BreakerState::Closed)
    );
    assert_eq!(b.admit(later), Admission::Go);
    assert_eq!(b.status().consecutive_failures, 0);
}

#[test]
fn breaker_reopens_for_another_cooldown_when_the_probe_fails() {
    let mut b = Breaker::new("alpaca", settings());
    let t0 = Instant::now();
    for _ in 0..3 {
        b.record_failure(&outage(), t0);
    }
    let later = t0 + Duration::from_secs(31);
    assert!(matches!(b.admit(later), Admission::Probe { .. }));
    let t = b
        .record_failure(&ProviderErrorKind::Timeout(Duration::from_secs(15)), later)
        .expect("re-opened");
    assert_eq!((t.from, t.to), (BreakerState::HalfOpen, BreakerState::Open));
    assert!(t.reason.starts_with("probe failed"), "{}", t.reason);
    assert_eq!(
        b.admit(later + Duration::from_secs(1)),
        Admission::Refused {
            retry_in: Duration::from_secs(29)
        }
    );
}

#[test]
fn breaker_does_not_count_errors_that_are_not_outages_and_they_reset_the_count() {
    let mut b = Breaker::new("alpaca", settings());
    let t0 = Instant::now();
    b.record_failure(&outage(), t0);
    b.record_failure(&outage(), t0);
    for kind in [
        ProviderErrorKind::UnknownSymbol("ZZZZ".into()),
        ProviderErrorKind::Rejected {
            status: 422,
            message: "bad".into(),
        },
        ProviderErrorKind::Unauthorized("bad key".into()),
        ProviderErrorKind::NotConfigured("set X".into()),
    ] {
        assert_eq!(b.record_failure(&kind, t0), None);
        assert_eq!(b.status().consecutive_failures, 0);
    }
    b.record_failure(&outage(), t0);
    b.record_failure(&outage(), t0);
    assert_eq!(b.state(), BreakerState::Closed);
}

#[test]
fn breaker_replaces_a_probe_whose_caller_gave_up_after_a_cooldown() {
    let mut b = Breaker::new("alpaca", settings());
    let t0 = Instant::now();
    for _ in 0..3 {
        b.record_failure(&outage(), t0);
    }
    let probe_at = t0 + Duration::from_secs(30);
    assert!(matches!(b.admit(probe_at), Admission::Probe { .. }));
    assert!(matches!(
        b.admit(probe_at + Duration::from_secs(29)),
        Admission::Refused { .. }
    ));
    assert_eq!(
        b.admit(probe_at + Duration::from_secs(30)),
        Admission::Probe { transition: None }
    );
}
