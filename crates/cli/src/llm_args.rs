//! The LLM agent's flags (`--llm-model`, `--max-cost`, …) on `backtest` and on
//! `models create|edit`, and how they become the decider's `key=value` parameters, so
//! models and run snapshots store them. The API key is never a flag: only the name of
//! the environment variable holding it.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use tradelab_agent::settings::STRATEGY;

/// `--llm-style`: how the agent is asked at a step.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmStyle {
    /// A tool loop over the whole universe (suits daily bars).
    Loop,
    /// One structured answer per symbol (suits intraday bars).
    Decision,
    /// Loop on daily bars, decision on intraday bars.
    Auto,
}

/// `--llm-mode`: where the model's answers come from.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmMode {
    /// Ask the model.
    Live,
    /// Ask the model and keep every exchange (in the traces, and in --llm-recordings).
    Record,
    /// Answer from recorded exchanges only: no network, no cost.
    Replay,
}

/// Settings of the LLM agent (`--strategy llm`); each maps onto one decider parameter.
#[derive(Args, Debug, Clone, Default)]
pub struct LlmArgs {
    /// OpenAI-compatible endpoint ending in /v1 (default https://api.openai.com/v1;
    /// Ollama http://localhost:11434/v1, llama-server http://127.0.0.1:8080/v1, vLLM
    /// http://localhost:8000/v1).
    #[arg(long, value_name = "URL")]
    pub llm_base_url: Option<String>,
    /// Model name sent in each request (default gpt-4o-mini).
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,
    /// Environment variable holding the API key (default OPENAI_API_KEY). The key
    /// itself is never a flag and never stored.
    #[arg(long, value_name = "VAR")]
    pub llm_api_key_env: Option<String>,
    /// Extra request field, repeatable: --llm-param temperature=0.2 --llm-param
    /// max_tokens=800 (numbers, booleans and JSON parsed).
    #[arg(long = "llm-param", value_name = "K=V")]
    pub llm_params: Vec<String>,
    /// Seconds allowed for one model call (default 60).
    #[arg(long, value_name = "SECS")]
    pub llm_timeout: Option<f64>,
    /// Retries of a failed call (429, 5xx, timeouts) before the step holds (default 3).
    #[arg(long, value_name = "N")]
    pub llm_retries: Option<u32>,
    /// Symbols asked in parallel at one step, decision style (default 4).
    #[arg(long, value_name = "N")]
    pub llm_concurrency: Option<u32>,
    /// Ask the model every N bars (default 1).
    #[arg(long, value_name = "N")]
    pub llm_every: Option<u32>,
    /// Model calls per step in the loop style (default 8).
    #[arg(long, value_name = "N")]
    pub llm_max_steps: Option<u32>,
    /// How the agent is asked (default auto).
    #[arg(long, value_enum)]
    pub llm_style: Option<LlmStyle>,
    /// Stop the run once the model calls cost more than this, in US dollars.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Stop the run once the model calls used more tokens than this.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// The model's knowledge cutoff, YYYY-MM-DD (default: the table of known models).
    #[arg(long, value_name = "DATE")]
    pub llm_knowledge_cutoff: Option<jiff::civil::Date>,
    /// Hide symbols, dates and price levels from the model (alone means true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub llm_anonymize: Option<bool>,
    /// Ask the model (live), ask and keep the exchanges (record), or answer from
    /// recorded exchanges (replay) (default live).
    #[arg(long, value_enum)]
    pub llm_mode: Option<LlmMode>,
}

impl LlmArgs {
    /// Each flag given, with the decider parameter it sets: `("--llm-model",
    /// "model", "gpt-4o")`, in the order of the flags above. A malformed
    /// `--llm-param` is refused naming it.
    pub fn params(&self) -> Result<Vec<(&'static str, String, String)>> {
        self.check()?;
        let mut out: Vec<(&'static str, String, String)> = Vec::new();
        let mut put = |flag: &'static str, key: &str, value: Option<String>| {
            if let Some(v) = value {
                out.push((flag, key.to_string(), v));
            }
        };
        let text = |v: Option<u32>| v.map(|n| n.to_string());
        put("--llm-base-url", "base_url", self.llm_base_url.clone());
        put("--llm-model", "model", self.llm_model.clone());
        put(
            "--llm-api-key-env",
            "api_key_env",
            self.llm_api_key_env.clone(),
        );
        put(
            "--llm-timeout",
            "timeout",
            self.llm_timeout.map(|s| s.to_string()),
        );
        put("--llm-retries", "retries", text(self.llm_retries));
        put(
            "--llm-concurrency",
            "concurrency",
            text(self.llm_concurrency),
        );
        put("--llm-every", "every", text(self.llm_every));
        put("--llm-max-steps", "max_steps", text(self.llm_max_steps));
        let style = self.llm_style.map(|s| match s {
            LlmStyle::Loop => "loop",
            LlmStyle::Decision => "decision",
            LlmStyle::Auto => "auto",
        });
        put("--llm-style", "style", style.map(String::from));
        put(
            "--max-cost",
            "max_cost",
            self.max_cost.map(|c| c.to_string()),
        );
        put(
            "--max-tokens",
            "max_tokens",
            self.max_tokens.map(|t| t.to_string()),
        );
        put(
            "--llm-knowledge-cutoff",
            "knowledge_cutoff",
            self.llm_knowledge_cutoff.map(|d| d.to_string()),
        );
        put(
            "--llm-anonymize",
            "anonymize",
            self.llm_anonymize.map(|b| b.to_string()),
        );
        let mode = self.llm_mode.map(|m| match m {
            LlmMode::Live => "live",
            LlmMode::Record => "record",
            LlmMode::Replay => "replay",
        });
        put("--llm-mode", "mode", mode.map(String::from));
        for p in &self.llm_params {
            let Some((k, v)) = p.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
                bail!("--llm-param {p:?} is not of the form name=value (e.g. temperature=0.2)");
            };
            out.push((
                "--llm-param",
                format!("param.{}", k.trim()),
                v.trim().to_string(),
            ));
        }
        Ok(out)
    }
}

impl LlmArgs {
    /// Refuses values out of range, naming the flag: a timeout or cost limit that is
    /// not a positive number, a count of zero.
    fn check(&self) -> Result<()> {
        for (flag, value) in [
            ("--llm-timeout", self.llm_timeout),
            ("--max-cost", self.max_cost),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                bail!("{flag} {v} must be a positive number");
            }
        }
        for (flag, value) in [
            ("--llm-concurrency", self.llm_concurrency),
            ("--llm-every", self.llm_every),
            ("--llm-max-steps", self.llm_max_steps),
        ] {
            if value == Some(0) {
                bail!("{flag} 0: give a whole number of at least 1");
            }
        }
        if self.max_tokens == Some(0) {
            bail!("--max-tokens 0: give a whole number of at least 1");
        }
        Ok(())
    }
}

/// Adds the LLM flags' parameters to `params` for `strategy`. Refused: an LLM flag
/// with another strategy (naming the flag), and a flag that sets a parameter also
/// given with `--param` (naming both).
pub fn merge(
    strategy: &str,
    flags: Vec<(&'static str, String, String)>,
    params: &mut Vec<(String, String)>,
) -> Result<()> {
    if let Some((flag, _, _)) = flags.first()
        && strategy != STRATEGY
    {
        bail!(
            "{flag} sets the LLM agent and strategy {strategy} does not use it; \
             give --strategy {STRATEGY}, or leave {flag} out"
        );
    }
    for (flag, key, value) in flags {
        if params.iter().any(|(k, _)| *k == key) {
            bail!("{flag} and --param {key}=… both set {key}; give one of them");
        }
        params.push((key, value));
    }
    Ok(())
}

/// The LLM flags of a backtest as decider parameters (`--llm-recordings` included).
pub fn backtest_flags(
    a: &crate::args::BacktestArgs,
) -> Result<Vec<(&'static str, String, String)>> {
    let mut flags = a.llm.params()?;
    if let Some(path) = &a.llm_recordings {
        let text = path.to_str().with_context(|| {
            format!("--llm-recordings {}: the path is not UTF-8", path.display())
        })?;
        flags.push(("--llm-recordings", "recordings".into(), text.to_string()));
    }
    Ok(flags)
}

/// The active rules in words, highest priority first, as the LLM agent reads them:
/// `name: what it does (what it acts on)`.
pub fn rules_in_words(rules: &tradelab_engine::risk::RuleSet) -> Vec<String> {
    rules
        .active_by_priority()
        .iter()
        .map(|r| {
            let what = if r.description.is_empty() {
                r.kind.summary()
            } else {
                r.description.clone()
            };
            format!("{}: {what} ({})", r.name, r.kind.scope())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_the_deciders_parameters_in_order() {
        let a = LlmArgs {
            llm_model: Some("m".into()),
            max_cost: Some(0.5),
            llm_anonymize: Some(true),
            llm_params: vec!["temperature=0.2".into()],
            ..LlmArgs::default()
        };
        let mut params = vec![("every".to_string(), "2".to_string())];
        merge("llm", a.params().unwrap(), &mut params).unwrap();
        let keys: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            keys,
            [
                "every=2",
                "model=m",
                "max_cost=0.5",
                "anonymize=true",
                "param.temperature=0.2"
            ]
        );
    }

    #[test]
    fn a_flag_with_another_strategy_or_twice_with_param_is_refused_naming_it() {
        let a = LlmArgs {
            max_tokens: Some(10),
            ..LlmArgs::default()
        };
        let e = merge("sma_cross", a.params().unwrap(), &mut Vec::new()).unwrap_err();
        assert!(
            e.to_string().starts_with("--max-tokens sets the LLM agent"),
            "{e}"
        );
        let mut params = vec![("max_tokens".to_string(), "5".to_string())];
        let e = merge("llm", a.params().unwrap(), &mut params).unwrap_err();
        assert!(
            e.to_string()
                .contains("--max-tokens and --param max_tokens"),
            "{e}"
        );
        let bad = LlmArgs {
            llm_params: vec!["=1".into()],
            ..LlmArgs::default()
        };
        assert!(
            bad.params()
                .unwrap_err()
                .to_string()
                .contains("--llm-param \"=1\"")
        );
        let zero = LlmArgs {
            llm_every: Some(0),
            ..LlmArgs::default()
        };
        assert!(
            zero.params()
                .unwrap_err()
                .to_string()
                .starts_with("--llm-every 0")
        );
        let free = LlmArgs {
            max_cost: Some(0.0),
            ..LlmArgs::default()
        };
        assert!(
            free.params()
                .unwrap_err()
                .to_string()
                .starts_with("--max-cost 0")
        );
    }
}
