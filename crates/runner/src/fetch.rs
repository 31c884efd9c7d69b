//! Fetching bars from a market-data provider into the store.
//!
//! [`fetch_symbol`] asks a [`Provider`] (one adapter or a whole chain) for the bars of
//! one symbol over `[from, to)` and imports them for an actor
//! ([`tradelab_store::Bars::import_as`], keeping stored bars: a re-fetch changes
//! nothing). It works in chunks (a day of 1m bars, a year of daily bars) and imports
//! each chunk as it arrives, so a failure part-way keeps what came before it.
//!
//! It fetches only what the store lacks: when the series is stored it starts after the
//! last stored bar (its time plus one timeframe), and fetches the span before the first
//! stored bar only when `from` reaches well before it ([`reach_back_slack`]: more than
//! a day for intraday bars, five days for daily bars, so a session's quiet hours or a
//! weekend are not fetched again and again). Gaps inside the stored span are not looked
//! for (`data delete` a span to fetch it again).

use tradelab_core::{Symbol, Timeframe, Timestamp};
use tradelab_providers::{BarRequest, Provider, ProviderError};
use tradelab_store::{ImportMode, Store, StoreError, StoredBar, User};

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// A span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// What a fetch of one symbol did.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolFetch {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    /// The spans asked of the provider (none: the store already held the request).
    pub spans: Vec<Span>,
    /// Bars the provider sent.
    pub fetched: u64,
    /// Bars new to the store.
    pub inserted: u64,
    /// Bars the store held with the same values.
    pub unchanged: u64,
    /// Bars the store held with other values (kept as stored).
    pub conflicting: u64,
}

impl SymbolFetch {
    fn new(symbol: &Symbol, timeframe: Timeframe) -> Self {
        SymbolFetch {
            symbol: symbol.clone(),
            timeframe,
            spans: Vec::new(),
            fetched: 0,
            inserted: 0,
            unchanged: 0,
            conflicting: 0,
        }
    }
}

/// A fetch that stopped: what went wrong, and what was stored before it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct FetchFailure {
    /// What the fetch stored before the error (those bars stay stored).
    pub done: SymbolFetch,
    pub error: FetchError,
}

/// Why a fetch stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// `to` is not after `from`.
    #[error("{symbol}: the period is empty: {from} is not before {to}")]
    EmptyPeriod {
        symbol: Symbol,
        from: String,
        to: String,
    },
    /// The provider failed for one chunk (the error names the provider and what).
    #[error("{symbol} {timeframe} bars {from} to {to}: {source}")]
    Provider {
        symbol: Symbol,
        timeframe: Timeframe,
        from: String,
        to: String,
        #[source]
        source: ProviderError,
    },
    /// The store refused or failed to keep the bars.
    #[error("{symbol} {timeframe}: storing the fetched bars: {source}")]
    Store {
        symbol: Symbol,
        timeframe: Timeframe,
        #[source]
        source: StoreError,
    },
}

/// Where a fetch is, after each chunk.
#[derive(Debug, Clone, Copy)]
pub struct FetchProgress<'a> {
    pub symbol: &'a Symbol,
    /// Chunks done for this symbol, of `chunks`.
    pub chunk: usize,
    pub chunks: usize,
    /// The chunk just stored.
    pub span: Span,
    /// Bars fetched for this symbol so far.
    pub fetched: u64,
}

/// How much one provider request covers: a day of 1-minute bars (`timeframe` × 1440
/// for intraday bars), a year of daily bars.
pub fn chunk_nanos(timeframe: Timeframe) -> i64 {
    let tf = timeframe.nanos();
    if tf < NANOS_PER_DAY {
        tf.saturating_mul(1440)
    } else {
        (366 * NANOS_PER_DAY).saturating_mul((tf / NANOS_PER_DAY).max(1))
    }
}

/// The chunks of `span`, aligned to multiples of [`chunk_nanos`] from the epoch (1m
/// chunks are UTC days), the first and last cut to the span.
pub fn chunks(span: Span, timeframe: Timeframe) -> Vec<Span> {
    let size = chunk_nanos(timeframe).max(1);
    let mut out = Vec::new();
    let mut start = span.from.nanos();
    let end = span.to.nanos();
    while start < end {
        let next = start
            .div_euclid(size)
            .saturating_mul(size)
            .saturating_add(size)
            .min(end);
        out.push(Span {
            from: Timestamp::from_nanos(start),
            to: Timestamp::from_nanos(next),
        });
        start = next;
    }
    out
}

/// How far `from` must be before the first stored bar for the span between to count as
/// missing: more than a day for intraday bars (a session's quiet hours before its first
/// bar are not), more than five days for daily bars (weekends and holidays are not).
pub fn reach_back_slack(timeframe: Timeframe) -> i64 {
    if timeframe.nanos() < NANOS_PER_DAY {
        NANOS_PER_DAY
    } else {
        (5 * NANOS_PER_DAY).max(timeframe.nanos())
    }
}

/// The spans of `[from, to)` the store lacks for `actor`'s view of the series (see the
/// module documentation).
pub async fn missing_spans(
    store: &Store,
    actor: &User,
    symbol: &Symbol,
    timeframe: Timeframe,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Span>, StoreError> {
    let stored = store
        .bars()
        .series_of_symbol_for(actor.id, symbol)
        .await?
        .into_iter()
        .find(|s| s.timeframe == timeframe);
    let Some(series) = stored else {
        return Ok(vec![Span { from, to }]);
    };
    let mut spans = Vec::new();
    if series.first.nanos().saturating_sub(from.nanos()) > reach_back_slack(timeframe) {
        spans.push(Span {
            from,
            to: to.min(series.first),
        });
    }
    let after_last = Timestamp::from_nanos(series.last.nanos().saturating_add(timeframe.nanos()));
    let resume = from.max(after_last);
    if resume < to {
        spans.push(Span { from: resume, to });
    }
    Ok(spans)
}

/// Fetches `symbol`'s `timeframe` bars over `[from, to)` from `provider` into the store
/// for `actor`, chunk by chunk, calling `progress` after each stored chunk (see the
/// module documentation).
#[allow(clippy::too_many_arguments)]
pub async fn fetch_symbol(
    store: &Store,
    actor: &User,
    provider: &dyn Provider,
    symbol: &Symbol,
    timeframe: Timeframe,
    from: Timestamp,
    to: Timestamp,
    progress: &mut (dyn FnMut(FetchProgress<'_>) + Send),
) -> Result<SymbolFetch, FetchFailure> {
    let mut done = SymbolFetch::new(symbol, timeframe);
    let fail = |done: SymbolFetch, error: FetchError| FetchFailure { done, error };
    if from >= to {
        let error = FetchError::EmptyPeriod {
            symbol: symbol.clone(),
            from: from.display_auto(),
            to: to.display_auto(),
        };
        return Err(fail(done, error));
    }
    let store_error = |source| FetchError::Store {
        symbol: symbol.clone(),
        timeframe,
        source,
    };
    let spans = match missing_spans(store, actor, symbol, timeframe, from, to).await {
        Ok(s) => s,
        Err(e) => return Err(fail(done, store_error(e))),
    };
    done.spans = spans.clone();
    let all: Vec<Span> = spans.iter().flat_map(|s| chunks(*s, timeframe)).collect();
    for (i, chunk) in all.iter().enumerate() {
        let request = BarRequest {
            symbol: symbol.clone(),
            timeframe,
            from: chunk.from,
            to: chunk.to,
        };
        let bars = match provider.history(&request).await {
            Ok(b) => b,
            Err(source) => {
                let error = FetchError::Provider {
                    symbol: symbol.clone(),
                    timeframe,
                    from: chunk.from.display_auto(),
                    to: chunk.to.display_auto(),
                    source,
                };
                return Err(fail(done, error));
            }
        };
        // Adapters cut answers to the request; a bar outside it is not this chunk's.
        let bars: Vec<StoredBar> = bars
            .into_iter()
            .filter(|b| b.ts() >= chunk.from && b.ts() < chunk.to)
            .map(StoredBar::from)
            .collect();
        done.fetched += bars.len() as u64;
        if !bars.is_empty() {
            let imported = store
                .bars()
                .import_as(actor, symbol, timeframe, &bars, ImportMode::KeepExisting)
                .await;
            match imported {
                Ok(report) => {
                    done.inserted += report.inserted;
                    done.unchanged += report.unchanged;
                    done.conflicting += report.conflicting;
                }
                Err(e) => return Err(fail(done, store_error(e))),
            }
        }
        progress(FetchProgress {
            symbol,
            chunk: i + 1,
            chunks: all.len(),
            span: *chunk,
            fetched: done.fetched,
        });
    }
    Ok(done)
}
