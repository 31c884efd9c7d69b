//! Live paper runs over HTTP: `POST /models/{id}/runs` with `live` starts one (on the
//! server's provider chains, or stored bars replayed as live), `POST /runs/{id}/resume`
//! picks up an interrupted one. They run outside the worker pool, as long as their
//! feed, and are stopped, watched and streamed like any run.

use super::body::Body;
use super::parse_id;
use super::runs::{LiveBody, RunView, owned_run};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tokio::sync::watch;
use tradelab_core::Timeframe;
use tradelab_providers::AssetClass;
use tradelab_runner::live::{self, FeedPeriod};
use tradelab_runner::{ExecutionSettings, LiveSource, Progress, RunHandle, StartRun};
use tradelab_store::RunId;

/// Starts a live run of `run`'s model on the feed `live` asks for.
pub(super) async fn start_live(
    state: &AppState,
    run: StartRun,
    live: LiveBody,
) -> ApiResult<RunView> {
    refuse_when_stopped(state)?;
    let mut run = run;
    if run.symbols.is_empty() {
        run.symbols = state
            .store
            .models()
            .get(run.owner, run.model)
            .await?
            .spec
            .allowed_symbols;
    }
    let period = FeedPeriod {
        symbols: run.symbols.clone(),
        timeframe: run.timeframe,
        from: run.from,
        to: run.to,
        origin: None,
    };
    let source = source(state, run.owner, &period, &live).await?;
    run.from = None;
    run.to = None;
    run.live_feed = Some(spec_of(&live));
    let (progress, on_progress) = progress();
    let handle = state
        .runner
        .spawn_live(run, source, Some(on_progress))
        .await?;
    Ok(adopt(state, handle, progress))
}

/// `POST /api/v1/runs/{id}/resume`: an interrupted live run goes on from its last
/// step (202, `running`) on the feed the body names, or without one on the feed it
/// started on; any other run is 409.
#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/resume",
    tag = "runs",
    params(("id" = i64, Path, description = "The run's id", minimum = 1)),
    request_body = LiveBody,
    responses(
        (status = 202, description = "The run, running again", body = RunView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 503, response = doc::Unavailable),
    )
)]
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(live): Body<LiveBody>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    refuse_when_stopped(&state)?;
    let id = RunId(parse_id("run", &id)?);
    let run = owned_run(&state, caller.id(), id).await?;
    let settings = ExecutionSettings::from_json(&run.snapshot.fill_model)
        .map_err(|e| ApiError::invalid("run", e))?;
    let timeframe: Timeframe = settings
        .timeframe
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| ApiError::conflict(format!("run {} has no timeframe", id.0)))?;
    let last_step = state
        .store
        .audit()
        .equity(caller.id(), id)
        .await?
        .last()
        .map(|e| e.ts);
    let period = FeedPeriod {
        symbols: run.symbols.clone(),
        timeframe,
        from: run.period_start,
        to: run.period_end,
        origin: last_step,
    };
    // What the body leaves out comes from the feed the run started on.
    let spec = tradelab_store::LiveFeedSpec::for_resume(
        run.snapshot.live_feed.as_ref(),
        live.feed.as_deref(),
        live.provider,
        live.speed,
    );
    let live = LiveBody {
        feed: Some(spec.feed),
        provider: spec.provider,
        speed: spec.speed,
    };
    let source = source(&state, caller.id(), &period, &live).await?;
    let (progress, on_progress) = progress();
    let handle = state
        .runner
        .resume_live(caller.id(), id, source, Some(on_progress))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(adopt(&state, handle, progress))))
}

/// No new runs while an admin's emergency stop or a shutdown is on.
fn refuse_when_stopped(state: &AppState) -> ApiResult<()> {
    match state.queue.refusal() {
        Some(e) => {
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).retry_after(30))
        }
        None => Ok(()),
    }
}

/// The feed `live` asks for, as the run keeps it.
fn spec_of(live: &LiveBody) -> tradelab_store::LiveFeedSpec {
    match live.feed.as_deref() {
        Some("replay") => tradelab_store::LiveFeedSpec {
            feed: "replay".into(),
            provider: None,
            speed: Some(live.speed.unwrap_or(60.0)),
        },
        _ => tradelab_store::LiveFeedSpec {
            feed: "market".into(),
            provider: live.provider.clone(),
            speed: None,
        },
    }
}

/// The feed `live` asks for.
async fn source(
    state: &AppState,
    owner: tradelab_store::UserId,
    period: &FeedPeriod,
    live: &LiveBody,
) -> ApiResult<LiveSource> {
    match live.feed.as_deref().unwrap_or("market") {
        "replay" => {
            Ok(live::stored_feed(&state.store, owner, period, live.speed.unwrap_or(60.0)).await?)
        }
        "market" => {
            let class = live::class_of(&period.symbols)?;
            let class = match live.provider.as_deref() {
                None => class,
                Some("stock") => AssetClass::Stock,
                Some("crypto") => AssetClass::Crypto,
                Some(other) => {
                    return Err(ApiError::invalid(
                        "live.provider",
                        format!("{other:?} is not a chain of this server: stock or crypto"),
                    ));
                }
            };
            let chain = state.providers.of(class);
            let provider: std::sync::Arc<dyn tradelab_providers::Provider> = chain.clone();
            Ok(live::market_feed(
                provider,
                Some(chain.subscribe()),
                period,
            )?)
        }
        other => Err(ApiError::invalid(
            "live.feed",
            format!("{other:?} is not a feed: market or replay"),
        )),
    }
}

/// Progress of a live run: steps done (a live run has no known total).
fn progress() -> (watch::Receiver<(usize, usize)>, Progress) {
    let (tx, rx) = watch::channel((0, 0));
    let on_progress: Progress = Box::new(move |done, total| {
        tx.send_replace((done, total));
    });
    (rx, on_progress)
}

/// Hands the run to the queue's live set and answers with it.
fn adopt(
    state: &AppState,
    handle: RunHandle,
    progress: watch::Receiver<(usize, usize)>,
) -> RunView {
    let view = RunView::of(&handle.run);
    state.queue.adopt(
        state.runner.clone(),
        handle,
        progress,
        std::sync::Arc::clone(&state.metrics),
    );
    view
}
