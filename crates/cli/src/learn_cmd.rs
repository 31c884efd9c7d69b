//! `tradelab learn evaluate`: walk-forward evaluation of the online learner on one
//! symbol's bars, per fold and overall, against the base rate and buy-and-hold.

use crate::args::{CsvArgs, OutputFormat};
use crate::backtest::{csv_options, parse_tz, report_import};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::fmt::Write;
use std::path::PathBuf;
use tradelab_core::Symbol;
use tradelab_learner::LearnerConfig;
use tradelab_learner::evaluate::{Evaluation, Figures, evaluate};

/// `tradelab learn …`.
#[derive(Subcommand, Debug)]
pub enum LearnCommand {
    /// Walk-forward evaluation: learn on the bars before each fold, predict the fold
    /// without learning from it, roll on; accuracy, Brier, log loss, ECE and trading
    /// figures per fold and overall, against the base rate and buy-and-hold.
    ///
    /// Example: tradelab learn evaluate --data data/sample/stocks_daily_2000-2013.csv
    /// --symbol AAPL --folds 5
    Evaluate(EvaluateArgs),
}

/// Arguments of `tradelab learn evaluate`.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// CSV file of bars.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The symbol to evaluate on (names the bars of a file without a symbol column).
    #[arg(long, value_name = "SYM")]
    pub symbol: String,
    /// Test folds after the first training window (the bars are cut into folds + 1
    /// equal parts).
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub folds: usize,
    /// A learner parameter, `name=value` (repeatable; see `tradelab strategies`).
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    #[command(flatten, next_help_heading = "CSV options")]
    pub csv: CsvArgs,
}

/// Runs a `learn` command.
pub fn run(cmd: LearnCommand) -> Result<()> {
    match cmd {
        LearnCommand::Evaluate(a) => evaluate_cmd(&a),
    }
}

fn evaluate_cmd(a: &EvaluateArgs) -> Result<()> {
    let mut params = Vec::new();
    for p in &a.params {
        match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                params.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => bail!("--param {p:?} is not of the form name=value"),
        }
    }
    let cfg = LearnerConfig::from_params(&params).map_err(|e| anyhow::anyhow!("{e}"))?;
    let symbol = Symbol::new(&a.symbol).with_context(|| format!("--symbol {:?}", a.symbol))?;
    let tz = parse_tz(&a.csv.tz)?;
    let loaded =
        tradelab_data::load_bars(&a.data, &csv_options(&a.csv, &tz, Some(symbol.clone())))?;
    report_import(&a.data, &loaded.report);
    let Some(series) = loaded.series.iter().find(|s| *s.symbol() == symbol) else {
        let known: Vec<&str> = loaded.series.iter().map(|s| s.symbol().as_str()).collect();
        bail!(
            "symbol {symbol} is not in {}; available: {}",
            a.data.display(),
            known.join(", ")
        );
    };
    let e = evaluate(series, &cfg, a.folds)?;
    match a.output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&e)?),
        OutputFormat::Table => print!("{}", table(&e)),
    }
    Ok(())
}

fn pct(v: f64) -> String {
    format!("{:+.2}%", v * 100.0)
}

fn row(t: &mut String, label: &str, period: &str, f: &Figures) {
    let _ = writeln!(
        t,
        "{label:<8} {period:<23} {:>6}  {:>8.4}  {:>8.4}  {:>8.4}  {:>8.4}  {:>6.4}  {:>9}  {:>9}  {:>5.1}%",
        f.samples,
        f.accuracy,
        f.base_accuracy,
        f.brier,
        f.base_brier,
        f.ece,
        pct(f.strategy_return),
        pct(f.buy_and_hold_return),
        f.exposure * 100.0
    );
}

/// The evaluation as a table for people.
fn table(e: &Evaluation) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Walk-forward evaluation of the online learner on {} ({} bars, label {} bar{} ahead)\n",
        e.symbol,
        e.bars,
        e.horizon,
        if e.horizon == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        t,
        "{:<8} {:<23} {:>6}  {:>8}  {:>8}  {:>8}  {:>8}  {:>6}  {:>9}  {:>9}  {:>6}",
        "fold",
        "test period",
        "tests",
        "accuracy",
        "base acc",
        "Brier",
        "base Br",
        "ECE",
        "strategy",
        "buy&hold",
        "long"
    );
    for f in &e.folds {
        let period = format!("{} – {}", f.from, f.to);
        row(&mut t, &f.fold.to_string(), &period, &f.figures);
    }
    row(&mut t, "overall", "", &e.overall);
    let o = &e.overall;
    match &o.classes {
        Some(c) => {
            let _ = writeln!(
                t,
                "\nthree classes (up / flat / down, dead band in units of realised volatility): \
                 test shares down {:.3}, flat {:.3}, up {:.3}",
                c.down, c.flat, c.up
            );
            let _ = writeln!(
                t,
                "base acc is the majority class of training; Brier sums over the three classes \
                 (base Br: predicting training's class shares); ECE is for the up class"
            );
            let _ = writeln!(t, "log loss {:.4} (a uniform third: 1.0986)", o.log_loss);
            if let (Some(d), Some(m)) = (o.direction_accuracy, o.moves) {
                let _ = writeln!(
                    t,
                    "direction: the more likely of up and down called {:.4} of the {m} moves \
                     outside the band (a coin: 0.5, ±{:.4} at two standard errors)",
                    d,
                    2.0 * (0.25 / m.max(1) as f64).sqrt()
                );
            }
        }
        None => {
            let _ = writeln!(t, "\nlog loss {:.4} (a coin: 0.6931)", o.log_loss);
        }
    }
    let beats = o.brier < o.base_brier && o.accuracy > o.base_accuracy;
    // Three classes: telling flat from a move is not an edge unless the direction is
    // called better than a coin (by two standard errors).
    let direction = match (o.direction_accuracy, o.moves) {
        (Some(d), Some(m)) => Some(d - 0.5 > 2.0 * (0.25 / m.max(1) as f64).sqrt()),
        _ => None,
    };
    let verdict = match (beats, direction) {
        (true, None | Some(true)) => "the learner beats the base rate out of sample",
        (true, Some(false)) => {
            "the learner's probabilities beat the class shares, but it calls the direction \
             of the moves no better than a coin: no trading edge out of sample"
        }
        (false, _) => "no edge over the base rate out of sample",
    };
    let _ = writeln!(t, "{verdict}");
    t
}
