//! The agent's settings, read from and written to the decider's `key=value` parameters
//! (so a model and each run's snapshot store them). The API key itself is never a
//! setting: only the *name* of the environment variable holding it.

use jiff::civil::Date;
use std::path::PathBuf;
use std::time::Duration;
use tradelab_engine::strategies::StrategyError;

/// Name of the decider in the registry and in error messages.
pub const STRATEGY: &str = "llm";

/// How the agent is asked at a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Up to `max_steps` model calls with tools over the whole universe (daily bars).
    Loop,
    /// One structured answer per symbol (intraday bars).
    Decision,
    /// Loop for daily bars, decision for intraday, judged by the bar spacing.
    Auto,
}

/// Whether exchanges with the model are kept, and where answers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Ask the model; keep nothing beyond the decision trace.
    Live,
    /// Ask the model and keep every exchange (trace, and the recordings file if set).
    Record,
    /// Answer from recordings only: no network, no cost.
    Replay,
}

/// Everything that configures the LLM decider. See [`LlmSettings::from_params`] for
/// the parameter names.
#[derive(Clone, Debug, PartialEq)]
pub struct LlmSettings {
    /// OpenAI-compatible base URL ending in `/v1`.
    pub base_url: String,
    /// The model name sent in each request.
    pub model: String,
    /// Name of the environment variable holding the API key (read when the decider is
    /// built; the key is never stored).
    pub api_key_env: String,
    /// Extra request fields (`temperature`, `max_tokens`, `reasoning_effort`, …),
    /// passed through to the request body in this order.
    pub params: Vec<(String, serde_json::Value)>,
    /// Time allowed for one HTTP call.
    pub timeout: Duration,
    /// Retries of a failed call (429, 5xx, timeouts) before the step holds.
    pub retries: u32,
    /// First backoff delay between retries (doubled each time, with jitter).
    pub backoff: Duration,
    /// Symbols asked in parallel at one step (decision style).
    pub concurrency: usize,
    /// Ask every N steps.
    pub every: usize,
    /// Model calls per step in the loop style.
    pub max_steps: usize,
    /// Loop, decision or auto.
    pub style: Style,
    /// Stop the run once the model calls cost more than this (US dollars).
    pub max_cost_usd: Option<f64>,
    /// Stop the run once the model calls used more tokens than this.
    pub max_tokens: Option<u64>,
    /// The model's knowledge cutoff, when given (else see [`LlmSettings::cutoff`]).
    pub knowledge_cutoff: Option<Date>,
    /// Hide symbols, dates and price levels from the model.
    pub anonymize: bool,
    /// Live, record or replay.
    pub mode: Mode,
    /// JSONL file of recorded exchanges (appended in record mode, read in replay).
    pub recordings: Option<PathBuf>,
    /// TOML file overriding the built-in price table.
    pub prices: Option<PathBuf>,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            params: Vec::new(),
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
            concurrency: 4,
            every: 1,
            max_steps: 8,
            style: Style::Auto,
            max_cost_usd: None,
            max_tokens: None,
            knowledge_cutoff: None,
            anonymize: false,
            mode: Mode::Live,
            recordings: None,
            prices: None,
        }
    }
}

/// The parameters the decider accepts, with defaults and help, as listed to people.
pub const PARAMS: &[(&str, &str, &str)] = &[
    (
        "base_url",
        "https://api.openai.com/v1",
        "OpenAI-compatible endpoint ending in /v1",
    ),
    ("model", "gpt-4o-mini", "model name sent in each request"),
    (
        "api_key_env",
        "OPENAI_API_KEY",
        "environment variable holding the API key (the key is never stored)",
    ),
    (
        "param.NAME",
        "",
        "extra request field, e.g. param.temperature=0.2 (numbers and booleans parsed)",
    ),
    ("timeout", "60", "seconds allowed for one model call"),
    (
        "retries",
        "3",
        "retries of a failed call before the step holds",
    ),
    (
        "backoff_ms",
        "500",
        "first delay between retries, in milliseconds",
    ),
    ("concurrency", "4", "symbols asked in parallel at one step"),
    ("every", "1", "ask every N bars"),
    ("max_steps", "8", "model calls per step in the loop style"),
    (
        "style",
        "auto",
        "loop (tools, daily), decision (one answer per symbol, intraday) or auto",
    ),
    ("max_cost", "", "stop the run past this cost in US dollars"),
    ("max_tokens", "", "stop the run past this many tokens"),
    (
        "knowledge_cutoff",
        "",
        "the model's knowledge cutoff date (default: known models' table)",
    ),
    (
        "anonymize",
        "false",
        "hide symbols, dates and price levels from the model",
    ),
    ("mode", "live", "live, record or replay"),
    ("recordings", "", "JSONL file of recorded exchanges"),
    ("prices", "", "TOML file overriding the model price table"),
];

fn invalid(message: String) -> StrategyError {
    StrategyError::Invalid {
        strategy: STRATEGY.into(),
        message,
    }
}

fn bad(key: &str, value: &str, expected: &str) -> StrategyError {
    invalid(format!("{key} ({value}) is not {expected}"))
}

fn whole<T: std::str::FromStr>(key: &str, value: &str, min: u64) -> Result<T, StrategyError> {
    match value.trim().parse::<u64>() {
        Ok(n) if n >= min => value
            .trim()
            .parse()
            .map_err(|_| bad(key, value, "a whole number in range")),
        Ok(_) => Err(bad(
            key,
            value,
            &format!("a whole number of at least {min}"),
        )),
        Err(_) => Err(bad(key, value, "a whole number")),
    }
}

fn positive(key: &str, value: &str) -> Result<f64, StrategyError> {
    match value.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(bad(key, value, "a positive number")),
    }
}

fn boolean(key: &str, value: &str) -> Result<bool, StrategyError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(bad(key, value, "true or false")),
    }
}

/// A pass-through request value: a JSON literal (number, boolean, quoted string,
/// object, array) when the text is one, else the text as a string.
fn request_value(text: &str) -> serde_json::Value {
    let t = text.trim();
    match serde_json::from_str::<serde_json::Value>(t) {
        Ok(v) if !v.is_null() => v,
        _ => serde_json::Value::String(text.to_string()),
    }
}

/// The text that [`request_value`] reads back as `value`.
fn request_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if request_value(s) == *value => s.clone(),
        other => other.to_string(),
    }
}

impl LlmSettings {
    /// Reads settings from the decider's parameters; missing ones take their defaults.
    /// Every problem is named by key and value; all of them are reported at once.
    pub fn from_params(params: &[(String, String)]) -> Result<Self, StrategyError> {
        let mut s = LlmSettings::default();
        let mut problems = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in params {
            if seen.contains(&key.as_str()) {
                problems.push(format!("{key} is given more than once"));
                continue;
            }
            seen.push(key);
            if let Err(e) = s.set(key, value) {
                problems.push(match e {
                    StrategyError::Invalid { message, .. } => message,
                    other => other.to_string(),
                });
            }
        }
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(invalid(problems.join("; ")))
        }
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        let v = value.trim();
        let optional_path = |v: &str| (!v.is_empty()).then(|| PathBuf::from(v));
        match key {
            "base_url" => {
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(bad(key, value, "an http:// or https:// URL"));
                }
                self.base_url = v.trim_end_matches('/').to_string();
            }
            "model" if !v.is_empty() => self.model = v.to_string(),
            "model" => return Err(bad(key, value, "a model name")),
            "api_key_env" => {
                let ok = !v.is_empty()
                    && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !v.starts_with(|c: char| c.is_ascii_digit());
                if !ok {
                    return Err(bad(
                        key,
                        value,
                        "an environment variable name (letters, digits, _)",
                    ));
                }
                self.api_key_env = v.to_string();
            }
            "timeout" => self.timeout = Duration::from_secs_f64(positive(key, value)?),
            "retries" => self.retries = whole(key, value, 0)?,
            "backoff_ms" => self.backoff = Duration::from_millis(whole(key, value, 0)?),
            "concurrency" => self.concurrency = whole(key, value, 1)?,
            "every" => self.every = whole(key, value, 1)?,
            "max_steps" => self.max_steps = whole(key, value, 1)?,
            "style" => {
                self.style = match v {
                    "loop" => Style::Loop,
                    "decision" => Style::Decision,
                    "auto" => Style::Auto,
                    _ => return Err(bad(key, value, "loop, decision or auto")),
                }
            }
            "max_cost" => {
                self.max_cost_usd = (!v.is_empty()).then(|| positive(key, value)).transpose()?
            }
            "max_tokens" => {
                self.max_tokens = (!v.is_empty()).then(|| whole(key, value, 1)).transpose()?
            }
            "knowledge_cutoff" => {
                self.knowledge_cutoff = if v.is_empty() || v == "unknown" {
                    None
                } else {
                    Some(
                        v.parse::<Date>()
                            .map_err(|_| bad(key, value, "a date YYYY-MM-DD"))?,
                    )
                }
            }
            "anonymize" => self.anonymize = boolean(key, value)?,
            "mode" => {
                self.mode = match v {
                    "live" => Mode::Live,
                    "record" => Mode::Record,
                    "replay" => Mode::Replay,
                    _ => return Err(bad(key, value, "live, record or replay")),
                }
            }
            "recordings" => self.recordings = optional_path(v),
            "prices" => self.prices = optional_path(v),
            _ => match key.strip_prefix("param.") {
                Some(name) if !name.is_empty() => {
                    if ["model", "messages", "tools", "tool_choice"].contains(&name) {
                        return Err(invalid(format!(
                            "{key} cannot be set: the agent writes {name} itself"
                        )));
                    }
                    self.params.push((name.to_string(), request_value(value)));
                }
                _ => {
                    let known: Vec<&str> = PARAMS.iter().map(|p| p.0).collect();
                    return Err(invalid(format!(
                        "unknown parameter {key:?}; known parameters: {}",
                        known.join(", ")
                    )));
                }
            },
        }
        Ok(())
    }

    /// The settings as `key=value` parameters, every key written, that
    /// [`LlmSettings::from_params`] reads back to the same settings. Holds no key.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut out: Vec<(String, String)> = vec![
            ("base_url".into(), self.base_url.clone()),
            ("model".into(), self.model.clone()),
            ("api_key_env".into(), self.api_key_env.clone()),
            ("timeout".into(), self.timeout.as_secs_f64().to_string()),
            ("retries".into(), self.retries.to_string()),
            ("backoff_ms".into(), self.backoff.as_millis().to_string()),
            ("concurrency".into(), self.concurrency.to_string()),
            ("every".into(), self.every.to_string()),
            ("max_steps".into(), self.max_steps.to_string()),
            (
                "style".into(),
                match self.style {
                    Style::Loop => "loop",
                    Style::Decision => "decision",
                    Style::Auto => "auto",
                }
                .into(),
            ),
            (
                "max_cost".into(),
                opt(self.max_cost_usd.map(|c| c.to_string())),
            ),
            (
                "max_tokens".into(),
                opt(self.max_tokens.map(|c| c.to_string())),
            ),
            (
                "knowledge_cutoff".into(),
                opt(self.knowledge_cutoff.map(|d| d.to_string())),
            ),
            ("anonymize".into(), self.anonymize.to_string()),
            (
                "mode".into(),
                match self.mode {
                    Mode::Live => "live",
                    Mode::Record => "record",
                    Mode::Replay => "replay",
                }
                .into(),
            ),
            (
                "recordings".into(),
                opt(self.recordings.as_ref().map(|p| p.display().to_string())),
            ),
            (
                "prices".into(),
                opt(self.prices.as_ref().map(|p| p.display().to_string())),
            ),
        ];
        for (name, value) in &self.params {
            out.push((format!("param.{name}"), request_text(value)));
        }
        out
    }

    /// The model's knowledge cutoff: the one given, else the built-in table's for
    /// well-known model names, else unknown (`None`).
    pub fn cutoff(&self) -> Option<Date> {
        self.knowledge_cutoff.or_else(|| known_cutoff(&self.model))
    }
}

/// Knowledge cutoffs of well-known models, as their makers published them. Matched on
/// the model name without a provider prefix (`openai/`) or a date suffix.
const CUTOFFS: &[(&str, (i16, i8, i8))] = &[
    ("gpt-4o-mini", (2023, 10, 1)),
    ("gpt-4o", (2023, 10, 1)),
    ("gpt-4.1-nano", (2024, 6, 1)),
    ("gpt-4.1-mini", (2024, 6, 1)),
    ("gpt-4.1", (2024, 6, 1)),
    ("o3-mini", (2023, 10, 1)),
    ("o4-mini", (2024, 6, 1)),
    ("gpt-5-nano", (2024, 5, 31)),
    ("gpt-5-mini", (2024, 5, 31)),
    ("gpt-5", (2024, 9, 30)),
    ("claude-3-5-sonnet", (2024, 4, 1)),
    ("claude-3-5-haiku", (2024, 7, 1)),
    ("llama3.1", (2023, 12, 1)),
    ("llama3.2", (2023, 12, 1)),
];

/// The model name without a provider prefix or a `-YYYY-MM-DD` date suffix, so that
/// `openai/gpt-4o-2024-08-06` is looked up as `gpt-4o`.
pub(crate) fn base_model_name(model: &str) -> &str {
    let name = model.rsplit('/').next().unwrap_or(model);
    let name = name.split(':').next().unwrap_or(name);
    let b = name.as_bytes();
    if b.len() > 11 {
        let tail = &name[name.len() - 11..];
        let t = tail.as_bytes();
        let dated = t[0] == b'-'
            && t[5] == b'-'
            && t[8] == b'-'
            && tail[1..]
                .bytes()
                .enumerate()
                .all(|(k, c)| k == 4 || k == 7 || c.is_ascii_digit());
        if dated {
            return &name[..name.len() - 11];
        }
    }
    name
}

fn known_cutoff(model: &str) -> Option<Date> {
    let name = base_model_name(model);
    CUTOFFS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, (y, m, d))| Date::new(*y, *m, *d).ok())
}

#[cfg(test)]
mod tests;
