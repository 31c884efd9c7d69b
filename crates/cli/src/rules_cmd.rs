//! `tradelab rules …`: validate rule files and show the templates.

use crate::args::{OutputFormat, RulesCommand};
use anyhow::{Context, Result};
use std::path::Path;
use tradelab_engine::risk::{RuleSet, template, templates};
use tradelab_rules_file as rules_file;

/// Runs a rules subcommand.
pub fn run(cmd: RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::Check { file, output } => {
            let rules = rules_file::load(&file).map_err(|e| anyhow::anyhow!("{e}"))?;
            match output {
                OutputFormat::Json => print_json(&check_json(&file, &rules)?),
                OutputFormat::Table => {
                    println!("{}: {} rule(s), valid", file.display(), rules.rules.len());
                    print_rules(&rules);
                    Ok(())
                }
            }
        }
        RulesCommand::Templates {
            show: Some(name), ..
        } => {
            let rules = template(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{}", rules_file::to_toml(&rules));
            Ok(())
        }
        RulesCommand::Templates {
            show: None,
            output: OutputFormat::Json,
        } => {
            let items: Vec<serde_json::Value> = templates()
                .iter()
                .map(|t| serde_json::json!({"name": t.name, "summary": t.summary}))
                .collect();
            print_json(&serde_json::json!({ "templates": items }))
        }
        RulesCommand::Templates {
            show: None,
            output: OutputFormat::Table,
        } => {
            for t in templates() {
                println!("{:<20} {}", t.name, t.summary);
            }
            println!("\nUse one with `tradelab backtest … --template NAME`;");
            println!("print it as a file with `tradelab rules templates --show NAME`.");
            Ok(())
        }
    }
}

fn print_json(v: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// The rules in the order of [`print_rules`], highest priority first.
fn by_priority(rules: &RuleSet) -> Vec<&tradelab_engine::risk::Rule> {
    let mut all: Vec<_> = rules.rules.iter().collect();
    all.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.name.cmp(&b.name)));
    all
}

/// `rules check --output json`: the file, whether it is valid, and each rule with its
/// parameters (exact amounts as strings), summary and scope, highest priority first.
fn check_json(file: &Path, rules: &RuleSet) -> Result<serde_json::Value> {
    let items = by_priority(rules)
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(r)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("summary".into(), r.kind.summary().into());
                obj.insert("scope".into(), r.kind.scope().to_string().into());
            }
            Ok(v)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(serde_json::json!({
        "file": file.display().to_string(),
        "valid": true,
        "rules": items,
        "instructions": rules.instructions,
    }))
}

/// Prints each rule with its priority, scope and parameters, highest priority first.
fn print_rules(rules: &RuleSet) {
    for r in by_priority(rules) {
        println!(
            "  [{}] {:<24} {:<8} {} — scope: {}{}",
            r.priority,
            r.name,
            r.kind.kind_name(),
            r.kind.summary(),
            r.kind.scope(),
            if r.active { "" } else { " (inactive)" }
        );
    }
    if !rules.instructions.is_empty() {
        println!("\ninstructions: {}", rules.instructions);
    }
}

/// The rules a backtest enforces: a template, a file, or the template with the file's
/// rules replacing same-named ones.
pub fn load_rules(file: Option<&Path>, template_name: Option<&str>) -> Result<RuleSet> {
    let base = match template_name {
        Some(name) => template(name).map_err(|e| anyhow::anyhow!("--template: {e}"))?,
        None => RuleSet::default(),
    };
    match file {
        Some(path) => {
            let own = rules_file::load(path)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("--rules {}", path.display()))?;
            Ok(base.merged(&own))
        }
        None => Ok(base),
    }
}
