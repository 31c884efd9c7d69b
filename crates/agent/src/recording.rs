//! Record and replay of model exchanges. Each exchange is keyed by the SHA-256 of the
//! canonical JSON (object keys sorted, no spaces) of the request as sent: model,
//! messages, tools and parameters. Recording keeps the response body as received, so
//! a replay reads exactly what the model said and the run's events come out the same.
//!
//! Recordings live in the decision traces (`inputs.exchanges`) of a recorded run, and
//! in a JSONL file (one [`Exchange`] a line) when one is named.

use crate::client::ChatRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use tradelab_engine::DecisionTrace;

/// One model call and its outcome, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The request's hash ([`exchange_key`]).
    pub key: String,
    /// The response body, when the call succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// Why the call failed for good, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the call took when recorded.
    #[serde(default)]
    pub latency_ms: u64,
    /// Retries it needed when recorded.
    #[serde(default)]
    pub retries: u32,
}

/// The SHA-256 (hex) of the request's canonical JSON.
pub fn exchange_key(request: &ChatRequest) -> String {
    let value = serde_json::to_value(request).unwrap_or(Value::Null);
    let mut text = String::with_capacity(4096);
    canonical(&value, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    hex
}

/// Writes `v` as JSON with object keys sorted, whatever map the JSON library uses.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (k, key) in keys.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Why recordings cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file cannot be opened, read or written.
    #[error("recordings {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not an exchange.
    #[error("recordings {path}:{line}: not a recorded exchange: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What the parser said.
        message: String,
    },
}

/// Recorded exchanges by key, answered in the order they were recorded (the last one
/// again when a key is asked more often than it was recorded).
///
/// Exchanges taken from a parent run's decision traces are answered by step instead:
/// the replay's k-th asked step gets the parent's k-th step's answers, in order,
/// whatever it asks. A replay with other rules shows the model other rules (and, as
/// they bite, another portfolio), so its requests differ from the parent's; it is the
/// parent's decisions that it replays, under its own rules.
#[derive(Clone, Debug, Default)]
pub struct Recordings {
    by_key: HashMap<String, VecDeque<Exchange>>,
    last: HashMap<String, Exchange>,
    /// The parent's exchanges per asked step, when taken from its traces.
    by_step: Vec<VecDeque<Exchange>>,
    count: usize,
}

impl Recordings {
    /// Adds one exchange.
    pub fn add(&mut self, exchange: Exchange) {
        self.count += 1;
        self.by_key
            .entry(exchange.key.clone())
            .or_default()
            .push_back(exchange);
    }

    /// Number of exchanges added.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The recorded answer to the request keyed `key`.
    pub fn take(&mut self, key: &str) -> Option<Exchange> {
        if let Some(e) = self.by_key.get_mut(key).and_then(VecDeque::pop_front) {
            self.last.insert(key.to_string(), e.clone());
            return Some(e);
        }
        self.last.get(key).cloned()
    }

    /// The answer at the asked step `step` (from 0) to the request keyed `key`: the
    /// parent's next answer at that step when the recordings come from a parent's
    /// traces, else the answer recorded for the key.
    pub fn answer(&mut self, key: &str, step: usize) -> Option<Exchange> {
        if self.by_step.is_empty() {
            return self.take(key);
        }
        self.by_step.get_mut(step).and_then(VecDeque::pop_front)
    }

    /// Reads a JSONL file of exchanges (blank lines skipped).
    pub fn load_jsonl(&mut self, path: &Path) -> Result<(), RecordingError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecordingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        for (k, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let e: Exchange = serde_json::from_str(line).map_err(|e| RecordingError::Line {
                path: path.to_path_buf(),
                line: k + 1,
                message: e.to_string(),
            })?;
            self.add(e);
        }
        Ok(())
    }

    /// Takes the exchanges recorded in decision traces (`inputs.exchanges`), in order.
    /// One trace per asked step of the parent, in order; they are answered by step
    /// ([`Recordings::answer`]).
    pub fn add_traces(&mut self, traces: &[DecisionTrace]) {
        let mut steps = Vec::with_capacity(traces.len());
        for trace in traces {
            let mut step = VecDeque::new();
            let list = trace.inputs.get("exchanges").and_then(Value::as_array);
            for item in list.into_iter().flatten() {
                if let Ok(e) = serde_json::from_value::<Exchange>(item.clone()) {
                    self.add(e.clone());
                    step.push_back(e);
                }
            }
            steps.push(step);
        }
        if steps.iter().any(|s| !s.is_empty()) {
            self.by_step = steps;
        }
    }
}

/// A JSONL file exchanges are appended to, one a line, flushed after each step.
pub struct RecordingFile {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl RecordingFile {
    /// Opens `path` for appending (creating it).
    pub fn append(path: &Path) -> Result<Self, RecordingError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| RecordingError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(RecordingFile {
            path: path.to_path_buf(),
            out: std::io::BufWriter::new(file),
        })
    }

    /// Appends exchanges and flushes them to the file.
    pub fn write(&mut self, exchanges: &[Exchange]) -> Result<(), RecordingError> {
        let io = |source| RecordingError::Io {
            path: self.path.clone(),
            source,
        };
        for e in exchanges {
            let line = serde_json::to_string(e).map_err(|e| io(std::io::Error::other(e)))?;
            self.out.write_all(line.as_bytes()).map_err(io)?;
            self.out.write_all(b"\n").map_err(io)?;
        }
        self.out.flush().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Message;
    use serde_json::{Map, json};

    fn request(temperature: f64) -> ChatRequest {
        let mut params = Map::new();
        params.insert("temperature".into(), json!(temperature));
        ChatRequest {
            model: "m".into(),
            messages: vec![Message::user("hi")],
            tools: vec![
                json!({"type":"function","function":{"name":"f","parameters":{"b":1,"a":2}}}),
            ],
            tool_choice: None,
            response_format: None,
            params,
        }
    }

    #[test]
    fn the_key_depends_on_every_part_of_the_request_and_not_on_key_order() {
        let a = exchange_key(&request(0.1));
        assert_eq!(a.len(), 64);
        assert_eq!(a, exchange_key(&request(0.1)));
        assert_ne!(a, exchange_key(&request(0.2)));
        let mut s1 = String::new();
        canonical(&json!({"b":1,"a":[{"d":1,"c":2}]}), &mut s1);
        assert_eq!(s1, r#"{"a":[{"c":2,"d":1}],"b":1}"#);
    }

    #[test]
    fn recordings_answer_in_recorded_order_then_repeat_the_last() {
        let mut r = Recordings::default();
        for n in 0..2 {
            r.add(Exchange {
                key: "k".into(),
                response: Some(json!(n)),
                error: None,
                latency_ms: 0,
                retries: 0,
            });
        }
        assert_eq!(r.take("k").unwrap().response, Some(json!(0)));
        assert_eq!(r.take("k").unwrap().response, Some(json!(1)));
        assert_eq!(r.take("k").unwrap().response, Some(json!(1)));
        assert!(r.take("other").is_none());
    }

    #[test]
    fn a_file_round_trips_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        let e = Exchange {
            key: "abc".into(),
            response: None,
            error: Some("timed out".into()),
            latency_ms: 5,
            retries: 2,
        };
        RecordingFile::append(&path)
            .unwrap()
            .write(std::slice::from_ref(&e))
            .unwrap();
        let mut r = Recordings::default();
        r.load_jsonl(&path).unwrap();
        assert_eq!(r.take("abc"), Some(e));
        std::fs::write(&path, "{\"key\":\"a\"}\nnot json\n").unwrap();
        let err = Recordings::default().load_jsonl(&path).unwrap_err();
        assert!(err.to_string().contains("rec.jsonl:2"), "{err}");
    }
}
