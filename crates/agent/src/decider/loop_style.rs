//! The loop style (daily bars): one conversation per asked step over the whole
//! universe, up to `max_steps` model calls with tools, ending at `finish`, at a plain
//! text answer, or at the limit. Buy and sell tool calls become the decision's orders.

use super::LlmDecider;
use super::step_log::StepLog;
use crate::client::Message;
use crate::prompt::{StepFacts, system};
use crate::tools::{Outcome, Toolbox, loop_tools};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use tradelab_engine::{DecideError, Decision, DecisionContext, ToolCall};

impl LlmDecider {
    pub(super) fn loop_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let Some(lens) = self.lens.clone() else {
            return Ok(());
        };
        let with_news = !lens.anonymized();
        let tools = loop_tools(with_news);
        let facts = StepFacts {
            ctx,
            lens: &lens,
            rejections: &self.pending_rejections,
            last_note: self.last_note.as_deref(),
        };
        let mut messages = vec![
            Message::system(system(&self.instructions, &self.rules, false, with_news)),
            Message::user(facts.loop_message()),
        ];
        let mut log = StepLog {
            keep_exchanges: self.settings.mode != crate::settings::Mode::Live,
            ..StepLog::default()
        };
        let mut executed: HashSet<String> = HashSet::new();
        let mut summary: Option<String> = None;
        let mut malformed_in_a_row = 0;
        let mut ended = "the call limit";
        for _ in 0..self.settings.max_steps {
            if self.halt.is_some() {
                ended = "the budget";
                break;
            }
            let request = self.request(messages.clone(), tools.clone(), None);
            let mut asked = self.ask_all(
                std::slice::from_ref(&request),
                &["all symbols".to_string()],
                ctx.now,
                &mut log,
            )?;
            let reply = match asked.pop().map(|a| a.reply) {
                Some(Ok(reply)) => reply,
                Some(Err(_)) | None => {
                    ended = "a failed model call";
                    break;
                }
            };
            if reply.tool_calls.is_empty() {
                summary = reply.content.clone();
                ended = "a text answer";
                break;
            }
            messages.push(reply.echo());
            let toolbox = Toolbox {
                ctx,
                lens: &lens,
                news: &self.news,
            };
            let mut malformed = false;
            let mut finished = false;
            for call in &reply.tool_calls {
                let outcome = if !executed.insert(call.id.clone()) {
                    Outcome::Result(
                        json!({"status": "already done: this call id was executed before"}),
                    )
                } else {
                    match &call.arguments {
                        Err(e) => Outcome::Error {
                            message: format!("{e}; send the arguments as a JSON object"),
                            malformed: true,
                        },
                        Ok(args) => toolbox.call(&call.name, args),
                    }
                };
                let result = outcome.result();
                match outcome {
                    Outcome::Order(intent, _) => {
                        decision.orders.push((*intent).with_client_order_id(format!(
                            "{}-{}-{}",
                            self.run, self.asked, call.id
                        )))
                    }
                    Outcome::Finish(text) => {
                        summary = Some(text);
                        finished = true;
                    }
                    Outcome::Error {
                        malformed: true,
                        message,
                    } => {
                        malformed = true;
                        log.errors.push(format!("{}: {message}", call.name));
                    }
                    _ => {}
                }
                messages.push(Message::tool(call.id.clone(), result.to_string()));
                log.tool_calls.push(ToolCall {
                    name: call.name.clone(),
                    arguments: call
                        .arguments
                        .clone()
                        .unwrap_or_else(|_| Value::String(call.arguments_text.clone())),
                    result,
                });
            }
            if finished {
                ended = "finish";
                break;
            }
            if malformed {
                malformed_in_a_row += 1;
                if malformed_in_a_row >= 2 {
                    log.errors
                        .push("malformed tool calls again after a re-ask: holding".into());
                    ended = "malformed output";
                    break;
                }
            } else {
                malformed_in_a_row = 0;
            }
        }
        let orders = decision.orders.len();
        let reasoning = match (&summary, log.errors.last()) {
            (Some(s), _) if !s.trim().is_empty() => s.trim().to_string(),
            (_, Some(e)) if orders == 0 => format!("hold: {e}"),
            _ if orders == 0 => format!("hold: no order (ended by {ended})"),
            _ => format!("placed {orders} orders (ended by {ended})"),
        };
        self.last_note = summary;
        let mut inputs = Map::new();
        inputs.insert("style".into(), json!("loop"));
        inputs.insert(
            "symbols".into(),
            json!(
                (0..ctx.view.len())
                    .map(|i| ctx.view.symbol(i).as_str())
                    .collect::<Vec<_>>()
            ),
        );
        inputs.insert(
            "action".into(),
            json!(if orders == 0 { "hold" } else { "trade" }),
        );
        inputs.insert("ended_by".into(), json!(ended));
        let exchanges = std::mem::take(&mut log.exchanges);
        self.write_recordings(&exchanges)?;
        log.exchanges = exchanges;
        decision.reasoning = Some(reasoning);
        decision.trace = Some(log.into_trace(inputs));
        Ok(())
    }

    /// Appends the step's exchanges to the recordings file (record mode).
    pub(super) fn write_recordings(
        &mut self,
        exchanges: &[crate::recording::Exchange],
    ) -> Result<(), DecideError> {
        if self.settings.mode != crate::settings::Mode::Record {
            return Ok(());
        }
        match &mut self.file {
            Some(file) => file
                .write(exchanges)
                .map_err(|e| DecideError::new(format!("cannot record the exchanges: {e}"))),
            None => Ok(()),
        }
    }
}
