//! The decision style (intraday bars): at an asked bar, one structured answer per
//! updated symbol, `{action, quantity, reasoning, confidence}`, forced as a call of the
//! `decide` tool (or JSON in the text, for servers that ignore `tool_choice`), symbols
//! asked in parallel. An answer that fails validation is re-asked once, quoting the
//! error; then the symbol holds.

use super::LlmDecider;
use super::step_log::StepLog;
use crate::client::{Message, Reply};
use crate::prompt::{StepFacts, system};
use crate::tools::{check_qty, decide_tool};
use serde_json::{Map, Value, json};
use tradelab_core::{OrderIntent, Side, Sizing};
use tradelab_engine::{DecideError, Decision, DecisionContext, ToolCall};

/// A valid structured answer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Answer {
    pub action: &'static str,
    pub quantity: f64,
    pub reasoning: String,
    pub confidence: f64,
}

/// Checks a `decide` call's arguments against its schema, saying what is wrong.
pub(crate) fn validate(args: &Value) -> Result<Answer, String> {
    let Some(obj) = args.as_object() else {
        return Err("the answer must be a JSON object".into());
    };
    let action = match obj.get("action").and_then(Value::as_str) {
        Some("buy") => "buy",
        Some("sell") => "sell",
        Some("hold") => "hold",
        Some(other) => return Err(format!("action {other:?} is not buy, sell or hold")),
        None => return Err("action is missing (buy, sell or hold)".into()),
    };
    let quantity = match obj.get("quantity") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(other) => return Err(format!("quantity {other} is not a number")),
        None if action == "hold" => 0.0,
        None => return Err("quantity is missing".into()),
    };
    if !quantity.is_finite() || quantity < 0.0 {
        return Err(format!("quantity {quantity} must be 0 or more"));
    }
    if action != "hold" {
        check_qty(quantity)?;
    }
    let reasoning = match obj.get("reasoning") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(format!("reasoning {other} is not a string")),
        None => return Err("reasoning is missing".into()),
    };
    let confidence = match obj.get("confidence").and_then(Value::as_f64) {
        Some(c) if (0.0..=1.0).contains(&c) => c,
        Some(c) => return Err(format!("confidence {c} is not between 0 and 1")),
        None => return Err("confidence is missing or not a number".into()),
    };
    Ok(Answer {
        action,
        quantity,
        reasoning,
        confidence,
    })
}

/// The answer in a reply: the `decide` call's arguments, or JSON in the text.
fn read_answer(reply: &Reply) -> Result<Answer, String> {
    if let Some(call) = reply.tool_calls.first() {
        if call.name != "decide" {
            return Err(format!("unknown tool {:?}; call decide", call.name));
        }
        let args = call.arguments.as_ref().map_err(Clone::clone)?;
        return validate(args);
    }
    let text = reply.content.as_deref().unwrap_or("").trim();
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .map_or(text, |t| t.trim_end_matches("```"))
        .trim();
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("the answer is not JSON ({e}); call decide"))?;
    validate(&value)
}

/// One symbol being asked.
struct Asking {
    index: usize,
    messages: Vec<Message>,
    answer: Option<Answer>,
    failed: bool,
    errors: Vec<String>,
}

impl LlmDecider {
    pub(super) fn decision_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let Some(lens) = self.lens.clone() else {
            return Ok(());
        };
        let facts = StepFacts {
            ctx,
            lens: &lens,
            rejections: &self.pending_rejections,
            last_note: None,
        };
        let system = Message::system(system(&self.instructions, &self.rules, true, false));
        let mut asks: Vec<Asking> = ctx
            .updated
            .iter()
            .map(|&i| Asking {
                index: i,
                messages: vec![system.clone(), Message::user(facts.decision_message(i))],
                answer: None,
                failed: false,
                errors: Vec::new(),
            })
            .collect();
        let mut log = StepLog {
            keep_exchanges: self.settings.mode != crate::settings::Mode::Live,
            ..StepLog::default()
        };
        let tools = vec![decide_tool()];
        let choice = json!({"type": "function", "function": {"name": "decide"}});
        for round in 0..2 {
            let open: Vec<usize> = (0..asks.len())
                .filter(|&k| asks[k].answer.is_none() && !asks[k].failed)
                .collect();
            if open.is_empty() || self.halt.is_some() {
                break;
            }
            let requests: Vec<_> = open
                .iter()
                .map(|&k| {
                    self.request(
                        asks[k].messages.clone(),
                        tools.clone(),
                        Some(choice.clone()),
                    )
                })
                .collect();
            let labels: Vec<String> = open
                .iter()
                .map(|&k| ctx.view.symbol(asks[k].index).to_string())
                .collect();
            let answers = self.ask_all(&requests, &labels, ctx.now, &mut log)?;
            for (&k, asked) in open.iter().zip(answers) {
                let ask = &mut asks[k];
                let reply = match asked.reply {
                    Ok(r) => r,
                    Err(e) => {
                        ask.errors.push(format!("model call failed: {e}"));
                        ask.failed = true;
                        continue;
                    }
                };
                let read = read_answer(&reply);
                for call in &reply.tool_calls {
                    log.tool_calls.push(ToolCall {
                        name: call.name.clone(),
                        arguments: call
                            .arguments
                            .clone()
                            .unwrap_or_else(|_| Value::String(call.arguments_text.clone())),
                        result: match &read {
                            Ok(_) => json!({"accepted": true}),
                            Err(e) => json!({"error": e}),
                        },
                    });
                }
                match read {
                    Ok(answer) => ask.answer = Some(answer),
                    Err(e) if round == 0 => {
                        ask.errors.push(format!("invalid answer: {e}"));
                        ask.messages.push(reply.echo());
                        let quote = format!(
                            "Your answer was not valid: {e}. Answer again by calling decide \
                             with action, quantity, reasoning and confidence."
                        );
                        if reply.tool_calls.is_empty() {
                            ask.messages.push(Message::user(quote));
                        } else {
                            for call in &reply.tool_calls {
                                ask.messages.push(Message::tool(
                                    call.id.clone(),
                                    json!({"error": quote}).to_string(),
                                ));
                            }
                        }
                    }
                    Err(e) => {
                        ask.errors
                            .push(format!("invalid answer again after a re-ask: {e}; holding"));
                        ask.failed = true;
                    }
                }
            }
        }
        let mut lines = Vec::with_capacity(asks.len());
        let mut answers = Vec::with_capacity(asks.len());
        for ask in &asks {
            let symbol = ctx.view.symbol(ask.index);
            match &ask.answer {
                Some(a) => {
                    lines.push(format!(
                        "{symbol}: {} {} (confidence {:.2}): {}",
                        a.action, a.quantity, a.confidence, a.reasoning
                    ));
                    let side = match a.action {
                        "buy" => Some(Side::Buy),
                        "sell" => Some(Side::Sell),
                        _ => None,
                    };
                    if let (Some(side), Ok(qty)) = (side, check_qty(a.quantity)) {
                        decision.orders.push(
                            OrderIntent::market(
                                symbol.clone(),
                                side,
                                Sizing::Shares(qty),
                                format!("llm: {}", a.reasoning),
                            )
                            .with_client_order_id(format!("{}-{}-{symbol}", self.run, self.asked)),
                        );
                    }
                }
                None => lines.push(format!(
                    "{symbol}: hold: {}",
                    ask.errors.last().map_or("no answer", String::as_str)
                )),
            }
            log.errors
                .extend(ask.errors.iter().map(|e| format!("{symbol}: {e}")));
            answers.push(json!({
                "symbol": symbol.as_str(),
                "action": ask.answer.as_ref().map_or("hold", |a| a.action),
                "quantity": ask.answer.as_ref().map_or(0.0, |a| a.quantity),
                "confidence": ask.answer.as_ref().map(|a| a.confidence),
                "reasoning": ask.answer.as_ref().map(|a| a.reasoning.clone()),
                "errors": ask.errors,
            }));
        }
        let mut inputs = Map::new();
        inputs.insert("style".into(), json!("decision"));
        inputs.insert(
            "symbols".into(),
            json!(
                asks.iter()
                    .map(|a| ctx.view.symbol(a.index).as_str())
                    .collect::<Vec<_>>()
            ),
        );
        if let [only] = answers.as_slice() {
            for key in ["symbol", "action", "quantity", "confidence"] {
                inputs.insert(key.into(), only[key].clone());
            }
        }
        inputs.insert("answers".into(), Value::Array(answers));
        let exchanges = std::mem::take(&mut log.exchanges);
        self.write_recordings(&exchanges)?;
        log.exchanges = exchanges;
        decision.reasoning = Some(lines.join("\n"));
        decision.trace = Some(log.into_trace(inputs));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_what_is_wrong() {
        let ok = json!({"action":"buy","quantity":5,"reasoning":"up","confidence":0.6});
        assert_eq!(validate(&ok).unwrap().quantity, 5.0);
        let cases = [
            (
                json!({"action":"short","quantity":1,"reasoning":"","confidence":0.5}),
                "action \"short\"",
            ),
            (
                json!({"action":"buy","quantity":0,"reasoning":"","confidence":0.5}),
                "quantity 0 must be a positive",
            ),
            (
                json!({"action":"buy","quantity":"5","reasoning":"","confidence":0.5}),
                "quantity \"5\" is not a number",
            ),
            (
                json!({"action":"hold","quantity":0,"reasoning":"","confidence":2}),
                "confidence 2",
            ),
            (
                json!({"action":"hold","quantity":0,"confidence":0.5}),
                "reasoning is missing",
            ),
            (json!([1]), "JSON object"),
        ];
        for (args, want) in cases {
            let e = validate(&args).unwrap_err();
            assert!(e.contains(want), "{args}: {e}");
        }
    }

    #[test]
    fn an_answer_may_come_as_json_text_with_or_without_a_fence() {
        let reply = |text: &str| Reply {
            content: Some(text.into()),
            tool_calls: vec![],
            finish_reason: None,
            tokens: Default::default(),
        };
        let text = "```json\n{\"action\":\"hold\",\"quantity\":0,\"reasoning\":\"flat\",\"confidence\":0.5}\n```";
        assert_eq!(read_answer(&reply(text)).unwrap().action, "hold");
        assert!(
            read_answer(&reply("I would buy"))
                .unwrap_err()
                .contains("not JSON")
        );
    }
}
