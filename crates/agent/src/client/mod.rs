//! An OpenAI-compatible chat-completions client over reqwest: one `POST
//! {base}/chat/completions` per call, retried on 408/409/429/5xx, timeouts and lost
//! connections (see [`retry`]), with at most `concurrency` calls in flight.

pub mod retry;
pub mod types;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;
pub use types::{CallRequest, ChatRequest, Message, Reply, Tokens};

/// An API key read from the environment. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key in environment variable `var`, when set and not empty.
    pub fn from_env(var: &str) -> Option<ApiKey> {
        std::env::var(var)
            .ok()
            .filter(|k| !k.trim().is_empty())
            .map(|k| ApiKey(k.trim().to_string()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

/// Why a call failed for good (after its retries).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The server answered an error status.
    #[error("the model server answered {status}: {message} (after {retries} retries)")]
    Status {
        /// HTTP status.
        status: u16,
        /// The error body's `error.message`, or the start of the body.
        message: String,
        /// Retries made.
        retries: u32,
    },
    /// No answer within the timeout.
    #[error("the model call timed out after {secs} s (after {retries} retries)")]
    Timeout {
        /// The timeout, in seconds.
        secs: f64,
        /// Retries made.
        retries: u32,
    },
    /// The server could not be reached or the connection broke.
    #[error("cannot reach the model server at {url}: {message} (after {retries} retries)")]
    Transport {
        /// The URL called.
        url: String,
        /// What failed.
        message: String,
        /// Retries made.
        retries: u32,
    },
    /// The server answered 200 with a body that is not JSON.
    #[error("the model server's answer is not JSON: {message}")]
    BadBody {
        /// What the parser said, and the start of the body.
        message: String,
        /// Retries made.
        retries: u32,
    },
}

impl ClientError {
    /// Retries made before giving up.
    pub fn retries(&self) -> u32 {
        match self {
            ClientError::Status { retries, .. }
            | ClientError::Timeout { retries, .. }
            | ClientError::Transport { retries, .. }
            | ClientError::BadBody { retries, .. } => *retries,
        }
    }
}

/// What one successful call brought back.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// The response body as received.
    pub body: Value,
    /// Time from the first attempt to the answer, retries included.
    pub latency: Duration,
    /// Retries made.
    pub retries: u32,
}

/// How the client calls: where, with which key, how patiently.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URL ending in `/v1`.
    pub base_url: String,
    /// Key sent as `Authorization: Bearer`, if any (local servers need none).
    pub key: Option<ApiKey>,
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff delay.
    pub backoff: Duration,
    /// Calls in flight at most.
    pub concurrency: usize,
}

/// The chat-completions client. Cheap to clone (shared connection pool and bound).
#[derive(Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    url: Arc<str>,
    auth: Option<HeaderValue>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    limit: Arc<Semaphore>,
}

impl fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatClient")
            .field("url", &self.url)
            .field("key", &self.auth.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

impl ChatClient {
    /// A client for `config`; fails only when the HTTP stack cannot start (no TLS
    /// roots) or the key holds characters a header cannot.
    pub fn new(config: ClientConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        let auth = match &config.key {
            Some(ApiKey(k)) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {k}"))
                    .map_err(|_| "the API key holds characters a header cannot".to_string())?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        Ok(ChatClient {
            http,
            url: format!("{}/chat/completions", config.base_url.trim_end_matches('/')).into(),
            auth,
            timeout: config.timeout,
            retries: config.retries,
            backoff: config.backoff,
            limit: Arc::new(Semaphore::new(config.concurrency.max(1))),
        })
    }

    /// Sends `request`, retrying as [`retry`] says; each attempt holds one of the
    /// `concurrency` permits while it is in flight (not while it waits to retry).
    pub async fn complete(&self, request: &ChatRequest) -> Result<Response, ClientError> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::BadBody {
            message: format!("the request cannot be written: {e}"),
            retries: 0,
        })?;
        let start = Instant::now();
        let mut retries = 0u32;
        loop {
            let (error, wait) = match self.attempt(&body).await {
                Attempt::Done(body) => {
                    return Ok(Response {
                        body,
                        latency: start.elapsed(),
                        retries,
                    });
                }
                Attempt::Fatal(e) => return Err(e(retries)),
                Attempt::Again(e, hint) => (e, hint),
            };
            if retries >= self.retries {
                return Err(error(retries));
            }
            let wait =
                wait.unwrap_or_else(|| retry::backoff(self.backoff, retries, retry::jitter()));
            tracing::debug!(
                retry = retries + 1,
                wait_ms = wait.as_millis() as u64,
                "retrying model call"
            );
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt(&self, body: &[u8]) -> Attempt {
        let Ok(_permit) = self.limit.acquire().await else {
            return Attempt::Fatal(self.transport("the client is shut down".into()));
        };
        let mut req = self
            .http
            .post(&*self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Again(self.timed_out(), None),
            Err(e) => return Attempt::Again(self.transport(describe(&e)), None),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => return Attempt::Again(self.timed_out(), None),
            Err(e) => return Attempt::Again(self.transport(describe(&e)), None),
        };
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => Attempt::Done(v),
                Err(e) => {
                    let message = format!("{e}; body starts {:?}", start_of(&bytes));
                    Attempt::Fatal(Box::new(move |retries| ClientError::BadBody {
                        message: message.clone(),
                        retries,
                    }))
                }
            };
        }
        let message = error_message(&bytes);
        let failed: ErrorAt = Box::new(move |retries| ClientError::Status {
            status,
            message: message.clone(),
            retries,
        });
        if retry::should_retry(status, &headers) {
            Attempt::Again(failed, retry::server_hint(&headers, SystemTime::now()))
        } else {
            Attempt::Fatal(failed)
        }
    }

    fn timed_out(&self) -> ErrorAt {
        let secs = self.timeout.as_secs_f64();
        Box::new(move |retries| ClientError::Timeout { secs, retries })
    }

    fn transport(&self, message: String) -> ErrorAt {
        let url = self.url.to_string();
        Box::new(move |retries| ClientError::Transport {
            url: url.clone(),
            message: message.clone(),
            retries,
        })
    }
}

/// An error waiting for its retry count.
type ErrorAt = Box<dyn Fn(u32) -> ClientError + Send + Sync>;

enum Attempt {
    Done(Value),
    Again(ErrorAt, Option<Duration>),
    Fatal(ErrorAt),
}

/// The error and its causes in one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn start_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(120)]).into_owned()
}

/// `error.message` of an OpenAI-style error body, else the start of the body.
fn error_message(bytes: &[u8]) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| start_of(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let key = ApiKey("sk-secret-123".into());
        assert!(!format!("{key:?}").contains("sk-secret"));
        let client = ChatClient::new(ClientConfig {
            base_url: "http://127.0.0.1:9/v1".into(),
            key: Some(key),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Duration::ZERO,
            concurrency: 1,
        })
        .unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("sk-secret"), "{text}");
        assert!(text.contains("<hidden>"), "{text}");
    }

    #[test]
    fn reads_the_error_message_of_an_openai_error_body() {
        let body = br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":null}}"#;
        assert_eq!(error_message(body), "Rate limit reached");
        assert_eq!(error_message(b"<html>oops"), "<html>oops");
    }
}
