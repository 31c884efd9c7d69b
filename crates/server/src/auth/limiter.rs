//! Failed-login limits per account and per client address: after too many failures
//! within a window, attempts are refused until the window has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures by key (an e-mail, an address) in a fixed window.
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Keys kept before old windows are swept.
const SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        LoginLimiter {
            max: max.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `key` may try again, if it is blocked now.
    pub fn blocked_for(&self, key: &str) -> Option<u64> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (since, count) = failures.get(key)?;
        let elapsed = since.elapsed();
        (*count >= self.max && elapsed < self.window)
            .then(|| (self.window - elapsed).as_secs().max(1))
    }

    /// Records a failed attempt of `key`.
    pub fn failed(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= SWEEP_AT {
            let window = self.window;
            failures.retain(|_, (since, _)| since.elapsed() < window);
        }
        let now = Instant::now();
        let entry = failures.entry(key.to_string()).or_insert((now, 0));
        if entry.0.elapsed() >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Forgets `key`'s failures (after a successful login).
    pub fn succeeded(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_a_key_after_too_many_failures_and_only_that_key() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            l.failed("a@x.io");
        }
        assert_eq!(l.blocked_for("a@x.io"), None);
        l.failed("a@x.io");
        assert!(l.blocked_for("a@x.io").is_some());
        assert_eq!(l.blocked_for("b@x.io"), None);
        l.succeeded("a@x.io");
        assert_eq!(l.blocked_for("a@x.io"), None);
    }

    #[test]
    fn the_block_ends_with_the_window() {
        let l = LoginLimiter::new(1, Duration::from_millis(20));
        l.failed("k");
        assert!(l.blocked_for("k").is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(l.blocked_for("k"), None);
    }
}
