//! `tradelab data providers` and `tradelab data fetch`: the market-data providers the
//! settings describe, and fetching bars from them into the store.

use crate::args::OutputFormat;
use crate::display;
use crate::store_args::StoreArgs;
use crate::store_ctx;
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use tradelab_core::{Symbol, Timeframe, Timestamp};
use tradelab_providers::cached::shared_cache;
use tradelab_providers::config::{ProviderChains, ProvidersConfig};
use tradelab_providers::{AssetClass, Cached, Provider};
use tradelab_runner::fetch::{FetchProgress, SymbolFetch, fetch_symbol};
use tradelab_server::{Overrides, ServerConfig};

/// `data providers` arguments.
#[derive(Args, Debug)]
pub struct ProvidersArgs {
    /// Settings file (TOML) with `[providers.NAME]`, `[chains]`, `[breaker]` and
    /// `[provider_http]` (default: the built-in providers and chains).
    #[arg(long, env = "TRADELAB_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `data fetch` arguments.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Where to fetch from: a provider (`yahoo`, `alpaca`, …) or a chain (`stock`,
    /// `crypto`) [default: the chain of each symbol's class: crypto pairs such as
    /// BTCUSDT, BTC-USD or ETH/USDT go to `crypto`, other symbols to `stock`].
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Symbols to fetch, comma-separated: AAPL,MSFT.
    #[arg(long, value_delimiter = ',', required = true, value_name = "SYMBOLS")]
    pub symbols: Vec<String>,
    /// Bar length: 1m, 5m, 1h, 1d, …
    #[arg(long, value_name = "TF")]
    pub timeframe: String,
    /// First day (YYYY-MM-DD, UTC) or time (RFC 3339). Bars already stored are not
    /// fetched again: a fetch resumes after the last stored bar.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day, included (YYYY-MM-DD, UTC), or a time (RFC 3339, excluded)
    /// [default: now].
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Settings file (TOML) with the providers and chains (default: the built-in
    /// ones).
    #[arg(long, env = "TRADELAB_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report format: a table for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// The providers settings of the settings file (or the built-in ones), checked.
pub(crate) fn load(config: Option<&std::path::Path>) -> Result<ProvidersConfig> {
    let server = ServerConfig::load(config, Overrides::default())?;
    let providers = server.providers_config();
    providers.validate()?;
    Ok(providers)
}

/// `data providers`: each provider, its chains, its key variables, its breaker.
pub fn providers(a: &ProvidersArgs) -> Result<()> {
    let config = load(a.config.as_deref())?;
    let chains = config.build_chains_unchecked();
    let rows = provider_rows(&config, &chains);
    match a.output {
        OutputFormat::Json => {
            let chains: Vec<serde_json::Value> = chains
                .all()
                .iter()
                .map(|(class, chain)| {
                    serde_json::json!({
                        "class": class.name(),
                        "providers": chain.provider_names(),
                    })
                })
                .collect();
            let v = serde_json::json!({ "providers": rows, "chains": chains });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Table => {
            println!(
                "{:<10} {:<8} {:<13} {:<10} keys",
                "provider", "kind", "chains", "breaker"
            );
            for r in &rows {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                let chains: Vec<&str> = r["chains"]
                    .as_array()
                    .map(|c| c.iter().filter_map(|v| v.as_str()).collect())
                    .unwrap_or_default();
                let keys: Vec<String> = r["keys"]
                    .as_array()
                    .map(|ks| {
                        ks.iter()
                            .map(|k| {
                                let set = if k["set"] == true { "set" } else { "unset" };
                                format!("{} {set}", k["name"].as_str().unwrap_or_default())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                println!(
                    "{:<10} {:<8} {:<13} {:<10} {}",
                    text("name"),
                    text("kind"),
                    if chains.is_empty() {
                        "-".to_string()
                    } else {
                        chains.join(",")
                    },
                    text("breaker"),
                    if keys.is_empty() {
                        "none needed".to_string()
                    } else {
                        keys.join(", ")
                    }
                );
            }
        }
    }
    Ok(())
}

/// One JSON object per provider (name order): kind, chains, key variables (set or
/// not), whether configured, its breaker state (worst over its chains).
fn provider_rows(config: &ProvidersConfig, chains: &ProviderChains) -> Vec<serde_json::Value> {
    let statuses: Vec<_> = chains
        .all()
        .iter()
        .flat_map(|(_, c)| c.statuses())
        .collect();
    config
        .effective()
        .into_iter()
        .map(|(name, settings)| {
            let keys = settings.key_status();
            let configured = keys.iter().all(|k| k.set || !k.required);
            let breaker = statuses
                .iter()
                .filter(|s| s.name == name)
                .map(|s| s.state)
                .max_by_key(|s| match s {
                    tradelab_providers::breaker::BreakerState::Closed => 0,
                    tradelab_providers::breaker::BreakerState::HalfOpen => 1,
                    tradelab_providers::breaker::BreakerState::Open => 2,
                })
                .map_or("-", |s| s.name());
            let chains: Vec<&str> = config
                .chains_of(&name)
                .into_iter()
                .map(AssetClass::name)
                .collect();
            let keys: Vec<serde_json::Value> = keys
                .iter()
                .map(|k| serde_json::json!({"name": k.name, "set": k.set, "required": k.required}))
                .collect();
            serde_json::json!({
                "name": name,
                "kind": settings.kind.name(),
                "chains": chains,
                "keys": keys,
                "configured": configured,
                "breaker": breaker,
            })
        })
        .collect()
}

/// Where one symbol's bars come from.
pub(crate) struct Source {
    pub label: String,
    pub provider: Arc<dyn Provider>,
}

/// The provider or chain `--provider` names for `symbol` (its class's chain when
/// unset). A provider whose key variables are unset is refused here, naming them.
pub(crate) fn source_for(
    config: &ProvidersConfig,
    chains: &ProviderChains,
    name: Option<&str>,
    symbol: &Symbol,
    timeframe: Timeframe,
) -> Result<Source> {
    let class = AssetClass::of(symbol.as_str());
    let chain = |c: AssetClass| {
        let chain = chains.of(c);
        Source {
            label: c.name().to_string(),
            provider: chain.clone(),
        }
    };
    let source = match name {
        None => chain(class),
        Some("stock") => chain(AssetClass::Stock),
        Some("crypto") => chain(AssetClass::Crypto),
        Some(n) => {
            let Some(settings) = config.effective().remove(n) else {
                let names: Vec<String> = config.effective().into_keys().collect();
                bail!(
                    "--provider {n:?} is neither a provider ({}) nor a chain (stock, crypto)",
                    names.join(", ")
                );
            };
            if let Some(missing) = settings.missing_keys() {
                bail!("{missing}");
            }
            let member = config
                .provider(n)
                .ok_or_else(|| anyhow!("--provider {n:?}: no such provider"))?;
            Source {
                label: n.to_string(),
                provider: member.provider,
            }
        }
    };
    if !source.provider.supports(class, timeframe) {
        let what = match name {
            Some(n) if n != "stock" && n != "crypto" => format!("{n} does not serve"),
            _ => format!(
                "no provider of the {} chain ({}) serves",
                source.label,
                chains
                    .of(class_of_label(&source.label, class))
                    .provider_names()
                    .join(", ")
            ),
        };
        bail!(
            "{what} {} bars at {timeframe} (for {symbol}); `tradelab data providers` \
             lists the providers and chains",
            class.name()
        );
    }
    Ok(source)
}

/// The class of a chain's label (`stock`, `crypto`), else `class`.
fn class_of_label(label: &str, class: AssetClass) -> AssetClass {
    match label {
        "stock" => AssetClass::Stock,
        "crypto" => AssetClass::Crypto,
        _ => class,
    }
}

/// `data fetch`: each symbol's missing bars from its provider into the store.
pub fn fetch(a: &FetchArgs, store: &StoreArgs) -> Result<()> {
    let timeframe: Timeframe = a
        .timeframe
        .parse()
        .with_context(|| format!("--timeframe {:?}", a.timeframe))?;
    let symbols: Vec<Symbol> = a
        .symbols
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Symbol::new(s).with_context(|| format!("--symbols: {s:?}")))
        .collect::<Result<_>>()?;
    if symbols.is_empty() {
        bail!("--symbols is empty; give symbols comma-separated: AAPL,MSFT");
    }
    let from = crate::backtest::parse_bound("from", &a.from, false)?;
    let to = match &a.to {
        // A date is a whole day, included; a time is the end, excluded.
        Some(t) if t.trim().parse::<jiff::civil::Date>().is_ok() => {
            let end = crate::backtest::parse_bound("to", t, true)?;
            Timestamp::from_nanos(end.nanos().saturating_add(1))
        }
        Some(t) => crate::backtest::parse_bound("to", t, false)?,
        None => Timestamp::from_jiff(jiff::Timestamp::now()).context("the clock")?,
    };
    if from >= to {
        bail!(
            "--from {} is not before --to {}",
            from.display_auto(),
            to.display_auto()
        );
    }
    let config = load(a.config.as_deref())?;
    let chains = config.build_chains_unchecked();
    let sources: Vec<Source> = symbols
        .iter()
        .map(|s| source_for(&config, &chains, a.provider.as_deref(), s, timeframe))
        .collect::<Result<_>>()?;
    store_ctx::runtime()?.block_on(async {
        let ctx = store_ctx::open(store).await?;
        let bar = progress_bar();
        let mut results = Vec::new();
        for (symbol, source) in symbols.iter().zip(&sources) {
            bar.set_message(format!("{symbol} from {}", source.label));
            let mut progress = |p: FetchProgress<'_>| {
                bar.set_length(p.chunks as u64);
                bar.set_position(p.chunk as u64);
            };
            // The process's cache of recent bars in front: what is fetched fills it.
            let provider = Cached::new(Arc::clone(&source.provider), shared_cache());
            let outcome = fetch_symbol(
                &ctx.store,
                &ctx.user,
                &provider,
                symbol,
                timeframe,
                from,
                to,
                &mut progress,
            )
            .await;
            results.push((source.label.clone(), outcome));
        }
        bar.finish_and_clear();
        report(&results, a.output)
    })
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} requests") {
        bar.set_style(style);
    }
    bar
}

type Outcome = Result<SymbolFetch, tradelab_runner::fetch::FetchFailure>;

/// The summary: a row per symbol; an error when any symbol failed.
fn report(results: &[(String, Outcome)], output: OutputFormat) -> Result<()> {
    let done = |o: &Outcome| -> SymbolFetch {
        match o {
            Ok(d) => d.clone(),
            Err(f) => f.done.clone(),
        }
    };
    let spans = |d: &SymbolFetch| -> Vec<(Timestamp, Timestamp)> {
        d.spans.iter().map(|s| (s.from, s.to)).collect()
    };
    match output {
        OutputFormat::Json => {
            let items: Vec<serde_json::Value> = results
                .iter()
                .map(|(source, o)| {
                    let d = done(o);
                    let spans: Vec<serde_json::Value> = spans(&d)
                        .into_iter()
                        .map(|(f, t)| {
                            serde_json::json!({"from": display::json_time(f), "to": display::json_time(t)})
                        })
                        .collect();
                    serde_json::json!({
                        "symbol": d.symbol.as_str(),
                        "timeframe": d.timeframe.to_string(),
                        "provider": source,
                        "spans": spans,
                        "fetched": d.fetched,
                        "inserted": d.inserted,
                        "unchanged": d.unchanged,
                        "conflicting": d.conflicting,
                        "error": o.as_ref().err().map(|f| f.error.to_string()),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "items": items }))?
            );
        }
        OutputFormat::Table => {
            println!(
                "{:<10} {:>9} {:<8} {:>9} {:>9} {:>9}  {:<20}  {:<20}  status",
                "symbol", "timeframe", "provider", "fetched", "inserted", "unchanged", "from", "to"
            );
            for (source, o) in results {
                let d = done(o);
                let s = spans(&d);
                let (first, last) = match (s.first(), s.last()) {
                    (Some(f), Some(l)) => (display::bar_time(f.0), display::bar_time(l.1)),
                    _ => ("-".to_string(), "-".to_string()),
                };
                let status = match o {
                    Ok(_) if s.is_empty() => "up to date",
                    Ok(_) => "ok",
                    Err(_) => "failed",
                };
                println!(
                    "{:<10} {:>9} {:<8} {:>9} {:>9} {:>9}  {:<20}  {:<20}  {status}",
                    d.symbol.as_str(),
                    d.timeframe.to_string(),
                    source,
                    display::count(d.fetched),
                    display::count(d.inserted),
                    display::count(d.unchanged),
                    first,
                    last,
                );
            }
        }
    }
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(_, o)| o.as_ref().err().map(|f| f.error.to_string()))
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    if failures.len() == 1 {
        bail!("{}", failures[0]);
    }
    bail!(
        "{} of {} symbols failed:\n  {}",
        failures.len(),
        results.len(),
        failures.join("\n  ")
    )
}
