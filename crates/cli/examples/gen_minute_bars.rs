//! Writes a synthetic minute-bar CSV (deterministic random walk, two-decimal prices)
//! for benchmarks: `cargo run --release --example gen_minute_bars -- ROWS OUT.csv`.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let out = args.next().unwrap_or_else(|| "minute_bars.csv".to_string());
    let mut w = BufWriter::new(std::fs::File::create(&out)?);
    writeln!(w, "timestamp,open,high,low,close,volume")?;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut cents: i64 = 300_000;
    // 390 bars per regular session, weekdays only, starting 2019-01-02 09:30 New York (14:30 UTC)
    let mut day: i64 = 17_898;
    let mut minute = 0;
    for _ in 0..rows {
        let r = next();
        let open = cents;
        cents = (cents + (r % 101) as i64 - 50).max(1_000);
        let high = open.max(cents) + ((r >> 16) % 30) as i64;
        let low = open.min(cents) - ((r >> 24) % 30) as i64;
        let volume = 100 + (r >> 32) % 5_000;
        let secs = day * 86_400 + 14 * 3600 + 30 * 60 + minute * 60;
        let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
        let date = civil_from_days(day);
        writeln!(
            w,
            "{date} {h:02}:{m:02}:00,{}.{:02},{}.{:02},{}.{:02},{}.{:02},{volume}",
            open / 100,
            open % 100,
            high / 100,
            high % 100,
            low / 100,
            low % 100,
            cents / 100,
            cents % 100
        )?;
        minute += 1;
        if minute == 390 {
            minute = 0;
            day += 1;
            while matches!((day + 4).rem_euclid(7), 0 | 6) {
                day += 1;
            }
        }
    }
    w.flush()
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
