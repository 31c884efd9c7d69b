//! `tradelab runs …`: start, list, show, audit trail, trades, compare, replay.

use crate::args::OutputFormat;
use crate::backtest::{csv_options, parse_bound, parse_tz, warm_up_note};
use crate::output;
use crate::rules_cmd::load_rules;
use crate::store_args::{RunsCommand, StoreArgs};
use crate::store_ctx::{self, Ctx};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use tradelab_core::{Symbol, Timeframe};
use tradelab_runner::{Finished, Runner, StartRun, compare};
use tradelab_store::Run;

/// Runs a runs subcommand.
pub fn run(cmd: RunsCommand, args: &StoreArgs) -> Result<()> {
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
                        let wanted = if symbols.is_empty() {
                            &m.spec.allowed_symbols
                        } else {
                            &symbols
                        };
                        Runner::new(&ctx.store)
                            .stored_timeframe(ctx.user.id, wanted)
                            .await?
                            .unwrap_or(Timeframe::DAY)
                    }
                };
                let mut req = StartRun::new(m.id, symbols, tf);
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
                let finished = Runner::new(&ctx.store).start(req, Some(progress())).await?;
                let params = tradelab_runner::decider_params(&m.spec.decider);
                if let Ok(d) =
                    tradelab_engine::strategies::build(&m.spec.decider.kind, &params, true)
                {
                    let r = &finished.report;
                    let steps = [("the run", r.bars)];
                    if let Some(note) = warm_up_note(&r.strategy, d.min_bars(), &steps) {
                        eprintln!("{note} bars");
                    }
                }
                print_finished(&finished, output)
            }
            RunsCommand::List { model } => list(&ctx, model.as_deref()).await,
            RunsCommand::Show { run, output } => show(&ctx, &run, output).await,
            RunsCommand::Events { run, kind, limit } => {
                events(&ctx, &run, kind.as_deref(), limit).await
            }
            RunsCommand::Trades { run } => trades(&ctx, &run).await,
            RunsCommand::Compare { runs, output } => {
                let mut list = Vec::new();
                for r in &runs {
                    list.push(ctx.run(r).await?);
                }
                let labels = list.iter().map(Ctx::label).collect();
                let c = compare(&list, labels);
                match output {
                    OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&c)?),
                    OutputFormat::Table => print!("{}", output::comparison_table(&c)),
                }
                Ok(())
            }
            RunsCommand::Replay {
                run,
                rules,
                template,
                output,
                allow_changed_data,
            } => {
                let parent = ctx.run(&run).await?;
                if rules.is_none() && template.is_none() {
                    bail!(
                        "give --rules FILE and/or --template NAME: the rules the replay runs with"
                    );
                }
                let set = load_rules(rules.as_deref(), template.as_deref())?;
                let options = tradelab_runner::ReplayOptions { allow_changed_data };
                let finished = Runner::new(&ctx.store)
                    .replay_with(parent.id, set, options, Some(progress()))
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

fn print_finished(f: &Finished, output: OutputFormat) -> Result<()> {
    match output {
        OutputFormat::Json => {
            let mut v = serde_json::to_value(&f.report)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("run".into(), serde_json::to_value(f.run.id)?);
                o.insert("run_label".into(), Ctx::label(&f.run).into());
                o.insert("run_status".into(), f.run.status.to_string().into());
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
            print!("{}", output::report_table(&f.report, &f.outcome));
        }
    }
    Ok(())
}

async fn list(ctx: &Ctx, model: Option<&str>) -> Result<()> {
    let models = match model {
        Some(m) => vec![ctx.model(m).await?],
        None => ctx.store.models().list_by_owner(ctx.user.id).await?,
    };
    let mut any = false;
    for m in models {
        for r in ctx.store.runs().list_by_model(m.id).await? {
            if !any {
                println!(
                    "{:>5}  {:<20} {:<11} {:<22} {:>10}",
                    "id", "run", "status", "symbols", "return"
                );
            }
            any = true;
            let ret = r
                .summary
                .as_ref()
                .and_then(|s| s.get("total_return_pct"))
                .and_then(serde_json::Value::as_f64)
                .map_or("".into(), |v| format!("{v:>8.2} %"));
            let parent = r
                .parent
                .map_or(String::new(), |p| format!(" (replay of run {p})"));
            println!(
                "{:>5}  {:<20} {:<11} {:<22} {}{}",
                r.id.0,
                Ctx::label(&r),
                r.status.to_string(),
                symbols(&r),
                ret,
                parent
            );
        }
    }
    if !any {
        println!("no runs yet; start one with `tradelab runs start MODEL --data FILE`");
    }
    Ok(())
}

fn symbols(r: &Run) -> String {
    r.symbols
        .iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

async fn show(ctx: &Ctx, run: &str, output: OutputFormat) -> Result<()> {
    let r = ctx.run(run).await?;
    if output == OutputFormat::Json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let counts = ctx.store.audit().counts(r.id).await?;
    println!("run          {} (id {})", Ctx::label(&r), r.id);
    println!(
        "status       {}{}",
        r.status,
        r.status_reason
            .as_deref()
            .map_or(String::new(), |s| format!(" — {s}"))
    );
    if let Some(p) = r.parent {
        println!("replay of    run {p}");
    }
    println!("symbols      {}", symbols(&r));
    println!(
        "strategy     {} {}",
        r.snapshot.decider.kind, r.snapshot.decider.params
    );
    println!(
        "rules        {}",
        r.snapshot
            .rules
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("execution    {}", r.snapshot.fill_model);
    println!(
        "data         {}",
        r.snapshot.data_fingerprint.as_deref().unwrap_or("-")
    );
    println!("audit        {counts:?}");
    if let Some(s) = &r.summary {
        for key in [
            "final_equity",
            "total_return_pct",
            "sharpe",
            "max_drawdown_pct",
            "closed_trades",
            "open_trades",
        ] {
            if let Some(v) = s.get(key) {
                println!("{key:<12} {v}");
            }
        }
    }
    Ok(())
}

async fn events(ctx: &Ctx, run: &str, kind: Option<&str>, limit: usize) -> Result<()> {
    let r = ctx.run(run).await?;
    let audit = ctx.store.audit();
    let mut lines: Vec<(i64, String, String)> = Vec::new();
    let want = |k: &str| kind.is_none_or(|w| w == k);
    if want("decision") {
        for d in audit.decisions(r.id).await? {
            let sym = d.symbol.as_ref().map_or("", Symbol::as_str);
            lines.push((
                d.ts.nanos(),
                "decision".into(),
                format!("{sym} {} — {}", d.action, d.reasoning),
            ));
        }
    }
    if want("order") {
        for o in audit.orders(r.id).await? {
            let why = o
                .reject_reason
                .map(|x| format!(": {x}"))
                .unwrap_or_default();
            lines.push((
                o.ts.nanos(),
                "order".into(),
                format!(
                    "#{} {} {} {} {}{why}",
                    o.order_id.unwrap_or(0),
                    o.status,
                    o.side,
                    o.symbol,
                    o.sizing
                ),
            ));
        }
    }
    if want("fill") {
        for f in audit.fills(r.id).await? {
            lines.push((
                f.ts.nanos(),
                "fill".into(),
                format!(
                    "#{} {} {} {} @ {} (commission {})",
                    f.order_id.0, f.side, f.qty, f.symbol, f.price, f.commission
                ),
            ));
        }
    }
    for e in audit.events(r.id).await? {
        if want(&e.kind) {
            lines.push((e.ts.nanos(), e.kind.clone(), e.detail.to_string()));
        }
    }
    lines.sort_by_key(|l| l.0);
    let total = lines.len();
    for (ts, kind, text) in lines.into_iter().take(limit) {
        println!(
            "{}  {:<12} {}",
            tradelab_core::Timestamp::from_nanos(ts).display_auto(),
            kind,
            text
        );
    }
    if total > limit {
        println!("… {} more (use --limit)", total - limit);
    }
    Ok(())
}

async fn trades(ctx: &Ctx, run: &str) -> Result<()> {
    let r = ctx.run(run).await?;
    let events = ctx.store.audit().events(r.id).await?;
    println!(
        "{:<8} {:<5} {:>10} {:<22} {:<22} {:>12} {:>12} {:>12} {:>9}",
        "symbol", "side", "qty", "entry", "exit", "entry px", "exit px", "pnl", "return"
    );
    let mut n = 0;
    for e in events.iter().filter(|e| e.kind == "trade_closed") {
        let d = &e.detail;
        let get = |k: &str| d.get(k).cloned().unwrap_or_default();
        let text = |k: &str| {
            get(k)
                .as_str()
                .map_or_else(|| get(k).to_string(), str::to_string)
        };
        let qty: f64 = text("qty").parse().unwrap_or(0.0);
        let ts = |k: &str| {
            get(k)
                .as_i64()
                .map(|n| tradelab_core::Timestamp::from_nanos(n).display_auto())
                .unwrap_or_default()
        };
        println!(
            "{:<8} {:<5} {:>10} {:<22} {:<22} {:>12} {:>12} {:>12} {:>8.2}%",
            text("symbol"),
            if qty >= 0.0 { "long" } else { "short" },
            qty.abs(),
            ts("entry_ts"),
            ts("exit_ts"),
            trim(&text("entry_price")),
            trim(&text("exit_price")),
            trim(&text("pnl")),
            get("return_pct").as_f64().unwrap_or(0.0)
        );
        n += 1;
    }
    println!("{n} closed trade(s)");
    Ok(())
}

/// Decimal text shortened to 4 decimals for the table.
fn trim(s: &str) -> String {
    s.parse::<rust_decimal::Decimal>()
        .map(|d| d.round_dp(4).normalize().to_string())
        .unwrap_or_else(|_| s.to_string())
}
