//! The spread of runs of one model on the same data (`runs start MODEL --repeat N`,
//! `GET /api/v1/runs/spread`): how far the metrics spread and how often the decisions
//! agree. One lucky run of a model that answers differently each time (an LLM at a
//! temperature above zero) is not skill; the spread says how much of a result is
//! chance.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use tradelab_store::{AuditEvent, EventFilter, Run, RunId, Store, StoreError, UserId};

/// The metrics compared across the runs: (report key, label, unit).
const METRICS: [(&str, &str, &str); 4] = [
    ("total_return_pct", "Total return", "%"),
    ("sharpe", "Sharpe", ""),
    ("max_drawdown_pct", "Max drawdown", "%"),
    ("closed_trades", "Closed trades", ""),
];

/// Audit rows read per page when collecting a run's decisions.
const DECISION_PAGE_ROWS: u32 = 1_000;

/// One metric across the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSpread {
    /// The report's key, e.g. `total_return_pct`.
    pub key: &'static str,
    /// For people, e.g. `Total return`.
    pub label: &'static str,
    /// `%` or empty.
    pub unit: &'static str,
    /// The value of each run, in the runs' order (`None` where undefined).
    pub values: Vec<Option<f64>>,
}

impl MetricSpread {
    /// Min, median and max of the defined values.
    pub fn summary(&self) -> (Option<f64>, Option<f64>, Option<f64>) {
        summary(&self.values)
    }
}

/// The spread of the runs' metrics and their decisions' agreement.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    /// The runs' labels (`model#number`), in the order given.
    pub labels: Vec<String>,
    /// Each compared metric.
    pub metrics: Vec<MetricSpread>,
    /// Steps asked in every run.
    pub compared: usize,
    /// Of those, the steps at which all runs did the same.
    pub agreed: usize,
}

impl Spread {
    /// Compares `owner`'s runs, each given with its report as JSON (the run's stored
    /// summary, or the report a run just finished with). Their decisions are read
    /// from the audit trail.
    pub async fn of(
        store: &Store,
        owner: UserId,
        runs: &[(&Run, &Value)],
    ) -> Result<Spread, StoreError> {
        let labels = runs
            .iter()
            .map(|(r, _)| format!("{}#{}", r.snapshot.model_name, r.number))
            .collect();
        let metrics = METRICS
            .iter()
            .map(|&(key, label, unit)| MetricSpread {
                key,
                label,
                unit,
                values: runs
                    .iter()
                    .map(|(_, report)| report[key].as_f64())
                    .collect(),
            })
            .collect();
        let mut all = Vec::with_capacity(runs.len());
        for (run, _) in runs {
            all.push(decisions(store, owner, run.id).await?);
        }
        let (compared, agreed) = agreement(&all);
        Ok(Spread {
            labels,
            metrics,
            compared,
            agreed,
        })
    }

    /// The share of compared steps at which all runs did the same, in percent (`None`
    /// when no step was asked in every run).
    pub fn agreement(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.agreed as f64 / self.compared as f64 * 100.0)
    }

    /// The spread for programs: labels, each metric's values with min, median and
    /// max, and the agreement.
    pub fn json(&self) -> Value {
        let metrics: serde_json::Map<String, Value> = self
            .metrics
            .iter()
            .map(|m| {
                let (lo, mid, hi) = m.summary();
                (
                    m.key.to_string(),
                    json!({"values": m.values, "min": lo, "median": mid, "max": hi}),
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
async fn decisions(
    store: &Store,
    owner: UserId,
    run: RunId,
) -> Result<BTreeMap<i64, String>, StoreError> {
    let filter = EventFilter {
        kinds: vec!["decided".into()],
        ..EventFilter::default()
    };
    let mut by_step = BTreeMap::new();
    for row in store
        .audit()
        .all(owner, run, &filter, DECISION_PAGE_ROWS)
        .await?
    {
        if let AuditEvent::Event(e) = row {
            by_step.insert(e.ts.nanos(), signature(&e.detail));
        }
    }
    Ok(by_step)
}

/// (steps asked in every run, steps at which all runs did the same).
fn agreement(runs: &[BTreeMap<i64, String>]) -> (usize, usize) {
    let (mut compared, mut agreed) = (0, 0);
    if let Some((first, rest)) = runs.split_first() {
        for (ts, said) in first {
            let others: Vec<&String> = rest.iter().filter_map(|r| r.get(ts)).collect();
            if others.len() == rest.len() {
                compared += 1;
                agreed += usize::from(others.iter().all(|o| *o == said));
            }
        }
    }
    (compared, agreed)
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

    #[test]
    fn only_steps_asked_in_every_run_are_compared() {
        let run = |steps: &[(i64, &str)]| -> BTreeMap<i64, String> {
            steps.iter().map(|(t, s)| (*t, s.to_string())).collect()
        };
        let runs = [
            run(&[(1, "buy"), (2, "hold"), (3, "sell")]),
            run(&[(1, "buy"), (2, "sell")]),
        ];
        assert_eq!(agreement(&runs), (2, 1));
        assert_eq!(agreement(&[]), (0, 0));
    }
}
