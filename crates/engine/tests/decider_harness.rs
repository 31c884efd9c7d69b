//! The decider harness and registry as a crate outside the engine uses them: a
//! decider written here is registered by name, built through the registry, and
//! checked with `tradelab_engine::testkit` — no store, runner or private API.

use tradelab_core::{Money, OrderIntent, Side, Sizing, Symbol, Timestamp};
use tradelab_engine::event::{RejectReason, Rejection};
use tradelab_engine::strategies::{ParamInfo, StrategyError, StrategyInfo};
use tradelab_engine::testkit::{Emitted, Replay, Scene, TestkitError, daily_bars};
use tradelab_engine::{DecideError, Decision};
use tradelab_engine::{Decider, DeciderRegistry, DecisionContext};

/// Buys after `run` higher closes in a row, sells the position after `run` lower ones;
/// stays out of a symbol whose last order was rejected.
struct Streak {
    run: usize,
    shy: Vec<Symbol>,
}

impl Decider for Streak {
    fn name(&self) -> String {
        format!("streak(run={})", self.run)
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        for r in ctx.rejections {
            self.shy.push(r.intent.symbol.clone());
        }
        for &i in ctx.updated {
            let symbol = ctx.view.symbol(i);
            let bars = ctx.view.bars(i);
            if self.shy.contains(symbol) || bars.len() <= self.run {
                continue;
            }
            let tail = &bars[bars.len() - self.run - 1..];
            let up = tail.windows(2).all(|w| w[1].close() > w[0].close());
            let down = tail.windows(2).all(|w| w[1].close() < w[0].close());
            let held = !ctx.portfolio.position(i).is_zero();
            if up && !held {
                orders.push(OrderIntent::market(
                    symbol.clone(),
                    Side::Buy,
                    Sizing::AllIn,
                    "rising streak",
                ));
            } else if down && held {
                orders.push(OrderIntent::market(
                    symbol.clone(),
                    Side::Sell,
                    Sizing::ClosePosition,
                    "falling streak",
                ));
            }
        }
        Ok(())
    }

    fn min_bars(&self) -> usize {
        self.run + 1
    }
}

const STREAK_PARAMS: &[ParamInfo] = &[ParamInfo::fixed("run", "2", "closes in a row (1 or more)")];

const STREAK: StrategyInfo = StrategyInfo::fixed(
    "streak",
    "buys after a run of higher closes, sells after a run of lower ones",
    STREAK_PARAMS,
);

fn registry() -> DeciderRegistry {
    DeciderRegistry::builtin()
        .with(STREAK, |args| {
            let mut run = 2;
            for (k, v) in args.params {
                match (k.as_str(), v.parse::<usize>()) {
                    ("run", Ok(n)) if n >= 1 => run = n,
                    ("run", _) => {
                        return Err(StrategyError::Invalid {
                            strategy: "streak".into(),
                            message: format!("run ({v}) must be a whole number of 1 or more"),
                        });
                    }
                    _ => {
                        return Err(StrategyError::Invalid {
                            strategy: "streak".into(),
                            message: format!("unknown parameter {k:?}; known parameters: run"),
                        });
                    }
                }
            }
            Ok(Box::new(Streak {
                run,
                shy: Vec::new(),
            }))
        })
        .expect("streak is a new name")
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn external_decider_is_built_by_name_and_replayed_over_test_bars() -> Result<(), TestkitError> {
    let r = registry();
    let mut d = r
        .build("streak", &params(&[("run", "2")]), false)
        .expect("registered");
    assert_eq!(d.name(), "streak(run=2)");
    assert_eq!(d.min_bars(), 3);
    let closes = [10.0, 11.0, 12.0, 12.5, 12.0, 11.0, 10.0, 10.5, 11.0];
    let got = Replay::new(vec![daily_bars("ACME", 0, &closes)?]).run(d.as_mut())?;
    let summary: Vec<(usize, Side, Sizing)> = got
        .iter()
        .map(|e: &Emitted| (e.step, e.intent.side, e.intent.sizing))
        .collect();
    // Rising at 10→11→12 (step 2); held through 12.5; falling 12.5→12→11 (step 5),
    // again 12→11→10 but flat by then; rising 10→10.5→11 (step 8).
    assert_eq!(
        summary,
        [
            (2, Side::Buy, Sizing::AllIn),
            (5, Side::Sell, Sizing::ClosePosition),
            (8, Side::Buy, Sizing::AllIn),
        ]
    );
    assert_eq!(got[0].ts, Timestamp::from_secs(2 * 86_400));
    Ok(())
}

#[test]
fn scene_shows_a_decider_one_point_in_time_and_its_rejections() -> Result<(), TestkitError> {
    let r = registry();
    let acme = daily_bars("ACME", 0, &[10.0, 11.0, 12.0, 9.0])?;
    let beta = daily_bars("BETA", 0, &[5.0, 6.0, 7.0, 8.0])?;
    let at_day_2 = Timestamp::from_secs(2 * 86_400);

    // At day 2 both are rising; the falling ACME bar of day 3 is not visible.
    let scene = Scene::new(vec![acme.clone(), beta.clone()]).at(at_day_2);
    assert_eq!(scene.view().bars(0).len(), 3);
    let mut d = r.build("streak", &[], false).expect("registered");
    let orders = scene.decide(d.as_mut()).expect("a decision").orders;
    let bought: Vec<&str> = orders.iter().map(|o| o.symbol.as_str()).collect();
    assert_eq!(bought, ["ACME", "BETA"]);

    // After ACME's order was rejected, the decider leaves it alone.
    let rejected = Rejection {
        ts: at_day_2,
        intent: orders[0].clone(),
        reason: RejectReason::InsufficientCash {
            needed: Money::from(1_200),
            available: Money::from(1_000),
        },
    };
    let scene = Scene::new(vec![acme, beta])
        .at(at_day_2)
        .rejections(vec![rejected]);
    let mut d = r.build("streak", &[], false).expect("registered");
    let orders = scene.decide(d.as_mut()).expect("a decision").orders;
    let bought: Vec<&str> = orders.iter().map(|o| o.symbol.as_str()).collect();
    assert_eq!(bought, ["BETA"]);

    // At day 3 ACME fell once: with a one-close run and a position held, it sells.
    let scene =
        Scene::new(vec![daily_bars("ACME", 0, &[10.0, 11.0, 12.0, 9.0])?]).holding("ACME", 100)?;
    let mut d = r
        .build("streak", &params(&[("run", "1")]), false)
        .expect("registered");
    let orders = scene.decide(d.as_mut()).expect("a decision").orders;
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (orders[0].side, orders[0].sizing),
        (Side::Sell, Sizing::ClosePosition)
    );
    Ok(())
}

#[test]
fn registry_refuses_bad_parameters_of_an_external_decider_in_its_own_words() {
    let e = registry()
        .build("streak", &params(&[("run", "0")]), false)
        .err()
        .expect("run=0 is refused");
    assert_eq!(
        e.to_string(),
        "streak: run (0) must be a whole number of 1 or more"
    );
}
