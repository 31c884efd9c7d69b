//! The two feeds of a live run, for every front end (CLI, API): a provider's market
//! data from now on, and stored bars replayed as live at N× speed.

use super::{FeedConfig, ScaledClock, Schedule, StoredBars, WallClock};
use crate::RunnerError;
use crate::run::LiveSource;
use std::sync::Arc;
use std::time::Duration;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_providers::cached::shared_cache;
use tradelab_providers::chain::ChainNotice;
use tradelab_providers::{AssetClass, Cached, Provider};
use tradelab_store::{Store, UserId};

/// What a live run's feed covers.
#[derive(Debug, Clone)]
pub struct FeedPeriod {
    pub symbols: Vec<Symbol>,
    pub timeframe: Timeframe,
    /// Stored bars from here (a replayed feed).
    pub from: Option<Timestamp>,
    /// The feed ends here.
    pub to: Option<Timestamp>,
    /// Where a replayed feed's clock starts (a resumed run: its last step); default
    /// the first stored bar.
    pub origin: Option<Timestamp>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> RunnerError {
    RunnerError::InvalidFeed {
        field,
        message: message.into(),
    }
}

/// The asset class of a run's symbols: all stocks or all crypto pairs.
pub fn class_of(symbols: &[Symbol]) -> Result<AssetClass, RunnerError> {
    let crypto = symbols
        .iter()
        .filter(|s| AssetClass::of(s.as_str()) == AssetClass::Crypto)
        .count();
    match crypto {
        0 => Ok(AssetClass::Stock),
        n if n == symbols.len() => Ok(AssetClass::Crypto),
        _ => Err(invalid(
            "symbols",
            "a live run trades stocks or crypto pairs, not both: start one run for each",
        )),
    }
}

/// `owner`'s stored bars of `period` played through the live path at `speed`×.
pub async fn stored_feed(
    store: &Store,
    owner: UserId,
    period: &FeedPeriod,
    speed: f64,
) -> Result<LiveSource, RunnerError> {
    if !(speed.is_finite() && speed > 0.0) {
        return Err(invalid(
            "speed",
            format!("{speed} must be a positive number (60 plays a minute bar a second)"),
        ));
    }
    let mut series: Vec<BarSeries> = Vec::with_capacity(period.symbols.len());
    for symbol in &period.symbols {
        let loaded = store
            .bars()
            .load_series_for(owner, symbol, period.timeframe, period.from, period.to)
            .await?;
        if loaded.is_empty() {
            return Err(RunnerError::NoBars {
                symbol: symbol.clone(),
                timeframe: period.timeframe,
                hint: "import or fetch them first (tradelab data import / data fetch) to \
                       replay them as live"
                    .into(),
            });
        }
        series.push(loaded);
    }
    let first = series
        .iter()
        .filter_map(|s| s.bars().first())
        .map(|b| b.ts())
        .min();
    let last = series
        .iter()
        .filter_map(|s| s.bars().last())
        .map(|b| b.ts())
        .max();
    let (Some(first), Some(last)) = (first, last) else {
        return Err(invalid("symbols", "a live run needs symbols"));
    };
    let stored = StoredBars::new(series, period.timeframe);
    let schedule = Schedule::Stored(stored.starts());
    Ok(LiveSource {
        provider: Arc::new(stored),
        notices: None,
        schedule,
        clock: Arc::new(ScaledClock::new(period.origin.unwrap_or(first), speed)),
        keep_bars: false,
        feed: FeedConfig {
            symbols: period.symbols.clone(),
            timeframe: period.timeframe,
            start: first,
            // The run's period ends with its last bar (a resume replays no further).
            until: Some(Timestamp::from_nanos(last.nanos() + 1)),
            grace: Duration::ZERO,
            retry: Duration::from_secs(1),
            empty_attempts: 1,
        },
    })
}

/// `provider`'s market data of `period`'s symbols from now on, on the wall clock and
/// their exchange's calendar; `notices` are the chain's news when it is a chain. The
/// feed listens to the provider's stream when it has one and polls it otherwise, with
/// the process's cache of recent bars in front ([`shared_cache`]).
pub fn market_feed(
    provider: Arc<dyn Provider>,
    notices: Option<tokio::sync::broadcast::Receiver<ChainNotice>>,
    period: &FeedPeriod,
) -> Result<LiveSource, RunnerError> {
    let exchange = match class_of(&period.symbols)? {
        AssetClass::Crypto => Exchange::Crypto,
        AssetClass::Stock => Exchange::Nyse,
    };
    let calendar = Calendar::new(exchange).map_err(|e| invalid("calendar", e.to_string()))?;
    let now = Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(0));
    Ok(LiveSource {
        provider: Arc::new(Cached::new(provider, shared_cache())),
        notices,
        schedule: Schedule::Calendar(calendar),
        clock: Arc::new(WallClock),
        keep_bars: true,
        feed: FeedConfig {
            symbols: period.symbols.clone(),
            timeframe: period.timeframe,
            start: now,
            // `to` is inclusive, the feed's end exclusive.
            until: period
                .to
                .map(|t| Timestamp::from_nanos(t.nanos().saturating_add(1))),
            grace: Duration::from_secs(3),
            retry: Duration::from_secs(15),
            empty_attempts: 4,
        },
    })
}
