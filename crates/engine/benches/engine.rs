//! Engine core throughput: `sma_cross` on one symbol, bars in memory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tradelab_engine::report::ReportSink;
use tradelab_engine::{Engine, RunConfig, strategies};

#[path = "random_walk.rs"]
mod random_walk;
use random_walk::random_walk;

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
    // One report sink, emptied before each run as a parameter sweep would: the figure
    // is the engine's, not the cost of faulting in 16 MB of fresh report buffers.
    let mut sink = ReportSink::with_capacity(N);
    group.bench_function("sma_cross_1m_bars", |b| {
        b.iter(|| {
            let mut decider = strategies::build("sma_cross", &params, true).expect("strategy");
            sink.clear();
            let out = engine.run(decider.as_mut(), &mut sink, None).expect("run");
            black_box((out.final_equity, sink.fills))
        })
    });
    // The same with a fresh sink per run, allocated and dropped inside the timing
    // (includes the page faults of its buffers, costly under virtualization).
    group.bench_function("sma_cross_1m_bars_fresh_sink", |b| {
        b.iter(|| {
            let mut decider = strategies::build("sma_cross", &params, true).expect("strategy");
            let mut sink = ReportSink::with_capacity(N);
            let out = engine.run(decider.as_mut(), &mut sink, None).expect("run");
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
                _: &mut tradelab_engine::Decision,
            ) -> Result<(), tradelab_engine::DecideError> {
                black_box(ctx.view.last(0));
                Ok(())
            }
        }
        b.iter(|| {
            sink.clear();
            let out = engine.run(&mut Idle, &mut sink, None).expect("run");
            black_box(out.final_equity)
        })
    });
    group.finish();
}

criterion_group!(benches, engine_core);
criterion_main!(benches);
