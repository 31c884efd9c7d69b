//! Runs over HTTP: start one (queued for a worker), list, show, stop, replay with
//! other rules. The audit trail of a run is in `run_audit`, its live stream in
//! `stream`, repeated runs in `repeat`, runs measured together (compared, their
//! spread) in `run_compare`.

use super::Paging;
use super::body::Body;
use super::parse_id;
use super::query::Query;
use super::repeat::{StartedRuns, queue_repeated, repeat_count};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::queue::QueueError;
use crate::state::AppState;
use crate::views::{PageView, rfc3339};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tradelab_core::{Symbol, Timeframe};
use tradelab_engine::Command;
use tradelab_runner::{QueuedRun, ReplayOptions, StartRun};
use tradelab_store::{ModelId, PageRequest, Run, RunId, RunStatus, StoreError, UserId};

/// A run as the API shows it.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct RunView {
    pub id: i64,
    pub model_id: i64,
    /// `model#number`.
    pub label: String,
    /// The run's number within its model.
    pub number: i64,
    /// `queued`, `running`, `paused`, `completed`, `halted`, `stopped`, `failed` or
    /// `interrupted`.
    pub status: String,
    pub status_reason: Option<String>,
    pub mode: String,
    /// `replay` (stored bars) or `live` (a live feed, paper trading).
    pub source: String,
    pub symbols: Vec<String>,
    pub timeframe: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub last_event_at: Option<String>,
    pub replay_of: Option<i64>,
    pub initial_cash: String,
    pub data_fingerprint: Option<String>,
    /// Steps done and in all, while the run is running on this server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<ProgressView>,
    /// The run's report (the summary the CLI prints), once it ended.
    #[schema(value_type = Option<Object>)]
    pub metrics: Option<Value>,
    /// The frozen strategy the run ran with (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub snapshot: Option<Value>,
}

/// Steps done of a running run.
#[derive(Serialize, Debug, Clone, Copy, utoipa::ToSchema)]
pub struct ProgressView {
    pub done: usize,
    pub total: usize,
}

/// `model#number` of a run.
pub fn label(r: &Run) -> String {
    format!("{}#{}", r.snapshot.model_name, r.number)
}

impl RunView {
    /// The listing view (no snapshot, no progress).
    pub fn of(r: &Run) -> Self {
        let timeframe = r
            .snapshot
            .fill_model
            .get("timeframe")
            .and_then(Value::as_str)
            .map(str::to_string);
        RunView {
            id: r.id.0,
            model_id: r.model.0,
            label: label(r),
            number: r.number,
            status: r.status.as_str().to_string(),
            status_reason: r.status_reason.clone(),
            mode: r.mode.as_str().to_string(),
            source: r.source.as_str().to_string(),
            symbols: r.symbols.iter().map(|s| s.as_str().to_string()).collect(),
            timeframe,
            period_start: r.period_start.map(rfc3339),
            period_end: r.period_end.map(rfc3339),
            created_at: rfc3339(r.created_at),
            started_at: r.started_at.map(rfc3339),
            ended_at: r.ended_at.map(rfc3339),
            last_event_at: r.last_event_at.map(rfc3339),
            replay_of: r.parent.map(|p| p.0),
            initial_cash: r.snapshot.initial_cash.get().to_string(),
            data_fingerprint: r.snapshot.data_fingerprint.clone(),
            progress: None,
            metrics: r.summary.clone(),
            snapshot: None,
        }
    }
}

/// What `POST /models/{id}/runs` takes; every field is optional.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRunBody {
    /// Symbols to trade (default: the model's allowed symbols).
    pub symbols: Option<Vec<String>>,
    /// `1d`, `1m`, … (default: the one stored for the symbols).
    pub timeframe: Option<String>,
    /// Start of the period: RFC 3339 time or a date.
    pub from: Option<String>,
    /// End of the period: RFC 3339 time or a date (its whole day).
    pub to: Option<String>,
    /// Rules for this run instead of the model's (the model keeps its own): a rules
    /// document as a JSON rules file, `{"rule": [{"name", "kind", …}]}`.
    #[schema(value_type = Option<Object>)]
    pub rules: Option<Value>,
    /// Queue this many identical runs (1 to 20, default 1) to see how far their
    /// results spread (`GET /runs/spread`); above 1 the answer is `{"runs": [...]}`.
    #[schema(minimum = 1, maximum = 20)]
    pub repeat: Option<i64>,
    /// Trade on a live feed instead of over stored bars (paper trading): the run is
    /// `running` at once and runs until its feed ends or it is stopped.
    pub live: Option<LiveBody>,
    /// Start an online learner from a snapshot of one of the caller's runs
    /// (`GET /runs/{id}/snapshots` lists them).
    pub warm_start: Option<WarmStartBody>,
}

/// Which learner snapshot a run starts from.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarmStartBody {
    /// The run whose snapshot it is.
    #[schema(minimum = 1)]
    pub run: i64,
    /// The snapshot's version (default: the run's latest).
    #[schema(minimum = 1)]
    pub version: Option<i64>,
}

/// A live run's feed.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveBody {
    /// `market` (default): the provider's data from now on; `replay`: the stored bars
    /// of `from`/`to` played through the live path at `speed`× real time.
    pub feed: Option<String>,
    /// A chain of the server's settings: `stock` or `crypto` (default: the chain of
    /// the symbols' class).
    pub provider: Option<String>,
    /// How many times as fast as real time a replayed feed plays (default 60).
    pub speed: Option<f64>,
}

/// The owner's run `id`, 404 for anyone else's.
pub(crate) async fn owned_run(state: &AppState, owner: UserId, id: RunId) -> ApiResult<Run> {
    state
        .store
        .runs()
        .get(owner, id)
        .await
        .map_err(|e| not_found_as("run", id.0, e))
}

/// A store error with NotFound answered as the API's 404 for `what` `id`.
pub(crate) fn not_found_as(what: &str, id: i64, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::not_found(what, id),
        other => other.into(),
    }
}

/// Queues a checked run; the queue's refusals as 503/429 with the reason.
pub(super) async fn enqueue(state: &AppState, queued: QueuedRun) -> ApiResult<Run> {
    let run = queued.run().clone();
    state.queue.push(queued).await.map_err(|e| match e {
        QueueError::Full(_) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string()).retry_after(10)
        }
        QueueError::EmergencyStop | QueueError::ShuttingDown => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).retry_after(30)
        }
    })?;
    Ok(run)
}

/// Queues a checked run: 202 with the run and its `Location`.
async fn push(
    state: &AppState,
    queued: QueuedRun,
) -> ApiResult<(StatusCode, HeaderMap, Json<RunView>)> {
    let run = enqueue(state, queued).await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/runs/{}", run.id.0)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, headers, Json(RunView::of(&run))))
}

/// `POST /api/v1/models/{id}/runs`: checks and queues a run of the caller's model
/// (202 with the queued run and its `Location`), or with `repeat` N identical runs
/// (202 with `{"runs": [...]}`).
#[utoipa::path(
    post,
    path = "/api/v1/models/{id}/runs",
    tag = "runs",
    params(("id" = i64, Path, description = "The model's id", minimum = 1)),
    request_body = NewRunBody,
    responses(
        (status = 202, description = "The queued run; with `repeat` above 1, `{\"runs\": [...]}` with every queued run", body = StartedRuns, headers(("Location" = String, description = "The run's URL (one run only)"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    Body(req): Body<NewRunBody>,
) -> ApiResult<(StatusCode, HeaderMap, Json<StartedRuns>)> {
    let model = ModelId(parse_id("model", &model)?);
    let m = state
        .store
        .models()
        .get(caller.id(), model)
        .await
        .map_err(|e| not_found_as("model", model.0, e))?;
    let times = repeat_count(req.repeat)?;
    let symbols: Vec<Symbol> = req
        .symbols
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Symbol::new(s).map_err(|e| ApiError::invalid(format!("symbols[{i}]"), e.to_string()))
        })
        .collect::<ApiResult<_>>()?;
    let timeframe: Option<Timeframe> = req
        .timeframe
        .as_deref()
        .map(|t| {
            t.parse().map_err(|_| {
                ApiError::invalid(
                    "timeframe",
                    format!("{t:?} is not a timeframe (1m, 5m, 1h, 1d, …)"),
                )
            })
        })
        .transpose()?;
    let from = req
        .from
        .as_deref()
        .map(|t| crate::params::time_bound("from", t, false))
        .transpose()?;
    let to = req
        .to
        .as_deref()
        .map(|t| crate::params::time_bound("to", t, true))
        .transpose()?;
    if let (Some(a), Some(b)) = (from, to)
        && b < a
    {
        return Err(ApiError::invalid("to", "the period ends before it starts"));
    }
    // As `tradelab runs start`: no timeframe named is the one stored for the symbols.
    let timeframe = match timeframe {
        Some(tf) => tf,
        None => {
            state
                .runner
                .default_timeframe(caller.id(), &symbols, &m.spec.allowed_symbols)
                .await?
        }
    };
    let mut run = StartRun::new(caller.id(), m.id, symbols, timeframe);
    run.from = from;
    run.to = to;
    run.warm_start = req.warm_start.map(|w| tradelab_runner::WarmStartRef {
        run: RunId(w.run),
        version: w.version,
    });
    run.rules = req
        .rules
        .map(|doc| {
            tradelab_engine::risk::RuleSet::from_document(doc, "rules")
                .map_err(|e| ApiError::invalid("rules", e.to_string()))
        })
        .transpose()?;
    if let Some(live) = req.live {
        if times > 1 {
            return Err(ApiError::invalid("repeat", "a live run runs once"));
        }
        let view = super::live_runs::start_live(&state, run, live).await?;
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/runs/{}", view.id)) {
            headers.insert(header::LOCATION, v);
        }
        return Ok((
            StatusCode::ACCEPTED,
            headers,
            Json(StartedRuns::One(Box::new(view))),
        ));
    }
    if times > 1 {
        return queue_repeated(&state, run, times).await;
    }
    let queued = state.runner.queue(run).await?;
    let (status, headers, Json(view)) = push(&state, queued).await?;
    Ok((status, headers, Json(StartedRuns::One(Box::new(view)))))
}

/// Filters of the run list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunFilter {
    /// Only this model's runs.
    pub model: Option<i64>,
    /// Only runs in this status (`queued`, `running`, `completed`, …).
    pub status: Option<String>,
    /// The last id of the previous page (its `next_after`).
    pub after: Option<i64>,
    /// Runs per page: 1 to 1000, default 50.
    pub limit: Option<u32>,
}

/// `GET /api/v1/runs?model=&status=&after=&limit=`: the caller's runs (one model's
/// newest first, else by model name then newest first). A status filter keeps the
/// page's runs in that status: a page may then hold fewer than `limit`.
#[utoipa::path(
    get,
    path = "/api/v1/runs",
    tag = "runs",
    params(RunFilter),
    responses(
        (status = 200, description = "A page of the caller's runs", body = PageView<RunView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<RunFilter>,
) -> ApiResult<Json<PageView<RunView>>> {
    let status: Option<RunStatus> = filter
        .status
        .as_deref()
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::invalid("status", format!("{s:?} is not a run status")))
        })
        .transpose()?;
    let paging = Paging {
        after: filter.after,
        limit: filter.limit,
    };
    let page_req: PageRequest<RunId> = paging.request(RunId)?;
    let runs = state.store.runs();
    let page = match filter.model {
        Some(m) => runs
            .list_by_model(caller.id(), ModelId(m), page_req)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => match page_req.after {
                    Some(a) => ApiError::not_found("model or run", format!("{m} / {}", a.0)),
                    None => ApiError::not_found("model", m),
                },
                other => other.into(),
            })?,
        None => runs
            .list_by_owner(caller.id(), page_req)
            .await
            .map_err(|e| not_found_as("run", filter.after.unwrap_or(0), e))?,
    };
    Ok(Json(PageView {
        items: page
            .items
            .iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .map(RunView::of)
            .collect(),
        next_after: page.next_after.map(|r| r.0),
    }))
}

/// `GET /api/v1/runs/{id}`: one of the caller's runs with its snapshot, its progress
/// while it runs, its metrics once it ended.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}",
    tag = "runs",
    params(("id" = i64, Path, description = "The run's id", minimum = 1)),
    responses(
        (status = 200, description = "The run with its snapshot", body = RunView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    let id = RunId(parse_id("run", &id)?);
    let run = owned_run(&state, caller.id(), id).await?;
    let mut view = RunView::of(&run);
    view.snapshot = Some(serde_json::to_value(&run.snapshot).map_err(ApiError::internal)?);
    if matches!(run.status, RunStatus::Running | RunStatus::Paused)
        && let Some(live) = state.queue.live(id)
    {
        let (done, total) = *live.progress.borrow();
        view.progress = Some(ProgressView { done, total });
    }
    Ok(Json(view))
}

/// What `POST /runs/{id}/stop` takes.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopBody {
    /// Close every position at the next step before stopping.
    #[serde(default)]
    pub flatten: bool,
}

/// `POST /api/v1/runs/{id}/stop`: a running run stops at its next step (202); a
/// queued one ends `stopped` now (200); an ended one is 409.
#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/stop",
    tag = "runs",
    params(("id" = i64, Path, description = "The run's id", minimum = 1)),
    request_body = StopBody,
    responses(
        (status = 200, description = "The queued run, stopped before it started", body = RunView),
        (status = 202, description = "The running run, told to stop at its next step", body = RunView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<StopBody>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    let id = RunId(parse_id("run", &id)?);
    // A queued run may start while we look: look again a few times.
    for _ in 0..50 {
        let run = owned_run(&state, caller.id(), id).await?;
        if run.status.is_terminal() {
            return Err(ApiError::conflict(format!(
                "run {} already ended ({})",
                id.0, run.status
            )));
        }
        if let Some(live) = state.queue.live(id) {
            live.watcher.send(Command::Stop {
                flatten: req.flatten,
            });
            return Ok((StatusCode::ACCEPTED, Json(RunView::of(&run))));
        }
        if run.status == RunStatus::Queued {
            match state
                .store
                .runs()
                .finish(
                    id,
                    RunStatus::Stopped,
                    Some("stopped by its owner before it started"),
                    None,
                )
                .await
            {
                Ok(stopped) => return Ok((StatusCode::OK, Json(RunView::of(&stopped)))),
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Running, but not yet (or no longer) known to the queue.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Err(ApiError::conflict(format!(
        "run {} is not running on this server; try again",
        id.0
    )))
}

/// What `POST /runs/{id}/replay` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// A rules document, as a JSON rules file: `{"rule": [{"name", "kind", …}]}`;
    /// rules named as the parent's replace them.
    #[schema(value_type = Object)]
    pub rules: Value,
    /// Replay even when the parent's bars changed since it ran.
    #[serde(default)]
    pub allow_changed_data: bool,
    /// An LLM run: ask the model again instead of replaying its recorded answers.
    #[serde(default)]
    pub ask_again: bool,
}

/// `POST /api/v1/runs/{id}/replay`: queues a replay of the caller's run with other
/// rules (202 with the new run).
#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/replay",
    tag = "runs",
    params(("id" = i64, Path, description = "The run's id", minimum = 1)),
    request_body = ReplayBody,
    responses(
        (status = 202, description = "The queued replay", body = RunView, headers(("Location" = String, description = "The run's URL"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable),
    )
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ReplayBody>,
) -> ApiResult<(StatusCode, HeaderMap, Json<RunView>)> {
    let parent = RunId(parse_id("run", &id)?);
    owned_run(&state, caller.id(), parent).await?;
    let rules = tradelab_engine::risk::RuleSet::from_document(req.rules, "rules")
        .map_err(|e| ApiError::invalid("rules", e.to_string()))?;
    let options = ReplayOptions {
        allow_changed_data: req.allow_changed_data,
        ask_again: req.ask_again,
    };
    let queued = state
        .runner
        .queue_replay(caller.id(), parent, rules, options)
        .await
        .map_err(|e| match e {
            tradelab_runner::RunnerError::Store(StoreError::NotFound { .. }) => {
                ApiError::not_found("run", parent.0)
            }
            other => other.into(),
        })?;
    push(&state, queued).await
}
