//! One HTTP behaviour for every adapter: timeouts, `Retry-After` on 429, backoff on
//! 5xx and dropped connections, and errors that name the provider.

use crate::error::{ProviderError, ProviderErrorKind};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How patient an adapter is with its vendor.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Per request, connection to last byte.
    pub timeout: Duration,
    /// Retries after the first attempt for 429, 5xx, timeouts and dropped connections.
    pub max_retries: u32,
    /// First backoff for 5xx and network errors; doubles each retry.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one is returned as
    /// [`ProviderErrorKind::RateLimited`] at once (a chain fails over instead of waiting).
    pub max_retry_after: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(15),
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// A reply that was not a success, as an adapter's [`Classify`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After` (or `retry-after-ms`), when the reply had one.
    pub retry_after: Option<Duration>,
    /// The body as received.
    pub body: &'a str,
}

/// An adapter's reading of a refusal, before the common rules: `Some(kind)` is the
/// answer and is final (never retried: Binance's 418 is a ban that retries would only
/// lengthen), `None` leaves the reply to the common rules (429 waits and retries, 5xx
/// backs off and retries, 401/403 are unauthorized, other 4xx rejected).
pub type Classify<'c> = &'c (dyn Fn(&Refusal<'_>) -> Option<ProviderErrorKind> + Sync);

/// An HTTP client for one provider.
#[derive(Debug, Clone)]
pub struct Http {
    provider: String,
    client: reqwest::Client,
    config: HttpConfig,
}

impl Http {
    /// A client for `provider` with `config`.
    pub fn new(provider: impl Into<String>, config: HttpConfig) -> Result<Self, ProviderError> {
        let provider = provider.into();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("tradelab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ProviderError::new(&provider, ProviderErrorKind::Network(e.to_string()))
            })?;
        Ok(Http {
            provider,
            client,
            config,
        })
    }

    /// The provider this client speaks for.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// `base` with `segments` appended as path segments, each percent-encoded (a
    /// symbol such as `BRK/B` or `^GSPC` stays one segment). A `base` that is not a URL
    /// is [`ProviderErrorKind::NotConfigured`].
    pub fn url(&self, base: &str, segments: &[&str]) -> Result<String, ProviderError> {
        let not_configured = |why: String| {
            ProviderError::new(
                &self.provider,
                ProviderErrorKind::NotConfigured(format!("base URL {base:?} {why}")),
            )
        };
        let mut url = reqwest::Url::parse(base).map_err(|e| not_configured(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| not_configured("cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url.into())
    }

    /// GETs `url` with `headers` and `query` and reads the JSON body as `T`, retrying
    /// as [`HttpConfig`] says. A body that does not read as `T` is
    /// [`ProviderErrorKind::Malformed`] naming the JSON path where it failed.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        query: &[(&str, String)],
    ) -> Result<T, ProviderError> {
        let body = self.get_text(url, headers, query).await?;
        self.parse_json(&body)
    }

    /// [`Http::get_json`] with the adapter's own reading of refusals first (see
    /// [`Classify`]): a vendor's error body often says more than its status (Binance's
    /// `-1121` "Invalid symbol." comes as a 400, Yahoo's unknown symbol as a 404).
    pub async fn get_json_with<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        query: &[(&str, String)],
        classify: Classify<'_>,
    ) -> Result<T, ProviderError> {
        let body = self.get_text_with(url, headers, query, classify).await?;
        self.parse_json(&body)
    }

    /// Reads `body` as `T`; an error names the JSON path (`bars[3].o`).
    pub fn parse_json<T: DeserializeOwned>(&self, body: &str) -> Result<T, ProviderError> {
        let mut de = serde_json::Deserializer::from_str(body);
        let read: Result<T, _> = serde_path_to_error::deserialize(&mut de);
        match read.map_err(|e| (e.path().to_string(), e.into_inner())) {
            Ok(v) => de
                .end()
                .map(|()| v)
                .map_err(|e| ProviderError::malformed(&self.provider, "(end)", e.to_string())),
            Err((path, e)) => Err(ProviderError::malformed(
                &self.provider,
                path,
                e.to_string(),
            )),
        }
    }

    /// GETs `url` and returns the body of a 2xx answer, retrying 429 (honouring
    /// `Retry-After`), 5xx, timeouts and dropped connections.
    pub async fn get_text(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        query: &[(&str, String)],
    ) -> Result<String, ProviderError> {
        self.get_text_with(url, headers, query, &|_| None).await
    }

    /// [`Http::get_text`] where `classify` reads each refusal (non-2xx reply) first;
    /// what it classifies is returned at once, never retried.
    pub async fn get_text_with(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        query: &[(&str, String)],
        classify: Classify<'_>,
    ) -> Result<String, ProviderError> {
        let mut attempt = 0u32;
        let mut backoff = self.config.backoff;
        loop {
            let (outcome, final_answer) = match self.attempt(url, headers, query, classify).await {
                Ok(body) => (Ok(body), true),
                Err((e, retryable)) => (Err(e), !retryable),
            };
            let wait = match &outcome {
                Err(e) if !final_answer && attempt < self.config.max_retries => match &e.kind {
                    ProviderErrorKind::RateLimited {
                        retry_after: Some(d),
                    } if *d <= self.config.max_retry_after => Some(*d),
                    ProviderErrorKind::RateLimited { retry_after: None } => Some(backoff),
                    ProviderErrorKind::Server { .. }
                    | ProviderErrorKind::Timeout(_)
                    | ProviderErrorKind::Network(_) => Some(backoff),
                    _ => None,
                },
                _ => None,
            };
            match wait {
                Some(d) => {
                    tracing::debug!(provider = %self.provider, attempt, wait_ms = d.as_millis() as u64, "retrying");
                    tokio::time::sleep(d).await;
                    attempt += 1;
                    backoff = backoff.saturating_mul(2);
                }
                None => return outcome,
            }
        }
    }

    /// One request: the body of a 2xx reply, or the error and whether the common
    /// rules may retry it (not when `classify` gave the answer).
    async fn attempt(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        query: &[(&str, String)],
        classify: Classify<'_>,
    ) -> Result<String, (ProviderError, bool)> {
        let mut request = self.client.get(url).query(query);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| (self.transport(e), true))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response
            .text()
            .await
            .map_err(|e| (self.transport(e), true))?;
        if status.is_success() {
            return Ok(body);
        }
        let refusal = Refusal {
            status: status.as_u16(),
            retry_after,
            body: &body,
        };
        if let Some(kind) = classify(&refusal) {
            return Err((ProviderError::new(&self.provider, kind), false));
        }
        let message = error_message(&body);
        let kind = match status {
            StatusCode::TOO_MANY_REQUESTS => ProviderErrorKind::RateLimited { retry_after },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                ProviderErrorKind::Unauthorized(message)
            }
            s if s.is_server_error() => ProviderErrorKind::Server {
                status: s.as_u16(),
                message,
            },
            s => ProviderErrorKind::Rejected {
                status: s.as_u16(),
                message,
            },
        };
        Err((ProviderError::new(&self.provider, kind), true))
    }

    fn transport(&self, e: reqwest::Error) -> ProviderError {
        let kind = if e.is_timeout() {
            ProviderErrorKind::Timeout(self.config.timeout)
        } else {
            ProviderErrorKind::Network(one_line(&e))
        };
        ProviderError::new(&self.provider, kind)
    }
}

/// The error and its sources on one line (reqwest's own text hides the cause).
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Retry-After` as seconds (possibly fractional) or an HTTP date; `retry-after-ms`
/// first when present.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let left = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(left).unwrap_or(Duration::ZERO))
}

/// The vendor's error message from a JSON error body (`message`, `msg`, `error`,
/// `error.message`, `chart.error.description`), else the body's start.
pub(crate) fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let candidates = [
            v.get("message"),
            v.get("msg"),
            v.pointer("/error/message"),
            v.pointer("/chart/error/description"),
            v.get("error"),
        ];
        for c in candidates.into_iter().flatten() {
            if let Some(s) = c.as_str() {
                return s.to_string();
            }
        }
    }
    let trimmed: String = body.trim().chars().take(200).collect();
    if trimmed.is_empty() {
        "(empty body)".to_string()
    } else {
        trimmed
    }
}
