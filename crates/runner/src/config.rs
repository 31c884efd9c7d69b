//! How a model's stored settings become an engine configuration and a rule set, and
//! back: the snapshot a run keeps is built from these.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tradelab_core::{Quantity, Symbol};
use tradelab_engine::risk::{Origin, RuleIssue, RuleSet, RuleSetError};
use tradelab_engine::{Commission, FillModel, RunConfig};
use tradelab_store::{RuleOrigin, RuleSpec};

/// The execution settings of a model (everything of [`RunConfig`] but the cash, which
/// the model stores on its own). Stored as the model's `fill_model` JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecutionSettings {
    pub fill_model: FillModel,
    pub commission: Commission,
    pub slippage_bps: Decimal,
    pub allow_short: bool,
    pub close_at_end: bool,
    /// Bar timeframe the run replayed (`1d`, `1m`, …); set in run snapshots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeframe: Option<String>,
    /// Milliseconds an order takes from the decision to the broker (paper trading's
    /// latency); unset or 0 fills at the next open (or the close under `close`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Lot steps of symbols that trade fractions (crypto), e.g. `BTCUSDT → 0.00001`;
    /// other symbols trade whole units. Absent from the JSON when empty, so settings
    /// stored before lot steps existed read and write the same.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub lot_steps: BTreeMap<Symbol, Quantity>,
    /// Symbols that trade seven days a week: daily metrics annualize with 365 days.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub all_week: BTreeSet<Symbol>,
}

impl ExecutionSettings {
    /// Reads the settings from a model's JSON (missing keys take defaults).
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        if v.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(v.clone()).map_err(|e| format!("fill model settings: {e}"))
    }

    /// As the model's JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// `engine` with these settings' order latency (its bars of the settings'
    /// timeframe); unchanged without a latency.
    pub fn apply_latency(&self, engine: tradelab_engine::Engine) -> tradelab_engine::Engine {
        let bar = self
            .timeframe
            .as_deref()
            .and_then(|t| t.parse::<tradelab_core::Timeframe>().ok());
        match (self.latency_ms.filter(|&ms| ms > 0), bar) {
            (Some(ms), Some(bar)) => engine.with_latency(std::time::Duration::from_millis(ms), bar),
            _ => engine,
        }
    }

    /// The engine configuration with `cash`.
    pub fn run_config(&self, cash: tradelab_core::Money) -> RunConfig {
        RunConfig {
            initial_cash: cash,
            fill_model: self.fill_model,
            commission: self.commission,
            slippage_bps: self.slippage_bps,
            allow_short: self.allow_short,
            close_at_end: self.close_at_end,
            lot_steps: self.lot_steps.clone(),
            all_week: self.all_week.clone(),
        }
    }
}

fn origin_to_store(o: Origin) -> RuleOrigin {
    match o {
        Origin::User => RuleOrigin::User,
        Origin::Template => RuleOrigin::System,
        Origin::AiSuggested => RuleOrigin::Analyst,
    }
}

fn origin_from_store(o: RuleOrigin) -> Origin {
    match o {
        RuleOrigin::User => Origin::User,
        RuleOrigin::System => Origin::Template,
        RuleOrigin::Analyst => Origin::AiSuggested,
    }
}

/// Stored rows of a rule set (`params` holds the kind and its parameters).
pub fn rules_to_specs(rules: &RuleSet) -> Vec<RuleSpec> {
    rules
        .rules
        .iter()
        .map(|r| RuleSpec {
            category: r.category.as_str().to_string(),
            name: r.name.clone(),
            description: r.description.clone(),
            params: serde_json::to_value(&r.kind).unwrap_or(serde_json::Value::Null),
            priority: i64::from(r.priority),
            active: r.active,
            origin: origin_to_store(r.origin),
        })
        .collect()
}

/// The rule set of stored rows, validated; errors name the rule and the field.
pub fn rules_from_specs(specs: &[RuleSpec], instructions: &str) -> Result<RuleSet, String> {
    checked_rules_from_specs(specs, instructions).map_err(|e| e.to_string())
}

/// [`rules_from_specs`] with every problem kept apart ([`RuleSetError::Invalid`]
/// lists them, each naming the rule and the field), for callers that point at the
/// field (the HTTP API).
pub fn checked_rules_from_specs(
    specs: &[RuleSpec],
    instructions: &str,
) -> Result<RuleSet, RuleSetError> {
    let mut rules = Vec::with_capacity(specs.len());
    for s in specs {
        let mut rule = match &s.params {
            serde_json::Value::Object(map) => map.clone(),
            _ => {
                return Err(RuleSetError::Invalid {
                    source_name: "stored rules".into(),
                    issues: vec![RuleIssue::new(&s.name, "params", "is not an object")],
                });
            }
        };
        rule.insert("name".into(), s.name.clone().into());
        rule.insert("category".into(), s.category.clone().into());
        rule.insert("description".into(), s.description.clone().into());
        rule.insert("priority".into(), s.priority.into());
        rule.insert("active".into(), s.active.into());
        let origin = match origin_from_store(s.origin) {
            Origin::User => "user",
            Origin::Template => "template",
            Origin::AiSuggested => "ai_suggested",
        };
        rule.insert("origin".into(), origin.into());
        rules.push(serde_json::Value::Object(rule));
    }
    let doc = serde_json::json!({ "instructions": instructions, "rules": rules });
    RuleSet::from_document(doc, "stored rules")
}
