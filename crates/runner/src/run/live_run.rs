//! Live paper runs: created like any run (the model's snapshot, its rules, its fill
//! model), then driven by the engine's async driver on a live feed instead of the
//! sync driver over stored bars.

use super::execute::{Executed, Given, audit_writer};
use super::{Finished, Runner, RunnerError, StartRun, TRAIL_ENDED, Watch, checked_setup};
use super::{Progress, RunHandle};
use crate::broadcast::{Broadcast, DEFAULT_CAPACITY};
use crate::live::feed::Feed;
use crate::live::resume::{LiveSink, Replaying};
use crate::live::{FeedConfig, KeepBars, LiveClock, Schedule, Suspend};
use crate::sink::StoreSink;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tradelab_core::{Bar, BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_engine::report::{Report, ReportOptions};
use tradelab_engine::{Engine, FeedNoticeKind, Immediate, Input, RunControl, RunHooks, RunOutcome};
use tradelab_providers::Provider;
use tradelab_store::{NewRun, Run, RunId, RunMode, RunSource, RunStatus as StoredStatus, Store};

/// Where a live run's bars come from, on what clock and schedule.
pub struct LiveSource {
    /// A provider (or a chain of them), or stored bars replayed as live.
    pub provider: Arc<dyn Provider>,
    /// A chain's news (fail-overs, breaker changes), recorded as `feed` events.
    pub notices: Option<tokio::sync::broadcast::Receiver<tradelab_providers::chain::ChainNotice>>,
    /// When bars close: an exchange calendar, or the stored bars' times.
    pub schedule: Schedule,
    /// The feed's clock: the wall clock, a scaled one, a simulated one in tests.
    pub clock: Arc<dyn LiveClock>,
    /// Keep every fetched bar in the bar store (a market feed); stored bars replayed
    /// as live are there already.
    pub keep_bars: bool,
    /// The feed's timing (its `symbols` and `timeframe` are the run's).
    pub feed: FeedConfig,
}

/// Where a resumed run picks up: the steps its trail holds, to replay, and the last
/// number the trail holds.
pub(super) struct ResumeFrom {
    pub prelude: Vec<Input>,
    pub stored_through: i64,
}

/// Rows per audit batch of a live run: one step's rows make a batch.
pub(super) const LIVE_BATCH_ROWS: usize = 1;

/// The bars a live run was fed, per symbol, for its report.
type Seen = Arc<Mutex<BTreeMap<Symbol, Vec<Bar>>>>;

impl Runner {
    /// Creates a live run of `req`'s model and runs it on a task of its own, fed by
    /// `source` until the feed ends or the run is stopped.
    pub async fn spawn_live(
        &self,
        req: StartRun,
        source: LiveSource,
        progress: Option<Progress>,
    ) -> Result<RunHandle, RunnerError> {
        let launch = self.prepare_start(&req).await?;
        let snapshot = launch.snapshot;
        let (symbols, settings, rules) = checked_setup(&snapshot, &req)?;
        let mut snapshot = snapshot;
        snapshot.live_feed = req.live_feed.clone();
        let mut config = settings.run_config(snapshot.initial_cash);
        config.allow_short |= rules.shorts_allowed();
        snapshot.fill_model = settings.to_json();
        let daily = req.timeframe == Timeframe::DAY;
        let run = self
            .store
            .runs()
            .create(
                req.owner,
                &NewRun {
                    model: snapshot.model,
                    mode: if daily {
                        RunMode::Daily
                    } else {
                        RunMode::Intraday
                    },
                    source: RunSource::Live,
                    symbols: symbols.clone(),
                    period_start: Some(source.feed.start),
                    // The feed's end is exclusive, a run's period inclusive.
                    period_end: source
                        .feed
                        .until
                        .map(|u| Timestamp::from_nanos(u.nanos().saturating_sub(1))),
                    session: Some("regular".into()),
                    parent: None,
                    data_fingerprint: None,
                    strategy: Some(snapshot),
                },
            )
            .await?;
        let run = self.store.runs().start(run.id).await?;
        tracing::info!(
            run = run.id.0,
            number = run.number,
            provider = source.provider.name(),
            "live run started"
        );
        // A live step's rows are committed as the step ends (bars come a minute apart:
        // a batch of many steps would keep them from the trail for long).
        Ok(self.spawn_live_run(
            run,
            config,
            symbols,
            rules,
            source,
            LIVE_BATCH_ROWS,
            None,
            progress,
        ))
    }

    /// Runs a created, running live run on a task of its own.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn spawn_live_run(
        &self,
        run: Run,
        config: tradelab_engine::RunConfig,
        symbols: Vec<Symbol>,
        rules: tradelab_engine::risk::RuleSet,
        source: LiveSource,
        batch_rows: usize,
        resume: Option<ResumeFrom>,
        progress: Option<Progress>,
    ) -> RunHandle {
        let control = Arc::new(RunControl::new());
        let events = Broadcast::new(DEFAULT_CAPACITY).sender();
        let (committed_tx, committed) = tokio::sync::watch::channel(0);
        let watch = Watch {
            progress,
            control: Some(Arc::clone(&control)),
            broadcast: Some(events.clone()),
            committed: Some(committed_tx),
        };
        let runner = self.clone();
        let created = run.clone();
        let suspend = Suspend::default();
        let suspending = suspend.clone();
        let task = tokio::spawn(async move {
            let committed = watch.committed.clone();
            let executed = runner
                .execute_live(
                    &run,
                    config,
                    symbols,
                    rules,
                    source,
                    batch_rows,
                    watch,
                    resume,
                    suspending.clone(),
                )
                .await;
            let ended = match executed {
                Ok(Executed::Done {
                    report,
                    outcome,
                    last,
                    learner,
                }) if suspending.taken() => {
                    runner
                        .record_suspended(&run, &suspending, *report, outcome, &last, learner)
                        .await
                }
                executed => runner.record_end(&run, executed).await,
            };
            if let Some(c) = committed {
                c.send_replace(TRAIL_ENDED);
            }
            ended
        });
        RunHandle {
            run: created,
            control,
            events,
            committed,
            task,
            suspend: Some(suspend),
        }
    }

    /// Records a live run suspended at a step boundary (a shutdown) as interrupted:
    /// its last step's rows and the status commit together, its report so far is its
    /// summary, and `runs resume` goes on from there.
    async fn record_suspended(
        &self,
        run: &Run,
        suspend: &Suspend,
        report: Report,
        outcome: RunOutcome,
        last: &crate::sink::RawBatch,
        learner: Option<serde_json::Value>,
    ) -> Result<Finished, RunnerError> {
        let reason = suspend
            .reason()
            .unwrap_or_else(|| "the live run was suspended".into());
        let summary = super::end::summary_of(&report, learner);
        let run = self
            .store
            .runs()
            .finish_with(
                run.id,
                StoredStatus::Interrupted,
                Some(&reason),
                Some(&summary),
                last,
            )
            .await?;
        tracing::info!(run = run.id.0, %reason, "live run suspended");
        Ok(Finished {
            run,
            report,
            outcome,
        })
    }

    /// [`Runner::spawn_live`], waiting for the run's end.
    pub async fn start_live(
        &self,
        req: StartRun,
        source: LiveSource,
        progress: Option<Progress>,
    ) -> Result<Finished, RunnerError> {
        self.spawn_live(req, source, progress)
            .await?
            .finished()
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn execute_live(
        &self,
        run: &Run,
        config: tradelab_engine::RunConfig,
        symbols: Vec<Symbol>,
        rules: tradelab_engine::risk::RuleSet,
        source: LiveSource,
        batch_rows: usize,
        watch: Watch,
        resume: Option<ResumeFrom>,
        suspend: Suspend,
    ) -> Result<Executed, RunnerError> {
        let engine_err = |message: String| RunnerError::Engine {
            run: run.id,
            message,
        };
        let news = tradelab_data::NewsArchive::default();
        let owner = self.store.models().get_any(run.model).await?.owner;
        let warm = self.warm_state(owner, &run.snapshot).await?;
        let given = Given {
            prior: &[],
            news: &news,
            warm: warm.as_deref(),
        };
        let mut decider = self
            .decider_for(run, &config, &rules, &given)
            .map_err(|e| engine_err(e.to_string()))?;
        super::execute::warm_up(decider.as_mut(), &given).map_err(engine_err)?;
        let timeframe = source.feed.timeframe;
        let settings = crate::ExecutionSettings::from_json(&run.snapshot.fill_model)
            .map_err(|e| engine_err(e.to_string()))?;
        let engine = Engine::live(config, symbols.clone(), timeframe == Timeframe::DAY)
            .and_then(|e| e.with_rules(rules))
            .map(|e| settings.apply_latency(e))
            .map_err(|e| engine_err(e.to_string()))?;
        let (input_tx, input_rx) = tokio::sync::mpsc::channel(64);
        let feed = Feed {
            provider: source.provider,
            notices: source.notices,
            clock: source.clock,
            schedule: source.schedule,
            config: FeedConfig {
                symbols,
                ..source.feed
            },
            keep: source.keep_bars.then(|| KeepBars {
                store: self.store.clone(),
            }),
        };
        let feeding = tokio::spawn(feed.run(input_tx));
        let input_rx = relay_feed_status(self.store.clone(), run.id, input_rx);
        let seen: Seen = Arc::default();
        let control = watch.control.clone();
        let (prelude, stored_through) = match resume {
            Some(r) => (r.prelude, r.stored_through),
            None => (Vec::new(), 0),
        };
        // A resumed run's snapshots go on after the versions it saved already.
        let last_snapshot = if stored_through > 0 {
            let saved = self.store.snapshots().list(owner, run.id).await?;
            saved.last().map_or(0, |s| s.version)
        } else {
            0
        };
        let replaying = Replaying::new(!prelude.is_empty());
        let inputs = live_inputs(
            input_rx,
            control,
            Arc::clone(&seen),
            prelude.into(),
            replaying.clone(),
            suspend.clone(),
        );
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let (spare_tx, spare_rx) = std::sync::mpsc::channel();
        let writer = audit_writer(
            self.store.clone(),
            run.id,
            watch.committed.clone(),
            rx,
            spare_tx,
        );
        let Watch {
            mut progress,
            broadcast,
            ..
        } = watch;
        let worker = tokio::task::spawn_blocking(move || {
            let mut sink = StoreSink::new(tx, batch_rows, 0)
                .reuse_batches(spare_rx)
                .snapshots_after(last_snapshot);
            let mut decider = Immediate(decider);
            let mut tick = |done: usize| {
                if let Some(p) = progress.as_mut() {
                    p(done, done);
                }
            };
            let hooks = RunHooks {
                progress: Some(&mut tick),
                control: None,
            };
            let mut live = LiveSink::new(
                &mut sink,
                broadcast.map(Broadcast::from_sender),
                replaying,
                stored_through,
                suspend,
            );
            // Not the runtime's `block_on`: the sink hands batches to the writer with a
            // blocking send, which a thread inside a runtime may not do.
            let outcome = futures_executor::block_on(engine.run_stream(
                &mut decider,
                &mut live,
                inputs,
                hooks,
            ));
            let last = sink.take_last();
            let report = outcome
                .as_ref()
                .ok()
                .map(|outcome| live_report(&engine, &sink, outcome, &seen, decider.0.name()));
            let end = super::execute::LearnerEnd::of(decider.0.as_ref());
            (outcome, report, last, end)
        });
        let (written, joined) = tokio::join!(writer, worker);
        feeding.abort();
        written.map_err(|source| RunnerError::Writer {
            run: run.id,
            source,
        })?;
        let (outcome, report, last, end) =
            joined.map_err(|e| engine_err(format!("the engine thread failed: {e}")))?;
        let done = outcome.is_ok();
        let executed = super::execute::executed(run, outcome, report, last)?;
        self.keep_learner_end(run, executed, end, done).await
    }
}

/// Passes the feed's inputs on, moving the run to `paused` when the feed says its data
/// stopped coming and back to `running` when it is back. A failed status write is
/// logged: the notice itself is still recorded in the trail.
fn relay_feed_status(
    store: Store,
    run: RunId,
    mut feed: tokio::sync::mpsc::Receiver<Input>,
) -> tokio::sync::mpsc::Receiver<Input> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        while let Some(input) = feed.recv().await {
            if let Input::Notice { notice, .. } = &input {
                let changed = match notice.notice {
                    FeedNoticeKind::Paused => {
                        let reason = if notice.detail.starts_with(&notice.provider) {
                            notice.detail.clone()
                        } else {
                            format!("{}: {}", notice.provider, notice.detail)
                        };
                        store.runs().pause(run, &reason).await
                    }
                    FeedNoticeKind::Resumed => store.runs().unpause(run).await,
                    _ => Ok(false),
                };
                if let Err(e) = changed {
                    tracing::warn!(%run, error = %e, "recording the live run's feed status failed");
                }
            }
            if tx.send(input).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// The report of a live run over the bars it was fed.
fn live_report(
    engine: &Engine,
    sink: &StoreSink,
    outcome: &RunOutcome,
    seen: &Seen,
    strategy: String,
) -> Result<Report, String> {
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    let series: Vec<BarSeries> = engine
        .series()
        .iter()
        .map(|s| {
            let bars = seen.get(s.symbol()).cloned().unwrap_or_default();
            BarSeries::new(s.symbol().clone(), bars).map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let rules = engine
        .rules()
        .active_by_priority()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    Report::build(
        engine.config(),
        &series,
        &sink.report,
        outcome,
        &ReportOptions {
            strategy,
            periods_per_year: None,
            risk_free_annual: 0.0,
            tz: jiff::tz::TimeZone::UTC,
            rules,
        },
    )
    .map_err(|e| e.to_string())
}

/// The engine's inputs: a resumed run's replayed steps first, then the feed's steps
/// and notices and the commands sent to the run (a stop reaches a run waiting for the
/// next bar at once). Ends when the feed ends.
fn live_inputs(
    feed: tokio::sync::mpsc::Receiver<Input>,
    control: Option<Arc<RunControl>>,
    seen: Seen,
    prelude: VecDeque<Input>,
    replaying: Replaying,
    suspend: Suspend,
) -> impl futures_util::Stream<Item = Input> + Send {
    let state = LiveInputs {
        feed,
        control,
        queued: prelude,
        seen,
        replaying,
        suspend,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        let input = state.next().await?;
        if let Input::Bars { bars, .. } = &input {
            let mut seen = state.seen.lock().unwrap_or_else(|e| e.into_inner());
            for (symbol, bar) in bars {
                seen.entry(symbol.clone()).or_default().push(*bar);
            }
        }
        Some((input, state))
    })
}

/// The state of [`live_inputs`]: queued inputs (a resumed run's replayed steps, then
/// commands), the commands channel and the feed.
struct LiveInputs {
    feed: tokio::sync::mpsc::Receiver<Input>,
    control: Option<Arc<RunControl>>,
    queued: VecDeque<Input>,
    seen: Seen,
    replaying: Replaying,
    suspend: Suspend,
}

impl LiveInputs {
    async fn next(&mut self) -> Option<Input> {
        loop {
            if self.suspend.reason().is_some() {
                // At a step boundary: the run ends here, recording nothing more.
                self.suspend.take();
                return None;
            }
            if let Some(input) = self.queued.pop_front() {
                return Some(input);
            }
            if self.replaying.get() {
                // Every replayed step is done: from here on events are new.
                self.replaying.done();
            }
            let control = self.control.clone();
            let commands = async move {
                match control.as_ref() {
                    Some(c) => c.next_commands().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = self.suspend.asked() => {}
                commands = commands => {
                    self.queued.extend(commands.into_iter().map(Input::Command));
                }
                input = self.feed.recv() => return input,
            }
        }
    }
}
