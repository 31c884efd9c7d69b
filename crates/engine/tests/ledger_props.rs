//! Property tests of the exact ledger: whatever a random decider asks, the books balance.

mod common;

use proptest::prelude::*;
use rust_decimal::Decimal;
use tradelab_core::{
    Bar, BarSeries, Money, OrderIntent, OrderType, Price, Quantity, Side, Sizing, Symbol, Timestamp,
};
use tradelab_engine::{
    Commission, Decider, DecisionContext, Engine, EventSink, RunConfig, RunEvent,
};
use tradelab_engine::{DecideError, Decision};

#[derive(Clone, Debug)]
struct Ask {
    symbol: usize,
    buy: bool,
    sizing: u8,
    units: i64,
    kind: u8,
    offset_pct: i64,
}

fn ask() -> impl Strategy<Value = Ask> {
    (0usize..2, any::<bool>(), 0u8..4, 1i64..80, 0u8..3, -5i64..6).prop_map(
        |(symbol, buy, sizing, units, kind, offset_pct)| Ask {
            symbol,
            buy,
            sizing,
            units,
            kind,
            offset_pct,
        },
    )
}

/// Random-walk bars with two-decimal prices.
fn series(name: &str, steps: &[i64]) -> BarSeries {
    let mut cents: i64 = 10_000;
    let bars = steps
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let open = cents;
            cents = (cents + d).max(100);
            let close = cents;
            let high = open.max(close) + d.abs() / 2 + 1;
            let low = (open.min(close) - d.abs() / 3 - 1).max(50);
            Bar::new(
                Timestamp::from_secs(1_600_000_000 + k as i64 * 60),
                open as f64 / 100.0,
                high as f64 / 100.0,
                low as f64 / 100.0,
                close as f64 / 100.0,
                1.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(name).unwrap(), bars).unwrap()
}

/// Places the scripted asks and checks ledger identities at every step.
struct Checker {
    plan: Vec<Vec<Ask>>,
    step: usize,
    allow_short: bool,
    symbols: Vec<Symbol>,
}

impl Decider for Checker {
    fn name(&self) -> String {
        "checker".into()
    }
    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        let p = ctx.portfolio;
        assert_eq!(
            p.initial_cash() + p.realized() + p.unrealized().unwrap() - p.commissions(),
            p.equity().unwrap(),
            "initial + realized + unrealized - commissions = equity at step {}",
            self.step
        );
        let mut marked = p.cash();
        for i in 0..ctx.view.len() {
            if !p.position(i).is_zero() {
                let close = ctx.view.last(i).unwrap().close();
                marked += p.position(i) * Price::from_f64(close).unwrap();
            }
        }
        assert_eq!(
            marked,
            p.equity().unwrap(),
            "equity = cash + sum qty * mark"
        );
        for i in 0..ctx.view.len() {
            if !p.position(i).is_zero() {
                let divided = p.cost_basis(i).get() / p.position(i).get();
                assert_eq!(
                    p.avg_price(i).unwrap().get(),
                    divided,
                    "average price = cost / units ({} / {})",
                    p.cost_basis(i),
                    p.position(i)
                );
            }
        }
        if !self.allow_short {
            assert!(
                p.cash() >= Money::ZERO,
                "long-only cash went negative: {}",
                p.cash()
            );
            for i in 0..ctx.view.len() {
                assert!(
                    p.position(i).get() >= Decimal::ZERO,
                    "long-only run holds a short"
                );
            }
        }
        for a in self.plan.get(self.step).cloned().unwrap_or_default() {
            let i = a.symbol;
            let Some(last) = ctx.view.last(i) else {
                continue;
            };
            let px = last.close() * (1.0 + a.offset_pct as f64 / 100.0);
            let px = Price::from_f64((px * 100.0).round() / 100.0).unwrap();
            orders.push(OrderIntent {
                symbol: self.symbols[i].clone(),
                side: if a.buy { Side::Buy } else { Side::Sell },
                order_type: match a.kind {
                    0 => OrderType::Market,
                    1 => OrderType::Limit(px),
                    _ => OrderType::Stop(px),
                },
                sizing: match a.sizing {
                    0 => Sizing::Shares(Quantity::from(a.units)),
                    1 => Sizing::Cash(Money::from(a.units * 37)),
                    2 => Sizing::AllIn,
                    _ => Sizing::ClosePosition,
                },
                reason: "".into(),
                client_order_id: None,
            });
        }
        self.step += 1;
        Ok(())
    }
}

/// Rebuilds cash and positions from the fill events alone.
struct Replay {
    cash: Money,
    qty: Vec<(Symbol, Decimal)>,
    final_equity: Option<Money>,
}

impl EventSink for Replay {
    fn on_event(&mut self, _: u64, e: &RunEvent) -> tradelab_engine::SinkResult {
        match e {
            RunEvent::Fill { fill } => {
                let notional = fill.price * fill.qty;
                let signed = match fill.side {
                    Side::Buy => {
                        self.cash -= notional;
                        fill.qty.get()
                    }
                    Side::Sell => {
                        self.cash += notional;
                        -fill.qty.get()
                    }
                };
                self.cash -= fill.commission;
                let slot = self
                    .qty
                    .iter_mut()
                    .find(|(s, _)| *s == fill.symbol)
                    .unwrap();
                slot.1 += signed;
            }
            RunEvent::RunFinished { final_equity, .. } => self.final_equity = Some(*final_equity),
            _ => {}
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn books_balance_whatever_the_decider_asks(
        walk_a in prop::collection::vec(-300i64..300, 5..60),
        walk_b in prop::collection::vec(-300i64..300, 5..60),
        plan in prop::collection::vec(prop::collection::vec(ask(), 0..3), 0..60),
        allow_short in any::<bool>(),
        rate_bp in 0i64..50,
        per_share_cents in 0i64..3,
        slippage in 0i64..30,
    ) {
        let a = series("A", &walk_a);
        let b = series("B", &walk_b);
        let last_closes = [a.bars().last().unwrap().close(), b.bars().last().unwrap().close()];
        let symbols = vec![a.symbol().clone(), b.symbol().clone()];
        let config = RunConfig {
            allow_short,
            slippage_bps: Decimal::from(slippage),
            commission: Commission {
                rate: Decimal::new(rate_bp, 4),
                per_share: Decimal::new(per_share_cents, 2),
                minimum: Decimal::ZERO,
            },
            ..RunConfig::default()
        };
        let engine = Engine::new(config.clone(), vec![a, b]).unwrap();
        let mut checker = Checker { plan, step: 0, allow_short, symbols: symbols.clone() };
        let mut replay = Replay {
            cash: config.initial_cash,
            qty: symbols.iter().map(|s| (s.clone(), Decimal::ZERO)).collect(),
            final_equity: None,
        };
        let outcome = engine.run(&mut checker, &mut replay, None).unwrap();
        prop_assert_eq!(replay.cash, outcome.cash, "cash rebuilt from fills");
        let mut equity = replay.cash;
        for (k, (_, q)) in replay.qty.iter().enumerate() {
            equity += Quantity(*q) * Price::from_f64(last_closes[k]).unwrap();
        }
        prop_assert_eq!(Some(equity), replay.final_equity, "final equity rebuilt from fills");
        prop_assert_eq!(equity, outcome.final_equity);
    }
}
