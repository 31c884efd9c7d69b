//! How the model sees symbols, times and prices: as they are, or anonymized.
//!
//! With `anonymize`, what a model could recall from its training data is hidden:
//! symbols become neutral names (`ASSET_A`, `ASSET_B`, … in the run's order), dates
//! become day numbers (day 1 = the date of the run's first bar), and prices are rebased
//! to 100 at each symbol's first close. Everything the model answers (symbols, times,
//! limit prices) is mapped back before it reaches the engine. News is held back.
//!
//! [`Lens`] is the one place both the prompt and the tools format and read these
//! values, so no path can show the model a real name by forgetting to translate it.

use tradelab_core::{Symbol, Timestamp};
use tradelab_engine::DataView;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// The model's view of symbols, times and prices for one run.
#[derive(Clone, Debug)]
pub struct Lens {
    anonymize: bool,
    /// Names shown, by symbol index.
    names: Vec<String>,
    /// Real symbols, by index (for hiding them in free text).
    real: Vec<Symbol>,
    /// First close of each symbol, once it has one (the rebasing base).
    base: Vec<Option<f64>>,
    /// Day number 1, as days since the epoch.
    origin_day: i64,
}

/// Days since 1970-01-01 of a (valid) proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `A`, `B`, …, `Z`, `AA`, `AB`, …: a neutral name for index `i`.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Lens {
    /// A lens for the run shown by `view` (its first bars fix day 1 and the bases).
    pub fn new(view: &DataView<'_>, anonymize: bool) -> Self {
        let n = view.len();
        let real: Vec<Symbol> = (0..n).map(|i| view.symbol(i).clone()).collect();
        let names = if anonymize {
            (0..n).map(|i| format!("ASSET_{}", letters(i))).collect()
        } else {
            real.iter().map(|s| s.as_str().to_string()).collect()
        };
        let first = (0..n)
            .filter_map(|i| view.bars(i).first().map(|b| b.ts()))
            .min()
            .unwrap_or(Timestamp::from_secs(0));
        let mut lens = Lens {
            anonymize,
            names,
            real,
            base: vec![None; n],
            origin_day: first.nanos().div_euclid(NANOS_PER_DAY),
        };
        lens.update(view);
        lens
    }

    /// Takes the first close of symbols that got their first bar since the last call.
    pub fn update(&mut self, view: &DataView<'_>) {
        for (i, base) in self.base.iter_mut().enumerate() {
            if base.is_none() {
                *base = view.bars(i).first().map(|b| b.close());
            }
        }
    }

    /// Whether real names, dates and prices are hidden.
    pub fn anonymized(&self) -> bool {
        self.anonymize
    }

    /// The name the model knows symbol `i` by.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Every name the model knows, comma-separated.
    pub fn names(&self) -> String {
        self.names.join(", ")
    }

    /// The symbol index the model means by `name` (case and spaces ignored).
    pub fn find(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    /// A price of symbol `i` as the model sees it.
    pub fn price(&self, i: usize, price: f64) -> f64 {
        match (self.anonymize, self.base[i]) {
            (true, Some(base)) => price / base * 100.0,
            _ => price,
        }
    }

    /// A price the model gave for symbol `i`, in real terms.
    pub fn real_price(&self, i: usize, shown: f64) -> f64 {
        match (self.anonymize, self.base[i]) {
            (true, Some(base)) => shown * base / 100.0,
            _ => shown,
        }
    }

    /// A time as the model sees it: `2013-03-01`, `2013-03-01 14:31`, or with
    /// anonymize `day 12`, `day 12 14:31` (times of day in UTC).
    pub fn time(&self, ts: Timestamp) -> String {
        let nanos = ts.nanos();
        let day = nanos.div_euclid(NANOS_PER_DAY);
        let in_day = nanos.rem_euclid(NANOS_PER_DAY) / 1_000_000_000;
        let clock = (in_day != 0).then(|| format!(" {:02}:{:02}", in_day / 3600, in_day / 60 % 60));
        let date = if self.anonymize {
            format!("day {}", day - self.origin_day + 1)
        } else {
            ts.date_string()
        };
        match clock {
            Some(c) => format!("{date}{c}"),
            None => date,
        }
    }

    /// Reads a time the model gave, in the form [`Lens::time`] writes (an RFC 3339
    /// instant is accepted too without anonymize). A date alone means that whole day:
    /// the result is its last instant, and `starts` its first.
    pub fn read_time(&self, text: &str) -> Result<(Timestamp, Timestamp), String> {
        let t = text.trim();
        let (day_part, clock) = if self.anonymize {
            let rest = t.strip_prefix("day").unwrap_or(t).trim();
            match rest.split_once(' ') {
                Some((d, c)) => (d.to_string(), Some(c.trim().to_string())),
                None => (rest.to_string(), None),
            }
        } else {
            if let Ok(ts) = t.parse::<jiff::Timestamp>() {
                let ts = Timestamp::from_jiff(ts).ok_or("time out of range")?;
                return Ok((ts, ts));
            }
            let t = t.replace('T', " ");
            match t.split_once(' ') {
                Some((d, c)) => (
                    d.to_string(),
                    Some(c.trim().trim_end_matches("UTC").trim().to_string()),
                ),
                None => (t.to_string(), None),
            }
        };
        let expected = if self.anonymize {
            "`day N` or `day N HH:MM`"
        } else {
            "YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC)"
        };
        let bad = || format!("time {text:?} is not {expected}");
        let day = if self.anonymize {
            let n: i64 = day_part.parse().map_err(|_| bad())?;
            self.origin_day + n - 1
        } else {
            let date: jiff::civil::Date = day_part.parse().map_err(|_| bad())?;
            days_from_civil(
                i64::from(date.year()),
                i64::from(date.month()),
                i64::from(date.day()),
            )
        };
        let start = day.checked_mul(NANOS_PER_DAY).ok_or_else(bad)?;
        match clock {
            None => Ok((
                Timestamp::from_nanos(start),
                Timestamp::from_nanos(start + NANOS_PER_DAY - 1),
            )),
            Some(c) => {
                let clock: jiff::civil::Time = c.parse().map_err(|_| bad())?;
                let secs = i64::from(clock.hour()) * 3600
                    + i64::from(clock.minute()) * 60
                    + i64::from(clock.second());
                let ts = Timestamp::from_nanos(start + secs * 1_000_000_000);
                Ok((ts, ts))
            }
        }
    }

    /// `text` with every real symbol replaced by its shown name (for engine messages
    /// such as rejection reasons); unchanged without anonymize.
    pub fn hide_symbols(&self, text: &str) -> String {
        if !self.anonymize {
            return text.to_string();
        }
        let mut out = text.to_string();
        // Longest first, so `AA` does not break `AAPL`.
        let mut order: Vec<usize> = (0..self.real.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.real[i].as_str().len()));
        for i in order {
            out = out.replace(self.real[i].as_str(), &self.names[i]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_engine::testkit::daily_bars;

    #[test]
    fn neutral_names_day_numbers_and_rebased_prices_map_back() {
        let a = daily_bars("AAPL", 15_765, &[431.7, 440.0]).unwrap();
        let b = daily_bars("MSFT", 15_766, &[27.5]).unwrap();
        let series = [a, b];
        let view = DataView::checked(&series, &[2, 1]).unwrap();
        let lens = Lens::new(&view, true);
        assert_eq!((lens.name(0), lens.name(1)), ("ASSET_A", "ASSET_B"));
        assert_eq!(lens.find("asset_b"), Some(1));
        assert_eq!(lens.find("AAPL"), None);
        assert!((lens.price(0, 440.0) - 101.9226).abs() < 1e-3);
        assert!((lens.real_price(0, lens.price(0, 440.0)) - 440.0).abs() < 1e-9);
        let second = view.bars(0)[1].ts();
        assert_eq!(lens.time(second), "day 2");
        assert_eq!(lens.read_time("day 2").unwrap().0, second);
        assert_eq!(
            lens.hide_symbols("no open position in AAPL"),
            "no open position in ASSET_A"
        );
        assert_eq!(letters(26), "AA");
    }

    #[test]
    fn without_anonymize_everything_is_shown_as_it_is() {
        let a = daily_bars("AAPL", 15_765, &[431.7]).unwrap();
        let series = [a];
        let view = DataView::checked(&series, &[1]).unwrap();
        let lens = Lens::new(&view, false);
        assert_eq!(lens.name(0), "AAPL");
        assert_eq!(lens.price(0, 431.7), 431.7);
        assert_eq!(lens.time(view.bars(0)[0].ts()), "2013-03-01");
        let (from, to) = lens.read_time("2013-03-01").unwrap();
        assert_eq!(from, view.bars(0)[0].ts());
        assert!(to > from);
        let (at, _) = lens.read_time("2013-03-01 14:30").unwrap();
        assert_eq!(lens.time(at), "2013-03-01 14:30");
        assert!(lens.read_time("yesterday").is_err());
    }
}
