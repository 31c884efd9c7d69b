//! Tick → OHLCV aggregation with the conventions of pandas `resample`.

use crate::Session;
use crate::session::SessionFilter;
use crate::ticks::Tick;
use tradelab_core::{Bar, Timeframe, Timestamp};

/// An aggregated bar with trade statistics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AggBar {
    /// OHLCV, labelled by the interval start; volume is Σ size (0 without sizes).
    pub bar: Bar,
    /// Number of ticks in the interval.
    pub trades: u64,
    /// Σ price·size / Σ size; `None` when the ticks carry no size (or Σ size is 0).
    pub vwap: Option<f64>,
}

/// Kahan-compensated sum, as pandas' group sums use (so results match to the bit).
#[derive(Clone, Copy, Default)]
struct Kahan {
    sum: f64,
    comp: f64,
}

impl Kahan {
    #[inline]
    fn add(&mut self, v: f64) {
        let y = v - self.comp;
        let t = self.sum + y;
        self.comp = (t - self.sum) - y;
        self.sum = t;
    }
}

struct Acc {
    start: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: Kahan,
    pv: Kahan,
    sized: bool,
    trades: u64,
}

impl Acc {
    fn new(start: i64, t: &Tick) -> Self {
        let mut a = Acc {
            start,
            open: t.price,
            high: t.price,
            low: t.price,
            close: t.price,
            volume: Kahan::default(),
            pv: Kahan::default(),
            sized: false,
            trades: 0,
        };
        a.add(t);
        a
    }

    #[inline]
    fn add(&mut self, t: &Tick) {
        self.high = self.high.max(t.price);
        self.low = self.low.min(t.price);
        self.close = t.price;
        self.trades += 1;
        if let Some(s) = t.size {
            self.sized = true;
            self.volume.add(s);
            self.pv.add(t.price * s);
        }
    }

    fn finish(&self) -> Option<AggBar> {
        let bar = Bar::new(
            Timestamp::from_nanos(self.start),
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume.sum,
        )
        .ok()?;
        let vwap = (self.sized && self.volume.sum > 0.0).then(|| self.pv.sum / self.volume.sum);
        Some(AggBar {
            bar,
            trades: self.trades,
            vwap,
        })
    }
}

/// Aggregates ticks into bars of `tf`, keeping only ticks inside `session`.
///
/// Like pandas `resample(tf, label='left', closed='left')`: a bar covers
/// `[start, start + tf)` and is labelled by `start`; intervals are aligned to the
/// Unix epoch in UTC (for `1d`: UTC midnight), whatever the session; empty
/// intervals are omitted; open/close follow the tick order, so ticks with equal
/// timestamps keep their file order. Ticks out of time order are first sorted
/// stably (a copy); ticks with a non-finite or non-positive price, or a negative
/// or non-finite size, are ignored ([`crate::load_ticks`] never returns those).
pub fn aggregate_ticks(ticks: &[Tick], tf: Timeframe, session: Session) -> Vec<AggBar> {
    if !ticks.windows(2).all(|w| w[0].ts <= w[1].ts) {
        let mut sorted = ticks.to_vec();
        sorted.sort_by_key(|t| t.ts);
        return aggregate_sorted(&sorted, tf, session);
    }
    aggregate_sorted(ticks, tf, session)
}

fn aggregate_sorted(ticks: &[Tick], tf: Timeframe, session: Session) -> Vec<AggBar> {
    let n = tf.nanos();
    let mut filter = SessionFilter::new(session);
    let mut out = Vec::new();
    let mut acc: Option<Acc> = None;
    for t in ticks {
        let valid = t.price.is_finite()
            && t.price > 0.0
            && t.size.is_none_or(|s| s.is_finite() && s >= 0.0);
        if !valid || !filter.contains(t.ts.nanos()) {
            continue;
        }
        let start = t.ts.nanos().div_euclid(n) * n;
        match &mut acc {
            Some(a) if a.start == start => a.add(t),
            _ => {
                if let Some(bar) = acc.as_ref().and_then(Acc::finish) {
                    out.push(bar);
                }
                acc = Some(Acc::new(start, t));
            }
        }
    }
    if let Some(bar) = acc.as_ref().and_then(Acc::finish) {
        out.push(bar);
    }
    out
}
