//! An in-memory cache of recent bars for hot symbols, in front of the store.
//!
//! A live feed and `latest` ask for the last bars of a few symbols again and again;
//! the cache answers those from memory. It is bounded twice: at most
//! [`CacheLimits::series`] series (symbol and timeframe), the least recently used one
//! evicted first, and at most [`CacheLimits::bars_per_series`] bars per series, the
//! oldest dropped first. It holds copies: the store stays the record.
//!
//! A series also knows the span it holds *completely* ([`BarCache::insert_span`]: a
//! provider's whole answer to a request, or streamed bars that follow each other), so
//! a request inside that span is answered from memory ([`BarCache::span`]) with the
//! same bars the provider would send, minutes without trades included.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};

/// How much a [`BarCache`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Series kept (least recently used evicted first).
    pub series: usize,
    /// Bars kept per series (oldest dropped first).
    pub bars_per_series: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            series: 256,
            bars_per_series: 2_000,
        }
    }
}

struct Series {
    bars: VecDeque<Bar>,
    /// The use counter's value at the last read or write (least recently used first
    /// out).
    used: u64,
    /// `[from, to)`: every bar of the series in this span is held (none missing).
    complete: Option<(Timestamp, Timestamp)>,
}

struct Inner {
    series: HashMap<(Symbol, Timeframe), Series>,
    clock: u64,
}

/// Recent bars per (symbol, timeframe), bounded (see the module documentation).
pub struct BarCache {
    limits: CacheLimits,
    inner: Mutex<Inner>,
}

impl BarCache {
    /// An empty cache holding at most `limits` (each limit at least 1).
    pub fn new(limits: CacheLimits) -> Self {
        BarCache {
            limits: CacheLimits {
                series: limits.series.max(1),
                bars_per_series: limits.bars_per_series.max(1),
            },
            inner: Mutex::new(Inner {
                series: HashMap::new(),
                clock: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every method leaves the maps consistent: a panic elsewhere leaves it usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `bars` of a series (any order; a bar at a time already held replaces it),
    /// keeping the newest [`CacheLimits::bars_per_series`] and evicting the least
    /// recently used series when a new one exceeds [`CacheLimits::series`].
    pub fn insert(&self, symbol: &Symbol, timeframe: Timeframe, bars: &[Bar]) {
        if !bars.is_empty() {
            self.add(symbol, timeframe, bars, None);
        }
    }

    /// Adds `bars`, every bar of the series in `[from, to)` (a provider's whole answer
    /// to that request, or streamed bars that follow each other), and widens the span
    /// held completely: joined to the old span when they touch or overlap, replacing it
    /// otherwise. Bars outside `[from, to)` are kept but make no claim.
    pub fn insert_span(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
        to: Timestamp,
        bars: &[Bar],
    ) {
        let whole = from < to && bars.iter().all(|b| b.ts() >= from && b.ts() < to);
        self.add(symbol, timeframe, bars, whole.then_some((from, to)));
    }

    fn add(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        bars: &[Bar],
        span: Option<(Timestamp, Timestamp)>,
    ) {
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        let key = (symbol.clone(), timeframe);
        if !inner.series.contains_key(&key) && inner.series.len() >= self.limits.series {
            let oldest = inner
                .series
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                inner.series.remove(&k);
            }
        }
        let series = inner.series.entry(key).or_insert_with(|| Series {
            bars: VecDeque::new(),
            used,
            complete: None,
        });
        series.used = used;
        if let Some((from, to)) = span {
            series.complete = Some(match series.complete {
                Some((a, b)) if from <= b && to >= a => (a.min(from), b.max(to)),
                _ => (from, to),
            });
        }
        for bar in bars {
            let held = &mut series.bars;
            match held.back() {
                Some(last) if last.ts() < bar.ts() => held.push_back(*bar),
                None => held.push_back(*bar),
                Some(_) => match held.binary_search_by_key(&bar.ts(), |b| b.ts()) {
                    Ok(i) => held[i] = *bar,
                    Err(i) => held.insert(i, *bar),
                },
            }
        }
        while series.bars.len() > self.limits.bars_per_series {
            let Some(dropped) = series.bars.pop_front() else {
                break;
            };
            // The complete span no longer reaches back to the dropped bar.
            let after = Timestamp::from_nanos(dropped.ts().nanos().saturating_add(1));
            series.complete = series
                .complete
                .map(|(from, to)| (from.max(after), to))
                .filter(|(from, to)| from < to);
        }
    }

    /// Every bar of the series in `[from, to)`, oldest first, when the cache holds
    /// that span completely (see [`BarCache::insert_span`]); `None` otherwise.
    pub fn span(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
        to: Timestamp,
    ) -> Option<Vec<Bar>> {
        self.read(symbol, timeframe, |series| {
            let (a, b) = series.complete?;
            (a <= from && to <= b).then(|| {
                series
                    .bars
                    .iter()
                    .filter(|bar| bar.ts() >= from && bar.ts() < to)
                    .copied()
                    .collect()
            })
        })
        .flatten()
    }

    /// The end of the span of a series held completely (see [`BarCache::insert_span`]).
    pub fn complete_until(&self, symbol: &Symbol, timeframe: Timeframe) -> Option<Timestamp> {
        self.read(symbol, timeframe, |s| s.complete.map(|(_, to)| to))
            .flatten()
    }

    /// The newest cached bar of a series.
    pub fn latest(&self, symbol: &Symbol, timeframe: Timeframe) -> Option<Bar> {
        self.read(symbol, timeframe, |s| s.bars.back().copied())
            .flatten()
    }

    /// The newest `n` cached bars of a series, oldest first.
    pub fn recent(&self, symbol: &Symbol, timeframe: Timeframe, n: usize) -> Vec<Bar> {
        self.read(symbol, timeframe, |s| {
            s.bars
                .iter()
                .skip(s.bars.len().saturating_sub(n))
                .copied()
                .collect()
        })
        .unwrap_or_default()
    }

    /// The cached bars of a series with `ts >= from`, oldest first; `None` when the
    /// cache does not reach back to `from` (the caller reads the store).
    pub fn since(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
    ) -> Option<Vec<Bar>> {
        self.read(symbol, timeframe, |s| {
            let first = s.bars.front()?;
            (first.ts() <= from)
                .then(|| s.bars.iter().filter(|b| b.ts() >= from).copied().collect())
        })
        .flatten()
    }

    /// Series held now.
    pub fn series_count(&self) -> usize {
        self.lock().series.len()
    }

    /// Forgets a series (its bars were deleted or replaced in the store).
    pub fn invalidate(&self, symbol: &Symbol, timeframe: Timeframe) {
        self.lock().series.remove(&(symbol.clone(), timeframe));
    }

    fn read<T>(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        f: impl FnOnce(&Series) -> T,
    ) -> Option<T> {
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        let series = inner.series.get_mut(&(symbol.clone(), timeframe))?;
        series.used = used;
        Some(f(series))
    }
}
