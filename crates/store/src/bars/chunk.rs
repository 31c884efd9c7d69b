//! The bar chunk: one stored row holding the bars of a UTC day (below `1d`) or a
//! UTC year (`1d` and longer), and its binary layout.

use super::{SeriesKey, StoredBar};
use crate::db::RowExt;
use crate::error::{Result, StoreError};
use tradelab_core::{Bar, Timeframe, Timestamp};

// Storage: `bar_chunks`, one row per series and chunk. A chunk holds the bars of one
// UTC day for timeframes below `1d` (at most 1,440 minute bars, 86,400 second bars)
// and of one UTC calendar year for `1d` and longer (about 250–366 daily bars), so a
// chunk stays between a few and ~100 KB for the common timeframes and a range load
// reads few rows. `data` is a blob:
//
//   byte 0        format version (BAR_FORMAT_V1)
//   then n_bars records of BAR_RECORD bytes each, oldest first, little-endian:
//     ts_ns i64 | open f64 | high f64 | low f64 | close f64 | volume f64
//     | trades i64 (NO_TRADES = None) | vwap f64 (NaN = None)
//
// Trade counts are validated non-negative and VWAPs finite, so the sentinels never
// collide with a value.

/// Version byte of the bar chunk layout described above.
pub(super) const BAR_FORMAT_V1: u8 = 1;
/// Bytes per bar record in a chunk.
pub(super) const BAR_RECORD: usize = 64;
/// Stored trade count meaning "none".
pub(super) const NO_TRADES: i64 = i64::MIN;
/// Nanoseconds in a day.
pub(super) const DAY_NS: i64 = 86_400_000_000_000;
/// Start of the chunk holding a bar at `ts_ns`: its UTC day below `1d`, its UTC year
/// from `1d` on.
pub(crate) fn chunk_start(timeframe: Timeframe, ts_ns: i64) -> i64 {
    let day = ts_ns.div_euclid(DAY_NS);
    let first_day = if timeframe.nanos() < DAY_NS {
        day
    } else {
        days_from_civil(civil_year(day), 1, 1)
    };
    first_day.saturating_mul(DAY_NS)
}

/// The proleptic Gregorian year of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
pub(super) fn civil_year(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One stored (or to-be-stored) chunk row.
pub(super) struct Chunk {
    pub(super) start: i64,
    pub(super) n: i64,
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) data: Vec<u8>,
}

impl Chunk {
    /// Encodes bars (non-empty, in time order, all in the chunk at `start`).
    pub(super) fn encode(start: i64, bars: &[StoredBar]) -> Chunk {
        let mut data = Vec::with_capacity(1 + bars.len() * BAR_RECORD);
        data.push(BAR_FORMAT_V1);
        for b in bars {
            data.extend_from_slice(&b.bar.ts().nanos().to_le_bytes());
            for v in [
                b.bar.open(),
                b.bar.high(),
                b.bar.low(),
                b.bar.close(),
                b.bar.volume(),
            ] {
                data.extend_from_slice(&v.to_le_bytes());
            }
            data.extend_from_slice(&b.trades.unwrap_or(NO_TRADES).to_le_bytes());
            data.extend_from_slice(&b.vwap.unwrap_or(f64::NAN).to_le_bytes());
        }
        Chunk {
            start,
            n: bars.len() as i64,
            first: bars.first().map_or(start, |b| b.bar.ts().nanos()),
            last: bars.last().map_or(start, |b| b.bar.ts().nanos()),
            data,
        }
    }

    /// Reads a chunk row.
    pub(super) fn from_row(row: &impl RowExt) -> Result<Chunk> {
        Ok(Chunk {
            start: row.i64("chunk_start_ns")?,
            n: row.i64("n_bars")?,
            first: row.i64("first_ts_ns")?,
            last: row.i64("last_ts_ns")?,
            data: row.bytes("data")?,
        })
    }

    /// Decodes and checks the bars of the chunk; `series` names it in errors. Bars
    /// with `from <= ts <= to` are appended to `out`.
    pub(super) fn decode_into(
        &self,
        series: &SeriesKey<'_>,
        from: i64,
        to: i64,
        out: &mut Vec<StoredBar>,
    ) -> Result<()> {
        self.decode_with(series, from, to, |bar| out.push(bar))
    }

    /// [`Chunk::decode_into`] handing each bar to `take`.
    pub(super) fn decode_with(
        &self,
        series: &SeriesKey<'_>,
        from: i64,
        to: i64,
        mut take: impl FnMut(StoredBar),
    ) -> Result<()> {
        let bad = |why: String| {
            StoreError::invalid(
                "bar chunk",
                format!(
                    "{} {} chunk starting at {}: {why}",
                    series.symbol,
                    series.timeframe,
                    Timestamp::from_nanos(self.start)
                ),
            )
        };
        let (version, body) = self
            .data
            .split_first()
            .ok_or_else(|| bad("empty data".into()))?;
        if *version != BAR_FORMAT_V1 {
            return Err(bad(format!("unknown format version {version}")));
        }
        let n = usize::try_from(self.n).map_err(|_| bad(format!("bar count {}", self.n)))?;
        if n == 0 || body.len() != n * BAR_RECORD {
            return Err(bad(format!(
                "{} data bytes do not hold {} bars",
                self.data.len(),
                self.n
            )));
        }
        let mut prev: Option<i64> = None;
        for (i, rec) in body.chunks_exact(BAR_RECORD).enumerate() {
            let word = |k: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&rec[k * 8..k * 8 + 8]);
                b
            };
            let ts = i64::from_le_bytes(word(0));
            let f = |k: usize| f64::from_le_bytes(word(k));
            if prev.is_some_and(|p| ts <= p) || chunk_start(series.tf, ts) != self.start {
                return Err(bad(format!("bar {i} at {ts} is out of order or chunk")));
            }
            if (i == 0 && ts != self.first) || (i == n - 1 && ts != self.last) {
                return Err(bad(format!(
                    "bar {i} at {ts} does not match the chunk range"
                )));
            }
            prev = Some(ts);
            if ts < from || ts > to {
                continue;
            }
            let bar = Bar::new(Timestamp::from_nanos(ts), f(1), f(2), f(3), f(4), f(5))
                .map_err(|e| bad(format!("bar {i}: {e}")))?;
            let trades = match i64::from_le_bytes(word(6)) {
                NO_TRADES => None,
                t if t >= 0 => Some(t),
                t => return Err(bad(format!("bar {i}: trade count {t}"))),
            };
            let vwap = match f(7) {
                v if v.is_nan() => None,
                v if v.is_finite() && v > 0.0 => Some(v),
                v => return Err(bad(format!("bar {i}: vwap {v}"))),
            };
            take(StoredBar { bar, trades, vwap });
        }
        Ok(())
    }

    /// All bars of the chunk.
    pub(super) fn decode(&self, series: &SeriesKey<'_>) -> Result<Vec<StoredBar>> {
        let mut out = Vec::with_capacity(usize::try_from(self.n).unwrap_or(0));
        self.decode_into(series, i64::MIN, i64::MAX, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn intraday_chunks_are_utc_days_and_daily_chunks_utc_years() {
        let five: Timeframe = "5m".parse().unwrap();
        // 2019-01-01T00:00:00Z = 1546300800; 2020-01-01 = 1577836800; 2024-01-01 = 1704067200.
        assert_eq!(chunk_start(five, 1_546_300_800 * SEC), 1_546_300_800 * SEC);
        assert_eq!(chunk_start(five, 1_546_300_799 * SEC), 1_546_214_400 * SEC);
        assert_eq!(
            chunk_start(Timeframe::MINUTE, 1_546_387_199 * SEC),
            1_546_300_800 * SEC
        );
        assert_eq!(
            chunk_start(Timeframe::DAY, 1_577_836_799 * SEC),
            1_546_300_800 * SEC
        );
        assert_eq!(
            chunk_start(Timeframe::DAY, 1_577_836_800 * SEC),
            1_577_836_800 * SEC
        );
        // Leap year 2024: 2024-12-31 is still 2024.
        assert_eq!(
            chunk_start(Timeframe::DAY, (1_704_067_200 + 365 * 86_400) * SEC),
            1_704_067_200 * SEC
        );
        assert_eq!(chunk_start(Timeframe::DAY, 0), 0);
        assert_eq!(
            chunk_start(Timeframe::DAY, -1),
            days_from_civil(1969, 1, 1) * DAY_NS
        );
        assert_eq!(chunk_start(Timeframe::DAY, i64::MIN), i64::MIN);
        for y in [1700, 1899, 1900, 1970, 2000, 2100, 2262] {
            let d = days_from_civil(y, 1, 1);
            assert_eq!((civil_year(d), civil_year(d - 1)), (y, y - 1));
        }
    }

    #[test]
    fn a_chunk_round_trips_and_corruption_is_invalid_data() {
        let bars: Vec<StoredBar> = (0..3)
            .map(|i| StoredBar {
                bar: Bar::new(
                    Timestamp::from_secs(1_546_300_800 + i * 60),
                    2.0,
                    3.0,
                    1.0,
                    2.5,
                    9.0,
                )
                .unwrap(),
                trades: (i != 1).then_some(i),
                vwap: (i != 2).then_some(2.2),
            })
            .collect();
        let key = SeriesKey {
            symbol: "SPY",
            tf: Timeframe::MINUTE,
            timeframe: "1m".to_string(),
            owner: 0,
        };
        let mut chunk = Chunk::encode(1_546_300_800 * SEC, &bars);
        assert_eq!(chunk.decode(&key).unwrap(), bars);
        chunk.data.pop();
        let err = chunk.decode(&key).unwrap_err().to_string();
        assert!(err.contains("SPY 1m chunk starting at"), "{err}");
        let mut chunk = Chunk::encode(1_546_300_800 * SEC, &bars);
        chunk.data[0] = 9;
        assert!(matches!(
            chunk.decode(&key),
            Err(StoreError::InvalidData { .. })
        ));
        let mut chunk = Chunk::encode(1_546_300_800 * SEC, &bars);
        chunk.data[1 + 8..1 + 16].copy_from_slice(&(-1.0f64).to_le_bytes());
        assert!(matches!(
            chunk.decode(&key),
            Err(StoreError::InvalidData { .. })
        ));
    }
}
