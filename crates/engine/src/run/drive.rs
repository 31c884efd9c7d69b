//! The drivers: what feeds the step processor.
//!
//! - [`Engine::run`] / [`Engine::run_with`]: synchronous, over the engine's loaded
//!   bars, with a plain [`Decider`] — the replay fast path.
//! - [`Engine::run_async`]: over the loaded bars with an [`AsyncDecider`] that awaits
//!   (a model behind HTTP).
//! - [`Engine::run_stream`]: over a stream of [`Input`]s (a live feed's steps and
//!   commands), with an [`AsyncDecider`].
//!
//! All three make the same decider calls, risk checks and fills, so the same bars give
//! the same events whichever driver fed them.

use super::control::{Command, RunControl};
use super::failure::{RunFailure, Stepped};
use super::processor::{Flow, Processor};
use super::timeline::MergedTimeline;
use super::{Engine, RunHooks, RunOutcome};
use crate::decider::{AsyncDecider, Decider, Decision};
use crate::event::{EventSink, FeedNotice};
use futures_util::{Stream, StreamExt};
use std::ops::Deref;
use std::time::{Duration, Instant};
use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};

/// One input of a live run.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The bars that closed at `ts`, one per symbol that has one (all stamped `ts`).
    Bars {
        ts: Timestamp,
        bars: Vec<(Symbol, Bar)>,
    },
    /// A command from outside, applied before the next step.
    Command(Command),
    /// News about the feed itself at `ts` on its clock, recorded as a
    /// [`crate::RunEvent::Feed`] event.
    Notice { ts: Timestamp, notice: FeedNotice },
}

impl Engine {
    /// Replays the data through `decider`, sending every event to `sink`.
    /// `progress` is called now and then with the number of steps done.
    ///
    /// Fails, after sending a [`crate::RunEvent::RunFailed`], when the run cannot go on
    /// (see [`RunFailure`]).
    pub fn run(
        &self,
        decider: &mut dyn Decider,
        sink: &mut dyn EventSink,
        progress: Option<&mut (dyn FnMut(usize) + Send)>,
    ) -> Result<RunOutcome, RunFailure> {
        self.run_with(
            decider,
            sink,
            RunHooks {
                progress,
                control: None,
            },
        )
    }

    /// [`Engine::run`] with a command channel: commands are applied between steps; a
    /// pause waits, between two steps, for the next command.
    pub fn run_with(
        &self,
        decider: &mut dyn Decider,
        sink: &mut dyn EventSink,
        mut hooks: RunHooks<'_>,
    ) -> Result<RunOutcome, RunFailure> {
        let mut processor = Processor::new(self, self.series.as_slice(), sink);
        let mut timeline = MergedTimeline::new(&self.series);
        let mut decision = Decision::default();
        let mut ticker = Ticker::new();
        let mut replayed = Ok(());
        while let Some((now, updated)) = timeline.next_step() {
            if let Some(control) = hooks.control
                && control.has_command()
            {
                match apply_blocking(&mut processor, control) {
                    Ok(Flow::Stop) => break,
                    Ok(_) => {}
                    Err(fault) => {
                        replayed = Err(fault);
                        break;
                    }
                }
            }
            if let Err(fault) = processor.step(decider, now, updated, &mut decision) {
                replayed = Err(fault);
                break;
            }
            if let Some(p) = hooks.progress.as_mut() {
                ticker.tick(processor.steps_done(), p);
            }
        }
        finish(processor, replayed, &mut hooks)
    }

    /// Replays the data through a decider that awaits its answers. Each step waits for
    /// the decider before it goes on; commands are applied between steps (a pause
    /// waits for the next command without blocking the thread).
    pub async fn run_async(
        &self,
        decider: &mut dyn AsyncDecider,
        sink: &mut dyn EventSink,
        mut hooks: RunHooks<'_>,
    ) -> Result<RunOutcome, RunFailure> {
        let mut processor = Processor::new(self, self.series.as_slice(), sink);
        let mut timeline = MergedTimeline::new(&self.series);
        let mut decision = Decision::default();
        let mut ticker = Ticker::new();
        let mut replayed = Ok(());
        while let Some((now, updated)) = timeline.next_step() {
            if let Some(control) = hooks.control
                && control.has_command()
            {
                match apply_async(&mut processor, control).await {
                    Ok(Flow::Stop) => break,
                    Ok(_) => {}
                    Err(fault) => {
                        replayed = Err(fault);
                        break;
                    }
                }
            }
            if let Err(fault) =
                step_async(&mut processor, decider, now, updated, &mut decision).await
            {
                replayed = Err(fault);
                break;
            }
            if let Some(p) = hooks.progress.as_mut() {
                ticker.tick(processor.steps_done(), p);
            }
        }
        finish(processor, replayed, &mut hooks)
    }

    /// Runs over the steps and commands of `inputs` until it ends or a stop command
    /// arrives. The engine must have been made with [`Engine::live`] (its series are
    /// the symbols, empty); bars are kept as they arrive, so the decider sees the same
    /// point-in-time history a replay of them would show.
    pub async fn run_stream<S>(
        &self,
        decider: &mut dyn AsyncDecider,
        sink: &mut dyn EventSink,
        inputs: S,
        mut hooks: RunHooks<'_>,
    ) -> Result<RunOutcome, RunFailure>
    where
        S: Stream<Item = Input> + Send,
    {
        let mut processor = Processor::new(self, self.series.clone(), sink);
        let mut decision = Decision::default();
        let mut ticker = Ticker::new();
        let mut inputs = std::pin::pin!(inputs);
        let mut streamed = Ok(());
        while let Some(input) = inputs.next().await {
            let done = match input {
                Input::Command(command) => processor.command(command).map(|f| f == Flow::Stop),
                Input::Notice { ts, notice } => processor.notice(ts, notice).map(|()| false),
                Input::Bars { ts, bars } => {
                    live_step(&mut processor, decider, ts, bars, &mut decision)
                        .await
                        .map(|()| false)
                }
            };
            let done = match done {
                Ok(done) => done,
                Err(fault) => {
                    streamed = Err(fault);
                    break;
                }
            };
            let stopped = match hooks.control {
                Some(control) if control.has_command() => {
                    match apply_commands(&mut processor, control.take()) {
                        Ok(flow) => flow == Flow::Stop,
                        Err(fault) => {
                            streamed = Err(fault);
                            break;
                        }
                    }
                }
                _ => false,
            };
            if done || stopped {
                break;
            }
            if let Some(p) = hooks.progress.as_mut() {
                ticker.tick(processor.steps_done(), p);
            }
        }
        finish(processor, streamed, &mut hooks)
    }
}

/// One live step: keep the bars, then step with them.
async fn live_step(
    processor: &mut Processor<'_, Vec<BarSeries>>,
    decider: &mut dyn AsyncDecider,
    ts: Timestamp,
    bars: Vec<(Symbol, Bar)>,
    decision: &mut Decision,
) -> Stepped<()> {
    let updated = processor.deliver(ts, bars)?;
    let stepped = step_async(processor, decider, ts, &updated, decision).await;
    processor.recycle(updated);
    stepped
}

/// A whole step with a decider that awaits.
async fn step_async<S: Deref<Target = [BarSeries]>>(
    processor: &mut Processor<'_, S>,
    decider: &mut dyn AsyncDecider,
    now: Timestamp,
    updated: &[usize],
    decision: &mut Decision,
) -> Stepped<()> {
    if processor.begin_step(now, updated)? {
        let ctx = processor.context(now, updated);
        let answer = decider.decide(&ctx, decision).await;
        processor.decided(answer, decision)?;
    }
    processor.end_step(now, updated, decision)
}

/// Applies `commands` in order; stops at a stop.
fn apply_commands<S: Deref<Target = [BarSeries]>>(
    processor: &mut Processor<'_, S>,
    commands: Vec<Command>,
) -> Stepped<Flow> {
    let mut flow = Flow::Continue;
    for command in commands {
        flow = processor.command(command)?;
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(flow)
}

/// Applies the waiting commands; while they leave the run paused, waits (blocking the
/// thread) for more.
fn apply_blocking<S: Deref<Target = [BarSeries]>>(
    processor: &mut Processor<'_, S>,
    control: &RunControl,
) -> Stepped<Flow> {
    let mut flow = apply_commands(processor, control.take())?;
    while flow == Flow::Paused {
        flow = apply_commands(processor, control.wait())?;
    }
    Ok(flow)
}

/// [`apply_blocking`] for the async drivers: a pause awaits the next command.
async fn apply_async<S: Deref<Target = [BarSeries]>>(
    processor: &mut Processor<'_, S>,
    control: &RunControl,
) -> Stepped<Flow> {
    let mut flow = apply_commands(processor, control.take())?;
    while flow == Flow::Paused {
        flow = apply_commands(processor, control.next_commands().await)?;
    }
    Ok(flow)
}

/// Ends the run the driver fed: its end state, or its failure.
fn finish<S: Deref<Target = [BarSeries]>>(
    processor: Processor<'_, S>,
    fed: Stepped<()>,
    hooks: &mut RunHooks<'_>,
) -> Result<RunOutcome, RunFailure> {
    let done = processor.steps_done();
    let outcome = match fed {
        Ok(()) => processor.finish(),
        Err(fault) => Err(processor.fail(fault)),
    };
    if let Some(p) = hooks.progress.as_mut() {
        p(done);
    }
    outcome
}

/// When to report progress: every [`STEP_REPORT`] steps, and whenever
/// [`TIME_REPORT`] has passed. The clock is read every `stride` steps, a stride that
/// grows while steps are fast and shrinks when they are slow, so a million-step replay
/// reads it a few hundred times and a run of slow decider calls at every step.
struct Ticker {
    stride: usize,
    next_check: usize,
    checked: Instant,
    reported: Instant,
}

const STEP_REPORT: usize = 8192;
const TIME_REPORT: Duration = Duration::from_millis(250);

impl Ticker {
    fn new() -> Self {
        let now = Instant::now();
        Ticker {
            stride: 1,
            next_check: 1,
            checked: now,
            reported: now,
        }
    }

    #[inline]
    fn tick(&mut self, done: usize, report: &mut (dyn FnMut(usize) + Send)) {
        if done.is_multiple_of(STEP_REPORT) {
            report(done);
            self.reported = Instant::now();
        }
        if done < self.next_check {
            return;
        }
        self.check(done, report);
    }

    #[cold]
    fn check(&mut self, done: usize, report: &mut (dyn FnMut(usize) + Send)) {
        let now = Instant::now();
        let since = now.duration_since(self.checked);
        self.checked = now;
        if since < Duration::from_millis(2) {
            self.stride = (self.stride * 2).min(STEP_REPORT);
        } else if since > Duration::from_millis(20) {
            self.stride = (self.stride / 2).max(1);
        }
        self.next_check = done + self.stride;
        if now.duration_since(self.reported) >= TIME_REPORT {
            self.reported = now;
            report(done);
        }
    }
}
