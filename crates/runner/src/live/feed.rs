//! A live feed: asks a provider for each bar as it closes on the feed's clock and hands
//! the engine's async driver the steps in time order. An outage pauses it (a
//! [`FeedNoticeKind::Paused`] notice with the provider's error); it asks again every
//! `retry` and, when data comes back, applies the bars it missed in order, each once.
//!
//! A provider with a live stream (Alpaca, Binance, a chain holding one) is listened to
//! instead of polled: see `stream_feed`. This module polls `history`, for
//! providers without a stream and for stored bars replayed as live.

use super::clock::LiveClock;
use super::schedule::{ExpectedBar, Schedule, align_up};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_engine::{FeedNotice, FeedNoticeKind, Input};
use tradelab_providers::chain::ChainNotice;
use tradelab_providers::{BarRequest, Provider, ProviderError};
use tradelab_store::{ImportMode, Store};

/// What a live feed reads, when, and how patiently.
#[derive(Clone)]
pub struct FeedConfig {
    pub symbols: Vec<Symbol>,
    pub timeframe: Timeframe,
    /// The first bar is the first one starting at or after this instant.
    pub start: Timestamp,
    /// The feed ends before the first bar starting at or after this instant (`None`:
    /// it runs until the run is stopped).
    pub until: Option<Timestamp>,
    /// How long after a bar's close the provider is asked (vendors publish a bar a
    /// moment after it closes), on the feed's clock.
    pub grace: Duration,
    /// Between two attempts while the provider fails or has not published the bar.
    pub retry: Duration,
    /// Attempts at a bar the provider keeps answering without (no trade in that
    /// minute) before the feed moves on past it.
    pub empty_attempts: u32,
}

/// Where a feed keeps the bars it fetched, so a replay of the run finds them stored.
#[derive(Clone)]
pub struct KeepBars {
    pub store: Store,
}

/// Runs a feed until it ends (its `until`, the schedule's end) or nobody listens.
pub(crate) struct Feed {
    pub provider: Arc<dyn Provider>,
    /// A chain's news (fail-overs, breakers), recorded in the run as it comes.
    pub notices: Option<tokio::sync::broadcast::Receiver<ChainNotice>>,
    pub clock: Arc<dyn LiveClock>,
    pub schedule: Schedule,
    pub config: FeedConfig,
    pub keep: Option<KeepBars>,
}

/// Why a feed stopped early: the run is gone.
pub(super) struct Gone;

impl Feed {
    /// Feeds `tx` until the feed ends; returns when it does. The provider's stream is
    /// listened to when it has one; otherwise its history is polled.
    pub async fn run(mut self, tx: mpsc::Sender<Input>) {
        let _ = match self.open_stream().await {
            Some(link) => self.stream(&tx, link).await,
            None => self.feed(&tx).await,
        };
    }

    /// The next bar the schedule expects at or after `cursor`, before the feed's end.
    pub(super) fn next_expected(&self, cursor: Timestamp) -> Option<ExpectedBar> {
        let tf = self.config.timeframe;
        let expected = match self.schedule.next_bar(cursor, tf) {
            Ok(Some(bar)) => bar,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "the live feed's calendar has no next bar");
                return None;
            }
        };
        if self.config.until.is_some_and(|u| expected.start >= u) {
            return None;
        }
        Some(expected)
    }

    async fn feed(&mut self, tx: &mpsc::Sender<Input>) -> Result<(), Gone> {
        let tf = self.config.timeframe;
        let mut cursor = align_up(self.config.start, tf);
        let mut paused = false;
        let mut empty = 0u32;
        loop {
            let Some(expected) = self.next_expected(cursor) else {
                return Ok(());
            };
            cursor = cursor.max(expected.start);
            let ask_at = plus(expected.close, self.config.grace);
            self.clock.sleep_until(ask_at).await;
            let to = self.request_end(&expected);
            let fetched = self.fetch(cursor, to).await;
            self.chain_news(tx, cursor).await?;
            match fetched {
                Err(e) => {
                    if !paused {
                        paused = true;
                        self.notice(
                            tx,
                            cursor,
                            FeedNoticeKind::Paused,
                            &e.provider,
                            e.to_string(),
                        )
                        .await?;
                    }
                    self.wait_retry().await;
                }
                Ok(steps) => {
                    if paused {
                        paused = false;
                        let detail = "data is back; missed bars follow in order".to_string();
                        self.notice(
                            tx,
                            cursor,
                            FeedNoticeKind::Resumed,
                            self.provider.name(),
                            detail,
                        )
                        .await?;
                    }
                    let had_expected = steps.contains_key(&expected.start);
                    for (ts, bars) in steps {
                        if ts < cursor {
                            continue;
                        }
                        cursor = plus_tf(ts, tf);
                        tx.send(Input::Bars { ts, bars }).await.map_err(|_| Gone)?;
                    }
                    if had_expected || cursor > expected.start {
                        empty = 0;
                    } else {
                        empty += 1;
                        if empty >= self.config.empty_attempts.max(1) {
                            // The provider has nothing for this bar (no trades): move on.
                            empty = 0;
                            cursor = plus_tf(expected.start, tf);
                        } else {
                            self.wait_retry().await;
                        }
                    }
                }
            }
        }
    }

    /// The end of the request for `expected`: an intraday feed on a calendar asks for
    /// every bar closed by now (catching up after an outage in one request); a daily
    /// feed and a replayed feed ask for the bar at hand.
    pub(super) fn request_end(&self, expected: &ExpectedBar) -> Timestamp {
        let tf = self.config.timeframe;
        let bar_end = plus_tf(expected.start, tf);
        match &self.schedule {
            Schedule::Calendar(_) if tf != Timeframe::DAY => {
                bar_end.max(tf.floor(self.clock.now()))
            }
            _ => bar_end,
        }
    }

    pub(super) async fn wait_retry(&self) {
        let at = plus(self.clock.now(), self.config.retry);
        self.clock.sleep_until(at).await;
    }

    /// Every symbol's bars in `[from, to)`, grouped by time; the bars are kept in the
    /// store first when the feed keeps them.
    async fn fetch(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeMap<Timestamp, Vec<(Symbol, Bar)>>, ProviderError> {
        let mut steps: BTreeMap<Timestamp, Vec<(Symbol, Bar)>> = BTreeMap::new();
        for symbol in &self.config.symbols {
            let request = BarRequest {
                symbol: symbol.clone(),
                timeframe: self.config.timeframe,
                from,
                to,
            };
            let bars = self.provider.history(&request).await?;
            if let Some(keep) = &self.keep
                && !bars.is_empty()
            {
                self.store_bars(keep, symbol, &bars).await?;
            }
            for bar in bars {
                steps
                    .entry(bar.ts())
                    .or_default()
                    .push((symbol.clone(), bar));
            }
        }
        Ok(steps)
    }

    /// Keeps fetched bars as shared market data (bars already stored stay as they are).
    pub(super) async fn store_bars(
        &self,
        keep: &KeepBars,
        symbol: &Symbol,
        bars: &[Bar],
    ) -> Result<(), ProviderError> {
        let stored: Vec<tradelab_store::StoredBar> = bars
            .iter()
            .copied()
            .map(tradelab_store::StoredBar::from)
            .collect();
        keep.store
            .bars()
            .import(
                symbol,
                self.config.timeframe,
                &stored,
                ImportMode::KeepExisting,
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                ProviderError::new(
                    "store",
                    tradelab_providers::ProviderErrorKind::Network(format!(
                        "keeping the fetched {symbol} bars failed: {e}"
                    )),
                )
            })
    }

    /// Records what the chain reported since the last look: fail-overs and breakers.
    pub(super) async fn chain_news(
        &mut self,
        tx: &mpsc::Sender<Input>,
        cursor: Timestamp,
    ) -> Result<(), Gone> {
        let Some(rx) = self.notices.as_mut() else {
            return Ok(());
        };
        let mut news = Vec::new();
        loop {
            match rx.try_recv() {
                Ok(notice) => news.push(notice),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        for notice in news {
            let (kind, provider) = match &notice {
                ChainNotice::Transition(t) => (FeedNoticeKind::Breaker, t.provider.clone()),
                ChainNotice::Failover { from, .. } => (FeedNoticeKind::Failover, from.clone()),
            };
            self.notice(tx, cursor, kind, &provider, notice.to_string())
                .await?;
        }
        Ok(())
    }

    /// Sends a notice stamped `cursor` (the start of the first bar not yet applied, so
    /// the trail stays in time order), saying in its detail when it happened.
    pub(super) async fn notice(
        &self,
        tx: &mpsc::Sender<Input>,
        cursor: Timestamp,
        kind: FeedNoticeKind,
        provider: &str,
        detail: String,
    ) -> Result<(), Gone> {
        let at = self.clock.now();
        tracing::info!(notice = ?kind, provider, %detail, at = %at.display_auto(), "live feed");
        let notice = FeedNotice {
            notice: kind,
            provider: provider.to_string(),
            detail: format!("{detail} (at {})", at.display_auto()),
        };
        let ts = cursor;
        tx.send(Input::Notice { ts, notice })
            .await
            .map_err(|_| Gone)
    }
}

pub(super) fn plus(ts: Timestamp, d: Duration) -> Timestamp {
    let nanos = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    Timestamp::from_nanos(ts.nanos().saturating_add(nanos))
}

pub(super) fn plus_tf(ts: Timestamp, tf: Timeframe) -> Timestamp {
    Timestamp::from_nanos(ts.nanos().saturating_add(tf.nanos()))
}
