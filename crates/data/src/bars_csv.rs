//! Bar CSV import: row parsing, symbol tables, sorting, duplicate handling and
//! assembly into [`BarSeries`].

use crate::detect::{BarCols, bar_columns};
use crate::fastline::{DayCache, Roles, Scanned, roles, scan};
use crate::numbers::number;
use crate::source::{Source, file_name, first_error, stem_symbol, with_file};
use crate::split::{Chunks, Fields, Lines, Parsed, RowParser, show, trim};
use crate::stamp::{StampSpec, describe_layout, fixed_stamp, row_stamp, stamp_of};
use crate::tzconv::TzConv;
use crate::{BadRowPolicy, CsvOptions, ImportError, ImportReport, LoadedBars, SkippedRow};
use std::path::Path;
use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};

struct BarParser<'a> {
    cols: BarCols,
    /// Field roles for the line scanner: numbers open, high, low, close, volume;
    /// texts date, time, symbol.
    roles: Roles,
    stamp: StampSpec<'a>,
    tz: TzConv,
}

/// Per-chunk state: time-zone cache, symbol table, row → symbol ids, daily flag.
struct BarState {
    tz: TzConv,
    days: DayCache,
    symbols: Vec<(Vec<u8>, Symbol)>,
    sym_of_row: Vec<u32>,
    last: usize,
    any_time: bool,
    order: Order,
}

/// Whether the rows of a chunk (all symbols) came in strictly increasing time.
#[derive(Clone, Copy, Debug, Default)]
struct Order {
    /// First and last timestamp, once a row was seen.
    span: Option<(i64, i64)>,
    /// No row so far was at or before the one before it.
    disordered: bool,
}

impl Order {
    #[inline]
    fn see(&mut self, ts: i64) {
        match &mut self.span {
            Some((_, last)) => {
                self.disordered |= ts <= *last;
                *last = ts;
            }
            None => self.span = Some((ts, ts)),
        }
    }
}

impl BarState {
    fn symbol_id(&mut self, raw: &[u8]) -> Result<u32, String> {
        let raw = trim(raw);
        let id = match self.symbols.get(self.last) {
            Some((s, _)) if s == raw => self.last,
            _ => match self.symbols.iter().position(|(s, _)| s == raw) {
                Some(i) => i,
                None => {
                    let text = std::str::from_utf8(raw)
                        .map_err(|_| format!("symbol \"{}\" is not valid UTF-8", show(raw)))?;
                    let sym = Symbol::new(text).map_err(|e| e.to_string())?;
                    self.symbols.push((raw.to_vec(), sym));
                    self.symbols.len() - 1
                }
            },
        };
        self.last = id;
        Ok(id as u32)
    }
}

impl RowParser for BarParser<'_> {
    type Out = Bar;
    type State = BarState;

    fn new_state(&self) -> BarState {
        BarState {
            tz: self.tz.clone(),
            days: DayCache::default(),
            symbols: Vec::new(),
            sym_of_row: Vec::new(),
            last: 0,
            any_time: false,
            order: Order::default(),
        }
    }

    #[inline]
    fn parse<F: Fields + ?Sized>(&self, st: &mut BarState, f: &F) -> Result<Bar, String> {
        let c = &self.cols;
        let (ts, date_only) = row_stamp(&self.stamp, &mut st.tz, f)?;
        let open = number("open", f.get(c.open))?;
        let high = number("high", f.get(c.high))?;
        let low = number("low", f.get(c.low))?;
        let close = number("close", f.get(c.close))?;
        let volume = match c.volume {
            Some(v) => number("volume", f.get(v))?,
            None => 0.0,
        };
        let bar = Bar::new(Timestamp::from_nanos(ts), open, high, low, close, volume)
            .map_err(|e| e.to_string())?;
        if let Some(s) = c.symbol {
            let sym = st.symbol_id(f.get(s))?;
            st.sym_of_row.push(sym);
        }
        st.any_time |= !date_only;
        st.order.see(ts);
        Ok(bar)
    }

    #[inline]
    fn parse_head(&self, st: &mut BarState, rest: &[u8]) -> Option<(Bar, usize)> {
        let mut row: Scanned<'_, 5, 3> = Scanned::default();
        let end = scan(rest, &self.roles, &mut st.days, &mut row)?;
        let (ts, date_only) = match row.date {
            Some(d) => fixed_stamp(&mut st.tz, d)?,
            None => {
                let time = self.stamp.time.map(|_| row.texts[1]);
                stamp_of(&self.stamp, &mut st.tz, row.texts[0], time).ok()?
            }
        };
        let [open, high, low, close, volume] = row.nums;
        let bar = Bar::new(Timestamp::from_nanos(ts), open, high, low, close, volume).ok()?;
        if self.cols.symbol.is_some() {
            let sym = st.symbol_id(row.texts[2]).ok()?;
            st.sym_of_row.push(sym);
        }
        st.any_time |= !date_only;
        st.order.see(ts);
        Some((bar, end))
    }
}

/// Parses bars from memory; see [`crate::load_bars`].
pub fn parse_bars(name: &str, bytes: &[u8], opts: &CsvOptions) -> Result<LoadedBars, ImportError> {
    let src = Source::new(name, bytes, opts.delimiter)?;
    let layout = |m: String| ImportError::layout(name, m);
    let cols = bar_columns(
        &src.header,
        src.first_row.as_deref(),
        opts.date_column.as_deref(),
        opts.time_column.as_deref(),
    )
    .map_err(layout)?;
    let mut symbol_from_name = None;
    let default_symbol = match (&cols.symbol, &opts.symbol) {
        (Some(_), _) => None,
        (None, Some(s)) => Some(s.clone()),
        (None, None) => {
            let stem = stem_symbol(name);
            let sym = Symbol::new(&stem).map_err(|e| {
                layout(format!(
                    "no ticker/symbol column, and the file name gives no symbol ({e}); pass --symbol"
                ))
            })?;
            symbol_from_name = Some((file_name(name).to_string(), sym.clone()));
            Some(sym)
        }
    };
    let fmt = opts.date_format.as_deref();
    let mut columns = cols.description.clone();
    if let Some(row) = &src.first_row {
        let field = row.get(cols.dates.date).map_or(&[][..], Vec::as_slice);
        columns += &format!(" [date layout: {}]", describe_layout(field, fmt));
    }
    if let Some(s) = &default_symbol {
        columns += &format!(", symbol: {s} (no symbol column)");
    }
    let c = &cols;
    let absent = usize::MAX;
    let roles = roles(
        c.dates.expected,
        &[c.open, c.high, c.low, c.close, c.volume.unwrap_or(absent)],
        &[
            c.dates.date,
            c.dates.time.unwrap_or(absent),
            c.symbol.unwrap_or(absent),
        ],
        fmt.is_none() && c.dates.time.is_none(),
    );
    let parser = BarParser {
        roles,
        stamp: StampSpec {
            date: cols.dates.date,
            time: cols.dates.time,
            format: fmt,
        },
        tz: TzConv::new(&opts.tz),
        cols,
    };
    let chunks = src.rows(name, parser.cols.dates.expected, &parser, opts.on_bad_row)?;
    first_error(name, &chunks.chunks)?;
    let mut loaded = assemble(name, chunks, default_symbol, opts.on_bad_row, columns)?;
    loaded.report.delimiter = src.delimiter;
    loaded.report.symbol_from_file_name = symbol_from_name;
    Ok(loaded)
}

/// Reads a bar CSV file; see the crate docs for the recognised layouts.
pub fn load_bars(path: &Path, opts: &CsvOptions) -> Result<LoadedBars, ImportError> {
    with_file(path, |name, bytes| parse_bars(name, bytes, opts))
}

/// One symbol's rows: bars with their lines.
struct Group {
    symbol: Symbol,
    bars: Vec<Bar>,
    lines: Lines,
}

fn assemble(
    name: &str,
    parsed: Chunks<BarParser<'_>>,
    default_symbol: Option<Symbol>,
    policy: BadRowPolicy,
    columns: String,
) -> Result<LoadedBars, ImportError> {
    let mut report = ImportReport {
        columns,
        ..ImportReport::default()
    };
    let Parsed { out, mut chunks } = parsed;
    let mut any_time = false;
    let mut groups: Vec<Group> = Vec::new();
    let mut ids_of_chunk = Vec::with_capacity(chunks.len());
    for c in &mut chunks {
        report.rows_read += c.rows_read;
        report.skipped.append(&mut c.skipped);
        any_time |= c.state.any_time;
        let ids: Vec<usize> = match &default_symbol {
            Some(s) => vec![group_index(&mut groups, s)],
            None => c
                .state
                .symbols
                .iter()
                .map(|(_, s)| group_index(&mut groups, s))
                .collect(),
        };
        ids_of_chunk.push(ids);
    }
    // Strictly increasing within and across chunks: nothing to sort or de-duplicate.
    let mut in_order = true;
    let mut prev: Option<i64> = None;
    for c in &chunks {
        let o = c.state.order;
        if let Some((first, last)) = o.span {
            in_order &= !o.disordered && prev.is_none_or(|p| p < first);
            prev = Some(last);
        }
    }
    if groups.len() == 1 {
        // One symbol: the rows are the series, in place.
        let g = &mut groups[0];
        g.bars = out;
        for c in &chunks {
            g.lines.extend(&c.lines);
        }
    } else {
        let mut start = 0;
        for (c, ids) in chunks.iter().zip(&ids_of_chunk) {
            let rows = &out[start..start + c.rows];
            start += c.rows;
            if let [id] = ids[..] {
                let g = &mut groups[id];
                g.bars.extend_from_slice(rows);
                g.lines.extend(&c.lines);
                continue;
            }
            for ((bar, line), &sym) in rows.iter().zip(c.lines.iter()).zip(&c.state.sym_of_row) {
                let g = &mut groups[ids[sym as usize]];
                g.bars.push(*bar);
                g.lines.push(line);
            }
        }
    }
    groups.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    let mut dup_error: Option<(u32, String)> = None;
    let mut series = Vec::with_capacity(groups.len());
    for mut g in groups {
        if !in_order && !g.bars.windows(2).all(|w| w[0].ts() < w[1].ts()) {
            let mut lines = g.lines.to_vec();
            if !g.bars.windows(2).all(|w| w[0].ts() <= w[1].ts()) {
                report.was_unsorted = true;
                let mut idx: Vec<u32> = (0..g.bars.len() as u32).collect();
                idx.sort_by_key(|&i| g.bars[i as usize].ts());
                g.bars = idx.iter().map(|&i| g.bars[i as usize]).collect();
                lines = idx.iter().map(|&i| lines[i as usize]).collect();
            }
            if g.bars.windows(2).any(|w| w[0].ts() == w[1].ts()) {
                remove_duplicates(
                    &mut g.bars,
                    &lines,
                    &g.symbol,
                    policy,
                    &mut report.skipped,
                    &mut dup_error,
                );
            }
        }
        report.bars += g.bars.len();
        if !g.bars.is_empty() {
            let s = BarSeries::new(g.symbol, g.bars)
                .map_err(|e| ImportError::layout(name, e.to_string()))?;
            series.push(s);
        }
    }
    if let Some((line, message)) = dup_error {
        return Err(ImportError::Row {
            file: name.to_string(),
            line: line as usize,
            message,
        });
    }
    if report.rows_read == 0 {
        return Err(ImportError::layout(
            name,
            "the file has a header but no data rows",
        ));
    }
    report.skipped.sort_by_key(|s| s.line);
    report.daily = !any_time && report.bars > 0;
    Ok(LoadedBars { series, report })
}

fn group_index(groups: &mut Vec<Group>, s: &Symbol) -> usize {
    match groups.iter().position(|g| &g.symbol == s) {
        Some(i) => i,
        None => {
            groups.push(Group {
                symbol: s.clone(),
                bars: Vec::new(),
                lines: Lines::default(),
            });
            groups.len() - 1
        }
    }
}

/// Keeps the first row (in file order) of each timestamp; the others are errors
/// (the earliest-line one is kept in `dup_error`) or skipped rows.
fn remove_duplicates(
    bars: &mut Vec<Bar>,
    lines: &[u32],
    symbol: &Symbol,
    policy: BadRowPolicy,
    skipped: &mut Vec<SkippedRow>,
    dup_error: &mut Option<(u32, String)>,
) {
    let mut keep = Vec::with_capacity(bars.len());
    let mut first_line = 0;
    for (i, (bar, &line)) in bars.iter().zip(lines).enumerate() {
        if i > 0 && bars[i - 1].ts() == bar.ts() {
            let reason = format!(
                "duplicate timestamp {} for {} (first seen on line {first_line})",
                bar.ts().display_auto(),
                symbol
            );
            match policy {
                BadRowPolicy::Skip => skipped.push(SkippedRow {
                    line: line as usize,
                    reason,
                }),
                BadRowPolicy::Error => {
                    if dup_error.as_ref().is_none_or(|(l, _)| line < *l) {
                        *dup_error = Some((line, reason));
                    }
                }
            }
            continue;
        }
        first_line = line;
        keep.push(*bar);
    }
    *bars = keep;
}
