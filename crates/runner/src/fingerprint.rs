//! Fingerprints of the bars a run reads, and a replay's check that its bars are still
//! those its parent ran on.

use crate::RunnerError;
use crate::sink::symbols_text;
use tradelab_core::{BarSeries, Symbol, Timeframe};
use tradelab_store::RunId;

/// The data a replay must find: the parent run's fingerprint.
pub(crate) struct DataCheck {
    pub(crate) parent: RunId,
    pub(crate) label: String,
    pub(crate) fingerprint: String,
    pub(crate) allow_changed: bool,
}

/// A 64-bit fingerprint of the bars a run replays, so a replay can show it ran on the
/// same data: FNV-1a taken a 64-bit word at a time (timestamp and the bits of each
/// price and volume), eight times fewer dependent multiplications than byte-wise FNV.
/// Labelled `fnv1a64w`; runs made before it carry byte-wise `fnv1a64` fingerprints.
pub(crate) fn fingerprint(series: &[BarSeries], timeframe: Timeframe) -> String {
    fingerprint_as(series, timeframe, false)
}

/// The fingerprint in the scheme of `like` (a stored fingerprint): byte-wise
/// `fnv1a64` for runs made before `fnv1a64w`, so old runs can be checked too.
fn fingerprint_like(series: &[BarSeries], timeframe: Timeframe, like: &str) -> String {
    fingerprint_as(series, timeframe, like.starts_with("fnv1a64:"))
}

/// `n` in a fingerprint's `:{n}bars` suffix.
fn fingerprint_bars(fp: &str) -> Option<u64> {
    fp.rsplit(':').next()?.strip_suffix("bars")?.parse().ok()
}

/// Word-wise (`fnv1a64w`) or, for `bytewise`, the legacy byte-wise `fnv1a64`.
fn fingerprint_as(series: &[BarSeries], timeframe: Timeframe, bytewise: bool) -> String {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let eat_bytes = |h: &mut u64, bytes: &[u8]| {
        for b in bytes {
            *h = (*h ^ u64::from(*b)).wrapping_mul(PRIME);
        }
    };
    eat_bytes(&mut h, timeframe.to_string().as_bytes());
    let mut bars = 0usize;
    for s in series {
        eat_bytes(&mut h, s.symbol().as_str().as_bytes());
        if bytewise {
            for b in s.bars() {
                eat_bytes(&mut h, &b.ts().nanos().to_le_bytes());
                for v in [b.open(), b.high(), b.low(), b.close(), b.volume()] {
                    eat_bytes(&mut h, &v.to_bits().to_le_bytes());
                }
            }
            bars += s.len();
            continue;
        }
        for b in s.bars() {
            for word in [
                b.ts().nanos() as u64,
                b.open().to_bits(),
                b.high().to_bits(),
                b.low().to_bits(),
                b.close().to_bits(),
                b.volume().to_bits(),
            ] {
                h = (h ^ word).wrapping_mul(PRIME);
            }
        }
        bars += s.len();
    }
    if bytewise {
        format!("fnv1a64:{h:016x}:{bars}bars")
    } else {
        format!("fnv1a64w:{h:016x}:{bars}bars")
    }
}

/// A replay's bars against its parent's fingerprint: `Ok(None)` when they match,
/// `Ok(Some(check))` when they differ and the replay may go ahead, else
/// [`RunnerError::DataChanged`] saying what changed.
pub(crate) fn verify_data<'c>(
    check: &'c DataCheck,
    series: &[BarSeries],
    timeframe: Timeframe,
    symbols: &[Symbol],
) -> Result<Option<&'c DataCheck>, RunnerError> {
    let now = fingerprint_like(series, timeframe, &check.fingerprint);
    if now == check.fingerprint {
        return Ok(None);
    }
    if check.allow_changed {
        return Ok(Some(check));
    }
    let bars_now: u64 = series.iter().map(|s| s.len() as u64).sum();
    let per_symbol: Vec<String> = series
        .iter()
        .map(|s| match (s.bars().first(), s.bars().last()) {
            (Some(a), Some(b)) => format!(
                "{} {} bars {} → {}",
                s.symbol(),
                s.len(),
                a.ts().display_auto(),
                b.ts().display_auto()
            ),
            _ => format!("{} no bars", s.symbol()),
        })
        .collect();
    let what = match fingerprint_bars(&check.fingerprint) {
        Some(then) if then != bars_now => format!(
            "it read {then} bars, {bars_now} are stored now ({})",
            per_symbol.join("; ")
        ),
        Some(then) => format!(
            "the same {then} bars in count, with other values ({})",
            per_symbol.join("; ")
        ),
        None => format!("the bars differ ({})", per_symbol.join("; ")),
    };
    Err(RunnerError::DataChanged {
        run: check.label.clone(),
        symbols: symbols_text(symbols),
        timeframe,
        what: format!(
            "{what}; data fingerprint {} then, {now} now",
            check.fingerprint
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::{Bar, Symbol, Timestamp};

    fn series(close_of_last: f64, last_ts: i64) -> Vec<BarSeries> {
        let bars = (0..100)
            .map(|k| {
                let (ts, close) = if k == 99 {
                    (last_ts, close_of_last)
                } else {
                    (60 * k, 100.0 + k as f64 / 8.0)
                };
                Bar::new(Timestamp::from_secs(ts), close, close, close, close, 10.0).expect("bar")
            })
            .collect();
        let symbol = Symbol::new("SPY").expect("symbol");
        vec![BarSeries::new(symbol, bars).expect("series")]
    }

    #[test]
    fn fingerprint_is_stable_and_sees_a_one_bit_change_in_any_bar() {
        let base = fingerprint(&series(113.0, 99 * 60), Timeframe::MINUTE);
        assert_eq!(
            base,
            fingerprint(&series(113.0, 99 * 60), Timeframe::MINUTE)
        );
        assert!(base.starts_with("fnv1a64w:") && base.ends_with(":100bars"));
        let nudged = f64::from_bits(113.0f64.to_bits() + 1);
        for other in [
            fingerprint(&series(nudged, 99 * 60), Timeframe::MINUTE),
            fingerprint(&series(113.0, 99 * 60 + 1), Timeframe::MINUTE),
            fingerprint(&series(113.0, 99 * 60), Timeframe::DAY),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn a_legacy_fingerprint_is_checked_in_its_own_byte_wise_scheme() {
        let bars = series(113.0, 99 * 60);
        let legacy = fingerprint_as(&bars, Timeframe::MINUTE, true);
        assert!(legacy.starts_with("fnv1a64:") && legacy.ends_with(":100bars"));
        assert_ne!(legacy, fingerprint(&bars, Timeframe::MINUTE));
        assert_eq!(fingerprint_like(&bars, Timeframe::MINUTE, &legacy), legacy);
        let nudged = fingerprint_as(&series(113.5, 99 * 60), Timeframe::MINUTE, true);
        assert_ne!(fingerprint_like(&bars, Timeframe::MINUTE, &nudged), nudged);
        assert_eq!(fingerprint_bars(&legacy), Some(100));
        assert_eq!(fingerprint_bars("sha256:abc"), None);
    }
}
