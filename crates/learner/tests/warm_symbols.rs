//! A warm start checks the snapshot's symbols by name: other symbols are refused
//! naming both lists; the same symbols in another order each keep what they learned.

use tradelab_engine::Decider;
use tradelab_engine::testkit::Replay;
use tradelab_learner::synth::ar1_series;
use tradelab_learner::{LearnerConfig, OnlineLearner};

fn learner() -> OnlineLearner {
    let cfg = LearnerConfig::from_params(&[("min_samples".into(), "100".into())]).unwrap();
    OnlineLearner::new(cfg, false)
}

#[test]
fn a_warm_start_onto_other_symbols_is_refused_naming_both_lists() {
    let mut source = learner();
    Replay::new(vec![
        ar1_series("AAA", 400, 0.3, 1).unwrap(),
        ar1_series("BBB", 400, 0.3, 2).unwrap(),
    ])
    .run(&mut source)
    .unwrap();
    let state = source.checkpoint().unwrap().state;

    let mut warm = learner();
    warm.restore(&state).unwrap();
    assert_eq!(
        warm.learned_symbols(),
        Some(vec!["AAA".into(), "BBB".into()])
    );
    let err = Replay::new(vec![
        ar1_series("AAA", 400, 0.3, 1).unwrap(),
        ar1_series("CCC", 400, 0.3, 3).unwrap(),
    ])
    .run(&mut warm)
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("learned the symbols AAA,BBB but this run trades AAA,CCC"),
        "{err}"
    );
}

#[test]
fn the_same_symbols_in_another_order_are_accepted_each_keeping_its_own_state() {
    let (n, k) = (900, 500);
    let a = ar1_series("AAA", n, 0.3, 1).unwrap();
    let b = ar1_series("BBB", n, 0.3, 2).unwrap();
    let head = |s: &tradelab_core::BarSeries| {
        tradelab_core::BarSeries::new(s.symbol().clone(), s.bars()[..k].to_vec()).unwrap()
    };
    let mut first = learner();
    Replay::new(vec![head(&a), head(&b)])
        .run(&mut first)
        .unwrap();
    let state = first.checkpoint().unwrap().state;
    let (mut ab, mut ba) = (learner(), learner());
    ab.restore(&state).unwrap();
    ba.restore(&state).unwrap();
    // (The shared model learns the symbols of a step in the run's order, so the two
    // runs are not bit for bit the same; each symbol goes on from its own features.)
    let orders = Replay::new(vec![b.clone(), a.clone()])
        .run(&mut ba)
        .unwrap();
    Replay::new(vec![a, b]).run(&mut ab).unwrap();
    for sym in ["AAA", "BBB"] {
        assert!(
            orders.iter().any(|e| e.intent.symbol.as_str() == sym),
            "{sym}"
        );
    }
    assert_eq!(ba.learned_symbols(), Some(vec!["BBB".into(), "AAA".into()]));
    // Both went on learning exactly the labels after the snapshot, none twice.
    let learned = |l: &OnlineLearner| l.core().model().learned();
    assert_eq!(learned(&ab), learned(&ba));
    assert_eq!(learned(&ab), 2 * (n as u64 - 50));
}
