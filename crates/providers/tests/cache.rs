//! The recent-bars cache: bounded series and bars, least recently used out first.

use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_providers::cache::{BarCache, CacheLimits};

fn bar(minute: i64, close: f64) -> Bar {
    Bar::new(
        Timestamp::from_secs(minute * 60),
        close,
        close,
        close,
        close,
        1.0,
    )
    .unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

#[test]
fn cache_keeps_the_newest_bars_of_a_series_up_to_its_limit() {
    let cache = BarCache::new(CacheLimits {
        series: 4,
        bars_per_series: 3,
    });
    let bars: Vec<Bar> = (0..5).map(|m| bar(m, 10.0 + m as f64)).collect();
    cache.insert(&sym("AAPL"), Timeframe::MINUTE, &bars);
    assert_eq!(
        cache.recent(&sym("AAPL"), Timeframe::MINUTE, 10),
        bars[2..].to_vec()
    );
    assert_eq!(cache.latest(&sym("AAPL"), Timeframe::MINUTE), Some(bars[4]));
    assert_eq!(
        cache.recent(&sym("AAPL"), Timeframe::MINUTE, 2),
        bars[3..].to_vec()
    );
}

#[test]
fn cache_replaces_a_bar_at_a_held_time_and_orders_late_bars() {
    let cache = BarCache::new(CacheLimits::default());
    let s = sym("AAPL");
    cache.insert(&s, Timeframe::MINUTE, &[bar(1, 1.0), bar(3, 3.0)]);
    cache.insert(&s, Timeframe::MINUTE, &[bar(2, 2.0), bar(3, 3.5)]);
    assert_eq!(
        cache.recent(&s, Timeframe::MINUTE, 10),
        vec![bar(1, 1.0), bar(2, 2.0), bar(3, 3.5)]
    );
}

#[test]
fn cache_evicts_the_least_recently_used_series() {
    let cache = BarCache::new(CacheLimits {
        series: 2,
        bars_per_series: 10,
    });
    cache.insert(&sym("AAPL"), Timeframe::MINUTE, &[bar(1, 1.0)]);
    cache.insert(&sym("MSFT"), Timeframe::MINUTE, &[bar(1, 2.0)]);
    // Reading AAPL makes MSFT the least recently used.
    assert!(cache.latest(&sym("AAPL"), Timeframe::MINUTE).is_some());
    cache.insert(&sym("BTCUSDT"), Timeframe::MINUTE, &[bar(1, 3.0)]);
    assert_eq!(cache.series_count(), 2);
    assert_eq!(cache.latest(&sym("MSFT"), Timeframe::MINUTE), None);
    assert!(cache.latest(&sym("AAPL"), Timeframe::MINUTE).is_some());
    assert!(cache.latest(&sym("BTCUSDT"), Timeframe::MINUTE).is_some());
}

#[test]
fn cache_keeps_timeframes_of_a_symbol_apart() {
    let cache = BarCache::new(CacheLimits::default());
    cache.insert(&sym("AAPL"), Timeframe::MINUTE, &[bar(1, 1.0)]);
    assert_eq!(cache.latest(&sym("AAPL"), Timeframe::DAY), None);
    cache.invalidate(&sym("AAPL"), Timeframe::MINUTE);
    assert_eq!(cache.latest(&sym("AAPL"), Timeframe::MINUTE), None);
}

#[test]
fn cache_answers_since_only_when_it_reaches_back_far_enough() {
    let cache = BarCache::new(CacheLimits {
        series: 2,
        bars_per_series: 3,
    });
    let s = sym("AAPL");
    let bars: Vec<Bar> = (0..5).map(|m| bar(m, 1.0)).collect();
    cache.insert(&s, Timeframe::MINUTE, &bars);
    assert_eq!(
        cache.since(&s, Timeframe::MINUTE, Timestamp::from_secs(3 * 60)),
        Some(bars[3..].to_vec())
    );
    assert_eq!(
        cache.since(&s, Timeframe::MINUTE, Timestamp::from_secs(60)),
        None,
        "bar 1 was dropped: the store must answer"
    );
}

#[test]
fn a_span_is_claimed_only_for_a_whole_answer_and_joins_the_span_it_touches() {
    let cache = BarCache::new(CacheLimits {
        series: 4,
        bars_per_series: 100,
    });
    let s = sym("BTCUSDT");
    let tf = Timeframe::MINUTE;
    let at = |m: i64| Timestamp::from_secs(m * 60);
    let bars: Vec<Bar> = (0..10).map(|m| bar(m, 10.0)).collect();
    // Bars outside the span said to be answered: nothing is claimed.
    cache.insert_span(&s, tf, at(0), at(5), &bars);
    assert_eq!(cache.span(&s, tf, at(0), at(5)), None);

    cache.insert_span(&s, tf, at(0), at(5), &bars[..5]);
    assert_eq!(cache.span(&s, tf, at(1), at(4)), Some(bars[1..4].to_vec()));
    assert_eq!(
        cache.span(&s, tf, at(0), at(6)),
        None,
        "minute 5 is not known"
    );
    // A span touching the held one joins it; one apart from it replaces it.
    cache.insert_span(&s, tf, at(5), at(8), &bars[5..8]);
    assert_eq!(cache.span(&s, tf, at(0), at(8)), Some(bars[..8].to_vec()));
    assert_eq!(cache.complete_until(&s, tf), Some(at(8)));
    cache.insert_span(&s, tf, at(9), at(10), &bars[9..]);
    assert_eq!(cache.span(&s, tf, at(0), at(8)), None);
    assert_eq!(cache.span(&s, tf, at(9), at(10)), Some(bars[9..].to_vec()));
}
