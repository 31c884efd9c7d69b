//! One sma_cross run over a synthetic random walk, for profilers
//! (`valgrind --tool=callgrind target/release/examples/profile_sma_cross 200000`).

use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};
use tradelab_engine::report::ReportSink;
use tradelab_engine::{Engine, RunConfig, strategies};

fn random_walk(n: usize) -> BarSeries {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut cents: i64 = 100_000;
    let bars = (0..n)
        .map(|k| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let open = cents;
            cents = (cents + (state % 41) as i64 - 20).max(1_000);
            let hi = open.max(cents) + (state >> 20) as i64 % 7;
            let lo = open.min(cents) - (state >> 30) as i64 % 7;
            Bar::new(
                Timestamp::from_secs(1_500_000_000 + 60 * k as i64),
                open as f64 / 100.0,
                hi as f64 / 100.0,
                lo as f64 / 100.0,
                cents as f64 / 100.0,
                100.0,
            )
            .expect("valid bar")
        })
        .collect();
    BarSeries::new(Symbol::new("RW").expect("symbol"), bars).expect("series")
}

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
    let mut decider = strategies::build("sma_cross", &params, true).expect("strategy");
    let mut sink = ReportSink::with_capacity(n);
    let t = std::time::Instant::now();
    let out = engine.run(decider.as_mut(), &mut sink, None);
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
