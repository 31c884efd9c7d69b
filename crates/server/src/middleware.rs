//! What every response goes through: a request id (taken from `x-request-id` or made,
//! echoed back and logged), security headers, and the request counted by route.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request id the client sent, if it is short printable text; else a new one.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 12];
            rand::fill(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
}

/// Request id, logging span, security headers and metrics around every request.
pub async fn around(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    span.in_scope(|| tracing::info!(status, ms = secs * 1000.0, "answered"));
    state.metrics.request(&method, &route, status, secs);
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(REQUEST_ID, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// CORS for the configured origins (credentials allowed, so cookies work from those
/// pages); `None` (CORS off: browsers refuse cross-origin reads) when none are set or
/// none parses.
pub fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::Method;
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| match HeaderValue::from_str(o.trim_end_matches('/')) {
            Ok(v) => Some(v),
            Err(_) => {
                tracing::warn!(origin = %o, "ignoring a CORS origin that is not a header value");
                None
            }
        })
        .collect();
    if allowed.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(allowed)
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static(crate::auth::CSRF_HEADER),
                REQUEST_ID,
            ])
            .expose_headers([REQUEST_ID]),
    )
}
