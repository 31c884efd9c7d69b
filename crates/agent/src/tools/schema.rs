//! JSON-schema definitions of the agent's tools, as sent in each request.

use super::MAX_LOOKBACK;
use serde_json::{Value, json};

fn function(name: &str, description: &str, parameters: Value) -> Value {
    json!({"type": "function", "function": {
        "name": name, "description": description, "parameters": parameters}})
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required,
           "additionalProperties": false})
}

/// JSON-schema definitions of the loop style's tools (`search_news` left out when
/// news is held back).
pub fn loop_tools(with_news: bool) -> Vec<Value> {
    let symbol = json!({"type": "string", "description": "a symbol of this run"});
    let qty = json!({"type": "number", "exclusiveMinimum": 0, "description": "units"});
    let limit = json!({"type": "number", "exclusiveMinimum": 0,
        "description": "limit price; leave out for a market order (fills at the next bar's open)"});
    let mut tools = vec![
        function(
            "get_price",
            "Close of the latest bar at or before a time (default: now).",
            object(
                json!({"symbol": symbol, "time": {"type": "string",
                "description": "a date or date and time, not after now"}}),
                &["symbol"],
            ),
        ),
        function(
            "get_bars",
            "The latest bars of a symbol up to now, oldest first.",
            object(
                json!({"symbol": symbol, "lookback": {"type": "integer", "minimum": 1,
                "maximum": MAX_LOOKBACK}}),
                &["symbol", "lookback"],
            ),
        ),
        function(
            "get_portfolio",
            "Cash, equity and open positions now.",
            object(json!({}), &[]),
        ),
        function(
            "buy",
            "Place a buy order; it goes through the risk rules.",
            object(
                json!({"symbol": symbol, "qty": qty, "limit": limit}),
                &["symbol", "qty"],
            ),
        ),
        function(
            "sell",
            "Place a sell order; it goes through the risk rules.",
            object(
                json!({"symbol": symbol, "qty": qty, "limit": limit}),
                &["symbol", "qty"],
            ),
        ),
        function(
            "calculate",
            "Evaluate an arithmetic expression, e.g. (101.5 - 99) / 99 * 100.",
            object(json!({"expression": {"type": "string"}}), &["expression"]),
        ),
    ];
    if with_news {
        tools.push(function(
            "search_news",
            "News published up to now, newest first.",
            object(
                json!({"query": {"type": "string"}, "symbol": symbol}),
                &["query"],
            ),
        ));
    }
    tools.push(function(
        "finish",
        "End this step with a short summary of what you did and why.",
        object(json!({"summary": {"type": "string"}}), &["summary"]),
    ));
    tools
}

/// The decision style's one tool: a structured answer, forced as the tool call.
pub fn decide_tool() -> Value {
    function(
        "decide",
        "Your decision for this symbol at this bar.",
        object(
            json!({
                "action": {"type": "string", "enum": ["buy", "sell", "hold"]},
                "quantity": {"type": "number", "minimum": 0,
                    "description": "units to buy or sell; 0 for hold"},
                "reasoning": {"type": "string"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1}
            }),
            &["action", "quantity", "reasoning", "confidence"],
        ),
    )
}
