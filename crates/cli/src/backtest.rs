//! `tradelab backtest`: load bars, build the strategy, run the engine, report.

use crate::args::{BacktestArgs, CsvArgs, Fill, OutputFormat};
use crate::llm_report::LlmTotals;
use crate::output;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use tradelab_agent::LlmSettings;
use tradelab_core::{BarSeries, Money, Quantity, Symbol, Timestamp};
use tradelab_data::CsvOptions;
use tradelab_engine::report::{Report, ReportOptions, ReportSink};
use tradelab_engine::{
    Commission, Decider, DeciderArgs, DeciderRegistry, Engine, FillModel, RunConfig, parse_lot_step,
};

/// Runs a backtest from the command line and prints its report; `--strategy` names a
/// decider in `deciders`.
pub fn run(a: BacktestArgs, deciders: &DeciderRegistry) -> Result<()> {
    let rules = crate::rules_cmd::load_rules(a.rules.as_deref(), a.template.as_deref())?;
    let mut config = run_config(&a)?;
    config.allow_short |= rules.shorts_allowed();
    let tz = parse_tz(&a.csv.tz)?;
    let requested = requested_symbols(&a)?;
    let series = load_series(&a, &requested, &tz)?;
    let mut params = parse_params(&a.params)?;
    crate::llm_args::merge(
        &a.strategy,
        crate::llm_args::backtest_flags(&a)?,
        &mut params,
    )?;
    let rule_names: Vec<String> = rules
        .active_by_priority()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let rule_words = crate::llm_args::rules_in_words(&rules);
    let args = DeciderArgs::new(&params, config.allow_short)
        .with_instructions(&rules.instructions)
        .with_rules(&rule_words);
    // The learner is built as itself, so its calibration report can be read after
    // the run; every other decider through the registry.
    let mut learner = (a.strategy == tradelab_learner::STRATEGY)
        .then(|| tradelab_learner::OnlineLearner::from_args(args))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut built = match learner {
        Some(_) => None,
        None => Some(
            deciders
                .build_with(&a.strategy, args)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
    };
    let decider: &mut dyn Decider = match (&mut learner, &mut built) {
        (Some(l), _) => l,
        (None, Some(d)) => d.as_mut(),
        (None, None) => bail!("no decider was built for {}", a.strategy),
    };
    // The agent's settings, for its totals in the report.
    let llm = (a.strategy == tradelab_agent::settings::STRATEGY)
        .then(|| LlmSettings::from_params(&params))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let engine = Engine::new(config.clone(), series)?.with_rules(rules)?;
    let counts: Vec<(&str, usize)> = engine
        .series()
        .iter()
        .map(|s| (s.symbol().as_str(), s.len()))
        .collect();
    if let Some(note) = warm_up_note(&decider.name(), decider.min_bars(), &counts) {
        eprintln!("{note}");
    }
    let (daily, intraday): (Vec<&BarSeries>, Vec<&BarSeries>) =
        engine.series().iter().partition(|s| s.is_daily());
    if !daily.is_empty() && !intraday.is_empty() && a.periods_per_year.is_none() {
        let names = |list: &[&BarSeries]| {
            let names: Vec<&str> = list.iter().map(|s| s.symbol().as_str()).collect();
            names.join(", ")
        };
        eprintln!(
            "note: the data mixes daily bars ({}) with intraday bars ({}); returns are taken \
             at every step of the merged timeline, so say how many steps make a year with \
             --periods-per-year",
            names(&daily),
            names(&intraday)
        );
    }
    if !rule_names.is_empty() && engine.series().iter().all(BarSeries::is_daily) {
        let timing = engine
            .rules()
            .active_by_priority()
            .iter()
            .any(|r| matches!(r.kind, tradelab_engine::risk::RuleKind::TradingWindow(_)));
        if timing {
            eprintln!(
                "note: the data is daily; the trading_window rule (times of day) does not apply"
            );
        }
    }

    check_output_dir("--trades-out", a.trades_out.as_deref())?;
    check_output_dir("--equity-out", a.equity_out.as_deref())?;

    let mut sink = ReportSink::with_capacity(engine.steps());
    let bar = progress_bar(engine.steps() as u64);
    let mut tick = |done: usize| bar.set_position(done as u64);
    let outcome = engine.run(decider, &mut sink, Some(&mut tick));
    bar.finish_and_clear();
    // A ledger overflow: the message names the step, the operation and its amounts.
    let outcome = outcome?;

    let report = Report::build(
        &config,
        engine.series(),
        &sink,
        &outcome,
        &ReportOptions {
            strategy: decider.name(),
            periods_per_year: a.periods_per_year,
            risk_free_annual: a.risk_free,
            tz,
            rules: rule_names,
        },
    )
    .context("computing metrics")?;

    if let Some(path) = &a.trades_out {
        output::write_trades_csv(path, &sink.trades)
            .with_context(|| format!("writing trades to {}", path.display()))?;
    }
    if let Some(path) = &a.equity_out {
        output::write_equity_csv(path, &sink, engine.series())
            .with_context(|| format!("writing the equity curve to {}", path.display()))?;
    }
    let totals =
        llm.map(|settings| LlmTotals::of(report.model_usage.as_ref(), &settings, engine.series()));
    let calibration = learner.as_ref().map(|l| l.report());
    match a.output {
        OutputFormat::Json => {
            let mut json = serde_json::to_value(&report)?;
            if let (Some(t), Some(object)) = (&totals, json.as_object_mut()) {
                object.insert("llm".into(), serde_json::to_value(t)?);
            }
            if let (Some(c), Some(object)) = (&calibration, json.as_object_mut()) {
                object.insert("learner".into(), serde_json::to_value(c)?);
            }
            println!("{}", serde_json::to_string_pretty(&json)?)
        }
        OutputFormat::Table => {
            print!(
                "{}",
                output::report_table(&report, &outcome, config.initial_cash)
            );
            if let Some(t) = &totals {
                print!("{}", t.table());
            }
            if let Some(c) = &calibration {
                print!("{}", c.table());
            }
        }
    }
    Ok(())
}

/// Fails before a run whose output file could not be created afterwards because its
/// directory is missing, rather than after the run has been paid for.
fn check_output_dir(flag: &str, path: Option<&std::path::Path>) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "{flag} {}: the directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    Ok(())
}

/// A non-negative decimal flag value; the error names the flag.
///
/// Plain (`1000000.50`) and scientific (`1e6`, `2.5E-3`) notation are accepted; a
/// number past the exact decimal range is refused naming the limit.
pub fn decimal(flag: &str, text: &str) -> Result<Decimal> {
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        t.parse::<Decimal>()
    };
    let d = match parsed {
        Ok(d) => d,
        Err(_) if looks_numeric(t) => bail!(
            "--{flag} {t} is outside the exact range: numbers go up to {} and have at most 28 \
             decimal places",
            crate::display::decimal(Decimal::MAX, None)
        ),
        Err(_) => bail!("--{flag} {text:?} is not a number (e.g. 10000, 2500.50 or 1e6)"),
    };
    if d.is_sign_negative() {
        bail!("--{flag} {text} must not be negative");
    }
    Ok(d)
}

/// True for text shaped like a decimal number (sign, digits, one point, exponent),
/// to tell a number out of range from text that is not a number at all.
fn looks_numeric(t: &str) -> bool {
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let m = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let m_ok = match m.split_once('.') {
        Some((i, f)) => (digits(i) || i.is_empty()) && (digits(f) || f.is_empty()) && m != ".",
        None => digits(m),
    };
    let e_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    m_ok && e_ok
}

fn run_config(a: &BacktestArgs) -> Result<RunConfig> {
    let cash = decimal("cash", &a.cash)?;
    if cash.is_zero() {
        bail!("--cash must be positive");
    }
    let rate = decimal("commission", &a.commission)?;
    if rate >= Decimal::ONE {
        bail!("--commission {rate} is a fraction of notional and must be below 1 (0.002 = 0.2 %)");
    }
    Ok(RunConfig {
        initial_cash: Money(cash),
        fill_model: match a.fill {
            Fill::NextOpen => FillModel::NextOpen,
            Fill::Close => FillModel::Close,
        },
        commission: Commission {
            rate,
            per_share: decimal("commission-per-share", &a.commission_per_share)?,
            minimum: decimal("commission-min", &a.commission_min)?,
        },
        slippage_bps: decimal("slippage-bps", &a.slippage_bps)?,
        allow_short: a.allow_short,
        close_at_end: a.close_at_end,
        lot_steps: lot_steps(&a.lot_steps)?,
        all_week: all_week(&a.all_week)?,
    })
}

/// Reads `--lot-step SYMBOL=STEP` flags.
pub fn lot_steps(raw: &[String]) -> Result<BTreeMap<Symbol, Quantity>> {
    raw.iter()
        .map(|text| parse_lot_step(text).map_err(|e| anyhow::anyhow!("--lot-step: {e}")))
        .collect()
}

/// Reads `--all-week SYMBOLS`.
pub fn all_week(raw: &[String]) -> Result<BTreeSet<Symbol>> {
    raw.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Symbol::new(s.trim()).map_err(|e| anyhow::anyhow!("--all-week {s:?}: {e}")))
        .collect()
}

/// Parses `--param k=v` pairs.
fn parse_params(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => bail!("--param {p:?} is not of the form name=value"),
        })
        .collect()
}

pub fn parse_tz(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).with_context(|| {
        format!("--tz {name:?} is not a known time zone (e.g. UTC, America/New_York)")
    })
}

pub fn csv_options(c: &CsvArgs, tz: &jiff::tz::TimeZone, symbol: Option<Symbol>) -> CsvOptions {
    CsvOptions {
        date_column: c.date_column.clone(),
        time_column: c.time_column.clone(),
        date_format: c.date_format.clone(),
        tz: tz.clone(),
        symbol,
        on_bad_row: c.on_bad_row.into(),
        delimiter: c.delimiter.map(Into::into),
    }
}

fn requested_symbols(a: &BacktestArgs) -> Result<Vec<Symbol>> {
    let raw: Vec<&String> = a.symbol.iter().chain(a.symbols.iter()).collect();
    raw.into_iter()
        .map(|s| Symbol::new(s).with_context(|| format!("--symbol {s:?}")))
        .collect()
}

/// Loads every file, keeps the requested symbols (all when none requested) and the
/// requested period.
fn load_series(
    a: &BacktestArgs,
    requested: &[Symbol],
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<BarSeries>> {
    let name_single = (requested.len() == 1).then(|| requested[0].clone());
    let mut all: Vec<BarSeries> = Vec::new();
    for path in &a.data {
        let loaded = tradelab_data::load_bars(path, &csv_options(&a.csv, tz, name_single.clone()))?;
        report_import(path, &loaded.report);
        for s in loaded.series {
            if all.iter().any(|o| o.symbol() == s.symbol()) {
                bail!(
                    "symbol {} appears in more than one --data file (second: {})",
                    s.symbol(),
                    path.display()
                );
            }
            all.push(s);
        }
    }
    let mut chosen = if requested.is_empty() {
        all
    } else {
        let mut chosen = Vec::new();
        for sym in requested {
            let Some(pos) = all.iter().position(|s| s.symbol() == sym) else {
                let known: Vec<String> = all.iter().map(|s| s.symbol().to_string()).collect();
                bail!(
                    "symbol {sym} is not in the data; available: {}",
                    known.join(", ")
                );
            };
            chosen.push(all.swap_remove(pos));
        }
        chosen
    };
    let from = a
        .from
        .as_deref()
        .map(|t| parse_bound("from", t, false))
        .transpose()?;
    let to =
        a.to.as_deref()
            .map(|t| parse_bound("to", t, true))
            .transpose()?;
    for s in &mut chosen {
        let span = match (s.bars().first(), s.bars().last()) {
            (Some(first), Some(last)) => format!(
                "its bars run from {} to {}",
                first.ts().display_auto(),
                last.ts().display_auto()
            ),
            _ => "it has no bars".to_string(),
        };
        s.restrict(from, to);
        if s.is_empty() {
            bail!(
                "no bars for {} in the requested period (--from/--to); {span}",
                s.symbol()
            );
        }
    }
    chosen.sort_by(|x, y| x.symbol().cmp(y.symbol()));
    Ok(chosen)
}

/// A note when a symbol has fewer bars than the strategy's warm-up, so the run cannot
/// trade it: better said before the report than found in a row of zeros.
pub fn warm_up_note(strategy: &str, min_bars: usize, bars: &[(&str, usize)]) -> Option<String> {
    let short: Vec<String> = bars
        .iter()
        .filter(|(_, n)| *n < min_bars)
        .map(|(symbol, n)| format!("{symbol} has {n}"))
        .collect();
    (!short.is_empty()).then(|| {
        format!(
            "note: {strategy} needs {min_bars} bars of a symbol before it can trade it; {}",
            short.join(", ")
        )
    })
}

pub fn report_import(path: &std::path::Path, r: &tradelab_data::ImportReport) {
    symbol_note(r);
    if r.was_unsorted {
        eprintln!(
            "note: {} was not in time order; rows were sorted",
            path.display()
        );
    }
    if !r.skipped.is_empty() {
        eprintln!(
            "note: {}: skipped {} bad row(s):",
            path.display(),
            r.skipped.len()
        );
        for s in r.skipped.iter().take(10) {
            eprintln!("  line {}: {}", s.line, s.reason);
        }
        if r.skipped.len() > 10 {
            eprintln!("  … and {} more", r.skipped.len() - 10);
        }
    }
}

/// A note when a file's symbol was taken from its name (`my_prices.csv` → `MY`), which
/// is easy to miss and wrong as often as not.
pub fn symbol_note(r: &tradelab_data::ImportReport) {
    if let Some((file, symbol)) = &r.symbol_from_file_name {
        eprintln!(
            "note: {file} has no ticker/symbol column; its bars are filed under symbol {symbol}, \
             taken from the file name; pass --symbol NAME to name them"
        );
    }
}

/// `--from` / `--to`: a date (whole day) or an RFC 3339 / `YYYY-MM-DD HH:MM[:SS]` time (UTC).
pub fn parse_bound(flag: &str, text: &str, end_of_day: bool) -> Result<Timestamp> {
    let t = text.trim();
    if let Ok(date) = t.parse::<jiff::civil::Date>() {
        let day = if end_of_day {
            date.tomorrow().ok().unwrap_or(date)
        } else {
            date
        };
        let ts = day
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|e| anyhow::anyhow!("--{flag} {t:?}: {e}"))?
            .timestamp();
        let ns = Timestamp::from_jiff(ts).context("date out of range")?;
        return Ok(if end_of_day {
            Timestamp::from_nanos(ns.nanos() - 1)
        } else {
            ns
        });
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Timestamp::from_jiff(ts).context("time out of range");
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        let z = dt
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|e| anyhow::anyhow!("--{flag} {t:?}: {e}"))?;
        return Timestamp::from_jiff(z.timestamp()).context("time out of range");
    }
    bail!("--{flag} {t:?} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ)")
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || len < 500_000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} bars ({eta})") {
        bar.set_style(style);
    }
    bar
}
