//! The LLM trading agent of tradelab: a [`Decider`](tradelab_engine::Decider) whose
//! decisions come from a large language model over the OpenAI-compatible
//! chat-completions protocol (hosted APIs, Ollama, llama.cpp, vLLM).
//!
//! - [`settings`]: what configures it, read from and written to the decider's
//!   `key=value` parameters (never the API key itself).
//! - [`client`]: the chat-completions client (retries, backoff, `Retry-After`).
//! - [`tools`]: point-in-time tools (prices, bars, portfolio, orders, arithmetic, news).
//! - [`prompt`] and [`anonymize`]: what the model reads, optionally anonymized.
//! - [`cost`]: token prices; [`recording`]: record and replay of exchanges.
//! - [`LlmDecider`]: the decider, in two styles (a tool loop for daily bars, one
//!   structured answer per symbol for intraday bars).
//! - `mock` (feature `mock`): a scripted chat-completions server for tests.
//!
//! Register it with [`register`]; drivers then build it by the name `llm`.

pub mod anonymize;
pub mod client;
pub mod cost;
mod decider;
#[cfg(feature = "mock")]
pub mod mock;
pub mod prompt;
pub mod recording;
pub mod settings;
pub mod tools;

pub use decider::{AgentContext, LlmDecider};
pub use settings::{LlmSettings, Mode, Style};

use tradelab_engine::strategies::{ParamInfo, StrategyInfo};
use tradelab_engine::{DeciderRegistry, RegistryError};

/// The registry entry of the agent: its name `llm`, what it does and its parameters.
pub fn info() -> StrategyInfo {
    StrategyInfo::new(
        settings::STRATEGY,
        "LLM agent over an OpenAI-compatible chat API: tool loop on daily bars, one \
         structured answer per symbol on intraday bars",
        settings::PARAMS
            .iter()
            .map(|(name, default, help)| ParamInfo::fixed(name, default, help))
            .collect::<Vec<_>>(),
    )
}

/// Registers the agent as `llm`, built from the registry's [`DeciderArgs`]
/// (settings from the parameters; instructions, rules, prior traces and news as
/// given).
///
/// [`DeciderArgs`]: tradelab_engine::DeciderArgs
pub fn register(registry: &mut DeciderRegistry) -> Result<(), RegistryError> {
    registry.register(info(), |args| Ok(Box::new(LlmDecider::from_args(args)?)))
}
