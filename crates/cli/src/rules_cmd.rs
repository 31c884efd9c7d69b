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
                OutputFormat::Json => print_json(&check_json(&file, &rules)),
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

/// `rules check --output json`: the file, then what [`rules_file::describe`] says of
/// the set (whether it is valid, each rule with its parameters, summary and scope,
/// highest priority first, the instructions).
fn check_json(file: &Path, rules: &RuleSet) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    out.insert("file".into(), file.display().to_string().into());
    if let serde_json::Value::Object(described) = rules_file::describe(rules) {
        out.extend(described);
    }
    serde_json::Value::Object(out)
}

/// Prints each rule with its priority, scope and parameters, highest priority first.
fn print_rules(rules: &RuleSet) {
    for r in rules_file::by_priority(rules) {
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
