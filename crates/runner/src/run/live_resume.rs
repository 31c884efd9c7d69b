//! Resuming a live run after a restart: its state is rebuilt by replaying the steps
//! its trail holds (over the bars it kept in the store), then the feed goes on from the
//! first bar after them, fetching what was missed; new events are numbered after the
//! trail's last.

use super::live_run::ResumeFrom;
use super::{Progress, RunHandle, Runner, RunnerError, checked_setup};
use crate::ExecutionSettings;
use crate::live::FeedConfig;
use crate::run::StartRun;
use crate::run::live_run::LiveSource;
use std::collections::BTreeMap;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_engine::Input;
use tradelab_store::{Run, RunId, RunSource, RunStatus, UserId};

impl Runner {
    /// Resumes `owner`'s interrupted live run `id` on `source` (its `feed.start` is
    /// replaced by the first bar after the trail's last step): the run is `running`
    /// again, replays its committed steps silently, then trades on the feed.
    pub async fn resume_live(
        &self,
        owner: UserId,
        id: RunId,
        source: LiveSource,
        progress: Option<Progress>,
    ) -> Result<RunHandle, RunnerError> {
        // A run whose process died is `running` until someone notices.
        self.store.runs().mark_interrupted_runs().await?;
        let run = self.store.runs().get(owner, id).await?;
        let label = format!("{}#{}", run.snapshot.model_name, run.number);
        let refuse = |why: String| RunnerError::NotResumable {
            run: label.clone(),
            why,
        };
        if run.source != RunSource::Live {
            return Err(refuse(
                "it replayed stored bars; start it again or replay it instead".into(),
            ));
        }
        match run.status {
            RunStatus::Interrupted => {}
            RunStatus::Running | RunStatus::Paused | RunStatus::Queued => {
                return Err(refuse("it is running in another process".into()));
            }
            ended => {
                return Err(refuse(format!(
                    "it ended ({ended}); start a new live run of the model"
                )));
            }
        }
        let settings = ExecutionSettings::from_json(&run.snapshot.fill_model).map_err(|e| {
            RunnerError::InvalidModel {
                model: run.snapshot.model_name.clone(),
                message: e,
            }
        })?;
        let timeframe: Timeframe = settings
            .timeframe
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(source.feed.timeframe);
        let req = StartRun::new(owner, run.snapshot.model, run.symbols.clone(), timeframe);
        let (symbols, settings, rules) = checked_setup(&run.snapshot, &req)?;
        let mut config = settings.run_config(run.snapshot.initial_cash);
        config.allow_short |= rules.shorts_allowed();
        let resume = self
            .committed_steps(owner, &run, &symbols, timeframe, &refuse)
            .await?;
        let start = match resume.prelude.last() {
            Some(Input::Bars { ts, .. }) => Timestamp::from_nanos(ts.nanos() + timeframe.nanos()),
            _ => run.period_start.unwrap_or(source.feed.start),
        };
        let run = self.store.runs().resume(run.id).await?;
        tracing::info!(
            run = run.id.0,
            steps = resume.prelude.len(),
            "live run resumed"
        );
        let source = LiveSource {
            feed: FeedConfig {
                start,
                timeframe,
                ..source.feed
            },
            ..source
        };
        Ok(self.spawn_live_run(
            run,
            config,
            symbols,
            rules,
            source,
            super::live_run::LIVE_BATCH_ROWS,
            Some(resume),
            progress,
        ))
    }

    /// The steps `run`'s trail holds (one per stored equity point), as inputs over the
    /// bars kept in the store, and the last number of its trail.
    async fn committed_steps(
        &self,
        owner: UserId,
        run: &Run,
        symbols: &[Symbol],
        timeframe: Timeframe,
        refuse: &(dyn Fn(String) -> RunnerError + Sync),
    ) -> Result<ResumeFrom, RunnerError> {
        let audit = self.store.audit();
        let equity = audit.equity(owner, run.id).await?;
        let stored_through = audit
            .all(owner, run.id, &tradelab_store::EventFilter::default(), 1000)
            .await?
            .iter()
            .map(tradelab_store::AuditEvent::seq)
            .max()
            .unwrap_or(0);
        let Some(last) = equity.last().map(|e| e.ts) else {
            return Ok(ResumeFrom {
                prelude: Vec::new(),
                stored_through,
            });
        };
        let mut steps: BTreeMap<Timestamp, Vec<(Symbol, Bar)>> = BTreeMap::new();
        for symbol in symbols {
            let series = self
                .store
                .bars()
                .load_series_for(owner, symbol, timeframe, run.period_start, Some(last))
                .await?;
            for bar in series.bars() {
                steps
                    .entry(bar.ts())
                    .or_default()
                    .push((symbol.clone(), *bar));
            }
        }
        let stored_steps: Vec<Timestamp> = equity.iter().map(|e| e.ts).collect();
        let bar_steps: Vec<Timestamp> = steps.keys().copied().collect();
        if stored_steps != bar_steps {
            return Err(refuse(format!(
                "its trail holds {} steps but the store has bars for {} of that period: the \
                 bars it saw changed or were deleted",
                stored_steps.len(),
                bar_steps.len()
            )));
        }
        Ok(ResumeFrom {
            prelude: steps
                .into_iter()
                .map(|(ts, bars)| Input::Bars { ts, bars })
                .collect(),
            stored_through,
        })
    }
}
