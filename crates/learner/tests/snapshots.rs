//! Snapshots and warm starts: a learner restored from the snapshot it handed out after
//! K bars, run over the bars after K, decides exactly as the original learner went on
//! deciding, and ends in the same state; a snapshot of another configuration, or no
//! learner state at all, is refused with a reason.

use tradelab_core::{BarSeries, Money};
use tradelab_engine::{
    DataView, Decider, Decision, DecisionContext, ModelNote, Portfolio, WorkingOrders,
};
use tradelab_learner::synth::ar1_series;
use tradelab_learner::{LearnerConfig, OnlineLearner};

fn learner(pairs: &[(&str, &str)]) -> OnlineLearner {
    let mut given = vec![("min_samples".to_string(), "100".to_string())];
    given.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    OnlineLearner::new(LearnerConfig::from_params(&given).unwrap(), false)
}

/// What a learner did at one step, as a flat portfolio sees it (so two runs compare
/// on the model alone): the orders' reasons and the model notes' names.
#[derive(Debug, PartialEq)]
struct Step {
    ts: tradelab_core::Timestamp,
    orders: Vec<String>,
    notes: Vec<&'static str>,
}

/// Steps `learner` over every bar of `series` (one symbol), flat throughout; returns
/// each step and the snapshot states it handed out.
fn steps(learner: &mut OnlineLearner, series: &BarSeries) -> (Vec<Step>, Vec<(u64, String)>) {
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
            if let ModelNote::Snapshot { bars, state, size } = note {
                assert_eq!(*size, state.len());
                snaps.push((*bars, state.clone()));
            }
        }
        out.push(Step {
            ts: ctx.now,
            orders: decision
                .orders
                .iter()
                .map(|o| o.reason.to_string())
                .collect(),
            notes: decision.notes.iter().map(ModelNote::name).collect(),
        });
    }
    (out, snaps)
}

#[test]
fn warm_start_from_a_snapshot_decides_exactly_as_continuing_the_run() {
    let (n, k) = (1_500, 600);
    let series = ar1_series("WARM", n, 0.3, 9).unwrap();
    let mut original = learner(&[("snapshot_every", "600")]);
    let (first, snaps) = steps(&mut original, &series);
    assert_eq!(
        snaps.iter().map(|(bars, _)| *bars).collect::<Vec<_>>(),
        [600, 1200]
    );
    assert_eq!(first[k - 1].notes, ["snapshot"]);

    let rest = BarSeries::new(series.symbol().clone(), series.bars()[k..].to_vec()).unwrap();
    let mut warm = learner(&[("snapshot_every", "600")]);
    warm.restore(&snaps[0].1).unwrap();
    assert_eq!(warm.bars_seen(), k as u64);
    let (after, _) = steps(&mut warm, &rest);

    let orders = |s: &[Step]| s.iter().map(|s| s.orders.len()).sum::<usize>();
    assert!(orders(&after) > 20, "the learner trades after the snapshot");
    let continuing: Vec<_> = first[k..].iter().map(|s| (s.ts, &s.orders)).collect();
    let warmed: Vec<_> = after.iter().map(|s| (s.ts, &s.orders)).collect();
    assert_eq!(continuing, warmed);
    assert_eq!(original.state_json().unwrap(), warm.state_json().unwrap());
    assert_eq!(original.report(), warm.report());
}

#[test]
fn a_warm_start_over_data_that_repeats_the_snapshots_bars_skips_them() {
    let series = ar1_series("SKIP", 900, 0.3, 4).unwrap();
    let mut original = learner(&[("snapshot_every", "400")]);
    let (first, snaps) = steps(&mut original, &series);
    let mut warm = learner(&[("snapshot_every", "400")]);
    warm.restore(&snaps[0].1).unwrap();
    // The whole series again: the first 400 bars were learned before the snapshot.
    let (again, _) = steps(&mut warm, &series);
    assert!(again[..400].iter().all(|s| s.orders.is_empty()));
    assert_eq!(first[400..], again[400..]);
    assert_eq!(
        original.core().model().learned(),
        warm.core().model().learned()
    );
}

#[test]
fn a_snapshot_of_other_features_or_horizon_or_no_learner_is_refused() {
    let series = ar1_series("CFG", 300, 0.3, 1).unwrap();
    let mut source = learner(&[("features", "returns,rsi")]);
    steps(&mut source, &series);
    let state = source.state_json().unwrap();

    let err = learner(&[]).restore(&state).unwrap_err().to_string();
    assert!(err.contains("features"), "{err}");
    let err = learner(&[("features", "returns,rsi"), ("h", "3")])
        .restore(&state)
        .unwrap_err()
        .to_string();
    assert!(err.contains("horizon h=1"), "{err}");
    let err = learner(&[])
        .restore("{\"fast\": 3}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an online_learner state"), "{err}");
    // Same features and horizon, other trading parameters: accepted.
    learner(&[("features", "returns,rsi"), ("threshold", "0.6")])
        .restore(&state)
        .unwrap();
}

#[test]
fn snapshot_every_zero_hands_out_none_during_the_run_but_a_checkpoint_at_the_end() {
    let series = ar1_series("END", 700, 0.3, 3).unwrap();
    let mut l = learner(&[("snapshot_every", "0")]);
    let (_, snaps) = steps(&mut l, &series);
    assert!(snaps.is_empty());
    let end = l.checkpoint().expect("a learner has a checkpoint");
    assert_eq!(end.bars, 700);
    assert_eq!(end.ts, Some(series.bars()[699].ts()));
    let mut back = learner(&[("snapshot_every", "0")]);
    back.restore(&end.state).unwrap();
    assert_eq!(back.state_json().unwrap(), end.state);
    let report = l.model_report().expect("report");
    assert!(report["brier"].is_f64(), "{report}");
    assert_eq!(report["reliability"].as_array().map(Vec::len), Some(10));
}
