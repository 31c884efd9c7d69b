//! The timeframe of imported bars: detected from their spacing, or a declared one
//! checked against it, so bars are never filed under the wrong length. Shared by the
//! CLI's `data import` and the API's upload; `flag` names the setting in messages
//! (`--timeframe`, `timeframe`).

use tradelab_core::{BarSeries, Timeframe};

/// The bar length of a series: 1d for dates, else the median spacing of its bars.
pub fn detect_timeframe(series: &[BarSeries], flag: &str) -> Result<Timeframe, String> {
    if series.iter().all(BarSeries::is_daily) {
        return Ok(Timeframe::DAY);
    }
    let mut gaps: Vec<i64> = series
        .iter()
        .flat_map(|s| {
            s.bars()
                .windows(2)
                .map(|w| w[1].ts().nanos() - w[0].ts().nanos())
        })
        .collect();
    gaps.sort_unstable();
    let median = gaps.get(gaps.len() / 2).copied().unwrap_or(60_000_000_000);
    Timeframe::from_secs(median / 1_000_000_000)
        .ok_or_else(|| format!("cannot tell the bar timeframe from the data; pass {flag}"))
}

/// A declared timeframe must fit the bars of `name`: bars of one symbol at least one
/// bar apart, else the file holds shorter bars and would be filed under the wrong
/// length; and not all much farther apart, else they are longer bars (daily bars
/// declared as `1m`; the rule is [`tradelab_store::spacing_mismatch`]).
pub fn check_timeframe(
    name: &str,
    series: &[BarSeries],
    tf: Timeframe,
    flag: &str,
) -> Result<(), String> {
    for s in series {
        if let Some(w) = s
            .bars()
            .windows(2)
            .find(|w| w[1].ts().nanos() - w[0].ts().nanos() < tf.nanos())
        {
            let looks = detect_timeframe(series, flag).map_or_else(
                |_| format!("leave {flag} out to detect it"),
                |d| format!("pass {flag} {d} or leave it out"),
            );
            return Err(format!(
                "{flag} {tf} does not fit {name}: {} has bars at {} and {}, less than {tf} \
                 apart; {looks}",
                s.symbol(),
                w[0].ts(),
                w[1].ts()
            ));
        }
        if let Some(m) = tradelab_store::spacing_mismatch(s.bars().iter().map(|b| b.ts()), tf) {
            return Err(format!(
                "{flag} {tf} does not fit {name}: its {} {m}; pass {flag} {} or leave it out",
                s.symbol(),
                m.inferred()
            ));
        }
    }
    Ok(())
}
