//! Executing a run: the engine on a blocking thread, its audit batches written by a
//! task on the runtime, and the report built from what the engine did.

use super::{Runner, RunnerError, Watch, decider_params};
use crate::broadcast::Broadcast;
use crate::sink::{Flushed, RawBatch, StoreSink};
use tradelab_core::BarSeries;
use tradelab_engine::report::{Report, ReportOptions};
use tradelab_engine::risk::RuleSet;
use tradelab_engine::{DeciderArgs, DecisionTrace, Engine, EventSink, RunHooks, RunOutcome, Tee};
use tradelab_store::{Run, StoreError};

/// What [`Runner::execute`] ended with: a finished run, or a run the engine failed
/// (a ledger overflow), each with the audit batch still to be written with its status.
pub(super) enum Executed {
    Done {
        report: Box<Report>,
        outcome: RunOutcome,
        last: RawBatch,
        /// A learner's calibration report, kept with the run's summary.
        learner: Option<serde_json::Value>,
    },
    Failed {
        message: String,
        last: RawBatch,
    },
}

/// What a run's decider is given beyond its parameters and rules.
pub(super) struct Given<'a> {
    /// The parent's decision traces (a replay answering as the parent did).
    pub prior: &'a [DecisionTrace],
    /// The owner's news about the run's symbols.
    pub news: &'a tradelab_data::NewsArchive,
    /// The learner state a warm-started run starts from.
    pub warm: Option<&'a str>,
}

/// Starts `decider` from the warm start's state, when the run has one.
pub(super) fn warm_up(
    decider: &mut dyn tradelab_engine::Decider,
    given: &Given<'_>,
) -> Result<(), String> {
    match given.warm {
        Some(state) => decider
            .restore(state)
            .map_err(|e| format!("warm start: {e}")),
        None => Ok(()),
    }
}

/// What a learning decider left at the end of a run: its last state and its report.
pub(super) struct LearnerEnd {
    pub checkpoint: Option<tradelab_engine::Checkpoint>,
    pub report: Option<serde_json::Value>,
}

impl LearnerEnd {
    /// What `decider` has to leave.
    pub fn of(decider: &dyn tradelab_engine::Decider) -> Self {
        LearnerEnd {
            checkpoint: decider.checkpoint(),
            report: decider.model_report(),
        }
    }
}

impl Runner {
    /// The run's decider, built by strategy name with its parameters, rules and what
    /// it is given.
    pub(super) fn decider_for(
        &self,
        run: &Run,
        config: &tradelab_engine::RunConfig,
        rules: &RuleSet,
        given: &Given<'_>,
    ) -> Result<Box<dyn tradelab_engine::Decider>, tradelab_engine::strategies::StrategyError> {
        let decider_cfg = &run.snapshot.decider;
        let params = decider_params(decider_cfg);
        let rules_in_words = rules.in_words();
        let run_label = run.id.to_string();
        let args = DeciderArgs::new(&params, config.allow_short)
            .with_instructions(&rules.instructions)
            .with_rules(&rules_in_words)
            .with_run(&run_label)
            .with_prior(given.prior)
            .with_news(given.news);
        self.deciders.build_with(&decider_cfg.kind, args)
    }

    /// Runs the engine on its own thread over `series`, with the audit trail written
    /// in batches by a writer task as it goes; the last batch is returned to be
    /// written with the run's final status.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn execute(
        &self,
        run: &Run,
        config: tradelab_engine::RunConfig,
        series: Vec<BarSeries>,
        rules: RuleSet,
        given: Given<'_>,
        batch_rows: usize,
        watch: Watch,
    ) -> Result<Executed, RunnerError> {
        let engine_err = |message: String| RunnerError::Engine {
            run: run.id,
            message,
        };
        let mut decider = self
            .decider_for(run, &config, &rules, &given)
            .map_err(|e| engine_err(e.to_string()))?;
        warm_up(decider.as_mut(), &given).map_err(engine_err)?;
        let settings = crate::ExecutionSettings::from_json(&run.snapshot.fill_model)
            .map_err(|e| engine_err(e.to_string()))?;
        let engine = Engine::new(config.clone(), series)
            .and_then(|e| e.with_rules(rules))
            .map(|e| settings.apply_latency(e))
            .map_err(|e| engine_err(e.to_string()))?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let (spare_tx, spare_rx) = std::sync::mpsc::channel();
        let writer = audit_writer(
            self.store.clone(),
            run.id,
            watch.committed.clone(),
            rx,
            spare_tx,
        );
        let steps = engine.steps();
        let Watch {
            progress,
            control,
            broadcast,
            ..
        } = watch;
        let worker = tokio::task::spawn_blocking(move || {
            let mut sink = StoreSink::new(tx, batch_rows, steps).reuse_batches(spare_rx);
            let mut decider = decider;
            let mut progress = progress;
            let mut tick = |done: usize| {
                if let Some(p) = progress.as_mut() {
                    p(done, steps);
                }
            };
            let hooks = RunHooks {
                progress: Some(&mut tick),
                control: control.as_deref(),
            };
            // The store and the live broadcast get the same events with the same
            // numbers.
            let mut live;
            let sink_used: &mut dyn EventSink = match broadcast {
                Some(tx) => {
                    live = Tee {
                        first: &mut sink,
                        second: Broadcast::from_sender(tx),
                    };
                    &mut live
                }
                None => &mut sink,
            };
            let outcome = engine.run_with(decider.as_mut(), sink_used, hooks);
            let last = sink.take_last();
            // The report is built here, on the engine's thread, while the writer is
            // still writing the trail.
            let report = outcome.as_ref().ok().map(|outcome| {
                let rule_names = engine
                    .rules()
                    .active_by_priority()
                    .iter()
                    .map(|r| r.name.clone())
                    .collect();
                Report::build(
                    engine.config(),
                    engine.series(),
                    &sink.report,
                    outcome,
                    &ReportOptions {
                        strategy: decider.name(),
                        periods_per_year: None,
                        risk_free_annual: 0.0,
                        tz: jiff::tz::TimeZone::UTC,
                        rules: rule_names,
                    },
                )
                .map_err(|e| e.to_string())
            });
            let end = LearnerEnd::of(decider.as_ref());
            (outcome, report, last, end)
        });
        let (written, joined) = tokio::join!(writer, worker);
        written.map_err(|source| RunnerError::Writer {
            run: run.id,
            source,
        })?;
        let (outcome, report, last, end) =
            joined.map_err(|e| engine_err(format!("the engine thread failed: {e}")))?;
        let done = outcome.is_ok();
        self.keep_learner_end(run, executed(run, outcome, report, last)?, end, done)
            .await
    }

    /// Saves a learner's last state as the run's last snapshot (when the run ran to
    /// its end) and puts its report with the run's.
    pub(super) async fn keep_learner_end(
        &self,
        run: &Run,
        mut executed: Executed,
        end: LearnerEnd,
        done: bool,
    ) -> Result<Executed, RunnerError> {
        if let (true, Some(c)) = (done, end.checkpoint) {
            let snapshot = tradelab_store::NewSnapshot {
                bar_ts: c.ts,
                bars: c.bars,
                state: c.state,
            };
            self.store
                .snapshots()
                .save(run.id, &snapshot)
                .await
                .map_err(|source| RunnerError::Writer {
                    run: run.id,
                    source,
                })?;
        }
        if let Executed::Done { learner, .. } = &mut executed {
            *learner = end.report;
        }
        Ok(executed)
    }
}

/// What the engine thread ended with, as [`Executed`]: a ledger overflow's
/// `run_failed` event is in the last batch, which the caller writes with the `failed`
/// status in one transaction.
pub(super) fn executed(
    run: &Run,
    outcome: Result<tradelab_engine::RunOutcome, tradelab_engine::RunFailure>,
    report: Option<Result<Report, String>>,
    last: RawBatch,
) -> Result<Executed, RunnerError> {
    let engine_err = |message: String| RunnerError::Engine {
        run: run.id,
        message,
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(failure) => {
            return Ok(Executed::Failed {
                message: failure.to_string(),
                last,
            });
        }
    };
    let report = report
        .ok_or_else(|| engine_err("the run ended without a report".into()))?
        .map_err(engine_err)?;
    Ok(Executed::Done {
        report: Box::new(report),
        outcome,
        last,
        learner: None,
    })
}

/// The task that writes a run's audit batches as the sink flushes them, moves the
/// committed mark, and hands emptied batches back to the sink for reuse.
pub(super) async fn audit_writer(
    store: tradelab_store::Store,
    run_id: tradelab_store::RunId,
    committed: Option<tokio::sync::watch::Sender<i64>>,
    mut rx: tokio::sync::mpsc::Receiver<Flushed>,
    spare_tx: std::sync::mpsc::Sender<RawBatch>,
) -> Result<(), StoreError> {
    while let Some(Flushed {
        batch,
        through,
        snapshots,
    }) = rx.recv().await
    {
        store.audit().append(run_id, &batch).await?;
        for snapshot in &snapshots {
            store.snapshots().save(run_id, snapshot).await?;
        }
        if let Some(c) = &committed {
            c.send_replace(through);
        }
        // Back to the sink, which empties it on its own thread (freeing rows on the
        // thread that made them is the allocator's fast path). The sink may have
        // finished already; then the batch is dropped here.
        let _ = spare_tx.send(batch);
    }
    Ok(())
}
