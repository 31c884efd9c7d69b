//! Recording how a run ended: its status, reason, summary and last events, committed
//! together.

use super::execute::Executed;
use super::{Finished, Runner, RunnerError};
use tradelab_engine::RunStatus;
use tradelab_engine::report::Report;
use tradelab_store::{Run, RunStatus as StoredStatus};

/// A run's stored summary: its report, with a learner's calibration figures under
/// `learner` when its decider learns.
pub(super) fn summary_of(report: &Report, learner: Option<serde_json::Value>) -> serde_json::Value {
    let mut summary = serde_json::to_value(report).unwrap_or_default();
    if let (Some(learner), Some(object)) = (learner, summary.as_object_mut()) {
        object.insert("learner".into(), learner);
    }
    summary
}

impl Runner {
    /// Records how an executed run ended: its status, reason, summary and last events
    /// in one transaction.
    pub(super) async fn record_end(
        &self,
        run: &Run,
        executed: Result<Executed, RunnerError>,
    ) -> Result<Finished, RunnerError> {
        match executed {
            Ok(Executed::Failed { message, last }) => {
                // The `run_failed` event and the `failed` status commit together.
                self.store
                    .runs()
                    .finish_with(run.id, StoredStatus::Failed, Some(&message), None, &last)
                    .await?;
                tracing::info!(%message, "run failed");
                Err(RunnerError::Engine {
                    run: run.id,
                    message,
                })
            }
            Ok(Executed::Done {
                report,
                outcome,
                last,
                learner,
            }) => {
                let (status, reason) = match &outcome.status {
                    RunStatus::Completed => (StoredStatus::Completed, None),
                    RunStatus::Halted { reason } => (StoredStatus::Halted, Some(reason.clone())),
                    RunStatus::Stopped { .. } => {
                        (StoredStatus::Stopped, Some(outcome.status.to_string()))
                    }
                };
                let summary = summary_of(&report, learner);
                // The last events (`run_finished` among them) and the status commit together.
                let run = self
                    .store
                    .runs()
                    .finish_with(run.id, status, reason.as_deref(), Some(&summary), &last)
                    .await?;
                tracing::info!(status = %run.status, "run finished");
                Ok(Finished {
                    run,
                    report: *report,
                    outcome,
                })
            }
            Err(e) => {
                let _ = self
                    .store
                    .runs()
                    .finish(run.id, StoredStatus::Failed, Some(&e.to_string()), None)
                    .await;
                Err(e)
            }
        }
    }
}
