//! `tradelab models …`: create, list, show, edit and delete models and their rules.

use crate::args::{Fill, OutputFormat};
use crate::backtest::decimal;
use crate::display;
use crate::rules_cmd::load_rules;
use crate::settings_view::{
    execution_json, execution_text, rule_json, strategy_json, strategy_text,
};
use crate::store_args::{ModelRulesCommand, ModelSettings, ModelsCommand, StoreArgs};
use crate::store_ctx::{self, Ctx};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tradelab_core::Symbol;
use tradelab_engine::{DeciderRegistry, FillModel};
use tradelab_runner::{
    ExecutionSettings, InstrumentChanges, LabeledParam, ModelChanges, ModelSettingsError,
    apply_instrument_changes, apply_model_changes, new_model_spec, rules_from_specs,
    rules_to_specs,
};
use tradelab_store::{ModelId, ModelSpec, PageRequest, RuleSpec};

/// Runs a models subcommand; `--strategy` must name a decider in `deciders`.
pub fn run(cmd: ModelsCommand, args: &StoreArgs, deciders: &DeciderRegistry) -> Result<()> {
    store_ctx::runtime()?.block_on(async {
        let ctx = store_ctx::open(args).await?;
        match cmd {
            ModelsCommand::Create {
                name,
                settings,
                rules,
                template,
            } => {
                let (rules, template) = (rules.as_deref(), template.as_deref());
                create(&ctx, deciders, name, settings, rules, template).await
            }
            ModelsCommand::List {
                limit,
                after,
                output,
            } => list(&ctx, deciders, limit, after, output).await,
            ModelsCommand::Show { model, output } => show(&ctx, deciders, &model, output).await,
            ModelsCommand::Edit {
                model,
                rename,
                settings,
            } => edit(&ctx, deciders, &model, rename, settings).await,
            ModelsCommand::Delete { model } => {
                let m = ctx.model(&model).await?;
                ctx.store.models().delete(ctx.user.id, m.id).await?;
                println!("deleted model {}", m.spec.name);
                Ok(())
            }
            ModelsCommand::Rules(r) => rules(&ctx, r).await,
        }
    })
}

/// Applies the given flags onto `spec` (creation starts from defaults) through the
/// runner's [`apply_model_changes`], the checks the HTTP API shares; the strategy must
/// build from `deciders`. Refusals name the flag.
fn apply(spec: &mut ModelSpec, s: ModelSettings, deciders: &DeciderRegistry) -> Result<()> {
    let mut params = Vec::new();
    for p in &s.params {
        let (k, v) = p
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| anyhow!("--param {p:?} is not of the form name=value"))?;
        params.push((k.trim().to_string(), v.trim().to_string()));
    }
    let llm = s
        .llm
        .params()?
        .into_iter()
        .map(|(flag, key, value)| LabeledParam {
            label: flag.to_string(),
            key,
            value,
        })
        .collect();
    let opt = |flag: &str, v: &Option<String>| v.as_deref().map(|t| decimal(flag, t)).transpose();
    let instruments = InstrumentChanges {
        lot_steps: crate::backtest::lot_steps(&s.lot_steps)?
            .into_iter()
            .collect(),
        all_week: s
            .all_week
            .as_deref()
            .map(crate::backtest::all_week)
            .transpose()?
            .map(|set| set.into_iter().collect()),
    };
    let changes = ModelChanges {
        strategy: s.strategy,
        params,
        llm,
        initial_cash: opt("cash", &s.cash)?,
        commission_rate: opt("commission", &s.commission)?,
        commission_per_share: opt("commission-per-share", &s.commission_per_share)?,
        commission_minimum: opt("commission-min", &s.commission_min)?,
        slippage_bps: opt("slippage-bps", &s.slippage_bps)?,
        latency_ms: s.latency_ms,
        fill_model: s.fill.map(|f| match f {
            Fill::NextOpen => FillModel::NextOpen,
            Fill::Close => FillModel::Close,
        }),
        allow_short: s.allow_short,
        close_at_end: s.close_at_end,
        symbols: s
            .symbols
            .map(|symbols| {
                symbols
                    .iter()
                    .map(|t| Symbol::new(t).with_context(|| format!("--symbols {t:?}")))
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?,
        description: s.description,
        instructions: s.instructions,
    };
    apply_model_changes(spec, changes, deciders, tradelab_agent::settings::STRATEGY).map_err(
        |e| match e {
            ModelSettingsError::LlmWithOtherStrategy {
                label,
                strategy,
                llm,
            } => anyhow!(
                "{label} sets the LLM agent and strategy {strategy} does not use it; \
                 give --strategy {llm}, or leave {label} out"
            ),
            ModelSettingsError::SetTwice { label, key } => {
                anyhow!("{label} and --param {key}=… both set {key}; give one of them")
            }
            ModelSettingsError::CashNotPositive { .. } => anyhow!("--cash must be positive"),
            ModelSettingsError::CommissionTooHigh { rate } => {
                anyhow!("--commission {rate} is a fraction of notional and must be below 1")
            }
            other => anyhow!("{other}"),
        },
    )?;
    apply_instrument_changes(spec, instruments).map_err(|e| anyhow!("{e}"))
}

async fn create(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    name: String,
    settings: ModelSettings,
    rules: Option<&std::path::Path>,
    template: Option<&str>,
) -> Result<()> {
    if settings.strategy.is_none() {
        bail!("--strategy is required to create a model (see `tradelab strategies`)");
    }
    let rule_set = load_rules(rules, template)?;
    let mut spec = new_model_spec(&name, &rule_set.instructions);
    if spec.name.is_empty() {
        bail!("the model name must not be empty");
    }
    apply(&mut spec, settings, deciders)?;
    let model = ctx.store.models().create(ctx.user.id, &spec).await?;
    for r in rules_to_specs(&rule_set) {
        ctx.store.rules().create(ctx.user.id, model.id, &r).await?;
    }
    println!(
        "created model {} (id {}) with {} rule(s)",
        model.spec.name,
        model.id,
        rule_set.rules.len()
    );
    Ok(())
}

async fn edit(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    model: &str,
    rename: Option<String>,
    settings: ModelSettings,
) -> Result<()> {
    let m = ctx.model(model).await?;
    let mut spec = m.spec.clone();
    if let Some(n) = rename {
        spec.name = n;
    }
    apply(&mut spec, settings, deciders)?;
    let updated = ctx.store.models().update(ctx.user.id, m.id, &spec).await?;
    println!(
        "updated model {} (runs keep the snapshot they ran with)",
        updated.spec.name
    );
    Ok(())
}

fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// `models list`: one page of the user's models; strategy defaults from `deciders`.
async fn list(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    limit: u32,
    after: Option<i64>,
    output: OutputFormat,
) -> Result<()> {
    let page = PageRequest {
        limit,
        after: after.map(ModelId),
    };
    let models = ctx.store.models().list_by_owner(ctx.user.id, page).await?;
    let next_after = models.next_after.map(|m| m.0);
    let mut rows = Vec::new();
    for m in models.items {
        let runs = ctx.store.runs().count_by_model(ctx.user.id, m.id).await?;
        rows.push((m, runs));
    }
    if output == OutputFormat::Json {
        let items: Vec<Value> = rows
            .iter()
            .map(|(m, runs)| {
                json!({
                    "id": m.id.0,
                    "name": m.spec.name,
                    "strategy": strategy_json(&m.spec.decider, deciders),
                    "initial_cash": m.spec.initial_cash.get().to_string(),
                    "symbols": m.spec.allowed_symbols.iter().map(Symbol::as_str).collect::<Vec<_>>(),
                    "runs": runs,
                })
            })
            .collect();
        return print_json(&json!({ "items": items, "next_after": next_after }));
    }
    if rows.is_empty() && after.is_some() {
        println!("no more models");
        return Ok(());
    }
    if rows.is_empty() {
        println!(
            "no models yet; create one with `tradelab models create NAME --strategy sma_cross`"
        );
        return Ok(());
    }
    let texts: Vec<String> = rows
        .iter()
        .map(|(m, _)| strategy_text(&m.spec.decider, deciders))
        .collect();
    let name_w = rows
        .iter()
        .map(|(m, _)| m.spec.name.chars().count())
        .chain([5])
        .max()
        .unwrap_or(5);
    let strat_w = texts
        .iter()
        .map(|t| t.chars().count())
        .chain([8])
        .max()
        .unwrap_or(8);
    println!(
        "{:>4}  {:<name_w$}  {:<strat_w$}  {:>5}",
        "id", "model", "strategy", "runs"
    );
    for ((m, runs), text) in rows.iter().zip(&texts) {
        println!(
            "{:>4}  {:<name_w$}  {:<strat_w$}  {:>5}",
            m.id.0, m.spec.name, text, runs
        );
    }
    if let Some(next) = next_after {
        println!("more models: tradelab models list --limit {limit} --after {next}");
    }
    Ok(())
}

/// `models show`: settings and rules of one model; strategy defaults from `deciders`.
async fn show(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    model: &str,
    output: OutputFormat,
) -> Result<()> {
    let m = ctx.model(model).await?;
    let exec = ExecutionSettings::from_json(&m.spec.fill_model).map_err(|e| anyhow!(e))?;
    let rules: Vec<RuleSpec> = ctx
        .all_rules(m.id)
        .await?
        .into_iter()
        .map(|r| r.spec)
        .collect();
    let symbols: Vec<&str> = m.spec.allowed_symbols.iter().map(Symbol::as_str).collect();
    let llm = crate::llm_view::settings(&m.spec.decider);
    if output == OutputFormat::Json {
        return print_json(&json!({
            "id": m.id.0,
            "name": m.spec.name,
            "description": m.spec.description,
            "strategy": strategy_json(&m.spec.decider, deciders),
            "llm": llm.as_ref().map(crate::llm_view::json),
            "initial_cash": m.spec.initial_cash.get().to_string(),
            "execution": execution_json(&exec),
            "symbols": symbols,
            "instructions": m.spec.instructions,
            "rules": rules.iter().map(rule_json).collect::<Vec<_>>(),
        }));
    }
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    row("Model", format!("{} (id {})", m.spec.name, m.id));
    if !m.spec.description.is_empty() {
        row("Description", m.spec.description.clone());
    }
    row("Strategy", strategy_text(&m.spec.decider, deciders));
    for (k, v) in llm.as_ref().map(crate::llm_view::rows).unwrap_or_default() {
        row(&k, v);
    }
    row("Initial cash", display::amount(m.spec.initial_cash.get()));
    row("Execution", execution_text(&exec));
    row(
        "Symbols",
        if symbols.is_empty() {
            "any".into()
        } else {
            symbols.join(", ")
        },
    );
    if !m.spec.instructions.is_empty() {
        row("Instructions", display::one_line(&m.spec.instructions, 100));
    }
    print!("{}", display::rows(&rows));
    print_rules(&rules)
}

/// The rules as rows: priority, name, state, what the rule does and what it acts on.
fn print_rules(rows: &[RuleSpec]) -> Result<()> {
    if rows.is_empty() {
        println!("Rules         none");
        return Ok(());
    }
    let set = rules_from_specs(rows, "").map_err(|e| anyhow!(e))?;
    let width = set
        .rules
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let off = set.rules.iter().filter(|r| !r.active).count();
    println!(
        "Rules         {} ({} on, {} off; off rules are kept but not enforced)",
        set.rules.len(),
        set.rules.len() - off,
        off
    );
    println!(
        "  {:>4}  {:<width$}  {:<5}  what it does",
        "prio", "rule", "state"
    );
    for r in &set.rules {
        println!(
            "  {:>4}  {:<width$}  {:<5}  {} — {}",
            r.priority,
            r.name,
            if r.active { "on" } else { "off" },
            r.kind.summary(),
            r.kind.scope()
        );
    }
    Ok(())
}

async fn rules(ctx: &Ctx, cmd: ModelRulesCommand) -> Result<()> {
    match cmd {
        ModelRulesCommand::Add {
            model,
            rules,
            template,
        } => {
            if rules.is_none() && template.is_none() {
                bail!("give --rules FILE or --template NAME");
            }
            let m = ctx.model(&model).await?;
            let set = load_rules(rules.as_deref(), template.as_deref())?;
            // Check the model's rules with the new ones as a whole before storing any.
            let mut all: Vec<_> = ctx
                .all_rules(m.id)
                .await?
                .into_iter()
                .map(|r| r.spec)
                .collect();
            let new = rules_to_specs(&set);
            all.extend(new.iter().cloned());
            rules_from_specs(&all, "").map_err(|e| anyhow!("model {}: {e}", m.spec.name))?;
            for r in &new {
                ctx.store.rules().create(ctx.user.id, m.id, r).await?;
            }
            println!("added {} rule(s) to {}", new.len(), m.spec.name);
            Ok(())
        }
        ModelRulesCommand::List { model } => {
            let m = ctx.model(&model).await?;
            let rows: Vec<RuleSpec> = ctx
                .all_rules(m.id)
                .await?
                .into_iter()
                .map(|r| r.spec)
                .collect();
            print_rules(&rows)
        }
        ModelRulesCommand::Toggle {
            model,
            rule,
            active,
        } => {
            let m = ctx.model(&model).await?;
            let r = find_rule(ctx, m.id, &rule).await?;
            let to = active.unwrap_or(!r.spec.active);
            ctx.store.rules().set_active(ctx.user.id, r.id, to).await?;
            println!("rule {} is now {}", rule, if to { "on" } else { "off" });
            Ok(())
        }
        ModelRulesCommand::Remove { model, rule } => {
            let m = ctx.model(&model).await?;
            let r = find_rule(ctx, m.id, &rule).await?;
            ctx.store.rules().delete(ctx.user.id, r.id).await?;
            println!("removed rule {rule} from {}", m.spec.name);
            Ok(())
        }
    }
}

async fn find_rule(
    ctx: &Ctx,
    model: tradelab_store::ModelId,
    name: &str,
) -> Result<tradelab_store::Rule> {
    let rules = ctx.all_rules(model).await?;
    let names: Vec<String> = rules.iter().map(|r| r.spec.name.clone()).collect();
    rules
        .into_iter()
        .find(|r| r.spec.name == name)
        .ok_or_else(|| anyhow!("no rule {name:?}; the model's rules: {}", names.join(", ")))
}
