//! Everything the command line writes on stderr goes through one [`Masker`]: `Error:` lines,
//! warnings, `--wait` progress, `--debug`'s traffic and the component's own log. Servers
//! may echo a secret in an error message or a request id, so the masker writes every
//! secret it knows (the configured password, application credential secret or token, each
//! token seen on the wire, transfer auth keys) as `***`, plain or JSON-escaped, and
//! control characters escaped ([`printable`]).

use std::sync::{Arc, LazyLock, Mutex};

use crate::output::printable;

/// Shortest secret masked wherever it shows: a shorter one would match ordinary text and so
/// give itself away (with the password `e`, `identity` would print as `id***ntity`). Shorter
/// secrets are masked only where the structure says so (headers, JSON fields). The host
/// library's secret scan uses the same bound (`Secrets::add` in host/src/sandbox.rs).
pub const MIN_SECRET_LEN: usize = 8;

/// Where masked lines go.
pub type Sink = Box<dyn FnMut(&str) + Send>;

/// The one way to stderr: masks the secrets it knows, escapes control characters.
pub struct Masker {
    secrets: Mutex<Vec<String>>,
    sink: Mutex<Sink>,
}

static STDERR: LazyLock<Arc<Masker>> = LazyLock::new(|| Arc::new(Masker::new(Box::new(|s| eprintln!("{s}")))));

/// Prints `text` on stderr through the process's masker.
pub fn line(text: &str) {
    Masker::stderr().print(text);
}

impl Masker {
    /// A masker that knows no secret yet, writing to `sink` (a buffer in tests).
    pub fn new(sink: Sink) -> Masker {
        Masker {
            secrets: Mutex::new(Vec::new()),
            sink: Mutex::new(sink),
        }
    }

    /// The process's masker, on stderr.
    pub fn stderr() -> Arc<Masker> {
        STDERR.clone()
    }

    /// From now on `value` prints as `***`, if it is long enough to mask safely.
    pub fn note_secret(&self, value: &str) {
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        let mut all = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        if !all.iter().any(|s| s == value) {
            all.push(value.to_string());
        }
    }

    /// `text` with each known secret, plain or JSON-escaped, replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        let all = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().fold(text.to_string(), |t, s| hide(&t, s))
    }

    /// `text` masked and [`printable`], as it may show on the terminal.
    pub fn shown(&self, text: &str) -> String {
        printable(&self.mask(text))
    }

    /// Writes `text` (lines) as [`Masker::shown`].
    pub fn print(&self, text: &str) {
        let shown = self.shown(text);
        (self.sink.lock().unwrap_or_else(|e| e.into_inner()))(&shown);
    }
}

/// `text` with every occurrence of `secret`, as is or JSON-escaped, replaced by `***`.
fn hide(text: &str, secret: &str) -> String {
    let first = secret.chars().next();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let end = (Some(c) == first || c == '\\')
            .then(|| written_at(text, at, secret))
            .flatten();
        match end {
            Some(end) => {
                out.push_str("***");
                at = end;
            }
            None => {
                out.push(c);
                at += c.len_utf8();
            }
        }
    }
    out
}

/// Where `secret` ends (the furthest, if several) if it is written at `at`, each character
/// as itself or as a JSON escape (`\"`, `\\`, `\/`, `\n`, `\u0022`, a surrogate pair). A
/// backslash may be either, so every reading is followed: at most a few positions a step.
fn written_at(text: &str, at: usize, secret: &str) -> Option<usize> {
    let mut ends = vec![at];
    for c in secret.chars() {
        ends = ends.iter().flat_map(|&p| char_ends(text, p, c)).collect();
        ends.sort_unstable();
        ends.dedup();
    }
    ends.last().copied()
}

/// Where `c` ends if it is written at `pos`: as itself, and as a JSON escape.
fn char_ends(text: &str, pos: usize, c: char) -> impl Iterator<Item = usize> {
    let rest = text.get(pos..).unwrap_or_default();
    let plain = rest.starts_with(c).then_some(pos + c.len_utf8());
    [plain, escaped_end(text, pos, c)].into_iter().flatten()
}

fn escaped_end(text: &str, pos: usize, c: char) -> Option<usize> {
    let escaped = text.get(pos..)?.strip_prefix('\\')?;
    let short = match c {
        '"' | '\\' | '/' => Some(c),
        '\u{8}' => Some('b'),
        '\u{c}' => Some('f'),
        '\n' => Some('n'),
        '\r' => Some('r'),
        '\t' => Some('t'),
        _ => None,
    };
    if short.is_some_and(|s| escaped.starts_with(s)) {
        return Some(pos + 2);
    }
    c.encode_utf16(&mut [0; 2])
        .iter()
        .try_fold(pos, |p, &unit| unicode_escape_at(text, p, unit))
}

/// Where a `\uXXXX` escape of `unit` ends, if one is at `pos`.
fn unicode_escape_at(text: &str, pos: usize, unit: u16) -> Option<usize> {
    let hex = text.get(pos..pos + 6)?.strip_prefix("\\u")?;
    let same = hex.bytes().all(|b| b.is_ascii_hexdigit()) && u16::from_str_radix(hex, 16).ok()? == unit;
    same.then_some(pos + 6)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A masker writing into the returned buffer.
    pub fn buffered() -> (Arc<Masker>, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = lines.clone();
        let masker = Masker::new(Box::new(move |s| sink.lock().unwrap().push(s.to_string())));
        (Arc::new(masker), lines)
    }

    #[test]
    fn secrets_are_masked_plain_and_json_escaped() {
        let (m, lines) = buffered();
        m.note_secret(r#"pa"ss/w\ord-123"#);
        m.note_secret("gAAAAB-token-é");
        let text = concat!(
            r#"plain pa"ss/w\ord-123, "#,
            r#"json pa\"ss\/w\\ord-123, "#,
            r#"unicode pa\u0022ss\u002fw\u005cord-123, "#,
            r#"token gAAAAB-token-é and gAAAAB-token-\u00e9 and gAAAAB-token-\u00E9"#
        );
        m.print(text);
        assert_eq!(
            lines.lock().unwrap()[0],
            "plain ***, json ***, unicode ***, token *** and *** and ***"
        );
    }

    #[test]
    fn short_secrets_are_not_masked_as_substrings() {
        let (m, lines) = buffered();
        m.note_secret("e");
        m.note_secret("1234567");
        m.print("identity 1234567");
        assert_eq!(lines.lock().unwrap()[0], "identity 1234567");
    }

    #[test]
    fn control_characters_are_escaped_after_masking() {
        let (m, lines) = buffered();
        m.note_secret("tab\tsecret");
        m.print("Error: tab\tsecret \x1b]0;title\x07\nsecond line \u{202e}");
        assert_eq!(
            lines.lock().unwrap()[0],
            "Error: *** \\x1b]0;title\\x07\nsecond line \\u{202e}"
        );
    }
}
