//! Reading a CSV file into named columns: delimiter `,` or `;` detected from
//! the header, UTF-8 with or without BOM, every problem reported with its
//! line.

use std::fmt;

/// One problem in an input file, shown as `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// A message quotes the file's text, which may hold control characters
/// (a quoted field may hold a line break, or an escape sequence): they are
/// replaced before the message reaches a terminal.
impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::domain::text::printable;
        write!(
            f,
            "{}:{}: {}",
            printable(&self.file),
            self.line,
            printable(&self.message)
        )
    }
}

/// A row of a `Table`: its line in the file and where its fields are.
pub struct Row {
    pub line: u64,
    /// The index of its first field in the table's `ends`.
    first: usize,
}

/// The rows of a file, their fields' text end to end in one string: a file
/// of two million settlements held as a `String` per field took 440 MB, as
/// much again as the commands planned from it.
pub struct Table {
    columns: Vec<&'static str>,
    pub rows: Vec<Row>,
    /// Every field's text, row after row.
    text: String,
    /// Where each field ends in `text`; a row has one per column.
    ends: Vec<usize>,
    /// `;`-separated: a French Excel file (decimal commas, thousands
    /// grouped with spaces).
    pub semicolons: bool,
}

impl Table {
    /// The value of `column` in `row`, without surrounding spaces and with
    /// the `'` an export puts before a formula-like cell taken off again
    /// (`cell`); empty when the file has no such column. Only spaces are
    /// trimmed: a leading tab is data (and refused where text must be one
    /// line), never silently dropped.
    pub fn get(&self, row: &Row, column: &str) -> &str {
        self.columns
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.field(row.first + i))
            .map_or("", |s| super::cell::restore(s.trim_matches(' ')))
    }

    /// The text of the table's field number `index`.
    fn field(&self, index: usize) -> Option<&str> {
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start..*self.ends.get(index)?)
    }
}

/// The line where a quoted field opens that the file never closes, if
/// any. The csv crate reads such a field to the end of the file without a
/// word, swallowing every row after it. A quote opens a field only at the
/// field's start (RFC 4180); `""` inside it is an escaped quote.
fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<u64> {
    let mut line = 1u64;
    let mut opened_on = 0u64;
    let mut at_field_start = true;
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && at_field_start {
            quoted = true;
            opened_on = line;
        }
        if b == b'\n' {
            line += 1;
        }
        at_field_start = !quoted && (b == delimiter || b == b'\n' || b == b'\r');
        i += 1;
    }
    quoted.then_some(opened_on)
}

/// The line where a record starts, counted from the records before it:
/// the csv crate's line numbers, and its offsets, point at the blank lines
/// it skips before a record, so a row after one was reported a line early.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Counted up to here: `line` is the line of this offset.
    at: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, byte: u64) -> u64 {
        let mut to = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        // A record never starts with a line break: those are blank lines.
        while matches!(self.bytes.get(to), Some(b'\n' | b'\r')) {
            to += 1;
        }
        if to < self.at {
            (self.at, self.line) = (0, 1);
        }
        let between = self.bytes.get(self.at..to).unwrap_or_default();
        self.line += between.iter().filter(|b| **b == b'\n').count() as u64;
        self.at = to;
        self.line
    }
}

fn detect_delimiter(header: &[u8]) -> u8 {
    let semis = header.iter().filter(|b| **b == b';').count();
    let commas = header.iter().filter(|b| **b == b',').count();
    if semis > commas { b';' } else { b',' }
}

/// Parses `bytes` against the allowed `columns` (name, required). Returns
/// every problem found, not just the first.
pub fn read(file: &str, bytes: &[u8], columns: &[(&'static str, bool)]) -> Result<Table, Vec<RowError>> {
    let err = |line: u64, message: String| RowError {
        file: file.to_string(),
        line,
        message,
    };
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(vec![err(
            1,
            format!(
                "the file is empty; expected a header row with the columns {}",
                names.join(",")
            ),
        )]);
    }
    let delimiter = detect_delimiter(first_line);
    if let Some(line) = unclosed_quote(bytes, delimiter) {
        return Err(vec![err(
            line,
            "a quoted field opened on this line is never closed (a missing \")".into(),
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut errors = Vec::new();
    let mut lines = Lines { bytes, at: 0, line: 1 };
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(vec![err(1, format!("unreadable header: {e}"))]),
        None => return Err(vec![err(1, "the file has no header row".into())]),
    };
    let mut found: Vec<&'static str> = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(raw) else {
            errors.push(err(1, format!("column {} of the header is not valid UTF-8", i + 1)));
            continue;
        };
        let name = text.trim().to_ascii_lowercase();
        match columns.iter().find(|(n, _)| *n == name) {
            Some((n, _)) if found.contains(n) => errors.push(err(1, format!("column '{n}' appears twice"))),
            Some((n, _)) => found.push(n),
            None => errors.push(err(
                1,
                format!("unknown column '{}' (allowed: {})", text.trim(), names.join(", ")),
            )),
        }
    }
    for (n, required) in columns {
        if *required && !found.contains(n) {
            errors.push(err(1, format!("missing required column '{n}'")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let width = header.len();
    let mut rows = Vec::new();
    let mut text = String::new();
    let mut ends = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                errors.push(err(line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(|f| f.iter().all(|b| b.is_ascii_whitespace())) {
            continue; // blank line
        }
        if record.len() != width {
            errors.push(err(line, format!("expected {width} fields, found {}", record.len())));
            continue;
        }
        rows.push(Row {
            line,
            first: ends.len(),
        });
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => text.push_str(s),
                Err(_) => {
                    let name = found.get(i).copied().unwrap_or("?");
                    errors.push(err(line, format!("field '{name}' is not valid UTF-8")));
                }
            }
            ends.push(text.len());
        }
    }
    if errors.is_empty() {
        Ok(Table {
            columns: found,
            rows,
            text,
            ends,
            semicolons: delimiter == b';',
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[(&str, bool)] = &[("ref", true), ("name", true)];

    #[test]
    fn an_unclosed_quote_is_an_error_at_its_line() {
        let text = b"ref,name\nA1,\"Dupont\nA2,Martin\nA3,Durand\n";
        let errors = read("c.csv", text, COLS).err().unwrap();
        assert_eq!(
            errors[0].to_string(),
            "c.csv:2: a quoted field opened on this line is never closed (a missing \")"
        );
    }

    #[test]
    fn closed_and_escaped_quotes_and_quotes_inside_a_field_are_fine() {
        let text = "ref,name\nA1,\"Dupont, \"\"le jeune\"\"\"\nA2,\"two\nlines\"\nA3,O\"Brien\n";
        let t = read("c.csv", text.as_bytes(), COLS).unwrap();
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.get(&t.rows[0], "name"), "Dupont, \"le jeune\"");
    }

    #[test]
    fn every_row_reads_its_own_fields_empty_ones_included() {
        let t = read("c.csv", b"name,ref\n,A1\nMartin,\n\nDurand,A3\n", COLS).unwrap();
        let rows: Vec<(u64, &str, &str)> = t
            .rows
            .iter()
            .map(|r| (r.line, t.get(r, "ref"), t.get(r, "name")))
            .collect();
        assert_eq!(rows, [(2, "A1", ""), (3, "", "Martin"), (5, "A3", "Durand")]);
    }

    #[test]
    fn a_row_is_at_the_line_it_starts_on_with_crlf_and_quoted_line_breaks() {
        let text = b"ref,name\r\nA1,One\r\n\r\n\r\nA2,\"two\r\nlines\"\r\nA3,Three\r\n";
        let t = read("c.csv", text, COLS).unwrap();
        let lines: Vec<u64> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 5, 7]);
        assert_eq!(t.get(&t.rows[1], "name"), "two\r\nlines");
    }

    #[test]
    fn a_message_quoting_the_file_holds_no_control_characters() {
        let e = RowError {
            file: "c.csv".into(),
            line: 6,
            message: "login 'c\r\nd\u{1b}[2J' contains spaces or control characters".into(),
        };
        assert_eq!(
            e.to_string(),
            "c.csv:6: login 'c  d\u{fffd}[2J' contains spaces or control characters"
        );
    }

    #[test]
    fn a_field_that_is_not_utf8_is_an_error_at_its_line() {
        let errors = read("c.csv", b"ref,name\nA1,Dupont\nA2,D\xffrand\n", COLS)
            .err()
            .unwrap();
        assert_eq!(errors[0].to_string(), "c.csv:3: field 'name' is not valid UTF-8");
    }

    #[test]
    fn a_tab_is_kept_and_an_exported_quote_is_taken_off() {
        let t = read("c.csv", b"ref,name\nA1,\t=2\nA2,'=2\nA3,  Spaces  \n", COLS).unwrap();
        assert_eq!(t.get(&t.rows[0], "name"), "\t=2");
        assert_eq!(t.get(&t.rows[1], "name"), "=2");
        assert_eq!(t.get(&t.rows[2], "name"), "Spaces");
    }
}
