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
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tradelab_core::{Money, Symbol};
use tradelab_engine::{DeciderRegistry, FillModel};
use tradelab_runner::{ExecutionSettings, decider_params, rules_from_specs, rules_to_specs};
use tradelab_store::{DeciderConfig, ModelId, ModelSpec, PageRequest, RuleSpec};

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

/// Applies the given flags onto `spec` (creation starts from defaults); the strategy
/// must build from `deciders`.
fn apply(spec: &mut ModelSpec, s: ModelSettings, deciders: &DeciderRegistry) -> Result<()> {
    let mut exec = ExecutionSettings::from_json(&spec.fill_model).map_err(|e| anyhow!(e))?;
    if let Some(strategy) = s.strategy {
        spec.decider.kind = strategy;
        spec.decider.params = Value::Object(Map::new());
    }
    let mut given = Vec::new();
    for p in &s.params {
        let (k, v) = p
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| anyhow!("--param {p:?} is not of the form name=value"))?;
        given.push((k.trim().to_string(), v.trim().to_string()));
    }
    crate::llm_args::merge(&spec.decider.kind, s.llm.params()?, &mut given)?;
    if !given.is_empty() {
        let mut map = spec.decider.params.as_object().cloned().unwrap_or_default();
        for (k, v) in given {
            map.insert(k, Value::String(v));
        }
        spec.decider.params = Value::Object(map);
    }
    if let Some(cash) = s.cash {
        let c = decimal("cash", &cash)?;
        if c.is_zero() {
            bail!("--cash must be positive");
        }
        spec.initial_cash = Money::from(c);
    }
    if let Some(v) = s.commission {
        exec.commission.rate = decimal("commission", &v)?;
        if exec.commission.rate >= Decimal::ONE {
            bail!("--commission {v} is a fraction of notional and must be below 1");
        }
    }
    if let Some(v) = s.commission_per_share {
        exec.commission.per_share = decimal("commission-per-share", &v)?;
    }
    if let Some(v) = s.commission_min {
        exec.commission.minimum = decimal("commission-min", &v)?;
    }
    if let Some(v) = s.slippage_bps {
        exec.slippage_bps = decimal("slippage-bps", &v)?;
    }
    if let Some(f) = s.fill {
        exec.fill_model = match f {
            Fill::NextOpen => FillModel::NextOpen,
            Fill::Close => FillModel::Close,
        };
    }
    if let Some(v) = s.allow_short {
        exec.allow_short = v;
    }
    if let Some(v) = s.close_at_end {
        exec.close_at_end = v;
    }
    if let Some(symbols) = s.symbols {
        spec.allowed_symbols = symbols
            .iter()
            .map(|t| Symbol::new(t).with_context(|| format!("--symbols {t:?}")))
            .collect::<Result<_>>()?;
    }
    if let Some(d) = s.description {
        spec.description = d;
    }
    if let Some(i) = s.instructions {
        spec.instructions = i;
    }
    spec.fill_model = exec.to_json();
    // The strategy and its parameters must build, so a bad model is refused now,
    // not at its first run.
    let params = decider_params(&spec.decider);
    deciders
        .build(&spec.decider.kind, &params, exec.allow_short)
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
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
    let mut spec = ModelSpec {
        name: name.trim().to_string(),
        description: String::new(),
        decider: DeciderConfig {
            kind: String::new(),
            params: Value::Object(Map::new()),
        },
        initial_cash: Money::from(10_000),
        allowed_symbols: Vec::new(),
        rules_text: String::new(),
        instructions: rule_set.instructions.clone(),
        fill_model: ExecutionSettings::default().to_json(),
    };
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
