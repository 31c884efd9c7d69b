//! The clocks a live feed keeps time by: the wall clock (a live market), a scaled
//! clock (stored bars replayed as live at N× speed), and a simulated clock for tests
//! (time jumps to each wake-up at once, so an hour of market runs in milliseconds).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tradelab_core::Timestamp;

/// What a feed waits on.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Market time for a live feed.
pub trait LiveClock: Send + Sync {
    /// The time now on this clock.
    fn now(&self) -> Timestamp;
    /// Waits until the clock reads `at` (at once when it already does).
    fn sleep_until(&self, at: Timestamp) -> Sleep;
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct WallClock;

impl LiveClock for WallClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(0))
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        let left = at.nanos().saturating_sub(self.now().nanos());
        let left = Duration::from_nanos(u64::try_from(left).unwrap_or(0));
        Box::pin(tokio::time::sleep(left))
    }
}

/// Time that starts at `origin` and runs `speed` times as fast as the wall clock: a
/// replay as live at 60× plays a minute bar a second.
#[derive(Debug)]
pub struct ScaledClock {
    origin: Timestamp,
    started: Instant,
    speed: f64,
}

impl ScaledClock {
    /// A clock reading `origin` now and running `speed` (> 0) times as fast as real time.
    pub fn new(origin: Timestamp, speed: f64) -> Self {
        ScaledClock {
            origin,
            started: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }
}

impl LiveClock for ScaledClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.started.elapsed().as_nanos() as f64 * self.speed;
        Timestamp::from_nanos(self.origin.nanos().saturating_add(elapsed as i64))
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        let left = at.nanos().saturating_sub(self.now().nanos()).max(0) as f64 / self.speed;
        Box::pin(tokio::time::sleep(Duration::from_nanos(left as u64)))
    }
}

/// A clock for tests: it reads what it was set to, and a sleep moves it to the wake-up
/// time at once (yielding to the runtime, so other tasks run in between).
#[derive(Debug)]
pub struct SimClock {
    now: Mutex<Timestamp>,
}

impl SimClock {
    /// A simulated clock reading `start`.
    pub fn new(start: Timestamp) -> Self {
        SimClock {
            now: Mutex::new(start),
        }
    }

    fn set_at_least(&self, at: Timestamp) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        if at > *now {
            *now = at;
        }
    }
}

impl LiveClock for SimClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        self.set_at_least(at);
        Box::pin(tokio::task::yield_now())
    }
}
