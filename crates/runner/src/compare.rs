//! Side-by-side comparison of runs: metrics and the differences of their snapshots.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use tradelab_store::Run;

/// Metrics shown side by side, in this order.
pub const COMPARED_METRICS: &[&str] = &[
    "final_equity",
    "total_return_pct",
    "cagr_pct",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "volatility_ann_pct",
    "closed_trades",
    "open_trades",
    "win_rate_pct",
    "profit_factor",
    "expectancy",
    "exposure_pct",
    "commissions",
    "buy_and_hold_return_pct",
    "fills",
];

/// The comparison of several runs.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Run labels (`model#number`).
    pub runs: Vec<String>,
    /// `(metric, value per run)`.
    pub metrics: Vec<(String, Vec<Value>)>,
    /// `(snapshot field, value per run)` for every field that differs between runs.
    pub differences: Vec<(String, Vec<Value>)>,
    /// Statuses (`completed`, `halted`, …) with reasons.
    pub statuses: Vec<String>,
}

/// Flattens a JSON document into `path → value` leaves.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&p, v, out);
            }
        }
        Value::Array(items)
            if items.iter().all(|i| i.get("name").is_some()) && !items.is_empty() =>
        {
            // Named items (rules) compare as one line each: what the rule says, and
            // whether it is on; a rule missing from a run shows as n/a.
            for item in items {
                let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
                let text = item
                    .get("description")
                    .and_then(Value::as_str)
                    .filter(|d| !d.is_empty())
                    .map_or_else(
                        || item.get("params").cloned().unwrap_or_default().to_string(),
                        str::to_string,
                    );
                let off = item.get("active").and_then(Value::as_bool) == Some(false);
                let text = if off { format!("{text} (off)") } else { text };
                out.push((format!("{prefix}[{name}]"), Value::String(text)));
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// Compares runs: metrics from their summaries, and the snapshot fields that differ
/// (rules by name, decider parameters, costs, data fingerprint).
pub fn compare(runs: &[Run], labels: Vec<String>) -> Comparison {
    let metrics = COMPARED_METRICS
        .iter()
        .map(|m| {
            let values = runs
                .iter()
                .map(|r| {
                    r.summary
                        .as_ref()
                        .and_then(|s| s.get(*m).cloned())
                        .unwrap_or(Value::Null)
                })
                .collect();
            (m.to_string(), values)
        })
        .collect();
    let flat: Vec<Vec<(String, Value)>> = runs
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            let mut snap = serde_json::to_value(&r.snapshot).unwrap_or_default();
            if let Some(o) = snap.as_object_mut() {
                o.remove("model");
            }
            leaves("", &snap, &mut out);
            out
        })
        .collect();
    let keys: BTreeSet<&String> = flat.iter().flat_map(|f| f.iter().map(|(k, _)| k)).collect();
    let differences = keys
        .into_iter()
        .filter_map(|k| {
            let values: Vec<Value> = flat
                .iter()
                .map(|f| {
                    f.iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Value::Null)
                })
                .collect();
            values
                .windows(2)
                .any(|w| w[0] != w[1])
                .then(|| (k.clone(), values))
        })
        .collect();
    Comparison {
        runs: labels,
        metrics,
        differences,
        statuses: runs
            .iter()
            .map(|r| match &r.status_reason {
                Some(reason) => format!("{} ({reason})", r.status),
                None => r.status.to_string(),
            })
            .collect(),
    }
}
