//! Learning speed: predict + update with 16 features, one bar at a time on one core.
//!
//! - `core_16_features`: the model and calibration alone (predict, score, Platt,
//!   `partial_fit`) on precomputed standardised features;
//! - `core_16_features_mlp_8`: the same with the MLP of 8 hidden units;
//! - `bar_16_features`: the whole per-bar loop of a symbol (features from the bar,
//!   standardisation, predict, the pending ring, learn).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tradelab_core::Timestamp;
use tradelab_learner::learner::{Core, SymbolLearner};
use tradelab_learner::synth::{Rng, ar1_series};
use tradelab_learner::{LearnerConfig, learner::Prediction};

/// Bars per iteration (daily bars: more would pass the last representable timestamp).
const BARS: usize = 80_000;

fn bench(c: &mut Criterion) {
    let cfg = LearnerConfig::default();
    let width = cfg.features.len();
    assert_eq!(width, 16);
    let mut rng = Rng::new(3);
    let xs: Vec<f64> = (0..BARS * width).map(|_| rng.normal()).collect();
    let ys: Vec<bool> = (0..BARS)
        .map(|i| xs[i * width] + rng.normal() > 0.0)
        .collect();
    let mut g = c.benchmark_group("learner");
    g.throughput(Throughput::Elements(BARS as u64));
    g.sample_size(20);
    g.bench_function("core_16_features", |b| {
        b.iter(|| {
            let mut core = Core::new(&cfg);
            let mut prev: Option<Prediction> = None;
            for i in 0..BARS {
                let x = &xs[i * width..(i + 1) * width];
                let p = core.predict(x);
                if let Some(then) = prev {
                    core.learn(
                        &xs[(i - 1) * width..i * width],
                        ys[i - 1],
                        then,
                        Timestamp::from_secs(i as i64),
                    );
                }
                prev = Some(p);
            }
            black_box(core.model().learned())
        })
    });
    let mlp = LearnerConfig::from_params(&[("model".into(), "mlp".into())]).expect("mlp");
    g.bench_function("core_16_features_mlp_8", |b| {
        b.iter(|| {
            let mut core = Core::new(&mlp);
            let mut prev: Option<Prediction> = None;
            for i in 0..BARS {
                let p = core.predict(&xs[i * width..(i + 1) * width]);
                if let Some(then) = prev {
                    let x = &xs[(i - 1) * width..i * width];
                    core.learn(x, ys[i - 1], then, Timestamp::from_secs(i as i64));
                }
                prev = Some(p);
            }
            black_box(core.model().learned())
        })
    });
    let series = ar1_series("SYN", BARS, 0.3, 5).expect("synthetic series");
    g.bench_function("bar_16_features", |b| {
        b.iter(|| {
            let mut core = Core::new(&cfg);
            let mut sym = SymbolLearner::new(&cfg);
            let mut x = vec![0.0; width];
            let mut last = None;
            for bar in series.bars() {
                last = sym.step(bar, &mut core, &mut x);
            }
            black_box(last)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
