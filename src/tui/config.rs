//! Reading the user's TOML files (keymaps, themes, config) with positions,
//! so every problem is reported at once as `file:line:column: message`.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// One file being read: its name, its text, and the problems found so far.
pub struct Doc<'t> {
    pub name: String,
    pub text: &'t str,
    pub errors: Vec<ConfigError>,
}

impl<'t> Doc<'t> {
    pub fn new(name: impl Into<String>, text: &'t str) -> Doc<'t> {
        Doc {
            name: name.into(),
            text,
            errors: Vec::new(),
        }
    }

    /// Records a problem at a byte span (1-based line, column in characters).
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let start = span.start.min(self.text.len());
        let before = self.text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.errors.push(ConfigError {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        });
    }

    /// The problems found, in file order.
    pub fn into_errors(mut self) -> Vec<ConfigError> {
        self.errors.sort_by_key(|e| (e.line, e.column));
        self.errors
    }

    /// Parses the document, recording syntax errors; what could be
    /// recovered is still returned.
    pub fn parse(&mut self) -> DeTable<'t> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            self.error(span, e.message().trim().to_string());
        }
        table.into_inner()
    }
}

/// The string inside a value, or an error naming what was expected.
pub fn string<'a>(doc: &mut Doc, value: &'a Spanned<DeValue>, what: &str) -> Option<&'a str> {
    match value.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        _ => {
            doc.error(value.span(), format!("{what} must be a string"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        let mut doc = Doc::new("f.toml", text);
        let pos = text.find('"').unwrap();
        doc.error(pos..pos + 1, "boom");
        assert_eq!(doc.errors[0].to_string(), "f.toml:2:6: boom");
    }

    #[test]
    fn syntax_errors_are_reported_with_positions() {
        let mut doc = Doc::new("k.toml", "[list]\nkeymap = [ { on = \"q\" \n");
        let _ = doc.parse();
        assert!(!doc.errors.is_empty());
        assert!(doc.errors[0].to_string().starts_with("k.toml:"), "{:?}", doc.errors);
    }
}
