//! A run's lifecycle: started by a worker, finished in an end state, or marked
//! interrupted when the process that created or ran it ended.

use super::{Finish, Run, RunStatus, Runs, from_row};
use crate::RunId;
use crate::db::{now, with_pool};
use crate::error::{Result, StoreError};
use crate::worker::{STALE_AFTER_SECS, host_name, parse_worker, worker_alive, worker_id};
use serde_json::Value;

/// Why a run left `running` by a process that ended is `interrupted`.
const RUNNING_RUN_ORPHANED: &str = "the process ended while the run was running";
/// Why a run left `queued` by the process that created it is `interrupted`.
const QUEUED_RUN_ORPHANED: &str = "the process ended before the run started";

impl Runs<'_> {
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
             WHERE id = $1 AND status IN ('queued', 'running', 'paused') RETURNING ",
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

    /// System only, across every owner: marks runs a process that ended left behind
    /// as `interrupted`: runs left `running` (reason "the process ended while the run
    /// was running"), ended at their last committed event (or their start), and runs
    /// left `queued` by the process that created them (reason "the process ended
    /// before the run started"), ended at their creation.
    ///
    /// A run belongs to a process that ended when its worker (the process running
    /// it, or for a queued run the one that created it) is on this host and no longer
    /// alive (no process has its PID, or the one that has it started at another
    /// time), when it has no worker recorded (runs written before workers were), or
    /// when its worker is on another host and it wrote nothing for
    /// [`STALE_AFTER_SECS`] (a queued run: was created that long ago). Call once at
    /// startup; runs of live processes are left alone. Returns the ids marked, in
    /// increasing order.
    pub async fn mark_interrupted_runs(&self) -> Result<Vec<RunId>> {
        let select = "SELECT id, status, worker, \
                      COALESCE(last_event_at_ns, started_at_ns, created_at_ns) AS seen \
                      FROM runs WHERE status IN ('running', 'paused', 'queued')";
        let open: Vec<(i64, String, Option<String>, i64)> = with_pool!(self.store, p => {
            sqlx::query_as(select).fetch_all(p).await?
        });
        let host = host_name();
        let stale_before = now().nanos() - STALE_AFTER_SECS * 1_000_000_000;
        let process_ended = |worker: Option<&str>, seen: i64| match worker.and_then(parse_worker) {
            None => true,
            Some((h, pid, start)) if h == host => !worker_alive(pid, start),
            Some(_) => seen < stale_before,
        };
        // The status is part of the update's condition: a queued run another process
        // started meanwhile, or a run that finished meanwhile, is left alone.
        let sql = "UPDATE runs SET status = 'interrupted', status_reason = $3, \
                   ended_at_ns = COALESCE(last_event_at_ns, started_at_ns, created_at_ns) \
                   WHERE id = $1 AND status = $2";
        let mut ids = Vec::new();
        for (id, status, worker, seen) in open {
            if !process_ended(worker.as_deref(), seen) {
                continue;
            }
            let reason = if status == RunStatus::Queued.as_str() {
                QUEUED_RUN_ORPHANED
            } else {
                RUNNING_RUN_ORPHANED
            };
            let changed = with_pool!(self.store, p => {
                sqlx::query(sql).bind(id).bind(&status).bind(reason).execute(p).await?.rows_affected()
            });
            if changed == 1 {
                ids.push(RunId(id));
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Moves an interrupted live run back to `running` for this process, so it goes on
    /// where its trail ends (a replay over stored bars is run again instead). System
    /// only: the runner resumes a run it read for its owner.
    pub async fn resume(&self, id: RunId) -> Result<Run> {
        let sql = concat!(
            "UPDATE runs SET status = 'running', status_reason = NULL, ended_at_ns = NULL, \
             worker = $2 WHERE id = $1 AND status = 'interrupted' AND source = 'live' \
             RETURNING ",
            cols!()
        );
        let worker = worker_id(std::process::id());
        let row = with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(&worker)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?
        });
        match row {
            Some(run) => Ok(run),
            None => Err(self.transition_error(id, "resume").await),
        }
    }

    /// System only: a running live run waits for its market data (`reason`: the
    /// provider and its error). A run in another status is left as it is; returns
    /// whether it changed.
    pub async fn pause(&self, id: RunId, reason: &str) -> Result<bool> {
        let changed = with_pool!(self.store, p => {
            sqlx::query(
                "UPDATE runs SET status = 'paused', status_reason = $2 \
                 WHERE id = $1 AND status = 'running'",
            )
            .bind(id.0)
            .bind(reason)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// System only: a paused live run has its data back and runs again. A run in
    /// another status is left as it is; returns whether it changed.
    pub async fn unpause(&self, id: RunId) -> Result<bool> {
        let changed = with_pool!(self.store, p => {
            sqlx::query(
                "UPDATE runs SET status = 'running', status_reason = NULL \
                 WHERE id = $1 AND status = 'paused'",
            )
            .bind(id.0)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// NotFound for an unknown run, else Conflict naming its current status.
    pub(crate) async fn transition_error(&self, id: RunId, action: &str) -> StoreError {
        match self.get_any(id).await {
            Ok(run) => StoreError::Conflict {
                what: "run",
                message: format!("run {id} is {}; it cannot {action}", run.status),
            },
            Err(e) => e,
        }
    }
}
