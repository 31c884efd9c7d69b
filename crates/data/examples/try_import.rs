//! Imports a file and prints the report (development aid).
use std::time::Instant;
use tradelab_data::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::Path::new(&args[2]);
    let t = Instant::now();
    if args[1] == "bars" {
        match load_bars(path, &CsvOptions::default()) {
            Ok(l) => {
                println!("{:?}", t.elapsed());
                println!("{:#?}", l.report);
                for s in &l.series {
                    println!(
                        "{} {} first {:?} last {:?}",
                        s.symbol(),
                        s.len(),
                        s.bars()[0],
                        s.bars()[s.len() - 1]
                    );
                }
            }
            Err(e) => println!("error: {e}"),
        }
    } else {
        match load_ticks_with_report(path, &TickOptions::default()) {
            Ok(l) => {
                println!("{:?}", t.elapsed());
                println!("{:#?} {} {:?}", l.report, l.ticks.len(), l.ticks.first());
                let t = Instant::now();
                let a = aggregate_ticks(&l.ticks, "1m".parse().unwrap(), Session::All);
                println!("agg {:?} {}", t.elapsed(), a.len());
            }
            Err(e) => println!("error: {e}"),
        }
    }
}
