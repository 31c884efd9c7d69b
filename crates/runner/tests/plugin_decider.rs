//! A decider the runner does not know: registered by name from this test (as an agent
//! or learner crate would), built and run by the [`Runner`] through `start`, with its
//! orders and name in the stored run — and refused by name by a runner without it.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use serde_json::json;
use tradelab_core::{BarSeries, OrderIntent, Side, Sizing, Symbol, Timeframe};
use tradelab_engine::strategies::{ParamInfo, StrategyError, StrategyInfo};
use tradelab_engine::{DecideError, Decision};
use tradelab_engine::{Decider, DeciderRegistry, DecisionContext};
use tradelab_runner::{ExecutionSettings, Runner, RunnerError, StartRun};
use tradelab_store::{DeciderConfig, ImportMode, ModelId, RunStatus, Store};

/// Buys every `every`-th bar and closes the position on the bar after.
struct Alternator {
    every: usize,
    seen: usize,
}

impl Decider for Alternator {
    fn name(&self) -> String {
        format!("alternator(every={})", self.every)
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        self.seen += 1;
        let symbol = ctx.view.symbol(0).clone();
        if self.seen.is_multiple_of(self.every) {
            orders.push(OrderIntent::market(
                symbol,
                Side::Buy,
                Sizing::AllIn,
                "alternator: buy",
            ));
        } else if self.seen % self.every == 1 && !ctx.portfolio.position(0).is_zero() {
            orders.push(OrderIntent::market(
                symbol,
                Side::Sell,
                Sizing::ClosePosition,
                "alternator: close",
            ));
        }
        Ok(())
    }
}

const ALTERNATOR_PARAMS: &[ParamInfo] = &[ParamInfo::fixed(
    "every",
    "5",
    "bars between buys (2 or more)",
)];

const ALTERNATOR: StrategyInfo = StrategyInfo::fixed(
    "alternator",
    "buys every n-th bar, closes on the next",
    ALTERNATOR_PARAMS,
);

fn with_alternator() -> DeciderRegistry {
    DeciderRegistry::builtin()
        .with(ALTERNATOR, |args| {
            let every =
                match args.params.iter().find(|(k, _)| k == "every") {
                    None => 5,
                    Some((_, v)) => v.parse().ok().filter(|n| *n >= 2).ok_or_else(|| {
                        StrategyError::Invalid {
                            strategy: "alternator".into(),
                            message: format!("every ({v}) must be a whole number of 2 or more"),
                        }
                    })?,
                };
            Ok(Box::new(Alternator { every, seen: 0 }))
        })
        .expect("a new name")
}

/// `n` daily bars of `ALT` from 2000-01-01, a gentle zigzag.
fn bars(n: usize) -> BarSeries {
    common::daily_series("ALT", n, |k| 50.0 + ((k * 5) % 11) as f64)
}

/// A model of `alternator` (every 4th bar) on `ALT`, with its bars stored.
async fn alternator_model(store: &Store) -> ModelId {
    store
        .bars()
        .import_series(&bars(40), Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .expect("import");
    let owner = common::owner(store, "plugin@x.io").await;
    let mut spec = common::model_spec("plugged");
    spec.decider = DeciderConfig {
        kind: "alternator".into(),
        params: json!({"every": "4"}),
    };
    spec.allowed_symbols = vec![Symbol::new("ALT").expect("symbol")];
    spec.fill_model = ExecutionSettings::default().to_json();
    store
        .models()
        .create(owner.id, &spec)
        .await
        .expect("create model")
        .id
}

async fn start(store: &Store, model: ModelId) -> StartRun {
    StartRun::new(
        common::model_owner(store, model).await,
        model,
        vec![Symbol::new("ALT").expect("symbol")],
        Timeframe::DAY,
    )
}

store_test!(
    runner_builds_and_runs_a_decider_registered_from_outside_the_engine,
    |db| {
        let m = alternator_model(&db.store).await;
        let runner = Runner::with_deciders(db.store.clone(), with_alternator());
        let f = runner
            .start(start(&db.store, m).await, None)
            .await
            .expect("run");
        assert_eq!(f.run.status, RunStatus::Completed);
        assert_eq!(f.report.strategy, "alternator(every=4)");
        // 40 bars: buys on bars 4, 8, …, 40 and closes on the bar after each (the
        // last buy, at the final bar, never fills).
        assert_eq!(f.report.closed_trades, 9);
        let owner = common::owner_of(&db.store, f.run.id).await;
        let reasons: Vec<String> = db
            .store
            .audit()
            .decisions(owner, f.run.id)
            .await
            .expect("decisions")
            .into_iter()
            .map(|d| d.reasoning)
            .collect();
        assert_eq!(reasons.len(), 19, "{reasons:?}");
        assert_eq!(reasons[0], "alternator: buy");
        assert_eq!(reasons[1], "alternator: close");
    }
);

store_test!(
    runner_without_the_decider_refuses_it_naming_the_registered_ones,
    |db| {
        let m = alternator_model(&db.store).await;
        let e = Runner::new(db.store.clone())
            .start(start(&db.store, m).await, None)
            .await
            .err()
            .expect("alternator is not built in");
        assert!(matches!(e, RunnerError::Engine { .. }), "{e}");
        assert!(
            e.to_string().ends_with(
                "unknown strategy \"alternator\"; known strategies: \
                 buy_and_hold, sma_cross, rsi_reversion, breakout"
            ),
            "{e}"
        );
        let runner = Runner::with_deciders(db.store.clone(), with_alternator());
        let names: Vec<&str> = runner.deciders().names().collect();
        assert_eq!(names.last(), Some(&"alternator"));
    }
);
