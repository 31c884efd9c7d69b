//! Errors as `application/problem+json` (RFC 9457): a status, a short title, a detail
//! for people and, when one field was wrong, its name.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tradelab_runner::RunnerError;
use tradelab_store::StoreError;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    /// The request field that was wrong (`symbols`, `body.rules[2].params.pct`, …).
    pub field: Option<String>,
    /// Seconds to wait before trying again (429, 503).
    pub retry_after: Option<u64>,
}

/// The body of an error answer (`application/problem+json`, RFC 9457).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status's name, e.g. `Unprocessable Entity`.
    pub title: &'a str,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong, for people.
    pub detail: &'a str,
    /// The request field that was wrong (`symbols`, `body.rules[2].params.pct`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 422: the request is well-formed but a value is not acceptable.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail).with_field(field)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: valid credentials, not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404: the same for an id that does not exist and one that is someone else's.
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} {id} not found"))
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, detail)
    }

    /// 500: something failed on our side; the detail is logged, not shown.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed to answer; the error is in its log",
        )
    }

    /// Adds to the detail (a hint after the reason).
    pub fn with_detail_suffix(mut self, suffix: &str) -> Self {
        self.detail.push_str(suffix);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = Problem {
            kind: "about:blank",
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        let text = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, text).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::Duplicate { .. } | StoreError::Conflict { .. } => {
                ApiError::conflict(e.to_string())
            }
            StoreError::InvalidData { what, .. } => ApiError::invalid(*what, e.to_string()),
            StoreError::Unavailable { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).retry_after(5)
            }
            _ => ApiError::internal(e),
        }
    }
}

impl From<RunnerError> for ApiError {
    fn from(e: RunnerError) -> Self {
        match e {
            RunnerError::Store(s) => s.into(),
            RunnerError::NoBars { .. } | RunnerError::AmbiguousTimeframe { .. } => {
                ApiError::invalid("timeframe", e.to_string())
            }
            RunnerError::NoSymbols { .. } | RunnerError::SymbolNotAllowed { .. } => {
                ApiError::invalid("symbols", e.to_string())
            }
            RunnerError::InvalidModel { .. } => ApiError::invalid("model", e.to_string()),
            RunnerError::WarmStart { .. } => ApiError::invalid("warm_start", e.to_string()),
            RunnerError::InvalidFeed { field, ref message } => {
                ApiError::invalid(format!("live.{field}"), message.clone())
            }
            RunnerError::DataChanged { .. } | RunnerError::NotResumable { .. } => {
                ApiError::conflict(e.to_string())
            }
            RunnerError::Engine { .. } | RunnerError::Writer { .. } => ApiError::internal(e),
        }
    }
}
