//! `GET /api/v1/runs/{id}/stream`: a run as Server-Sent Events.
//!
//! The subscriber first gets the run's stored rows (from the start, or after the
//! `Last-Event-ID` header's seq), then the rows the run writes while it goes, then a
//! final `end` with the run's status. Rows carry their seq as the SSE id, so a client
//! that reconnects with `Last-Event-ID` continues without a gap or a repeat.
//!
//! How stored and live meet: the stream subscribes to the run's live broadcast first,
//! then forwards rows from the store by cursor (the seq of the last row sent) each
//! time the run's committed mark moves (`RunWatcher::committed`): every row up to
//! the mark is stored, so paging after the cursor never skips one and never repeats
//! one. The broadcast supplies what is not a row: equity points (a few per second),
//! and a subscriber that lags behind it is cut off (it reconnects with its last id),
//! never the run. Progress comes from the queue, a few times a second.

use super::parse_id;
use super::run_audit::{entry_json, equity_text, page};
use super::runs::owned_run;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::rfc3339;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tradelab_engine::RunEvent;
use tradelab_runner::TRAIL_ENDED;
use tradelab_store::{
    AuditEvent, EventFilter, MAX_PAGE_LIMIT, OrderStatus, PageRequest, RunId, UserId,
};

/// Least time between two `progress` events.
const PROGRESS_EVERY: Duration = Duration::from_millis(300);
/// Least time between two live `equity` events.
const EQUITY_EVERY: Duration = Duration::from_millis(250);
/// How often a run that is queued (or between states) is looked at.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// Events buffered for a slow client before the producer waits.
const BUFFER: usize = 256;

/// The SSE type of a stored row.
pub fn event_type(e: &AuditEvent) -> &'static str {
    match e {
        AuditEvent::Decision(_) => "decision",
        AuditEvent::Order(o) if o.status == OrderStatus::Rejected => "rejection",
        AuditEvent::Order(_) => "order",
        AuditEvent::Fill(_) => "fill",
        AuditEvent::Event(ev) => match ev.kind.as_str() {
            "risk" => "risk",
            "trade_closed" => "trade",
            _ => "event",
        },
    }
}

/// Where the stream is: the client's channel and the seq of the last row sent.
struct Feed {
    tx: mpsc::Sender<Event>,
    state: AppState,
    owner: UserId,
    run: RunId,
    cursor: Option<i64>,
}

/// The client went away: stop producing.
struct Gone;

impl Feed {
    async fn send(&self, event: Event) -> Result<(), Gone> {
        self.tx.send(event).await.map_err(|_| Gone)
    }

    async fn send_json(&self, kind: &str, data: serde_json::Value) -> Result<(), Gone> {
        self.send(Event::default().event(kind).data(data.to_string()))
            .await
    }

    /// Sends every stored row after the cursor, moving it.
    async fn forward_stored(&mut self) -> Result<(), Gone> {
        loop {
            let req = PageRequest {
                limit: MAX_PAGE_LIMIT,
                after: self.cursor,
            };
            let p = match page(
                &self.state,
                self.owner,
                self.run,
                &EventFilter::default(),
                req,
            )
            .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(run = self.run.0, error = %e, "stream: reading the trail failed");
                    return Err(Gone);
                }
            };
            for e in &p.items {
                let event = Event::default()
                    .event(event_type(e))
                    .id(e.seq().to_string())
                    .data(entry_json(e).to_string());
                self.send(event).await?;
                self.cursor = Some(e.seq());
            }
            if p.next_after.is_none() {
                return Ok(());
            }
        }
    }

    /// The stored status of the run, as the `status`/`end` events give it.
    async fn status(&self) -> Result<tradelab_store::Run, Gone> {
        owned_run(&self.state, self.owner, self.run)
            .await
            .map_err(|_| Gone)
    }

    async fn send_status(&self, kind: &str, run: &tradelab_store::Run) -> Result<(), Gone> {
        self.send_json(
            kind,
            json!({
                "status": run.status.as_str(),
                "status_reason": run.status_reason,
                "ended_at": run.ended_at.map(rfc3339),
            }),
        )
        .await
    }

    /// The whole stream: stored rows, live rows while the run goes, `end`.
    async fn run(mut self) -> Result<(), Gone> {
        let mut run = self.status().await?;
        self.send_status("status", &run).await?;
        let mut shown = run.status;
        loop {
            if run.status.is_terminal() {
                self.forward_stored().await?;
                return self.send_status("end", &run).await;
            }
            if let Some(live) = self.state.queue.live(self.run) {
                // Subscribe first; then only what is committed is read from the store.
                let events = live.watcher.subscribe();
                let committed = live.watcher.committed();
                let progress = live.progress.clone();
                drop(live);
                let now = self.status().await?;
                if now.status != shown {
                    self.send_status("status", &now).await?;
                }
                self.follow(events, committed, progress).await?;
                let ended = self.status().await?;
                self.forward_stored().await?;
                return self.send_status("end", &ended).await;
            }
            // Queued, or starting: look again soon.
            if run.status != shown {
                self.send_status("status", &run).await?;
                shown = run.status;
            }
            tokio::time::sleep(POLL_EVERY).await;
            run = self.status().await?;
        }
    }

    /// Follows a running run until its trail is complete (or the run's task is gone).
    async fn follow(
        &mut self,
        mut events: broadcast::Receiver<std::sync::Arc<tradelab_runner::Numbered>>,
        mut committed: tokio::sync::watch::Receiver<i64>,
        mut progress: tokio::sync::watch::Receiver<(usize, usize)>,
    ) -> Result<(), Gone> {
        let mut last_equity: Option<Instant> = None;
        let mut last_progress: Option<(usize, usize)> = None;
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let mut forwarded: Option<i64> = None;
        loop {
            // Everything up to the mark is stored: forward it when it moved.
            let mark = *committed.borrow_and_update();
            if forwarded != Some(mark) {
                self.forward_stored().await?;
                forwarded = Some(mark);
            }
            if mark == TRAIL_ENDED {
                return Ok(());
            }
            tokio::select! {
                changed = committed.changed() => {
                    if changed.is_err() {
                        // The run's task is over: what it wrote is all stored.
                        return Ok(());
                    }
                }
                received = events.recv() => match received {
                    Ok(n) => {
                        if let RunEvent::EquityPoint { ts, equity, invested } = &n.event
                            && last_equity.is_none_or(|t| t.elapsed() >= EQUITY_EVERY)
                        {
                            last_equity = Some(Instant::now());
                            self.send_json("equity", json!({
                                "time": rfc3339(*ts),
                                "equity": equity_text(*equity),
                                "invested": invested,
                            })).await?;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        // Only equity points (sampled anyway) come from the broadcast:
                        // rows come from the store by cursor, so a lag loses none.
                        tracing::debug!(run = self.run.0, missed, "stream: skipped live equity points");
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
                _ = tick.tick() => {
                    let now = *progress.borrow_and_update();
                    if last_progress != Some(now) {
                        last_progress = Some(now);
                        self.send_json("progress", json!({"done": now.0, "total": now.1})).await?;
                    }
                }
            }
        }
    }
}

/// `GET /api/v1/runs/{id}/stream`: the run's events as Server-Sent Events.
///
/// First the stored rows (from the start, or after the `Last-Event-ID` header's
/// seq), then live rows while the run goes, then `end` with the final status. Event
/// types: `status`, `progress`, `decision`, `order`, `rejection`, `fill`, `risk`,
/// `trade`, `event`, `equity`, `end`; each row's SSE id is its seq.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/stream",
    tag = "runs",
    params(
        ("id" = i64, Path, description = "The run's id", minimum = 1),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this seq"),
    ),
    responses(
        (status = 200, description = "An SSE stream; each event's data is a JSON object (a trail row as `GET /runs/{id}/events` gives it, or `status`/`end`: `{status, status_reason, ended_at}`, `progress`: `{done, total}`, `equity`: `{time, equity, invested}`)", content_type = "text/event-stream", body = String),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let run = RunId(parse_id("run", &id)?);
    owned_run(&state, caller.id(), run).await?;
    let cursor = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    crate::error::ApiError::bad_request(
                        "Last-Event-ID must be the seq of an event of this stream",
                    )
                    .with_field("Last-Event-ID")
                })?,
        ),
        None => None,
    };
    let (tx, rx) = mpsc::channel(BUFFER);
    let feed = Feed {
        tx,
        state,
        owner: caller.id(),
        run,
        cursor,
    };
    tokio::spawn(async move {
        // Gone: the client left or was cut off; the channel closing ends the stream.
        let _ = feed.run().await;
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
