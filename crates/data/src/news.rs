//! News items and an in-memory, point-in-time archive of them.
//!
//! An LLM agent's `search_news` tool reads the archive up to its decision time only:
//! [`NewsArchive::search`] never returns an item published after `until`. Items come
//! from CSV or JSONL files ([`parse_news`]) with the fields `timestamp`, `symbols`,
//! `headline`, `body` and `source`; an item without a timestamp, or with one that does
//! not parse, is refused with its line and field named.
//!
//! Timestamps take the bar importer's layouts (`2013-03-01`, `2013-03-01 14:30`,
//! RFC 3339 with an offset, epoch numbers of 9+ digits); a time without an offset is
//! read as UTC.

use crate::timeparse::{NANOS_PER_DAY, RawTime, TimeError, parse_datetime};
use tradelab_core::{Symbol, Timestamp};

/// One news item: when it was published, which symbols it concerns, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewsItem {
    /// When the item became public (UTC).
    pub published: Timestamp,
    /// The symbols it is about (may be empty: general market news).
    pub symbols: Vec<Symbol>,
    /// Its title.
    pub headline: String,
    /// Its text (may be empty).
    pub body: String,
    /// Who published it (may be empty).
    pub source: String,
}

/// News items sorted by publication time, searched point-in-time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewsArchive {
    items: Vec<NewsItem>,
}

/// An archive with nothing in it, for deciders built without news.
pub static EMPTY_NEWS: NewsArchive = NewsArchive::empty();

impl NewsArchive {
    /// An archive with no items.
    pub const fn empty() -> Self {
        NewsArchive { items: Vec::new() }
    }

    /// An archive of `items`, sorted by publication time (stable: items published at
    /// the same instant keep their given order).
    pub fn new(mut items: Vec<NewsItem>) -> Self {
        items.sort_by_key(|n| n.published);
        NewsArchive { items }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the archive holds no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every item, oldest first.
    pub fn items(&self) -> &[NewsItem] {
        &self.items
    }

    /// Up to `limit` items published at or before `until`, newest first, that concern
    /// `symbol` (when given) and match `query`: every whitespace-separated word of the
    /// query appears in the headline or the body, ignoring case. An empty query
    /// matches every item.
    pub fn search(
        &self,
        query: &str,
        symbol: Option<&Symbol>,
        until: Timestamp,
        limit: usize,
    ) -> Vec<&NewsItem> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let visible = self.items.partition_point(|n| n.published <= until);
        self.items[..visible]
            .iter()
            .rev()
            .filter(|n| symbol.is_none_or(|s| n.symbols.contains(s)))
            .filter(|n| {
                if words.is_empty() {
                    return true;
                }
                let headline = n.headline.to_lowercase();
                let body = n.body.to_lowercase();
                words
                    .iter()
                    .all(|w| headline.contains(w.as_str()) || body.contains(w.as_str()))
            })
            .take(limit)
            .collect()
    }
}

/// Why a news file could not be read. Every message names the line (1-based, the CSV
/// header is line 1) and, for a bad value, the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewsError {
    /// A JSON array where JSONL (one object a line) was expected.
    #[error(
        "a JSON array; write one JSON object a line (JSONL) with timestamp, symbols, \
         headline, body and source"
    )]
    JsonArray,
    /// The CSV header lacks a required column.
    #[error("news CSV: no {column} column in the header (columns: {found})")]
    MissingColumn {
        /// The column needed.
        column: &'static str,
        /// The header's columns, comma-separated.
        found: String,
    },
    /// An item has no timestamp (empty or missing field).
    #[error("news line {line}: field timestamp is missing; every news item needs one")]
    MissingTimestamp {
        /// Line of the item.
        line: usize,
    },
    /// An item's timestamp does not parse.
    #[error("news line {line}: field timestamp {value:?} is not a date or time: {reason}")]
    BadTimestamp {
        /// Line of the item.
        line: usize,
        /// The text given.
        value: String,
        /// Why it is not understood.
        reason: String,
    },
    /// An item's field has the wrong form (a symbol with a space, a headline that is a
    /// number, …).
    #[error("news line {line}: field {field}: {message}")]
    BadField {
        /// Line of the item.
        line: usize,
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A line is not a valid CSV record or JSON object.
    #[error("news line {line}: {message}")]
    Syntax {
        /// Line at fault.
        line: usize,
        /// What the parser said.
        message: String,
    },
}

/// The items of a news file named `name`: `.csv` as CSV, `.jsonl`/`.ndjson` as JSONL,
/// any other name by its content (JSONL when it starts with `{`); a JSON array is
/// refused with what to write instead.
pub fn parse_news_file(name: &str, text: &str) -> Result<Vec<NewsItem>, NewsError> {
    let ext = std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() != Some("csv") && text.trim_start().starts_with('[') {
        return Err(NewsError::JsonArray);
    }
    match ext.as_deref() {
        Some("csv") => parse_news_csv(text),
        Some("jsonl" | "ndjson") => parse_news_jsonl(text),
        _ => parse_news(text),
    }
}

/// Reads news from CSV or JSONL text: JSONL when the first non-blank character is
/// `{`, CSV otherwise.
pub fn parse_news(text: &str) -> Result<Vec<NewsItem>, NewsError> {
    if text.trim_start().starts_with('{') {
        parse_news_jsonl(text)
    } else {
        parse_news_csv(text)
    }
}

/// Reads news from JSONL: one JSON object a line with `timestamp` (a string, or an
/// epoch number), `symbols` (an array of strings, or one string separated by `;`, `|`
/// or `,`), `headline`, `body` and `source`. Blank lines are skipped.
pub fn parse_news_jsonl(text: &str) -> Result<Vec<NewsItem>, NewsError> {
    let mut items = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| NewsError::Syntax {
                line,
                message: format!("not a JSON object: {e}"),
            })?;
        let Some(obj) = value.as_object() else {
            return Err(NewsError::Syntax {
                line,
                message: "not a JSON object".into(),
            });
        };
        let stamp = match obj.get("timestamp") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                return Err(NewsError::BadTimestamp {
                    line,
                    value: other.to_string(),
                    reason: "expected a string or a number".into(),
                });
            }
        };
        let text_field = |field: &'static str| -> Result<String, NewsError> {
            match obj.get(field) {
                None | Some(serde_json::Value::Null) => Ok(String::new()),
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(NewsError::BadField {
                    line,
                    field,
                    message: format!("expected a string, got {other}"),
                }),
            }
        };
        let symbols = match obj.get("symbols") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::String(s)) => split_symbols(s, line)?,
            Some(serde_json::Value::Array(list)) => {
                let mut out = Vec::with_capacity(list.len());
                for v in list {
                    let Some(s) = v.as_str() else {
                        return Err(NewsError::BadField {
                            line,
                            field: "symbols",
                            message: format!("expected strings, got {v}"),
                        });
                    };
                    out.push(symbol(s, line)?);
                }
                out
            }
            Some(other) => {
                return Err(NewsError::BadField {
                    line,
                    field: "symbols",
                    message: format!("expected an array or a string, got {other}"),
                });
            }
        };
        items.push(NewsItem {
            published: published(stamp.as_deref(), line)?,
            symbols,
            headline: text_field("headline")?,
            body: text_field("body")?,
            source: text_field("source")?,
        });
    }
    Ok(items)
}

/// Reads news from CSV with a header naming `timestamp` (or `published`, `datetime`,
/// `date`, `time`), `headline` (or `title`), and optionally `symbols` (or `symbol`,
/// `tickers`), `body` (or `text`, `summary`) and `source`; case and order do not matter.
pub fn parse_news_csv(text: &str) -> Result<Vec<NewsItem>, NewsError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| NewsError::Syntax {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| header.iter().position(|h| h == n))
    };
    let missing = |column| NewsError::MissingColumn {
        column,
        found: header.join(", "),
    };
    let ts_col = find(&["timestamp", "published", "datetime", "date", "time"])
        .ok_or_else(|| missing("timestamp"))?;
    let headline_col = find(&["headline", "title"]).ok_or_else(|| missing("headline"))?;
    let symbols_col = find(&["symbols", "symbol", "tickers", "ticker"]);
    let body_col = find(&["body", "text", "summary", "content"]);
    let source_col = find(&["source", "publisher"]);
    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| NewsError::Syntax {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("");
        items.push(NewsItem {
            published: published(Some(field(Some(ts_col))), line)?,
            symbols: split_symbols(field(symbols_col), line)?,
            headline: field(Some(headline_col)).to_string(),
            body: field(body_col).to_string(),
            source: field(source_col).to_string(),
        });
    }
    Ok(items)
}

/// The publication time of an item at `line`, or why it has none.
fn published(stamp: Option<&str>, line: usize) -> Result<Timestamp, NewsError> {
    let text = stamp.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(NewsError::MissingTimestamp { line });
    }
    let bad = |reason: &str| NewsError::BadTimestamp {
        line,
        value: text.to_string(),
        reason: reason.to_string(),
    };
    let nanos = match parse_datetime(text.as_bytes()) {
        Ok(RawTime::Date(days)) => days.checked_mul(NANOS_PER_DAY),
        Ok(RawTime::Naive(days, nanos)) => days
            .checked_mul(NANOS_PER_DAY)
            .and_then(|d| d.checked_add(nanos)),
        Ok(RawTime::Instant(nanos)) => Some(nanos),
        Err(TimeError::NoFormat) => {
            return Err(bad(
                "use YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (UTC), RFC 3339 with an offset, \
                 or an epoch number",
            ));
        }
        Err(TimeError::MonthFirst) => {
            return Err(bad("slashed dates are read month first (M/D/YYYY)"));
        }
        Err(TimeError::Invalid) => return Err(bad("no such date or time")),
    };
    nanos
        .map(Timestamp::from_nanos)
        .ok_or_else(|| bad("out of the representable range"))
}

/// The symbols of a field separated by `;`, `|` or `,` (blanks ignored).
fn split_symbols(field: &str, line: usize) -> Result<Vec<Symbol>, NewsError> {
    field
        .split([';', '|', ','])
        .filter(|s| !s.trim().is_empty())
        .map(|s| symbol(s, line))
        .collect()
}

fn symbol(text: &str, line: usize) -> Result<Symbol, NewsError> {
    Symbol::new(text).map_err(|e| NewsError::BadField {
        line,
        field: "symbols",
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::from_jiff(text.parse().unwrap()).unwrap()
    }

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    const CSV: &str = "timestamp,symbols,headline,body,source\n\
        2013-02-27,AAPL;MSFT,Tech rally,Apple and Microsoft rise,Wire\n\
        2013-03-01 15:00,AAPL,Apple earnings beat,Record iPhone sales,Desk\n\
        2013-03-04T09:00:00Z,MSFT|AAPL,Future item,Should stay hidden,Wire\n\
        2013-02-28,,Fed holds rates,Markets calm,\"Wire, Inc\"\n";

    #[test]
    fn search_returns_only_items_published_up_to_the_decision_time_newest_first() {
        let news = NewsArchive::new(parse_news(CSV).unwrap());
        let found = news.search("", None, ts("2013-03-01T15:00:00Z"), 10);
        let headlines: Vec<&str> = found.iter().map(|n| n.headline.as_str()).collect();
        assert_eq!(
            headlines,
            ["Apple earnings beat", "Fed holds rates", "Tech rally"]
        );
        let before = news.search("", None, ts("2013-03-01T14:59:59Z"), 10);
        assert_eq!(before.len(), 2);
    }

    #[test]
    fn search_filters_by_symbol_and_words_ignoring_case() {
        let news = NewsArchive::new(parse_news(CSV).unwrap());
        let until = ts("2013-03-10T00:00:00Z");
        let msft = news.search("", Some(&sym("MSFT")), until, 10);
        assert_eq!(msft.len(), 2);
        let apple = news.search("APPLE iphone", Some(&sym("AAPL")), until, 10);
        assert_eq!(apple.len(), 1);
        assert_eq!(apple[0].headline, "Apple earnings beat");
        assert_eq!(news.search("", None, until, 1).len(), 1);
        assert!(news.search("bitcoin", None, until, 10).is_empty());
    }

    #[test]
    fn csv_fields_are_read_with_quotes_and_symbol_separators() {
        let items = parse_news(CSV).unwrap();
        assert_eq!(items[2].symbols, vec![sym("MSFT"), sym("AAPL")]);
        assert_eq!(items[3].source, "Wire, Inc");
        assert!(items[3].symbols.is_empty());
        assert_eq!(items[1].published, ts("2013-03-01T15:00:00Z"));
    }

    #[test]
    fn jsonl_items_take_symbol_lists_or_strings_and_epoch_numbers() {
        let text = r#"{"timestamp":"2013-03-01T10:00:00-05:00","symbols":["AAPL"],"headline":"A","body":"b","source":"s"}

{"timestamp":1362150000,"symbols":"AAPL,MSFT","headline":"B"}"#;
        let items = parse_news(text).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].published, ts("2013-03-01T15:00:00Z"));
        assert_eq!(items[1].published, Timestamp::from_secs(1_362_150_000));
        assert_eq!(items[1].symbols.len(), 2);
        assert_eq!(items[1].body, "");
    }

    #[test]
    fn refuses_an_item_without_a_timestamp_naming_the_line() {
        let csv = "timestamp,headline\n2013-03-01,ok\n,no time\n";
        let e = parse_news(csv).unwrap_err();
        assert_eq!(e, NewsError::MissingTimestamp { line: 3 });
        assert!(e.to_string().contains("line 3: field timestamp is missing"));
        let jsonl = "{\"timestamp\":\"2013-03-01\",\"headline\":\"a\"}\n{\"headline\":\"b\"}";
        assert_eq!(
            parse_news(jsonl).unwrap_err(),
            NewsError::MissingTimestamp { line: 2 }
        );
    }

    #[test]
    fn refuses_an_unparsable_timestamp_naming_line_field_and_value() {
        let e = parse_news("timestamp,headline\nyesterday,x\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("news line 2: field timestamp \"yesterday\""),
            "{text}"
        );
        let e = parse_news("{\"timestamp\":\"2013-02-30\",\"headline\":\"x\"}").unwrap_err();
        assert!(e.to_string().contains("no such date"), "{e}");
    }

    #[test]
    fn refuses_a_header_without_timestamp_or_headline_and_a_bad_symbol() {
        let e = parse_news("date_of_item,headline\n2013-03-01,x\n").unwrap_err();
        assert!(
            matches!(
                e,
                NewsError::MissingColumn {
                    column: "timestamp",
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_news("timestamp,symbols,headline\n2013-03-01,BAD SYM,x\n").unwrap_err();
        assert!(
            e.to_string().starts_with("news line 2: field symbols"),
            "{e}"
        );
    }

    #[test]
    fn the_empty_archive_finds_nothing() {
        assert!(EMPTY_NEWS.is_empty());
        assert!(
            EMPTY_NEWS
                .search("", None, Timestamp::from_secs(i64::MAX / 2_000_000_000), 5)
                .is_empty()
        );
    }
}
