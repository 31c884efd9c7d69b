//! `tradelab calendar`: an exchange's trading days and sessions over a range of dates.

use crate::args::OutputFormat;
use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use tradelab_calendar::{Calendar, Exchange, Session, TradingDay};

/// How many days the default range covers, from today on.
const DEFAULT_DAYS: i64 = 30;

/// The longest range printed at once (a little over ten years).
const MAX_RANGE_DAYS: i32 = 3700;

/// An exchange as the flag names it.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeArg {
    /// NYSE (Nasdaq trades the same calendar), America/New_York times.
    Nyse,
    /// Crypto: every day, 00:00–24:00 UTC.
    Crypto,
}

impl From<ExchangeArg> for Exchange {
    fn from(e: ExchangeArg) -> Exchange {
        match e {
            ExchangeArg::Nyse => Exchange::Nyse,
            ExchangeArg::Crypto => Exchange::Crypto,
        }
    }
}

/// `tradelab calendar [--exchange nyse|crypto] [--from DATE] [--to DATE] [--output table|json]`.
#[derive(Args, Debug)]
pub struct CalendarArgs {
    /// The exchange whose calendar to print.
    #[arg(long, value_enum, default_value_t = ExchangeArg::Nyse)]
    pub exchange: ExchangeArg,
    /// First date, YYYY-MM-DD, on the exchange's clock (default: today there).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last date, YYYY-MM-DD, included (default: 30 days after --from).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Report format: a table for people, or JSON (one object per trading day) for
    /// programs.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// A date flag's value, or an error naming the flag.
fn date_flag(flag: &str, text: &str) -> Result<Date> {
    text.trim()
        .parse::<Date>()
        .map_err(|e| anyhow!("{flag} {text:?} is not a date: use YYYY-MM-DD ({e})"))
}

/// Prints the trading days of the range.
pub fn run(args: &CalendarArgs) -> Result<()> {
    let calendar = Calendar::new(args.exchange.into())?;
    let from = match &args.from {
        Some(text) => date_flag("--from", text)?,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(calendar.time_zone().clone())
            .date(),
    };
    let to = match &args.to {
        Some(text) => date_flag("--to", text)?,
        None => from
            .checked_add(jiff::Span::new().days(DEFAULT_DAYS))
            .context("--from is too late for a 30-day range")?,
    };
    if from > to {
        return Err(anyhow!("--from {from} is after --to {to}"));
    }
    let span = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if span > MAX_RANGE_DAYS {
        return Err(anyhow!(
            "--from {from} to --to {to} spans {span} days; print at most {MAX_RANGE_DAYS} at once"
        ));
    }
    let days = calendar.trading_days(from, to)?;
    match args.output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&days)?),
        OutputFormat::Table => print_table(&calendar, &days),
    }
    Ok(())
}

fn span_text(session: Option<&Session>) -> String {
    session.map_or_else(
        || "-".to_string(),
        |s| format!("{}–{}", s.open_local, s.close_local),
    )
}

fn print_table(calendar: &Calendar, days: &[TradingDay]) {
    println!(
        "{} trading days ({} time)",
        calendar.exchange(),
        calendar.exchange().time_zone_name()
    );
    println!(
        "{:<10}  {:<3}  {:<11}  {:<11}  {:<11}  NOTE",
        "DATE", "DAY", "REGULAR", "PRE", "AFTER"
    );
    for day in days {
        let weekday = day.date.strftime("%A").to_string();
        let line = format!(
            "{:<10}  {:<3}  {:<11}  {:<11}  {:<11}  {}",
            day.date,
            &weekday[..3],
            span_text(Some(&day.regular)),
            span_text(day.pre.as_ref()),
            span_text(day.after.as_ref()),
            day.early_close.map(|e| e.name()).unwrap_or("")
        );
        println!("{}", line.trim_end());
    }
    if days.is_empty() {
        println!("(no trading days in the range)");
    }
}
