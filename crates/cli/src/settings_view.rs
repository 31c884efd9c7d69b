//! A model's or run's settings as people read them (tables) and as programs read them
//! (`--output json`): the strategy with the parameter values it uses, defaults marked;
//! the execution settings; the rules with their state.

use crate::display;
use serde_json::{Map, Value, json};
use tradelab_engine::DeciderRegistry;
use tradelab_runner::ExecutionSettings;
use tradelab_store::{DeciderConfig, RuleSpec};

/// A strategy's parameters as used (the runner's, shared with the HTTP API).
pub use tradelab_runner::effective_params;

/// `sma_cross: fast = 10, slow = 20 (default)` — every value the strategy runs with.
/// The LLM agent in one line (`llm: MODEL at URL`): its settings are rows of their own.
pub fn strategy_text(decider: &DeciderConfig, deciders: &DeciderRegistry) -> String {
    if let Some(llm) = crate::llm_view::settings(decider) {
        return crate::llm_view::short_text(&llm);
    }
    let params = effective_params(decider, deciders);
    if params.is_empty() {
        return decider.kind.clone();
    }
    let parts: Vec<String> = params
        .iter()
        .map(|(k, v, default)| {
            if *default {
                format!("{k} = {v} (default)")
            } else {
                format!("{k} = {v}")
            }
        })
        .collect();
    format!("{}: {}", decider.kind, parts.join(", "))
}

/// The strategy as JSON: `{"name", "params": {…values used…}, "defaults": [names]}`.
pub fn strategy_json(decider: &DeciderConfig, deciders: &DeciderRegistry) -> Value {
    let params = effective_params(decider, deciders);
    let values: Map<String, Value> = params
        .iter()
        .map(|(k, v, _)| (k.clone(), Value::String(v.clone())))
        .collect();
    let defaults: Vec<&String> = params.iter().filter(|p| p.2).map(|p| &p.0).collect();
    json!({ "name": decider.kind, "params": values, "defaults": defaults })
}

/// Execution settings in one line: fill, costs, shorting, end of data.
pub fn execution_text(exec: &ExecutionSettings) -> String {
    let mut text = execution_base_text(exec);
    if !exec.lot_steps.is_empty() {
        let steps: Vec<String> = exec
            .lot_steps
            .iter()
            .map(|(symbol, step)| format!("{symbol}={step}"))
            .collect();
        text.push_str(&format!(", lot steps {}", steps.join(" ")));
    }
    if !exec.all_week.is_empty() {
        let symbols: Vec<&str> = exec.all_week.iter().map(|s| s.as_str()).collect();
        text.push_str(&format!(", trading 7 days a week: {}", symbols.join(" ")));
    }
    if let Some(ms) = exec.latency_ms {
        text.push_str(&format!(", order latency {ms} ms"));
    }
    text
}

fn execution_base_text(exec: &ExecutionSettings) -> String {
    format!(
        "fill {}, commission {}, slippage {} bps, shorting {}, {}",
        exec.fill_model,
        exec.commission,
        display::decimal(exec.slippage_bps, None),
        if exec.allow_short {
            "allowed"
        } else {
            "not allowed"
        },
        if exec.close_at_end {
            "positions closed at the end of data"
        } else {
            "positions left open at the end of data"
        }
    )
}

/// Execution settings as a JSON object (decimals as exact strings).
pub fn execution_json(exec: &ExecutionSettings) -> Value {
    let mut v = json!({
        "fill_model": exec.fill_model.to_string(),
        "commission_rate": exec.commission.rate.to_string(),
        "commission_per_share": exec.commission.per_share.to_string(),
        "commission_minimum": exec.commission.minimum.to_string(),
        "slippage_bps": exec.slippage_bps.to_string(),
        "allow_short": exec.allow_short,
        "close_at_end": exec.close_at_end,
        "timeframe": exec.timeframe,
    });
    // Only for models that have them, so other models' JSON is unchanged.
    if let Some(map) = v.as_object_mut() {
        if let Some(ms) = exec.latency_ms {
            map.insert("latency_ms".into(), json!(ms));
        }
        if !exec.lot_steps.is_empty() {
            let steps: serde_json::Map<String, Value> = exec
                .lot_steps
                .iter()
                .map(|(symbol, step)| (symbol.to_string(), Value::String(step.to_string())))
                .collect();
            map.insert("lot_steps".into(), Value::Object(steps));
        }
        if !exec.all_week.is_empty() {
            let symbols: Vec<&str> = exec.all_week.iter().map(|s| s.as_str()).collect();
            map.insert("all_week".into(), json!(symbols));
        }
    }
    v
}

/// Rule rows of a table: `name  on  what it does`, aligned, indented by two.
pub fn rule_lines(rules: &[RuleSpec]) -> Vec<String> {
    let width = rules
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    rules
        .iter()
        .map(|r| {
            let what = if r.description.is_empty() {
                display::json_text(&r.params)
            } else {
                r.description.clone()
            };
            format!(
                "  {:<width$}  {:<3}  {}",
                r.name,
                if r.active { "on" } else { "off" },
                what
            )
        })
        .collect()
}

/// A rule as JSON: name, state, priority, category, what it does and its parameters.
pub fn rule_json(r: &RuleSpec) -> Value {
    json!({
        "name": r.name,
        "active": r.active,
        "priority": r.priority,
        "category": r.category,
        "description": r.description,
        "params": r.params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_engine::strategies::{ParamInfo, StrategyInfo};
    use tradelab_engine::{DecideError, Decision};
    use tradelab_engine::{Decider, DecisionContext};

    /// A plug-in decider: never orders; only its catalog entry matters here.
    struct Watcher;

    impl Decider for Watcher {
        fn name(&self) -> String {
            "watcher".into()
        }
        fn on_step(
            &mut self,
            _: &DecisionContext<'_>,
            _: &mut Decision,
        ) -> Result<(), DecideError> {
            Ok(())
        }
    }

    /// The built-ins plus `watcher(window=30, venue=nyse)`, described at run time as a
    /// plug-in crate would.
    fn with_watcher() -> DeciderRegistry {
        let params = vec![
            ParamInfo::new("window", "30", "bars it watches"),
            ParamInfo::new("venue", String::from("nyse"), "where it watches"),
        ];
        let info = StrategyInfo::new("watcher", "watches and waits", params);
        DeciderRegistry::builtin()
            .with(info, |_| Ok(Box::new(Watcher)))
            .expect("watcher is a new name")
    }

    fn config(kind: &str, params: Value) -> DeciderConfig {
        DeciderConfig {
            kind: kind.into(),
            params,
        }
    }

    #[test]
    fn lists_a_registered_plugin_deciders_parameters_with_their_defaults() {
        let d = config("watcher", json!({ "venue": "xetra" }));
        let got = effective_params(&d, &with_watcher());
        assert_eq!(
            got,
            vec![
                ("window".to_string(), "30".to_string(), true),
                ("venue".to_string(), "xetra".to_string(), false),
            ]
        );
        assert_eq!(
            strategy_text(&d, &with_watcher()),
            "watcher: window = 30 (default), venue = xetra"
        );
        assert_eq!(
            strategy_json(&d, &with_watcher()),
            json!({
                "name": "watcher",
                "params": { "window": "30", "venue": "xetra" },
                "defaults": ["window"],
            })
        );
    }

    #[test]
    fn a_decider_the_registry_does_not_know_shows_only_the_given_parameters() {
        let d = config("watcher", json!({ "depth": 5 }));
        let got = effective_params(&d, &DeciderRegistry::builtin());
        assert_eq!(got, vec![("depth".to_string(), "5".to_string(), false)]);
    }

    #[test]
    fn builtin_defaults_fill_in_after_the_given_parameters_in_declared_order() {
        let d = config("sma_cross", json!({ "slow": 30, "extra": "x" }));
        assert_eq!(
            strategy_text(&d, &DeciderRegistry::builtin()),
            "sma_cross: fast = 10 (default), slow = 30, extra = x"
        );
    }
}
