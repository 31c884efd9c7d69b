//! The agent's tools, all point-in-time through the step's [`DataView`]: a data tool
//! asked for anything after the decision time answers an error the model reads ("no
//! data after 2013-03-01") and never a number from the future. Unknown tools, symbols
//! outside the run, malformed arguments and impossible quantities answer errors too.

use crate::anonymize::Lens;
use serde_json::{Value, json};
use tradelab_core::{OrderIntent, OrderType, Price, Quantity, Side, Sizing, check_price};
use tradelab_data::NewsArchive;
use tradelab_engine::DecisionContext;

/// Bars `get_bars` returns at most.
pub const MAX_LOOKBACK: usize = 250;
/// Units one order may ask for at most.
pub const MAX_QTY: f64 = 1e9;
/// News items `search_news` returns at most.
const MAX_NEWS: usize = 10;
/// Characters of a news body shown.
const NEWS_BODY_CHARS: usize = 400;
/// Characters of a `calculate` expression accepted.
const MAX_EXPRESSION: usize = 300;

/// What the tools see at one step.
pub struct Toolbox<'s, 'a> {
    /// The step's context (view, portfolio, time).
    pub ctx: &'s DecisionContext<'a>,
    /// How symbols, times and prices are shown.
    pub lens: &'s Lens,
    /// The news archive (held back under anonymize).
    pub news: &'s NewsArchive,
}

/// What a tool call produced.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A result for the model.
    Result(Value),
    /// An error the model reads. `malformed` marks a call the model got wrong in form
    /// (unknown tool, broken or missing arguments), as opposed to a refused request.
    Error { message: String, malformed: bool },
    /// An order to place, with the result the model reads.
    Order(OrderIntent, Value),
    /// The model is done; its summary.
    Finish(String),
}

impl Outcome {
    /// The JSON the model reads for this outcome.
    pub fn result(&self) -> Value {
        match self {
            Outcome::Result(v) | Outcome::Order(_, v) => v.clone(),
            Outcome::Error { message, .. } => json!({ "error": message }),
            Outcome::Finish(_) => json!({ "status": "finished" }),
        }
    }
}

fn refuse(message: impl Into<String>) -> Outcome {
    Outcome::Error {
        message: message.into(),
        malformed: false,
    }
}

fn malformed(message: impl Into<String>) -> Outcome {
    Outcome::Error {
        message: message.into(),
        malformed: true,
    }
}

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

/// Rounds for the model: 4 decimals is enough for any price or ratio it needs.
pub fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// A number argument, given as a number or a numeric string.
fn number(args: &Value, key: &str) -> Option<Result<f64, String>> {
    match args.get(key)? {
        Value::Null => None,
        Value::Number(n) => Some(n.as_f64().ok_or_else(|| format!("{key} is not a number"))),
        Value::String(s) => Some(
            s.trim()
                .parse::<f64>()
                .map_err(|_| format!("{key} ({s:?}) is not a number")),
        ),
        other => Some(Err(format!("{key} ({other}) is not a number"))),
    }
}

fn text<'v>(args: &'v Value, key: &str) -> Option<&'v str> {
    args.get(key).and_then(Value::as_str)
}

/// Checks a quantity the model asked for: a positive finite number of units, not
/// absurdly many.
pub fn check_qty(qty: f64) -> Result<Quantity, String> {
    if !qty.is_finite() || qty <= 0.0 {
        return Err(format!("quantity {qty} must be a positive number of units"));
    }
    if qty > MAX_QTY {
        return Err(format!(
            "quantity {qty} is too large (at most {MAX_QTY} units)"
        ));
    }
    Quantity::from_f64(round4(qty)).map_err(|e| e.to_string())
}

impl Toolbox<'_, '_> {
    /// Runs tool `name` with `args`.
    pub fn call(&self, name: &str, args: &Value) -> Outcome {
        if !args.is_object() {
            return malformed(format!("arguments of {name} must be a JSON object"));
        }
        match name {
            "get_price" => self.get_price(args),
            "get_bars" => self.get_bars(args),
            "get_portfolio" => self.get_portfolio(),
            "buy" => self.order(Side::Buy, args),
            "sell" => self.order(Side::Sell, args),
            "calculate" => calculate(args),
            "search_news" if !self.lens.anonymized() => self.search_news(args),
            "finish" => Outcome::Finish(text(args, "summary").unwrap_or("").to_string()),
            other => malformed(format!(
                "unknown tool {other:?}; the tools are get_price, get_bars, get_portfolio, \
                 buy, sell, calculate, {}finish",
                if self.lens.anonymized() {
                    ""
                } else {
                    "search_news, "
                }
            )),
        }
    }

    fn symbol(&self, args: &Value) -> Result<usize, Outcome> {
        let Some(name) = text(args, "symbol") else {
            return Err(malformed("symbol is missing"));
        };
        self.lens.find(name).ok_or_else(|| {
            refuse(format!(
                "symbol {name} is not part of this run; its symbols are {}",
                self.lens.names()
            ))
        })
    }

    fn no_future(&self) -> String {
        format!("no data after {}", self.lens.time(self.ctx.now))
    }

    fn get_price(&self, args: &Value) -> Outcome {
        let i = match self.symbol(args) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let until = match text(args, "time").filter(|t| !t.trim().is_empty()) {
            None => self.ctx.now,
            Some(t) => match self.lens.read_time(t) {
                Err(e) => return malformed(e),
                Ok((start, _)) if start > self.ctx.now => return refuse(self.no_future()),
                Ok((_, end)) => end.min(self.ctx.now),
            },
        };
        let bars = self.ctx.view.bars(i);
        let visible = bars.partition_point(|b| b.ts() <= until);
        match visible.checked_sub(1).map(|k| &bars[k]) {
            None => refuse(format!(
                "no bar of {} at or before that time",
                self.lens.name(i)
            )),
            Some(bar) => Outcome::Result(json!({
                "symbol": self.lens.name(i),
                "time": self.lens.time(bar.ts()),
                "close": round4(self.lens.price(i, bar.close())),
            })),
        }
    }

    fn get_bars(&self, args: &Value) -> Outcome {
        let i = match self.symbol(args) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let lookback = match number(args, "lookback") {
            None => return malformed("lookback is missing"),
            Some(Err(e)) => return malformed(e),
            Some(Ok(n)) if n.fract() != 0.0 || n < 1.0 => {
                return malformed(format!(
                    "lookback {n} must be a whole number of bars, at least 1"
                ));
            }
            Some(Ok(n)) if n > MAX_LOOKBACK as f64 => {
                return refuse(format!(
                    "lookback {n} is too large; at most {MAX_LOOKBACK} bars"
                ));
            }
            Some(Ok(n)) => n as usize,
        };
        let bars = self.ctx.view.bars(i);
        let from = bars.len().saturating_sub(lookback);
        let anonymized = self.lens.anonymized();
        let rows: Vec<Value> = bars[from..]
            .iter()
            .map(|b| {
                let p = |x| round4(self.lens.price(i, x));
                let mut row = json!({"time": self.lens.time(b.ts()), "open": p(b.open()),
                    "high": p(b.high()), "low": p(b.low()), "close": p(b.close())});
                if !anonymized {
                    row["volume"] = json!(b.volume());
                }
                row
            })
            .collect();
        Outcome::Result(json!({"symbol": self.lens.name(i), "bars": rows}))
    }

    fn get_portfolio(&self) -> Outcome {
        let p = self.ctx.portfolio;
        let equity = p.equity_f64();
        let positions: Vec<Value> = (0..self.ctx.view.len())
            .filter(|&i| !p.position(i).is_zero())
            .map(|i| {
                let qty = p.position(i).to_f64();
                let mark = p.mark(i);
                let avg = p.avg_price(i).map(|a| a.to_f64()).unwrap_or(mark);
                let mut row = json!({"symbol": self.lens.name(i), "qty": qty,
                    "avg_price": round4(self.lens.price(i, avg)),
                    "price": round4(self.lens.price(i, mark))});
                if self.lens.anonymized() {
                    row["weight_pct"] = json!(round4(qty * mark / equity * 100.0));
                } else {
                    row["value"] = json!(round4(qty * mark));
                }
                row
            })
            .collect();
        Outcome::Result(
            json!({"cash": round4(p.cash().to_f64()), "equity": round4(equity),
            "positions": positions}),
        )
    }

    fn order(&self, side: Side, args: &Value) -> Outcome {
        let i = match self.symbol(args) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let qty = match number(args, "qty").or_else(|| number(args, "quantity")) {
            None => return malformed("qty is missing"),
            Some(Err(e)) => return malformed(e),
            Some(Ok(q)) => match check_qty(q) {
                Ok(q) => q,
                Err(e) => return refuse(e),
            },
        };
        let order_type = match number(args, "limit") {
            None => OrderType::Market,
            Some(Err(e)) => return malformed(e),
            Some(Ok(shown)) => {
                let real = round4(self.lens.real_price(i, shown));
                match Price::from_f64(real) {
                    Ok(p) if shown > 0.0 && check_price("limit", real).is_ok() => {
                        OrderType::Limit(p)
                    }
                    _ => return refuse(format!("limit {shown} is not a usable price")),
                }
            }
        };
        let symbol = self.ctx.view.symbol(i).clone();
        let reason = format!("llm {side} {qty} via tool");
        let intent = OrderIntent {
            symbol,
            side,
            order_type,
            sizing: Sizing::Shares(qty),
            reason: reason.into(),
        };
        let mut result = json!({"status": "submitted", "side": side.to_string(),
            "symbol": self.lens.name(i), "qty": qty.to_f64(),
            "note": "checked by the risk rules after this step; market orders fill at the next bar's open"});
        if let Some(Ok(shown)) = number(args, "limit") {
            result["limit"] = json!(shown);
        }
        Outcome::Order(intent, result)
    }

    fn search_news(&self, args: &Value) -> Outcome {
        let query = text(args, "query").unwrap_or("");
        let symbol = match text(args, "symbol").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(_) => match self.symbol(args) {
                Ok(i) => Some(self.ctx.view.symbol(i)),
                Err(o) => return o,
            },
        };
        let items: Vec<Value> = self
            .news
            .search(query, symbol, self.ctx.now, MAX_NEWS)
            .into_iter()
            .map(|n| {
                let body: String = n.body.chars().take(NEWS_BODY_CHARS).collect();
                json!({"published": self.lens.time(n.published), "headline": n.headline,
                    "body": body, "source": n.source,
                    "symbols": n.symbols.iter().map(|s| s.as_str()).collect::<Vec<_>>()})
            })
            .collect();
        Outcome::Result(json!({"items": items}))
    }
}

fn calculate(args: &Value) -> Outcome {
    let Some(expr) = text(args, "expression") else {
        return malformed("expression is missing");
    };
    if expr.len() > MAX_EXPRESSION {
        return refuse(format!(
            "expression is longer than {MAX_EXPRESSION} characters"
        ));
    }
    match exmex::eval_str::<f64>(expr) {
        Ok(v) if v.is_finite() => Outcome::Result(json!({"value": v})),
        Ok(v) => refuse(format!("{expr} is {v}, not a finite number")),
        Err(e) => refuse(format!("cannot evaluate {expr:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::{Symbol, Timestamp};
    use tradelab_data::{EMPTY_NEWS, NewsItem};
    use tradelab_engine::testkit::{Scene, daily_bars};

    const MAR_01: i64 = 15_765; // 2013-03-01

    fn scene() -> Scene {
        let closes = [431.7, 440.0, 445.5, 450.25, 460.0];
        Scene::new(vec![daily_bars("AAPL", MAR_01, &closes).unwrap()])
            .at(Timestamp::from_secs((MAR_01 + 2) * 86_400))
    }

    fn call(scene: &Scene, name: &str, args: Value) -> Outcome {
        let ctx = scene.context();
        let lens = Lens::new(&ctx.view, false);
        Toolbox {
            ctx: &ctx,
            lens: &lens,
            news: &EMPTY_NEWS,
        }
        .call(name, &args)
    }

    #[test]
    fn get_price_refuses_a_time_after_the_decision_time_without_a_number() {
        let s = scene();
        let o = call(
            &s,
            "get_price",
            json!({"symbol": "AAPL", "time": "2013-03-05"}),
        );
        assert_eq!(o, refuse("no data after 2013-03-03"));
        let text = o.result().to_string();
        for future in ["450.25", "460"] {
            assert!(!text.contains(future), "{text}");
        }
        let now = call(
            &s,
            "get_price",
            json!({"symbol": "AAPL", "time": "2013-03-03"}),
        );
        assert_eq!(now.result()["close"], json!(445.5));
        let past = call(
            &s,
            "get_price",
            json!({"symbol": "AAPL", "time": "2013-03-02"}),
        );
        assert_eq!(past.result()["close"], json!(440.0));
    }

    #[test]
    fn get_bars_shows_only_bars_up_to_now_and_caps_the_lookback() {
        let s = scene();
        let o = call(&s, "get_bars", json!({"symbol": "AAPL", "lookback": 100}));
        assert_eq!(o.result()["bars"].as_array().unwrap().len(), 3);
        assert!(!o.result().to_string().contains("450.25"));
        assert!(matches!(
            call(
                &s,
                "get_bars",
                json!({"symbol": "AAPL", "lookback": 100000})
            ),
            Outcome::Error {
                malformed: false,
                ..
            }
        ));
        assert!(matches!(
            call(&s, "get_bars", json!({"symbol": "AAPL", "lookback": "x"})),
            Outcome::Error {
                malformed: true,
                ..
            }
        ));
    }

    #[test]
    fn orders_refuse_symbols_outside_the_run_and_impossible_quantities() {
        let s = scene();
        let o = call(&s, "buy", json!({"symbol": "TSLA", "qty": 1}));
        assert!(
            o.result()["error"]
                .as_str()
                .unwrap()
                .contains("not part of this run")
        );
        for bad in [json!(0), json!(-5), json!(1e15), json!("NaN")] {
            let o = call(&s, "buy", json!({"symbol": "AAPL", "qty": bad}));
            assert!(matches!(o, Outcome::Error { .. }), "{bad}: {o:?}");
        }
        assert!(matches!(
            call(&s, "sell", json!({"symbol": "AAPL"})),
            Outcome::Error {
                malformed: true,
                ..
            }
        ));
        let Outcome::Order(intent, _) = call(
            &s,
            "buy",
            json!({"symbol": "aapl", "qty": "10", "limit": 441.5}),
        ) else {
            panic!("an order");
        };
        assert_eq!(intent.symbol, Symbol::new("AAPL").unwrap());
        assert_eq!(intent.sizing, Sizing::Shares(Quantity::from(10)));
        assert_eq!(
            intent.order_type,
            OrderType::Limit(Price::from_f64(441.5).unwrap())
        );
    }

    #[test]
    fn calculate_evaluates_arithmetic_and_refuses_the_rest() {
        let s = scene();
        assert_eq!(
            call(
                &s,
                "calculate",
                json!({"expression": "(440 - 431.7) / 431.7 * 100"})
            )
            .result()["value"]
                .as_f64()
                .map(|v| (v * 1000.0).round()),
            Some(1923.0)
        );
        assert!(matches!(
            call(&s, "calculate", json!({"expression": "1/0"})),
            Outcome::Error { .. }
        ));
        assert!(matches!(
            call(
                &s,
                "calculate",
                json!({"expression": "std::process::exit(1)"})
            ),
            Outcome::Error { .. }
        ));
    }

    #[test]
    fn unknown_tools_and_non_object_arguments_are_malformed() {
        let s = scene();
        assert!(matches!(
            call(&s, "launch", json!({})),
            Outcome::Error {
                malformed: true,
                ..
            }
        ));
        assert!(matches!(
            call(&s, "get_portfolio", json!([1])),
            Outcome::Error {
                malformed: true,
                ..
            }
        ));
    }

    #[test]
    fn search_news_returns_items_up_to_the_decision_time_only() {
        let s = scene();
        let ctx = s.context();
        let lens = Lens::new(&ctx.view, false);
        let item = |day: i64, headline: &str| NewsItem {
            published: Timestamp::from_secs((MAR_01 + day) * 86_400),
            symbols: vec![Symbol::new("AAPL").unwrap()],
            headline: headline.into(),
            body: String::new(),
            source: "wire".into(),
        };
        let news = NewsArchive::new(vec![item(0, "old news"), item(4, "future news")]);
        let o = Toolbox {
            ctx: &ctx,
            lens: &lens,
            news: &news,
        }
        .call("search_news", &json!({"query": "news", "symbol": "AAPL"}));
        let text = o.result().to_string();
        assert!(
            text.contains("old news") && !text.contains("future"),
            "{text}"
        );
    }
}
