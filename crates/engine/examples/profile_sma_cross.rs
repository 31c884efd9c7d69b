//! sma_cross runs over a synthetic random walk, for profilers and quick timing:
//! `profile_sma_cross [BARS] [RUNS]` (one report sink, emptied between runs)
//! (`valgrind --tool=callgrind target/release/examples/profile_sma_cross 200000`).

use tradelab_engine::report::ReportSink;
use tradelab_engine::{Engine, RunConfig, strategies};

#[path = "../benches/random_walk.rs"]
mod random_walk;
use random_walk::random_walk;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let config = RunConfig {
        allow_short: true,
        ..RunConfig::default()
    };
    let engine = Engine::new(config, vec![random_walk(n)]).expect("engine");
    let params = vec![
        ("fast".to_string(), "10".to_string()),
        ("slow".to_string(), "20".to_string()),
    ];
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let mut sink = ReportSink::with_capacity(n);
    for _ in 0..runs {
        let mut decider = strategies::build("sma_cross", &params, true).expect("strategy");
        sink.clear();
        let t = std::time::Instant::now();
        let out = engine.run(decider.as_mut(), &mut sink, None).expect("run");
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{n} bars in {:.1} ms ({:.1} M bars/s), {} fills, {} trades, final equity {}",
            secs * 1e3,
            n as f64 / secs / 1e6,
            sink.fills,
            sink.trades.len(),
            out.final_equity
        );
    }
}
