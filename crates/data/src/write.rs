//! Writing aggregated bars as CSV.

use crate::aggregate::AggBar;
use crate::timeparse::{NANOS_PER_DAY, NANOS_PER_SEC, civil_from_days};
use std::io::{self, Write};

/// Writes bars as CSV with header `timestamp,open,high,low,close,volume,trades,vwap`.
///
/// Timestamps are RFC 3339 in UTC (`2013-09-01T21:00:00Z`), or `YYYY-MM-DD` when
/// `daily`; numbers use the shortest text that reads back to the same `f64`; `vwap`
/// is empty when the bar has none. Output is buffered internally.
pub fn write_agg_csv(w: impl Write, bars: &[AggBar], daily: bool) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    writeln!(w, "timestamp,open,high,low,close,volume,trades,vwap")?;
    for a in bars {
        let b = &a.bar;
        let ns = b.ts().nanos();
        let days = ns.div_euclid(NANOS_PER_DAY);
        let tod = ns.rem_euclid(NANOS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        if daily {
            write!(w, "{y:04}-{m:02}-{d:02}")?;
        } else if tod % NANOS_PER_SEC == 0 {
            let s = tod / NANOS_PER_SEC;
            write!(
                w,
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s / 60 % 60,
                s % 60
            )?;
        } else {
            write!(w, "{}", b.ts())?;
        }
        write!(
            w,
            ",{},{},{},{},{},{},",
            b.open(),
            b.high(),
            b.low(),
            b.close(),
            b.volume(),
            a.trades
        )?;
        if let Some(v) = a.vwap {
            write!(w, "{v}")?;
        }
        writeln!(w)?;
    }
    w.flush()
}
