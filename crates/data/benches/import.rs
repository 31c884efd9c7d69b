//! Import speed: 1,000,000 generated minute bars parsed from memory, and 500,000
//! generated ticks aggregated to 1-minute bars.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tradelab_core::{Symbol, Timestamp};
use tradelab_data::{CsvOptions, Session, Tick, aggregate_ticks, parse_bars};

/// `2019-11-05 09:30:00,3078.96,3079.5,3078,3078.5,12345`-style rows (~55 MB).
fn minute_csv(rows: usize) -> Vec<u8> {
    let mut out = String::with_capacity(rows * 60);
    out += "timestamp,open,high,low,close,volume\n";
    let start = 1_572_946_200; // 2019-11-05 09:30 UTC
    let mut price = 3078.96_f64;
    let mut seed = 12_345_u64;
    for i in 0..rows {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let step = ((seed >> 33) % 201) as f64 / 100.0 - 1.0;
        let open = price;
        let close = ((price + step) * 100.0).round() / 100.0;
        // Shortest text of cent prices: lengths vary (3078.96, 3079.5, 3078) as in
        // real files, which keeps the benchmark honest about branch prediction.
        let high = ((open.max(close) + 0.5) * 100.0).round() / 100.0;
        let low = ((open.min(close) - 0.5) * 100.0).round() / 100.0;
        let ts = Timestamp::from_secs(start + i as i64 * 60).to_jiff();
        let dt = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime();
        out += &format!(
            "{} {},{open},{high},{low},{close},{}\n",
            dt.date(),
            dt.time().strftime("%H:%M:%S"),
            (seed >> 40) % 20_000
        );
        price = close;
    }
    out.into_bytes()
}

fn ticks(n: usize) -> Vec<Tick> {
    let mut seed = 7_u64;
    let mut price = 1640.25;
    let mut ns = 1_378_054_800_000_000_000_i64;
    (0..n)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ns += ((seed >> 35) % 700) as i64 * 1_000_000; // 0–0.7 s apart, many equal
            price += ((seed >> 20) % 3) as f64 * 0.25 - 0.25;
            Tick {
                ts: Timestamp::from_nanos(ns),
                price,
                size: Some(((seed >> 45) % 20 + 1) as f64),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let csv = minute_csv(1_000_000);
    let opts = CsvOptions {
        symbol: Some(Symbol::new("SPX").expect("valid symbol")),
        ..CsvOptions::default()
    };
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(csv.len() as u64));
    g.bench_function("parse_1m_minute_bars", |b| {
        b.iter(|| parse_bars("bench.csv", black_box(&csv), &opts).expect("valid CSV"))
    });
    let t = ticks(500_000);
    g.throughput(Throughput::Elements(t.len() as u64));
    let tf = "1m".parse().expect("valid timeframe");
    g.bench_function("aggregate_500k_ticks_1m", |b| {
        b.iter(|| aggregate_ticks(black_box(&t), tf, Session::All))
    });
    g.bench_function("aggregate_500k_ticks_1m_regular_session", |b| {
        b.iter(|| aggregate_ticks(black_box(&t), tf, Session::Regular))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
