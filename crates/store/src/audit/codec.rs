//! Little-endian primitives of the audit chunk layouts of schema versions 4–5 (read
//! by the conversion to rows): varints, decimals, strings,
//! JSON documents and a per-chunk symbol table. Decoding never panics: every read
//! checks the bytes left and returns a message naming what was wrong.

use rust_decimal::Decimal;
use serde_json::Value;
use tradelab_core::{Side, Symbol, Timestamp};

/// Why a chunk does not decode (turned into a typed store error by the caller).
pub(super) type DecodeResult<T> = std::result::Result<T, String>;

/// Appends values to a chunk's bytes (tests only: they write the chunks of a
/// version-5 database to convert).
#[cfg(test)]
#[derive(Default)]
pub(super) struct Writer {
    version: u8,
    buf: Vec<u8>,
    symbols: Vec<Symbol>,
    scratch: Vec<u8>,
}

#[cfg(test)]
impl Writer {
    /// A writer of a chunk in layout `version`.
    pub(super) fn new(version: u8, capacity: usize) -> Self {
        Writer {
            version,
            buf: Vec::with_capacity(capacity),
            ..Default::default()
        }
    }

    pub(super) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(super) fn i64_fixed(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(super) fn ts(&mut self, ts: Timestamp) {
        self.i64_fixed(ts.nanos());
    }

    /// Unsigned LEB128.
    pub(super) fn varint(&mut self, mut v: u128) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    /// Zigzag-encoded signed LEB128.
    pub(super) fn zigzag(&mut self, v: i128) {
        self.varint(((v << 1) ^ (v >> 127)) as u128);
    }

    pub(super) fn len(&mut self, n: usize) {
        self.varint(n as u128);
    }

    /// Scale byte, then the zigzag mantissa.
    pub(super) fn decimal(&mut self, d: Decimal) {
        self.u8(d.scale() as u8);
        self.zigzag(d.mantissa());
    }

    pub(super) fn opt_decimal(&mut self, d: Option<Decimal>) {
        match d {
            None => self.u8(0),
            Some(d) => {
                self.u8(1);
                self.decimal(d);
            }
        }
    }

    pub(super) fn str(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }

    pub(super) fn side(&mut self, side: Side) {
        self.u8(match side {
            Side::Buy => 0,
            Side::Sell => 1,
        });
    }

    /// A JSON document as its compact text.
    pub(super) fn json<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> DecodeResult<()> {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, v).map_err(|e| e.to_string())?;
        self.len(self.scratch.len());
        self.buf.extend_from_slice(&self.scratch);
        Ok(())
    }

    /// The symbol's index in the chunk's symbol table (added on first use).
    pub(super) fn symbol(&mut self, s: &Symbol) {
        let i = match self.symbols.iter().position(|k| k == s) {
            Some(i) => i,
            None => {
                self.symbols.push(s.clone());
                self.symbols.len() - 1
            }
        };
        self.len(i);
    }

    /// An optional symbol: 0 for none, else its index + 1.
    pub(super) fn opt_symbol(&mut self, s: Option<&Symbol>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.symbol(s);
            }
        }
    }

    /// The chunk's bytes: version byte, symbol table, then the records written.
    pub(super) fn finish(self) -> Vec<u8> {
        let mut head = Writer::default();
        head.len(self.symbols.len());
        for s in &self.symbols {
            head.str(s.as_str());
        }
        let mut out = Vec::with_capacity(1 + head.buf.len() + self.buf.len());
        out.push(self.version);
        out.extend_from_slice(&head.buf);
        out.extend_from_slice(&self.buf);
        out
    }
}

/// Reads values back from a chunk's bytes.
pub(super) struct Reader<'a> {
    data: &'a [u8],
    at: usize,
    symbols: Vec<Symbol>,
}

impl<'a> Reader<'a> {
    /// Checks the version byte and reads the symbol table.
    pub(super) fn open(data: &'a [u8], version: u8) -> DecodeResult<Self> {
        let mut r = Reader {
            data,
            at: 0,
            symbols: Vec::new(),
        };
        let found = r.u8().map_err(|_| "empty data".to_string())?;
        if found != version {
            return Err(format!("unknown format version {found}"));
        }
        let n = r.len()?;
        for _ in 0..n {
            let text = r.str()?;
            let symbol = Symbol::new(text).map_err(|e| format!("symbol table: {e}"))?;
            r.symbols.push(symbol);
        }
        Ok(r)
    }

    /// True when every byte was read.
    pub(super) fn at_end(&self) -> bool {
        self.at == self.data.len()
    }

    fn take(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let bytes = &self.data[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    pub(super) fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn flag(&mut self) -> DecodeResult<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("flag byte {other} at byte {}", self.at - 1)),
        }
    }

    pub(super) fn i64_fixed(&mut self) -> DecodeResult<i64> {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(word))
    }

    pub(super) fn ts(&mut self) -> DecodeResult<Timestamp> {
        self.i64_fixed().map(Timestamp::from_nanos)
    }

    pub(super) fn varint(&mut self) -> DecodeResult<u128> {
        let mut v: u128 = 0;
        for shift in (0..128).step_by(7) {
            let byte = self.u8()?;
            let bits = u128::from(byte & 0x7f);
            if shift == 126 && bits > 0b11 {
                break;
            }
            v |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("varint too long at byte {}", self.at))
    }

    pub(super) fn zigzag(&mut self) -> DecodeResult<i128> {
        let v = self.varint()?;
        Ok(((v >> 1) as i128) ^ -((v & 1) as i128))
    }

    pub(super) fn i64(&mut self) -> DecodeResult<i64> {
        let v = self.zigzag()?;
        i64::try_from(v).map_err(|_| format!("integer {v} out of range"))
    }

    pub(super) fn len(&mut self) -> DecodeResult<usize> {
        let v = self.varint()?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= self.data.len())
            .ok_or_else(|| format!("length {v} exceeds the chunk"))
    }

    pub(super) fn decimal(&mut self) -> DecodeResult<Decimal> {
        let scale = self.u8()?;
        let mantissa = self.zigzag()?;
        Decimal::try_from_i128_with_scale(mantissa, u32::from(scale))
            .map_err(|e| format!("decimal {mantissa}e-{scale}: {e}"))
    }

    pub(super) fn opt_decimal(&mut self) -> DecodeResult<Option<Decimal>> {
        if self.flag()? {
            self.decimal().map(Some)
        } else {
            Ok(None)
        }
    }

    pub(super) fn str(&mut self) -> DecodeResult<&'a str> {
        let n = self.len()?;
        let at = self.at;
        std::str::from_utf8(self.take(n)?).map_err(|e| format!("text at byte {at}: {e}"))
    }

    pub(super) fn string(&mut self) -> DecodeResult<String> {
        self.str().map(str::to_string)
    }

    pub(super) fn opt_string(&mut self) -> DecodeResult<Option<String>> {
        if self.flag()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    pub(super) fn side(&mut self) -> DecodeResult<Side> {
        match self.u8()? {
            0 => Ok(Side::Buy),
            1 => Ok(Side::Sell),
            other => Err(format!("side byte {other}")),
        }
    }

    /// A JSON document decoded into a typed value.
    pub(super) fn json_as<T: serde::de::DeserializeOwned>(&mut self) -> DecodeResult<T> {
        let n = self.len()?;
        let at = self.at;
        serde_json::from_slice(self.take(n)?).map_err(|e| format!("JSON at byte {at}: {e}"))
    }

    pub(super) fn json(&mut self) -> DecodeResult<Value> {
        self.json_as()
    }

    pub(super) fn symbol(&mut self) -> DecodeResult<Symbol> {
        let i = self.len()?;
        self.symbols
            .get(i)
            .cloned()
            .ok_or_else(|| format!("symbol index {i} outside the table"))
    }

    pub(super) fn opt_symbol(&mut self) -> DecodeResult<Option<Symbol>> {
        if self.flag()? {
            self.symbol().map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_writer_and_reader() {
        let aapl = Symbol::new("AAPL").unwrap();
        let mut w = Writer::new(7, 64);
        for v in [
            0i128,
            -1,
            1,
            i64::MIN as i128,
            i64::MAX as i128,
            i128::MIN,
            i128::MAX,
        ] {
            w.zigzag(v);
        }
        let d: Decimal = "-100.3400000001".parse().unwrap();
        w.decimal(d);
        w.opt_decimal(None);
        w.str("héllo");
        w.opt_str(None);
        w.symbol(&aapl);
        w.opt_symbol(Some(&aapl));
        w.json(&serde_json::json!({"a": [1, "x"]})).unwrap();
        w.side(Side::Sell);
        let data = w.finish();
        let mut r = Reader::open(&data, 7).unwrap();
        for v in [
            0i128,
            -1,
            1,
            i64::MIN as i128,
            i64::MAX as i128,
            i128::MIN,
            i128::MAX,
        ] {
            assert_eq!(r.zigzag().unwrap(), v);
        }
        let back = r.decimal().unwrap();
        assert_eq!((back, back.scale()), (d, d.scale()));
        assert_eq!(r.opt_decimal().unwrap(), None);
        assert_eq!(r.str().unwrap(), "héllo");
        assert_eq!(r.opt_string().unwrap(), None);
        assert_eq!(r.symbol().unwrap(), aapl);
        assert_eq!(r.opt_symbol().unwrap(), Some(aapl));
        assert_eq!(r.json().unwrap(), serde_json::json!({"a": [1, "x"]}));
        assert_eq!(r.side().unwrap(), Side::Sell);
        assert!(r.at_end());
    }

    #[test]
    fn truncated_or_foreign_bytes_are_errors_not_panics() {
        assert!(Reader::open(&[], 1).is_err());
        assert!(Reader::open(&[2, 0], 1).is_err());
        let mut r = Reader::open(&[1, 0, 0xff, 0xff], 1).unwrap();
        assert!(r.varint().is_err());
        let mut r = Reader::open(&[1, 0, 5, b'a'], 1).unwrap();
        assert!(r.str().is_err());
        let mut r = Reader::open(&[1, 0, 29, 2], 1).unwrap();
        assert!(r.decimal().is_err(), "scale 29 is out of range");
        let mut r = Reader::open(&[1, 0, 3], 1).unwrap();
        assert!(r.symbol().is_err());
    }
}
