//! Every strategy treats each symbol of a multi-symbol run as if it ran alone, and
//! reacts to new bars only.

use super::testkit::{Emitted, Replay, fixture, series_hlc};
use super::{build, catalog};
use tradelab_core::BarSeries;

fn key(e: &Emitted) -> String {
    format!(
        "{} {:?} {} {} {}",
        e.intent.symbol, e.ts, e.intent.side, e.intent.sizing, e.intent.reason
    )
}

fn run(name: &str, series: Vec<BarSeries>, ask_twice: bool) -> Vec<String> {
    let mut d = build(name, &[], true).unwrap();
    let replay = Replay::new(series);
    let replay = if ask_twice {
        replay.asking_twice()
    } else {
        replay
    };
    let mut got: Vec<_> = replay.run(d.as_mut()).iter().map(key).collect();
    got.sort();
    got
}

fn inputs() -> (BarSeries, BarSeries) {
    let goog = series_hlc("GOOG", 0, &fixture("goog_2004_first600.csv").0);
    // Starts a week later and runs past GOOG's end: partly overlapping calendars.
    let walk = series_hlc("WALK", 7, &fixture("random_walk_cents.csv").0);
    (goog, walk)
}

#[test]
fn each_symbol_gets_the_signals_it_gets_alone() {
    let (goog, walk) = inputs();
    for info in catalog().iter().filter(|i| i.name != "buy_and_hold") {
        let mut alone = run(&info.name, vec![goog.clone()], false);
        alone.extend(run(&info.name, vec![walk.clone()], false));
        alone.sort();
        assert!(
            alone.len() > 10,
            "{}: only {} signals",
            info.name,
            alone.len()
        );
        let together = run(&info.name, vec![goog.clone(), walk.clone()], false);
        assert_eq!(together, alone, "{}", info.name);
    }
}

#[test]
fn a_step_without_new_bars_feeds_nothing_and_decides_nothing() {
    let (goog, walk) = inputs();
    for info in catalog() {
        let once = run(&info.name, vec![goog.clone(), walk.clone()], false);
        let twice = run(&info.name, vec![goog.clone(), walk.clone()], true);
        assert_eq!(twice, once, "{}", info.name);
    }
}
