//! Liveness, readiness (the database answers) and the metrics page.

use crate::auth::identify;
use crate::error::ApiError;
use crate::metrics::Gauges;
use crate::openapi as doc;
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::Duration;

/// The process answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    pub status: &'static str,
}

/// The database answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Always `ready`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// `GET /api/v1/health`: the process answers.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "health",
    security(()),
    responses((status = 200, description = "The process answers", body = Liveness))
)]
pub async fn live() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /api/v1/health/ready`: the database answers a query now (503 with the reason
/// when it does not).
#[utoipa::path(
    get,
    path = "/api/v1/health/ready",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "The database answers", body = Readiness),
        (status = 503, response = doc::Unavailable),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Json(Readiness {
            status: "ready",
            database: state.store.backend().to_string(),
        })
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
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
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
