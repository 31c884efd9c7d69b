//! How models and their rules look in answers: money and rates as decimal strings,
//! times as RFC 3339, the strategy with the parameter values it runs with, and each
//! rule with what it does and its scope in words (as `tradelab models show`).

use crate::views::rfc3339;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tradelab_engine::DeciderRegistry;
use tradelab_runner::{ExecutionSettings, checked_rules_from_specs, effective_params};
use tradelab_store::{Model, Rule};

/// The strategy of a model: its name, the parameter values it runs with, and which of
/// them are defaults.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct StrategyView {
    pub name: String,
    pub params: BTreeMap<String, String>,
    pub defaults: Vec<String>,
}

/// How a model's orders fill and what they cost (decimals as strings).
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct ExecutionView {
    pub fill_model: String,
    pub commission_rate: String,
    pub commission_per_share: String,
    pub commission_minimum: String,
    pub slippage_bps: String,
    pub allow_short: bool,
    pub close_at_end: bool,
}

/// A model as the API shows it.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct ModelView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub strategy: StrategyView,
    pub initial_cash: String,
    /// `null` when the stored settings do not read (logged).
    pub execution: Option<ExecutionView>,
    pub symbols: Vec<String>,
    pub instructions: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The view of `m`; strategy defaults from `deciders`.
pub fn model_view(m: &Model, deciders: &DeciderRegistry) -> ModelView {
    let params = effective_params(&m.spec.decider, deciders);
    let execution = match ExecutionSettings::from_json(&m.spec.fill_model) {
        Ok(exec) => Some(ExecutionView {
            fill_model: match exec.fill_model {
                tradelab_engine::FillModel::NextOpen => "next_open".into(),
                tradelab_engine::FillModel::Close => "close".into(),
            },
            commission_rate: exec.commission.rate.to_string(),
            commission_per_share: exec.commission.per_share.to_string(),
            commission_minimum: exec.commission.minimum.to_string(),
            slippage_bps: exec.slippage_bps.to_string(),
            allow_short: exec.allow_short,
            close_at_end: exec.close_at_end,
        }),
        Err(e) => {
            tracing::warn!(model = m.id.0, error = %e, "stored execution settings do not read");
            None
        }
    };
    ModelView {
        id: m.id.0,
        name: m.spec.name.clone(),
        description: m.spec.description.clone(),
        strategy: StrategyView {
            name: m.spec.decider.kind.clone(),
            defaults: params.iter().filter(|p| p.2).map(|p| p.0.clone()).collect(),
            params: params.into_iter().map(|(k, v, _)| (k, v)).collect(),
        },
        initial_cash: m.spec.initial_cash.get().to_string(),
        execution,
        symbols: m
            .spec
            .allowed_symbols
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        instructions: m.spec.instructions.clone(),
        created_at: rfc3339(m.created_at),
        updated_at: rfc3339(m.updated_at),
    }
}

/// A structured rule of a model as the API shows it.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub model_id: i64,
    pub name: String,
    /// The rule kind, e.g. `stop_loss_pct`.
    pub kind: String,
    /// The kind's parameters (numbers as in the rules file).
    #[schema(value_type = Object)]
    pub params: Value,
    pub category: String,
    pub description: String,
    pub priority: i64,
    pub active: bool,
    pub origin: String,
    /// The parameters in one line, e.g. `stop at 5 % below entry`.
    pub summary: Option<String>,
    /// What the rule does when it triggers, in words (`blocks entries only; exits are
    /// always allowed`, …), as the CLI shows it.
    pub scope: Option<String>,
    /// The same as a name: `blocks_entries`, `blocks_all_orders`, `exits_position`,
    /// `halts_run`, `resizes_or_rejects_entries`, `blocks_entries_and_flattens`.
    #[schema(value_type = Option<String>)]
    pub scope_kind: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// The view of a stored rule (its kind decoded for the summary and scope).
pub fn rule_view(r: &Rule) -> RuleView {
    let decoded = checked_rules_from_specs(std::slice::from_ref(&r.spec), "")
        .ok()
        .and_then(|set| set.rules.into_iter().next());
    let mut params = r.spec.params.clone();
    let kind = params
        .as_object_mut()
        .and_then(|m| m.remove("kind"))
        .and_then(|k| k.as_str().map(str::to_string))
        .unwrap_or_default();
    RuleView {
        id: r.id.0,
        model_id: r.model.0,
        name: r.spec.name.clone(),
        kind,
        params,
        category: r.spec.category.clone(),
        description: r.spec.description.clone(),
        priority: r.spec.priority,
        active: r.spec.active,
        origin: r.spec.origin.as_str().to_string(),
        summary: decoded.as_ref().map(|d| d.kind.summary()),
        scope: decoded.as_ref().map(|d| d.kind.scope().to_string()),
        scope_kind: decoded
            .as_ref()
            .and_then(|d| serde_json::to_value(d.kind.scope()).ok()),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}
