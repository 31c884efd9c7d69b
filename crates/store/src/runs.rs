//! Runs: one execution of a model over a period, with the strategy snapshot it ran
//! with, its status and its summary metrics.

use crate::db::{BeginWrite, RowExt, now, text_enum, to_json, with_pool};
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::models::DeciderConfig;
use crate::page::{Page, PageRequest};
use crate::rules::RuleSpec;
use crate::worker::{STALE_AFTER_SECS, host_name, parse_worker, worker_alive, worker_id};
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
        !matches!(self, RunStatus::Queued | RunStatus::Running)
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

/// Bumps the model's run counter (locking the model row until commit) and returns
/// the model with the new run number.
const NEXT_NUMBER_SQL: &str = "UPDATE models SET runs_created = runs_created + 1 \
     WHERE id = $1 AND owner_id = $2 \
     RETURNING id, owner_id, name, description, decider, initial_cash, allowed_symbols, \
     rules_text, instructions, fill_model, created_at_ns, updated_at_ns, runs_created";

const INSERT_SQL: &str = concat!(
    "INSERT INTO runs (model_id, run_number, mode, source, symbols, period_start_ns, \
     period_end_ns, session, status, created_at_ns, snapshot, parent_run_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11) RETURNING ",
    cols!()
);

impl Runs<'_> {
    /// Creates a queued run of one of the owner's models with the next number of its
    /// model and a snapshot of the model and its active rules, all in one transaction.
    /// Another owner's model, or a parent run of another owner, is
    /// [`StoreError::NotFound`].
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

    /// A page of the runs of one of the owner's models, newest (highest number) first;
    /// `page.after` is the id of the last run of the previous page. Another owner's
    /// model (or cursor) is [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.runs.list_by_model", skip(self, page), fields(user = owner.0, model = model.0))]
    pub async fn list_by_model(
        &self,
        owner: UserId,
        model: ModelId,
        page: PageRequest<RunId>,
    ) -> Result<Page<Run, RunId>> {
        let limit = page.fetch_limit()?;
        self.store.models().get(owner, model).await?;
        let before = match page.after {
            Some(after) => {
                let run = self.get(owner, after).await?;
                if run.model != model {
                    return Err(StoreError::not_found("run", after));
                }
                run.number
            }
            None => i64::MAX,
        };
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM runs WHERE model_id = $1 AND run_number < $2 ORDER BY run_number DESC LIMIT $3"
        );
        let runs: Vec<Run> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(model.0).bind(before).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(runs, page.limit, |r| r.id))
    }

    /// A page of all the owner's runs: by model name, then newest first within a
    /// model (the order `tradelab runs list` shows); `page.after` is the id of the last
    /// run of the previous page (one of the owner's, else [`StoreError::NotFound`]).
    #[tracing::instrument(name = "store.runs.list_by_owner", skip(self, page), fields(user = owner.0))]
    pub async fn list_by_owner(
        &self,
        owner: UserId,
        page: PageRequest<RunId>,
    ) -> Result<Page<Run, RunId>> {
        let limit = page.fetch_limit()?;
        let after = match page.after {
            Some(after) => {
                let run = self.get(owner, after).await?;
                let model = self.store.models().get(owner, run.model).await?;
                Some((model.spec.name, run.number))
            }
            None => None,
        };
        let (after_name, after_number) = after.unzip();
        let sql = concat!(
            "SELECT ",
            cols!(),
            ", (SELECT name FROM models WHERE models.id = runs.model_id) AS model_name \
             FROM runs WHERE ",
            OWNED!(1),
            " AND ($2 IS NULL \
               OR (SELECT name FROM models WHERE models.id = runs.model_id) > $2 \
               OR ((SELECT name FROM models WHERE models.id = runs.model_id) = $2 \
                   AND run_number < $3)) \
             ORDER BY model_name, run_number DESC LIMIT $4"
        );
        let runs: Vec<Run> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql)
                .bind(owner.0)
                .bind(after_name)
                .bind(after_number)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(runs, page.limit, |r| r.id))
    }

    /// How many runs one of the owner's models has (0 for another owner's model).
    #[tracing::instrument(name = "store.runs.count_by_model", skip(self), fields(user = owner.0, model = model.0))]
    pub async fn count_by_model(&self, owner: UserId, model: ModelId) -> Result<i64> {
        let sql = concat!(
            "SELECT COUNT(*) FROM runs WHERE model_id = $1 AND ",
            OWNED!(2)
        );
        Ok(with_pool!(self.store, p => {
            sqlx::query_scalar(sql).bind(model.0).bind(owner.0).fetch_one(p).await?
        }))
    }

    /// A page of the runs in a status, of every user, oldest first (e.g. the queue).
    /// Admin/system only (a worker picking up queued runs): a path acting for a user
    /// must use [`Runs::list_by_owner`].
    pub async fn list_by_status_all_owners(
        &self,
        status: RunStatus,
        page: PageRequest<RunId>,
    ) -> Result<Page<Run, RunId>> {
        let limit = page.fetch_limit()?;
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM runs WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        let after = page.after.map_or(i64::MIN, |r| r.0);
        let runs: Vec<Run> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(status.as_str()).bind(after).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(runs, page.limit, |r| r.id))
    }

    /// Moves a queued run to `running`, stamps its start and records this process as
    /// the one running it. System only (the runner starting a run it created for a
    /// user): it takes no owner.
    pub async fn start(&self, id: RunId) -> Result<Run> {
        self.start_by(id, &worker_id(std::process::id())).await
    }

    /// [`Runs::start`] on behalf of another worker (`host:pid`). System only.
    pub async fn start_by(&self, id: RunId, worker: &str) -> Result<Run> {
        let sql = concat!(
            "UPDATE runs SET status = 'running', started_at_ns = $2, worker = $3 \
             WHERE id = $1 AND status = 'queued' RETURNING ",
            cols!()
        );
        let row = with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(now().nanos())
                .bind(worker)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?
        });
        match row {
            Some(run) => Ok(run),
            None => Err(self.transition_error(id, "start").await),
        }
    }

    /// Ends a queued or running run in a terminal `status`, with a reason and the
    /// summary metrics. System only (the runner ending a run it executes): it takes no
    /// owner.
    pub async fn finish(
        &self,
        id: RunId,
        status: RunStatus,
        reason: Option<&str>,
        summary: Option<&Value>,
    ) -> Result<Run> {
        if !status.is_terminal() {
            return Err(StoreError::invalid(
                "run status",
                format!("{status} is not an end state"),
            ));
        }
        let sql = concat!(
            "UPDATE runs SET status = $2, status_reason = $3, summary = $4, ended_at_ns = $5 \
             WHERE id = $1 AND status IN ('queued', 'running') RETURNING ",
            cols!()
        );
        let row = with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(status.as_str())
                .bind(reason)
                .bind(summary.map(sqlx::types::Json))
                .bind(now().nanos())
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?
        });
        match row {
            Some(run) => Ok(run),
            None => Err(self.transition_error(id, "finish").await),
        }
    }

    /// System only (the runner's writer; it takes no owner): appends the last batch of
    /// a run's audit trail and ends the run in `status`
    /// (with a reason and the summary metrics) in one transaction: either the trail
    /// ends with the batch and the run is finished, or neither happened. So a process
    /// that dies at the end never leaves a run whose trail says it finished while its
    /// status says it did not.
    pub async fn finish_with<J: serde::Serialize + Sync>(
        &self,
        id: RunId,
        status: RunStatus,
        reason: Option<&str>,
        summary: Option<&Value>,
        last: &crate::AuditBatchOf<J>,
    ) -> Result<Run> {
        if !status.is_terminal() {
            return Err(StoreError::invalid(
                "run status",
                format!("{status} is not an end state"),
            ));
        }
        let finish = Finish {
            status,
            reason,
            summary,
        };
        match self
            .store
            .audit()
            .append_then(id, last, Some(&finish))
            .await
        {
            Ok(()) => self.get_any(id).await,
            Err(StoreError::Conflict { .. }) => Err(self.transition_error(id, "finish").await),
            Err(e) => Err(e),
        }
    }

    /// System only, across every owner: marks runs left `running` by a process that
    /// ended as `interrupted`, ending each
    /// at its last committed event (or its start). A run belongs to a process that
    /// ended when its worker is on this host and no longer alive (no process has its
    /// PID, or the one that has it started at another time), when it has no worker
    /// recorded, or when its worker is on another host and it wrote nothing for
    /// [`STALE_AFTER_SECS`]. Call once at startup; runs of live processes are left alone.
    pub async fn mark_interrupted_runs(&self) -> Result<Vec<RunId>> {
        let select = "SELECT id, worker, COALESCE(last_event_at_ns, started_at_ns, created_at_ns) AS seen \
                      FROM runs WHERE status = 'running'";
        let running: Vec<(i64, Option<String>, i64)> = with_pool!(self.store, p => {
            sqlx::query_as(select).fetch_all(p).await?
        });
        let host = host_name();
        let stale_before = now().nanos() - STALE_AFTER_SECS * 1_000_000_000;
        let dead: Vec<i64> = running
            .into_iter()
            .filter(
                |(_, worker, seen)| match worker.as_deref().and_then(parse_worker) {
                    None => true,
                    Some((h, pid, start)) if h == host => !worker_alive(pid, start),
                    Some(_) => *seen < stale_before,
                },
            )
            .map(|(id, _, _)| id)
            .collect();
        let sql = "UPDATE runs SET status = 'interrupted', \
                   status_reason = 'the process ended while the run was running', \
                   ended_at_ns = COALESCE(last_event_at_ns, started_at_ns, created_at_ns) \
                   WHERE status = 'running' AND id = $1";
        let mut ids = Vec::with_capacity(dead.len());
        for id in dead {
            let changed = with_pool!(self.store, p => {
                sqlx::query(sql).bind(id).execute(p).await?.rows_affected()
            });
            if changed == 1 {
                ids.push(RunId(id));
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// NotFound for an unknown run, else Conflict naming its current status.
    async fn transition_error(&self, id: RunId, action: &str) -> StoreError {
        match self.get_any(id).await {
            Ok(run) => StoreError::Conflict {
                what: "run",
                message: format!("run {id} is {}; it cannot {action}", run.status),
            },
            Err(e) => e,
        }
    }
}

/// A run (`$1`) of a model of owner `$2`: its id, or no row.
pub(crate) const OWNED_RUN_SQL: &str =
    "SELECT id FROM runs WHERE id = $1 AND model_id IN (SELECT id FROM models WHERE owner_id = $2)";

/// Ends run `$1` in status `$2` with reason `$3`, summary `$4` at time `$5`.
pub(crate) const FINISH_SQL: &str = "UPDATE runs SET status = $2, status_reason = $3, summary = $4, ended_at_ns = $5 \
     WHERE id = $1 AND status IN ('queued', 'running')";

/// How [`Runs::finish_with`] ends a run, in the transaction of its last batch.
pub(crate) struct Finish<'a> {
    pub(crate) status: RunStatus,
    pub(crate) reason: Option<&'a str>,
    pub(crate) summary: Option<&'a Value>,
}
