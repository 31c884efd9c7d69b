//! What an LLM backtest adds to its report: model calls, decisions, tokens and cost,
//! counted from the run's `Decided` events (their traces' usage), and how much of the
//! period the model may remember (days before its knowledge cutoff).

use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeSet;
use tradelab_agent::LlmSettings;
use tradelab_core::{BarSeries, Timestamp};
use tradelab_engine::event::{EventSink, Seq, SinkResult};
use tradelab_engine::{ClosedTrade, DecisionTrace, RunEvent};

/// A sink counting the model's usage from the `Decided` events of a run.
#[derive(Debug, Default)]
pub struct LlmTally {
    decisions: u64,
    calls: u64,
    prompt: u64,
    completion: u64,
    cost: f64,
    cost_unknown: bool,
}

impl LlmTally {
    fn add(&mut self, trace: &DecisionTrace) {
        self.decisions += 1;
        let calls = trace
            .inputs
            .get("calls")
            .and_then(serde_json::Value::as_u64);
        if let Some(u) = &trace.usage {
            self.calls += calls.unwrap_or(1);
            self.prompt += u.prompt_tokens;
            self.completion += u.completion_tokens;
            match u.cost_usd {
                Some(c) => self.cost += c,
                None if u.prompt_tokens + u.completion_tokens > 0 => self.cost_unknown = true,
                None => {}
            }
        } else {
            self.calls += calls.unwrap_or(0);
        }
    }

    /// The totals of the run over `series`, for the agent configured by `settings`.
    pub fn totals(&self, settings: &LlmSettings, series: &[BarSeries]) -> LlmTotals {
        let days: BTreeSet<i64> = series
            .iter()
            .flat_map(|s| s.bars().iter().map(|b| day_of(b.ts())))
            .collect();
        let cutoff = settings.cutoff();
        let days_before = cutoff.map(|c| {
            let c = day_of_date(c);
            days.iter().filter(|d| **d < c).count()
        });
        let note = match (cutoff, days_before) {
            (Some(date), Some(n)) if n > 0 => format!(
                "{n} of {} days before the model's cutoff ({date}): results may reflect \
                 memory, not skill",
                days.len()
            ),
            (Some(date), _) => format!(
                "0 of {} days before the model's cutoff ({date}): the model cannot have \
                 read about this period",
                days.len()
            ),
            _ => "cutoff unknown: give --llm-knowledge-cutoff DATE to compare the period \
                  with what the model may remember"
                .to_string(),
        };
        LlmTotals {
            model: settings.model.clone(),
            model_calls: self.calls,
            decisions: self.decisions,
            prompt_tokens: self.prompt,
            completion_tokens: self.completion,
            cost_usd: (!self.cost_unknown).then_some(self.cost),
            knowledge_cutoff: cutoff.map(|d| d.to_string()),
            days: days.len(),
            days_before_cutoff: days_before,
            cutoff_note: note,
        }
    }
}

/// Days since 1970-01-01 (UTC) of a bar's time.
fn day_of(ts: Timestamp) -> i64 {
    ts.nanos().div_euclid(86_400_000_000_000)
}

/// Days since 1970-01-01 of a date.
fn day_of_date(d: Date) -> i64 {
    let epoch = Date::constant(1970, 1, 1);
    i64::from((d - epoch).get_days())
}

impl EventSink for LlmTally {
    fn on_event(&mut self, _: Seq, event: &RunEvent) -> SinkResult {
        if let RunEvent::Decided {
            trace: Some(trace), ..
        } = event
        {
            self.add(trace);
        }
        Ok(())
    }

    fn on_trade_closed(&mut self, _: Seq, _: ClosedTrade) -> SinkResult {
        Ok(())
    }

    fn wants_positions(&self) -> bool {
        false
    }

    fn on_equity(&mut self, _: Seq, _: Timestamp, _: f64, _: bool) -> SinkResult {
        Ok(())
    }
}

/// The LLM totals of a backtest, as the report's `llm` object in JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LlmTotals {
    /// The model asked.
    pub model: String,
    /// Model calls made (or answered from recordings).
    pub model_calls: u64,
    /// Decisions (decider calls with a trace).
    pub decisions: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Cost in US dollars; `null` when the model's price is unknown.
    pub cost_usd: Option<f64>,
    /// The model's knowledge cutoff, when known.
    pub knowledge_cutoff: Option<String>,
    /// Days with bars in the run.
    pub days: usize,
    /// Of them, days before the cutoff (`null` when the cutoff is unknown).
    pub days_before_cutoff: Option<usize>,
    /// The cutoff line as printed.
    pub cutoff_note: String,
}

/// Label width of the report table, so these rows line up with it.
const LABEL_WIDTH: usize = 25;

impl LlmTotals {
    /// The rows printed under the report table.
    pub fn table(&self) -> String {
        let cost = match self.cost_usd {
            Some(c) => format!("{c:.6} USD"),
            None => format!("unknown (no price for model {})", self.model),
        };
        let rows = [
            (
                "LLM calls / decisions",
                format!("{} / {}", self.model_calls, self.decisions),
            ),
            (
                "LLM tokens",
                format!(
                    "{} prompt, {} completion",
                    crate::display::count(self.prompt_tokens),
                    crate::display::count(self.completion_tokens)
                ),
            ),
            ("LLM cost", cost),
            ("Knowledge cutoff", self.cutoff_note.clone()),
        ];
        let mut out = String::from("\n");
        for (k, v) in rows {
            out.push_str(&format!("{k:<LABEL_WIDTH$}  {v}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_engine::Usage;

    fn trace(prompt: u64, cost: Option<f64>) -> DecisionTrace {
        DecisionTrace {
            inputs: serde_json::json!({"calls": 2}),
            tool_calls: Vec::new(),
            usage: Some(Usage {
                prompt_tokens: prompt,
                completion_tokens: 10,
                cost_usd: cost,
            }),
        }
    }

    fn settings(model: &str, cutoff: &str) -> LlmSettings {
        let p = vec![
            ("model".to_string(), model.to_string()),
            ("knowledge_cutoff".to_string(), cutoff.to_string()),
        ];
        LlmSettings::from_params(&p).unwrap()
    }

    #[test]
    fn totals_add_up_the_traces_and_count_the_days_before_the_cutoff() {
        let mut t = LlmTally::default();
        t.add(&trace(100, Some(0.5)));
        t.add(&trace(50, Some(0.25)));
        let series =
            tradelab_engine::testkit::daily_bars("AAPL", 18_262, &[1.0, 2.0, 3.0]).expect("bars");
        let totals = t.totals(&settings("m", "2020-01-02"), &[series]);
        assert_eq!((totals.model_calls, totals.decisions), (4, 2));
        assert_eq!((totals.prompt_tokens, totals.completion_tokens), (150, 20));
        assert_eq!(totals.cost_usd, Some(0.75));
        assert_eq!(
            totals.cutoff_note,
            "1 of 3 days before the model's cutoff (2020-01-02): results may reflect \
             memory, not skill"
        );
        t.add(&trace(1, None));
        let totals = t.totals(&settings("my-llama", ""), &[]);
        assert_eq!(totals.cost_usd, None);
        assert!(
            totals
                .table()
                .contains("unknown (no price for model my-llama)")
        );
        assert!(totals.cutoff_note.starts_with("cutoff unknown"));
    }
}
