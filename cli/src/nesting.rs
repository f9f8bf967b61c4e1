//! A linear bound on how deep a YAML (or JSON) document nests, checked before
//! serde_yaml_ng parses it: its parser takes quadratic time on deep nesting (400 KB of `[`
//! took over a minute to fail), and `./clouds.yaml` is read from any working directory.
//!
//! The scan follows YAML's rules for where quoted scalars, comments and block scalars
//! start, so that brackets inside them do not count and nothing the parser would nest can
//! hide in them; it may count a little more than the parser nests, never much less.

/// Deepest nesting accepted: block levels and flow brackets (`[`, `{`) together.
pub const MAX_DEPTH: usize = 64;

/// Fails if `text` nests deeper than [`MAX_DEPTH`], naming the line.
pub fn check(text: &str) -> Result<(), String> {
    let mut scan = Scan::default();
    for (n, line) in text.split('\n').enumerate() {
        scan.line(line.as_bytes())
            .map_err(|()| format!("nested deeper than {MAX_DEPTH} levels (line {})", n + 1))?;
    }
    Ok(())
}

/// Where the scan is, carried from line to line.
#[derive(Default)]
struct Scan {
    /// Open flow brackets.
    flow: usize,
    /// The columns of the open block levels, innermost last.
    blocks: Vec<usize>,
    /// Inside a `'…'` or `"…"` scalar (they may span lines).
    quote: Option<u8>,
    /// The next character begins a node (where a quote, bracket or `|` is an indicator).
    node_start: bool,
    /// Inside a block scalar (`|`, `>`): lines indented more than this are its text.
    block_scalar: Option<usize>,
}

/// Whether `b` ends a token (`- `, `: `, `# `…): a blank or the end of the line.
fn blank_at(line: &[u8], i: usize) -> bool {
    line.get(i).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

impl Scan {
    fn line(&mut self, line: &[u8]) -> Result<(), ()> {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let blank = (indent..line.len()).all(|i| blank_at(line, i));
        if let Some(parent) = self.block_scalar {
            if blank || indent > parent {
                return Ok(());
            }
            self.block_scalar = None;
        }
        let mut i = 0;
        if self.quote.is_none() && self.flow == 0 && !blank && line[indent] != b'#' {
            i = self.block_levels(line, indent)?;
            self.node_start = true;
        }
        while i < line.len() {
            i = match self.quote {
                Some(q) => self.in_quote(line, i, q),
                None => self.structure(line, i, indent)?,
            };
        }
        Ok(())
    }

    /// Opens and closes block levels for a line indented by `col`; `- ` items nest
    /// further. Returns where the line's content starts.
    fn block_levels(&mut self, line: &[u8], mut col: usize) -> Result<usize, ()> {
        if line.starts_with(b"---") && blank_at(line, 3) {
            return Ok(3); // a document's start, which its first node may follow
        }
        self.blocks.retain(|&c| c <= col);
        loop {
            if self.blocks.last() != Some(&col) {
                self.blocks.push(col);
            }
            if self.blocks.len() > MAX_DEPTH {
                return Err(());
            }
            let item = matches!(line.get(col), Some(b'-' | b'?')) && blank_at(line, col + 1);
            if !item {
                return Ok(col);
            }
            col += 1;
            while line.get(col) == Some(&b' ') {
                col += 1;
            }
            if col >= line.len() {
                return Ok(col);
            }
        }
    }

    /// One step inside a quoted scalar; returns the next position.
    fn in_quote(&mut self, line: &[u8], i: usize, q: u8) -> usize {
        match line[i] {
            b'\\' if q == b'"' => i + 2,
            b'\'' if q == b'\'' && line.get(i + 1) == Some(&b'\'') => i + 2,
            b if b == q => {
                self.quote = None;
                self.node_start = false;
                i + 1
            }
            _ => i + 1,
        }
    }

    /// One step outside quotes; returns the next position (the line's end after a
    /// comment or a block scalar's header).
    fn structure(&mut self, line: &[u8], i: usize, indent: usize) -> Result<usize, ()> {
        let b = line[i];
        let after_blank = i == 0 || blank_at(line, i - 1);
        match b {
            b'#' if after_blank => return Ok(line.len()),
            b' ' | b'\t' | b'\r' => {}
            b'\'' | b'"' if self.node_start => self.quote = Some(b),
            b'[' | b'{' if self.node_start || self.flow > 0 => {
                self.flow += 1;
                if self.blocks.len() + self.flow > MAX_DEPTH {
                    return Err(());
                }
                self.node_start = true;
            }
            b']' | b'}' if self.flow > 0 => {
                self.flow -= 1;
                self.node_start = false;
            }
            b',' if self.flow > 0 => self.node_start = true,
            b':' if self.flow > 0 || blank_at(line, i + 1) => self.node_start = true,
            b'-' | b'?' if self.node_start && blank_at(line, i + 1) => {}
            b'|' | b'>' if self.node_start && self.flow == 0 => {
                self.block_scalar = Some(indent);
                return Ok(line.len());
            }
            // An anchor or a tag comes before its node's content.
            b'&' | b'!' if self.node_start => {
                return Ok((i..line.len()).find(|&j| blank_at(line, j)).unwrap_or(line.len()));
            }
            _ => self.node_start = false,
        }
        Ok(i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(text: &str) -> bool {
        check(text).is_err()
    }

    #[test]
    fn brackets_and_levels_count_together() {
        assert!(!deep(&format!("a: {}{}", "[".repeat(63), "]".repeat(63))));
        assert!(deep(&format!("a: {}", "[".repeat(64))));
        assert!(deep(&"{\"a\": ".repeat(65)));
        let levels = |n: usize| (0..n).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect::<String>();
        assert!(!deep(&levels(64)));
        assert!(deep(&levels(65)));
        assert!(deep(&format!("{}x", "- ".repeat(65))));
        assert_eq!(
            check(&format!("a: b\nc: {}", "[".repeat(100))).unwrap_err(),
            "nested deeper than 64 levels (line 2)"
        );
    }

    #[test]
    fn brackets_in_quotes_comments_and_block_scalars_do_not_count() {
        let many = "[".repeat(100);
        assert!(!deep(&format!("password: '{many}'\n")));
        assert!(!deep(&format!("password: \"{many}\\\"{many}\"\n")));
        assert!(!deep(&format!("password: 'it''s {many}'\n")));
        assert!(!deep(&format!("a: b # {many}\n")));
        assert!(!deep(&format!("a: |\n  {many}\n\n  {many}\nb: c\n")));
        assert!(!deep(&format!("a: x{many}\n")), "a plain scalar's brackets");
    }

    #[test]
    fn nothing_deep_hides_where_the_parser_sees_structure() {
        let many = "[".repeat(100);
        assert!(deep(&format!("a: don't\nb: {many}")), "an apostrophe in a plain scalar");
        assert!(deep(&format!("a: b#c\nd: {many}")), "a # inside a word");
        assert!(deep(&format!("a: &x !!seq {many}")), "an anchor and a tag");
        assert!(deep(&format!("a: |\n  text\nb: {many}")), "after the block scalar");
        assert!(deep(&format!("a: 'x'\nb: {many}")), "after a quoted scalar");
        assert!(deep(&format!("--- {many}")), "after a document's start");
        assert!(deep(&format!("a: \"x\\\\\"\nb: {many}")), "an escaped backslash closes");
    }

    #[test]
    fn clouds_yaml_files_pass() {
        let yaml = "clouds:\n  prod:\n    auth:\n      auth_url: https://k/v3\n      password: \"p[a{s's#\"\n    \
                    regions: [dc3-a, {name: dc4-a}]\n    description: >\n      free [text\n# [[[ done\n";
        check(yaml).unwrap();
        check(r#"{"clouds": {"c": {"auth": {"auth_url": "https://k/v3"}, "regions": ["a", "b"]}}}"#).unwrap();
    }
}
