//! `tradelab strategies`: the registered deciders and their parameters.

use crate::args::OutputFormat;
use anyhow::Result;
use tradelab_engine::DeciderRegistry;

/// Prints the deciders of `deciders` with their parameters (`tradelab strategies`).
pub fn list_strategies(deciders: &DeciderRegistry, output: OutputFormat) -> Result<()> {
    if output == OutputFormat::Json {
        let items: Vec<serde_json::Value> = deciders
            .catalog()
            .map(|s| {
                let params: Vec<serde_json::Value> = s
                    .params
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "name": p.name,
                            "default": p.default,
                            "help": p.help,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "name": s.name,
                    "summary": s.summary,
                    "params": params,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "strategies": items }))?
        );
        return Ok(());
    }
    for s in deciders.catalog() {
        println!("{:<16} {}", s.name, s.summary);
        let name_w = s
            .params
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0)
            .max(10);
        let default_w = s
            .params
            .iter()
            .map(|p| p.default.len())
            .max()
            .unwrap_or(0)
            .max(6);
        for p in s.params.iter() {
            let default = if p.default.is_empty() {
                "-"
            } else {
                &p.default
            };
            println!(
                "    {:<name_w$} default {default:<default_w$} {}",
                p.name, p.help
            );
        }
        if s.name == tradelab_agent::settings::STRATEGY {
            println!(
                "    set with --param NAME=VALUE or the --llm-* flags of `backtest` and \
                 `models create|edit`; the API key is read from the variable api_key_env \
                 names and never stored"
            );
        }
    }
    Ok(())
}
