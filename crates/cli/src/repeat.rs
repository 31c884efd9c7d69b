//! `runs start MODEL --repeat N`: the same model run N times on the same data, and
//! how far the results spread and how often the decisions agree. One lucky run of a
//! model that answers differently each time (an LLM at a temperature above zero) is
//! not skill; the spread says how much of a result is chance.

use crate::display;
use anyhow::Result;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tradelab_runner::Finished;
use tradelab_store::{AuditEvent, EventFilter, RunId, Store, UserId};

/// The metrics compared across the runs: (JSON key, label, unit).
const METRICS: [(&str, &str, &str); 4] = [
    ("total_return_pct", "Total return", "%"),
    ("sharpe", "Sharpe", ""),
    ("max_drawdown_pct", "Max drawdown", "%"),
    ("closed_trades", "Closed trades", ""),
];

/// What a model did at one asked step, as comparable text: its buy and sell tool
/// calls, the actions of its structured answers and how many orders it placed.
fn signature(detail: &Value) -> String {
    let trace = &detail["trace"];
    let trades: Vec<Value> = trace["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| matches!(c["name"].as_str(), Some("buy" | "sell")))
        .map(|c| json!([c["name"], c["arguments"]]))
        .collect();
    let answers: Vec<Value> = trace["inputs"]["answers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| json!([a["symbol"], a["action"], a["quantity"]]))
        .collect();
    json!([detail["orders"], trades, answers]).to_string()
}

/// The decisions of a run by step time: what it did at each asked step.
async fn decisions(store: &Store, owner: UserId, run: RunId) -> Result<BTreeMap<i64, String>> {
    let filter = EventFilter {
        kinds: vec!["decided".into()],
        ..EventFilter::default()
    };
    let mut by_step = BTreeMap::new();
    for row in store.audit().all(owner, run, &filter, 1_000).await? {
        if let AuditEvent::Event(e) = row {
            by_step.insert(e.ts.nanos(), signature(&e.detail));
        }
    }
    Ok(by_step)
}

/// The spread of the runs' metrics and their decisions' agreement.
pub struct Spread {
    labels: Vec<String>,
    /// Per metric: the value of each run (`None` where undefined).
    metrics: Vec<(&'static str, &'static str, &'static str, Vec<Option<f64>>)>,
    /// Steps asked in every run, and those at which all runs did the same.
    compared: usize,
    agreed: usize,
}

impl Spread {
    /// Compares the finished runs (at least two) of one model.
    pub async fn of(store: &Store, owner: UserId, runs: &[Finished]) -> Result<Spread> {
        let labels = runs
            .iter()
            .map(|f| crate::store_ctx::Ctx::label(&f.run))
            .collect();
        let reports: Vec<Value> = runs
            .iter()
            .map(|f| serde_json::to_value(&f.report))
            .collect::<Result<_, _>>()?;
        let metrics = METRICS
            .iter()
            .map(|&(key, label, unit)| {
                let values = reports.iter().map(|r| r[key].as_f64()).collect();
                (key, label, unit, values)
            })
            .collect();
        let mut all = Vec::with_capacity(runs.len());
        for f in runs {
            all.push(decisions(store, owner, f.run.id).await?);
        }
        let (mut compared, mut agreed) = (0, 0);
        if let Some((first, rest)) = all.split_first() {
            for (ts, said) in first {
                let others: Vec<&String> = rest.iter().filter_map(|r| r.get(ts)).collect();
                if others.len() == rest.len() {
                    compared += 1;
                    agreed += usize::from(others.iter().all(|o| *o == said));
                }
            }
        }
        Ok(Spread {
            labels,
            metrics,
            compared,
            agreed,
        })
    }

    fn agreement(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.agreed as f64 / self.compared as f64 * 100.0)
    }

    /// The spread for people.
    pub fn table(&self) -> String {
        let mut rows = vec![(
            "Runs".to_string(),
            format!("{} ({})", self.labels.len(), self.labels.join(", ")),
        )];
        for (_, label, unit, values) in &self.metrics {
            let (lo, mid, hi) = summary(values);
            let show = |v: Option<f64>| match (v, *unit) {
                (None, _) => "n/a".to_string(),
                (Some(v), "%") => display::percent(Some(v)),
                (Some(v), _) => display::number(Some(v), 2),
            };
            rows.push((
                label.to_string(),
                format!("min {}, median {}, max {}", show(lo), show(mid), show(hi)),
            ));
        }
        rows.push((
            "Decisions agree".into(),
            match self.agreement() {
                Some(pct) => format!(
                    "{pct:.1} % of {} asked steps (all {} runs did the same)",
                    self.compared,
                    self.labels.len()
                ),
                None => "no step was asked in every run".into(),
            },
        ));
        display::rows(&rows)
    }

    /// The spread for programs.
    pub fn json(&self) -> Value {
        let metrics: serde_json::Map<String, Value> = self
            .metrics
            .iter()
            .map(|(key, _, _, values)| {
                let (lo, mid, hi) = summary(values);
                (
                    key.to_string(),
                    json!({"values": values, "min": lo, "median": mid, "max": hi}),
                )
            })
            .collect();
        json!({
            "runs": self.labels,
            "metrics": metrics,
            "decision_agreement_pct": self.agreement(),
            "steps_compared": self.compared,
            "steps_agreed": self.agreed,
        })
    }
}

/// Min, median and max of the defined values.
fn summary(values: &[Option<f64>]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    v.sort_by(f64::total_cmp);
    let median = match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    };
    (v.first().copied(), median, v.last().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_the_median_of_the_defined_values() {
        assert_eq!(
            summary(&[Some(3.0), None, Some(1.0), Some(2.0)]),
            (Some(1.0), Some(2.0), Some(3.0))
        );
        assert_eq!(
            summary(&[Some(4.0), Some(1.0)]),
            (Some(1.0), Some(2.5), Some(4.0))
        );
        assert_eq!(summary(&[None]), (None, None, None));
    }

    #[test]
    fn a_signature_names_the_trades_and_answers_not_the_words() {
        let a = json!({"orders": 1, "reasoning": "up", "trace": {"tool_calls": [
            {"name": "get_bars", "arguments": {}, "result": []},
            {"name": "buy", "arguments": {"symbol": "AAPL", "qty": 5}, "result": {}}]}});
        let b = json!({"orders": 1, "reasoning": "rising", "trace": {"tool_calls": [
            {"name": "buy", "arguments": {"symbol": "AAPL", "qty": 5}, "result": {}}]}});
        let c = json!({"orders": 1, "trace": {"tool_calls": [
            {"name": "buy", "arguments": {"symbol": "AAPL", "qty": 6}, "result": {}}]}});
        assert_eq!(signature(&a), signature(&b));
        assert_ne!(signature(&a), signature(&c));
    }
}
