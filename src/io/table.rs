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

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

pub struct Row {
    pub line: u64,
    fields: Vec<String>,
}

pub struct Table {
    columns: Vec<&'static str>,
    pub rows: Vec<Row>,
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
    pub fn get<'a>(&self, row: &'a Row, column: &str) -> &'a str {
        self.columns
            .iter()
            .position(|c| *c == column)
            .and_then(|i| row.fields.get(i))
            .map_or("", |s| super::cell::restore(s.trim_matches(' ')))
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
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(err(line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.iter().all(|b| b.is_ascii_whitespace())) {
            continue; // blank line
        }
        if record.len() != width {
            errors.push(err(line, format!("expected {width} fields, found {}", record.len())));
            continue;
        }
        let mut fields = Vec::with_capacity(width);
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => fields.push(s.to_string()),
                Err(_) => {
                    errors.push(err(line, format!("field '{}' is not valid UTF-8", found[i])));
                    fields.push(String::new());
                }
            }
        }
        rows.push(Row { line, fields });
    }
    if errors.is_empty() {
        Ok(Table {
            columns: found,
            rows,
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
    fn a_tab_is_kept_and_an_exported_quote_is_taken_off() {
        let t = read("c.csv", b"ref,name\nA1,\t=2\nA2,'=2\nA3,  Spaces  \n", COLS).unwrap();
        assert_eq!(t.get(&t.rows[0], "name"), "\t=2");
        assert_eq!(t.get(&t.rows[1], "name"), "=2");
        assert_eq!(t.get(&t.rows[2], "name"), "Spaces");
    }
}
