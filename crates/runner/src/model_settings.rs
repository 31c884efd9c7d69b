//! Changing a model's settings (strategy and parameters, LLM agent settings, cash,
//! costs, fills, symbols, texts) with the checks every front end shares: the CLI's
//! `models create|edit` and the HTTP API apply the same [`ModelChanges`] and refuse the
//! same things, each naming the refused value in its own words (a flag, a JSON field).

use crate::config::ExecutionSettings;
use crate::run::decider_params;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use tradelab_core::{Money, Quantity, Symbol};
use tradelab_engine::strategies::StrategyError;
use tradelab_engine::{DeciderRegistry, FillModel, LotStepError, parse_lot_step};
use tradelab_store::{DeciderConfig, ModelSpec};

/// A decider parameter set by a setting of the LLM agent, with the label that names the
/// setting to the user (`--llm-model` on the command line, `llm.model` in the API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabeledParam {
    /// How the user named it.
    pub label: String,
    /// The decider parameter it sets, e.g. `model`.
    pub key: String,
    /// The value as text.
    pub value: String,
}

/// What to change in a model's settings; `None` and empty lists leave a setting as it
/// is. Creation applies the changes to a new model's defaults.
#[derive(Clone, Debug, Default)]
pub struct ModelChanges {
    /// Another strategy: its parameters start empty (defaults).
    pub strategy: Option<String>,
    /// Decider parameters to set, as text, in the order given.
    pub params: Vec<(String, String)>,
    /// LLM agent settings (only with the LLM strategy), in the order given.
    pub llm: Vec<LabeledParam>,
    pub initial_cash: Option<Decimal>,
    /// Commission as a fraction of notional (below 1).
    pub commission_rate: Option<Decimal>,
    pub commission_per_share: Option<Decimal>,
    pub commission_minimum: Option<Decimal>,
    pub slippage_bps: Option<Decimal>,
    /// Milliseconds from a decision to the broker (0: none).
    pub latency_ms: Option<u64>,
    pub fill_model: Option<FillModel>,
    pub allow_short: Option<bool>,
    pub close_at_end: Option<bool>,
    pub symbols: Option<Vec<Symbol>>,
    pub description: Option<String>,
    pub instructions: Option<String>,
}

/// Why a change to a model's settings was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelSettingsError {
    /// An LLM setting was given with a strategy that is not the LLM agent.
    #[error(
        "{label} sets the LLM agent and strategy {strategy} does not use it; choose \
         strategy {llm}, or leave {label} out"
    )]
    LlmWithOtherStrategy {
        label: String,
        strategy: String,
        llm: String,
    },
    /// An LLM setting and a plain parameter set the same decider parameter.
    #[error("{label} and parameter {key} both set {key}; give one of them")]
    SetTwice { label: String, key: String },
    /// The starting cash is zero or negative.
    #[error("initial cash must be positive, not {cash}")]
    CashNotPositive { cash: Decimal },
    /// The commission rate is a fraction of notional of 1 or more.
    #[error("commission {rate} is a fraction of notional and must be below 1")]
    CommissionTooHigh { rate: Decimal },
    /// The model's stored execution settings do not read.
    #[error("{0}")]
    StoredSettings(String),
    /// No strategy of this name is registered (the message lists the known ones).
    #[error("{0}")]
    UnknownStrategy(String),
    /// The strategy does not build with these parameters (a bad or unknown value).
    #[error("{0}")]
    Strategy(String),
}

/// Applies `changes` onto `spec` (creation starts from [`new_model_spec`]); the
/// strategy must build from `deciders` with its parameters, so a bad model is refused
/// now, not at its first run. `llm_strategy` names the LLM agent's strategy, the only
/// one that takes [`ModelChanges::llm`].
pub fn apply_model_changes(
    spec: &mut ModelSpec,
    changes: ModelChanges,
    deciders: &DeciderRegistry,
    llm_strategy: &str,
) -> Result<(), ModelSettingsError> {
    let mut exec = ExecutionSettings::from_json(&spec.fill_model)
        .map_err(ModelSettingsError::StoredSettings)?;
    if let Some(strategy) = changes.strategy {
        spec.decider.kind = strategy;
        spec.decider.params = Value::Object(Map::new());
    }
    let mut given = changes.params;
    if let Some(first) = changes.llm.first()
        && spec.decider.kind != llm_strategy
    {
        return Err(ModelSettingsError::LlmWithOtherStrategy {
            label: first.label.clone(),
            strategy: spec.decider.kind.clone(),
            llm: llm_strategy.to_string(),
        });
    }
    for p in changes.llm {
        if given.iter().any(|(k, _)| *k == p.key) {
            return Err(ModelSettingsError::SetTwice {
                label: p.label,
                key: p.key,
            });
        }
        given.push((p.key, p.value));
    }
    if !given.is_empty() {
        let mut map = spec.decider.params.as_object().cloned().unwrap_or_default();
        for (k, v) in given {
            map.insert(k, Value::String(v));
        }
        spec.decider.params = Value::Object(map);
    }
    if let Some(cash) = changes.initial_cash {
        if cash <= Decimal::ZERO {
            return Err(ModelSettingsError::CashNotPositive { cash });
        }
        spec.initial_cash = Money::from(cash);
    }
    if let Some(rate) = changes.commission_rate {
        if rate >= Decimal::ONE {
            return Err(ModelSettingsError::CommissionTooHigh { rate });
        }
        exec.commission.rate = rate;
    }
    if let Some(v) = changes.commission_per_share {
        exec.commission.per_share = v;
    }
    if let Some(v) = changes.commission_minimum {
        exec.commission.minimum = v;
    }
    if let Some(v) = changes.slippage_bps {
        exec.slippage_bps = v;
    }
    if let Some(ms) = changes.latency_ms {
        exec.latency_ms = (ms > 0).then_some(ms);
    }
    if let Some(f) = changes.fill_model {
        exec.fill_model = f;
    }
    if let Some(v) = changes.allow_short {
        exec.allow_short = v;
    }
    if let Some(v) = changes.close_at_end {
        exec.close_at_end = v;
    }
    if let Some(symbols) = changes.symbols {
        spec.allowed_symbols = symbols;
    }
    if let Some(d) = changes.description {
        spec.description = d;
    }
    if let Some(i) = changes.instructions {
        spec.instructions = i;
    }
    spec.fill_model = exec.to_json();
    let params = decider_params(&spec.decider);
    deciders
        .build(&spec.decider.kind, &params, exec.allow_short)
        .map_err(|e| match e {
            StrategyError::UnknownStrategy { .. } => {
                ModelSettingsError::UnknownStrategy(e.to_string())
            }
            other => ModelSettingsError::Strategy(other.to_string()),
        })?;
    Ok(())
}

/// How a model's symbols trade, where they differ from whole-share stocks: lot steps
/// to set (each replaces the symbol's step; other symbols keep theirs) and, when
/// given, the full list of symbols that trade seven days a week. Kept apart from
/// [`ModelChanges`] so front ends that do not offer these settings are unchanged.
#[derive(Clone, Debug, Default)]
pub struct InstrumentChanges {
    pub lot_steps: Vec<(Symbol, Quantity)>,
    pub all_week: Option<Vec<Symbol>>,
}

/// Why [`apply_instrument_changes`] refused a change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstrumentSettingsError {
    /// The model's stored execution settings do not read.
    #[error("{0}")]
    StoredSettings(String),
    /// A lot step the engine would refuse (names the symbol and the step).
    #[error(transparent)]
    LotStep(#[from] LotStepError),
}

/// Applies `changes` to the model's stored execution settings. A step must be a
/// positive decimal with at most 12 decimals (the engine's rule), refused naming the
/// symbol and the step.
pub fn apply_instrument_changes(
    spec: &mut ModelSpec,
    changes: InstrumentChanges,
) -> Result<(), InstrumentSettingsError> {
    if changes.lot_steps.is_empty() && changes.all_week.is_none() {
        return Ok(());
    }
    let mut exec = ExecutionSettings::from_json(&spec.fill_model)
        .map_err(InstrumentSettingsError::StoredSettings)?;
    for (symbol, step) in changes.lot_steps {
        let (symbol, step) = parse_lot_step(&format!("{symbol}={step}"))?;
        exec.lot_steps.insert(symbol, step);
    }
    if let Some(symbols) = changes.all_week {
        exec.all_week = symbols.into_iter().collect();
    }
    spec.fill_model = exec.to_json();
    Ok(())
}

/// A new model's settings before any change: no strategy yet, 10,000 of cash, no
/// symbols, default execution; `instructions` from a template, if any.
pub fn new_model_spec(name: &str, instructions: &str) -> ModelSpec {
    ModelSpec {
        name: name.trim().to_string(),
        description: String::new(),
        decider: DeciderConfig {
            kind: String::new(),
            params: Value::Object(Map::new()),
        },
        initial_cash: Money::from(10_000),
        allowed_symbols: Vec::new(),
        rules_text: String::new(),
        instructions: instructions.to_string(),
        fill_model: ExecutionSettings::default().to_json(),
    }
}

/// A strategy's parameters as used: given ones, then the defaults `deciders` declares
/// for the rest. Each entry is `(name, value, is_default)`, in the declared order, then
/// given parameters the decider does not declare (or all given ones, for a decider
/// `deciders` does not know). The registry is the one that runs models, so a decider a
/// plug-in registered shows its defaults like a built-in.
pub fn effective_params(
    decider: &DeciderConfig,
    deciders: &DeciderRegistry,
) -> Vec<(String, String, bool)> {
    let given = decider.params.as_object().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let mut out = Vec::new();
    if let Some(info) = deciders.info(&decider.kind) {
        // `param.NAME` stands for any request field, not for a parameter of its own.
        for p in info.params.iter().filter(|p| !p.name.ends_with(".NAME")) {
            match given.get(p.name.as_ref()) {
                Some(v) => out.push((p.name.to_string(), text(v), false)),
                None => out.push((p.name.to_string(), p.default.to_string(), true)),
            }
        }
    }
    for (k, v) in &given {
        if !out.iter().any(|(name, _, _)| name == k) {
            out.push((k.clone(), text(v), false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sma() -> ModelSpec {
        let mut spec = new_model_spec("m", "");
        let changes = ModelChanges {
            strategy: Some("sma_cross".into()),
            symbols: Some(vec![Symbol::new("AAPL").expect("symbol")]),
            ..ModelChanges::default()
        };
        apply_model_changes(&mut spec, changes, &DeciderRegistry::builtin(), "llm")
            .expect("applies");
        spec
    }

    #[test]
    fn refuses_cash_that_is_not_positive_and_a_commission_of_one() {
        let mut spec = sma();
        let cash = ModelChanges {
            initial_cash: Some(Decimal::ZERO),
            ..ModelChanges::default()
        };
        let e = apply_model_changes(&mut spec, cash, &DeciderRegistry::builtin(), "llm");
        assert!(matches!(e, Err(ModelSettingsError::CashNotPositive { .. })));
        let rate = ModelChanges {
            commission_rate: Some(Decimal::ONE),
            ..ModelChanges::default()
        };
        let e = apply_model_changes(&mut spec, rate, &DeciderRegistry::builtin(), "llm");
        assert!(matches!(
            e,
            Err(ModelSettingsError::CommissionTooHigh { .. })
        ));
    }

    #[test]
    fn refuses_llm_settings_with_another_strategy_naming_the_setting() {
        let mut spec = sma();
        let changes = ModelChanges {
            llm: vec![LabeledParam {
                label: "llm.model".into(),
                key: "model".into(),
                value: "m".into(),
            }],
            ..ModelChanges::default()
        };
        let e = apply_model_changes(&mut spec, changes, &DeciderRegistry::builtin(), "llm")
            .expect_err("refused");
        assert!(
            e.to_string().starts_with("llm.model sets the LLM agent"),
            "{e}"
        );
    }

    #[test]
    fn refuses_parameters_the_strategy_does_not_build_with() {
        let mut spec = sma();
        let changes = ModelChanges {
            params: vec![("fast".into(), "not a number".into())],
            ..ModelChanges::default()
        };
        let e = apply_model_changes(&mut spec, changes, &DeciderRegistry::builtin(), "llm");
        assert!(matches!(e, Err(ModelSettingsError::Strategy(_))), "{e:?}");
    }

    #[test]
    fn a_new_strategy_starts_from_its_defaults() {
        let mut spec = sma();
        let changes = ModelChanges {
            params: vec![("fast".into(), "5".into())],
            ..ModelChanges::default()
        };
        apply_model_changes(&mut spec, changes, &DeciderRegistry::builtin(), "llm")
            .expect("applies");
        assert_eq!(spec.decider.params["fast"], "5");
        let changes = ModelChanges {
            strategy: Some("buy_and_hold".into()),
            ..ModelChanges::default()
        };
        apply_model_changes(&mut spec, changes, &DeciderRegistry::builtin(), "llm")
            .expect("applies");
        assert_eq!(spec.decider.params, serde_json::json!({}));
    }

    #[test]
    fn lot_steps_and_24_7_symbols_reach_the_run_config_and_bad_steps_are_refused() {
        let btc = Symbol::new("BTCUSDT").unwrap();
        let mut spec = new_model_spec("m", "");
        let before = spec.fill_model.clone();
        apply_instrument_changes(&mut spec, InstrumentChanges::default()).unwrap();
        assert_eq!(spec.fill_model, before, "no change, same stored JSON");
        assert!(before.get("lot_steps").is_none() && before.get("all_week").is_none());
        let changes = InstrumentChanges {
            lot_steps: vec![(btc.clone(), "0.000010".parse().unwrap())],
            all_week: Some(vec![btc.clone()]),
        };
        apply_instrument_changes(&mut spec, changes).unwrap();
        assert_eq!(spec.fill_model["lot_steps"]["BTCUSDT"], "0.00001");
        let exec = ExecutionSettings::from_json(&spec.fill_model).unwrap();
        let config = exec.run_config(Money::from(1000));
        assert_eq!(config.lot_step(&btc), Some("0.00001".parse().unwrap()));
        assert!(config.all_week.contains(&btc));
        let bad = InstrumentChanges {
            lot_steps: vec![(btc, "0.0000000000001".parse().unwrap())],
            all_week: None,
        };
        let err = apply_instrument_changes(&mut spec, bad).unwrap_err();
        assert!(err.to_string().contains("BTCUSDT=0.0000000000001"), "{err}");
    }
}
