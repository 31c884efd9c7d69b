//! The leaderboard: the caller's finished runs (an admin's: everyone's) ranked by a
//! metric of their reports, with filters.

use super::query::Query;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::params;
use crate::state::AppState;
use crate::views::rfc3339;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tradelab_store::{PageRequest, Run, RunStatus};

/// Metrics a leaderboard ranks by; higher is better for each but those of
/// `SMALLER_IS_BETTER`.
pub const METRICS: &[&str] = &[
    "total_return_pct",
    "cagr_pct",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "win_rate_pct",
    "profit_factor",
];

/// Metrics whose best value is the smallest in magnitude: a report's drawdown is the
/// fall from the peak as a positive percentage, so the shallowest ranks first.
const SMALLER_IS_BETTER: &[&str] = &["max_drawdown_pct"];

/// The key a run sorts by, descending: the metric, or minus its magnitude for a
/// metric where smaller is better.
fn rank_key(metric: &str, value: f64) -> f64 {
    if SMALLER_IS_BETTER.contains(&metric) {
        -value.abs()
    } else {
        value
    }
}

/// What to rank by and which runs.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// `total_return_pct`, `cagr_pct`, `sharpe` (default), `sortino`, `calmar`,
    /// `max_drawdown_pct`, `win_rate_pct` or `profit_factor`.
    pub metric: Option<String>,
    /// Strategy name (`sma_cross`, `llm`, …).
    pub strategy: Option<String>,
    pub symbol: Option<String>,
    /// Runs whose bars start on or after `from` and end on or before `to`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Runs with at least this many closed trades.
    pub min_trades: Option<u64>,
    /// `mine` (default) or `all` (admins only): everyone's runs.
    pub scope: Option<String>,
    /// Entries at most: 1 to 1000, default 50.
    pub limit: Option<usize>,
}

/// A ranked run.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub rank: usize,
    pub run_id: i64,
    pub model_id: i64,
    pub model: String,
    pub number: i64,
    pub strategy: String,
    pub symbols: Vec<String>,
    pub status: String,
    pub value: f64,
    pub total_return_pct: Option<f64>,
    pub sharpe: Option<f64>,
    pub max_drawdown_pct: Option<f64>,
    pub closed_trades: Option<u64>,
    pub ended_at: Option<String>,
}

/// Finished runs ranked by `metric`, best first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Leaderboard {
    pub metric: String,
    pub entries: Vec<Entry>,
}

const FINISHED: [RunStatus; 3] = [RunStatus::Completed, RunStatus::Halted, RunStatus::Stopped];

/// The strategy a run's snapshot names (`sma_cross`, `llm`, …).
fn strategy_of(run: &Run) -> String {
    run.snapshot.decider.kind.clone()
}

fn metric(run: &Run, name: &str) -> Option<f64> {
    run.summary.as_ref()?.get(name)?.as_f64()
}

/// `GET /api/v1/leaderboard`: the caller's finished runs (an admin's with
/// `scope=all`: everyone's) ranked by a metric of their reports.
#[utoipa::path(
    get,
    path = "/api/v1/leaderboard",
    tag = "leaderboard",
    params(LeaderboardQuery),
    responses(
        (status = 200, description = "The ranking", body = Leaderboard),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn leaderboard(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LeaderboardQuery>,
) -> ApiResult<Json<Leaderboard>> {
    let name = q.metric.as_deref().unwrap_or("sharpe");
    if !METRICS.contains(&name) {
        return Err(ApiError::invalid(
            "metric",
            format!("metric {name:?} is not one of: {}", METRICS.join(", ")),
        ));
    }
    let everyone = match q.scope.as_deref() {
        None | Some("mine") => false,
        Some("all") if caller.is_admin() => true,
        Some("all") => return Err(ApiError::forbidden("scope=all is for admins")),
        Some(other) => {
            return Err(ApiError::invalid(
                "scope",
                format!("scope is mine or all, not {other:?}"),
            ));
        }
    };
    let symbol = q
        .symbol
        .as_deref()
        .map(|s| params::symbol("symbol", s))
        .transpose()?;
    let (from, to) = params::period(q.from.as_deref(), q.to.as_deref())?;
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be 1 to 1000, not {limit}"),
        ));
    }
    let mut runs = Vec::new();
    if everyone {
        for status in FINISHED {
            let mut page = PageRequest::max();
            loop {
                let got = state
                    .store
                    .runs()
                    .list_by_status_all_owners(status, page)
                    .await?;
                runs.extend(got.items);
                match got.next_after {
                    Some(a) => page.after = Some(a),
                    None => break,
                }
            }
        }
    } else {
        let mut page = PageRequest::max();
        loop {
            let got = state.store.runs().list_by_owner(caller.id(), page).await?;
            runs.extend(
                got.items
                    .into_iter()
                    .filter(|r| FINISHED.contains(&r.status)),
            );
            match got.next_after {
                Some(a) => page.after = Some(a),
                None => break,
            }
        }
    }
    // A report's start and end are dates (daily bars) or times.
    let summary_time = |run: &Run, key: &str| {
        let text = run.summary.as_ref()?.get(key)?.as_str()?.to_string();
        params::time_bound(key, &text, key == "end").ok()
    };
    let mut ranked: Vec<(f64, Run)> = runs
        .into_iter()
        .filter(|r| q.strategy.as_deref().is_none_or(|s| strategy_of(r) == s))
        .filter(|r| symbol.as_ref().is_none_or(|s| r.symbols.contains(s)))
        .filter(|r| {
            q.min_trades.is_none_or(|m| {
                r.summary
                    .as_ref()
                    .and_then(|s| s.get("closed_trades")?.as_u64())
                    .unwrap_or(0)
                    >= m
            })
        })
        .filter(|r| from.is_none_or(|f| summary_time(r, "start").is_some_and(|s| s >= f)))
        .filter(|r| to.is_none_or(|t| summary_time(r, "end").is_some_and(|e| e <= t)))
        .filter_map(|r| metric(&r, name).filter(|v| v.is_finite()).map(|v| (v, r)))
        .collect();
    ranked.sort_by(|a, b| {
        rank_key(name, b.0)
            .total_cmp(&rank_key(name, a.0))
            .then(a.1.id.cmp(&b.1.id))
    });
    let entries = ranked
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(i, (value, r))| Entry {
            rank: i + 1,
            run_id: r.id.0,
            model_id: r.model.0,
            model: r.snapshot.model_name.clone(),
            number: r.number,
            strategy: strategy_of(&r),
            symbols: r.symbols.iter().map(ToString::to_string).collect(),
            status: r.status.as_str().to_string(),
            value,
            total_return_pct: metric(&r, "total_return_pct"),
            sharpe: metric(&r, "sharpe"),
            max_drawdown_pct: metric(&r, "max_drawdown_pct"),
            closed_trades: r
                .summary
                .as_ref()
                .and_then(|s| s.get("closed_trades")?.as_u64()),
            ended_at: r.ended_at.map(rfc3339),
        })
        .collect();
    Ok(Json(Leaderboard {
        metric: name.to_string(),
        entries,
    }))
}
