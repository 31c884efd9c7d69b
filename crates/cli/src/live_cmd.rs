//! `tradelab runs start MODEL --live` and `tradelab runs resume RUN`: paper trading on
//! a live feed — a provider's market data on the wall clock, or stored bars replayed
//! as live at N× speed — with what happens printed as it happens and the report at
//! the end.

use crate::args::OutputFormat;
use crate::store_args::{FeedKind, LiveArgs};
use crate::store_ctx::Ctx;
use anyhow::{Context, Result, bail};
use std::time::Duration;
use tradelab_core::{Symbol, Timeframe};
use tradelab_engine::{Command, DeciderRegistry, RunEvent};
use tradelab_runner::live::{self, FeedPeriod};
use tradelab_runner::{ExecutionSettings, LiveSource, RunHandle, Runner, RunnerError, StartRun};
use tradelab_store::LiveFeedSpec;

/// Which feed a live run trades on.
pub struct FeedChoice {
    pub feed: FeedKind,
    pub provider: Option<String>,
    pub speed: f64,
}

impl FeedChoice {
    /// The choice as a run keeps it.
    pub fn spec(&self) -> LiveFeedSpec {
        match self.feed {
            FeedKind::Market => LiveFeedSpec {
                feed: "market".into(),
                provider: self.provider.clone(),
                speed: None,
            },
            FeedKind::Replay => LiveFeedSpec {
                feed: "replay".into(),
                provider: None,
                speed: Some(self.speed),
            },
        }
    }

    /// The feed a resume of a run goes on with (see [`LiveFeedSpec::for_resume`]).
    pub fn for_resume(
        feed: Option<FeedKind>,
        provider: Option<String>,
        speed: Option<f64>,
        kept: Option<&LiveFeedSpec>,
    ) -> FeedChoice {
        let asked = feed.map(|f| match f {
            FeedKind::Market => "market",
            FeedKind::Replay => "replay",
        });
        let spec = LiveFeedSpec::for_resume(kept, asked, provider, speed);
        FeedChoice {
            feed: if spec.feed == "replay" {
                FeedKind::Replay
            } else {
                FeedKind::Market
            },
            provider: spec.provider,
            speed: spec.speed.unwrap_or(60.0),
        }
    }
}

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
    let choice = FeedChoice {
        feed: live.feed,
        provider: live.provider.clone(),
        speed: live.speed,
    };
    let period = FeedPeriod {
        symbols: req.symbols.clone(),
        timeframe: req.timeframe,
        from: req.from,
        to: req.to,
        origin: None,
    };
    let source = live_source(ctx, &period, &choice).await?;
    req.from = None;
    req.to = None;
    req.live_feed = Some(choice.spec());
    let runner = Runner::with_deciders(ctx.store.clone(), deciders.clone());
    let provider = source.provider.name().to_string();
    let handle = runner.spawn_live(req.clone(), source, None).await?;
    follow(handle, &provider, output).await
}

/// Resumes the interrupted live run `run` on the chosen feed and follows it.
pub async fn resume(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    run: &str,
    feed: Option<FeedKind>,
    provider: Option<String>,
    speed: Option<f64>,
    output: OutputFormat,
) -> Result<()> {
    let run = ctx.run(run).await?;
    let choice = &FeedChoice::for_resume(feed, provider, speed, run.snapshot.live_feed.as_ref());
    let settings =
        ExecutionSettings::from_json(&run.snapshot.fill_model).map_err(anyhow::Error::msg)?;
    let timeframe: Timeframe = match settings.timeframe.as_deref() {
        Some(t) => t
            .parse()
            .with_context(|| format!("the run's timeframe {t:?}"))?,
        None => bail!("run {} has no timeframe in its snapshot", Ctx::label(&run)),
    };
    let last_step = ctx
        .store
        .audit()
        .equity(ctx.user.id, run.id)
        .await?
        .last()
        .map(|e| e.ts);
    let period = FeedPeriod {
        symbols: run.symbols.clone(),
        timeframe,
        from: run.period_start,
        to: run.period_end,
        origin: last_step,
    };
    let source = live_source(ctx, &period, choice).await?;
    let provider = source.provider.name().to_string();
    let runner = Runner::with_deciders(ctx.store.clone(), deciders.clone());
    let handle = runner
        .resume_live(ctx.user.id, run.id, source, None)
        .await?;
    follow(handle, &provider, output).await
}

/// Prints what the run does as it does it, stops it on ctrl-c (positions stay open),
/// then prints its report.
async fn follow(handle: RunHandle, provider: &str, output: OutputFormat) -> Result<()> {
    let symbols: Vec<&str> = handle.run.symbols.iter().map(Symbol::as_str).collect();
    eprintln!(
        "live run {} (id {}) on {provider}: {}; ctrl-c stops it",
        Ctx::label(&handle.run),
        handle.run.id,
        symbols.join(","),
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

async fn live_source(ctx: &Ctx, feed: &FeedPeriod, choice: &FeedChoice) -> Result<LiveSource> {
    Ok(match choice.feed {
        FeedKind::Replay => live::stored_feed(&ctx.store, ctx.user.id, feed, choice.speed)
            .await
            .map_err(|e| match e {
                RunnerError::InvalidFeed { field, message } => {
                    anyhow::anyhow!("--{field} {message}")
                }
                other => other.into(),
            })?,
        FeedKind::Market => market_source(feed, choice.provider.as_deref())?,
    })
}

/// A provider's market feed from now on: the provider (or chain) `--provider` names
/// in the settings (`TRADELAB_CONFIG`), by default the chain of the symbols' class.
fn market_source(period: &FeedPeriod, provider: Option<&str>) -> Result<LiveSource> {
    let class = live::class_of(&period.symbols)?;
    let config_file = std::env::var_os("TRADELAB_CONFIG").map(std::path::PathBuf::from);
    let config = crate::fetch_cmd::load(config_file.as_deref())?;
    let chains = config.build_chains()?;
    let mut source = None;
    for symbol in &period.symbols {
        source = Some(crate::fetch_cmd::source_for(
            &config,
            &chains,
            provider,
            symbol,
            period.timeframe,
        )?);
    }
    let Some(source) = source else {
        bail!("a live run needs symbols");
    };
    let notices =
        matches!(provider, None | Some("stock" | "crypto")).then(|| chains.of(class).subscribe());
    Ok(live::market_feed(source.provider, notices, period)?)
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
