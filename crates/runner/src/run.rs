//! Starting and replaying runs.

use crate::config::{ExecutionSettings, rules_from_specs, rules_to_specs};
use crate::fingerprint::{DataCheck, fingerprint, verify_data};
use crate::sink::{DEFAULT_BATCH_ROWS, symbols_text};
use execute::Given;
use std::sync::Arc;
use tradelab_core::{BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_engine::report::Report;
use tradelab_engine::risk::RuleSet;
use tradelab_engine::{DeciderRegistry, RunOutcome};
use tradelab_store::{
    AuditBatch, EventRow, ModelId, NewRun, Run, RunId, RunMode, RunSource,
    RunStatus as StoredStatus, Store, StoreError, StrategySnapshot, UserId,
};

mod end;
mod execute;
mod handle;
mod live_resume;
mod live_run;
mod lot_steps;
mod prior;
mod replay;
mod stored;
mod warm;

pub(crate) use handle::Watch;
pub use handle::{QueuedRun, RunHandle, RunWatcher};
pub use live_run::LiveSource;
pub use warm::WarmStartRef;

/// Why a run could not be started or finished.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no stored {timeframe} bars for {symbol} in the requested period; {hint}")]
    NoBars {
        symbol: Symbol,
        timeframe: Timeframe,
        /// What is stored for the symbol instead, and what to do about it.
        hint: String,
    },
    #[error(
        "the bars of {symbols} are stored at several timeframes ({stored}): pass --timeframe to say which to run on"
    )]
    AmbiguousTimeframe { symbols: String, stored: String },
    #[error("the run needs at least one symbol (the model allows: {allowed})")]
    NoSymbols { allowed: String },
    #[error("symbol {symbol} is not allowed by the model (allowed: {allowed})")]
    SymbolNotAllowed { symbol: Symbol, allowed: String },
    #[error("model {model}: {message}")]
    InvalidModel { model: String, message: String },
    #[error("run {run}: {message}")]
    Engine { run: RunId, message: String },
    #[error("run {run}: the audit writer failed: {source}")]
    Writer { run: RunId, source: StoreError },
    /// A live run's feed as asked cannot be: `field` names what is wrong.
    #[error("{field}: {message}")]
    InvalidFeed {
        field: &'static str,
        message: String,
    },
    /// A warm start's snapshot the model cannot start from (it does not learn, or
    /// learns other features).
    #[error("cannot warm-start from {reference}: {message}")]
    WarmStart { reference: String, message: String },
    /// A run that cannot be resumed, and why.
    #[error("run {run} cannot be resumed: {why}")]
    NotResumable { run: String, why: String },
    /// A replay's bars are not those its parent ran on.
    #[error(
        "cannot replay run {run}: the stored bars of {symbols} ({timeframe}) changed since it \
         ran: {what}; the replay would not reproduce it. Re-import the original bars, or \
         replay anyway with --allow-changed-data (the new run records both fingerprints)"
    )]
    DataChanged {
        /// `model#number` of the parent run.
        run: String,
        symbols: String,
        timeframe: Timeframe,
        /// What differs: bar counts, or the values behind the same count.
        what: String,
    },
}

/// How a replay treats bars that changed since its parent ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Run anyway and record the parent's and the new fingerprints (the default
    /// refuses with [`RunnerError::DataChanged`]).
    pub allow_changed_data: bool,
    /// Ask the decider afresh instead of answering as the parent did: by default a
    /// replay hands the decider the parent's decision traces, so an LLM run recorded
    /// with `mode=record` is answered from its recorded exchanges (no network, no cost).
    pub ask_again: bool,
}

/// The committed mark of a run whose trail is complete: it ended and its status and
/// last events are stored (see [`RunHandle::committed`]).
pub const TRAIL_ENDED: i64 = i64::MAX;

/// What to run, for whom.
#[derive(Clone, Debug)]
pub struct StartRun {
    /// The user the run is for: the model must be theirs, and the run reads only the
    /// bars they see.
    pub owner: UserId,
    pub model: ModelId,
    /// Symbols to trade (default: the model's allowed symbols).
    pub symbols: Vec<Symbol>,
    pub timeframe: Timeframe,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Rules replacing the model's (for replays); `None` uses the model's rules.
    pub rules: Option<RuleSet>,
    pub parent: Option<RunId>,
    /// Rows per audit transaction.
    pub batch_rows: usize,
    /// Hand the decider the parent's decision traces (replays; see
    /// [`ReplayOptions::ask_again`]).
    pub replay_decisions: bool,
    /// Start the learner from this snapshot (a warm start).
    pub warm_start: Option<WarmStartRef>,
    /// A live run's feed, kept in its snapshot so a resume goes on with it.
    pub live_feed: Option<tradelab_store::LiveFeedSpec>,
}

impl StartRun {
    /// A run of `owner`'s `model` over `symbols` at `timeframe`, whole stored history.
    pub fn new(owner: UserId, model: ModelId, symbols: Vec<Symbol>, timeframe: Timeframe) -> Self {
        StartRun {
            owner,
            model,
            symbols,
            timeframe,
            from: None,
            to: None,
            rules: None,
            parent: None,
            batch_rows: DEFAULT_BATCH_ROWS,
            replay_decisions: false,
            warm_start: None,
            live_feed: None,
        }
    }
}

/// A finished run: its stored record, report and exact outcome.
pub struct Finished {
    pub run: Run,
    pub report: Report,
    pub outcome: RunOutcome,
}

/// `1m, 1d`: timeframes for a message.
fn timeframes_text(timeframes: &[Timeframe]) -> String {
    let text: Vec<String> = timeframes.iter().map(Timeframe::to_string).collect();
    text.join(", ")
}

/// A decider's parameters as `(name, value)` text pairs, as strategies take them.
pub fn decider_params(d: &tradelab_store::DeciderConfig) -> Vec<(String, String)> {
    d.params
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Progress callback: steps done, steps in all.
pub type Progress = Box<dyn FnMut(usize, usize) + Send>;

/// Drives runs against a store, building each run's decider by strategy name through
/// its [`DeciderRegistry`] (so a crate bringing a new decider plugs in without the
/// runner depending on it). Owns what it needs and is cheap to clone, so a server can
/// [`Runner::spawn`] runs on tasks and keep a [`RunHandle`] to steer and watch each.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    deciders: Arc<DeciderRegistry>,
}

impl Runner {
    /// A runner on `store` with the built-in strategies.
    pub fn new(store: Store) -> Self {
        Runner::with_deciders(store, DeciderRegistry::builtin())
    }

    /// A runner on `store` that builds deciders from `deciders`.
    pub fn with_deciders(store: Store, deciders: DeciderRegistry) -> Self {
        Runner {
            store,
            deciders: Arc::new(deciders),
        }
    }

    /// The store this runner records runs in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The deciders this runner can build, by strategy name.
    pub fn deciders(&self) -> &DeciderRegistry {
        &self.deciders
    }

    /// Snapshots the model, loads the bars, creates the run and replays it to the end,
    /// writing the audit trail as it goes. `progress` gets the steps done and the total.
    ///
    /// The runner acts for the model's owner: it trusts the model id it is given (a
    /// caller acting for a user resolves it through the owner-scoped store first) and
    /// reads everything else scoped to that owner.
    #[tracing::instrument(name = "runner.start", skip_all, fields(model = req.model.0, user = req.owner.0))]
    pub async fn start(
        &self,
        req: StartRun,
        progress: Option<Progress>,
    ) -> Result<Finished, RunnerError> {
        let launch = self.prepare_start(&req).await?;
        self.finish_launch(launch, req, Watch::progress(progress))
            .await
    }

    /// The snapshot of `req`'s model now, checked to be the owner's.
    async fn prepare_start(&self, req: &StartRun) -> Result<Launch, RunnerError> {
        let model = self.store.models().get(req.owner, req.model).await?;
        let rule_specs = match &req.rules {
            Some(r) => rules_to_specs(r),
            None => {
                let mut specs = Vec::new();
                let mut page = tradelab_store::PageRequest::max();
                loop {
                    let rules = self.store.rules().list(req.owner, req.model, page).await?;
                    specs.extend(rules.items.into_iter().map(|r| r.spec));
                    match rules.next_after {
                        Some(after) => page.after = Some(after),
                        None => break specs,
                    }
                }
            }
        };
        let mut snapshot = StrategySnapshot {
            model: model.id,
            model_name: model.spec.name.clone(),
            decider: model.spec.decider.clone(),
            initial_cash: model.spec.initial_cash,
            allowed_symbols: model.spec.allowed_symbols.clone(),
            rules: rule_specs,
            rules_text: model.spec.rules_text.clone(),
            instructions: model.spec.instructions.clone(),
            fill_model: model.spec.fill_model.clone(),
            data_fingerprint: None,
            data_changed_from: None,
            warm_start: None,
            live_feed: None,
        };
        if let Some(reference) = req.warm_start {
            self.resolve_warm_start(req.owner, reference, &req.symbols, &mut snapshot)
                .await?;
        }
        let snapshot = self.with_stored_lot_steps(req, snapshot).await?;
        Ok(Launch {
            snapshot,
            check: None,
        })
    }

    /// Runs a prepared launch to its end on this task.
    async fn finish_launch(
        &self,
        launch: Launch,
        req: StartRun,
        watch: Watch,
    ) -> Result<Finished, RunnerError> {
        let prepared = self.prepare(launch, &req).await?;
        self.run_prepared(prepared, req, watch).await
    }

    /// Creates a run from a snapshot (the model's now, or a parent run's) on the bars
    /// the owner sees and marks it running; a replay's `check` compares them with the
    /// parent's.
    async fn prepare(&self, launch: Launch, req: &StartRun) -> Result<Prepared, RunnerError> {
        let prepared = self.prepare_queued(launch, req).await?;
        self.mark_running(prepared).await
    }

    /// Marks a queued run running.
    async fn mark_running(&self, mut prepared: Prepared) -> Result<Prepared, RunnerError> {
        prepared.run = self.store.runs().start(prepared.run.id).await?;
        tracing::info!(
            run = prepared.run.id.0,
            number = prepared.run.number,
            "run started"
        );
        Ok(prepared)
    }

    /// [`Runner::prepare`] up to the run's creation: the run is `queued`, its bars
    /// loaded and checked.
    #[tracing::instrument(
        name = "runner.prepare",
        skip_all,
        fields(model = launch.snapshot.model.0, user = req.owner.0, run = tracing::field::Empty)
    )]
    async fn prepare_queued(
        &self,
        launch: Launch,
        req: &StartRun,
    ) -> Result<Prepared, RunnerError> {
        let Launch {
            mut snapshot,
            check,
        } = launch;
        let owner = req.owner;
        let (symbols, settings, rules) = checked_setup(&snapshot, req)?;
        let mut series = Vec::with_capacity(symbols.len());
        for s in &symbols {
            let loaded = self
                .store
                .bars()
                .load_series_for(owner, s, req.timeframe, req.from, req.to)
                .await?;
            if loaded.is_empty() && check.is_none() {
                return Err(RunnerError::NoBars {
                    symbol: s.clone(),
                    timeframe: req.timeframe,
                    hint: self.stored_instead(owner, s, req.timeframe).await?,
                });
            }
            series.push(loaded);
        }
        series.sort_by(|a, b| a.symbol().cmp(b.symbol()));
        let data_fingerprint = fingerprint(&series, req.timeframe);
        let changed = match &check {
            Some(c) => verify_data(c, &series, req.timeframe, &symbols)?,
            None => None,
        };
        if let Some(s) = series.iter().find(|s| s.is_empty()) {
            return Err(RunnerError::NoBars {
                symbol: s.symbol().clone(),
                timeframe: req.timeframe,
                hint: self
                    .stored_instead(owner, s.symbol(), req.timeframe)
                    .await?,
            });
        }
        snapshot.data_changed_from = changed.as_ref().map(|c| c.fingerprint.clone());
        let mut config = settings.run_config(snapshot.initial_cash);
        config.allow_short |= rules.shorts_allowed();
        snapshot.fill_model = settings.to_json();
        snapshot.data_fingerprint = Some(data_fingerprint.clone());
        let daily = req.timeframe == Timeframe::DAY;
        let run = self
            .store
            .runs()
            .create(
                owner,
                &NewRun {
                    model: snapshot.model,
                    mode: if daily {
                        RunMode::Daily
                    } else {
                        RunMode::Intraday
                    },
                    source: RunSource::Replay,
                    symbols: symbols.clone(),
                    period_start: req.from,
                    period_end: req.to,
                    session: None,
                    parent: req.parent,
                    data_fingerprint: Some(data_fingerprint),
                    strategy: Some(snapshot),
                },
            )
            .await?;
        tracing::Span::current().record("run", run.id.0);
        tracing::info!(number = run.number, "run queued");
        if let Some(c) = &changed
            && let Err(e) = self
                .record_data_change(owner, &run, c, &series, &symbols)
                .await
        {
            let _ = self
                .store
                .runs()
                .finish(run.id, StoredStatus::Failed, Some(&e.to_string()), None)
                .await;
            return Err(e);
        }
        let prior = match req.parent {
            Some(parent) if req.replay_decisions => {
                prior::parent_traces(&self.store, owner, parent).await?
            }
            _ => Vec::new(),
        };
        // The news the owner imported about the run's symbols, up to its end; a
        // decider reads it point in time (the archive answers up to each step).
        let news = self
            .store
            .news()
            .archive_for(owner, &symbols, req.to)
            .await?;
        let warm = self.warm_state(owner, &run.snapshot).await?;
        Ok(Prepared {
            run,
            config,
            series,
            rules,
            prior,
            news,
            warm,
        })
    }

    /// Runs a created run to its end and records how it ended.
    #[tracing::instrument(name = "runner.run", skip_all, fields(run = prepared.run.id.0, user = req.owner.0))]
    async fn run_prepared(
        &self,
        prepared: Prepared,
        req: StartRun,
        watch: Watch,
    ) -> Result<Finished, RunnerError> {
        let committed = watch.committed.clone();
        let ended = self.run_to_end(prepared, req, watch).await;
        if let Some(c) = committed {
            c.send_replace(TRAIL_ENDED);
        }
        ended
    }

    async fn run_to_end(
        &self,
        prepared: Prepared,
        req: StartRun,
        watch: Watch,
    ) -> Result<Finished, RunnerError> {
        let Prepared {
            run,
            config,
            series,
            rules,
            prior,
            news,
            warm,
        } = prepared;
        let executed = self
            .execute(
                &run,
                config,
                series,
                rules,
                Given {
                    prior: &prior,
                    news: &news,
                    warm: warm.as_deref(),
                },
                req.batch_rows,
                watch,
            )
            .await;
        self.record_end(&run, executed).await
    }

    /// The `data_changed` event (seq 0, before the engine's events) of a replay that
    /// ran on bars other than its parent's: both fingerprints and the symbols.
    async fn record_data_change(
        &self,
        _owner: UserId,
        run: &Run,
        check: &DataCheck,
        series: &[BarSeries],
        symbols: &[Symbol],
    ) -> Result<(), RunnerError> {
        let ts = series
            .iter()
            .filter_map(|s| s.bars().first().map(|b| b.ts()))
            .min()
            .unwrap_or(run.created_at);
        let detail = serde_json::json!({
            "parent_run": check.parent,
            "parent": check.label,
            "symbols": symbols,
            "parent_fingerprint": check.fingerprint,
            "fingerprint": run.snapshot.data_fingerprint,
        });
        let batch = AuditBatch {
            events: vec![EventRow {
                seq: 0,
                ts,
                symbol: None,
                kind: "data_changed".into(),
                detail,
            }],
            ..AuditBatch::default()
        };
        self.store
            .audit()
            .append(run.id, &batch)
            .await
            .map_err(|source| RunnerError::Writer {
                run: run.id,
                source,
            })
    }
}

/// The symbols, execution settings and rules of a run of `snapshot` as `req` asks:
/// the symbols the model allows (all of them by default), the settings at the request's
/// timeframe, the rules the snapshot holds.
pub(crate) fn checked_setup(
    snapshot: &StrategySnapshot,
    req: &StartRun,
) -> Result<(Vec<Symbol>, ExecutionSettings, RuleSet), RunnerError> {
    let model_name = snapshot.model_name.clone();
    let invalid = |message: String| RunnerError::InvalidModel {
        model: model_name.clone(),
        message,
    };
    let allowed = &snapshot.allowed_symbols;
    let symbols = if req.symbols.is_empty() {
        allowed.clone()
    } else {
        req.symbols.clone()
    };
    if symbols.is_empty() {
        return Err(RunnerError::NoSymbols {
            allowed: "any".into(),
        });
    }
    if let Some(s) = symbols
        .iter()
        .find(|s| !allowed.is_empty() && !allowed.contains(s))
    {
        return Err(RunnerError::SymbolNotAllowed {
            symbol: s.clone(),
            allowed: symbols_text(allowed),
        });
    }
    let mut settings = ExecutionSettings::from_json(&snapshot.fill_model).map_err(invalid)?;
    settings.timeframe = Some(req.timeframe.to_string());
    let rules = rules_from_specs(&snapshot.rules, &snapshot.instructions).map_err(invalid)?;
    Ok((symbols, settings, rules))
}

/// A run's snapshot before it is created, with a replay's data check.
struct Launch {
    snapshot: StrategySnapshot,
    check: Option<DataCheck>,
}

/// A created, running run with what the engine needs.
struct Prepared {
    run: Run,
    config: tradelab_engine::RunConfig,
    series: Vec<BarSeries>,
    rules: RuleSet,
    /// The parent's decision traces, for a replay that answers as the parent did.
    prior: Vec<tradelab_engine::DecisionTrace>,
    /// The owner's news about the run's symbols.
    news: tradelab_data::NewsArchive,
    /// The learner state a warm-started run starts from.
    warm: Option<String>,
}
