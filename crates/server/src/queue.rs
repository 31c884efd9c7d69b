//! The run queue: runs are checked and stored `queued` by the request that asks for
//! them, then taken in order by a bounded pool of workers. Running runs are kept here
//! to be stopped, watched and counted; an emergency stop or a shutdown reaches every
//! one of them at its next step.

use crate::metrics::Metrics;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Mutex, mpsc, watch};
use tradelab_engine::Command;
use tradelab_runner::{QueuedRun, RunHandle, RunWatcher, Runner};
use tradelab_store::{RunId, RunStatus};

/// Steps done and total of a running run.
pub type Steps = (usize, usize);

/// A running run as the server sees it.
#[derive(Clone)]
pub struct LiveRun {
    pub watcher: RunWatcher,
    pub progress: watch::Receiver<Steps>,
}

/// Why a run could not be queued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    #[error("the queue is full ({0} runs wait); try again later")]
    Full(usize),
    #[error("runs are stopped by an admin (emergency stop); new runs are refused until resumed")]
    EmergencyStop,
    #[error("the server is shutting down; new runs are refused")]
    ShuttingDown,
}

/// The queue and the workers taking from it.
pub struct RunQueue {
    tx: mpsc::Sender<QueuedRun>,
    rx: Arc<Mutex<mpsc::Receiver<QueuedRun>>>,
    capacity: usize,
    live: std::sync::Mutex<HashMap<RunId, LiveRun>>,
    emergency: AtomicBool,
    closing: AtomicBool,
    /// Runs waiting (for /metrics and the admin stats).
    waiting: std::sync::atomic::AtomicUsize,
    workers: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl RunQueue {
    /// A queue of `capacity` runs served by `workers` workers.
    pub fn start(
        runner: Runner,
        workers: usize,
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let queue = Arc::new(RunQueue {
            tx,
            rx: Arc::clone(&rx),
            capacity: capacity.max(1),
            live: std::sync::Mutex::new(HashMap::new()),
            emergency: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            workers: Mutex::new(Vec::new()),
        });
        let mut handles = Vec::with_capacity(workers);
        for n in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
            let queue = Arc::clone(&queue);
            let runner = runner.clone();
            let metrics = Arc::clone(&metrics);
            handles.push(tokio::spawn(async move {
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some(job) = next else { break };
                    queue.waiting.fetch_sub(1, Ordering::Relaxed);
                    queue.work(&runner, job, &metrics, n).await;
                }
            }));
        }
        if let Ok(mut w) = queue.workers.try_lock() {
            *w = handles;
        }
        queue
    }

    /// Queues a checked run. When the queue is full, stopped or closing, the run is
    /// given up (stored `stopped` with the reason) and the reason returned.
    pub async fn push(&self, run: QueuedRun) -> Result<(), QueueError> {
        let refused = match self.refusal() {
            Some(r) => (r, run),
            None => {
                self.waiting.fetch_add(1, Ordering::Relaxed);
                match self.tx.try_send(run) {
                    Ok(()) => return Ok(()),
                    Err(
                        mpsc::error::TrySendError::Full(r) | mpsc::error::TrySendError::Closed(r),
                    ) => {
                        self.waiting.fetch_sub(1, Ordering::Relaxed);
                        (QueueError::Full(self.capacity), r)
                    }
                }
            }
        };
        let (reason, run) = refused;
        let id = run.run().id;
        if let Err(e) = run.abandon(RunStatus::Stopped, &reason.to_string()).await {
            tracing::warn!(run = id.0, error = %e, "could not give up a refused run");
        }
        Err(reason)
    }

    /// Whether new runs are refused: the emergency stop or a shutdown.
    pub fn refusal(&self) -> Option<QueueError> {
        if self.closing.load(Ordering::SeqCst) {
            Some(QueueError::ShuttingDown)
        } else if self.emergency.load(Ordering::SeqCst) {
            Some(QueueError::EmergencyStop)
        } else {
            None
        }
    }

    /// Runs waiting for a worker.
    pub fn depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// How many more runs the queue takes now (before it is full).
    pub fn room(&self) -> usize {
        self.capacity.saturating_sub(self.depth())
    }

    /// The running run `id`, if this server runs it.
    pub fn live(&self, id: RunId) -> Option<LiveRun> {
        self.lock_live().get(&id).cloned()
    }

    /// Runs running now.
    pub fn running(&self) -> usize {
        self.lock_live().len()
    }

    fn lock_live(&self) -> std::sync::MutexGuard<'_, HashMap<RunId, LiveRun>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the emergency stop is on.
    pub fn emergency_stopped(&self) -> bool {
        self.emergency.load(Ordering::SeqCst)
    }

    /// Emergency stop: every running run stops at its next step (positions kept),
    /// runs still waiting are given up, and new runs are refused until
    /// [`RunQueue::resume`]. Returns the runs told to stop.
    pub fn emergency_stop(&self) -> Vec<RunId> {
        self.emergency.store(true, Ordering::SeqCst);
        self.stop_all(false)
    }

    /// Lifts the emergency stop.
    pub fn resume(&self) {
        self.emergency.store(false, Ordering::SeqCst);
    }

    fn stop_all(&self, flatten: bool) -> Vec<RunId> {
        let live = self.lock_live();
        for run in live.values() {
            run.watcher.send(Command::Stop { flatten });
        }
        live.keys().copied().collect()
    }

    /// Graceful shutdown: refuses new runs, stops running runs at their next step
    /// (their last events and status are committed; the workers then mark them
    /// interrupted), waits for them up to `grace`, and gives up waiting runs. Live
    /// paper runs are suspended instead: they end `interrupted` at a step boundary with
    /// nothing recorded past their last step, to be resumed. Returns the runs that
    /// were running.
    pub async fn shut_down(&self, grace: std::time::Duration) -> Vec<RunId> {
        self.closing.store(true, Ordering::SeqCst);
        let stopped = {
            let live = self.lock_live();
            for run in live.values() {
                if !run
                    .watcher
                    .suspend("the server shut down; resume the live run to go on")
                {
                    run.watcher.send(Command::Stop { flatten: false });
                }
            }
            live.keys().copied().collect()
        };
        let deadline = tokio::time::Instant::now() + grace;
        while self.running() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Idle workers wait on the queue: end them, then give up what waits.
        let workers = std::mem::take(&mut *self.workers.lock().await);
        for w in &workers {
            w.abort();
        }
        for w in workers {
            let _ = w.await;
        }
        let mut rx = self.rx.lock().await;
        rx.close();
        while let Ok(job) = rx.try_recv() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            let id = job.run().id;
            if let Err(e) = job
                .abandon(
                    RunStatus::Interrupted,
                    "the server shut down before the run started",
                )
                .await
            {
                tracing::warn!(run = id.0, error = %e, "could not give up a queued run");
            }
        }
        stopped
    }

    /// Runs one queued run to its end (or gives it up when the queue is stopped).
    async fn work(&self, runner: &Runner, job: QueuedRun, metrics: &Metrics, worker: usize) {
        let id = job.run().id;
        if let Some(refusal) = self.refusal() {
            let status = if self.closing.load(Ordering::SeqCst) {
                RunStatus::Interrupted
            } else {
                RunStatus::Stopped
            };
            if let Err(e) = job.abandon(status, &refusal.to_string()).await {
                tracing::warn!(run = id.0, error = %e, "could not give up a queued run");
            }
            return;
        }
        let (progress_tx, progress) = watch::channel((0, 0));
        let on_progress: tradelab_runner::Progress = Box::new(move |done, total| {
            progress_tx.send_replace((done, total));
        });
        let handle = match job.start(Some(on_progress)).await {
            Ok(h) => h,
            Err(e) => {
                // A run stopped while it waited is no longer queued: nothing to do.
                tracing::info!(run = id.0, error = %e, "a queued run did not start");
                return;
            }
        };
        tracing::info!(run = id.0, worker, "run started");
        self.follow(runner, handle, progress, metrics).await;
    }

    /// Runs a live paper run the runner spawned, outside the worker pool (it lasts as
    /// long as its feed): kept in the live set to be stopped and watched, stopped by an
    /// emergency stop or a shutdown like any run (a shutdown leaves it interrupted, to
    /// resume).
    pub fn adopt(
        self: &Arc<Self>,
        runner: Runner,
        handle: RunHandle,
        progress: watch::Receiver<Steps>,
        metrics: Arc<Metrics>,
    ) {
        let queue = Arc::clone(self);
        // In the live set before the caller answers, so a stop right after finds it.
        queue.lock_live().insert(
            handle.run.id,
            LiveRun {
                watcher: handle.watcher(),
                progress: progress.clone(),
            },
        );
        tokio::spawn(async move { queue.follow(&runner, handle, progress, &metrics).await });
    }

    /// Keeps a started run in the live set until its end is recorded.
    async fn follow(
        &self,
        runner: &Runner,
        handle: RunHandle,
        progress: watch::Receiver<Steps>,
        metrics: &Metrics,
    ) {
        let id = handle.run.id;
        self.lock_live().insert(
            id,
            LiveRun {
                watcher: handle.watcher(),
                progress,
            },
        );
        metrics.run_started();
        let ended = handle.finished().await;
        // The run leaves the live set only once its end is recorded: shutting down
        // waits for the live set to empty and then ends the workers.
        match ended {
            Ok(f) if f.run.status == RunStatus::Stopped && self.closing.load(Ordering::SeqCst) => {
                metrics.run_report(&f.report);
                let reason = "the server shut down while the run was running";
                match runner.store().runs().interrupt(id, reason).await {
                    Ok(_) => metrics.run_ended(RunStatus::Interrupted.as_str()),
                    Err(e) => {
                        tracing::warn!(run = id.0, error = %e, "could not mark a run interrupted")
                    }
                }
            }
            Ok(f) => {
                metrics.run_report(&f.report);
                metrics.run_ended(f.run.status.as_str());
            }
            Err(e) => {
                metrics.run_ended("failed");
                tracing::warn!(run = id.0, error = %e, "run failed");
            }
        }
        self.lock_live().remove(&id);
    }
}
