//! The crate's own small JSON layer (serde and serde_json cost the component more than
//! 130 KB): a pull [`Reader`] that decodes straight into the typed wire structs through
//! [`Decode`], and a [`Writer`] for request bodies.
//!
//! The reader never panics and never recurses without bound: objects and arrays nest at
//! most [`MAX_DEPTH`] levels (skipped values included). Numbers are only ever read as
//! integers (`u32`, `u64`); other numbers are validated and skipped, never converted to floats.
//! Unknown fields are skipped (their syntax checked), a field given twice keeps its last
//! value, and a `\u` escape of half a surrogate pair becomes U+FFFD. Errors say what was
//! expected and at which byte offset.

use alloc::borrow::Cow;
use core::fmt;

use crate::prelude::*;

/// Deepest nesting of objects and arrays accepted (serde_json's default limit of 128
/// refuses the 128th level: see the differential test in `json/diff_tests.rs`).
pub const MAX_DEPTH: u32 = 128;

const INTEGER: &str = "an integer from 0 to 4294967295";

/// Why a document could not be decoded, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the input (for a missing field: where its object starts).
    pub at: usize,
    /// What was expected there, e.g. `a string`.
    pub expected: &'static str,
    /// The required field that is missing, if that is the error.
    pub missing: Option<&'static str>,
    /// Whether the input ended at `at`.
    pub at_end: bool,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.missing {
            Some(field) => write!(f, "missing field `{field}` in the object at byte {}", self.at),
            None if self.at_end => write!(f, "expected {} at byte {} (end of input)", self.expected, self.at),
            None => write!(f, "expected {} at byte {}", self.expected, self.at),
        }
    }
}

/// Decoding failed. The [`Reader`] keeps what was expected where, and [`parse`] returns
/// it as a [`JsonError`]; decoders only pass this zero-sized marker up, which keeps the
/// code of every field loop small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failed;

/// A type read from JSON. Implemented by the wire types with a field loop
/// ([`Reader::object`]) and by the scalars they are made of.
pub trait Decode: Sized {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Failed>;
}

/// Decodes a whole document: one value, then only whitespace.
pub fn from_slice<T: Decode>(input: &[u8]) -> Result<T, JsonError> {
    parse(input, T::decode)
}

/// Reads a whole document with `read`, then checks that only whitespace follows.
pub fn parse<'a, T>(input: &'a [u8], read: impl FnOnce(&mut Reader<'a>) -> Result<T, Failed>) -> Result<T, JsonError> {
    let mut r = Reader::new(input);
    let v = read(&mut r);
    r.done(v.is_ok())?;
    v.map_err(|_| r.error())
}

/// A pull reader over one JSON document.
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    depth: u32,
    /// The first failure.
    error: Option<JsonError>,
}

/// The callback of [`Reader::object`]: reads (or skips) the value of one field.
pub type Field<'f, 'a> = dyn FnMut(&mut Reader<'a>, &str) -> Result<(), Failed> + 'f;

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Reader<'a> {
        Reader {
            input,
            pos: 0,
            depth: 0,
            error: None,
        }
    }

    /// Fails, expecting `expected` at the current position.
    pub fn fail(&mut self, expected: &'static str) -> Failed {
        self.fail_at(self.pos, expected, None)
    }

    fn fail_at(&mut self, at: usize, expected: &'static str, missing: Option<&'static str>) -> Failed {
        let at_end = at >= self.input.len();
        self.error.get_or_insert(JsonError {
            at,
            expected,
            missing,
            at_end,
        });
        Failed
    }

    /// Why decoding failed (after a [`Failed`]).
    pub fn error(&self) -> JsonError {
        self.error.unwrap_or(JsonError {
            at: self.pos,
            expected: "a JSON document",
            missing: None,
            at_end: self.pos >= self.input.len(),
        })
    }

    /// The next byte that is not whitespace, without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.input.get(self.pos) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(c);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        self.pos += usize::from(found);
        found
    }

    /// Consumes `word` if it comes next.
    fn eat_word(&mut self, word: &[u8]) -> bool {
        self.peek();
        let found = self.rest().starts_with(word);
        if found {
            self.pos += word.len();
        }
        found
    }

    /// The input from the current position.
    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Consumes a `null` if one comes next.
    pub fn null(&mut self) -> bool {
        self.eat_word(b"null")
    }

    /// The end of [`parse`], the same for every type: the error, unless the document was
    /// read (`read`) and only whitespace follows.
    #[inline(never)]
    fn done(&mut self, read: bool) -> Result<(), JsonError> {
        if read && self.end().is_ok() {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Only whitespace is left.
    pub fn end(&mut self) -> Result<(), Failed> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.fail("the end of the input")),
        }
    }

    /// Reads any one value of type `T`.
    pub fn read<T: Decode>(&mut self) -> Result<T, Failed> {
        T::decode(self)
    }

    /// Reads a `T` into `field` (what a field loop does with most fields).
    pub fn set<T: Decode>(&mut self, field: &mut T) -> Result<(), Failed> {
        *field = T::decode(self)?;
        Ok(())
    }

    fn enter(&mut self, open: u8, expected: &'static str) -> Result<(), Failed> {
        if !self.eat(open) {
            return Err(self.fail(expected));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.fail_at(self.pos - 1, "at most 128 levels of nesting", None));
        }
        self.depth += 1;
        Ok(())
    }

    /// After an item of an object or array: `,` (true: another item follows) or the
    /// closing bracket (false).
    fn next_item(&mut self, close: u8, expected: &'static str) -> Result<bool, Failed> {
        if self.eat(b',') {
            return Ok(true);
        }
        if self.eat(close) {
            self.depth -= 1;
            return Ok(false);
        }
        Err(self.fail(expected))
    }

    /// The field loop: reads an object, calling `field` with each key to read or skip its
    /// value, and fails if a key of `required` is missing (at most 32 of them).
    pub fn object(&mut self, required: &[&'static str], field: &mut Field<'_, 'a>) -> Result<(), Failed> {
        self.peek();
        let start = self.pos;
        self.enter(b'{', "an object")?;
        let mut seen = 0u32;
        if self.eat(b'}') {
            self.depth -= 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(self.fail("a string key"));
                }
                let key = self.str()?;
                if !self.eat(b':') {
                    return Err(self.fail("':'"));
                }
                if let Some(i) = required.iter().position(|r| *r == key) {
                    seen |= 1 << i;
                }
                field(self, &key)?;
                if !self.next_item(b'}', "',' or '}'")? {
                    break;
                }
            }
        }
        match (0..required.len()).find(|i| seen & (1 << i) == 0) {
            Some(i) => Err(self.fail_at(start, "", Some(required[i]))),
            None => Ok(()),
        }
    }

    /// Reads an array, calling `item` for each element.
    pub fn array(&mut self, item: &mut dyn FnMut(&mut Reader<'a>) -> Result<(), Failed>) -> Result<(), Failed> {
        self.enter(b'[', "an array")?;
        if self.eat(b']') {
            self.depth -= 1;
            return Ok(());
        }
        loop {
            item(self)?;
            if !self.next_item(b']', "',' or ']'")? {
                return Ok(());
            }
        }
    }

    /// Skips one value of any type (checking its syntax).
    pub fn skip(&mut self) -> Result<(), Failed> {
        match self.peek() {
            Some(b'{') => self.object(&[], &mut |r, _| r.skip()),
            Some(b'[') => self.array(&mut Reader::skip),
            Some(b'"') => self.str().map(drop),
            Some(b't' | b'f') => bool::decode(self).map(drop),
            Some(b'n') if self.null() => Ok(()),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.fail("a JSON value")),
        }
    }

    /// The byte at the current position (not skipping whitespace).
    fn byte(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Reads a number; `Some` with its value when it is a non-negative integer that fits
    /// a `u64`, `None` for any other valid number.
    fn number(&mut self) -> Result<Option<u64>, Failed> {
        let negative = self.eat(b'-');
        let mut value = Some(0u64);
        match self.byte() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(c @ b'0'..=b'9') = self.byte() {
                    value = value
                        .and_then(|v| v.checked_mul(10))
                        .and_then(|v| v.checked_add(u64::from(c - b'0')));
                    self.pos += 1;
                }
            }
            _ => return Err(self.fail("a digit")),
        }
        let mut integer = !negative;
        if self.byte() == Some(b'.') {
            self.pos += 1;
            integer = false;
            self.digits()?;
        }
        if matches!(self.byte(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.byte(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(value.filter(|_| integer))
    }

    /// One or more digits.
    fn digits(&mut self) -> Result<(), Failed> {
        let start = self.pos;
        while matches!(self.byte(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.fail("a digit"));
        }
        Ok(())
    }

    /// Reads a string, borrowed from the input when it has no escapes.
    pub fn str(&mut self) -> Result<Cow<'a, str>, Failed> {
        if !self.eat(b'"') {
            return Err(self.fail("a string"));
        }
        let mut owned: Option<String> = None;
        let mut run = self.pos;
        loop {
            let Some(c) = self.byte() else {
                return Err(self.fail("'\"' closing the string"));
            };
            if c != b'"' && c != b'\\' {
                if c < 0x20 {
                    return Err(self.fail("no control character in a string"));
                }
                self.pos += 1;
                continue;
            }
            let text = self.utf8(run)?;
            self.pos += 1;
            if c == b'"' {
                return Ok(match owned {
                    Some(mut s) => {
                        s.push_str(text);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(text),
                });
            }
            let s = owned.get_or_insert_with(String::new);
            s.push_str(text);
            let escaped = self.escape()?;
            s.push(escaped);
            run = self.pos;
        }
    }

    /// The input from `start` to the current position, which must be UTF-8.
    fn utf8(&mut self, start: usize) -> Result<&'a str, Failed> {
        let input: &'a [u8] = self.input;
        let bytes = input.get(start..self.pos).unwrap_or_default();
        core::str::from_utf8(bytes).map_err(|e| self.fail_at(start + e.valid_up_to(), "UTF-8 text in a string", None))
    }

    /// The character of an escape sequence (after its backslash). A `\u` escape of half a
    /// surrogate pair without its other half becomes U+FFFD, as Python writes them.
    fn escape(&mut self) -> Result<char, Failed> {
        let Some(c) = self.byte() else {
            return Err(self.fail("an escape sequence"));
        };
        self.pos += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF if self.rest().starts_with(b"\\u") => {
                        let back = self.pos;
                        self.pos += 2;
                        match self.hex4()? {
                            low @ 0xDC00..=0xDFFF => 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                            _ => {
                                self.pos = back;
                                0xFFFD
                            }
                        }
                    }
                    _ => unit,
                };
                char::from_u32(code).unwrap_or('\u{FFFD}')
            }
            _ => return Err(self.fail_at(self.pos - 1, "an escape sequence", None)),
        })
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, Failed> {
        let mut v = 0;
        for _ in 0..4 {
            let Some(d) = self.byte().and_then(|c| char::from(c).to_digit(16)) else {
                return Err(self.fail("four hex digits"));
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Result<String, Failed> {
        r.str().map(Cow::into_owned)
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<bool, Failed> {
        if r.eat_word(b"true") {
            Ok(true)
        } else if r.eat_word(b"false") {
            Ok(false)
        } else {
            Err(r.fail("a boolean"))
        }
    }
}

impl Decode for u32 {
    /// An integer; a fraction, exponent, sign or value above `u32::MAX` is refused.
    fn decode(r: &mut Reader<'_>) -> Result<u32, Failed> {
        if !matches!(r.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(r.fail(INTEGER));
        }
        let start = r.pos;
        match r.number()?.and_then(|v| u32::try_from(v).ok()) {
            Some(v) => Ok(v),
            None => Err(r.fail_at(start, INTEGER, None)),
        }
    }
}

impl Decode for u64 {
    /// An integer; a fraction, exponent, sign or value above `u64::MAX` is refused.
    fn decode(r: &mut Reader<'_>) -> Result<u64, Failed> {
        const U64: &str = "an integer from 0 to 18446744073709551615";
        if !matches!(r.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(r.fail(U64));
        }
        let start = r.pos;
        match r.number()? {
            Some(v) => Ok(v),
            None => Err(r.fail_at(start, U64, None)),
        }
    }
}

/// `null` -> `None`.
impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Option<T>, Failed> {
        if r.null() {
            Ok(None)
        } else {
            T::decode(r).map(Some)
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Vec<T>, Failed> {
        let mut items = Vec::new();
        r.array(&mut |r| {
            items.push(T::decode(r)?);
            Ok(())
        })?;
        Ok(items)
    }
}

/// Builds a JSON object (request bodies): `{` on creation, fields in call order, every
/// open object closed by [`Writer::finish`].
pub struct Writer {
    out: Vec<u8>,
    open: u32,
    comma: bool,
}

impl Writer {
    /// Starts the top-level object.
    pub fn object() -> Writer {
        Writer {
            out: vec![b'{'],
            open: 1,
            comma: false,
        }
    }

    fn key(&mut self, key: &str) -> &mut Writer {
        if self.comma {
            self.out.push(b',');
        }
        self.string(key);
        self.out.push(b':');
        self.comma = true;
        self
    }

    /// `"key":{`: the following fields go into this object until [`Writer::end`].
    pub fn obj(&mut self, key: &str) -> &mut Writer {
        self.key(key).out.push(b'{');
        self.open += 1;
        self.comma = false;
        self
    }

    /// Closes the innermost open object.
    pub fn end(&mut self) -> &mut Writer {
        self.out.push(b'}');
        self.open = self.open.saturating_sub(1);
        self.comma = true;
        self
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Writer {
        self.key(key).string(value);
        self
    }

    /// A string field, left out when `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Writer {
        if let Some(v) = value {
            self.str(key, v);
        }
        self
    }

    /// An array of strings.
    pub fn strs(&mut self, key: &str, values: &[&str]) -> &mut Writer {
        self.key(key).out.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.string(v);
        }
        self.out.push(b']');
        self
    }

    pub fn num(&mut self, key: &str, value: u32) -> &mut Writer {
        self.key(key);
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        let mut v = value;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[i..]);
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Writer {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(key).out.extend_from_slice(text);
        self
    }

    /// A quoted string: `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`.
    fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.push(b'"');
        for &b in s.as_bytes() {
            let short = match b {
                b'"' => b'"',
                b'\\' => b'\\',
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0x08 => b'b',
                0x0c => b'f',
                0..=0x1f => b'u',
                _ => {
                    self.out.push(b);
                    continue;
                }
            };
            self.out.extend_from_slice(&[b'\\', short]);
            if short == b'u' {
                self.out
                    .extend_from_slice(&[b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
        }
        self.out.push(b'"');
    }

    /// The document, with every open object closed.
    pub fn finish(&mut self) -> Vec<u8> {
        while self.open > 0 {
            self.end();
        }
        core::mem::take(&mut self.out)
    }
}

/// `s` as a [`Writer`] writes it inside a JSON string's quotes (the form in which a server
/// may echo a value back inside its own JSON).
pub fn escaped(s: &str) -> String {
    let mut w = Writer {
        out: Vec::new(),
        open: 0,
        comma: false,
    };
    w.string(s);
    let inner = w.out.get(1..w.out.len() - 1).unwrap_or_default();
    String::from_utf8_lossy(inner).into_owned()
}

#[cfg(test)]
mod diff_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn string(input: &str) -> Result<String, JsonError> {
        from_slice(input.as_bytes())
    }

    fn message(input: &[u8]) -> String {
        from_slice::<Option<u32>>(input).unwrap_err().to_string()
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(string(r#""plain""#).unwrap(), "plain");
        assert_eq!(
            string(r#""q\" b\\ s\/ \b\f\n\r\t end""#).unwrap(),
            "q\" b\\ s/ \u{8}\u{c}\n\r\t end"
        );
        assert_eq!(string(r#""\u00e9\u0041\u0000""#).unwrap(), "éA\0");
        assert_eq!(string(r#""\u00E9""#).unwrap(), "é");
        assert_eq!(string("\"é ✓ 😀\"").unwrap(), "é ✓ 😀");
        assert_eq!(string(r#""""#).unwrap(), "");
        for bad in [
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""abc"#,
            r#""\"#,
            "\"a\nb\"",
            "\"\u{1}\"",
            "'a'",
        ] {
            assert!(string(bad).is_err(), "{bad:?}");
        }
        // Bytes that are not UTF-8, reported where they start.
        let e = from_slice::<String>(b"\"ab\xffc\"").unwrap_err();
        assert_eq!(e.to_string(), "expected UTF-8 text in a string at byte 3");
        let e = from_slice::<String>(b"\"\\n\xc3\"").unwrap_err();
        assert_eq!(e.at, 3);
    }

    #[test]
    fn surrogate_pairs() {
        assert_eq!(string(r#""\ud83d\ude00""#).unwrap(), "😀");
        assert_eq!(string(r#""\uD83D\uDE00!""#).unwrap(), "😀!");
        // Halves without their other half become U+FFFD (Python writes them so).
        assert_eq!(string(r#""\ud800""#).unwrap(), "\u{FFFD}");
        assert_eq!(string(r#""\ud800x""#).unwrap(), "\u{FFFD}x");
        assert_eq!(string(r#""\udc00\ud800""#).unwrap(), "\u{FFFD}\u{FFFD}");
        assert_eq!(string(r#""\ud800\u0041""#).unwrap(), "\u{FFFD}A");
        assert_eq!(string(r#""\ud800\ud800\udc00""#).unwrap(), "\u{FFFD}\u{10000}");
        assert!(string(r#""\ud800\u00""#).is_err());
    }

    #[test]
    fn numbers() {
        let u = |s: &str| from_slice::<u32>(s.as_bytes());
        assert_eq!(u("0").unwrap(), 0);
        assert_eq!(u(" 42 ").unwrap(), 42);
        assert_eq!(u("4294967295").unwrap(), u32::MAX);
        for bad in [
            "4294967296",
            "99999999999999999999999",
            "-1",
            "-0",
            "1.0",
            "1e3",
            "1E+2",
            "01",
            "1.",
            "-",
            ".5",
            "+1",
            "\"1\"",
            "null",
            "",
        ] {
            assert!(u(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            u("1.5").unwrap_err().to_string(),
            "expected an integer from 0 to 4294967295 at byte 0"
        );
        // Any valid number can be skipped (and is never formatted or converted).
        for ok in [
            "0",
            "-0",
            "1.5e-3",
            "-12.25E+10",
            "1e400",
            "123456789012345678901234567890",
        ] {
            let doc = format!(r#"{{"x": {ok}, "size": 1}}"#);
            assert_eq!(from_slice::<SizeDoc>(doc.as_bytes()).unwrap().0, 1, "{ok}");
        }
        for bad in ["1.", "1e", "-", "1e+", "0x1", "--1", "NaN", "Infinity"] {
            let doc = format!(r#"{{"x": {bad}, "size": 1}}"#);
            assert!(from_slice::<SizeDoc>(doc.as_bytes()).is_err(), "{bad}");
        }
    }

    /// `{"size": n}` with every other field skipped.
    #[derive(Debug)]
    struct SizeDoc(u32);

    impl Decode for SizeDoc {
        fn decode(r: &mut Reader<'_>) -> Result<SizeDoc, Failed> {
            let mut size = 0;
            r.object(&["size"], &mut |r, k| match k {
                "size" => r.set(&mut size),
                _ => r.skip(),
            })?;
            Ok(SizeDoc(size))
        }
    }

    #[test]
    fn unknown_fields_of_any_shape_are_skipped() {
        let doc = br#" { "a": {"b": [1, {"c": null}, [], {}], "d": "\u00e9\"}"},
            "size" : 7, "t": true, "f": false, "n": null, "e": [ ], "s": "x", "z": -1.5e3 } "#;
        assert_eq!(from_slice::<SizeDoc>(doc).unwrap().0, 7);
        // Skipped values are still checked.
        for bad in [
            &br#"{"size": 1, "a": [1,]}"#[..],
            br#"{"size": 1, "a": {"b"}}"#,
            br#"{"size": 1, "a": {"b": 1,}}"#,
            br#"{"size": 1, "a": tru}"#,
            br#"{"size": 1, "a": nul}"#,
            br#"{"size": 1, "a": "\q"}"#,
            br#"{"size": 1, "a": [1 2]}"#,
            br#"{"size": 1, a: 1}"#,
            br#"{"size": 1,}"#,
            br#"{"size": 1} x"#,
            br#"{"size": 1}}"#,
        ] {
            assert!(from_slice::<SizeDoc>(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn required_fields_and_messages() {
        assert_eq!(
            from_slice::<SizeDoc>(br#"  {"other": 1}"#).unwrap_err().to_string(),
            "missing field `size` in the object at byte 2"
        );
        assert_eq!(
            from_slice::<SizeDoc>(br#"{"size": "1"}"#).unwrap_err().to_string(),
            "expected an integer from 0 to 4294967295 at byte 9"
        );
        assert_eq!(
            from_slice::<SizeDoc>(br#"{"size": 1"#).unwrap_err().to_string(),
            "expected ',' or '}' at byte 10 (end of input)"
        );
        assert_eq!(
            message(b""),
            "expected an integer from 0 to 4294967295 at byte 0 (end of input)"
        );
        assert_eq!(message(b"1 2"), "expected the end of the input at byte 2");
        assert_eq!(message(b"nul"), "expected an integer from 0 to 4294967295 at byte 0");
        assert_eq!(message(b"[1]"), "expected an integer from 0 to 4294967295 at byte 0");
        assert_eq!(from_slice::<Option<u32>>(b" null ").unwrap(), None);
    }

    #[test]
    fn nesting_is_limited_without_recursing_deeper() {
        let nested = |n: usize| format!(r#"{{"size": 1, "x": {}{}}}"#, "[".repeat(n), "]".repeat(n));
        // The outer object is one level.
        assert!(from_slice::<SizeDoc>(nested(MAX_DEPTH as usize - 1).as_bytes()).is_ok());
        let e = from_slice::<SizeDoc>(nested(MAX_DEPTH as usize).as_bytes()).unwrap_err();
        assert_eq!(e.expected, "at most 128 levels of nesting");
        assert_eq!(e.at, 17 + MAX_DEPTH as usize - 1);
        // Far deeper than any stack could recurse: refused at level 129, quickly.
        let deep = format!(r#"{{"size": 1, "x": {}"#, "[{\"a\":".repeat(500_000));
        let e = from_slice::<SizeDoc>(deep.as_bytes()).unwrap_err();
        assert_eq!(e.expected, "at most 128 levels of nesting");
        let deep = "[".repeat(1_000_000);
        let mut r = Reader::new(deep.as_bytes());
        assert_eq!(r.skip(), Err(Failed));
        assert_eq!(r.error().at, MAX_DEPTH as usize);
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        let doc =
            br#"{"size": 12, "name": "a\"\u00e9\ud83d\ude00", "list": [1, -2.5e1, true, false, null, {"k": []}]}"#;
        assert_eq!(from_slice::<SizeDoc>(doc).unwrap().0, 12);
        for end in 0..doc.len() {
            let e = from_slice::<SizeDoc>(&doc[..end]).unwrap_err();
            assert!(e.at <= end, "{end}: {e}");
        }
    }

    #[test]
    fn options_lists_and_booleans() {
        assert_eq!(from_slice::<Option<String>>(b"null").unwrap(), None);
        assert_eq!(from_slice::<Option<String>>(br#""x""#).unwrap().as_deref(), Some("x"));
        assert_eq!(from_slice::<Vec<u32>>(b" [ 1 , 2,3 ] ").unwrap(), [1, 2, 3]);
        assert_eq!(from_slice::<Vec<u32>>(b"[]").unwrap(), Vec::<u32>::new());
        assert!(from_slice::<Vec<u32>>(b"null").is_err());
        assert!(from_slice::<Vec<u32>>(b"[1,]").is_err());
        assert!(from_slice::<Vec<u32>>(b"[").is_err());
        assert!(from_slice::<bool>(b"true").unwrap());
        assert!(!from_slice::<bool>(b"false").unwrap());
        for bad in [&b"True"[..], b"1", b"\"true\"", b"truex", b"t"] {
            assert!(from_slice::<bool>(bad).is_err());
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        // A small xorshift over mutations of a valid document and over random bytes.
        const ALPHABET: &[u8] = b"{}[]\",:\\u-0e.tfn";
        let base = br#"{"size": 3, "a": ["\u00e9\ud83d\ude00", 1.5e3, {"b": null}], "c": true}"#;
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let mut doc = base.to_vec();
            for _ in 0..1 + next() % 4 {
                let i = (next() % doc.len() as u64) as usize;
                match next() % 3 {
                    0 => doc[i] = next() as u8,
                    1 => {
                        doc.remove(i);
                    }
                    _ => doc.insert(i, ALPHABET[(next() % ALPHABET.len() as u64) as usize]),
                }
            }
            let _ = from_slice::<SizeDoc>(&doc);
            let random: Vec<u8> = (0..next() % 40).map(|_| next() as u8).collect();
            let _ = from_slice::<SizeDoc>(&random);
            let _ = from_slice::<Vec<Option<String>>>(&random);
        }
    }

    #[test]
    fn writer_bodies_and_escapes() {
        let mut w = Writer::object();
        w.obj("a")
            .str("s", "x")
            .opt_str("none", None)
            .opt_str("some", Some("y"))
            .num("zero", 0)
            .num("max", u32::MAX)
            .bool("t", true)
            .bool("f", false)
            .strs("list", &["p", "q"])
            .strs("empty", &[])
            .obj("inner")
            .end()
            .end()
            .str("after", "z");
        assert_eq!(
            String::from_utf8(w.finish()).unwrap(),
            r#"{"a":{"s":"x","some":"y","zero":0,"max":4294967295,"t":true,"f":false,"list":["p","q"],"empty":[],"inner":{}},"after":"z"}"#
        );
        assert_eq!(Writer::object().finish(), b"{}");
        // Nested objects left open are closed by finish.
        assert_eq!(Writer::object().obj("a").obj("b").finish(), br#"{"a":{"b":{}}}"#);
        let tricky = "q\" b\\ \n\r\t\u{8}\u{c}\u{0}\u{1}\u{1f} \u{7f} é 😀 \u{2028} </script>";
        let body = Writer::object().str(tricky, tricky).finish();
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            "{\"q\\\" b\\\\ \\n\\r\\t\\b\\f\\u0000\\u0001\\u001f \u{7f} é 😀 \u{2028} </script>\":\"q\\\" b\\\\ \\n\\r\\t\\b\\f\\u0000\\u0001\\u001f \u{7f} é 😀 \u{2028} </script>\"}"
        );
        // Read back by our reader and by serde_json, the same text.
        let mut back = (String::new(), String::new());
        parse(&body, |r| {
            r.object(&[], &mut |r, k| {
                back.0 = k.to_string();
                r.set(&mut back.1)
            })
        })
        .unwrap();
        assert_eq!((back.0.as_str(), back.1.as_str()), (tricky, tricky));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v[tricky], tricky);
    }

    #[test]
    fn writer_escapes_every_control_character() {
        let all: String = (0u8..0x80).map(char::from).collect();
        let body = Writer::object().str("k", &all).finish();
        assert!(body.iter().all(|&b| b >= 0x20), "raw control byte in {body:?}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["k"], all.as_str());
        let back: String = parse(&body, |r| crate::wire::member(r, "k")).unwrap();
        assert_eq!(back, all);
    }
}
