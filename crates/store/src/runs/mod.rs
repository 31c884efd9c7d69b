//! Runs: one execution of a model over a period, with the strategy snapshot it ran
//! with, its status and its summary metrics.
//!
//! Here: the types, creating a run and reading one; `list`: the listings;
//! `lifecycle`: start, finish, and the runs a process that ended left behind.

use crate::db::{BeginWrite, RowExt, now, text_enum, to_json, with_pool};
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::models::DeciderConfig;
use crate::rules::RuleSpec;
use crate::worker::worker_id;
use crate::{ModelId, RunId, Store, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tradelab_core::{Money, Symbol, Timestamp};

text_enum!(
    /// Bar granularity of a run.
    RunMode {
        /// One step per trading day.
        Daily => "daily",
        /// Minute (or finer) bars within sessions.
        Intraday => "intraday",
    }
);

text_enum!(
    /// Where a run's market data comes from.
    RunSource {
        /// Stored historical bars (backtest).
        Replay => "replay",
        /// A live feed, paper trading.
        Live => "live",
    }
);

text_enum!(
    /// Lifecycle state of a run.
    RunStatus {
        /// Created, waiting for a worker.
        Queued => "queued",
        /// A worker is executing it.
        Running => "running",
        /// A live run waiting for its market data to come back (a provider outage);
        /// it goes back to running by itself.
        Paused => "paused",
        /// Reached the end of its data.
        Completed => "completed",
        /// Stopped by a user.
        Stopped => "stopped",
        /// Stopped by a rule (drawdown halt, kill switch).
        Halted => "halted",
        /// Ended by an error.
        Failed => "failed",
        /// The process ended while it was running.
        Interrupted => "interrupted",
    }
);

impl RunStatus {
    /// True for states a run never leaves.
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            RunStatus::Queued | RunStatus::Running | RunStatus::Paused
        )
    }
}

/// Everything that decides a run's behaviour, frozen when the run is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategySnapshot {
    pub model: ModelId,
    pub model_name: String,
    pub decider: DeciderConfig,
    pub initial_cash: Money,
    pub allowed_symbols: Vec<Symbol>,
    /// The model's active structured rules, in enforcement order.
    pub rules: Vec<RuleSpec>,
    pub rules_text: String,
    pub instructions: String,
    pub fill_model: Value,
    /// Identifies the exact market data the run reads (e.g. a hash of its bars).
    pub data_fingerprint: Option<String>,
    /// A replay allowed to run on bars that changed since its parent ran: the
    /// parent's data fingerprint (`data_fingerprint` is that of the bars it read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_changed_from: Option<String>,
    /// The learner snapshot the run started from (a warm start), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_start: Option<crate::WarmStart>,
    /// The feed a live run trades on, so a resume goes on with the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_feed: Option<LiveFeedSpec>,
}

/// How a live run is fed: the provider's market data or stored bars replayed as live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveFeedSpec {
    /// `market` or `replay`.
    pub feed: String,
    /// A market feed's provider or chain (absent: the chain of the symbols' class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// A replayed feed's speed (times real time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
}

impl LiveFeedSpec {
    /// The feed a resume goes on with: what is asked (`feed`, `provider`, `speed`),
    /// the rest from the run's own feed `kept` when the feed is the same kind, else
    /// the market feed of the symbols' class (a replayed feed at 60× by default).
    pub fn for_resume(
        kept: Option<&LiveFeedSpec>,
        feed: Option<&str>,
        provider: Option<String>,
        speed: Option<f64>,
    ) -> LiveFeedSpec {
        let feed = feed
            .map(str::to_string)
            .or_else(|| kept.map(|k| k.feed.clone()))
            .unwrap_or_else(|| "market".into());
        let same = kept.filter(|k| k.feed == feed);
        let replay = feed == "replay";
        LiveFeedSpec {
            provider: provider
                .or_else(|| same.and_then(|k| k.provider.clone()))
                .filter(|_| !replay),
            speed: replay.then(|| speed.or_else(|| same.and_then(|k| k.speed)).unwrap_or(60.0)),
            feed,
        }
    }
}

/// What creating a run needs.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub model: ModelId,
    pub mode: RunMode,
    pub source: RunSource,
    pub symbols: Vec<Symbol>,
    pub period_start: Option<Timestamp>,
    pub period_end: Option<Timestamp>,
    /// Trading session, e.g. `regular` or `extended`.
    pub session: Option<String>,
    /// The run this one replays.
    pub parent: Option<RunId>,
    pub data_fingerprint: Option<String>,
    /// Strategy to run instead of the model's current one (a replay with changed
    /// rules). `None` snapshots the model as stored now.
    pub strategy: Option<StrategySnapshot>,
}

/// A stored run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    pub id: RunId,
    pub model: ModelId,
    /// 1, 2, … per model.
    pub number: i64,
    pub mode: RunMode,
    pub source: RunSource,
    pub symbols: Vec<Symbol>,
    pub period_start: Option<Timestamp>,
    pub period_end: Option<Timestamp>,
    pub session: Option<String>,
    pub status: RunStatus,
    /// Why the run is in its status (halt rule, error, stop request).
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub snapshot: StrategySnapshot,
    pub parent: Option<RunId>,
    /// Performance metrics, written when the run ends.
    pub summary: Option<Value>,
    /// Time of the newest committed audit row.
    pub last_event_at: Option<Timestamp>,
}

/// The run repository: `store.runs()`.
pub struct Runs<'a> {
    pub(crate) store: &'a Store,
}

macro_rules! cols {
    () => {
        "id, model_id, run_number, mode, source, symbols, period_start_ns, period_end_ns, session, \
         status, status_reason, created_at_ns, started_at_ns, ended_at_ns, snapshot, \
         parent_run_id, summary, last_event_at_ns"
    };
}

fn from_row(row: &impl RowExt) -> Result<Run> {
    Ok(Run {
        id: RunId(row.i64("id")?),
        model: ModelId(row.i64("model_id")?),
        number: row.i64("run_number")?,
        mode: row.parse("mode")?,
        source: row.parse("source")?,
        symbols: row.json_as("symbols")?,
        period_start: row.opt_ts("period_start_ns")?,
        period_end: row.opt_ts("period_end_ns")?,
        session: row.opt_text("session")?,
        status: row.parse("status")?,
        status_reason: row.opt_text("status_reason")?,
        created_at: row.ts("created_at_ns")?,
        started_at: row.opt_ts("started_at_ns")?,
        ended_at: row.opt_ts("ended_at_ns")?,
        snapshot: row.json_as("snapshot")?,
        parent: row.opt_i64("parent_run_id")?.map(RunId),
        summary: row.opt_json("summary")?,
        last_event_at: row.opt_ts("last_event_at_ns")?,
    })
}

/// The condition that a `runs` row belongs to a model of owner `$n`.
macro_rules! OWNED {
    (1) => {
        "model_id IN (SELECT id FROM models WHERE owner_id = $1)"
    };
    (2) => {
        "model_id IN (SELECT id FROM models WHERE owner_id = $2)"
    };
    (3) => {
        "model_id IN (SELECT id FROM models WHERE owner_id = $3)"
    };
}

mod lifecycle;
mod list;

/// Bumps the model's run counter (locking the model row until commit) and returns
/// the model with the new run number.
const NEXT_NUMBER_SQL: &str = "UPDATE models SET runs_created = runs_created + 1 \
     WHERE id = $1 AND owner_id = $2 \
     RETURNING id, owner_id, name, description, decider, initial_cash, allowed_symbols, \
     rules_text, instructions, fill_model, created_at_ns, updated_at_ns, runs_created";

const INSERT_SQL: &str = concat!(
    "INSERT INTO runs (model_id, run_number, mode, source, symbols, period_start_ns, \
     period_end_ns, session, status, created_at_ns, snapshot, parent_run_id, worker) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11, $12) RETURNING ",
    cols!()
);

impl Runs<'_> {
    /// Creates a queued run of one of the owner's models with the next number of its
    /// model and a snapshot of the model and its active rules, all in one transaction.
    /// This process is recorded as the run's worker until one starts it, so a run it
    /// created but never started is marked interrupted once it ended (see
    /// [`Runs::mark_interrupted_runs`]). Another owner's model, or a parent run of
    /// another owner, is [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.runs.create", skip(self, new), fields(user = owner.0, model = new.model.0))]
    pub async fn create(&self, owner: UserId, new: &NewRun) -> Result<Run> {
        if let (Some(a), Some(b)) = (new.period_start, new.period_end)
            && b < a
        {
            return Err(StoreError::invalid(
                "run period",
                format!("ends ({b}) before it starts ({a})"),
            ));
        }
        let symbols = to_json("symbols", &new.symbols)?;
        with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query(NEXT_NUMBER_SQL)
                .bind(new.model.0)
                .bind(owner.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::not_found("model", new.model))?;
            if let Some(parent) = new.parent {
                let owned: Option<i64> = sqlx::query_scalar(OWNED_RUN_SQL)
                    .bind(parent.0)
                    .bind(owner.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if owned.is_none() {
                    return Err(StoreError::not_found("run", parent));
                }
            }
            let number = row.i64("runs_created")?;
            let snapshot = match &new.strategy {
                Some(s) => StrategySnapshot { data_fingerprint: new.data_fingerprint.clone().or_else(|| s.data_fingerprint.clone()), ..s.clone() },
                None => {
                    let model = crate::models::from_row(&row)?;
                    let rules = sqlx::query(crate::rules::LIST_SQL)
                        .bind(new.model.0)
                        .fetch_all(&mut *tx)
                        .await?;
                    let mut active = Vec::new();
                    for r in &rules {
                        let rule = crate::rules::from_row(r)?;
                        if rule.spec.active {
                            active.push(rule.spec);
                        }
                    }
                    StrategySnapshot {
                        model: model.id,
                        model_name: model.spec.name,
                        decider: model.spec.decider,
                        initial_cash: model.spec.initial_cash,
                        allowed_symbols: model.spec.allowed_symbols,
                        rules: active,
                        rules_text: model.spec.rules_text,
                        instructions: model.spec.instructions,
                        fill_model: model.spec.fill_model,
                        data_fingerprint: new.data_fingerprint.clone(),
                        data_changed_from: None,
                        warm_start: None,
                        live_feed: None,
                    }
                }
            };
            let row = sqlx::query(INSERT_SQL)
                .bind(new.model.0)
                .bind(number)
                .bind(new.mode.as_str())
                .bind(new.source.as_str())
                .bind(&symbols)
                .bind(new.period_start.map(Timestamp::nanos))
                .bind(new.period_end.map(Timestamp::nanos))
                .bind(new.session.as_deref())
                .bind(now().nanos())
                .bind(to_json("snapshot", &snapshot)?)
                .bind(new.parent.map(|r| r.0))
                .bind(worker_id(std::process::id()))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match (is_foreign_key_violation(&e), new.parent) {
                    (true, Some(parent)) => StoreError::not_found("run", parent),
                    _ => StoreError::Database(e),
                })?;
            let run = from_row(&row)?;
            tx.commit().await?;
            Ok(run)
        })
    }

    /// The owner's run with this id. Another owner's run is [`StoreError::NotFound`],
    /// exactly as an id that does not exist.
    #[tracing::instrument(name = "store.runs.get", skip(self), fields(user = owner.0, run = id.0))]
    pub async fn get(&self, owner: UserId, id: RunId) -> Result<Run> {
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM runs WHERE id = $1 AND ",
            OWNED!(2)
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).bind(owner.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("run", id))
        })
    }

    /// The run with this id, whoever owns it. Admin/system only (the runner's own
    /// bookkeeping of runs it created): a path acting for a user must use [`Runs::get`].
    pub async fn get_any(&self, id: RunId) -> Result<Run> {
        let sql = concat!("SELECT ", cols!(), " FROM runs WHERE id = $1");
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("run", id))
        })
    }

    /// The run numbered `number` of one of the owner's models.
    #[tracing::instrument(name = "store.runs.get_by_number", skip(self), fields(user = owner.0, model = model.0))]
    pub async fn get_by_number(&self, owner: UserId, model: ModelId, number: i64) -> Result<Run> {
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM runs WHERE model_id = $1 AND run_number = $2 AND ",
            OWNED!(3)
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(model.0).bind(number).bind(owner.0).fetch_optional(p).await?;
            row.as_ref()
                .map(from_row)
                .transpose()?
                .ok_or_else(|| StoreError::not_found("run", format!("#{number} of model {model}")))
        })
    }
}

/// A run (`$1`) of a model of owner `$2`: its id, or no row.
pub(crate) const OWNED_RUN_SQL: &str =
    "SELECT id FROM runs WHERE id = $1 AND model_id IN (SELECT id FROM models WHERE owner_id = $2)";

/// Ends run `$1` in status `$2` with reason `$3`, summary `$4` at time `$5`.
pub(crate) const FINISH_SQL: &str = "UPDATE runs SET status = $2, status_reason = $3, summary = $4, ended_at_ns = $5 \
     WHERE id = $1 AND status IN ('queued', 'running', 'paused')";

/// How [`Runs::finish_with`] ends a run, in the transaction of its last batch.
pub(crate) struct Finish<'a> {
    pub(crate) status: RunStatus,
    pub(crate) reason: Option<&'a str>,
    pub(crate) summary: Option<&'a Value>,
}

#[cfg(test)]
mod tests {
    use super::LiveFeedSpec;

    fn spec(feed: &str, provider: Option<&str>, speed: Option<f64>) -> LiveFeedSpec {
        LiveFeedSpec {
            feed: feed.into(),
            provider: provider.map(str::to_string),
            speed,
        }
    }

    #[test]
    fn a_resume_goes_on_with_the_kept_feed_where_nothing_else_is_asked() {
        let replayed = spec("replay", None, Some(1728000.0));
        assert_eq!(
            LiveFeedSpec::for_resume(Some(&replayed), None, None, None),
            replayed
        );
        assert_eq!(
            LiveFeedSpec::for_resume(Some(&replayed), None, None, Some(5.0)),
            spec("replay", None, Some(5.0)),
            "the speed asked, the feed kept"
        );
        assert_eq!(
            LiveFeedSpec::for_resume(Some(&replayed), Some("market"), None, None),
            spec("market", None, None),
            "another kind of feed keeps nothing of the old one"
        );
        let market = spec("market", Some("crypto"), None);
        assert_eq!(
            LiveFeedSpec::for_resume(Some(&market), None, None, None),
            market
        );
        assert_eq!(
            LiveFeedSpec::for_resume(None, None, None, None),
            spec("market", None, None),
            "a run that kept no feed: the market feed of its symbols' class"
        );
        assert_eq!(
            LiveFeedSpec::for_resume(None, Some("replay"), None, None),
            spec("replay", None, Some(60.0))
        );
    }
}
