//! The prompts. The system message holds only what does not change during a run (the
//! role, the instructions, the active rules in words, the tools), so servers that cache
//! prompt prefixes hit it at every step; the step's user message follows with the
//! decision time, the portfolio, the latest bars and the orders rejected since the
//! last step. Dates and prices are written for people (through the [`Lens`], which
//! anonymizes them when asked).

use crate::anonymize::Lens;
use crate::tools::round4;
use std::fmt::Write;
use tradelab_engine::DecisionContext;

/// Bars of each symbol shown in a loop-style prompt.
pub const LOOP_BARS: usize = 10;
/// Bars of the symbol shown in a decision-style prompt.
pub const DECISION_BARS: usize = 20;

/// The stable part: role, instructions, rules, tools. `decision` picks the
/// decision-style wording.
pub fn system(instructions: &str, rules: &[String], decision: bool, with_news: bool) -> String {
    let mut s = String::with_capacity(2048);
    s.push_str(
        "You manage a paper trading account in a replay of market history. At each step \
         you see data up to the decision time only; nothing later exists for you. Orders \
         go through the risk rules below; an order that breaks one is rejected and you \
         are told at your next step. Market orders fill at the next bar's open.\n",
    );
    if decision {
        s.push_str(
            "At each asked bar you get one symbol's latest bars and your position. Answer \
             by calling `decide` with action buy, sell or hold, the quantity in units (0 \
             for hold), your reasoning in a sentence or two, and your confidence from 0 to \
             1.\n",
        );
    } else {
        s.push_str(
            "Use the tools to look at prices, bars and your portfolio, place orders with \
             buy and sell, and call finish with a short summary when you are done for this \
             step. Doing nothing is a valid decision.\n",
        );
    }
    s.push_str("\n## Instructions\n");
    s.push_str(if instructions.trim().is_empty() {
        "(none given: trade prudently)"
    } else {
        instructions.trim()
    });
    s.push_str("\n\n## Risk rules (enforced)\n");
    if rules.is_empty() {
        s.push_str("(none)\n");
    }
    for r in rules {
        let _ = writeln!(s, "- {r}");
    }
    if !decision {
        s.push_str(
            "\n## Tools\n\
             - get_price(symbol, time): close of the latest bar at or before a time\n\
             - get_bars(symbol, lookback): the latest bars up to now\n\
             - get_portfolio(): cash, equity, positions\n\
             - buy(symbol, qty, [limit]) / sell(symbol, qty, [limit]): place an order\n\
             - calculate(expression): arithmetic\n",
        );
        if with_news {
            s.push_str("- search_news(query, [symbol]): news published up to now\n");
        }
        s.push_str("- finish(summary): end the step\n");
    }
    s
}

/// Writes a number for people: thousands separated, 2 decimals (4 below 1).
pub fn amount(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let decimals = if x.abs() < 1.0 && x != 0.0 { 4 } else { 2 };
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::with_capacity(text.len() + 4);
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

/// What the user message of a step is built from.
pub struct StepFacts<'s, 'a> {
    /// The step.
    pub ctx: &'s DecisionContext<'a>,
    /// How symbols, times and prices are shown.
    pub lens: &'s Lens,
    /// Orders rejected since the last asked step, already in words.
    pub rejections: &'s [String],
    /// The model's summary at its last step, if any.
    pub last_note: Option<&'s str>,
}

impl StepFacts<'_, '_> {
    /// The header every step message starts with: time and portfolio.
    fn head(&self, out: &mut String, symbols: &[usize]) {
        let _ = writeln!(out, "Decision time: {}", self.lens.time(self.ctx.now));
        let p = self.ctx.portfolio;
        let _ = write!(
            out,
            "Portfolio: cash {}, equity {}",
            amount(p.cash().to_f64()),
            amount(p.equity_f64())
        );
        let held: Vec<usize> = (0..self.ctx.view.len())
            .filter(|&i| !p.position(i).is_zero())
            .collect();
        if held.is_empty() {
            out.push_str(", no open positions\n");
        } else {
            out.push('\n');
            for i in held {
                let avg = p.avg_price(i).map(|a| a.to_f64()).unwrap_or(p.mark(i));
                let _ = writeln!(
                    out,
                    "- {}: {} units, average price {}, last price {}",
                    self.lens.name(i),
                    p.position(i),
                    amount(self.lens.price(i, avg)),
                    amount(self.lens.price(i, p.mark(i)))
                );
            }
        }
        let working: Vec<String> = self
            .ctx
            .working
            .iter()
            .filter(|o| symbols.is_empty() || self.ctx.view.index_of(&o.intent.symbol).is_some())
            .map(|o| {
                self.lens.hide_symbols(&format!(
                    "{} {} {} ({})",
                    o.intent.side, o.intent.sizing, o.intent.symbol, o.intent.order_type
                ))
            })
            .collect();
        if !working.is_empty() {
            let _ = writeln!(out, "Working orders: {}", working.join("; "));
        }
        if !self.rejections.is_empty() {
            out.push_str("Orders rejected since your last step:\n");
            for r in self.rejections {
                let _ = writeln!(out, "- {r}");
            }
        }
        if let Some(note) = self.last_note.filter(|n| !n.trim().is_empty()) {
            let _ = writeln!(out, "Your note from the last step: {}", note.trim());
        }
    }

    fn bars(&self, out: &mut String, i: usize, n: usize) {
        let bars = self.ctx.view.bars(i);
        let from = bars.len().saturating_sub(n);
        let _ = writeln!(
            out,
            "\nLast {} bars of {} (time: open high low close{}):",
            bars.len() - from,
            self.lens.name(i),
            if self.lens.anonymized() {
                ""
            } else {
                " volume"
            }
        );
        for b in &bars[from..] {
            let p = |x| round4(self.lens.price(i, x));
            let _ = write!(
                out,
                "{}: {} {} {} {}",
                self.lens.time(b.ts()),
                p(b.open()),
                p(b.high()),
                p(b.low()),
                p(b.close())
            );
            if !self.lens.anonymized() {
                let _ = write!(out, " {}", b.volume());
            }
            out.push('\n');
        }
    }

    /// The loop style's step message: every symbol of the universe.
    pub fn loop_message(&self) -> String {
        let mut out = String::with_capacity(2048);
        let all: Vec<usize> = (0..self.ctx.view.len())
            .filter(|&i| !self.ctx.view.bars(i).is_empty())
            .collect();
        self.head(&mut out, &[]);
        let _ = writeln!(
            out,
            "Symbols: {}",
            all.iter()
                .map(|&i| self.lens.name(i))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for &i in &all {
            self.bars(&mut out, i, LOOP_BARS);
        }
        out.push_str("\nDecide what to do now; call finish when done.");
        out
    }

    /// The decision style's message for symbol `i`.
    pub fn decision_message(&self, i: usize) -> String {
        let mut out = String::with_capacity(1536);
        self.head(&mut out, &[i]);
        let _ = writeln!(
            out,
            "Your position in {}: {} units",
            self.lens.name(i),
            self.ctx.portfolio.position(i)
        );
        self.bars(&mut out, i, DECISION_BARS);
        let _ = write!(
            out,
            "\nDecide for {} now by calling decide.",
            self.lens.name(i)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_engine::testkit::{Scene, daily_bars};

    #[test]
    fn amounts_are_grouped_and_rounded_for_people() {
        assert_eq!(amount(10_230.126), "10,230.13");
        assert_eq!(amount(-1234567.0), "-1,234,567.00");
        assert_eq!(amount(0.12345), "0.1235");
        assert_eq!(amount(999.0), "999.00");
    }

    #[test]
    fn the_system_prompt_is_stable_and_the_step_message_carries_the_step() {
        let a = system("buy dips", &["max 5 open positions".into()], false, true);
        assert_eq!(
            a,
            system("buy dips", &["max 5 open positions".into()], false, true)
        );
        assert!(a.contains("buy dips") && a.contains("- max 5 open positions"));
        assert!(a.contains("search_news"));
        let scene = Scene::new(vec![daily_bars("AAPL", 15_765, &[431.7, 440.0]).unwrap()])
            .holding("AAPL", 3)
            .unwrap();
        let ctx = scene.context();
        let lens = Lens::new(&ctx.view, false);
        let rejections = vec!["buy 5 AAPL: max 5 open positions (rule max_open)".to_string()];
        let facts = StepFacts {
            ctx: &ctx,
            lens: &lens,
            rejections: &rejections,
            last_note: Some("bought 3"),
        };
        let m = facts.loop_message();
        assert!(m.starts_with("Decision time: 2013-03-02\n"), "{m}");
        assert!(m.contains("- AAPL: 3 units, average price 440.00"), "{m}");
        assert!(m.contains("2013-03-01: 431.7 431.7 431.7 431.7 0"), "{m}");
        assert!(m.contains("rule max_open") && m.contains("bought 3"), "{m}");
    }
}
