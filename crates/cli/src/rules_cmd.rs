//! `tradelab rules …`: validate rule files and show the templates.

use crate::args::RulesCommand;
use anyhow::{Context, Result};
use std::path::Path;
use tradelab_engine::risk::{RuleSet, template, templates};
use tradelab_rules_file as rules_file;

/// Runs a rules subcommand.
pub fn run(cmd: RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::Check { file } => {
            let rules = rules_file::load(&file).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}: {} rule(s), valid", file.display(), rules.rules.len());
            print_rules(&rules);
            Ok(())
        }
        RulesCommand::Templates { show: Some(name) } => {
            let rules = template(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{}", rules_file::to_toml(&rules));
            Ok(())
        }
        RulesCommand::Templates { show: None } => {
            for t in templates() {
                println!("{:<20} {}", t.name, t.summary);
            }
            println!("\nUse one with `tradelab backtest … --template NAME`;");
            println!("print it as a file with `tradelab rules templates --show NAME`.");
            Ok(())
        }
    }
}

/// Prints each rule with its priority, scope and parameters, highest priority first.
fn print_rules(rules: &RuleSet) {
    let mut all: Vec<_> = rules.rules.iter().collect();
    all.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.name.cmp(&b.name)));
    for r in all {
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
