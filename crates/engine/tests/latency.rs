//! Specifications of order latency: an order decided at a bar's close reaches the
//! broker `latency` later and fills at the first price after that — the open of a bar
//! starting after it arrived, or the close of the bar it arrived during.

mod common;

use common::{Script, buy, cfg, daily, fills, numbered_in_order, shares};
use std::time::Duration;
use tradelab_core::{Side, Timeframe};
use tradelab_engine::event::VecSink;
use tradelab_engine::{Engine, FillModel, RunConfig};

/// Bar k opens at 10k+1 and closes at 10k+5 (one bar a day).
fn bars() -> tradelab_core::BarSeries {
    let ohlc: Vec<(f64, f64, f64, f64)> = (0..6)
        .map(|k| {
            let base = 10.0 * (k + 1) as f64;
            (base + 1.0, base + 6.0, base, base + 5.0)
        })
        .collect();
    daily("X", &ohlc)
}

/// The fill of a buy decided at bar 1 under `config` with `latency`.
fn fill_with(config: RunConfig, latency: Duration) -> Vec<(Side, String, String)> {
    let engine = Engine::new(config, vec![bars()])
        .expect("engine")
        .with_latency(latency, Timeframe::DAY);
    let mut decider = Script::new(vec![(1, buy("X", shares(1)))]);
    let mut sink = VecSink::default();
    engine.run(&mut decider, &mut sink, None).expect("run");
    fills(&numbered_in_order(sink))
}

#[test]
fn without_latency_an_order_fills_at_the_next_open() {
    assert_eq!(
        fill_with(cfg(), Duration::ZERO),
        [(Side::Buy, "1".into(), "31".into())]
    );
}

#[test]
fn an_order_arriving_during_the_next_bar_fills_at_its_close() {
    // Half a second after bar 1's close: bar 2 opened already; its close is the first
    // price after the order arrived.
    assert_eq!(
        fill_with(cfg(), Duration::from_millis(500)),
        [(Side::Buy, "1".into(), "35".into())]
    );
}

#[test]
fn an_order_arriving_exactly_at_a_bars_open_fills_at_that_open() {
    // A day after bar 1's close is bar 3's open.
    assert_eq!(
        fill_with(cfg(), Duration::from_secs(86_400)),
        [(Side::Buy, "1".into(), "41".into())]
    );
}

#[test]
fn an_order_slower_than_a_bar_waits_for_the_bar_it_arrives_in() {
    // A day and an hour: it arrives during bar 3, and fills at bar 3's close.
    assert_eq!(
        fill_with(cfg(), Duration::from_secs(90_000)),
        [(Side::Buy, "1".into(), "45".into())]
    );
}

#[test]
fn under_the_close_model_latency_moves_the_fill_to_the_first_price_after_arrival() {
    let close = RunConfig {
        fill_model: FillModel::Close,
        ..cfg()
    };
    assert_eq!(
        fill_with(close.clone(), Duration::ZERO),
        [(Side::Buy, "1".into(), "25".into())],
        "no latency: the decision bar's close"
    );
    assert_eq!(
        fill_with(close, Duration::from_millis(500)),
        [(Side::Buy, "1".into(), "35".into())],
        "the decision bar's close has passed when the order arrives"
    );
}
