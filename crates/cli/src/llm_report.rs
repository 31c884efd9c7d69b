//! What an LLM backtest adds to its report: model calls, decisions, tokens and cost,
//! read from the report's [`ModelUsage`] (the engine's one tally of the traces), and
//! how much of the period the model may remember (days before its knowledge cutoff),
//! which `runs show` states for a stored run too.

use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeSet;
use tradelab_agent::LlmSettings;
use tradelab_core::{BarSeries, Timestamp};
use tradelab_engine::report::ModelUsage;
use tradelab_store::Run;

use crate::store_ctx::Ctx;

/// How much of a run's period lies before the model's knowledge cutoff: the days with
/// bars (UTC calendar days) and how many of them the model may have read about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CutoffCheck {
    /// The model's knowledge cutoff, when known.
    pub knowledge_cutoff: Option<String>,
    /// Days with bars in the run.
    pub days: usize,
    /// Of them, days before the cutoff (`null` when the cutoff is unknown).
    pub days_before_cutoff: Option<usize>,
    /// The cutoff line as printed.
    pub cutoff_note: String,
}

impl CutoffCheck {
    /// The check of a period whose bars (or steps) are at `times`, for a model whose
    /// cutoff is `cutoff` (`None`: unknown).
    pub fn of(cutoff: Option<Date>, times: impl IntoIterator<Item = Timestamp>) -> Self {
        let days: BTreeSet<i64> = times.into_iter().map(day_of).collect();
        let days_before = cutoff.map(|c| {
            let c = day_of_date(c);
            days.iter().filter(|d| **d < c).count()
        });
        let cutoff_note = match (cutoff, days_before) {
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
        CutoffCheck {
            knowledge_cutoff: cutoff.map(|d| d.to_string()),
            days: days.len(),
            days_before_cutoff: days_before,
            cutoff_note,
        }
    }

    /// The check of a run over `series`: the days of all their bars.
    pub fn of_series(cutoff: Option<Date>, series: &[BarSeries]) -> Self {
        Self::of(
            cutoff,
            series.iter().flat_map(|s| s.bars().iter().map(|b| b.ts())),
        )
    }
}

/// The cutoff check of a stored run (`runs show`); `None` unless it is an LLM run.
///
/// Its days are those of the run's equity curve: one point per step at the step's
/// time, the merged times of every symbol's bars, so the same days as the backtest's
/// for a finished run (for a run still going, the days it has reached). That is the
/// cheapest exact source the store offers: one query over the run's few equity chunk
/// rows (17 bytes a point, no bar decoded, however many symbols the run trades). The
/// bar listing only has each series' bar count and first and last time, which cannot
/// tell the days with bars within the run's period; the equity chunks' own first and
/// last times cannot be read apart from their points; and loading the bars would read
/// and check every bar of every symbol.
pub async fn of_stored_run(ctx: &Ctx, run: &Run) -> anyhow::Result<Option<CutoffCheck>> {
    let Some(settings) = crate::llm_view::settings(&run.snapshot.decider) else {
        return Ok(None);
    };
    let points = ctx.store.audit().equity(ctx.user.id, run.id).await?;
    Ok(Some(CutoffCheck::of(
        settings.cutoff(),
        points.iter().map(|p| p.ts),
    )))
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
    /// The period against the model's knowledge cutoff.
    #[serde(flatten)]
    pub cutoff: CutoffCheck,
}

impl LlmTotals {
    /// The totals of a run over `series` whose report counted `usage` (`None`: no
    /// decision was traced), for the agent configured by `settings`.
    pub fn of(usage: Option<&ModelUsage>, settings: &LlmSettings, series: &[BarSeries]) -> Self {
        let usage = usage.copied().unwrap_or_default();
        LlmTotals {
            model: settings.model.clone(),
            model_calls: usage.model_calls,
            decisions: usage.traced_decisions as u64,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cost_usd: usage.cost_usd,
            cutoff: CutoffCheck::of_series(settings.cutoff(), series),
        }
    }
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
            ("Knowledge cutoff", self.cutoff.cutoff_note.clone()),
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

    fn settings(model: &str, cutoff: &str) -> LlmSettings {
        let p = vec![
            ("model".to_string(), model.to_string()),
            ("knowledge_cutoff".to_string(), cutoff.to_string()),
        ];
        LlmSettings::from_params(&p).unwrap()
    }

    fn usage(cost: Option<f64>) -> ModelUsage {
        ModelUsage {
            decisions: 2,
            traced_decisions: 2,
            model_calls: 4,
            prompt_tokens: 150,
            completion_tokens: 20,
            cost_usd: cost,
        }
    }

    #[test]
    fn totals_read_the_reports_usage_and_count_the_days_before_the_cutoff() {
        let series =
            tradelab_engine::testkit::daily_bars("AAPL", 18_262, &[1.0, 2.0, 3.0]).expect("bars");
        let totals = LlmTotals::of(
            Some(&usage(Some(0.75))),
            &settings("m", "2020-01-02"),
            &[series],
        );
        assert_eq!((totals.model_calls, totals.decisions), (4, 2));
        assert_eq!((totals.prompt_tokens, totals.completion_tokens), (150, 20));
        assert_eq!(totals.cost_usd, Some(0.75));
        assert_eq!(
            totals.cutoff.cutoff_note,
            "1 of 3 days before the model's cutoff (2020-01-02): results may reflect \
             memory, not skill"
        );
        let totals = LlmTotals::of(Some(&usage(None)), &settings("my-llama", ""), &[]);
        assert_eq!(totals.cost_usd, None);
        assert!(
            totals
                .table()
                .contains("unknown (no price for model my-llama)")
        );
        assert!(totals.cutoff.cutoff_note.starts_with("cutoff unknown"));
    }

    #[test]
    fn a_run_without_traced_decisions_totals_nothing_at_no_cost() {
        let totals = LlmTotals::of(None, &settings("my-llama", ""), &[]);
        assert_eq!((totals.model_calls, totals.decisions), (0, 0));
        assert_eq!(totals.cost_usd, Some(0.0));
        assert!(
            totals
                .table()
                .contains("LLM cost                   0.000000 USD")
        );
    }

    #[test]
    fn the_cutoff_check_counts_calendar_days_once_however_many_bars_they_hold() {
        let day = 86_400;
        // 2020-01-01 at 14:30 and 15:30, 2020-01-02 at 14:30 (UTC).
        let times = [
            18_262 * day + 52_200,
            18_262 * day + 55_800,
            18_263 * day + 52_200,
        ]
        .map(Timestamp::from_secs);
        let check = CutoffCheck::of(Some(Date::constant(2020, 1, 2)), times);
        assert_eq!((check.days, check.days_before_cutoff), (2, Some(1)));
        let after = CutoffCheck::of(Some(Date::constant(2019, 6, 1)), times);
        assert_eq!(
            after.cutoff_note,
            "0 of 2 days before the model's cutoff (2019-06-01): the model cannot have \
             read about this period"
        );
    }
}
