//! Writes a CSV of daily bars whose log returns follow an AR(1), for trying
//! `tradelab learn evaluate` on a series with a known edge:
//! `cargo run -p tradelab-learner --example ar1_csv -- ar1.csv [PHI] [BARS] [SEED]`
//! (defaults 0.3, 5000, 8; PHI 0 gives pure noise).

use std::fmt::Write;
use std::process::ExitCode;
use tradelab_learner::synth::ar1_series;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: ar1_csv FILE [PHI] [BARS] [SEED]");
        return ExitCode::FAILURE;
    };
    let arg = |i: usize, default: &str| args.get(i).map_or(default.to_string(), |s| s.clone());
    let (Ok(phi), Ok(n), Ok(seed)) = (
        arg(1, "0.3").parse::<f64>(),
        arg(2, "5000").parse::<usize>(),
        arg(3, "8").parse::<u64>(),
    ) else {
        eprintln!("PHI is a number, BARS and SEED whole numbers");
        return ExitCode::FAILURE;
    };
    let series = match ar1_series("AR", n, phi, seed) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    for b in series.bars() {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{}",
            b.ts().date_string(),
            b.open(),
            b.high(),
            b.low(),
            b.close(),
            b.volume()
        );
    }
    if let Err(e) = std::fs::write(path, text) {
        eprintln!("cannot write {path}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
