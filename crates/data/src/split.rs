//! Turning CSV bytes into rows: a fast path for files without quote characters
//! (memchr splitting, parallel over newline-aligned chunks) and a `csv`-crate path
//! for everything else. Both feed the same [`RowParser`], so they give identical
//! rows, errors and line numbers.

use crate::{BadRowPolicy, Delimiter, SkippedRow};
use std::mem::MaybeUninit;
use std::thread;

/// Access to the raw fields of one record.
pub(crate) trait Fields {
    /// Field `i` (untrimmed), empty when out of range.
    fn get(&self, i: usize) -> &[u8];
}

impl Fields for [&[u8]] {
    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        <[&[u8]]>::get(self, i).copied().unwrap_or(b"")
    }
}

impl Fields for csv::ByteRecord {
    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        csv::ByteRecord::get(self, i).unwrap_or(b"")
    }
}

/// Turns one record into a value; state is per chunk (e.g. a symbol table).
pub(crate) trait RowParser: Sync {
    /// One parsed row.
    type Out: Send;
    /// Per-chunk mutable state.
    type State: Send;
    /// Fresh state for a chunk.
    fn new_state(&self) -> Self::State;
    /// Parses a record, or says what is wrong with it (without file:line).
    fn parse<F: Fields + ?Sized>(&self, st: &mut Self::State, f: &F) -> Result<Self::Out, String>;
    /// Optional fast route for the unquoted, non-empty line at the start of `rest`
    /// (which runs on to the end of the chunk): the row and the offset of its line
    /// end (its `\n`, or `rest.len()`). The row is the line without one trailing
    /// `\r`. It must either return exactly what [`RowParser::parse`] would for that
    /// row, or `None` (including for every invalid row) to let `parse` handle it.
    fn parse_head(&self, _st: &mut Self::State, _rest: &[u8]) -> Option<(Self::Out, usize)> {
        None
    }
}

/// Parsed rows of one file (in file order) and the chunks that produced them.
pub(crate) struct Parsed<O, S> {
    /// Every parsed row; chunk `k` produced the `chunks[k].rows` rows after those
    /// of the chunks before it.
    pub out: Vec<O>,
    /// The chunks, in file order.
    pub chunks: Vec<Chunk<S>>,
}

/// What [`Source::rows`](crate::source::Source::rows) gives for parser `P`.
pub(crate) type Chunks<P> = Parsed<<P as RowParser>::Out, <P as RowParser>::State>;

/// Where a chunk puts its rows.
trait Sink<O> {
    fn put(&mut self, o: O);
}

impl<O> Sink<O> for Vec<O> {
    #[inline]
    fn put(&mut self, o: O) {
        self.push(o);
    }
}

/// A chunk's share of the file's output buffer: room for one row per line.
struct Slots<'s, O> {
    slots: &'s mut [MaybeUninit<O>],
    n: usize,
}

impl<O> Sink<O> for Slots<'_, O> {
    #[inline]
    fn put(&mut self, o: O) {
        // Never out of range: the slots were counted from the part's lines.
        self.slots[self.n].write(o);
        self.n += 1;
    }
}

/// Rows parsed from one part of the file.
pub(crate) struct Chunk<S> {
    /// Rows parsed (see [`Parsed::out`]).
    pub rows: usize,
    /// Line of each parsed row.
    pub lines: Lines,
    /// Rows skipped under [`BadRowPolicy::Skip`].
    pub skipped: Vec<SkippedRow>,
    /// First bad row under [`BadRowPolicy::Error`] (line, message); parsing stopped there.
    pub error: Option<(usize, String)>,
    /// The parser state at the end.
    pub state: S,
    /// Non-empty data rows seen.
    pub rows_read: usize,
    /// Newlines consumed (to number the lines of the next chunk).
    newlines: usize,
}

impl<S> Chunk<S> {
    fn new(state: S) -> Self {
        Chunk {
            rows: 0,
            lines: Lines::default(),
            skipped: Vec::new(),
            error: None,
            state,
            rows_read: 0,
            newlines: 0,
        }
    }

    /// Records the outcome of one row; returns false when parsing must stop.
    #[inline]
    fn record<O>(
        &mut self,
        sink: &mut impl Sink<O>,
        r: Result<O, String>,
        line: usize,
        policy: BadRowPolicy,
    ) -> bool {
        let reason = match r {
            Ok(o) => {
                self.push(sink, o, line);
                return true;
            }
            Err(reason) => reason,
        };
        self.rows_read += 1;
        match policy {
            BadRowPolicy::Skip => {
                self.skipped.push(SkippedRow { line, reason });
                true
            }
            BadRowPolicy::Error => {
                self.error = Some((line, reason));
                false
            }
        }
    }

    /// Records a parsed row.
    #[inline]
    fn push<O>(&mut self, sink: &mut impl Sink<O>, o: O, line: usize) {
        self.rows_read += 1;
        self.rows += 1;
        sink.put(o);
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
    }

    fn shift_lines(&mut self, by: usize) {
        self.lines.shift(u32::try_from(by).unwrap_or(u32::MAX));
        self.skipped.iter_mut().for_each(|s| s.line += by);
        if let Some((l, _)) = &mut self.error {
            *l += by;
        }
    }
}

/// Lines in `part` and whether it holds a quote character, in one pass that
/// compiles to wide compares.
fn census(part: &[u8]) -> (usize, bool) {
    const W: usize = 32;
    let (mut lines, mut quote) = (0, false);
    // 255 blocks per round, so that the byte counters cannot overflow.
    for round in part.chunks(W * 255) {
        let mut nl = [0u8; W];
        let mut q = [0u8; W];
        let mut blocks = round.chunks_exact(W);
        for b in &mut blocks {
            for j in 0..W {
                nl[j] += u8::from(b[j] == b'\n');
                q[j] |= u8::from(b[j] == b'"');
            }
        }
        for &b in blocks.remainder() {
            lines += usize::from(b == b'\n');
            quote |= b == b'"';
        }
        lines += nl.iter().map(|&x| usize::from(x)).sum::<usize>();
        quote |= q.iter().any(|&x| x != 0);
    }
    if part.last().is_some_and(|&b| b != b'\n') {
        lines += 1;
    }
    (lines, quote)
}

/// Fast path: `data` holds the rows after the header, its first line is line
/// `first_line`. Splits into newline-aligned parts parsed on scoped threads, each
/// straight into its share of one output buffer; the chunks come back in file
/// order with correct line numbers. `None` when `data` holds a quote character
/// (the caller then takes the `csv` path). Fields are split at `delimiter`; the
/// line scanner ([`RowParser::parse_head`]) reads comma-separated rows only, so
/// other separators go straight to [`RowParser::parse`].
pub(crate) fn parse_fast<P: RowParser>(
    data: &[u8],
    first_line: usize,
    expected_fields: usize,
    parser: &P,
    policy: BadRowPolicy,
    delimiter: Delimiter,
) -> Option<Chunks<P>>
where
    P::Out: Copy,
{
    let threads = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let n = if data.len() < 1 << 20 { 1 } else { threads };
    let mut bounds = vec![0];
    for k in 1..n {
        let target = (data.len() * k / n).max(bounds[k - 1]);
        let cut = memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |p| target + p + 1);
        bounds.push(cut);
    }
    bounds.push(data.len());
    let parts: Vec<&[u8]> = bounds.windows(2).map(|w| &data[w[0]..w[1]]).collect();
    let census: Vec<(usize, bool)> = on_threads(&parts, |p| census(p));
    if census.iter().any(|c| c.1) {
        return None;
    }
    // One slot per line: every row of a part gets a slot in its share.
    let total: usize = census.iter().map(|c| c.0).sum();
    let mut out: Vec<P::Out> = Vec::with_capacity(total);
    let mut shares = Vec::with_capacity(n);
    let mut spare = &mut out.spare_capacity_mut()[..total];
    for (p, &(lines, _)) in parts.iter().zip(&census) {
        let (share, rest) = spare.split_at_mut(lines);
        shares.push((*p, share));
        spare = rest;
    }
    let mut chunks: Vec<Chunk<P::State>> = on_threads_mut(shares, |(p, share)| {
        let mut slots = Slots { slots: share, n: 0 };
        parse_part(p, expected_fields, parser, policy, delimiter, &mut slots)
    });
    // Close the gaps left by blank and bad lines, then expose the rows.
    let spare = out.spare_capacity_mut();
    let (mut start, mut filled) = (0, 0);
    for (c, &(lines, _)) in chunks.iter().zip(&census) {
        if start != filled {
            spare.copy_within(start..start + c.rows, filled);
        }
        start += lines;
        filled += c.rows;
    }
    // SAFETY: each chunk initialised the first `rows` slots of its share (`Slots`
    // writes them in order), and the loop above moved them, in order, to
    // `0..filled`.
    unsafe { out.set_len(filled) };
    let mut line = first_line;
    for c in &mut chunks {
        c.shift_lines(line);
        line += c.newlines;
    }
    Some(Parsed { out, chunks })
}

/// `f` over every item, the first on this thread and the others on scoped threads.
fn on_threads<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let f = &f;
    thread::scope(|s| {
        let handles: Vec<_> = items[1..].iter().map(|x| s.spawn(move || f(x))).collect();
        let mut out = vec![f(&items[0])];
        out.extend(handles.into_iter().map(|h| match h.join() {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e),
        }));
        out
    })
}

/// [`on_threads`] for items taken by value.
fn on_threads_mut<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let f = &f;
    thread::scope(|s| {
        let mut items = items.into_iter();
        let first = items.next();
        let handles: Vec<_> = items.map(|x| s.spawn(move || f(x))).collect();
        let mut out: Vec<R> = first.into_iter().map(f).collect();
        out.extend(handles.into_iter().map(|h| match h.join() {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e),
        }));
        out
    })
}

/// Parses one newline-aligned part; line numbers are relative (0 = first line).
///
/// Each line of a comma-separated file is first offered to
/// [`RowParser::parse_head`] (a specialised scanner for plain rows); when it
/// declines, or the separator is not a comma, the line is split at `delimiter` and given to
/// [`RowParser::parse`], which is the reference behaviour (and the one the `csv`
/// path uses), so results and messages do not depend on the path taken.
fn parse_part<'a, P: RowParser>(
    part: &'a [u8],
    expected: usize,
    parser: &P,
    policy: BadRowPolicy,
    delimiter: Delimiter,
    sink: &mut impl Sink<P::Out>,
) -> Chunk<P::State> {
    let mut c = Chunk::new(parser.new_state());
    let sep = delimiter.byte();
    let scanner = delimiter == Delimiter::Comma;
    let mut fields: Vec<&'a [u8]> = Vec::with_capacity(expected + 1);
    let mut pos = 0;
    let mut line = 0;
    while pos < part.len() {
        let rest = &part[pos..];
        if scanner
            && !matches!(rest[0], b'\n' | b'\r')
            && let Some((out, used)) = parser.parse_head(&mut c.state, rest)
        {
            let end = pos + used;
            if end < part.len() {
                c.newlines += 1;
            }
            pos = end + 1;
            c.push(sink, out, line);
            line += 1;
            continue;
        }
        let end = memchr::memchr(b'\n', rest).map_or(part.len(), |p| pos + p);
        let mut row = &part[pos..end];
        if end < part.len() {
            c.newlines += 1;
        }
        pos = end + 1;
        line += 1;
        if let [rest @ .., b'\r'] = row {
            row = rest;
        }
        if row.is_empty() {
            continue;
        }
        fields.clear();
        fields.extend(row.split(|&b| b == sep));
        let r = if fields.len() == expected {
            parser.parse(&mut c.state, fields.as_slice())
        } else {
            Err(field_count_message(expected, fields.len()))
        };
        if !c.record(sink, r, line - 1, policy) {
            break;
        }
    }
    c
}

pub(crate) fn field_count_message(expected: usize, found: usize) -> String {
    format!("expected {expected} fields like the header, found {found}")
}

/// Slow path via the `csv` crate (quoted fields); `reader` reads `bytes` and is
/// positioned after the header.
///
/// Line numbers are counted here from each record's byte offset: with CRLF line
/// ends the `csv` crate reports a record as starting on the previous line.
pub(crate) fn parse_csv<P: RowParser>(
    bytes: &[u8],
    reader: &mut csv::Reader<&[u8]>,
    expected: usize,
    parser: &P,
    policy: BadRowPolicy,
) -> Result<Chunks<P>, (usize, String)> {
    let mut c = Chunk::new(parser.new_state());
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let (mut counted, mut line) = (0, 1);
    let mut line_at = |offset: u64| {
        let mut start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > counted {
            line += memchr::memchr_iter(b'\n', &bytes[counted..start]).count();
            counted = start;
        }
        line
    };
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                return Err((line, e.to_string()));
            }
        }
        let line = rec.position().map_or(0, |p| line_at(p.byte()));
        let r = if rec.len() == expected {
            parser.parse(&mut c.state, &rec)
        } else {
            Err(field_count_message(expected, rec.len()))
        };
        if !c.record(&mut out, r, line, policy) {
            break;
        }
    }
    Ok(Parsed {
        out,
        chunks: vec![c],
    })
}

/// Line numbers of a sequence of rows, stored as runs of consecutive lines: the
/// rows of a clean file take one run instead of four bytes each.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lines {
    /// `(index of the first row, its line)` of each run.
    runs: Vec<(usize, u32)>,
    len: usize,
}

impl Lines {
    /// Appends the line of the next row.
    #[inline]
    pub(crate) fn push(&mut self, line: u32) {
        match self.runs.last() {
            Some(&(i, l)) if u64::from(l) + (self.len - i) as u64 == u64::from(line) => {}
            _ => self.runs.push((self.len, line)),
        }
        self.len += 1;
    }

    /// Appends the lines of `other`.
    pub(crate) fn extend(&mut self, other: &Lines) {
        for (k, &(i, l)) in other.runs.iter().enumerate() {
            let n = other.runs.get(k + 1).map_or(other.len, |r| r.0) - i;
            self.push(l);
            self.len += n - 1;
        }
    }

    /// Adds `by` to every line.
    fn shift(&mut self, by: u32) {
        self.runs
            .iter_mut()
            .for_each(|r| r.1 = r.1.saturating_add(by));
    }

    /// The lines, one per row.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs.iter().enumerate().flat_map(|(k, &(i, l))| {
            let n = self.runs.get(k + 1).map_or(self.len, |r| r.0) - i;
            (0..n).map(move |j| l.saturating_add(u32::try_from(j).unwrap_or(u32::MAX)))
        })
    }

    /// The lines, one per row.
    pub(crate) fn to_vec(&self) -> Vec<u32> {
        let mut v = Vec::with_capacity(self.len);
        v.extend(self.iter());
        v
    }
}

/// Trims ASCII whitespace (spaces, tabs) around a field.
#[inline]
pub(crate) fn trim(f: &[u8]) -> &[u8] {
    f.trim_ascii()
}

/// Text of a field for messages.
pub(crate) fn show(f: &[u8]) -> String {
    String::from_utf8_lossy(trim(f)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn census_counts_lines_and_finds_quotes() {
        let mut text = Vec::new();
        for i in 0..20_000 {
            text.extend_from_slice(format!("{i},x\n").as_bytes());
        }
        assert_eq!(census(&text), (20_000, false));
        text.extend_from_slice(b"last");
        assert_eq!(census(&text), (20_001, false));
        text.push(b'"');
        assert_eq!(census(&text), (20_001, true));
        let mut quoted = vec![b'a'; 9_000];
        quoted[8_500] = b'"';
        assert_eq!(census(&quoted), (1, true));
        assert_eq!(census(b""), (0, false));
        assert_eq!(census(b"\n\n"), (2, false));
    }

    #[test]
    fn lines_store_runs_and_give_every_line() {
        let want: Vec<u32> = vec![2, 3, 4, 7, 8, 20, 21, 22, 23, 5];
        let mut lines = Lines::default();
        want.iter().for_each(|&l| lines.push(l));
        assert_eq!(lines.runs.len(), 4);
        assert_eq!(lines.to_vec(), want);
        let mut joined = Lines::default();
        joined.push(0);
        joined.push(1);
        let mut tail = Lines::default();
        [2, 3, 9].iter().for_each(|&l| tail.push(l));
        joined.extend(&tail);
        assert_eq!(joined.to_vec(), vec![0, 1, 2, 3, 9]);
        assert_eq!(joined.runs.len(), 2);
        joined.shift(10);
        assert_eq!(joined.iter().collect::<Vec<_>>(), vec![10, 11, 12, 13, 19]);
    }
}
