//! Deleting stored bars: the caller's own series (an admin's: shared ones too), all of
//! it or a period; refused while runs read them unless forced, as `data delete` is.

use super::query::Query;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::params;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tradelab_store::StoreError;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    pub symbol: String,
    pub timeframe: String,
    /// First bar to delete (date or RFC 3339 time; default: the first).
    pub from: Option<String>,
    /// Last bar to delete (default: the last).
    pub to: Option<String>,
    /// Delete even when runs read the bars (their replays then refuse).
    #[serde(default)]
    pub force: bool,
}

/// A run that read deleted bars.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunReadingView {
    pub run: i64,
    pub label: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeletedView {
    pub symbol: String,
    pub timeframe: String,
    /// `private` or `shared`.
    pub scope: String,
    pub deleted_bars: u64,
    pub remaining_bars: u64,
    /// Runs that read the deleted bars (only a forced delete goes ahead with them).
    pub runs_reading_deleted_bars: Vec<RunReadingView>,
}

/// Delete stored bars of a series, all of them or a period.
///
/// `DELETE /api/v1/data/bars?symbol=&timeframe=&from=&to=&force=`.
#[utoipa::path(
    delete,
    path = "/api/v1/data/bars",
    tag = "data",
    params(DeleteQuery),
    responses(
        (status = 200, description = "What was deleted", body = DeletedView),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<Json<DeletedView>> {
    let symbol = params::symbol("symbol", &q.symbol)?;
    let tf = params::timeframe("timeframe", &q.timeframe)?;
    let (from, to) = params::period(q.from.as_deref(), q.to.as_deref())?;
    let r = state
        .store
        .bars()
        .delete_as(&caller.user, &symbol, tf, from, to, q.force)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { what, message } if what == tradelab_store::BARS_IN_USE => {
                ApiError::conflict(format!("{message}; pass force=true to delete them anyway"))
            }
            StoreError::Conflict { what, message } if what == tradelab_store::SHARED_BARS => {
                ApiError::forbidden(message)
            }
            StoreError::NotFound { .. } => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                format!("no stored {tf} bars of {symbol} to delete"),
            ),
            other => other.into(),
        })?;
    Ok(Json(DeletedView {
        symbol: r.symbol.to_string(),
        timeframe: r.timeframe.to_string(),
        scope: if r.owner.is_some() {
            "private"
        } else {
            "shared"
        }
        .to_string(),
        deleted_bars: r.deleted,
        remaining_bars: r.remaining,
        runs_reading_deleted_bars: r
            .runs
            .iter()
            .map(|u| RunReadingView {
                run: u.run.0,
                label: u.label.clone(),
            })
            .collect(),
    }))
}
