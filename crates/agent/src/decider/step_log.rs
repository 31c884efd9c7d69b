//! What the agent keeps while it decides one step, turned into the decision's trace;
//! and the run's running totals against its budget.

use crate::client::Tokens;
use crate::recording::Exchange;
use serde_json::{Map, Value, json};
use tradelab_engine::{DecideError, DecisionTrace, ToolCall, Usage};

/// One model call as the trace records it.
#[derive(Clone, Debug)]
pub(super) struct CallRecord {
    pub latency_ms: u64,
    pub retries: u32,
    pub tokens: Tokens,
    pub cost: Option<f64>,
    /// The assistant message as received, or the error text.
    pub raw: Value,
}

/// The step being decided.
#[derive(Debug, Default)]
pub(super) struct StepLog {
    pub calls: Vec<CallRecord>,
    pub tool_calls: Vec<ToolCall>,
    pub errors: Vec<String>,
    pub exchanges: Vec<Exchange>,
    /// Whether exchanges go into the trace (record and replay modes).
    pub keep_exchanges: bool,
}

impl StepLog {
    /// The trace of the step: `inputs` (style-specific fields) completed with the
    /// raw outputs, latency, retries, cached tokens, errors and exchanges.
    pub fn into_trace(self, mut inputs: Map<String, Value>) -> DecisionTrace {
        let latency: u64 = self.calls.iter().map(|c| c.latency_ms).sum();
        let retries: u32 = self.calls.iter().map(|c| c.retries).sum();
        let cached: u64 = self.calls.iter().map(|c| c.tokens.cached).sum();
        let raw: Vec<Value> = self.calls.iter().map(|c| c.raw.clone()).collect();
        inputs.insert("raw".into(), Value::Array(raw));
        inputs.insert("calls".into(), json!(self.calls.len()));
        inputs.insert("latency_ms".into(), json!(latency));
        inputs.insert("retries".into(), json!(retries));
        inputs.insert("cached_prompt_tokens".into(), json!(cached));
        inputs.insert("errors".into(), json!(self.errors));
        if self.keep_exchanges {
            inputs.insert(
                "exchanges".into(),
                serde_json::to_value(&self.exchanges).unwrap_or(Value::Null),
            );
        }
        let usage = (!self.calls.is_empty()).then(|| Usage {
            prompt_tokens: self.calls.iter().map(|c| c.tokens.prompt).sum(),
            completion_tokens: self.calls.iter().map(|c| c.tokens.completion).sum(),
            cost_usd: self.calls.iter().map(|c| c.cost).sum::<Option<f64>>(),
        });
        DecisionTrace {
            inputs: Value::Object(inputs),
            tool_calls: self.tool_calls,
            usage,
        }
    }
}

/// Tokens and money spent by the run so far.
#[derive(Clone, Copy, Debug)]
pub(super) struct Spent {
    pub prompt: u64,
    pub completion: u64,
    pub cost: f64,
    /// False once a call of unknown price was made.
    pub cost_known: bool,
    pub calls: u64,
}

impl Default for Spent {
    fn default() -> Self {
        Spent {
            prompt: 0,
            completion: 0,
            cost: 0.0,
            cost_known: true,
            calls: 0,
        }
    }
}

impl Spent {
    /// Counts one call.
    pub fn add(&mut self, call: &CallRecord) {
        self.prompt += call.tokens.prompt;
        self.completion += call.tokens.completion;
        self.calls += 1;
        match call.cost {
            Some(c) => self.cost += c,
            None if call.tokens.prompt + call.tokens.completion > 0 => self.cost_known = false,
            None => {}
        }
    }

    /// The error that halts the run once a limit is passed (the model is not asked
    /// again; the run goes on to the end of its data, halted).
    pub fn check(&self, max_cost: Option<f64>, max_tokens: Option<u64>) -> Result<(), DecideError> {
        let tokens = self.prompt + self.completion;
        let totals = format!(
            "{tokens} tokens ({} prompt, {} completion) and {} in {} model calls",
            self.prompt,
            self.completion,
            if self.cost_known {
                format!("{:.6} USD", self.cost)
            } else {
                "an unknown cost".into()
            },
            self.calls
        );
        if let Some(max) = max_tokens
            && tokens > max
        {
            return Err(DecideError::halt(format!(
                "budget exceeded: max_tokens {max} passed: spent {totals}"
            )));
        }
        if let Some(max) = max_cost
            && self.cost > max
        {
            return Err(DecideError::halt(format!(
                "budget exceeded: max_cost {max} USD passed: spent {totals}"
            )));
        }
        Ok(())
    }
}
