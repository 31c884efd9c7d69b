//! Runs on tasks of their own: spawned by the [`Runner`], steered and watched through a
//! [`RunHandle`].

use super::Launch;
use super::{Finished, Progress, ReplayOptions, Runner, RunnerError, StartRun};
use crate::broadcast::{Broadcast, Numbered};
use std::sync::Arc;
use tradelab_engine::risk::RuleSet;
use tradelab_engine::{Command, RunControl};
use tradelab_store::{Run, RunId, UserId};

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
        let control = Arc::new(RunControl::new());
        let events = Broadcast::new(crate::broadcast::DEFAULT_CAPACITY).sender();
        let watch = Watch {
            progress,
            control: Some(Arc::clone(&control)),
            broadcast: Some(events.clone()),
        };
        let runner = self.clone();
        let run = prepared.run.clone();
        let task = tokio::spawn(async move { runner.run_prepared(prepared, req, watch).await });
        Ok(RunHandle {
            run,
            control,
            events,
            task,
        })
    }
}

/// Who watches and steers a run: progress, the command channel, the live broadcast.
#[derive(Default)]
pub(crate) struct Watch {
    pub progress: Option<Progress>,
    pub control: Option<Arc<RunControl>>,
    pub broadcast: Option<tokio::sync::broadcast::Sender<Arc<Numbered>>>,
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
    control: Arc<RunControl>,
    events: tokio::sync::broadcast::Sender<Arc<Numbered>>,
    task: tokio::task::JoinHandle<Result<Finished, RunnerError>>,
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
