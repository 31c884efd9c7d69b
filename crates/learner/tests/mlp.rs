//! The optional MLP: it learns a non-linear planted signal that logistic regression
//! cannot, replays exactly from its seed, and warm-starts from a snapshot exactly as
//! the run would have continued.

use tradelab_core::{BarSeries, Money, Timestamp};
use tradelab_engine::{
    DataView, Decider, Decision, DecisionContext, ModelNote, Portfolio, WorkingOrders,
};
use tradelab_learner::learner::{Core, Prediction};
use tradelab_learner::synth::{Rng, ar1_series};
use tradelab_learner::{LearnerConfig, OnlineLearner};

fn config(pairs: &[(&str, &str)]) -> LearnerConfig {
    let mut given = vec![("min_samples".to_string(), "100".to_string())];
    given.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    LearnerConfig::from_params(&given).unwrap()
}

/// Trains a core on 16 standard normal features whose label is up when the first two
/// have the same sign (flipped for 10 % of the samples); returns the accuracy over
/// the last 10 000 predictions (each made before its label was learned).
fn xor_accuracy(cfg: &LearnerConfig) -> f64 {
    let (n, width) = (40_000, cfg.features.len());
    let mut rng = Rng::new(5);
    let mut core = Core::new(cfg);
    let mut prev: Option<(Vec<f64>, bool, Prediction)> = None;
    let mut right = 0;
    for t in 0..n {
        let x: Vec<f64> = (0..width).map(|_| rng.normal()).collect();
        let up = (x[0] * x[1] > 0.0) != (rng.uniform() < 0.1);
        let p = core.predict(&x);
        if t >= n - 10_000 {
            right += ((p.probability > 0.5) == up) as u32;
        }
        if let Some((px, py, pp)) = prev.take() {
            core.learn(&px, py, pp, Timestamp::from_secs(t as i64));
        }
        prev = Some((x, up, p));
    }
    right as f64 / 10_000.0
}

#[test]
fn mlp_learns_the_sign_of_a_product_that_logistic_regression_cannot() {
    let logistic = xor_accuracy(&config(&[("learning_rate", "0.02")]));
    let mlp = xor_accuracy(&config(&[("model", "mlp"), ("learning_rate", "0.02")]));
    assert!((logistic - 0.5).abs() < 0.03, "logistic {logistic}");
    // The best possible is 0.9 (a tenth of the labels are flipped).
    assert!(mlp > 0.8, "mlp {mlp}");
}

/// What a learner did at each step over `series` (one symbol), flat throughout: the
/// orders' reasons; and the snapshot states it handed out.
fn steps(learner: &mut OnlineLearner, series: &BarSeries) -> (Vec<Vec<String>>, Vec<String>) {
    let all = [series.clone()];
    let portfolio = Portfolio::new(Money::from(100_000), vec![series.symbol().clone()]);
    let mut decision = Decision::default();
    let (mut out, mut snaps) = (Vec::new(), Vec::new());
    for t in 0..series.len() {
        let visible = [t + 1];
        let ctx = DecisionContext {
            now: series.bars()[t].ts(),
            view: DataView::checked(&all, &visible).unwrap(),
            updated: &[0],
            portfolio: &portfolio,
            rejections: &[],
            working: WorkingOrders::none(),
        };
        decision.clear();
        learner.on_step(&ctx, &mut decision).unwrap();
        for note in &decision.notes {
            if let ModelNote::Snapshot { state, .. } = note {
                snaps.push(state.clone());
            }
        }
        out.push(
            decision
                .orders
                .iter()
                .map(|o| o.reason.to_string())
                .collect(),
        );
    }
    (out, snaps)
}

#[test]
fn the_same_seed_replays_the_same_run_and_another_seed_differs() {
    let series = ar1_series("SEED", 1_200, 0.3, 3).unwrap();
    let run = |seed: &str| {
        let cfg = config(&[("model", "mlp"), ("seed", seed), ("learning_rate", "0.02")]);
        let mut l = OnlineLearner::new(cfg, true);
        let (orders, _) = steps(&mut l, &series);
        (orders, l.state_json().unwrap())
    };
    let (a, state_a) = run("7");
    let (b, state_b) = run("7");
    let (_, state_c) = run("8");
    assert!(
        a.iter().map(Vec::len).sum::<usize>() > 20,
        "the network trades"
    );
    assert_eq!(a, b);
    assert_eq!(state_a, state_b);
    assert_ne!(state_a, state_c);
    assert!(a.iter().flatten().any(|r| r.contains("× weight")));
    let named = OnlineLearner::new(config(&[("model", "mlp"), ("seed", "7")]), false).name();
    assert!(named.ends_with(", model=mlp, hidden=8, seed=7)"), "{named}");
}

#[test]
fn an_mlp_warm_start_decides_exactly_as_continuing_the_run_binary_and_three_class() {
    for label in ["binary", "three_class"] {
        let (n, k) = (1_500, 600);
        let series = ar1_series("WARMNET", n, 0.3, 9).unwrap();
        let pairs = [
            ("model", "mlp"),
            ("label", label),
            ("threshold", "0.4"),
            ("snapshot_every", "600"),
            ("learning_rate", "0.02"),
        ];
        let pairs = if label == "binary" {
            [&pairs[..2], &pairs[3..]].concat()
        } else {
            pairs.to_vec()
        };
        let mut original = OnlineLearner::new(config(&pairs), false);
        let (first, snaps) = steps(&mut original, &series);
        let rest = BarSeries::new(series.symbol().clone(), series.bars()[k..].to_vec()).unwrap();
        let mut warm = OnlineLearner::new(config(&pairs), false);
        warm.restore(&snaps[0]).unwrap();
        let (after, _) = steps(&mut warm, &rest);
        assert!(
            after.iter().map(Vec::len).sum::<usize>() > 10,
            "{label}: trades"
        );
        assert_eq!(first[k..], after[..], "{label}");
        assert_eq!(original.state_json().unwrap(), warm.state_json().unwrap());
        assert_eq!(original.report(), warm.report());
    }
}

#[test]
fn a_snapshot_of_another_model_or_label_is_refused_naming_both() {
    let series = ar1_series("NETCFG", 300, 0.3, 1).unwrap();
    let mut source = OnlineLearner::new(config(&[("model", "mlp"), ("hidden", "4")]), false);
    steps(&mut source, &series);
    let state = source.state_json().unwrap();
    let err = OnlineLearner::new(config(&[]), false)
        .restore(&state)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model=mlp with hidden=4") && err.contains("model=logistic"),
        "{err}"
    );
    let err = OnlineLearner::new(config(&[("model", "mlp")]), false)
        .restore(&state)
        .unwrap_err()
        .to_string();
    assert!(err.contains("hidden=8"), "{err}");
    let three = [("model", "mlp"), ("hidden", "4"), ("label", "three_class")];
    let err = OnlineLearner::new(config(&three), false)
        .restore(&state)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("label=binary") && err.contains("label=three_class"),
        "{err}"
    );
}
