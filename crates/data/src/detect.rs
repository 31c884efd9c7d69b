//! Header mapping: which column holds the date, the prices, the volume, the symbol.
//! Names are matched case-insensitively after trimming; detection never guesses
//! silently — every choice is written into a human description, and every
//! failure names the option that fixes it.

use crate::timeparse::{RawTime, parse_datetime, parse_time_only};

/// Column names accepted as the date (or date-time) column, in priority order.
const DATE_NAMES: [&str; 5] = ["datetime", "timestamp", "date_time", "date", "time"];
const ADJ_NAMES: [&str; 4] = ["adj close", "adj_close", "adjclose", "adjusted close"];

/// Normalises a header name for matching.
pub(crate) fn norm(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase()
}

/// Where the date and time live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DateCols {
    /// Field index of the date (or date-time).
    pub date: usize,
    /// Field index of a separate time-of-day column.
    pub time: Option<usize>,
    /// Fields each row must have.
    pub expected: usize,
    /// Maps a header index to a field index (shifted when the header lacks the time name).
    shift_after: Option<usize>,
    /// Human description of the date part.
    pub description: String,
}

impl DateCols {
    /// Field index of header column `i`.
    pub(crate) fn field(&self, i: usize) -> usize {
        match self.shift_after {
            Some(d) if i > d => i + 1,
            _ => i,
        }
    }
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{}\"", n.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Index of the single column whose normalised name is one of `wanted`.
pub(crate) fn find(names: &[String], wanted: &[&str]) -> Result<Option<usize>, String> {
    for w in wanted {
        let hits: Vec<usize> = (0..names.len())
            .filter(|&i| norm(&names[i]) == *w)
            .collect();
        match hits.as_slice() {
            [] => continue,
            [i] => return Ok(Some(*i)),
            _ => {
                return Err(format!(
                    "the header has {} columns named \"{w}\"; rename one",
                    hits.len()
                ));
            }
        }
    }
    Ok(None)
}

fn by_option(names: &[String], name: &str, flag: &str) -> Result<usize, String> {
    find(names, &[norm(name).as_str()])?.ok_or_else(|| {
        format!(
            "{flag} \"{name}\" is not a column; the columns are {}",
            list(names)
        )
    })
}

/// Finds the date/time columns. `first_row` is the first data row, used only to
/// recognise a header that lacks the name of a separate time column.
pub(crate) fn date_columns(
    names: &[String],
    first_row: Option<&[Vec<u8>]>,
    date_opt: Option<&str>,
    time_opt: Option<&str>,
) -> Result<DateCols, String> {
    let date = match date_opt {
        Some(n) => by_option(names, n, "--date-column")?,
        None => match find(names, &DATE_NAMES)? {
            Some(i) => i,
            None if names.first().is_some_and(|n| norm(n).is_empty()) => 0,
            None => {
                return Err(format!(
                    "cannot find a date column (looked for date, datetime, timestamp, time, or an \
                     unnamed first column; the columns are {}); pass --date-column NAME",
                    list(names)
                ));
            }
        },
    };
    let date_desc = if norm(&names[date]).is_empty() {
        format!("date: unnamed column {}", date + 1)
    } else {
        format!("date: \"{}\"", names[date].trim())
    };
    let mut time = match time_opt {
        Some(n) => Some(by_option(names, n, "--time-column")?),
        None if norm(&names[date]) == "date" => find(names, &["time"])?,
        None => None,
    };
    if time == Some(date) {
        return Err("--time-column names the date column; pass a different column".into());
    }
    let mut cols = DateCols {
        date,
        time,
        expected: names.len(),
        shift_after: None,
        description: date_desc.clone(),
    };
    if let Some(t) = time {
        cols.description = format!("{date_desc} + time: \"{}\"", names[t].trim());
        return Ok(cols);
    }
    // A header one name short whose rows carry a time right after the date
    // (e.g. `Date,Open,…` over rows `2006-01-02,09:01:00,3602.00,…`).
    if let Some(row) = first_row
        && row.len() == names.len() + 1
        && time_opt.is_none()
        && let Some(d) = row.get(date)
        && let Some(t) = row.get(date + 1)
        && matches!(parse_datetime(d.trim_ascii()), Ok(RawTime::Date(_)))
        && parse_time_only(t.trim_ascii()).is_ok()
    {
        time = Some(date + 1);
        cols.time = time;
        cols.expected = names.len() + 1;
        cols.shift_after = Some(date);
        cols.description = format!(
            "{date_desc} + time: unnamed field {} (the header has no name for it; later names \
             shifted right by one)",
            date + 2
        );
    }
    Ok(cols)
}

/// Required price column `what`, looked up by `aliases`.
pub(crate) fn required(names: &[String], what: &str, aliases: &[&str]) -> Result<usize, String> {
    find(names, aliases)?.ok_or_else(|| {
        let adj = if what == "close" && find(names, &ADJ_NAMES).ok().flatten().is_some() {
            " (an adjusted close is never used in place of close)"
        } else {
            ""
        };
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!(
            "cannot find {article} {what} column (looked for {}{adj}; the columns are {}); rename the header",
            aliases.join(", "),
            list(names)
        )
    })
}

/// Bar file columns as field indices.
#[derive(Clone, Debug)]
pub(crate) struct BarCols {
    pub dates: DateCols,
    pub open: usize,
    pub high: usize,
    pub low: usize,
    pub close: usize,
    pub volume: Option<usize>,
    pub symbol: Option<usize>,
    pub description: String,
}

/// Maps a bar file header.
pub(crate) fn bar_columns(
    names: &[String],
    first_row: Option<&[Vec<u8>]>,
    date_opt: Option<&str>,
    time_opt: Option<&str>,
) -> Result<BarCols, String> {
    let dates = date_columns(names, first_row, date_opt, time_opt)?;
    let has = |aliases: &[&str]| find(names, aliases).ok().flatten().is_some();
    if !has(&["open", "o"]) && !has(&["high", "h"]) && has(&["price", "trade price", "last"]) {
        return Err(format!(
            "this looks like a file of ticks (the columns are {}), not bars; aggregate it \
             into bars first: tradelab data aggregate --ticks FILE --timeframe 1m --out BARS.csv",
            list(names)
        ));
    }
    let open = required(names, "open", &["open", "o"])?;
    let high = required(names, "high", &["high", "h"])?;
    let low = required(names, "low", &["low", "l"])?;
    let close = required(names, "close", &["close", "c", "last"])?;
    let volume = find(names, &["volume", "vol", "v"])?;
    let symbol = find(names, &["ticker", "symbol"])?;
    let adj = find(names, &ADJ_NAMES)?;
    let mut d = dates.description.clone();
    for (what, i) in [
        ("open", open),
        ("high", high),
        ("low", low),
        ("close", close),
    ] {
        d += &format!(", {what}: \"{}\"", names[i].trim());
    }
    match volume {
        Some(v) => d += &format!(", volume: \"{}\"", names[v].trim()),
        None => d += ", volume: none (0)",
    }
    if let Some(s) = symbol {
        d += &format!(", symbol: \"{}\"", names[s].trim());
    }
    if let Some(a) = adj {
        d += &format!(", ignored adjusted close: \"{}\"", names[a].trim());
    }
    Ok(BarCols {
        open: dates.field(open),
        high: dates.field(high),
        low: dates.field(low),
        close: dates.field(close),
        volume: volume.map(|v| dates.field(v)),
        symbol: symbol.map(|s| dates.field(s)),
        dates,
        description: d,
    })
}
