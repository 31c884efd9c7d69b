//! `tradelab data …`: tick aggregation, file inspection, and bars in the store (news:
//! `news_cmd`).

use crate::args::{AggregateArgs, DataCommand, InspectArgs, OutputFormat, SessionArg};
use crate::backtest::{csv_options, parse_tz};
use crate::display;
use crate::store_args::{DataListArgs, StoreArgs};
use crate::store_ctx::{self, Ctx};
use anyhow::{Context, Result};
use std::io::BufWriter;
use tradelab_core::{Symbol, Timeframe};
use tradelab_data::{Session, TickOptions};
use tradelab_store::{ImportMode, PageRequest};

/// Runs a data subcommand.
pub fn run(cmd: DataCommand, store: &StoreArgs) -> Result<()> {
    match cmd {
        DataCommand::Aggregate(a) => aggregate(a),
        DataCommand::Inspect(a) => inspect(a),
        DataCommand::Import(a) => store_ctx::runtime()?.block_on(async {
            let ctx = store_ctx::open(store).await?;
            let tz = parse_tz(&a.csv.tz)?;
            let symbol = a
                .symbol
                .as_deref()
                .map(Symbol::new)
                .transpose()
                .context("--symbol")?;
            let tf = a
                .timeframe
                .as_deref()
                .map(|t| {
                    t.parse::<Timeframe>()
                        .with_context(|| format!("--timeframe {t:?}"))
                })
                .transpose()?;
            let steps = crate::backtest::lot_steps(&a.lot_steps)?;
            import_file(
                &ctx,
                &a.file,
                &csv_options(&a.csv, &tz, symbol),
                tf,
                a.replace,
            )
            .await?;
            for (symbol, step) in steps {
                ctx.store
                    .bars()
                    .set_lot_step_as(&ctx.user, &symbol, step)
                    .await?;
                println!("{symbol}: lot step {step}");
            }
            Ok(())
        }),
        DataCommand::Providers(a) => crate::fetch_cmd::providers(&a),
        DataCommand::Fetch(a) => crate::fetch_cmd::fetch(&a, store),
        DataCommand::Delete(a) => store_ctx::runtime()?.block_on(async {
            let ctx = store_ctx::open(store).await?;
            delete(&ctx, &a).await
        }),
        DataCommand::List(a) => store_ctx::runtime()?.block_on(async {
            let ctx = store_ctx::open(store).await?;
            list(&ctx, a).await
        }),
        DataCommand::ImportNews(a) => store_ctx::runtime()?.block_on(async {
            let ctx = store_ctx::open(store).await?;
            crate::news_cmd::import(&ctx, &a).await
        }),
        DataCommand::News(a) => store_ctx::runtime()?.block_on(async {
            let ctx = store_ctx::open(store).await?;
            crate::news_cmd::list(&ctx, &a).await
        }),
    }
}

/// `data list`: one page of the series the user sees, by symbol then timeframe; the
/// table ends with the command for the next page.
async fn list(ctx: &Ctx, a: DataListArgs) -> Result<()> {
    let request = PageRequest {
        limit: a.limit,
        after: a.after.clone(),
    };
    let page = ctx
        .store
        .bars()
        .list_series_for(ctx.user.id, request)
        .await?;
    let next_after = page.next_after.as_ref().map(ToString::to_string);
    let access = |private: bool| if private { "private" } else { "shared" };
    match a.output {
        OutputFormat::Json => {
            let items: Vec<serde_json::Value> = page
                .items
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "symbol": s.symbol.as_str(),
                        "timeframe": s.timeframe.to_string(),
                        "bars": s.bars,
                        "first": display::json_time(s.first),
                        "last": display::json_time(s.last),
                        "access": access(s.owner.is_some()),
                    })
                })
                .collect();
            let v = serde_json::json!({ "items": items, "next_after": next_after });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Table if page.items.is_empty() && a.after.is_some() => {
            println!("no more series");
        }
        OutputFormat::Table if page.items.is_empty() => {
            println!("no stored bars; import a file with `tradelab data import FILE`");
        }
        OutputFormat::Table => {
            println!(
                "{:<10} {:>9} {:>10}  {:<20}  {:<20}  access",
                "symbol", "timeframe", "bars", "first", "last"
            );
            for s in &page.items {
                println!(
                    "{:<10} {:>9} {:>10}  {:<20}  {:<20}  {}",
                    s.symbol.as_str(),
                    s.timeframe.to_string(),
                    display::count(s.bars),
                    display::bar_time(s.first),
                    display::bar_time(s.last),
                    access(s.owner.is_some())
                );
            }
            if let Some(next) = next_after {
                println!(
                    "more series: tradelab data list --limit {} --after {next}",
                    a.limit
                );
            }
        }
    }
    Ok(())
}

/// Imports a bar file into the store, idempotently, and says what changed; returns the
/// timeframe the bars were filed under (`timeframe`, or detected from the file).
pub async fn import_file(
    ctx: &store_ctx::Ctx,
    file: &std::path::Path,
    opts: &tradelab_data::CsvOptions,
    timeframe: Option<Timeframe>,
    replace: bool,
) -> Result<Timeframe> {
    let loaded = tradelab_data::load_bars(file, opts)?;
    crate::backtest::report_import(file, &loaded.report);
    let tf = match timeframe {
        Some(t) => {
            tradelab_runner::check_timeframe(
                &file.display().to_string(),
                &loaded.series,
                t,
                "--timeframe",
            )
            .map_err(anyhow::Error::msg)?;
            t
        }
        None => tradelab_runner::detect_timeframe(&loaded.series, "--timeframe")
            .map_err(anyhow::Error::msg)?,
    };
    let mode = if replace {
        ImportMode::Replace
    } else {
        ImportMode::KeepExisting
    };
    for s in &loaded.series {
        let r = ctx
            .store
            .bars()
            .import_series_as(&ctx.user, s, tf, mode)
            .await?;
        let what = if r.inserted == 0 && r.conflicting == 0 && r.replaced == 0 {
            "nothing new".to_string()
        } else {
            format!("{} new", r.inserted)
        };
        println!(
            "{} {} {}: {what}, {} unchanged, {} conflicting, {} replaced",
            file.display(),
            s.symbol(),
            tf,
            r.unchanged,
            r.conflicting,
            r.replaced
        );
        if r.damaged_chunks > 0 {
            eprintln!(
                "  note: {} stored chunk(s) of {} could not be read (damaged) and were rewritten from this file; their other bars are gone",
                r.damaged_chunks,
                s.symbol()
            );
        }
        for c in r.conflicts.iter().take(5) {
            eprintln!(
                "  conflict at {}: stored close {} vs file close {} (kept the stored bar; --replace to overwrite)",
                c.ts.display_auto(),
                c.stored.bar.close(),
                c.incoming.bar.close()
            );
        }
    }
    Ok(tf)
}

/// `tradelab data delete`: removes a series, or its bars in `--from ..= --to`; refused
/// while runs read them unless `--force`, and for shared bars unless an admin asks.
async fn delete(ctx: &store_ctx::Ctx, a: &crate::store_args::DeleteArgs) -> Result<()> {
    let symbol = Symbol::new(&a.symbol).context("--symbol")?;
    let tf = a
        .timeframe
        .parse::<Timeframe>()
        .with_context(|| format!("--timeframe {:?}", a.timeframe))?;
    let from = a
        .from
        .as_deref()
        .map(|t| crate::backtest::parse_bound("from", t, false))
        .transpose()?;
    let to =
        a.to.as_deref()
            .map(|t| crate::backtest::parse_bound("to", t, true))
            .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        anyhow::bail!(
            "--from {} is after --to {}: nothing to delete",
            a.from.as_deref().unwrap_or_default(),
            a.to.as_deref().unwrap_or_default()
        );
    }
    let r = match ctx
        .store
        .bars()
        .delete_as(&ctx.user, &symbol, tf, from, to, a.force)
        .await
    {
        Ok(r) => r,
        Err(tradelab_store::StoreError::Conflict { what, message })
            if what == tradelab_store::BARS_IN_USE =>
        {
            anyhow::bail!("{message}; pass --force to delete them anyway")
        }
        Err(tradelab_store::StoreError::NotFound { .. }) => anyhow::bail!(
            "no stored {tf} bars of {symbol} to delete; `tradelab data list` shows what is stored"
        ),
        Err(e) => return Err(e.into()),
    };
    let scope = if r.owner.is_some() {
        "private"
    } else {
        "shared"
    };
    match a.output {
        crate::args::OutputFormat::Json => {
            let runs: Vec<serde_json::Value> = r
                .runs
                .iter()
                .map(|u| serde_json::json!({"run": u.run, "label": u.label}))
                .collect();
            let doc = serde_json::json!({
                "symbol": r.symbol,
                "timeframe": r.timeframe.to_string(),
                "scope": scope,
                "from": from.map(|t| t.to_string()),
                "to": to.map(|t| t.to_string()),
                "deleted_bars": r.deleted,
                "remaining_bars": r.remaining,
                "runs_reading_deleted_bars": runs,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        crate::args::OutputFormat::Table => {
            println!(
                "deleted {} {} {tf} bars ({scope}); {} left",
                r.deleted, r.symbol, r.remaining
            );
            if !r.runs.is_empty() {
                let labels: Vec<&str> = r.runs.iter().map(|u| u.label.as_str()).collect();
                println!(
                    "runs that read them (their replays now refuse): {}",
                    labels.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn aggregate(a: AggregateArgs) -> Result<()> {
    let tf: Timeframe = a
        .timeframe
        .parse()
        .with_context(|| format!("--timeframe {:?}", a.timeframe))?;
    let tz = parse_tz(&a.csv.tz)?;
    let opts = TickOptions {
        date_column: a.csv.date_column.clone(),
        date_format: a.csv.date_format.clone(),
        tz,
        on_bad_row: a.csv.on_bad_row.into(),
        delimiter: a.csv.delimiter.map(Into::into),
    };
    let loaded = tradelab_data::load_ticks_with_report(&a.ticks, &opts)?;
    crate::backtest::report_import(&a.ticks, &loaded.report);
    let ticks = loaded.ticks;
    let session = match a.session {
        SessionArg::All => Session::All,
        SessionArg::Regular => Session::Regular,
        SessionArg::Pre => Session::Pre,
        SessionArg::After => Session::After,
        SessionArg::Extended => Session::Extended,
    };
    let bars = tradelab_data::aggregate_ticks(&ticks, tf, session);
    let file = std::fs::File::create(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    tradelab_data::write_agg_csv(BufWriter::new(file), &bars, tf == Timeframe::DAY)
        .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "{} ticks → {} {} bars written to {}",
        ticks.len(),
        bars.len(),
        tf,
        a.out.display()
    );
    Ok(())
}

fn inspect(a: InspectArgs) -> Result<()> {
    let tz = parse_tz(&a.csv.tz)?;
    let symbol = a
        .symbol
        .as_deref()
        .map(Symbol::new)
        .transpose()
        .context("--symbol")?;
    let loaded = tradelab_data::load_bars(&a.file, &csv_options(&a.csv, &tz, symbol))?;
    let r = &loaded.report;
    crate::backtest::symbol_note(r);
    if a.output == OutputFormat::Json {
        let skipped: Vec<serde_json::Value> = r
            .skipped
            .iter()
            .map(|k| serde_json::json!({"line": k.line, "reason": k.reason}))
            .collect();
        let series: Vec<serde_json::Value> = loaded
            .series
            .iter()
            .filter_map(|s| {
                let (first, last) = (s.bars().first()?, s.bars().last()?);
                Some(serde_json::json!({
                    "symbol": s.symbol().as_str(),
                    "bars": s.len(),
                    "first": display::json_time(first.ts()),
                    "last": display::json_time(last.ts()),
                }))
            })
            .collect();
        let doc = serde_json::json!({
            "file": a.file.display().to_string(),
            "delimiter": r.delimiter.to_string(),
            "columns": r.columns,
            "rows_read": r.rows_read,
            "bars": r.bars,
            "skipped": skipped,
            "was_unsorted": r.was_unsorted,
            "kind": if r.daily { "daily" } else { "intraday" },
            "series": series,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("file      {}", a.file.display());
    println!("delimiter {}", r.delimiter);
    println!("columns   {}", r.columns);
    println!(
        "rows      {} read, {} bars, {} skipped{}",
        r.rows_read,
        r.bars,
        r.skipped.len(),
        if r.was_unsorted {
            ", input was unsorted (sorted)"
        } else {
            ""
        }
    );
    println!(
        "kind      {}",
        if r.daily {
            "daily bars"
        } else {
            "intraday bars"
        }
    );
    for s in &loaded.series {
        let (Some(first), Some(last)) = (s.bars().first(), s.bars().last()) else {
            continue;
        };
        println!(
            "{:<8}  {:>7} bars  {} → {}",
            s.symbol().as_str(),
            s.len(),
            first.ts().display_auto(),
            last.ts().display_auto()
        );
    }
    Ok(())
}
