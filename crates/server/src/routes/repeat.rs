//! Repeated runs (`tradelab runs start MODEL --repeat N` over HTTP): a start with
//! `repeat` queues N identical runs, so that `GET /runs/spread` can tell how much of
//! a result is chance.

use super::runs::{RunView, enqueue};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use tradelab_runner::StartRun;

/// The most runs one start queues.
pub const MAX_REPEAT: usize = 20;

/// The runs queued by one start with `repeat` above 1, in the order queued.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct RepeatedRuns {
    pub runs: Vec<RunView>,
}

/// What starting runs answers: the run, or with `repeat` above 1 every queued run.
#[derive(Serialize, Debug, utoipa::ToSchema)]
#[serde(untagged)]
pub enum StartedRuns {
    One(Box<RunView>),
    Repeated(RepeatedRuns),
}

/// The runs a start asks for: `repeat` when 1 to [`MAX_REPEAT`], 1 when absent.
pub fn repeat_count(repeat: Option<i64>) -> ApiResult<usize> {
    let Some(n) = repeat else { return Ok(1) };
    usize::try_from(n)
        .ok()
        .filter(|k| (1..=MAX_REPEAT).contains(k))
        .ok_or_else(|| {
            ApiError::invalid(
                "repeat",
                format!("repeat must be 1 to {MAX_REPEAT}, not {n}"),
            )
        })
}

/// Queues `times` identical runs: 202 with all of them. The queue must have room for
/// all of them first; should it refuse one on the way (it filled up, an emergency
/// stop), the answer names the runs queued before.
pub async fn queue_repeated(
    state: &AppState,
    run: StartRun,
    times: usize,
) -> ApiResult<(StatusCode, HeaderMap, Json<StartedRuns>)> {
    let room = state.queue.room();
    if room < times {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "the queue has room for {room} run(s), not the {times} asked for; try again later"
            ),
        )
        .with_field("repeat")
        .retry_after(10));
    }
    let mut runs = Vec::with_capacity(times);
    for _ in 0..times {
        let queued = match state.runner.queue(run.clone()).await {
            Ok(q) => q,
            Err(e) => return Err(after_queued(e.into(), &runs)),
        };
        match enqueue(state, queued).await {
            Ok(r) => runs.push(RunView::of(&r)),
            Err(e) => return Err(after_queued(e, &runs)),
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        HeaderMap::new(),
        Json(StartedRuns::Repeated(RepeatedRuns { runs })),
    ))
}

/// `e` with the runs already queued named, when there are any.
fn after_queued(e: ApiError, queued: &[RunView]) -> ApiError {
    if queued.is_empty() {
        return e;
    }
    let ids: Vec<String> = queued.iter().map(|r| r.id.to_string()).collect();
    e.with_detail_suffix(&format!(
        " (runs {} were queued before this one)",
        ids.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_is_one_to_twenty_and_one_when_absent() {
        assert_eq!(repeat_count(None), Ok(1));
        assert_eq!(repeat_count(Some(1)), Ok(1));
        assert_eq!(repeat_count(Some(20)), Ok(20));
        for bad in [0, 21, -3] {
            let e = repeat_count(Some(bad)).expect_err("out of range");
            assert_eq!(e.field.as_deref(), Some("repeat"));
            assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}
