//! A live feed on a provider's websocket stream (Alpaca, Binance): bars come as they
//! close instead of being asked for.
//!
//! Streamed bars are grouped by bar time. A step goes to the engine when every
//! symbol's bar of that time has arrived, or when the grace period after the bar's
//! close has passed: then the symbols still missing are asked for once with
//! `history` (a REST backfill), and what there is goes on (a symbol without a trade in
//! that minute is absent, as when polling). Bars older than the feed's cursor (late)
//! are dropped: the engine's steps only move forward.
//!
//! A dropped stream (an error or its end) is reconnected at once (after `retry` when
//! it dropped before delivering a bar), then with a backoff (`retry`, doubling up to
//! 8 × `retry`); meanwhile each bar is asked for with
//! `history` when it closes, so the run goes on as if polled. Only when no bar can be
//! had that way either does the run pause (a `Paused` notice naming the stream's
//! provider and error). After a reconnect, the bars missed are caught up with one
//! `history` request per symbol and applied in order, each once; a paused run then
//! says `Resumed`.

use super::feed::{Feed, Gone, plus, plus_tf};
use super::schedule::{ExpectedBar, align_up};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tradelab_core::{Bar, Symbol, Timestamp};
use tradelab_engine::{FeedNoticeKind, Input};
use tradelab_providers::{BarRequest, BarStream, ProviderError, ProviderErrorKind};

/// Bars received and not yet applied: bar time → symbol → bar.
type Pending = BTreeMap<Timestamp, BTreeMap<Symbol, Bar>>;

/// The feed's connection to the provider's stream.
pub(super) enum Link {
    /// Connected: bars arrive on it.
    Up(BarStream),
    /// Dropped (or never connected): why, when to try again and the wait after that.
    Down {
        error: ProviderError,
        retry_at: Timestamp,
        backoff: Duration,
    },
}

/// Where a streamed feed stands.
struct State {
    link: Link,
    pending: Pending,
    /// The start of the first bar not yet applied.
    cursor: Timestamp,
    /// Every symbol's bars before this were asked for with `history`.
    fetched_until: Timestamp,
    paused: bool,
    /// Answers without the bar at hand while the stream is down (see `empty_attempts`).
    empty: u32,
    /// Whether the stream delivered a bar since it (re)connected: a stream that drops
    /// before it delivers anything is reconnected after a backoff, not at once.
    heard: bool,
}

impl Feed {
    /// The provider's stream of the feed's symbols: `None` when it has none (the feed
    /// polls), a dropped link when connecting failed (the feed polls while it retries).
    pub(super) async fn open_stream(&self) -> Option<Link> {
        let opened = self
            .provider
            .stream(&self.config.symbols, self.config.timeframe)
            .await;
        match opened {
            Ok(stream) => Some(Link::Up(stream)),
            Err(ProviderError {
                kind: ProviderErrorKind::Unsupported(_),
                ..
            }) => None,
            Err(error) => {
                tracing::warn!(%error, "the live stream did not open; polling until it does");
                Some(Link::Down {
                    error,
                    retry_at: plus(self.clock.now(), self.config.retry),
                    backoff: self.config.retry * 2,
                })
            }
        }
    }

    /// Feeds `tx` from the stream (see the module documentation) until the feed ends.
    pub(super) async fn stream(
        &mut self,
        tx: &mpsc::Sender<Input>,
        link: Link,
    ) -> Result<(), Gone> {
        let tf = self.config.timeframe;
        let start = align_up(self.config.start, tf);
        let mut st = State {
            link,
            pending: Pending::new(),
            cursor: start,
            fetched_until: start,
            paused: false,
            empty: 0,
            heard: false,
        };
        loop {
            let Some(expected) = self.next_expected(st.cursor) else {
                return Ok(());
            };
            st.cursor = st.cursor.max(expected.start);
            let deadline = plus(expected.close, self.config.grace);
            if let Link::Down { retry_at, .. } = &st.link
                && self.clock.now() >= *retry_at
            {
                self.reconnect(&mut st).await;
                self.chain_news(tx, st.cursor).await?;
            }
            match &mut st.link {
                Link::Up(stream) => {
                    let dropped = self
                        .listen(stream, &mut st.pending, &mut st.heard, st.cursor, &expected)
                        .await;
                    if let Some(error) = dropped {
                        tracing::warn!(%error, "the live stream dropped; reconnecting");
                        let now = self.clock.now();
                        st.link = if st.heard {
                            Link::Down {
                                error,
                                retry_at: now,
                                backoff: self.config.retry,
                            }
                        } else {
                            Link::Down {
                                error,
                                retry_at: plus(now, self.config.retry),
                                backoff: self.config.retry * 2,
                            }
                        };
                        continue;
                    }
                }
                Link::Down { retry_at, .. } => {
                    let wake = deadline.min(*retry_at);
                    self.clock.sleep_until(wake).await;
                    if self.clock.now() < deadline {
                        // A reconnect is due before the bar is.
                        continue;
                    }
                }
            }
            let mut failure = None;
            if !self.complete(&st.pending, expected.start) && expected.start >= st.fetched_until {
                let to = self.request_end(&expected);
                match self
                    .backfill(&mut st.pending, st.cursor, to, expected.start)
                    .await
                {
                    Ok(()) => st.fetched_until = to,
                    Err(e) => failure = Some(e),
                }
                self.chain_news(tx, st.cursor).await?;
            }
            if let Some(wait) = self.settle(tx, &mut st, &expected, failure).await? {
                self.clock.sleep_until(wait).await;
            }
        }
    }

    /// Hands the engine every pending step up to `expected` (kept in the store first)
    /// and moves the cursor past it; or, when there is nothing to hand and `history`
    /// failed (a `Paused` notice the first time) or answered without the bar while the
    /// stream is down, says until when to wait before trying again.
    async fn settle(
        &mut self,
        tx: &mpsc::Sender<Input>,
        st: &mut State,
        expected: &ExpectedBar,
        failure: Option<ProviderError>,
    ) -> Result<Option<Timestamp>, Gone> {
        let tf = self.config.timeframe;
        let mut wait = plus(self.clock.now(), self.config.retry);
        if let Link::Down { retry_at, .. } = &st.link {
            wait = wait.min(*retry_at);
        }
        let cursor = st.cursor;
        st.pending.retain(|ts, _| *ts >= cursor);
        let later = st.pending.split_off(&plus_tf(expected.start, tf));
        let ready = std::mem::replace(&mut st.pending, later);
        if ready.is_empty() {
            if let Some(error) = failure {
                self.pause(tx, st, &error).await?;
                return Ok(Some(wait));
            }
            st.empty += 1;
            if matches!(st.link, Link::Down { .. }) && st.empty < self.config.empty_attempts.max(1)
            {
                // Polling while the stream is down: the bar may not be published yet.
                st.fetched_until = st.fetched_until.min(expected.start);
                return Ok(Some(wait));
            }
            // No trade in this bar: move past it.
            st.empty = 0;
            st.cursor = plus_tf(expected.start, tf);
            return Ok(None);
        }
        if let Some(error) = failure {
            tracing::warn!(%error, "a missing bar could not be backfilled; going on without it");
        }
        if let Err(error) = self.keep(&ready).await {
            st.pending.extend(ready);
            self.pause(tx, st, &error).await?;
            return Ok(Some(wait));
        }
        st.empty = 0;
        if st.paused {
            st.paused = false;
            let detail = "data is back; missed bars follow in order".to_string();
            let provider = self.provider.name().to_string();
            self.notice(tx, st.cursor, FeedNoticeKind::Resumed, &provider, detail)
                .await?;
        }
        for (ts, bars) in ready {
            let mut bars: Vec<(Symbol, Bar)> = bars.into_iter().collect();
            bars.sort_by_key(|(s, _)| self.config.symbols.iter().position(|x| x == s));
            st.cursor = plus_tf(ts, tf);
            tx.send(Input::Bars { ts, bars }).await.map_err(|_| Gone)?;
        }
        st.cursor = st.cursor.max(plus_tf(expected.start, tf));
        Ok(None)
    }

    /// Sends the `Paused` notice, once per pause: the stream's provider and error when
    /// it is down, and what `history` answered.
    async fn pause(
        &self,
        tx: &mpsc::Sender<Input>,
        st: &mut State,
        failure: &ProviderError,
    ) -> Result<(), Gone> {
        if st.paused {
            return Ok(());
        }
        st.paused = true;
        let (provider, detail) = match &st.link {
            Link::Down { error, .. } => (
                error.provider.clone(),
                format!("the stream dropped ({error}); history failed too ({failure})"),
            ),
            Link::Up(_) => (failure.provider.clone(), failure.to_string()),
        };
        self.notice(tx, st.cursor, FeedNoticeKind::Paused, &provider, detail)
            .await
    }

    /// Reads the stream into `pending` until every symbol's bar of `expected` is there
    /// or the grace period after its close has passed; the error that ended the stream,
    /// if it did.
    async fn listen(
        &self,
        stream: &mut BarStream,
        pending: &mut Pending,
        heard: &mut bool,
        cursor: Timestamp,
        expected: &ExpectedBar,
    ) -> Option<ProviderError> {
        use futures_util::StreamExt;
        let deadline = plus(expected.close, self.config.grace);
        while !self.complete(pending, expected.start) {
            let item = tokio::select! {
                biased;
                item = stream.next() => item,
                () = self.clock.sleep_until(deadline) => return None,
            };
            match item {
                Some(Ok((symbol, bar))) => {
                    *heard = true;
                    if bar.ts() < cursor {
                        tracing::debug!(%symbol, ts = %bar.ts().display_auto(), "a late streamed bar dropped");
                    } else if self.config.symbols.contains(&symbol) {
                        pending.entry(bar.ts()).or_default().insert(symbol, bar);
                    }
                }
                Some(Err(error)) => return Some(error),
                None => {
                    return Some(ProviderError::new(
                        self.provider.name(),
                        ProviderErrorKind::Network("the stream ended".into()),
                    ));
                }
            }
        }
        None
    }

    /// Tries to open the stream again; on success, the bars closed since the cursor
    /// are caught up with one `history` request per symbol.
    async fn reconnect(&self, st: &mut State) {
        let Link::Down { backoff, .. } = &st.link else {
            return;
        };
        let backoff = *backoff;
        let opened = self
            .provider
            .stream(&self.config.symbols, self.config.timeframe)
            .await;
        match opened {
            Ok(stream) => {
                tracing::info!("the live stream is back");
                st.link = Link::Up(stream);
                st.heard = false;
                let to = self.config.timeframe.floor(self.clock.now());
                if to > st.cursor {
                    let caught = self
                        .backfill(&mut st.pending, st.cursor, to, st.cursor)
                        .await;
                    match caught {
                        Ok(()) => st.fetched_until = st.fetched_until.max(to),
                        Err(error) => {
                            tracing::warn!(%error, "catching up after the reconnect failed")
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "reconnecting the live stream failed");
                st.link = Link::Down {
                    error,
                    retry_at: plus(self.clock.now(), backoff),
                    backoff: (backoff * 2).min(self.config.retry * 8),
                };
            }
        }
    }

    /// Whether every symbol's bar of `at` has arrived.
    fn complete(&self, pending: &Pending, at: Timestamp) -> bool {
        pending
            .get(&at)
            .is_some_and(|s| s.len() >= self.config.symbols.len())
    }

    /// Asks `history` for `[from, to)` of every symbol without a bar at `at`, adding
    /// what it answers to `pending` (bars already there stay).
    async fn backfill(
        &self,
        pending: &mut Pending,
        from: Timestamp,
        to: Timestamp,
        at: Timestamp,
    ) -> Result<(), ProviderError> {
        let missing: Vec<Symbol> = self
            .config
            .symbols
            .iter()
            .filter(|s| !pending.get(&at).is_some_and(|step| step.contains_key(*s)))
            .cloned()
            .collect();
        for symbol in missing {
            let request = BarRequest {
                symbol: symbol.clone(),
                timeframe: self.config.timeframe,
                from,
                to,
            };
            for bar in self.provider.history(&request).await? {
                pending
                    .entry(bar.ts())
                    .or_default()
                    .entry(symbol.clone())
                    .or_insert(bar);
            }
        }
        Ok(())
    }

    /// Keeps the bars of `ready` in the store when the feed keeps bars.
    async fn keep(&self, ready: &Pending) -> Result<(), ProviderError> {
        let Some(keep) = &self.keep else {
            return Ok(());
        };
        for symbol in &self.config.symbols {
            let bars: Vec<Bar> = ready
                .values()
                .filter_map(|step| step.get(symbol).copied())
                .collect();
            if !bars.is_empty() {
                self.store_bars(keep, symbol, &bars).await?;
            }
        }
        Ok(())
    }
}
