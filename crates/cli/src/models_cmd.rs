//! `tradelab models …`: create, list, show, edit and delete models and their rules.

use crate::args::Fill;
use crate::backtest::decimal;
use crate::rules_cmd::load_rules;
use crate::store_args::{ModelRulesCommand, ModelSettings, ModelsCommand, StoreArgs};
use crate::store_ctx::{self, Ctx};
use anyhow::{Context, Result, anyhow, bail};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use tradelab_core::{Money, Symbol};
use tradelab_engine::{FillModel, strategies};
use tradelab_runner::{ExecutionSettings, decider_params, rules_from_specs, rules_to_specs};
use tradelab_store::{DeciderConfig, ModelSpec};

/// Runs a models subcommand.
pub fn run(cmd: ModelsCommand, args: &StoreArgs) -> Result<()> {
    store_ctx::runtime()?.block_on(async {
        let ctx = store_ctx::open(args).await?;
        match cmd {
            ModelsCommand::Create {
                name,
                settings,
                rules,
                template,
            } => create(&ctx, name, settings, rules.as_deref(), template.as_deref()).await,
            ModelsCommand::List => list(&ctx).await,
            ModelsCommand::Show { model } => show(&ctx, &model).await,
            ModelsCommand::Edit {
                model,
                rename,
                settings,
            } => edit(&ctx, &model, rename, settings).await,
            ModelsCommand::Delete { model } => {
                let m = ctx.model(&model).await?;
                ctx.store.models().delete(m.id).await?;
                println!("deleted model {}", m.spec.name);
                Ok(())
            }
            ModelsCommand::Rules(r) => rules(&ctx, r).await,
        }
    })
}

/// Applies the given flags onto `spec` (creation starts from defaults).
fn apply(spec: &mut ModelSpec, s: ModelSettings) -> Result<()> {
    let mut exec = ExecutionSettings::from_json(&spec.fill_model).map_err(|e| anyhow!(e))?;
    if let Some(strategy) = s.strategy {
        spec.decider.kind = strategy;
        spec.decider.params = Value::Object(Map::new());
    }
    if !s.params.is_empty() {
        let mut map = spec.decider.params.as_object().cloned().unwrap_or_default();
        for p in &s.params {
            let (k, v) = p
                .split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .ok_or_else(|| anyhow!("--param {p:?} is not of the form name=value"))?;
            map.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
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
    strategies::build(&spec.decider.kind, &params, exec.allow_short).map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

async fn create(
    ctx: &Ctx,
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
    apply(&mut spec, settings)?;
    let model = ctx.store.models().create(ctx.user.id, &spec).await?;
    for r in rules_to_specs(&rule_set) {
        ctx.store.rules().create(model.id, &r).await?;
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
    model: &str,
    rename: Option<String>,
    settings: ModelSettings,
) -> Result<()> {
    let m = ctx.model(model).await?;
    let mut spec = m.spec.clone();
    if let Some(n) = rename {
        spec.name = n;
    }
    apply(&mut spec, settings)?;
    let updated = ctx.store.models().update(m.id, &spec).await?;
    println!(
        "updated model {} (runs keep the snapshot they ran with)",
        updated.spec.name
    );
    Ok(())
}

async fn list(ctx: &Ctx) -> Result<()> {
    let models = ctx.store.models().list_by_owner(ctx.user.id).await?;
    if models.is_empty() {
        println!(
            "no models yet; create one with `tradelab models create NAME --strategy sma_cross`"
        );
    }
    if !models.is_empty() {
        println!(
            "{:>4}  {:<24} {:<40} {:>4}",
            "id", "model", "strategy", "runs"
        );
    }
    for m in models {
        let runs = ctx.store.runs().list_by_model(m.id).await?.len();
        println!(
            "{:>4}  {:<24} {:<40} {:>4}",
            m.id.0,
            m.spec.name,
            format!("{} {}", m.spec.decider.kind, m.spec.decider.params),
            runs
        );
    }
    Ok(())
}

async fn show(ctx: &Ctx, model: &str) -> Result<()> {
    let m = ctx.model(model).await?;
    let exec = ExecutionSettings::from_json(&m.spec.fill_model).map_err(|e| anyhow!(e))?;
    println!("model        {} (id {})", m.spec.name, m.id);
    if !m.spec.description.is_empty() {
        println!("description  {}", m.spec.description);
    }
    println!(
        "strategy     {} {}",
        m.spec.decider.kind, m.spec.decider.params
    );
    println!("cash         {}", m.spec.initial_cash);
    println!(
        "execution    fill {}, commission {}, slippage {} bps, shorting {}{}",
        exec.fill_model,
        exec.commission,
        exec.slippage_bps,
        if exec.allow_short { "allowed" } else { "off" },
        if exec.close_at_end {
            ", positions closed at the end of data"
        } else {
            ""
        }
    );
    let symbols: Vec<&str> = m.spec.allowed_symbols.iter().map(Symbol::as_str).collect();
    println!(
        "symbols      {}",
        if symbols.is_empty() {
            "any".into()
        } else {
            symbols.join(", ")
        }
    );
    if !m.spec.instructions.is_empty() {
        println!("instructions {}", m.spec.instructions);
    }
    print_rules(ctx, m.id).await
}

async fn print_rules(ctx: &Ctx, model: tradelab_store::ModelId) -> Result<()> {
    let rows = ctx.store.rules().list(model).await?;
    if rows.is_empty() {
        println!("rules        none");
        return Ok(());
    }
    let specs: Vec<_> = rows.iter().map(|r| r.spec.clone()).collect();
    let set = rules_from_specs(&specs, "").map_err(|e| anyhow!(e))?;
    println!("rules");
    for r in &set.rules {
        println!(
            "  [{}] {:<22} {}{} — {}",
            r.priority,
            r.name,
            r.kind.summary(),
            if r.active { "" } else { " (off)" },
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
                .store
                .rules()
                .list(m.id)
                .await?
                .into_iter()
                .map(|r| r.spec)
                .collect();
            let new = rules_to_specs(&set);
            all.extend(new.iter().cloned());
            rules_from_specs(&all, "").map_err(|e| anyhow!("model {}: {e}", m.spec.name))?;
            for r in &new {
                ctx.store.rules().create(m.id, r).await?;
            }
            println!("added {} rule(s) to {}", new.len(), m.spec.name);
            Ok(())
        }
        ModelRulesCommand::List { model } => {
            let m = ctx.model(&model).await?;
            print_rules(ctx, m.id).await
        }
        ModelRulesCommand::Toggle {
            model,
            rule,
            active,
        } => {
            let m = ctx.model(&model).await?;
            let r = find_rule(ctx, m.id, &rule).await?;
            let to = active.unwrap_or(!r.spec.active);
            ctx.store.rules().set_active(r.id, to).await?;
            println!("rule {} is now {}", rule, if to { "on" } else { "off" });
            Ok(())
        }
        ModelRulesCommand::Remove { model, rule } => {
            let m = ctx.model(&model).await?;
            let r = find_rule(ctx, m.id, &rule).await?;
            ctx.store.rules().delete(r.id).await?;
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
    let rules = ctx.store.rules().list(model).await?;
    let names: Vec<String> = rules.iter().map(|r| r.spec.name.clone()).collect();
    rules
        .into_iter()
        .find(|r| r.spec.name == name)
        .ok_or_else(|| anyhow!("no rule {name:?}; the model's rules: {}", names.join(", ")))
}
