//! `tradelab runs start MODEL --live`: paper trading on a live feed — a provider's
//! market data on the wall clock, or stored bars replayed as live at N× speed — with
//! what happens printed as it happens and the report at the end.

use crate::args::OutputFormat;
use crate::store_args::{FeedKind, LiveArgs};
use crate::store_ctx::Ctx;
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::time::Duration;
use tradelab_calendar::{Calendar, Exchange};
use tradelab_core::{BarSeries, Symbol, Timeframe, Timestamp};
use tradelab_engine::{Command, DeciderRegistry, RunEvent};
use tradelab_providers::Provider;
use tradelab_providers::config::{Credentials, ProviderKind, ProviderSettings, build_provider};
use tradelab_providers::http::HttpConfig;
use tradelab_runner::live::{FeedConfig, ScaledClock, Schedule, StoredBars, WallClock};
use tradelab_runner::{LiveSource, Runner, StartRun};

/// Starts a live run of `req` and follows it to its end (the feed's end, `--to`, a
/// halt, or ctrl-c).
pub async fn start(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    mut req: StartRun,
    live: &LiveArgs,
    allowed: &[Symbol],
    output: OutputFormat,
) -> Result<()> {
    if req.symbols.is_empty() {
        req.symbols = allowed.to_vec();
    }
    if req.symbols.is_empty() {
        bail!("a live run needs symbols: pass --symbols A,B (the model allows any)");
    }
    let source = match live.feed {
        FeedKind::Replay => replay_source(ctx, &req, live.speed).await?,
        FeedKind::Market => market_source(&req, live.provider.as_deref())?,
    };
    let provider = source.provider.name().to_string();
    req.from = None;
    req.to = None;
    let runner = Runner::with_deciders(ctx.store.clone(), deciders.clone());
    let handle = runner.spawn_live(req.clone(), source, None).await?;
    let symbols: Vec<&str> = req.symbols.iter().map(Symbol::as_str).collect();
    eprintln!(
        "live run {} (id {}) on {provider}: {} at {}; ctrl-c stops it",
        Ctx::label(&handle.run),
        handle.run.id,
        symbols.join(","),
        req.timeframe
    );
    let mut events = handle.subscribe();
    let printer = tokio::spawn(async move {
        while let Ok(numbered) = events.recv().await {
            if let Some(line) = event_line(&numbered.event) {
                eprintln!("{line}");
            }
        }
    });
    let control = handle.control();
    let stopper = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping the run (positions stay open)…");
            control.send(Command::Stop { flatten: false });
        }
    });
    let finished = handle.finished().await;
    stopper.abort();
    let _ = tokio::time::timeout(Duration::from_secs(1), printer).await;
    crate::runs_cmd::print_finished(&finished?, output)
}

/// Stored bars of `req` (its --from/--to) played through the live path at `speed`×.
async fn replay_source(ctx: &Ctx, req: &StartRun, speed: f64) -> Result<LiveSource> {
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed {speed} must be a positive number (60 plays a minute bar a second)");
    }
    let mut series: Vec<BarSeries> = Vec::with_capacity(req.symbols.len());
    for symbol in &req.symbols {
        let loaded = ctx
            .store
            .bars()
            .load_series_for(ctx.user.id, symbol, req.timeframe, req.from, req.to)
            .await?;
        if loaded.is_empty() {
            bail!(
                "no stored {} bars of {symbol} in the period to replay as live: import or \
                 fetch them first (tradelab data import / data fetch)",
                req.timeframe
            );
        }
        series.push(loaded);
    }
    let Some(first) = series
        .iter()
        .filter_map(|s| s.bars().first())
        .map(|b| b.ts())
        .min()
    else {
        bail!("no stored bars to replay as live");
    };
    let stored = StoredBars::new(series, req.timeframe);
    let schedule = Schedule::Stored(stored.starts());
    Ok(LiveSource {
        provider: Arc::new(stored),
        schedule,
        clock: Arc::new(ScaledClock::new(first, speed)),
        keep_bars: false,
        feed: FeedConfig {
            symbols: req.symbols.clone(),
            timeframe: req.timeframe,
            start: first,
            until: None,
            grace: Duration::ZERO,
            retry: Duration::from_secs(1),
            empty_attempts: 1,
        },
    })
}

/// A provider's market feed from now on, on the wall clock and the calendar of the
/// symbols' exchange.
fn market_source(req: &StartRun, provider: Option<&str>) -> Result<LiveSource> {
    let crypto = req.symbols.iter().all(is_crypto_pair);
    if !crypto && req.symbols.iter().any(is_crypto_pair) {
        bail!("a live run trades stocks or crypto pairs, not both: start one run for each");
    }
    let kind = match provider {
        Some(name) => parse_kind(name)?,
        None if crypto => ProviderKind::Binance,
        None if req.timeframe == Timeframe::DAY => ProviderKind::Yahoo,
        None => ProviderKind::Alpaca,
    };
    let settings = ProviderSettings::public(kind);
    let provider: Arc<dyn Provider> = build_provider(
        &settings,
        Credentials::from_env(&settings),
        HttpConfig::default(),
    )
    .with_context(|| format!("provider {}", kind.name()))?;
    let exchange = if crypto {
        Exchange::Crypto
    } else {
        Exchange::Nyse
    };
    let calendar = Calendar::new(exchange).context("the exchange calendar")?;
    let now = Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or(Timestamp::from_nanos(0));
    Ok(LiveSource {
        provider,
        schedule: Schedule::Calendar(calendar),
        clock: Arc::new(WallClock),
        keep_bars: true,
        feed: FeedConfig {
            symbols: req.symbols.clone(),
            timeframe: req.timeframe,
            start: now,
            until: req.to,
            grace: Duration::from_secs(3),
            retry: Duration::from_secs(15),
            empty_attempts: 4,
        },
    })
}

fn parse_kind(name: &str) -> Result<ProviderKind> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "alpaca" => ProviderKind::Alpaca,
        "polygon" => ProviderKind::Polygon,
        "yahoo" => ProviderKind::Yahoo,
        "binance" => ProviderKind::Binance,
        other => bail!(
            "--provider {other:?} is not a provider tradelab knows: alpaca, polygon, yahoo \
             or binance"
        ),
    })
}

/// Whether a symbol names a crypto pair (`BTCUSDT`, `BTC-USD`, `ETH/USDT`).
fn is_crypto_pair(symbol: &Symbol) -> bool {
    const QUOTES: [&str; 6] = ["USDT", "USDC", "BUSD", "USD", "BTC", "ETH"];
    let text = symbol.as_str().to_ascii_uppercase();
    if let Some((_, quote)) = text.split_once(['-', '/']) {
        return QUOTES.contains(&quote);
    }
    text.len() >= 6
        && QUOTES
            .iter()
            .any(|q| text.ends_with(q) && text.len() > q.len() + 2)
}

/// A line for what a watcher of a live run wants to see as it happens.
fn event_line(event: &RunEvent) -> Option<String> {
    Some(match event {
        RunEvent::Decision { ts, intent } => format!(
            "{}  decided  {} {}: {}",
            ts.display_auto(),
            intent.side,
            intent.symbol,
            intent.reason
        ),
        RunEvent::Fill { fill } => format!(
            "{}  filled   {} {} {} at {}",
            fill.ts.display_auto(),
            fill.side,
            fill.qty,
            fill.symbol,
            fill.price
        ),
        RunEvent::OrderRejected {
            ts, intent, reason, ..
        } => format!(
            "{}  rejected {} {}: {reason}",
            ts.display_auto(),
            intent.side,
            intent.symbol,
        ),
        RunEvent::Feed { ts, notice } => format!(
            "{}  feed     {} {}: {}",
            ts.display_auto(),
            notice.notice.name(),
            notice.provider,
            notice.detail
        ),
        RunEvent::Command { ts, command } => format!("{}  command  {command}", ts.display_auto()),
        _ => return None,
    })
}
