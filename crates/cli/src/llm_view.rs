//! The LLM agent's settings of a model as people read them (`models show`) and as
//! programs read them (`--output json`). The API key is never among them: only the
//! name of the environment variable it is read from.

use serde_json::{Map, Value, json};
use tradelab_agent::settings::STRATEGY;
use tradelab_agent::{LlmSettings, Mode, Style};
use tradelab_runner::decider_params;
use tradelab_store::DeciderConfig;

/// The agent's settings when `decider` is the LLM agent and its parameters read;
/// `None` for other strategies.
pub fn settings(decider: &DeciderConfig) -> Option<LlmSettings> {
    (decider.kind == STRATEGY)
        .then(|| LlmSettings::from_params(&decider_params(decider)).ok())
        .flatten()
}

/// `llm: gpt-4o-mini at https://api.openai.com/v1`: the strategy in one line, the
/// rest of the settings being [`rows`].
pub fn short_text(s: &LlmSettings) -> String {
    format!("{STRATEGY}: {} at {}", s.model, s.base_url)
}

/// Whether the variable naming the key is set in this environment (never its value).
fn key_state(var: &str) -> &'static str {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => "set here",
        _ => "not set here",
    }
}

/// The settings as `label  value` rows.
pub fn rows(s: &LlmSettings) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    row("LLM endpoint", s.base_url.clone());
    row("LLM model", s.model.clone());
    row(
        "API key",
        format!(
            "from environment variable {} ({})",
            s.api_key_env,
            key_state(&s.api_key_env)
        ),
    );
    let fields: Vec<String> = s.params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    row(
        "Request fields",
        if fields.is_empty() {
            "none".into()
        } else {
            fields.join(", ")
        },
    );
    row(
        "Model calls",
        format!(
            "timeout {} s, {} retries, {} in parallel, every {} bar(s), up to {} calls a step",
            s.timeout.as_secs_f64(),
            s.retries,
            s.concurrency,
            s.every,
            s.max_steps
        ),
    );
    row(
        "Style",
        match s.style {
            Style::Loop => "loop (tools over all symbols)",
            Style::Decision => "decision (one answer per symbol)",
            Style::Auto => "auto (loop on daily bars, decision intraday)",
        }
        .into(),
    );
    let mut budget = Vec::new();
    if let Some(c) = s.max_cost_usd {
        budget.push(format!("max cost {c} USD"));
    }
    if let Some(t) = s.max_tokens {
        budget.push(format!("max {t} tokens"));
    }
    row(
        "Budget",
        if budget.is_empty() {
            "none".into()
        } else {
            budget.join(", ")
        },
    );
    row(
        "Knowledge cutoff",
        match (s.knowledge_cutoff, s.cutoff()) {
            (Some(d), _) => format!("{d} (given)"),
            (None, Some(d)) => format!("{d} (known model)"),
            (None, None) => "unknown".into(),
        },
    );
    row("Anonymize", if s.anonymize { "yes" } else { "no" }.into());
    let recordings = s
        .recordings
        .as_ref()
        .map_or(String::new(), |p| format!(", recordings {}", p.display()));
    let mode = match s.mode {
        Mode::Live => "live",
        Mode::Record => "record",
        Mode::Replay => "replay",
    };
    row("Mode", format!("{mode}{recordings}"));
    if let Some(p) = &s.prices {
        row("Prices", p.display().to_string());
    }
    rows
}

/// The settings as a JSON object: every parameter as text, plus the cutoff in effect
/// and whether the key's variable is set here.
pub fn json(s: &LlmSettings) -> Value {
    let params: Map<String, Value> = s
        .to_params()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    json!({
        "settings": params,
        "knowledge_cutoff": s.cutoff().map(|d| d.to_string()),
        "api_key_set": key_state(&s.api_key_env) == "set here",
    })
}
