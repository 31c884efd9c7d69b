//! Runs on tasks of their own: spawned by the [`Runner`], steered and watched through a
//! [`RunHandle`].

use super::{Finished, Progress, ReplayOptions, Runner, RunnerError, StartRun};
use super::{Launch, Prepared};
use crate::broadcast::{Broadcast, Numbered};
use std::sync::Arc;
use tradelab_engine::risk::RuleSet;
use tradelab_engine::{Command, RunControl};
use tradelab_store::{Run, RunId, RunStatus as StoredStatus, UserId};

impl Runner {
    /// [`Runner::start`] on a task of its own: returns once the run is created and
    /// running, with a handle to steer it (stop, flatten, pause, resume), watch its
    /// events live and await its end.
    pub async fn spawn(
        &self,
        req: StartRun,
        progress: Option<Progress>,
    ) -> Result<RunHandle, RunnerError> {
        let launch = self.prepare_start(&req).await?;
        self.spawn_launch(launch, req, progress).await
    }

    /// [`Runner::replay_with`] on a task of its own (see [`Runner::spawn`]).
    pub async fn spawn_replay(
        &self,
        owner: UserId,
        parent: RunId,
        rules: RuleSet,
        options: ReplayOptions,
        progress: Option<Progress>,
    ) -> Result<RunHandle, RunnerError> {
        let (launch, req) = self.prepare_replay(owner, parent, rules, options).await?;
        self.spawn_launch(launch, req, progress).await
    }

    async fn spawn_launch(
        &self,
        launch: Launch,
        req: StartRun,
        progress: Option<Progress>,
    ) -> Result<RunHandle, RunnerError> {
        let prepared = self.prepare(launch, &req).await?;
        Ok(self.spawn_prepared(prepared, req, progress))
    }

    /// Checks and creates a run of `req` without running it: the model is the owner's,
    /// the symbols allowed, the bars there and loaded; the run is stored `queued`. A
    /// worker later runs it ([`QueuedRun::start`]) or gives it up
    /// ([`QueuedRun::abandon`]). What is wrong with the request is an error now, not a
    /// failed run later.
    pub async fn queue(&self, req: StartRun) -> Result<QueuedRun, RunnerError> {
        let launch = self.prepare_start(&req).await?;
        let prepared = self.prepare_queued(launch, &req).await?;
        Ok(QueuedRun {
            runner: self.clone(),
            prepared,
            req,
        })
    }

    /// [`Runner::queue`] for a replay of `owner`'s run `parent` with other rules.
    pub async fn queue_replay(
        &self,
        owner: UserId,
        parent: RunId,
        rules: RuleSet,
        options: ReplayOptions,
    ) -> Result<QueuedRun, RunnerError> {
        let (launch, req) = self.prepare_replay(owner, parent, rules, options).await?;
        let prepared = self.prepare_queued(launch, &req).await?;
        Ok(QueuedRun {
            runner: self.clone(),
            prepared,
            req,
        })
    }

    fn spawn_prepared(
        &self,
        prepared: Prepared,
        req: StartRun,
        progress: Option<Progress>,
    ) -> RunHandle {
        let control = Arc::new(RunControl::new());
        let events = Broadcast::new(crate::broadcast::DEFAULT_CAPACITY).sender();
        let (committed_tx, committed) = tokio::sync::watch::channel(0);
        let watch = Watch {
            progress,
            control: Some(Arc::clone(&control)),
            broadcast: Some(events.clone()),
            committed: Some(committed_tx),
        };
        let runner = self.clone();
        let run = prepared.run.clone();
        let task = tokio::spawn(async move { runner.run_prepared(prepared, req, watch).await });
        RunHandle {
            run,
            control,
            events,
            committed,
            task,
            suspend: None,
        }
    }
}

/// A run checked and stored `queued`, with its bars loaded, waiting for a worker.
pub struct QueuedRun {
    runner: Runner,
    prepared: Prepared,
    req: StartRun,
}

impl QueuedRun {
    /// The run as stored (status `queued`).
    pub fn run(&self) -> &Run {
        &self.prepared.run
    }

    /// Marks the run running and runs it on a task of its own (see [`Runner::spawn`]).
    pub async fn start(self, progress: Option<Progress>) -> Result<RunHandle, RunnerError> {
        let QueuedRun {
            runner,
            prepared,
            req,
        } = self;
        let prepared = runner.mark_running(prepared).await?;
        Ok(runner.spawn_prepared(prepared, req, progress))
    }

    /// Gives the run up before it started: it ends in `status` (stopped by an
    /// emergency stop, interrupted by a shutdown) with `reason`.
    pub async fn abandon(self, status: StoredStatus, reason: &str) -> Result<Run, RunnerError> {
        let id = self.prepared.run.id;
        Ok(self
            .runner
            .store
            .runs()
            .finish(id, status, Some(reason), None)
            .await?)
    }
}

/// Who watches and steers a run: progress, the command channel, the live broadcast,
/// and how far the trail is committed.
#[derive(Default)]
pub(crate) struct Watch {
    pub progress: Option<Progress>,
    pub control: Option<Arc<RunControl>>,
    pub broadcast: Option<tokio::sync::broadcast::Sender<Arc<Numbered>>>,
    pub committed: Option<tokio::sync::watch::Sender<i64>>,
}

impl Watch {
    pub(super) fn progress(progress: Option<Progress>) -> Self {
        Watch {
            progress,
            ..Watch::default()
        }
    }
}

/// A run going on in a task of its own: steer it, watch it, await its end.
pub struct RunHandle {
    /// The run as created (status `running`).
    pub run: Run,
    pub(super) control: Arc<RunControl>,
    pub(super) events: tokio::sync::broadcast::Sender<Arc<Numbered>>,
    pub(super) committed: tokio::sync::watch::Receiver<i64>,
    pub(super) task: tokio::task::JoinHandle<Result<Finished, RunnerError>>,
    /// A live run's suspension (a replay has none: it is stopped instead).
    pub(super) suspend: Option<crate::live::Suspend>,
}

impl RunHandle {
    /// Sends a command (stop, flatten, pause, resume); the run applies it before its
    /// next step and records it.
    pub fn send(&self, command: Command) {
        self.control.send(command);
    }

    /// The run's command channel, to keep after the handle is awaited.
    pub fn control(&self) -> Arc<RunControl> {
        Arc::clone(&self.control)
    }

    /// The run's events from now on, each with the engine's number (the same number
    /// the store keeps), for a live view.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Numbered>> {
        self.events.subscribe()
    }

    /// How far the run's trail is committed: every event numbered up to the value is
    /// stored (or is not a row); [`crate::TRAIL_ENDED`] once the run ended and its
    /// status and last events are stored. A live view subscribes first, waits for the
    /// mark to reach the event before the first it received, then reads the store up
    /// to there: stored and live events then meet without a gap or a repeat.
    pub fn committed(&self) -> tokio::sync::watch::Receiver<i64> {
        self.committed.clone()
    }

    /// A cloneable view of the run to keep while the handle is awaited: commands, live
    /// events, the committed mark.
    pub fn watcher(&self) -> RunWatcher {
        RunWatcher {
            control: Arc::clone(&self.control),
            events: self.events.clone(),
            committed: self.committed.clone(),
            suspend: self.suspend.clone(),
        }
    }

    /// Whether the run's task is over.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the run to end.
    pub async fn finished(self) -> Result<Finished, RunnerError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(RunnerError::Engine {
                run: self.run.id,
                message: format!("the run's task failed: {e}"),
            }),
        }
    }
}

/// What a server keeps of a running run to steer and watch it (see
/// [`RunHandle::watcher`]).
#[derive(Clone)]
pub struct RunWatcher {
    control: Arc<RunControl>,
    events: tokio::sync::broadcast::Sender<Arc<Numbered>>,
    committed: tokio::sync::watch::Receiver<i64>,
    suspend: Option<crate::live::Suspend>,
}

impl RunWatcher {
    /// Sends a command; the run applies it before its next step.
    pub fn send(&self, command: Command) {
        self.control.send(command);
    }

    /// Suspends a live run at its next step boundary (a shutdown): it ends
    /// `interrupted` with `reason`, nothing recorded past its last step, ready for
    /// `runs resume`. False for a replay, which has nothing to resume: stop it instead.
    pub fn suspend(&self, reason: &str) -> bool {
        match &self.suspend {
            Some(s) => {
                s.ask(reason);
                true
            }
            None => false,
        }
    }

    /// The run's events from now on (see [`RunHandle::subscribe`]).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Numbered>> {
        self.events.subscribe()
    }

    /// How far the trail is committed (see [`RunHandle::committed`]).
    pub fn committed(&self) -> tokio::sync::watch::Receiver<i64> {
        self.committed.clone()
    }
}
