//! Our own serde types of the chat-completions protocol: what we send, what we read
//! back (lenient: unknown fields ignored, optional fields possibly missing).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text (null for an assistant turn that only calls tools).
    pub content: Option<String>,
    /// Tool calls of an assistant turn, echoed back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallMessage>>,
    /// The call a tool result answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Message::plain("system", text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Message::plain("user", text)
    }

    /// An assistant message with text only.
    pub fn assistant(text: impl Into<String>) -> Self {
        Message::plain("assistant", text)
    }

    /// A tool result answering call `id`.
    pub fn tool(id: impl Into<String>, text: impl Into<String>) -> Self {
        Message {
            role: "tool".into(),
            content: Some(text.into()),
            tool_calls: None,
            tool_call_id: Some(id.into()),
        }
    }

    fn plain(role: &str, text: impl Into<String>) -> Self {
        Message {
            role: role.into(),
            content: Some(text.into()),
            tool_calls: None,
            tool_call_id: None,
        }
    }
}

/// A tool call as it appears in an assistant message we send back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCallMessage {
    /// The call's id.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name and arguments (a JSON-encoded string).
    pub function: FunctionCall,
}

/// The function part of a tool call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

/// A chat-completions request. `params` (temperature, max_tokens, …) are flattened
/// into the body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatRequest {
    /// Model name.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Tool definitions (`{type:"function", function:{name, description, parameters}}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
    /// `auto`, `required`, or `{type:"function", function:{name}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// `{type:"json_object"}` or a JSON schema, where the server supports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// Pass-through fields.
    #[serde(flatten)]
    pub params: Map<String, Value>,
}

/// The part of a chat-completions response we read.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WireResponse {
    #[serde(default)]
    pub choices: Vec<WireChoice>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WireChoice {
    #[serde(default)]
    pub message: WireMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WireMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    pub refusal: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireToolCall {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<WireFunction>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireFunction {
    #[serde(default)]
    pub name: Option<String>,
    /// A JSON-encoded string, or (some local servers) an object.
    #[serde(default)]
    pub arguments: Option<Value>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub prompt_tokens_details: Option<WirePromptDetails>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub(crate) struct WirePromptDetails {
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

/// Tokens of one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Prompt tokens (cached ones included).
    pub prompt: u64,
    /// Completion tokens.
    pub completion: u64,
    /// Prompt tokens the server served from its prefix cache.
    pub cached: u64,
}

/// A tool call the model asked for, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRequest {
    /// The call's id (made up when the server sent none).
    pub id: String,
    /// The tool's name (empty when the server sent none).
    pub name: String,
    /// The arguments as JSON text, as received (an object re-encoded).
    pub arguments_text: String,
    /// The parsed arguments, or why they do not parse.
    pub arguments: Result<Value, String>,
}

/// The model's answer, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// Its text, if any.
    pub content: Option<String>,
    /// Its tool calls, in order.
    pub tool_calls: Vec<CallRequest>,
    /// Why it stopped (`stop`, `tool_calls`, `length`, …).
    pub finish_reason: Option<String>,
    /// Tokens used.
    pub tokens: Tokens,
}

impl Reply {
    /// Reads a response body. `call_prefix` makes up ids for calls without one
    /// (`{prefix}_{n}`), so replays of one answer get the same ids.
    pub fn from_body(body: &Value, call_prefix: &str) -> Result<Reply, String> {
        let wire: WireResponse = serde_json::from_value(body.clone())
            .map_err(|e| format!("not a chat completion: {e}"))?;
        let Some(choice) = wire.choices.into_iter().next() else {
            return Err("the response has no choices".into());
        };
        let message = choice.message;
        let tool_calls = message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(n, call)| {
                let function = call.function;
                let name = function
                    .as_ref()
                    .and_then(|f| f.name.clone())
                    .unwrap_or_default();
                let (arguments_text, arguments) =
                    match function.and_then(|f| f.arguments).unwrap_or(Value::Null) {
                        Value::String(text) => {
                            let parsed = if text.trim().is_empty() {
                                Ok(Value::Object(Map::new()))
                            } else {
                                serde_json::from_str::<Value>(&text)
                                    .map_err(|e| format!("arguments are not valid JSON: {e}"))
                            };
                            (text, parsed)
                        }
                        Value::Null => ("{}".into(), Ok(Value::Object(Map::new()))),
                        other => (other.to_string(), Ok(other)),
                    };
                CallRequest {
                    id: call
                        .id
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| format!("{call_prefix}_{n}")),
                    name,
                    arguments_text,
                    arguments,
                }
            })
            .collect();
        let usage = wire.usage.unwrap_or_default();
        Ok(Reply {
            content: message.content.or(message.refusal),
            tool_calls,
            finish_reason: choice.finish_reason,
            tokens: Tokens {
                prompt: usage.prompt_tokens,
                completion: usage.completion_tokens,
                cached: usage
                    .prompt_tokens_details
                    .and_then(|d| d.cached_tokens)
                    .unwrap_or(0),
            },
        })
    }

    /// The assistant message that echoes this reply back into the conversation.
    pub fn echo(&self) -> Message {
        let calls = (!self.tool_calls.is_empty()).then(|| {
            self.tool_calls
                .iter()
                .map(|c| ToolCallMessage {
                    id: c.id.clone(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: c.name.clone(),
                        arguments: c.arguments_text.clone(),
                    },
                })
                .collect()
        });
        Message {
            role: "assistant".into(),
            content: self.content.clone(),
            tool_calls: calls,
            tool_call_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_arguments_given_as_a_string_or_an_object_and_makes_up_missing_ids() {
        let body = json!({"choices":[{"message":{"content":null,"tool_calls":[
            {"id":"call_a","type":"function","function":{"name":"buy","arguments":"{\"symbol\":\"A\",\"qty\":2}"}},
            {"function":{"name":"sell","arguments":{"symbol":"B","qty":1}}},
            {"id":"call_c","function":{"name":"get_price","arguments":"{broken"}}
        ]},"finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":120,"completion_tokens":30,"prompt_tokens_details":{"cached_tokens":100}}});
        let r = Reply::from_body(&body, "s3").unwrap();
        assert_eq!(r.tool_calls[0].arguments, Ok(json!({"symbol":"A","qty":2})));
        assert_eq!(r.tool_calls[1].id, "s3_1");
        assert_eq!(r.tool_calls[1].arguments, Ok(json!({"symbol":"B","qty":1})));
        assert!(r.tool_calls[2].arguments.is_err());
        assert_eq!(
            r.tokens,
            Tokens {
                prompt: 120,
                completion: 30,
                cached: 100
            }
        );
        let echo = serde_json::to_value(r.echo()).unwrap();
        assert_eq!(
            echo["tool_calls"][1]["function"]["arguments"],
            json!("{\"qty\":1,\"symbol\":\"B\"}")
        );
        assert_eq!(echo["content"], Value::Null);
    }

    #[test]
    fn usage_details_may_be_missing_or_null() {
        let body = json!({"choices":[{"message":{"content":"hi"}}],
            "usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":null}});
        let r = Reply::from_body(&body, "x").unwrap();
        assert_eq!(r.tokens.cached, 0);
        assert_eq!(r.content.as_deref(), Some("hi"));
        assert!(Reply::from_body(&json!({"choices":[]}), "x").is_err());
        assert!(Reply::from_body(&json!([1, 2]), "x").is_err());
    }

    #[test]
    fn the_request_flattens_its_parameters_and_leaves_out_empty_tools() {
        let mut params = Map::new();
        params.insert("temperature".into(), json!(0.2));
        let r = ChatRequest {
            model: "m".into(),
            messages: vec![Message::user("hello")],
            tools: vec![],
            tool_choice: None,
            response_format: None,
            params,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({"model":"m","messages":[{"role":"user","content":"hello"}],"temperature":0.2})
        );
    }
}
