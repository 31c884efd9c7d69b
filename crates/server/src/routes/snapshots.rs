//! `GET /api/v1/runs/{id}/snapshots`: an online learner's snapshots of its state in a
//! run (what a new run can warm-start from), with the run's calibration figures.

use super::run_audit::run_of;
use super::runs::not_found_as;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::rfc3339;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;

/// One snapshot of a learner's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotView {
    /// 1 for the run's first snapshot, one more for each after.
    pub version: i64,
    /// Time of the last bar the learner had taken (RFC 3339).
    pub bar_time: Option<String>,
    /// Bars the learner had taken (over all symbols, a warm start's included).
    pub bars: u64,
    /// Size of the stored state in bytes.
    pub size_bytes: u64,
    /// When it was saved (RFC 3339).
    pub created_at: String,
}

/// A run's snapshots and calibration.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotsView {
    /// The run's id.
    pub run: i64,
    /// The snapshots, oldest first (empty for a run whose model does not learn).
    pub snapshots: Vec<SnapshotView>,
    /// The learner's calibration figures at the end of the run (Brier score, log loss,
    /// ECE, reliability table, over time, weights); absent before the run ended and
    /// for models that do not learn.
    #[schema(value_type = Option<Object>)]
    pub calibration: Option<Value>,
}

/// `GET /api/v1/runs/{id}/snapshots`: the run's learner snapshots and calibration.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/snapshots",
    tag = "runs",
    params(("id" = i64, Path, description = "The run's id", minimum = 1)),
    responses(
        (status = 200, description = "The run's learner snapshots, oldest first, and its calibration figures", body = SnapshotsView),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn snapshots(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SnapshotsView>> {
    let run = run_of(&state, &caller, &id).await?;
    let list = state
        .store
        .snapshots()
        .list(caller.id(), run)
        .await
        .map_err(|e| not_found_as("run", run.0, e))?;
    let stored = super::runs::owned_run(&state, caller.id(), run).await?;
    let calibration = stored
        .summary
        .as_ref()
        .and_then(|s| s.get("learner"))
        .cloned();
    Ok(Json(SnapshotsView {
        run: run.0,
        snapshots: list
            .iter()
            .map(|s| SnapshotView {
                version: s.version,
                bar_time: s.bar_ts.map(rfc3339),
                bars: s.bars,
                size_bytes: s.size_bytes,
                created_at: rfc3339(s.created_at),
            })
            .collect(),
        calibration,
    }))
}
