//! Getting bytes (memory-mapped files), reading the header, and choosing between the
//! fast path (no quote characters anywhere) and the `csv`-crate path.

use crate::split::{Chunk, Chunks, RowParser, parse_csv, parse_fast};
use crate::{BadRowPolicy, Delimiter, ImportError};
use std::path::Path;

/// The header and first data row of a CSV text.
pub(crate) struct Source<'a> {
    /// The whole text, without a UTF-8 byte-order mark.
    pub bytes: &'a [u8],
    /// Header names, trimmed.
    pub header: Vec<String>,
    /// The first data row's fields (for layout detection), if any.
    pub first_row: Option<Vec<Vec<u8>>>,
    /// The field separator (forced, or detected from the header line).
    pub delimiter: Delimiter,
    /// Byte offset and line number of the first data row.
    data_start: (usize, usize),
}

fn reader(bytes: &[u8], delimiter: Delimiter) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter.byte())
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

impl<'a> Source<'a> {
    /// Reads the header, split at `delimiter` (detected when `None`); errors when the
    /// text is empty.
    pub(crate) fn new(
        name: &str,
        bytes: &'a [u8],
        delimiter: Option<Delimiter>,
    ) -> Result<Self, ImportError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let delimiter = delimiter.unwrap_or_else(|| Delimiter::detect(bytes));
        let mut rd = reader(bytes, delimiter);
        let mut rec = csv::ByteRecord::new();
        let io = |e: csv::Error| ImportError::layout(name, format!("cannot read the header: {e}"));
        if !rd.read_byte_record(&mut rec).map_err(io)? {
            return Err(ImportError::layout(
                name,
                "the file is empty (no header, no rows)",
            ));
        }
        let raw_header = rec.as_slice();
        if std::str::from_utf8(raw_header).is_err() {
            return Err(ImportError::layout(
                name,
                "the first line is not UTF-8 text: is this a CSV file?",
            ));
        }
        if raw_header.iter().any(|&b| b < b' ' && b != b'\t') {
            return Err(ImportError::layout(
                name,
                "the first line holds control characters: is this a CSV file?",
            ));
        }
        let header: Vec<String> = rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        // One column that holds another separator: the forced one is wrong.
        if let [only] = header.as_slice()
            && let seen = Delimiter::detect(only.as_bytes())
            && seen != delimiter
            && only.as_bytes().contains(&seen.byte())
        {
            return Err(ImportError::layout(
                name,
                format!(
                    "split at {delimiter} the header is one column, but it looks separated by \
                     {seen}: pass --delimiter {}, or leave --delimiter out to detect it",
                    seen.name()
                ),
            ));
        }
        // The csv crate may leave the `\n` of a CRLF header unread: start after it.
        let mut start = usize::try_from(rd.position().byte())
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..start]).count();
        let data_start = (start, line);
        let first_row = match rd.read_byte_record(&mut rec) {
            Ok(true) => Some(rec.iter().map(<[u8]>::to_vec).collect()),
            _ => None,
        };
        Ok(Source {
            bytes,
            header,
            first_row,
            delimiter,
            data_start,
        })
    }

    /// Parses every data row, in chunks in file order.
    pub(crate) fn rows<P: RowParser>(
        &self,
        name: &str,
        expected: usize,
        parser: &P,
        policy: BadRowPolicy,
    ) -> Result<Chunks<P>, ImportError>
    where
        P::Out: Copy,
    {
        let (start, line) = self.data_start;
        let data = self.bytes.get(start..).unwrap_or_default();
        if let Some(parsed) = parse_fast(data, line, expected, parser, policy, self.delimiter) {
            return Ok(parsed);
        }
        let mut rd = reader(self.bytes, self.delimiter);
        let mut rec = csv::ByteRecord::new();
        rd.read_byte_record(&mut rec)
            .map_err(|e| ImportError::layout(name, format!("cannot read the header: {e}")))?;
        parse_csv(self.bytes, &mut rd, expected, parser, policy).map_err(|(line, message)| {
            ImportError::Row {
                file: name.to_string(),
                line,
                message,
            }
        })
    }
}

/// The first error of the first chunk that stopped, as an [`ImportError`].
pub(crate) fn first_error<S>(name: &str, chunks: &[Chunk<S>]) -> Result<(), ImportError> {
    match chunks.iter().find_map(|c| c.error.as_ref()) {
        Some((line, message)) => Err(ImportError::Row {
            file: name.to_string(),
            line: *line,
            message: message.clone(),
        }),
        None => Ok(()),
    }
}

/// Runs `f` over the bytes of a file (memory-mapped when large) and its display name.
pub(crate) fn with_file<T>(
    path: &Path,
    f: impl FnOnce(&str, &[u8]) -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    let name = path.display().to_string();
    let io = |source| ImportError::Io {
        file: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len < 1 << 16 {
        let bytes = std::fs::read(path).map_err(io)?;
        return f(&name, &bytes);
    }
    // SAFETY: the map is read-only and lives only for this call. If another process
    // truncates the file meanwhile, reads may fault; that is the documented risk of
    // memory-mapping, accepted here for import speed.
    // Not `populate()`d: measured no faster, and without it the pages are mapped
    // by the parallel line count (`split::census`) instead of up front on one core.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    f(&name, &map)
}

/// The last component of a path as given (`data/my_prices.csv` → `my_prices.csv`).
pub(crate) fn file_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The default symbol of a file: its name up to the first `_` or `.`, uppercased.
pub(crate) fn stem_symbol(name: &str) -> String {
    let base = file_name(name);
    base.split(['_', '.']).next().unwrap_or(base).to_uppercase()
}
