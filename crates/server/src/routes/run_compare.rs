//! Runs measured together: side by side (`/runs/compare`, `tradelab runs compare`)
//! and the spread of repeated runs (`/runs/spread`, the summary of `tradelab runs
//! start --repeat N`): how far their metrics spread and how often their decisions
//! agreed, computed by the runner for both.

use super::query::Query;
use super::runs::{label, owned_run};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tradelab_runner::{Spread, compare};
use tradelab_store::{Run, RunId, UserId};

/// `?ids=1,2,3`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// Two or more of the caller's run ids, comma-separated.
    pub ids: String,
}

/// Runs side by side: the runner's `Comparison` as it serializes (pairs as
/// two-element arrays).
#[derive(utoipa::ToSchema)]
#[schema(as = Comparison)]
pub struct ComparisonSchema {
    /// Run labels (`model#number`), in the order asked.
    pub runs: Vec<String>,
    /// `[metric, [value per run]]` for each compared metric (`null` where a run has
    /// none).
    pub metrics: Vec<(String, Vec<Value>)>,
    /// `[snapshot field, [value per run]]` for each field that differs.
    pub differences: Vec<(String, Vec<Value>)>,
    /// Each run's status, with its reason in parentheses.
    pub statuses: Vec<String>,
}

/// `GET /api/v1/runs/compare?ids=1,2,3`: the caller's runs side by side: metrics and
/// the snapshot fields that differ.
#[utoipa::path(
    get,
    path = "/api/v1/runs/compare",
    tag = "runs",
    params(CompareQuery),
    responses(
        (status = 200, description = "The runs side by side", body = ComparisonSchema),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn compare_runs(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CompareQuery>,
) -> ApiResult<Json<tradelab_runner::Comparison>> {
    let runs = owned_runs(&state, caller.id(), "ids", &q.ids).await?;
    if runs.len() < 2 {
        return Err(ApiError::invalid(
            "ids",
            "name at least two runs to compare",
        ));
    }
    let labels = runs.iter().map(label).collect();
    Ok(Json(compare(&runs, labels)))
}

/// The owner's runs named in query parameter `field` (comma-separated ids, each
/// once), in that order; 404 for any that is not the owner's.
async fn owned_runs(
    state: &AppState,
    owner: UserId,
    field: &str,
    text: &str,
) -> ApiResult<Vec<Run>> {
    let mut ids: Vec<i64> = Vec::new();
    for text in text.split(',').map(str::trim) {
        let id = text
            .parse::<i64>()
            .ok()
            .filter(|i| *i > 0)
            .ok_or_else(|| ApiError::invalid(field, format!("{text:?} is not a run id")))?;
        if ids.contains(&id) {
            return Err(ApiError::invalid(field, format!("run {id} is named twice")));
        }
        ids.push(id);
    }
    let mut runs: Vec<Run> = Vec::with_capacity(ids.len());
    for id in ids {
        runs.push(owned_run(state, owner, RunId(id)).await?);
    }
    Ok(runs)
}

/// `?runs=1,2,3`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpreadQuery {
    /// Two or more of the caller's ended run ids, comma-separated (typically the runs
    /// of one start with `repeat`).
    pub runs: String,
}

/// One metric across the runs.
#[derive(utoipa::ToSchema)]
#[schema(as = MetricSpread)]
pub struct MetricSpreadSchema {
    /// Each run's value, in the order asked (`null` where a run has none).
    pub values: Vec<Option<f64>>,
    pub min: Option<f64>,
    pub median: Option<f64>,
    pub max: Option<f64>,
}

/// The spread of runs: the runner's `Spread` as the CLI prints it with `--repeat N
/// --output json`.
#[derive(utoipa::ToSchema)]
#[schema(as = Spread)]
pub struct SpreadSchema {
    /// Run labels (`model#number`), in the order asked.
    pub runs: Vec<String>,
    /// By metric (`total_return_pct`, `sharpe`, `max_drawdown_pct`, `closed_trades`).
    pub metrics: BTreeMap<String, MetricSpreadSchema>,
    /// The share of compared steps at which every run did the same, in percent
    /// (`null` when no step was asked in every run).
    pub decision_agreement_pct: Option<f64>,
    /// Steps at which the decider said something in every run.
    pub steps_compared: usize,
    /// Of those, the steps at which every run placed the same orders and trades.
    pub steps_agreed: usize,
}

/// `GET /api/v1/runs/spread?runs=1,2,3`: how far the metrics of the caller's ended
/// runs spread (min, median, max) and how often their decisions agreed.
#[utoipa::path(
    get,
    path = "/api/v1/runs/spread",
    tag = "runs",
    params(SpreadQuery),
    responses(
        (status = 200, description = "The spread of the runs", body = SpreadSchema),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn spread(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SpreadQuery>,
) -> ApiResult<Json<Value>> {
    let runs = owned_runs(&state, caller.id(), "runs", &q.runs).await?;
    if runs.len() < 2 {
        return Err(ApiError::invalid(
            "runs",
            "name at least two runs to measure their spread",
        ));
    }
    if let Some(r) = runs.iter().find(|r| !r.status.is_terminal()) {
        return Err(ApiError::conflict(format!(
            "run {} ({}) is still {}; its spread is known once it ended",
            r.id.0,
            label(r),
            r.status
        ))
        .with_field("runs"));
    }
    let none = Value::Null;
    let with_reports: Vec<(&Run, &Value)> = runs
        .iter()
        .map(|r| (r, r.summary.as_ref().unwrap_or(&none)))
        .collect();
    let spread = Spread::of(&state.store, caller.id(), &with_reports).await?;
    Ok(Json(spread.json()))
}
