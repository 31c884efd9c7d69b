//! Property: whatever a random decider asks, no order the risk engine lets through
//! breaks an active rule's limit at the moment it fills.

mod common;

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, BTreeSet};
use tradelab_core::{
    Bar, BarSeries, Money, OrderIntent, Quantity, Side, Sizing, Symbol, Timestamp,
};
use tradelab_engine::{DecideError, Decision};
use tradelab_engine::{Decider, DecisionContext, Engine, EventSink, RunConfig, RunEvent};

const RULES: &str = r#"
[[rule]]
name = "max_position"
kind = "max_position_pct"
pct = 30
on_breach = "ON_BREACH"

[[rule]]
name = "one_position"
kind = "max_open_positions"
max = 1

[[rule]]
name = "reserve"
kind = "min_cash_reserve_pct"
pct = 10

[[rule]]
name = "qty_cap"
kind = "max_order_qty"
qty = 40

[[rule]]
name = "value_cap"
kind = "max_order_value"
value = 3000

[[rule]]
name = "stop"
kind = "stop_loss_pct"
pct = 3
"#;

fn series(name: &str, steps: &[i64]) -> BarSeries {
    let mut cents: i64 = 10_000;
    let bars = steps
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let open = cents;
            cents = (cents + d).max(500);
            let (hi, lo) = (open.max(cents) + 20, (open.min(cents) - 20).max(100));
            Bar::new(
                Timestamp::from_secs(1_600_000_000 + 86_400 * k as i64),
                open as f64 / 100.0,
                hi as f64 / 100.0,
                lo as f64 / 100.0,
                cents as f64 / 100.0,
                1.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(name).unwrap(), bars).unwrap()
}

struct Random {
    plan: Vec<Vec<(usize, bool, u8, i64)>>,
    step: usize,
}

impl Decider for Random {
    fn name(&self) -> String {
        "random".into()
    }
    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        for &(i, buy, sizing, n) in self.plan.get(self.step).map(Vec::as_slice).unwrap_or(&[]) {
            let sizing = match sizing {
                0 => Sizing::Shares(Quantity::from(n)),
                1 => Sizing::Cash(Money::from(n * 50)),
                2 => Sizing::AllIn,
                _ => Sizing::ClosePosition,
            };
            let side = if buy { Side::Buy } else { Side::Sell };
            orders.push(OrderIntent::market(
                ctx.view.symbol(i).clone(),
                side,
                sizing,
                "random",
            ));
        }
        self.step += 1;
        Ok(())
    }
}

/// Rebuilds the books from the events and checks every decider fill against the rules.
struct Auditor {
    series: Vec<BarSeries>,
    marks: Vec<f64>,
    cash: f64,
    qty: BTreeMap<Symbol, f64>,
    engine_orders: BTreeSet<u64>,
    violations: Vec<String>,
}

impl Auditor {
    fn equity(&self) -> f64 {
        self.cash
            + self
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| self.qty.get(s.symbol()).copied().unwrap_or(0.0) * self.marks[i])
                .sum::<f64>()
    }
}

impl EventSink for Auditor {
    fn on_equity(&mut self, _: u64, ts: Timestamp, _: f64, _: bool) -> tradelab_engine::SinkResult {
        for (i, s) in self.series.iter().enumerate() {
            if let Some(b) = s.bars().iter().find(|b| b.ts() == ts) {
                self.marks[i] = b.close();
            }
        }
        Ok(())
    }
    fn on_event(&mut self, _: u64, e: &RunEvent) -> tradelab_engine::SinkResult {
        match e {
            RunEvent::OrderAccepted { order }
                if order.intent.reason.as_text().starts_with("engine exit") =>
            {
                self.engine_orders.insert(order.id.0);
            }
            RunEvent::Fill { fill } => {
                let q = fill.qty.get().to_f64().unwrap();
                let p = fill.price.get().to_f64().unwrap();
                let held = self.qty.get(&fill.symbol).copied().unwrap_or(0.0);
                let signed = if fill.side == Side::Buy { q } else { -q };
                let entry = (held + signed).abs() > held.abs();
                let decider = !self.engine_orders.contains(&fill.order_id.0);
                let equity = self.equity();
                let open_before = self.qty.values().filter(|v| **v != 0.0).count();
                if decider && entry {
                    if q > 40.0 + 1e-9 {
                        self.violations.push(format!("qty {q} > 40"));
                    }
                    if q * p > 3000.0 + 1e-6 {
                        self.violations.push(format!("value {} > 3000", q * p));
                    }
                    if (held.abs() + q) * p > 0.30 * equity * (1.0 + 1e-9) {
                        self.violations.push(format!(
                            "position {} > 30 % of {equity}",
                            (held.abs() + q) * p
                        ));
                    }
                    if held == 0.0 && open_before >= 1 {
                        self.violations.push("second open position".into());
                    }
                    if fill.side == Side::Buy {
                        let after = self.cash - q * p - fill.commission.get().to_f64().unwrap();
                        if after < 0.10 * equity - 1e-6 {
                            self.violations
                                .push(format!("cash {after} below reserve of {equity}"));
                        }
                    }
                }
                self.cash += -signed * p - fill.commission.get().to_f64().unwrap();
                *self.qty.entry(fill.symbol.clone()).or_default() += signed;
            }
            _ => {}
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn no_accepted_order_breaks_an_active_rule(
        walk_a in prop::collection::vec(-400i64..400, 10..50),
        walk_b in prop::collection::vec(-400i64..400, 10..50),
        plan in prop::collection::vec(
            prop::collection::vec((0usize..2, any::<bool>(), 0u8..4, 1i64..120), 0..3), 0..50),
        resize in any::<bool>(),
        allow_short in any::<bool>(),
    ) {
        let text = RULES.replace("ON_BREACH", if resize { "resize" } else { "reject" });
        let rules = common::rule_set(&text);
        let data = vec![series("A", &walk_a), series("B", &walk_b)];
        let config = RunConfig {
            allow_short,
            commission: tradelab_engine::Commission { rate: Decimal::new(1, 3), ..Default::default() },
            ..RunConfig::default()
        };
        let engine = Engine::new(config, data.clone()).unwrap().with_rules(rules).unwrap();
        let mut auditor = Auditor {
            marks: vec![f64::NAN; 2],
            series: data,
            cash: 10_000.0,
            qty: BTreeMap::new(),
            engine_orders: BTreeSet::new(),
            violations: vec![],
        };
        engine.run(&mut Random { plan, step: 0 }, &mut auditor, None).unwrap();
        prop_assert!(auditor.violations.is_empty(), "{:?}", auditor.violations);
    }
}
