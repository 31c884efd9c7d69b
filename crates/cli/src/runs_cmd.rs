//! `tradelab runs …`: start, list, show, audit trail, trades, compare, replay.

use crate::args::OutputFormat;
use crate::backtest::{csv_options, parse_bound, parse_tz, warm_up_note};
use crate::output;
use crate::rules_cmd::load_rules;
use crate::store_args::{RunsCommand, StoreArgs};
use crate::store_ctx::{self, Ctx};
use crate::{audit_view, run_view};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::io::Write;
use tradelab_core::{Symbol, Timeframe};
use tradelab_engine::DeciderRegistry;
use tradelab_runner::{Finished, Runner, Spread, StartRun, compare};
use tradelab_store::{AuditEvent, EventFilter, MAX_PAGE_LIMIT, PageRequest, Run, RunId};

/// Runs a runs subcommand.
pub fn run(cmd: RunsCommand, args: &StoreArgs, deciders: &DeciderRegistry) -> Result<()> {
    store_ctx::runtime()?.block_on(async {
        let ctx = store_ctx::open(args).await?;
        match cmd {
            RunsCommand::Start {
                model,
                symbols,
                timeframe,
                from,
                to,
                data,
                output,
                csv,
                repeat,
                warm_start,
                live,
            } => {
                let m = ctx.model(&model).await?;
                let mut tf: Option<Timeframe> = timeframe
                    .as_deref()
                    .map(|t| t.parse().with_context(|| format!("--timeframe {t:?}")))
                    .transpose()?;
                let symbols: Vec<Symbol> = symbols
                    .iter()
                    .map(|s| Symbol::new(s).with_context(|| format!("--symbols {s:?}")))
                    .collect::<Result<_>>()?;
                if !data.is_empty() {
                    let tz = parse_tz(&csv.tz)?;
                    // A file without a ticker column holds the run's one symbol.
                    let name = match (symbols.as_slice(), m.spec.allowed_symbols.as_slice()) {
                        ([one], _) | ([], [one]) => Some(one.clone()),
                        _ => None,
                    };
                    for file in &data {
                        let filed = crate::data_cmd::import_file(
                            &ctx,
                            file,
                            &csv_options(&csv, &tz, name.clone()),
                            tf,
                            false,
                        )
                        .await?;
                        tf = Some(filed);
                    }
                }
                let tf = match tf {
                    Some(tf) => tf,
                    None => {
                        Runner::with_deciders(ctx.store.clone(), deciders.clone())
                            .default_timeframe(ctx.user.id, &symbols, &m.spec.allowed_symbols)
                            .await?
                    }
                };
                let mut req = StartRun::new(ctx.user.id, m.id, symbols, tf);
                // Tuning knob (and used by the crash test): audit rows per transaction.
                if let Some(n) = std::env::var("TRADELAB_BATCH_ROWS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    req.batch_rows = n;
                }
                req.from = from
                    .as_deref()
                    .map(|t| parse_bound("from", t, false))
                    .transpose()?;
                req.to = to
                    .as_deref()
                    .map(|t| parse_bound("to", t, true))
                    .transpose()?;
                if let Some(text) = warm_start.as_deref() {
                    let (run, version) = crate::learner_view::parse_warm_start(text)?;
                    let run = ctx.run(run).await?.id;
                    req.warm_start = Some(tradelab_runner::WarmStartRef { run, version });
                }
                if live.live {
                    return crate::live_cmd::start(
                        &ctx,
                        deciders,
                        req,
                        &live,
                        &m.spec.allowed_symbols,
                        output,
                    )
                    .await;
                }
                if repeat > 1 {
                    return repeat_runs(&ctx, deciders, req, usize::from(repeat), output).await;
                }
                let finished = Runner::with_deciders(ctx.store.clone(), deciders.clone())
                    .start(req, Some(progress()))
                    .await?;
                let params = tradelab_runner::decider_params(&m.spec.decider);
                if let Ok(d) = deciders.build(&m.spec.decider.kind, &params, true) {
                    let r = &finished.report;
                    let steps = [("the run", r.bars)];
                    if let Some(note) = warm_up_note(&r.strategy, d.min_bars(), &steps) {
                        eprintln!("{note} bars");
                    }
                }
                print_finished(&finished, output)
            }
            RunsCommand::List {
                model,
                limit,
                after,
                output,
            } => list(&ctx, model.as_deref(), limit, after, output).await,
            RunsCommand::Show { run, output } => show(&ctx, &run, output, deciders).await,
            RunsCommand::Events {
                run,
                kind,
                symbol,
                from,
                to,
                after,
                limit,
                all,
                output,
            } => {
                let filter = EventsFilter {
                    kinds: kind,
                    symbol,
                    from,
                    to,
                };
                let limit = if all {
                    None
                } else {
                    Some(limit.unwrap_or(DEFAULT_EVENTS))
                };
                events(&ctx, &run, &filter, after, limit, output).await
            }
            RunsCommand::Equity { run, output } => equity(&ctx, &run, output).await,
            RunsCommand::Trades { run, output } => trades(&ctx, &run, output).await,
            RunsCommand::Compare { runs, output } => {
                let mut list: Vec<Run> = Vec::new();
                for (k, text) in runs.iter().enumerate() {
                    let r = ctx.run(text).await?;
                    if let Some(j) = list.iter().position(|o| o.id == r.id) {
                        bail!(
                            "{} and {} are the same run ({}); compare different runs",
                            runs[j],
                            runs[k],
                            Ctx::label(&r)
                        );
                    }
                    list.push(r);
                }
                let labels = list.iter().map(Ctx::label).collect();
                let c = compare(&list, labels);
                match output {
                    OutputFormat::Json => print_json(&run_view::compare_json(&c, &list))?,
                    OutputFormat::Table => print!("{}", run_view::compare_table(&c, &list)),
                }
                Ok(())
            }
            RunsCommand::Resume {
                run,
                provider,
                feed,
                speed,
                output,
            } => crate::live_cmd::resume(&ctx, deciders, &run, feed, provider, speed, output).await,
            RunsCommand::Replay {
                run,
                rules,
                template,
                output,
                allow_changed_data,
                ask_again,
            } => {
                let parent = ctx.run(&run).await?;
                if rules.is_none() && template.is_none() {
                    bail!(
                        "give --rules FILE and/or --template NAME: the rules the replay runs with"
                    );
                }
                let set = load_rules(rules.as_deref(), template.as_deref())?;
                let options = tradelab_runner::ReplayOptions {
                    allow_changed_data,
                    ask_again,
                };
                let finished = Runner::with_deciders(ctx.store.clone(), deciders.clone())
                    .replay_with(ctx.user.id, parent.id, set, options, Some(progress()))
                    .await?;
                if let Some(then) = &finished.run.snapshot.data_changed_from {
                    eprintln!(
                        "note: the bars changed since {} ran: data fingerprint {then} then, {} now",
                        Ctx::label(&parent),
                        finished
                            .run
                            .snapshot
                            .data_fingerprint
                            .as_deref()
                            .unwrap_or("-")
                    );
                }
                println!(
                    "replay of {} → {}",
                    Ctx::label(&parent),
                    Ctx::label(&finished.run)
                );
                print_finished(&finished, output)
            }
        }
    })
}

fn progress() -> tradelab_runner::Progress {
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} bars ({eta})") {
            b.set_style(style);
        }
        b
    } else {
        ProgressBar::hidden()
    };
    Box::new(move |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if done >= total {
            bar.finish_and_clear();
        }
    })
}

/// `runs start --repeat N`: the run N times, each listed in a line, then the spread
/// of their metrics and how often their decisions agreed.
async fn repeat_runs(
    ctx: &Ctx,
    deciders: &DeciderRegistry,
    req: StartRun,
    times: usize,
    output: OutputFormat,
) -> Result<()> {
    let runner = Runner::with_deciders(ctx.store.clone(), deciders.clone());
    let mut runs = Vec::with_capacity(times);
    for k in 1..=times {
        let finished = runner.start(req.clone(), Some(progress())).await?;
        if output == OutputFormat::Table {
            println!(
                "run {k} of {times}: {} {}, total return {}",
                Ctx::label(&finished.run),
                finished.run.status,
                crate::display::percent(Some(finished.report.total_return_pct))
            );
        }
        runs.push(finished);
    }
    let reports: Vec<serde_json::Value> = runs
        .iter()
        .map(|f| serde_json::to_value(&f.report))
        .collect::<Result<_, _>>()?;
    let pairs: Vec<_> = runs.iter().map(|f| &f.run).zip(&reports).collect();
    let spread = Spread::of(&ctx.store, ctx.user.id, &pairs).await?;
    match output {
        OutputFormat::Json => print_json(&spread.json())?,
        OutputFormat::Table => print!("{}", crate::repeat::table(&spread)),
    }
    Ok(())
}

pub(crate) fn print_finished(f: &Finished, output: OutputFormat) -> Result<()> {
    // A learner's calibration, kept with the run's summary (as `backtest` prints it).
    let calibration = crate::learner_view::calibration(&f.run);
    match output {
        OutputFormat::Json => {
            let mut v = serde_json::to_value(&f.report)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("run".into(), serde_json::to_value(f.run.id)?);
                o.insert("run_label".into(), Ctx::label(&f.run).into());
                o.insert("run_status".into(), f.run.status.to_string().into());
                if let Some(c) = &calibration {
                    o.insert("learner".into(), serde_json::to_value(c)?);
                }
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Table => {
            println!(
                "Run                        {} (id {}), {}",
                Ctx::label(&f.run),
                f.run.id,
                f.run.status
            );
            print!(
                "{}",
                output::report_table(&f.report, &f.outcome, f.run.snapshot.initial_cash)
            );
            if let Some(c) = &calibration {
                print!("{}", c.table());
            }
        }
    }
    Ok(())
}

/// Entries `runs events` shows without --limit or --all.
const DEFAULT_EVENTS: usize = 200;

fn print_json(v: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

async fn list(
    ctx: &Ctx,
    model: Option<&str>,
    limit: u32,
    after: Option<i64>,
    output: OutputFormat,
) -> Result<()> {
    let request = PageRequest {
        limit,
        after: after.map(RunId),
    };
    let page = match model {
        Some(m) => {
            let m = ctx.model(m).await?;
            ctx.store
                .runs()
                .list_by_model(ctx.user.id, m.id, request)
                .await?
        }
        None => ctx.store.runs().list_by_owner(ctx.user.id, request).await?,
    };
    let next_after = page.next_after.map(|r| r.0);
    match output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "items": run_view::list_json(&page.items),
            "next_after": next_after,
        })),
        OutputFormat::Table => {
            if page.items.is_empty() && after.is_some() {
                println!("no more runs");
                return Ok(());
            }
            print!("{}", run_view::list_table(&page.items));
            if let Some(next) = next_after {
                let model = model.map_or(String::new(), |m| format!(" --model {m}"));
                println!("more runs: tradelab runs list{model} --limit {limit} --after {next}");
            }
            Ok(())
        }
    }
}

/// `runs show`: the strategy's defaults come from `deciders`, the registry runs use.
async fn show(
    ctx: &Ctx,
    run: &str,
    output: OutputFormat,
    deciders: &DeciderRegistry,
) -> Result<()> {
    let r = ctx.run(run).await?;
    let counts = ctx.store.audit().counts(ctx.user.id, r.id).await?;
    let check = crate::llm_report::of_stored_run(ctx, &r).await?;
    let snaps = ctx.store.snapshots().list(ctx.user.id, r.id).await?;
    let calibration = crate::learner_view::calibration(&r);
    match output {
        OutputFormat::Json => {
            let mut json = run_view::show_json(&r, &counts, check.as_ref(), deciders);
            if let Some(o) = json.as_object_mut() {
                o.insert(
                    "snapshots".into(),
                    crate::learner_view::snapshots_json(&snaps),
                );
                if let Some(c) = &calibration {
                    o.insert("calibration".into(), serde_json::to_value(c)?);
                }
            }
            print_json(&json)
        }
        OutputFormat::Table => {
            print!(
                "{}",
                run_view::show_table(&r, &counts, check.as_ref(), deciders)
            );
            print!("{}", crate::learner_view::snapshots_table(&r, &snaps));
            if let Some(c) = &calibration {
                print!("{}", c.table());
            }
            Ok(())
        }
    }
}

/// The filters of `runs events` as given on the command line.
struct EventsFilter {
    kinds: Vec<String>,
    symbol: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl EventsFilter {
    /// The store's filter: the symbol and times parsed.
    fn parse(&self) -> Result<EventFilter> {
        // A decision is also what a decider said in words (an LLM's reasoning, tool
        // calls, tokens and cost): `--kind decision` shows both kinds of row.
        let mut kinds = self.kinds.clone();
        if kinds.iter().any(|k| k == "decision") && !kinds.iter().any(|k| k == "decided") {
            kinds.push("decided".into());
        }
        Ok(EventFilter {
            kinds,
            symbol: self
                .symbol
                .as_deref()
                .map(|s| Symbol::new(s).with_context(|| format!("--symbol {s:?}")))
                .transpose()?,
            from: self
                .from
                .as_deref()
                .map(|t| parse_bound("from", t, false))
                .transpose()?,
            to: self
                .to
                .as_deref()
                .map(|t| parse_bound("to", t, true))
                .transpose()?,
        })
    }

    /// `tradelab runs events RUN` with these filters, to continue a page.
    fn command(&self, run: &str, limit: Option<usize>) -> String {
        let mut cmd = format!("tradelab runs events {run}");
        for k in &self.kinds {
            cmd.push_str(&format!(" --kind {k}"));
        }
        for (flag, value) in [
            ("symbol", &self.symbol),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = value {
                cmd.push_str(&format!(" --{flag} {v}"));
            }
        }
        if let Some(n) = limit.filter(|n| *n != DEFAULT_EVENTS) {
            cmd.push_str(&format!(" --limit {n}"));
        }
        cmd
    }
}

/// `runs events`: a page of the run's trail (every page with --all), as a table
/// printed page by page, or as one JSON document.
async fn events(
    ctx: &Ctx,
    run: &str,
    filter: &EventsFilter,
    after: Option<i64>,
    limit: Option<usize>,
    output: OutputFormat,
) -> Result<()> {
    let r = ctx.run(run).await?;
    let parsed = filter.parse()?;
    let audit = ctx.store.audit();
    let label = Ctx::label(&r);
    match output {
        OutputFormat::Json => {
            let mut entries = Vec::new();
            let next_after =
                audit_view::read(&audit, ctx.user.id, r.id, &parsed, after, limit, |page| {
                    entries.extend(page);
                    Ok(())
                })
                .await?;
            let shown = audit_view::Shown {
                entries,
                next_after,
            };
            print_json(&audit_view::json(&shown, &label))
        }
        OutputFormat::Table => {
            let mut any = false;
            let mut out = std::io::stdout().lock();
            let next_after =
                audit_view::read(&audit, ctx.user.id, r.id, &parsed, after, limit, |page| {
                    any |= !page.is_empty();
                    out.write_all(audit_view::table(&page).as_bytes())?;
                    Ok(())
                })
                .await?;
            if !any {
                writeln!(out, "no audit entries to show")?;
            }
            if let Some(next) = next_after {
                let hint = audit_view::next_page_hint(&filter.command(&label, limit), next);
                out.write_all(hint.as_bytes())?;
            }
            Ok(())
        }
    }
}

/// `runs equity`: the run's equity curve, a line (or JSON object) per point.
async fn equity(ctx: &Ctx, run: &str, output: OutputFormat) -> Result<()> {
    let r = ctx.run(run).await?;
    let points = ctx.store.audit().equity(ctx.user.id, r.id).await?;
    match output {
        OutputFormat::Json => {
            let points: Vec<serde_json::Value> = points
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "time": crate::display::json_time(p.ts),
                        "equity": p.equity,
                        "invested": p.invested,
                    })
                })
                .collect();
            print_json(&serde_json::json!({ "run": Ctx::label(&r), "points": points }))
        }
        OutputFormat::Table => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<20}  {:>20}  invested", "time", "equity")?;
            for p in &points {
                writeln!(
                    out,
                    "{:<20}  {:>20}  {}",
                    crate::display::bar_time(p.ts),
                    crate::display::amount_f64(p.equity),
                    if p.invested { "yes" } else { "no" }
                )?;
            }
            Ok(())
        }
    }
}

async fn trades(ctx: &Ctx, run: &str, output: OutputFormat) -> Result<()> {
    let r = ctx.run(run).await?;
    let filter = EventFilter {
        kinds: vec!["trade_closed".into()],
        ..EventFilter::default()
    };
    let audit = ctx.store.audit();
    let mut trades: Vec<run_view::TradeView> = Vec::new();
    let mut after = None;
    loop {
        let page = audit
            .page(
                ctx.user.id,
                r.id,
                &filter,
                PageRequest {
                    limit: MAX_PAGE_LIMIT,
                    after,
                },
            )
            .await?;
        trades.extend(page.items.iter().filter_map(|e| match e {
            AuditEvent::Event(e) => Some(run_view::TradeView::from_detail(&e.detail)),
            _ => None,
        }));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    match output {
        OutputFormat::Json => print_json(&serde_json::Value::Array(
            trades.iter().map(run_view::TradeView::json).collect(),
        )),
        OutputFormat::Table => {
            print!("{}", run_view::trades_table(&trades));
            Ok(())
        }
    }
}
