//! Replays: a run again on its parent's snapshot, data and period, with other rules.

use super::{Finished, Launch, Progress, ReplayOptions, Runner, RunnerError, StartRun, Watch};
use crate::config::{ExecutionSettings, rules_from_specs, rules_to_specs};
use crate::fingerprint::DataCheck;
use crate::sink::DEFAULT_BATCH_ROWS;
use tradelab_core::Timeframe;
use tradelab_engine::risk::RuleSet;
use tradelab_store::{RunId, RunMode, UserId};

impl Runner {
    /// Re-runs `owner`'s run `parent` on exactly the same snapshot, data and period,
    /// with `rules` replacing its rules of the same name; the new run links to its
    /// parent. Refuses with [`RunnerError::DataChanged`] when the bars are not those the
    /// parent ran on (see [`Runner::replay_with`]).
    pub async fn replay(
        &self,
        owner: UserId,
        parent: RunId,
        rules: RuleSet,
        progress: Option<Progress>,
    ) -> Result<Finished, RunnerError> {
        self.replay_with(owner, parent, rules, ReplayOptions::default(), progress)
            .await
    }

    /// [`Runner::replay`] with options: `allow_changed_data` runs on bars that changed
    /// since the parent ran, recording the parent's fingerprint in the new run's
    /// snapshot (`data_changed_from`) and a `data_changed` event.
    #[tracing::instrument(name = "runner.replay", skip_all, fields(parent = parent.0, user = owner.0))]
    pub async fn replay_with(
        &self,
        owner: UserId,
        parent: RunId,
        rules: RuleSet,
        options: ReplayOptions,
        progress: Option<Progress>,
    ) -> Result<Finished, RunnerError> {
        let (launch, req) = self.prepare_replay(owner, parent, rules, options).await?;
        self.finish_launch(launch, req, Watch::progress(progress))
            .await
    }

    /// The snapshot and request of a replay of `owner`'s run `parent`.
    pub(super) async fn prepare_replay(
        &self,
        owner: UserId,
        parent: RunId,
        rules: RuleSet,
        options: ReplayOptions,
    ) -> Result<(Launch, StartRun), RunnerError> {
        let p = self.store.runs().get(owner, parent).await?;
        let settings = ExecutionSettings::from_json(&p.snapshot.fill_model).map_err(|message| {
            RunnerError::InvalidModel {
                model: p.snapshot.model_name.clone(),
                message,
            }
        })?;
        let timeframe = settings
            .timeframe
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(if p.mode == RunMode::Daily {
                Timeframe::DAY
            } else {
                Timeframe::MINUTE
            });
        let mut snapshot = p.snapshot.clone();
        let parent_rules =
            rules_from_specs(&p.snapshot.rules, &p.snapshot.instructions).map_err(|message| {
                RunnerError::InvalidModel {
                    model: p.snapshot.model_name.clone(),
                    message,
                }
            })?;
        // Rules named in `rules` replace the parent's of the same name (a rule can be
        // switched off with `active = false`); the others stay as they were.
        snapshot.rules = rules_to_specs(&parent_rules.merged(&rules));
        if !rules.instructions.is_empty() {
            snapshot.instructions = rules.instructions.clone();
        }
        let req = StartRun {
            owner,
            model: p.model,
            symbols: p.symbols.clone(),
            timeframe,
            from: p.period_start,
            to: p.period_end,
            rules: None,
            parent: Some(parent),
            batch_rows: DEFAULT_BATCH_ROWS,
            replay_decisions: !options.ask_again,
            // The parent's strategy snapshot says which snapshot it started from.
            warm_start: None,
            live_feed: None,
        };
        snapshot.data_changed_from = None;
        let check = p
            .snapshot
            .data_fingerprint
            .clone()
            .map(|fingerprint| DataCheck {
                parent,
                label: format!("{}#{}", p.snapshot.model_name, p.number),
                fingerprint,
                allow_changed: options.allow_changed_data,
            });
        Ok((Launch { snapshot, check }, req))
    }
}
