//! Asking the model: live through the client on the agent's runtime (several requests
//! at once, bounded by the client), or from recordings in replay mode. Each answer is
//! counted against the budget and, in record and replay modes, kept as an exchange.

use super::LlmDecider;
use super::step_log::{CallRecord, StepLog};
use crate::client::{ChatRequest, ClientError, Reply, Response};
use crate::recording::{Exchange, exchange_key};
use crate::settings::Mode;
use serde_json::{Value, json};
use tradelab_core::Timestamp;
use tradelab_engine::DecideError;

/// One answered request.
pub(super) struct Asked {
    /// The model's reply, or why there is none (the call failed, the body is not a
    /// chat completion).
    pub reply: Result<Reply, String>,
}

impl LlmDecider {
    /// The request for `messages` with `tools`, the run's model and parameters.
    pub(super) fn request(
        &self,
        messages: Vec<crate::client::Message>,
        tools: Vec<Value>,
        tool_choice: Option<Value>,
    ) -> ChatRequest {
        ChatRequest {
            model: self.settings.model.clone(),
            messages,
            tools,
            tool_choice,
            response_format: None,
            params: self.params.clone(),
        }
    }

    /// Asks every request (at once, up to `concurrency` in flight) and logs each
    /// answer in `log`. `labels` name what each request is about (a symbol, `all
    /// symbols`) for a replay miss. Fails only on a replay miss; a passed budget is kept
    /// in `halt` for the end of the step.
    pub(super) fn ask_all(
        &mut self,
        requests: &[ChatRequest],
        labels: &[String],
        now: Timestamp,
        log: &mut StepLog,
    ) -> Result<Vec<Asked>, DecideError> {
        let record = self.settings.mode != Mode::Live;
        let exchanges: Vec<Exchange> = match self.settings.mode {
            Mode::Replay => requests
                .iter()
                .zip(labels)
                .map(|(req, label)| {
                    let key = exchange_key(req);
                    let step = self.asked.saturating_sub(1);
                    self.recordings.answer(&key, step).ok_or_else(|| {
                        DecideError::new(format!(
                            "replay: no recorded answer for the model call at {} for {label} \
                             (request {key}); the recordings do not cover this run: record it \
                             again (mode=record) or ask the model (mode=live)",
                            now.display_auto()
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
            Mode::Live | Mode::Record => self
                .send_all(requests)
                .into_iter()
                .zip(requests)
                .map(|(result, req)| {
                    let key = if record {
                        exchange_key(req)
                    } else {
                        String::new()
                    };
                    match result {
                        Ok(r) => Exchange {
                            key,
                            response: Some(r.body),
                            error: None,
                            latency_ms: r.latency.as_millis() as u64,
                            retries: r.retries,
                        },
                        Err(e) => Exchange {
                            key,
                            response: None,
                            error: Some(e.to_string()),
                            latency_ms: 0,
                            retries: e.retries(),
                        },
                    }
                })
                .collect(),
        };
        let mut answers = Vec::with_capacity(exchanges.len());
        for exchange in exchanges {
            let prefix = format!("call_{}_{}", self.asked, log.calls.len());
            let (reply, raw) = match (&exchange.response, &exchange.error) {
                (Some(body), _) => {
                    let raw = body
                        .pointer("/choices/0/message")
                        .cloned()
                        .unwrap_or_else(|| body.clone());
                    (Reply::from_body(body, &prefix), raw)
                }
                (None, Some(e)) => (Err(e.clone()), json!({ "error": e })),
                (None, None) => (Err("no answer recorded".to_string()), Value::Null),
            };
            let tokens = reply.as_ref().map(|r| r.tokens).unwrap_or_default();
            let call = CallRecord {
                latency_ms: exchange.latency_ms,
                retries: exchange.retries,
                tokens,
                cost: self.prices.cost(&self.settings.model, tokens),
                raw,
            };
            if let Err(e) = &reply {
                log.errors.push(format!("model call failed: {e}"));
            }
            self.spent.add(&call);
            log.calls.push(call);
            if record {
                log.exchanges.push(exchange);
            }
            answers.push(Asked { reply });
        }
        // A passed budget ends the step after these answers: what they say is kept,
        // and the step then halts the run.
        if let Err(e) = self
            .spent
            .check(self.settings.max_cost_usd, self.settings.max_tokens)
        {
            self.halt.get_or_insert(e);
        }
        Ok(answers)
    }

    /// Sends the requests on the agent's runtime and waits on a std channel for every
    /// answer (safe when the caller is itself inside a tokio runtime).
    fn send_all(&self, requests: &[ChatRequest]) -> Vec<Result<Response, ClientError>> {
        let (Some(client), Some(runtime)) = (&self.client, &self.runtime) else {
            return requests
                .iter()
                .map(|_| Err(lost("the agent has no model client")))
                .collect();
        };
        let (tx, rx) = std::sync::mpsc::channel();
        for (k, req) in requests.iter().enumerate() {
            let (client, req, tx) = (client.clone(), req.clone(), tx.clone());
            runtime.spawn(async move {
                let answer = client.complete(&req).await;
                let _ = tx.send((k, answer));
            });
        }
        drop(tx);
        let mut out: Vec<Option<Result<Response, ClientError>>> =
            requests.iter().map(|_| None).collect();
        for (k, answer) in rx.iter() {
            out[k] = Some(answer);
        }
        out.into_iter()
            .map(|a| a.unwrap_or_else(|| Err(lost("the model call was lost (its task ended)"))))
            .collect()
    }
}

fn lost(message: &str) -> ClientError {
    ClientError::Transport {
        url: String::new(),
        message: message.into(),
        retries: 0,
    }
}
