//! Suspending a live run: a server shutting down leaves its live runs `interrupted`
//! at a step boundary, with nothing recorded past their last step (no stop command, no
//! `run_finished`), so `runs resume` goes on as if the process had never stopped.

use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The suspension of one live run: asked for once (with a reason), seen by the run's
/// input stream, which ends the run at the next step boundary.
#[derive(Clone, Default)]
pub struct Suspend(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// Why the run was suspended, once it was asked.
    asked: Mutex<Option<String>>,
    /// Set once the input stream ended the run for it: from then on nothing of the
    /// run is recorded.
    taken: std::sync::atomic::AtomicBool,
    notify: Notify,
}

impl Suspend {
    /// Asks the run to stop at its next step boundary, to be resumed later.
    pub fn ask(&self, reason: &str) {
        let mut asked = self.0.asked.lock().unwrap_or_else(|e| e.into_inner());
        if asked.is_none() {
            *asked = Some(reason.to_string());
        }
        drop(asked);
        self.0.notify.notify_one();
    }

    /// Why the run was asked to suspend, if it was.
    pub fn reason(&self) -> Option<String> {
        self.0
            .asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the run is asked to suspend.
    pub(crate) async fn asked(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.reason().is_some() {
                return;
            }
            notified.await;
        }
    }

    /// The input stream ends the run for the suspension: what the engine emits from
    /// here (its end of run) is not recorded.
    pub(crate) fn take(&self) {
        self.0
            .taken
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether the run ended for a suspension (see [`Suspend::take`]).
    pub(crate) fn taken(&self) -> bool {
        self.0.taken.load(std::sync::atomic::Ordering::Acquire)
    }
}
