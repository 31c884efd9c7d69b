//! Liveness, readiness (the database answers) and the metrics page.

use crate::auth::identify;
use crate::error::ApiError;
use crate::metrics::Gauges;
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

/// `GET /api/v1/health`: the process answers.
pub async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /api/v1/health/ready`: the database answers a query now (503 with the reason
/// when it does not).
pub async fn ready(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Json(json!({
            "status": "ready",
            "database": state.store.backend().to_string(),
        }))
        .into_response(),
        Ok(Err(e)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database does not answer: {e}"),
        )
        .retry_after(5)
        .into_response(),
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the database did not answer within {} s",
                READY_TIMEOUT.as_secs()
            ),
        )
        .retry_after(5)
        .into_response(),
    }
}

/// `GET /metrics`: Prometheus text, for loopback clients or an admin's credentials.
pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !peer.ip().is_loopback() {
        let caller = identify(&headers, &method, &state).await?;
        match caller {
            Some(c) if c.is_admin() => {}
            Some(_) => return Err(ApiError::forbidden("/metrics is for admins")),
            None => {
                return Err(ApiError::unauthorized(
                    "/metrics answers loopback clients, or an admin's token",
                ));
            }
        }
    }
    let page = state.metrics.render(&Gauges {
        queue_depth: state.queue.depth(),
        running: state.queue.running(),
        emergency_stop: state.queue.emergency_stopped(),
    });
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    Ok(response)
}
