//! Commands from outside a run (an API call, an admin, a test): stop, flatten, pause,
//! resume. They reach the engine as inputs between steps, and each one applied is
//! recorded as a [`crate::RunEvent::Command`] event, so the audit trail says who
//! stopped a run and when.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// What a run can be told to do between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// The kill switch: stop before the next step; `flatten` closes every position at
    /// its last close first, otherwise positions stay open.
    Stop { flatten: bool },
    /// Close every position at its last close now and go on.
    Flatten,
    /// Stop asking the decider. A replay waits between steps until it is resumed or
    /// stopped; a live run keeps marking, filling working orders and applying the risk
    /// rules' exits (the market does not wait), but places no new decider orders.
    Pause,
    /// Ask the decider again.
    Resume,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Command::Stop { flatten: true } => "stop (flatten positions)",
            Command::Stop { flatten: false } => "stop (leave positions open)",
            Command::Flatten => "flatten positions",
            Command::Pause => "pause",
            Command::Resume => "resume",
        })
    }
}

/// The command channel of a run: shared with whoever may steer it (a server's handle,
/// an admin, a test). Cheap to check between steps: one relaxed atomic load while no
/// command is waiting.
#[derive(Debug, Default)]
pub struct RunControl {
    waiting: AtomicBool,
    queue: Mutex<Queue>,
    arrived: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    commands: VecDeque<Command>,
    /// The async driver waiting for a command, to wake when one arrives.
    waker: Option<Waker>,
}

impl RunControl {
    /// A channel with no command waiting.
    pub fn new() -> Self {
        RunControl::default()
    }

    /// Sends a command; the run applies it before its next step.
    pub fn send(&self, command: Command) {
        let mut queue = self.lock();
        queue.commands.push_back(command);
        self.waiting.store(true, Ordering::Release);
        self.arrived.notify_all();
        if let Some(waker) = queue.waker.take() {
            waker.wake();
        }
    }

    /// Orders the run to stop before its next step ([`Command::Stop`]).
    pub fn stop(&self, flatten: bool) {
        self.send(Command::Stop { flatten });
    }

    /// Whether a command is waiting to be applied.
    #[inline]
    pub fn has_command(&self) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The commands waiting, oldest first, removed from the channel.
    pub fn take(&self) -> Vec<Command> {
        let mut queue = self.lock();
        self.waiting.store(false, Ordering::Release);
        queue.commands.drain(..).collect()
    }

    /// Waits, without blocking the thread, until a command is waiting, then takes
    /// them all (a paused run under an async driver).
    pub fn next_commands(&self) -> impl Future<Output = Vec<Command>> + Send + '_ {
        NextCommands { control: self }
    }

    /// Blocks until a command is waiting, then takes them all (a paused replay).
    pub fn wait(&self) -> Vec<Command> {
        let mut queue = self.lock();
        while queue.commands.is_empty() {
            queue = match self.arrived.wait(queue) {
                Ok(q) => q,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        self.waiting.store(false, Ordering::Release);
        queue.commands.drain(..).collect()
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A sender that panicked mid-push left a valid queue behind.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The future of [`RunControl::next_commands`].
struct NextCommands<'a> {
    control: &'a RunControl,
}

impl Future for NextCommands<'_> {
    type Output = Vec<Command>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<Command>> {
        let mut queue = self.control.lock();
        if queue.commands.is_empty() {
            queue.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        self.control.waiting.store(false, Ordering::Release);
        Poll::Ready(queue.commands.drain(..).collect())
    }
}
