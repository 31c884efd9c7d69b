//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use tradelab_core::{Bar, BarSeries, OrderIntent, Quantity, Side, Sizing, Symbol, Timestamp};
use tradelab_engine::event::VecSink;
use tradelab_engine::{DecideError, Decision};
use tradelab_engine::{Decider, DecisionContext, Engine, RejectReason, RunConfig, RunEvent};

pub const DAY: i64 = 86_400;

/// The default run: long only, no costs.
pub fn cfg() -> RunConfig {
    RunConfig::default()
}

/// The default run with short selling allowed.
pub fn shorting() -> RunConfig {
    RunConfig {
        allow_short: true,
        ..cfg()
    }
}

/// A daily series from (open, high, low, close) tuples, one day apart from 2020-01-01.
pub fn daily(symbol: &str, ohlc: &[(f64, f64, f64, f64)]) -> BarSeries {
    let start = 1_577_836_800; // 2020-01-01
    let bars = ohlc
        .iter()
        .enumerate()
        .map(|(k, &(o, h, l, c))| {
            Bar::new(
                Timestamp::from_secs(start + k as i64 * DAY),
                o,
                h,
                l,
                c,
                1000.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(symbol).unwrap(), bars).unwrap()
}

/// A daily series where every bar is flat at the given closes (open = high = low = close).
pub fn flat(symbol: &str, closes: &[f64]) -> BarSeries {
    let ohlc: Vec<_> = closes.iter().map(|&c| (c, c, c, c)).collect();
    daily(symbol, &ohlc)
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// Emits pre-scripted intents at given steps and records what it saw.
#[derive(Default)]
pub struct Script {
    pub at: BTreeMap<usize, Vec<OrderIntent>>,
    pub step: usize,
    pub seen_rejections: Vec<(usize, String)>,
}

impl Script {
    pub fn new(plan: Vec<(usize, OrderIntent)>) -> Self {
        let mut at: BTreeMap<usize, Vec<OrderIntent>> = BTreeMap::new();
        for (k, i) in plan {
            at.entry(k).or_default().push(i);
        }
        Script {
            at,
            ..Script::default()
        }
    }
}

impl Decider for Script {
    fn name(&self) -> String {
        "script".into()
    }
    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        for r in ctx.rejections {
            self.seen_rejections.push((self.step, r.reason.to_string()));
        }
        if let Some(list) = self.at.remove(&self.step) {
            orders.extend(list);
        }
        self.step += 1;
        Ok(())
    }
}

pub fn buy(symbol: &str, sizing: Sizing) -> OrderIntent {
    OrderIntent::market(sym(symbol), Side::Buy, sizing, "test")
}

pub fn sell(symbol: &str, sizing: Sizing) -> OrderIntent {
    OrderIntent::market(sym(symbol), Side::Sell, sizing, "test")
}

pub fn shares(n: i64) -> Sizing {
    Sizing::Shares(Quantity::from(n))
}

pub fn fills(events: &[RunEvent]) -> Vec<(Side, String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Fill { fill } => {
                Some((fill.side, fill.qty.to_string(), fill.price.to_string()))
            }
            _ => None,
        })
        .collect()
}

pub fn rejections(events: &[RunEvent]) -> Vec<RejectReason> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::OrderRejected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

pub fn run(
    config: RunConfig,
    series: Vec<tradelab_core::BarSeries>,
    d: &mut dyn Decider,
) -> (Vec<RunEvent>, tradelab_engine::RunOutcome) {
    let engine = Engine::new(config, series).unwrap();
    let mut sink = VecSink::default();
    let outcome = engine.run(d, &mut sink, None).expect("run");
    (numbered_in_order(sink), outcome)
}

/// One-minute bars starting at `hh:mm` New York time on `date` (`YYYY-MM-DD`).
pub fn ny_minutes(
    symbol: &str,
    date: &str,
    hh: i8,
    mm: i8,
    ohlc: &[(f64, f64, f64, f64)],
) -> BarSeries {
    let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let d: jiff::civil::Date = date.parse().unwrap();
    let start = d
        .at(hh, mm, 0, 0)
        .to_zoned_datetime(tz)
        .unwrap()
        .timestamp();
    let start = Timestamp::from_jiff(start).unwrap().nanos();
    let bars = ohlc
        .iter()
        .enumerate()
        .map(|(k, &(o, h, l, c))| {
            Bar::new(
                Timestamp::from_nanos(start + k as i64 * 60_000_000_000),
                o,
                h,
                l,
                c,
                1.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(sym(symbol), bars).unwrap()
}

/// Concatenates series of one symbol (e.g. two days of minute bars).
pub fn join(parts: Vec<BarSeries>) -> BarSeries {
    let symbol = parts[0].symbol().clone();
    let bars = parts.iter().flat_map(|s| s.bars().to_vec()).collect();
    BarSeries::new(symbol, bars).unwrap()
}

/// A rule set from test text: `[[rule]]` blocks of `key = value` lines whose values
/// are JSON literals (the subset of TOML these tests write), turned into the document
/// the engine decodes. The engine has no TOML parser; real files are read by
/// `tradelab-rules-file`, whose tests cover the format.
pub fn rule_set(text: &str) -> tradelab_engine::risk::RuleSet {
    use serde_json::{Map, Value};
    let mut top = Map::new();
    let mut rules: Vec<Value> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[rule]]" {
            rules.push(Value::Object(Map::new()));
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("test rule line is not `key = value`: {line}"));
        let value: Value = serde_json::from_str(value.trim())
            .unwrap_or_else(|e| panic!("test rule value is not a JSON literal: {line}: {e}"));
        let table = match rules.last_mut() {
            Some(Value::Object(rule)) => rule,
            _ => &mut top,
        };
        table.insert(key.trim().to_string(), value);
    }
    top.insert("rules".into(), Value::Array(rules));
    tradelab_engine::risk::RuleSet::from_document(Value::Object(top), "test rules")
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs with structured rules (written as for [`rule_set`]).
pub fn run_rules(
    config: RunConfig,
    series: Vec<BarSeries>,
    rules: &str,
    d: &mut dyn Decider,
) -> (Vec<RunEvent>, tradelab_engine::RunOutcome) {
    let rules = rule_set(rules);
    let engine = Engine::new(config, series)
        .unwrap()
        .with_rules(rules)
        .unwrap();
    let mut sink = VecSink::default();
    let outcome = engine.run(d, &mut sink, None).expect("run");
    (numbered_in_order(sink), outcome)
}

/// The rule names of risk rejections, in order.
pub fn rule_rejections(events: &[RunEvent]) -> Vec<String> {
    rejections(events)
        .into_iter()
        .filter_map(|r| match r {
            RejectReason::Risk { rule, .. } => Some(rule),
            _ => None,
        })
        .collect()
}

/// Automatic exits as (kind, fill price).
pub fn auto_exits(events: &[RunEvent]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for e in events {
        match e {
            RunEvent::Risk {
                risk: tradelab_engine::risk_engine::RiskEvent::AutoExit { exit, .. },
                ..
            } => pending = Some(exit.as_str().to_string()),
            RunEvent::Fill { fill } => {
                if let Some(kind) = pending.take() {
                    out.push((kind, fill.price.to_string()));
                }
            }
            _ => {}
        }
    }
    out
}

/// The events of `sink`, after checking the engine numbered them 1, 2, 3, … in order.
pub fn numbered_in_order(sink: VecSink) -> Vec<RunEvent> {
    for (k, (seq, event)) in sink.0.iter().enumerate() {
        assert_eq!(*seq, k as u64 + 1, "event {k} ({event:?}) has seq {seq}");
    }
    sink.0.into_iter().map(|(_, e)| e).collect()
}
