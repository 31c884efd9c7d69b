//! `tradelab data …`: tick aggregation and file inspection.

use crate::args::{AggregateArgs, BadRow, DataCommand, InspectArgs, SessionArg};
use crate::backtest::{csv_options, parse_tz};
use anyhow::{Context, Result};
use std::io::BufWriter;
use tradelab_core::{Symbol, Timeframe};
use tradelab_data::{BadRowPolicy, Session, TickOptions};

/// Runs a data subcommand.
pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Aggregate(a) => aggregate(a),
        DataCommand::Inspect(a) => inspect(a),
    }
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
        on_bad_row: match a.csv.on_bad_row {
            BadRow::Error => BadRowPolicy::Error,
            BadRow::Skip => BadRowPolicy::Skip,
        },
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
    println!("file      {}", a.file.display());
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
