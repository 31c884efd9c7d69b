//! The guardrail trips on a regime change (the planted signal flips sign), stops new
//! positions while learning on, and resumes once the learner has recovered.

use tradelab_core::{Money, Symbol};
use tradelab_engine::{DataView, Decider, Decision, DecisionContext, Portfolio, WorkingOrders};
use tradelab_learner::synth::{Rng, bars_from_returns};
use tradelab_learner::{LearnerConfig, OnlineLearner};

/// AR(1) returns with coefficient +0.3 for `flip` bars, then −0.3.
fn regime_change(n: usize, flip: usize) -> Vec<f64> {
    let mut rng = Rng::new(17);
    let mut prev = 0.0;
    (0..n)
        .map(|t| {
            let phi = if t < flip { 0.3 } else { -0.3 };
            prev = phi * prev + 0.01 * rng.normal();
            prev
        })
        .collect()
}

#[test]
fn guardrail_pauses_on_a_regime_change_keeps_learning_and_resumes_on_recovery() {
    let (n, flip) = (12_000, 5_000);
    let series = [bars_from_returns("FLIP", &regime_change(n, flip), 17).unwrap()];
    let cfg = LearnerConfig::from_params(&[("min_samples".into(), "100".into())]).unwrap();
    let mut learner = OnlineLearner::new(cfg, false);
    // Flat throughout (nothing is filled): every step above the threshold would buy.
    let portfolio = Portfolio::new(Money::from(100_000), vec![Symbol::new("FLIP").unwrap()]);
    let mut decision = Decision::default();
    let (mut paused, mut resumed) = (None, None);
    let (mut orders_before_flip, mut orders_while_paused) = (0, 0);
    let mut learned_while_paused = 0;
    for t in 0..n {
        let visible = [t + 1];
        let ctx = DecisionContext {
            now: series[0].bars()[t].ts(),
            view: DataView::checked(&series, &visible).unwrap(),
            updated: &[0],
            portfolio: &portfolio,
            rejections: &[],
            working: WorkingOrders::none(),
        };
        decision.clear();
        let was_learned = learner.core().model().learned();
        learner.on_step(&ctx, &mut decision).unwrap();
        let said = decision.reasoning.clone().unwrap_or_default();
        let notes: Vec<&str> = decision.notes.iter().map(|n| n.name()).collect();
        assert_eq!(
            notes.contains(&"paused"),
            said.contains("paused: degraded"),
            "the pause is a model note as well as reasoning"
        );
        assert_eq!(
            notes.contains(&"resumed"),
            said.contains("resumed: recovered")
        );
        if said.contains("paused: degraded") {
            assert!(paused.is_none(), "paused twice");
            paused = Some(t);
        }
        if said.contains("resumed: recovered") {
            resumed = Some(t);
        }
        let in_pause = paused.is_some() && resumed.is_none();
        if in_pause {
            orders_while_paused += decision.orders.len();
            learned_while_paused += learner.core().model().learned() - was_learned;
        } else if t < flip {
            orders_before_flip += decision.orders.len();
        }
    }
    let paused = paused.expect("the guardrail paused");
    assert!(
        paused > flip,
        "paused at {paused}, before the flip at {flip}"
    );
    assert!(orders_before_flip > 100, "{orders_before_flip}");
    assert_eq!(orders_while_paused, 0);
    let resumed = resumed.expect("the guardrail resumed");
    assert!(resumed > paused);
    assert_eq!(learned_while_paused as usize, resumed - paused);
    // After the recovery the learner has the new sign: ret_1 weighs negative.
    let w = learner.report().weights;
    let ret_1 = w.iter().find(|f| f.feature == "ret_1").unwrap();
    assert!(ret_1.weight < 0.0, "{}", ret_1.weight);
}
