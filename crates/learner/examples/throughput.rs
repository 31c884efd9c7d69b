//! Learning throughput on one core, by wall clock and by the thread's own CPU time
//! (Linux `/proc/thread-self/schedstat`), which a shared, loaded machine does not
//! inflate: `cargo run --release -p tradelab-learner --example throughput`.

use std::time::Instant;
use tradelab_core::Timestamp;
use tradelab_learner::LearnerConfig;
use tradelab_learner::label::Outcome;
use tradelab_learner::learner::{Core, Prediction, SymbolLearner};
use tradelab_learner::synth::{Rng, ar1_series};

/// Nanoseconds this thread has run on a CPU, when the kernel says.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn report(what: &str, bars: usize, run: impl FnOnce()) {
    let (wall, cpu) = (Instant::now(), cpu_ns());
    run();
    let wall = wall.elapsed().as_secs_f64();
    let cpu = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
    let rate = |s: f64| bars as f64 / s / 1e6;
    match cpu {
        Some(c) => println!(
            "{what}: {bars} bars, {:.2} M bars/s by CPU time ({c:.3} s), {:.2} M bars/s by wall clock",
            rate(c),
            rate(wall)
        ),
        None => println!(
            "{what}: {bars} bars, {:.2} M bars/s by wall clock",
            rate(wall)
        ),
    }
}

fn main() {
    let cfg = LearnerConfig::default();
    let width = cfg.features.len();
    const N: usize = 1_000_000;
    let mut rng = Rng::new(3);
    let xs: Vec<f64> = (0..N * width).map(|_| rng.normal()).collect();
    let ys: Vec<bool> = (0..N).map(|i| xs[i * width] + rng.normal() > 0.0).collect();
    for (what, pairs) in [
        ("mlp, hidden 8", &[("model", "mlp")][..]),
        ("three-class softmax", &[("label", "three_class")][..]),
        (
            "three-class mlp, hidden 8",
            &[("model", "mlp"), ("label", "three_class")][..],
        ),
    ] {
        let given: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let other = LearnerConfig::from_params(&given).expect("parameters");
        report(&format!("predict + update, 16 features, {what}"), N, || {
            let mut core = Core::new(&other);
            let mut prev: Option<Prediction> = None;
            for i in 0..N {
                let p = core.predict(&xs[i * width..(i + 1) * width]);
                if let Some(then) = prev {
                    let x = &xs[(i - 1) * width..i * width];
                    let y = match (ys[i - 1], xs[i * width + 1] > 0.5) {
                        (true, _) => Outcome::Up,
                        (false, true) => Outcome::Flat,
                        (false, false) => Outcome::Down,
                    };
                    core.learn_outcome(x, y, then, Timestamp::from_secs(i as i64));
                }
                prev = Some(p);
            }
            std::hint::black_box(core.model().learned());
        });
    }
    report("predict + update, 16 features", N, || {
        let mut core = Core::new(&cfg);
        let mut prev: Option<Prediction> = None;
        for i in 0..N {
            let p = core.predict(&xs[i * width..(i + 1) * width]);
            if let Some(then) = prev {
                let x = &xs[(i - 1) * width..i * width];
                core.learn(x, ys[i - 1], then, Timestamp::from_secs(i as i64));
            }
            prev = Some(p);
        }
        std::hint::black_box(core.model().learned());
    });
    // 80 000 daily bars fit the timestamp range; 13 symbols' worth make ~1M bars.
    let series: Vec<_> = (0..13)
        .map(|s| ar1_series("SYN", 80_000, 0.3, s).expect("synthetic series"))
        .collect();
    let bars: usize = series.iter().map(|s| s.len()).sum();
    report("whole bar step (features + predict + update)", bars, || {
        let mut core = Core::new(&cfg);
        let mut x = vec![0.0; width];
        for s in &series {
            let mut sym = SymbolLearner::new(&cfg);
            for bar in s.bars() {
                std::hint::black_box(sym.step(bar, &mut core, &mut x));
            }
        }
    });
}
