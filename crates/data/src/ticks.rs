//! Tick CSV import: a timestamp, a price and an optional size per row.

use crate::detect::{date_columns, find};
use crate::fastline::{DayCache, Roles, Scanned, roles, scan};
use crate::numbers::number;
use crate::source::{Source, first_error, with_file};
use crate::split::{Fields, RowParser};
use crate::stamp::{StampSpec, describe_layout, fixed_stamp, row_stamp, stamp_of};
use crate::tzconv::TzConv;
use crate::{BadRowPolicy, Delimiter, ImportError, ImportReport};
use std::path::Path;
use tradelab_core::{MAX_PRICE, MIN_PRICE, Timestamp, check_price};

/// One trade or quote.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// When it happened (UTC).
    pub ts: Timestamp,
    /// Trade or quote price (finite, > 0 when imported).
    pub price: f64,
    /// Traded size; `None` when the file has no size column (e.g. quotes).
    pub size: Option<f64>,
}

/// How to read a tick CSV file; `Default::default()` detects everything.
#[derive(Clone, Debug)]
pub struct TickOptions {
    /// `--date-column`: name of the timestamp column.
    pub date_column: Option<String>,
    /// `--date-format`: strftime format of the timestamp column.
    pub date_format: Option<String>,
    /// `--tz`: zone in which naive timestamps are read (default UTC).
    pub tz: jiff::tz::TimeZone,
    /// What to do with invalid rows.
    pub on_bad_row: BadRowPolicy,
    /// `--delimiter`: the field separator (default: detected from the header line).
    pub delimiter: Option<Delimiter>,
}

impl Default for TickOptions {
    /// Detect everything, read naive times as UTC, stop at the first bad row.
    fn default() -> Self {
        TickOptions {
            date_column: None,
            date_format: None,
            tz: jiff::tz::TimeZone::UTC,
            on_bad_row: BadRowPolicy::Error,
            delimiter: None,
        }
    }
}

/// Ticks read from one file, with what the import did.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedTicks {
    /// Ticks in time order; equal timestamps keep file order.
    pub ticks: Vec<Tick>,
    /// Rows read, skipped rows, whether sorting was needed, the column mapping.
    pub report: ImportReport,
}

/// The largest size one tick may carry: bar volumes, sums of sizes, stay finite.
const MAX_SIZE: f64 = 1e15;

const PRICE_NAMES: [&str; 7] = ["price", "last", "close", "trade price", "bid", "ask", "mid"];
const SIZE_NAMES: [&str; 6] = ["size", "volume", "vol", "qty", "quantity", "amount"];

struct TickParser<'a> {
    stamp: StampSpec<'a>,
    /// Line scanner roles: numbers price, size; texts date, time.
    roles: Roles,
    price: usize,
    size: Option<usize>,
    tz: TzConv,
}

impl RowParser for TickParser<'_> {
    type Out = Tick;
    type State = (TzConv, DayCache);

    fn new_state(&self) -> Self::State {
        (self.tz.clone(), DayCache::default())
    }

    #[inline]
    fn parse<F: Fields + ?Sized>(&self, st: &mut Self::State, f: &F) -> Result<Tick, String> {
        let (ts, _) = row_stamp(&self.stamp, &mut st.0, f)?;
        let price = number("price", f.get(self.price))?;
        check_price("price", price).map_err(|e| e.to_string())?;
        let size = match self.size {
            Some(i) => {
                let s = number("size", f.get(i))?;
                if s < 0.0 {
                    return Err(format!("size is {s}; size must be >= 0"));
                }
                if s > MAX_SIZE {
                    return Err(format!("size is {s:e}; sizes must be at most {MAX_SIZE:e}"));
                }
                Some(s)
            }
            None => None,
        };
        Ok(Tick {
            ts: Timestamp::from_nanos(ts),
            price,
            size,
        })
    }

    #[inline]
    fn parse_head(&self, st: &mut Self::State, rest: &[u8]) -> Option<(Tick, usize)> {
        let (tz, days) = st;
        let mut row: Scanned<'_, 2, 2> = Scanned::default();
        let end = scan(rest, &self.roles, days, &mut row)?;
        let (ts, _) = match row.date {
            Some(d) => fixed_stamp(tz, d)?,
            None => {
                let time = self.stamp.time.map(|_| row.texts[1]);
                stamp_of(&self.stamp, tz, row.texts[0], time).ok()?
            }
        };
        let [price, size] = row.nums;
        if !(MIN_PRICE..=MAX_PRICE).contains(&price) || !(0.0..=MAX_SIZE).contains(&size) {
            return None;
        }
        let tick = Tick {
            ts: Timestamp::from_nanos(ts),
            price,
            size: self.size.map(|_| size),
        };
        Some((tick, end))
    }
}

/// Parses ticks from memory, with an import report.
///
/// Columns: the date column as for bars (see the crate docs); price from `price`,
/// `last`, `close`, `bid`, `ask` or `mid`, or else the only other column besides
/// date and size (e.g. `EURUSD.bid`); size from `size`, `volume`, `qty`, … (optional).
/// Out-of-order ticks are sorted stably by time and flagged in
/// [`ImportReport::was_unsorted`]; equal timestamps keep file order.
pub fn parse_ticks_with_report(
    name: &str,
    bytes: &[u8],
    opts: &TickOptions,
) -> Result<LoadedTicks, ImportError> {
    let src = Source::new(name, bytes, opts.delimiter)?;
    let layout = |m: String| ImportError::layout(name, m);
    let names = &src.header;
    let dates = date_columns(
        names,
        src.first_row.as_deref(),
        opts.date_column.as_deref(),
        None,
    )
    .map_err(layout)?;
    let has = |aliases: &[&str]| find(names, aliases).ok().flatten().is_some();
    if has(&["open", "o"]) && has(&["high", "h"]) && has(&["low", "l"]) {
        return Err(layout(format!(
            "this looks like a file of OHLC bars (it has open, high and low columns; the header \
             is {}), not ticks; import it with `tradelab data import {name}` or test a strategy \
             on it with `tradelab backtest --data {name}`",
            names.join(",")
        )));
    }
    let size = find(names, &SIZE_NAMES).map_err(layout)?;
    let price = match find(names, &PRICE_NAMES).map_err(layout)? {
        Some(p) => p,
        None => {
            let rest: Vec<usize> = (0..names.len())
                .filter(|&i| i != dates.date && Some(i) != dates.time && Some(i) != size)
                .collect();
            match rest.as_slice() {
                [p] => *p,
                _ => {
                    return Err(layout(format!(
                        "cannot find a price column (looked for {}, or a single column besides \
                         date and size); rename the header",
                        PRICE_NAMES.join(", ")
                    )));
                }
            }
        }
    };
    let fmt = opts.date_format.as_deref();
    let mut columns = format!("{}, price: \"{}\"", dates.description, names[price]);
    match size {
        Some(s) => columns += &format!(", size: \"{}\"", names[s]),
        None => columns += ", size: none",
    }
    if let Some(row) = &src.first_row {
        let field = row.get(dates.date).map_or(&[][..], Vec::as_slice);
        columns += &format!(" [date layout: {}]", describe_layout(field, fmt));
    }
    let absent = usize::MAX;
    let price_field = dates.field(price);
    let size_field = size.map(|s| dates.field(s));
    let roles = roles(
        dates.expected,
        &[price_field, size_field.unwrap_or(absent)],
        &[dates.date, dates.time.unwrap_or(absent)],
        fmt.is_none() && dates.time.is_none(),
    );
    let parser = TickParser {
        roles,
        stamp: StampSpec {
            date: dates.date,
            time: dates.time,
            format: fmt,
        },
        price: price_field,
        size: size_field,
        tz: TzConv::new(&opts.tz),
    };
    let chunks = src.rows(name, dates.expected, &parser, opts.on_bad_row)?;
    first_error(name, &chunks.chunks)?;
    let mut report = ImportReport {
        columns,
        delimiter: src.delimiter,
        ..ImportReport::default()
    };
    let mut ticks = chunks.out;
    for c in chunks.chunks {
        report.rows_read += c.rows_read;
        report.skipped.extend(c.skipped);
    }
    if report.rows_read == 0 {
        return Err(layout("the file has a header but no data rows".into()));
    }
    if !ticks.windows(2).all(|w| w[0].ts <= w[1].ts) {
        report.was_unsorted = true;
        ticks.sort_by_key(|t| t.ts);
    }
    report.bars = ticks.len();
    report.skipped.sort_by_key(|s| s.line);
    Ok(LoadedTicks { ticks, report })
}

/// Parses ticks from memory; see [`parse_ticks_with_report`].
pub fn parse_ticks(name: &str, bytes: &[u8], opts: &TickOptions) -> Result<Vec<Tick>, ImportError> {
    parse_ticks_with_report(name, bytes, opts).map(|l| l.ticks)
}

/// Reads a tick CSV file, with an import report; see [`parse_ticks_with_report`].
pub fn load_ticks_with_report(path: &Path, opts: &TickOptions) -> Result<LoadedTicks, ImportError> {
    with_file(path, |name, bytes| {
        parse_ticks_with_report(name, bytes, opts)
    })
}

/// Reads a tick CSV file; see [`parse_ticks_with_report`].
pub fn load_ticks(path: &Path, opts: &TickOptions) -> Result<Vec<Tick>, ImportError> {
    load_ticks_with_report(path, opts).map(|l| l.ticks)
}
