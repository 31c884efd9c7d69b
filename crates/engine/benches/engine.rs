//! Engine core throughput: `sma_cross` on one symbol, bars in memory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};
use tradelab_engine::report::ReportSink;
use tradelab_engine::{Engine, RunConfig, strategies};

/// A deterministic random walk of `n` minute bars with two-decimal prices.
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

fn engine_core(c: &mut Criterion) {
    const N: usize = 1_000_000;
    // No commission: the account never runs dry, so every one of the ~55k crosses of
    // the random walk trades (about 110k fills), as in the end-to-end benchmark.
    let config = RunConfig {
        allow_short: true,
        ..RunConfig::default()
    };
    let engine = Engine::new(config, vec![random_walk(N)]).expect("engine");
    let params = vec![
        ("fast".to_string(), "10".to_string()),
        ("slow".to_string(), "20".to_string()),
    ];
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.bench_function("sma_cross_1m_bars", |b| {
        b.iter(|| {
            let mut decider = strategies::build("sma_cross", &params, true).expect("strategy");
            let mut sink = ReportSink::with_capacity(N);
            let out = engine.run(decider.as_mut(), &mut sink, None);
            black_box((out.final_equity, sink.fills))
        })
    });
    group.bench_function("idle_decider_1m_bars", |b| {
        struct Idle;
        impl tradelab_engine::Decider for Idle {
            fn name(&self) -> String {
                "idle".into()
            }
            fn on_step(
                &mut self,
                ctx: &tradelab_engine::DecisionContext<'_>,
                _: &mut Vec<tradelab_core::OrderIntent>,
            ) {
                black_box(ctx.view.last(0));
            }
        }
        b.iter(|| {
            let mut sink = ReportSink::with_capacity(N);
            let out = engine.run(&mut Idle, &mut sink, None);
            black_box(out.final_equity)
        })
    });
    group.finish();
}

criterion_group!(benches, engine_core);
criterion_main!(benches);
