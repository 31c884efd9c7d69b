//! Market data import for tradelab: OHLCV bar CSV files → [`BarSeries`], tick CSV
//! files → [`Tick`]s, and tick aggregation into bars of any [`Timeframe`].
//!
//! # Bar files
//! Fields are separated by `,`, `;`, tab or `|`: the separator is detected from the
//! header line ([`Delimiter::detect`]) unless [`CsvOptions::delimiter`] forces one,
//! and reported in [`ImportReport::delimiter`]. Headers are matched case-insensitively after trimming, in any column order;
//! extra columns are ignored. Recognised names:
//! - date: `datetime`, `timestamp`, `date_time`, `date`, `time` (in that priority), or
//!   an unnamed first column; a separate `time` column next to `date` is combined
//!   with it. A header that lacks the name of the time column (rows have one field
//!   more than the header, and the field after the date is a time of day) is
//!   recognised and described in [`ImportReport::columns`]. Override with
//!   `--date-column` / `--time-column` ([`CsvOptions`]).
//! - `open`, `high`, `low`, `close` (required), `volume` (optional, 0 when absent),
//!   `ticker`/`symbol` (optional; without it every row belongs to
//!   [`CsvOptions::symbol`] or to the file-name stem). `adj close`/`adj_close`/
//!   `adjclose` are recognised so they are never taken for `close`, and not used.
//!
//! # Date formats (no options needed)
//! - `YYYY-MM-DD` (also `YYYYMMDD`): a **daily** bar at midnight UTC of that date.
//!   Dates are never shifted by the time zone.
//! - `YYYY-MM-DD HH:MM[:SS[.fff]]` or with `T`: wall-clock time in [`CsvOptions::tz`]
//!   (default UTC). Times in a DST gap move forward; in a fold the earlier instant
//!   is taken (jiff's "compatible" rule).
//! - ISO 8601 with `Z` or an offset (`+01:00`, `-0500`): absolute instants.
//! - `M/D/YYYY[ H:MM[:SS]]`: slashed dates are **always read month first (US)**.
//!   There is no guessing: `13/5/2019` is an error that says to pass
//!   `--date-format %d/%m/%Y` for day-first files.
//! - Epoch numbers with 9 or more integer digits, unit by magnitude: below 10¹¹
//!   seconds (fraction allowed), below 10¹⁴ milliseconds, below 10¹⁷ microseconds,
//!   otherwise nanoseconds. Shorter numbers are rejected (an 8-digit number is read
//!   as `YYYYMMDD`).
//! - Anything else: pass [`CsvOptions::date_format`] (strftime, via jiff).
//!
//! # Validation
//! Every row is validated (non-numeric, empty, NaN or infinite fields; prices ≤ 0;
//! negative volume; high/low inconsistent with open/close, via [`Bar::new`]) and
//! duplicates per symbol are rejected. Every error names the file and line. Under
//! [`BadRowPolicy::Error`] the first bad row (in file order) stops the import;
//! duplicates are checked once every row parsed. Under [`BadRowPolicy::Skip`] bad
//! rows are listed in [`ImportReport::skipped`] and, for duplicates, the first row
//! in file order is kept. Unsorted rows are sorted (stable) and flagged.
//!
//! # Speed
//! Files without any `"` take a fast path: memory-mapped, split into
//! newline-aligned chunks parsed on scoped threads (one per core, up to 8). One
//! parallel pass counts the lines of each chunk (and looks for quotes), so each
//! thread writes its rows straight into its share of one output buffer, which
//! becomes the series without a copy. A scanner walks each row once, straight
//! from the file bytes: `YYYY-MM-DD[ HH:MM:SS]` dates are read in place (the day
//! is cached between rows), plain decimals by SWAR (correctly rounded,
//! bit-identical to fast-float2), and the line end is found on the way. Time
//! order is tracked while parsing, so sorted files skip the sort and duplicate
//! checks. Any row the scanner is unsure about (quotes, exponents, signs, spaces,
//! other layouts, errors) goes to the general row parser, which is also what the
//! `csv`-crate path (taken for files containing quotes) uses — so both paths give
//! identical bars, errors and line numbers (property-tested).
//!
//! # Ticks
//! See [`load_ticks`], [`aggregate_ticks`], [`Session`] and [`write_agg_csv`].

mod aggregate;
mod bars_csv;
mod delimiter;
mod detect;
mod error;
mod fastline;
mod news;
mod numbers;
mod session;
mod source;
mod split;
mod stamp;
mod ticks;
mod timeparse;
mod tzconv;
mod write;

pub use aggregate::{AggBar, aggregate_ticks};
pub use bars_csv::{load_bars, parse_bars};
pub use delimiter::Delimiter;
pub use error::ImportError;
pub use news::{
    EMPTY_NEWS, NewsArchive, NewsError, NewsItem, parse_news, parse_news_csv, parse_news_file,
    parse_news_jsonl,
};
pub use session::Session;
pub use ticks::{
    LoadedTicks, Tick, TickOptions, load_ticks, load_ticks_with_report, parse_ticks,
    parse_ticks_with_report,
};
pub use write::write_agg_csv;

#[cfg(doc)]
use tradelab_core::{Bar, Timeframe};
use tradelab_core::{BarSeries, Symbol};

/// How to read a bar CSV file. `Default::default()` detects everything; each field
/// overrides one detection step and corresponds to the CLI flag in its doc.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// `--date-column`: name of the date (or date-time) column.
    pub date_column: Option<String>,
    /// `--time-column`: name of a separate time-of-day column.
    pub time_column: Option<String>,
    /// `--date-format`: strftime format of the date column, e.g. `%d.%m.%Y %H:%M`.
    pub date_format: Option<String>,
    /// `--tz`: zone in which naive date-times are read (default UTC). Bare dates
    /// stay midnight UTC.
    pub tz: jiff::tz::TimeZone,
    /// `--symbol`: the symbol of files without a ticker/symbol column (default: the
    /// file name up to the first `_` or `.`, uppercased). Ignored when the file has one.
    pub symbol: Option<Symbol>,
    /// What to do with invalid rows.
    pub on_bad_row: BadRowPolicy,
    /// `--delimiter`: the field separator (default: detected from the header line,
    /// see [`Delimiter::detect`]).
    pub delimiter: Option<Delimiter>,
}

impl Default for CsvOptions {
    /// Detect everything, read naive times as UTC, stop at the first bad row.
    fn default() -> Self {
        CsvOptions {
            date_column: None,
            time_column: None,
            date_format: None,
            tz: jiff::tz::TimeZone::UTC,
            symbol: None,
            on_bad_row: BadRowPolicy::Error,
            delimiter: None,
        }
    }
}

/// What to do with a row that cannot be imported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BadRowPolicy {
    /// Stop at the first bad row with an error naming file and line.
    #[default]
    Error,
    /// Leave the row out and record it in [`ImportReport::skipped`].
    Skip,
}

/// A row left out under [`BadRowPolicy::Skip`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// Why the row was left out (same text as the error would have).
    pub reason: String,
}

/// What an import did, for the user to check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Non-empty data rows read (good and bad).
    pub rows_read: usize,
    /// Bars (or ticks) imported.
    pub bars: usize,
    /// Rows left out, by line.
    pub skipped: Vec<SkippedRow>,
    /// True when some rows were out of time order and had to be sorted.
    pub was_unsorted: bool,
    /// True when every timestamp was a bare date (daily bars at midnight UTC).
    pub daily: bool,
    /// Human description of the detected column mapping and date layout.
    pub columns: String,
    /// The field separator used (detected or forced).
    pub delimiter: Delimiter,
    /// The file name the symbol was taken from, when the file has no symbol column
    /// and no symbol was given (`my_prices.csv` → `MY`): worth telling the user.
    pub symbol_from_file_name: Option<(String, Symbol)>,
}

/// Bars read from one file.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedBars {
    /// One series per symbol, sorted by symbol.
    pub series: Vec<BarSeries>,
    /// What the import did.
    pub report: ImportReport,
}
