//! Spreadsheet cells that cannot run: a value that a spreadsheet would
//! read as a formula (starting with `=`, `+`, `-` unless it is a number,
//! `@`, a tab or a carriage return) is written with a leading `'`
//! (OWASP's rule for CSV injection), and the importer takes that `'` off
//! again, so export → import gives back the same text.

use std::borrow::Cow;

fn starts_a_formula(s: &str) -> bool {
    match s.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !is_number(s),
        _ => false,
    }
}

/// `-12.50`, `-1 234,5`, `-7 %`: a negative amount or share, not a formula.
fn is_number(s: &str) -> bool {
    let rest = s.strip_prefix('-').unwrap_or(s);
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '%' | '\u{a0}' | '\u{202f}'))
}

/// Whether `s` looks like a cell this module neutralized (or would):
/// quotes, then the start of a formula.
fn guarded(s: &str) -> bool {
    starts_a_formula(s.trim_start_matches('\''))
}

/// The cell as written to CSV: with a `'` in front when a spreadsheet would
/// run it (or when it already starts with quotes before such a start, so
/// that `restore` gives back exactly this text).
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if guarded(cell) && (starts_a_formula(cell) || cell.starts_with('\'')) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The text a cell written by `neutralize` stood for.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if guarded(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_a_quote_and_numbers_do_not() {
        for (plain, written) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("-2+3", "'-2+3"),
            ("\t=2", "'\t=2"),
            ("\r=2", "'\r=2"),
            ("=1+2", "'=1+2"),
            ("-12.50", "-12.50"),
            ("-1 234,50", "-1 234,50"),
            ("-7 %", "-7 %"),
            ("Müller & Co", "Müller & Co"),
            ("'quoted'", "'quoted'"),
            ("", ""),
            ("-", "'-"),
        ] {
            assert_eq!(neutralize(plain), written, "{plain:?}");
        }
    }

    #[test]
    fn export_then_import_gives_back_the_same_text() {
        for v in [
            "=1+2", "'=1+2", "''=1+2", "-5", "'-5", "-x", "'abc", "abc", "@a", "'", "''", "\t=2", "+", "",
        ] {
            assert_eq!(restore(&neutralize(v)), v, "{v:?}");
        }
    }

    #[test]
    fn nothing_written_starts_a_formula() {
        for v in ["=1", "'=1", "+1", "@x", "-x", "\t=1", "\r=1"] {
            assert!(!starts_a_formula(&neutralize(v)), "{v:?}");
        }
    }
}
