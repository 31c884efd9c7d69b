//! The learner as a decider in replays: one learning step per bar however often it is
//! asked, and several symbols sharing one model.

use tradelab_engine::Decider;
use tradelab_engine::testkit::Replay;
use tradelab_learner::synth::ar1_series;
use tradelab_learner::{LearnerConfig, OnlineLearner};

fn learner() -> OnlineLearner {
    let cfg = LearnerConfig::from_params(&[("min_samples".into(), "100".into())]).unwrap();
    OnlineLearner::new(cfg, false)
}

#[test]
fn asked_twice_at_each_step_it_learns_and_orders_as_if_asked_once() {
    let series = || vec![ar1_series("TWICE", 1_200, 0.3, 6).unwrap()];
    let (mut once, mut twice) = (learner(), learner());
    let a = Replay::new(series()).run(&mut once).unwrap();
    let b = Replay::new(series())
        .asking_twice()
        .run(&mut twice)
        .unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(
        once.core().model().learned(),
        twice.core().model().learned()
    );
    assert_eq!(once.core().model().learned(), 1_200 - 50);
}

#[test]
fn symbols_share_one_model_and_each_is_traded_on_its_own_features() {
    let series = vec![
        ar1_series("AAA", 1_000, 0.3, 1).unwrap(),
        ar1_series("BBB", 1_000, 0.3, 2).unwrap(),
    ];
    let mut l = learner();
    let orders = Replay::new(series).run(&mut l).unwrap();
    for sym in ["AAA", "BBB"] {
        assert!(
            orders.iter().any(|e| e.intent.symbol.as_str() == sym),
            "no order in {sym}"
        );
    }
    // Both symbols' labels went into the one model: (1000 − 50) each.
    assert_eq!(l.core().model().learned(), 2 * 950);
    assert_eq!(l.min_bars(), 50);
    assert!(l.name().starts_with("online_learner(h=1, threshold=0.55"));
}
