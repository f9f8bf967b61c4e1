//! Output as python-openstackclient (cliff) prints it: `-f table` an ASCII box table
//! (numbers right-aligned, `None` for missing values, nothing at all for an empty list),
//! `-f json` an array of objects (lists) or one object (show), `-f value` the values only,
//! and `-c COLUMN` to keep some columns (in their usual order). Table and value print
//! control characters and bidi controls escaped ([`printable`]).

use serde_json::Value;

use crate::args::Format;
use crate::CliError;

/// One value: as JSON, and as text for the table and value formats.
#[derive(Clone, Debug)]
pub struct Cell {
    pub json: Value,
    pub text: String,
}

impl Cell {
    pub fn str(s: &str) -> Cell {
        Cell {
            json: Value::String(s.to_string()),
            text: s.to_string(),
        }
    }
    pub fn opt(s: Option<&str>) -> Cell {
        s.map_or_else(Cell::none, Cell::str)
    }
    pub fn none() -> Cell {
        Cell {
            json: Value::Null,
            text: "None".into(),
        }
    }
    pub fn int(n: u32) -> Cell {
        Cell {
            json: Value::from(n),
            text: n.to_string(),
        }
    }
    /// A signed number (Cinder's -1 for unlimited).
    pub fn i64(n: i64) -> Cell {
        Cell {
            json: Value::from(n),
            text: n.to_string(),
        }
    }
    /// A boolean, shown as Python shows it (`True`, `False`).
    pub fn bool(b: bool) -> Cell {
        Cell {
            json: Value::Bool(b),
            text: if b { "True" } else { "False" }.into(),
        }
    }
    /// `k='v', k2='v2'`; a JSON object.
    pub fn properties(pairs: &[(String, String)]) -> Cell {
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{k}='{v}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let json = Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
        Cell { json, text }
    }
    pub fn with_text(json: Value, text: String) -> Cell {
        Cell { json, text }
    }
}

/// What a command prints.
pub enum Output {
    /// Rows under columns (`list`).
    List {
        columns: Vec<&'static str>,
        rows: Vec<Vec<Cell>>,
    },
    /// One resource: fields and their values (`show`, `create`).
    Record(Vec<(&'static str, Cell)>),
    /// Nothing (delete, detach).
    Nothing,
}

impl Output {
    /// The same output with every cell's text [`printable`] (JSON keeps the values as
    /// they are: serde_json escapes control characters itself).
    fn printable(self) -> Output {
        let cells = |row: Vec<Cell>| row.into_iter().map(Cell::printable).collect();
        match self {
            Output::List { columns, rows } => Output::List {
                columns,
                rows: rows.into_iter().map(cells).collect(),
            },
            Output::Record(fields) => Output::Record(fields.into_iter().map(|(n, c)| (n, c.printable())).collect()),
            Output::Nothing => Output::Nothing,
        }
    }
}

impl Cell {
    fn printable(self) -> Cell {
        Cell {
            text: printable(&self.text),
            ..self
        }
    }
}

/// Whether `c` would act on the terminal instead of showing: a control character (C0,
/// DEL, C1) other than the line break, or a bidi mark, override or isolate, which
/// reorders what follows it.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character that would act on the terminal written out (`\x1b`,
/// `\u{202e}`): names and messages come from the server, and could otherwise retitle or
/// clear the terminal, or disguise what is printed. Line breaks stay.
pub fn printable(s: &str) -> String {
    if !s.chars().any(acts_on_terminal) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !acts_on_terminal(c) => out.push(c),
            c if c.is_ascii() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

/// Renders `out` in `format`, keeping only `columns` when some are named.
pub fn render(out: Output, format: Format, columns: &[String]) -> Result<String, CliError> {
    let out = if format == Format::Json { out } else { out.printable() };
    match out {
        Output::Nothing => Ok(String::new()),
        Output::List { columns: names, rows } => {
            let keep = select(&names, columns)?;
            let names: Vec<&str> = keep.iter().map(|&i| names[i]).collect();
            let rows: Vec<Vec<Cell>> = rows
                .into_iter()
                .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
                .collect();
            Ok(match format {
                Format::Json => json_array(&names, &rows),
                Format::Value => rows
                    .iter()
                    .map(|r| {
                        let line = r.iter().map(|c| one_line(&c.text)).collect::<Vec<_>>().join(" ");
                        format!("{line}\n")
                    })
                    .collect(),
                Format::Table if rows.is_empty() => String::new(),
                Format::Table => {
                    let align: Vec<bool> = rows[0].iter().map(|c| c.json.is_number()).collect();
                    table(&names, &rows.iter().map(|r| texts(r)).collect::<Vec<_>>(), &align)
                }
            })
        }
        Output::Record(fields) => {
            let names: Vec<&'static str> = fields.iter().map(|(n, _)| *n).collect();
            let keep = select(&names, columns)?;
            let fields: Vec<(&str, Cell)> = keep.iter().map(|&i| fields[i].clone()).collect();
            Ok(match format {
                Format::Json => {
                    let pairs: Vec<(&str, &Value)> = fields.iter().map(|(n, c)| (*n, &c.json)).collect();
                    json_object(&pairs, 0) + "\n"
                }
                Format::Value => fields.iter().map(|(_, c)| format!("{}\n", c.text)).collect(),
                Format::Table => {
                    let rows: Vec<Vec<String>> = fields
                        .iter()
                        .map(|(n, c)| vec![n.to_string(), c.text.clone()])
                        .collect();
                    table(&["Field", "Value"], &rows, &[false, false])
                }
            })
        }
    }
}

/// The indices of the columns to keep: all, or those named (in their usual order); none
/// recognized is an error, as in cliff.
fn select(names: &[&str], wanted: &[String]) -> Result<Vec<usize>, CliError> {
    if wanted.is_empty() {
        return Ok((0..names.len()).collect());
    }
    let keep: Vec<usize> = (0..names.len())
        .filter(|&i| wanted.iter().any(|w| w == names[i]))
        .collect();
    if keep.is_empty() {
        let quoted = |v: Vec<&str>| v.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
        return Err(CliError::new(
            "invalid-input",
            format!(
                "No recognized column names in [{}]. Recognized columns are ({}).",
                quoted(wanted.iter().map(String::as_str).collect()),
                quoted(names.to_vec())
            ),
        ));
    }
    Ok(keep)
}

fn texts(r: &[Cell]) -> Vec<String> {
    r.iter().map(|c| c.text.clone()).collect()
}

fn one_line(s: &str) -> String {
    s.lines().collect::<Vec<_>>().join(" ")
}

/// Rows as a JSON array of objects, indented by two, keys in column order.
fn json_array(names: &[&str], rows: &[Vec<Cell>]) -> String {
    if rows.is_empty() {
        return "[]\n".into();
    }
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            let pairs: Vec<(&str, &Value)> = names.iter().copied().zip(r.iter().map(|c| &c.json)).collect();
            format!("  {}", json_object(&pairs, 2))
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

/// A JSON object at `indent` spaces, keys in the given order (as cliff prints them).
fn json_object(pairs: &[(&str, &Value)], indent: usize) -> String {
    if pairs.is_empty() {
        return "{}".into();
    }
    let pad = " ".repeat(indent + 2);
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let value = serde_json::to_string_pretty(v).unwrap_or_default();
            format!(
                "{pad}{}: {}",
                Value::String(k.to_string()),
                value.replace('\n', &format!("\n{pad}"))
            )
        })
        .collect();
    format!("{{\n{}\n{}}}", items.join(",\n"), " ".repeat(indent))
}

/// A prettytable box: `+---+` rules, `| x |` cells, multi-line cells spread over lines.
pub fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            for line in cell.split('\n') {
                widths[i] = widths[i].max(width(line));
            }
        }
    }
    let rule: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+\n";
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - width(c);
            if right.get(i).copied().unwrap_or(false) {
                s.push_str(&format!("| {}{} ", " ".repeat(pad), c));
            } else {
                s.push_str(&format!("| {}{} ", c, " ".repeat(pad)));
            }
        }
        s + "|\n"
    };
    let mut out = rule.clone();
    out.push_str(&line(header));
    out.push_str(&rule);
    for r in rows {
        let split: Vec<Vec<&str>> = r.iter().map(|c| c.split('\n').collect()).collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            let cells: Vec<&str> = split.iter().map(|l| l.get(k).copied().unwrap_or("")).collect();
            out.push_str(&line(&cells));
        }
    }
    out.push_str(&rule);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_look_like_openstackclient() {
        let out = Output::List {
            columns: vec!["ID", "Name", "Size"],
            rows: vec![vec![Cell::str("a1"), Cell::none(), Cell::int(10)]],
        };
        assert_eq!(
            render(out, Format::Table, &[]).unwrap(),
            "+----+------+------+\n| ID | Name | Size |\n+----+------+------+\n| a1 | None |   10 |\n+----+------+------+\n"
        );
        let record = Output::Record(vec![("id", Cell::str("a1")), ("size", Cell::int(10))]);
        assert_eq!(render(record, Format::Value, &["size".into()]).unwrap(), "10\n");
        let empty = Output::List {
            columns: vec!["ID"],
            rows: vec![],
        };
        assert_eq!(render(empty, Format::Table, &[]).unwrap(), "");
        let list = Output::List {
            columns: vec!["Name", "ID", "Tags"],
            rows: vec![vec![
                Cell::str("n"),
                Cell::str("a1"),
                Cell::properties(&[("k".into(), "v".into())]),
            ]],
        };
        let expected =
            "[\n  {\n    \"Name\": \"n\",\n    \"ID\": \"a1\",\n    \"Tags\": {\n      \"k\": \"v\"\n    }\n  }\n]\n";
        let rendered = render(list, Format::Json, &[]).unwrap();
        assert_eq!(rendered, expected);
        let reparsed: Value = serde_json::from_str(&rendered).unwrap();
        assert_eq!(reparsed[0]["Tags"]["k"], "v");
        let bad = Output::Record(vec![("id", Cell::str("a1"))]);
        assert!(render(bad, Format::Json, &["nope".into()]).is_err());
    }

    /// A name that would retitle the terminal, clear it, and reverse the text after it.
    const HOSTILE: &str = "a\x1b]0;pwned\x07b\x1b[2J\u{9b}c\u{202e}d\u{2066}\r\te\x7f";
    const SHOWN: &str = r"a\x1b]0;pwned\x07b\x1b[2J\u{9b}c\u{202e}d\u{2066}\x0d\x09e\x7f";

    fn hostile_list() -> Output {
        Output::List {
            columns: vec!["ID", "Name"],
            rows: vec![vec![Cell::str("a1"), Cell::str(HOSTILE)]],
        }
    }

    #[test]
    fn control_characters_print_escaped_in_table_and_value() {
        let table = render(hostile_list(), Format::Table, &[]).unwrap();
        assert!(table.contains(&format!("| a1 | {SHOWN} |")), "{table}");
        let value = render(hostile_list(), Format::Value, &[]).unwrap();
        assert_eq!(value, format!("a1 {SHOWN}\n"));
        let record = Output::Record(vec![("name", Cell::str(HOSTILE))]);
        assert_eq!(render(record, Format::Value, &[]).unwrap(), format!("{SHOWN}\n"));
        let record = Output::Record(vec![("name", Cell::str(HOSTILE))]);
        assert!(render(record, Format::Table, &[]).unwrap().contains(SHOWN));
        let ordinary = Output::Record(vec![("name", Cell::str("Zoë \\ 名前\nline two"))]);
        assert_eq!(render(ordinary, Format::Value, &[]).unwrap(), "Zoë \\ 名前\nline two\n");
    }

    #[test]
    fn json_keeps_the_exact_value_escaped_as_json() {
        let json = render(hostile_list(), Format::Json, &[]).unwrap();
        assert!(json.contains(r#""a\u001b]0;pwned\u0007b"#), "{json}");
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0]["Name"], HOSTILE);
    }
}
