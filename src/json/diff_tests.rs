//! Differential test of the [`Reader`] against serde_json: the fuzz seed corpus, generated
//! documents and mutated or truncated variants of both. Each document must be accepted or
//! refused by both, and when accepted decode to the same values (numbers compared as
//! serde_json reads them against their text, which our reader keeps).
//!
//! Where our reader is deliberately more lenient, serde_json refuses a document that we
//! accept; each such case is recognised by serde_json's message and checked, never skipped:
//! - a `\u` escape of half a surrogate pair becomes U+FFFD (serde_json: "lone leading
//!   surrogate in hex escape" or "unexpected end of hex escape"); the document with each
//!   such escape written as `\ufffd` must then be accepted by serde_json, with equal values;
//! - numbers beyond the range of `f64` are valid JSON, and we never convert them (serde_json:
//!   "number out of range"); with each such number written as `null`, the same;
//! - 128 levels of nesting are accepted ([`MAX_DEPTH`]) where serde_json stops at 127
//!   (its "recursion limit exceeded" on the 128th); the document must be exactly 128 deep.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// A value as our reader sees it: numbers as their text.
#[derive(Debug)]
enum Tree {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<(String, Tree)>),
}

/// Reads any value with the reader's own pieces (as [`Reader::skip`] does).
fn tree(r: &mut Reader<'_>) -> Result<Tree, Failed> {
    match r.peek() {
        Some(b'{') => {
            let mut fields = Vec::new();
            r.object(&[], &mut |r, k| {
                fields.push((k.to_string(), tree(r)?));
                Ok(())
            })?;
            Ok(Tree::Obj(fields))
        }
        Some(b'[') => {
            let mut items = Vec::new();
            r.array(&mut |r| {
                items.push(tree(r)?);
                Ok(())
            })?;
            Ok(Tree::Arr(items))
        }
        Some(b'"') => Ok(Tree::Str(r.str()?.into_owned())),
        Some(b't' | b'f') => Ok(Tree::Bool(bool::decode(r)?)),
        Some(b'n') if r.null() => Ok(Tree::Null),
        Some(b'-' | b'0'..=b'9') => {
            let start = r.pos;
            r.number()?;
            Ok(Tree::Num(String::from_utf8(r.input[start..r.pos].to_vec()).unwrap()))
        }
        _ => Err(r.fail("a JSON value")),
    }
}

fn depth(t: &Tree) -> u32 {
    match t {
        Tree::Arr(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Tree::Obj(fields) => 1 + fields.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// Our reading of a document; skipping it must succeed or fail the same way.
fn ours(doc: &[u8]) -> Result<Tree, JsonError> {
    let read = parse(doc, tree);
    let skipped = parse(doc, |r| r.skip());
    match (&read, &skipped) {
        (Ok(_), Ok(())) => {}
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "{}", show(doc));
            assert!(a.at <= doc.len(), "{}", show(doc));
        }
        _ => panic!("read and skip disagree on {}: {read:?} {skipped:?}", show(doc)),
    }
    read
}

fn show(doc: &[u8]) -> String {
    let text = String::from_utf8_lossy(doc);
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], doc.len()),
        None => format!("{text:?}"),
    }
}

/// Whether the number's text is beyond `f64` (serde_json refuses it; we never convert).
fn huge(text: &str) -> bool {
    text.parse::<f64>().is_ok_and(f64::is_infinite)
}

/// Compares our tree with serde_json's value; `huge_as_null`: the document was rewritten
/// with huge numbers as `null`.
fn same(ours: &Tree, theirs: &Value, huge_as_null: bool) -> Result<(), String> {
    let differ = || Err(format!("ours {ours:?}, serde_json {theirs}"));
    match (ours, theirs) {
        (Tree::Null, Value::Null) => Ok(()),
        (Tree::Bool(a), Value::Bool(b)) if a == b => Ok(()),
        (Tree::Str(a), Value::String(b)) if a == b => Ok(()),
        (Tree::Num(text), Value::Null) if huge_as_null && huge(text) => Ok(()),
        (Tree::Num(text), Value::Number(n)) => same_number(text, n),
        (Tree::Arr(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).try_for_each(|(x, y)| same(x, y, huge_as_null))
        }
        (Tree::Obj(fields), Value::Object(map)) => {
            // A key given twice keeps its last value, in both.
            let last: BTreeMap<&str, &Tree> = fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
            let map: BTreeMap<&str, &Value> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
            if !last.keys().eq(map.keys()) {
                return differ();
            }
            last.values()
                .zip(map.values())
                .try_for_each(|(x, y)| same(x, y, huge_as_null))
        }
        _ => differ(),
    }
}

fn same_number(text: &str, n: &serde_json::Number) -> Result<(), String> {
    let differ = |why: &str| Err(format!("number {text}: serde_json {n}: {why}"));
    // Our integers: the reader's value, and what the `u32` decoder makes of it.
    let integer = Reader::new(text.as_bytes()).number().unwrap();
    if integer.is_some() && n.as_u64() != integer {
        return differ("not the same integer");
    }
    let want_u32 = n.as_u64().and_then(|v| u32::try_from(v).ok());
    if from_slice::<u32>(text.as_bytes()).ok() != want_u32 {
        return differ("u32 decoding differs");
    }
    if integer.is_some() {
        return Ok(());
    }
    // Negative integers (serde_json reads `-0` as a float).
    if let Some(i) = n.as_i64() {
        return if text.parse::<i64>() == Ok(i) {
            Ok(())
        } else {
            differ("not the same integer")
        };
    }
    // Any other number: the value std reads from the same text (serde_json's float parsing
    // without `float_roundtrip` may be one unit in the last place off).
    let want: f64 = text.parse().unwrap();
    let got = n.as_f64().unwrap();
    let ulps = (want.to_bits() as i64 - got.to_bits() as i64).abs();
    if (want == 0.0 && got == 0.0) || ulps <= 1 {
        Ok(())
    } else {
        differ("not the same float")
    }
}

/// The document with what only our reader accepts made acceptable to serde_json: each
/// `\u` escape of half a surrogate pair as `\ufffd` (what we read), each number beyond `f64`
/// as `null`. Only for documents we accept.
fn strict_version(doc: &[u8]) -> Vec<u8> {
    let hex = |at: usize| {
        let digits = doc.get(at..at + 4).and_then(|d| std::str::from_utf8(d).ok());
        digits.and_then(|d| u32::from_str_radix(d, 16).ok())
    };
    let (mut out, mut i, mut in_string) = (Vec::new(), 0, false);
    while let Some(&c) = doc.get(i) {
        let len = match c {
            b'"' => {
                in_string = !in_string;
                1
            }
            b'\\' if in_string && doc.get(i + 1) == Some(&b'u') => {
                let unit = hex(i + 2).unwrap();
                let paired = (0xD800..0xDC00).contains(&unit)
                    && doc.get(i + 6..i + 8) == Some(b"\\u")
                    && hex(i + 8).is_some_and(|low| (0xDC00..0xE000).contains(&low));
                if paired {
                    12
                } else if (0xD800..0xE000).contains(&unit) {
                    out.extend_from_slice(b"\\ufffd");
                    i += 6;
                    continue;
                } else {
                    6
                }
            }
            b'\\' if in_string => 2,
            b'-' | b'0'..=b'9' if !in_string => {
                let end = doc[i..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(doc.len(), |n| i + n);
                let text = std::str::from_utf8(&doc[i..end]).unwrap();
                out.extend_from_slice(if huge(text) { b"null" } else { text.as_bytes() });
                i = end;
                continue;
            }
            _ => 1,
        };
        out.extend_from_slice(&doc[i..i + len]);
        i += len;
    }
    out
}

/// How the documents compared.
#[derive(Debug, Default)]
struct Tally {
    both_accept: usize,
    both_refuse: usize,
    lone_surrogate: usize,
    huge_number: usize,
    depth_128: usize,
}

impl Tally {
    /// Checks one document against serde_json (see the module doc).
    fn check(&mut self, doc: &[u8]) {
        let ours = ours(doc);
        let theirs = serde_json::from_slice::<Value>(doc);
        let (ours, e) = match (ours, theirs) {
            (Ok(t), Ok(v)) => {
                if let Err(why) = same(&t, &v, false) {
                    panic!("values differ in {}: {why}", show(doc));
                }
                self.both_accept += 1;
                return;
            }
            (Err(_), Err(_)) => {
                self.both_refuse += 1;
                return;
            }
            (Err(e), Ok(_)) => panic!("only serde_json accepts {}: ours: {e}", show(doc)),
            (Ok(t), Err(e)) => (t, e.to_string()),
        };
        // Only a documented leniency may explain it.
        if e.starts_with("recursion limit exceeded") {
            assert_eq!(depth(&ours), MAX_DEPTH, "{}", show(doc));
            self.depth_128 += 1;
            return;
        }
        let lone = e.starts_with("lone leading surrogate") || e.starts_with("unexpected end of hex escape");
        assert!(
            lone || e.starts_with("number out of range"),
            "only ours accepts {}: serde_json: {e}",
            show(doc)
        );
        let strict = strict_version(doc);
        assert_ne!(strict, doc, "{e} in {}", show(doc));
        match serde_json::from_slice::<Value>(&strict) {
            Ok(v) => same(&ours, &v, true).unwrap_or_else(|why| panic!("values differ in {}: {why}", show(doc))),
            // Both leniencies and 128 levels at once.
            Err(e2) if e2.to_string().starts_with("recursion limit exceeded") => {
                assert_eq!(depth(&ours), MAX_DEPTH)
            }
            Err(e2) => panic!("{}: serde_json still refuses {}: {e2}", show(doc), show(&strict)),
        }
        if lone {
            self.lone_surrogate += 1;
        } else {
            self.huge_number += 1;
        }
    }

    /// Checks `mutations` variants of `doc` and `cuts` truncations.
    fn check_variants(&mut self, doc: &[u8], rng: &mut Rng, mutations: usize, cuts: usize) {
        for _ in 0..mutations {
            self.check(&rng.mutate(doc));
        }
        for _ in 0..cuts.min(doc.len()) {
            self.check(&doc[..rng.below(doc.len())]);
        }
    }
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    /// Up to four byte edits: replaced (by a JSON-ish or any byte), deleted or inserted.
    fn mutate(&mut self, doc: &[u8]) -> Vec<u8> {
        const ALPHABET: &[u8] = b"{}[]\",:\\u-+0189eE.tfnlD \t\n\x00\x1f\x7f\xc3\xa9\xff";
        let mut doc = doc.to_vec();
        for _ in 0..1 + self.below(4) {
            let i = self.below(doc.len() + 1);
            let byte = if self.chance(4) {
                self.next() as u8
            } else {
                *self.pick(ALPHABET)
            };
            match self.below(3) {
                0 if i < doc.len() => doc[i] = byte,
                1 if i < doc.len() => {
                    doc.remove(i);
                }
                _ => doc.insert(i, byte),
            }
        }
        doc
    }

    fn space(&mut self, out: &mut Vec<u8>) {
        while self.chance(3) {
            out.push(*self.pick(b" \t\n\r"));
        }
    }

    /// A valid JSON value, at most `depth` more levels deep.
    fn value(&mut self, depth: u32, out: &mut Vec<u8>) {
        self.space(out);
        match self.below(if depth == 0 { 3 } else { 5 }) {
            0 => self.string(out),
            1 => self.number(out),
            2 => out.extend_from_slice(self.pick(&["true", "false", "null"]).as_bytes()),
            3 => {
                out.push(b'[');
                for i in 0..self.below(5) {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.value(depth - 1, out);
                }
                self.space(out);
                out.push(b']');
            }
            _ => {
                out.push(b'{');
                let mut keys: Vec<Vec<u8>> = Vec::new();
                for i in 0..self.below(5) {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.space(out);
                    let key = match keys.last() {
                        // A key given twice, now and then.
                        Some(k) if self.chance(6) => k.clone(),
                        _ => {
                            let mut k = Vec::new();
                            self.string(&mut k);
                            k
                        }
                    };
                    out.extend_from_slice(&key);
                    keys.push(key);
                    self.space(out);
                    out.push(b':');
                    self.value(depth - 1, out);
                }
                self.space(out);
                out.push(b'}');
            }
        }
        self.space(out);
    }

    /// A string with escapes, surrogate pairs and raw UTF-8 of 1 to 4 bytes.
    fn string(&mut self, out: &mut Vec<u8>) {
        // Raw text, then escapes (`|` separates them).
        const PIECES: &str = concat!(
            "a|Z|0| |key|'|/|é|✓|😀|\u{7f}|\u{80}|\u{2028}|\u{fffd}|\u{ffff}|\u{10ffff}|",
            r#"\"|\\|\/|\b|\f|\n|\r|\t|\u0000|\u001f|\u0041|\u00e9|\u00E9|\u2028|\uFFFF|\ud83d\ude00|\uD800\uDC00|\udbff\udfff"#,
        );
        let pieces: Vec<&str> = PIECES.split('|').collect();
        out.push(b'"');
        for _ in 0..self.below(6) {
            if self.chance(8) {
                // Any BMP code point outside the surrogates, as an escape.
                let unit = (self.next() % 0xF800) as u32;
                let unit = if unit >= 0xD800 { unit + 0x800 } else { unit };
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            } else {
                out.extend_from_slice(self.pick(&pieces).as_bytes());
            }
        }
        out.push(b'"');
    }

    /// A number within `f64` range: integers of any size, fractions, exponents.
    fn number(&mut self, out: &mut Vec<u8>) {
        const EDGES: &str = concat!(
            "0 -0 -0.0 0e0 0E-0 1 -1 4294967295 4294967296 9007199254740993 9223372036854775807 ",
            "9223372036854775808 -9223372036854775808 -9223372036854775809 18446744073709551615 ",
            "18446744073709551616 123456789012345678901234567890 -123456789012345678901234567890 ",
            "1.5 -12.25E+10 1e308 1.7976931348623157e308 2.2250738585072014e-308 5e-324 1e-400 0.1 ",
            "3.141592653589793 1E+2",
        );
        if self.chance(3) {
            let edges: Vec<&str> = EDGES.split(' ').collect();
            out.extend_from_slice(self.pick(&edges).as_bytes());
            return;
        }
        if self.chance(3) {
            out.push(b'-');
        }
        let digits = self.below(25);
        if digits == 0 {
            out.push(b'0');
        } else {
            out.push(b'1' + self.below(9) as u8);
            for _ in 1..digits {
                out.push(b'0' + self.below(10) as u8);
            }
        }
        if self.chance(3) {
            out.push(b'.');
            for _ in 0..1 + self.below(12) {
                out.push(b'0' + self.below(10) as u8);
            }
        }
        if self.chance(3) {
            out.push(*self.pick(b"eE"));
            if !self.chance(3) {
                out.push(*self.pick(b"+-"));
            }
            // Below 10^308 whatever the digits.
            out.extend_from_slice(self.below(280).to_string().as_bytes());
        }
    }
}

/// The documents of the fuzz seed corpus: decoder inputs whole, and the client target's
/// scenarios whole, by NUL-separated record, and each record's body.
fn corpus() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut docs = Vec::new();
    for target in ["decode", "client"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(target))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
            .map(|entry| entry.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).unwrap();
            if target == "client" {
                for record in bytes.split(|&b| b == 0) {
                    if let Some(start) = record.iter().position(|&b| b == b'{' || b == b'[') {
                        docs.push(record[start..].to_vec());
                    }
                    docs.push(record.to_vec());
                }
            }
            docs.push(bytes);
        }
    }
    docs
}

#[test]
fn agrees_with_serde_json_on_the_fuzz_corpus() {
    let docs = corpus();
    assert!(docs.len() > 60, "{} documents", docs.len());
    let mut tally = Tally::default();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for doc in &docs {
        tally.check(doc);
        tally.check_variants(doc, &mut rng, 20, 20);
    }
    // The corpus's answers are valid JSON, and the variants mostly not.
    assert!(tally.both_accept >= 60 && tally.both_refuse > 1000, "{tally:?}");
}

#[test]
fn agrees_with_serde_json_on_generated_documents() {
    let mut tally = Tally::default();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..1500 {
        let mut doc = Vec::new();
        let depth = rng.below(6) as u32;
        rng.value(depth, &mut doc);
        let accepted = tally.both_accept;
        tally.check(&doc);
        assert_eq!(tally.both_accept, accepted + 1, "{}", show(&doc));
        tally.check_variants(&doc, &mut rng, 6, 3);
    }
    assert!(tally.both_accept > 2500 && tally.both_refuse > 3000, "{tally:?}");
    // Mutated hex digits make lone surrogates now and then.
    assert!(tally.lone_surrogate > 0, "{tally:?}");
}

#[test]
fn the_documented_leniencies_and_nothing_else() {
    let mut tally = Tally::default();
    let string = |doc: &str| match ours(doc.as_bytes()) {
        Ok(Tree::Str(s)) => s,
        other => panic!("{doc}: {other:?}"),
    };
    // Halves of surrogate pairs: U+FFFD, where serde_json refuses the document.
    for (doc, want) in [
        (r#""\ud800""#, "\u{fffd}"),
        (r#""\udc00x""#, "\u{fffd}x"),
        (r#""\ud800\u0041""#, "\u{fffd}A"),
        (r#""\ud800\n""#, "\u{fffd}\n"),
        (r#""\udbff\ud800\udc00""#, "\u{fffd}\u{10000}"),
    ] {
        assert_eq!(string(doc), want, "{doc}");
        tally.check(doc.as_bytes());
        tally.check(format!(r#"{{"k": [{doc}, 1e999]}}"#).as_bytes());
    }
    assert_eq!((tally.lone_surrogate, tally.both_accept), (10, 0), "{tally:?}");
    // Numbers beyond `f64`: valid JSON, never converted by us.
    let long = format!("1{}", "0".repeat(400));
    for doc in ["1e400", "-1E+309", "1.5e99999999999999999999", long.as_str()] {
        assert!(matches!(ours(doc.as_bytes()), Ok(Tree::Num(n)) if n == doc));
        tally.check(doc.as_bytes());
    }
    assert_eq!(tally.huge_number, 4, "{tally:?}");
    // Tiny numbers are 0 to serde_json, and accepted by both.
    tally.check(b"1e-99999");
    assert_eq!(tally.both_accept, 1);
    // Nesting: 127 levels for both, 128 only for us, 129 for neither.
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    tally.check(nested(127).as_bytes());
    tally.check(nested(128).as_bytes());
    tally.check(format!(r#"{}{{"a": 1}}{}"#, "[".repeat(127), "]".repeat(127)).as_bytes());
    tally.check(nested(129).as_bytes());
    assert_eq!(
        (tally.both_accept, tally.depth_128, tally.both_refuse),
        (2, 2, 1),
        "{tally:?}"
    );
}
