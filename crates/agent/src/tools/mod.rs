//! The agent's tools, all point-in-time through the step's [`DataView`]: a data tool
//! asked for anything after the decision time answers an error the model reads ("no
//! data after 2013-03-01") and never a number from the future. Unknown tools, symbols
//! outside the run, malformed arguments and impossible quantities answer errors too.

use crate::anonymize::Lens;
use serde_json::{Value, json};

mod schema;
pub use schema::{decide_tool, loop_tools};
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
    Order(Box<OrderIntent>, Value),
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
            client_order_id: None,
        };
        let mut result = json!({"status": "submitted", "side": side.to_string(),
            "symbol": self.lens.name(i), "qty": qty.to_f64(),
            "note": "checked by the risk rules after this step; market orders fill at the next bar's open"});
        if let Some(Ok(shown)) = number(args, "limit") {
            result["limit"] = json!(shown);
        }
        Outcome::Order(Box::new(intent), result)
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
mod tests;
