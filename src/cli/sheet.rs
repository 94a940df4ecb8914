//! A report table written three ways: an aligned text table for the
//! terminal, CSV for scripts, and CSV the way French Excel reads it
//! (`;` between fields, decimal commas, a UTF-8 BOM so accents survive).
//! In text a sale shows as "count / sum" in one column; in CSV every
//! figure gets a column of its own.

use rapport::io::cell::neutralize;
use std::io::Write;

use rapport::domain::Money;

use super::{CliResult, io_err};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Csv,
    Json,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// `None`: the figure has no meaning for this row.
    Count(Option<u32>),
    Money(i64),
    Percent(Option<f64>),
    /// A number of settlements and their sum.
    Tally(u32, i64),
    /// `part` of `whole`, and the share.
    Ratio(Option<(u32, u32)>),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.map_or_else(|| "–".into(), |n| n.to_string()),
            Cell::Money(m) => Money(*m).to_string(),
            Cell::Percent(p) => p.map_or_else(|| "–".into(), |p| format!("{p:.1} %")),
            Cell::Tally(0, 0) => "0".into(),
            Cell::Tally(n, sum) => format!("{n} / {}", Money(*sum)),
            Cell::Ratio(None) => "–".into(),
            Cell::Ratio(Some((part, whole))) => match percent(*part, *whole) {
                Some(p) => format!("{part}/{whole} {p:.0} %"),
                None => format!("{part}/{whole}"),
            },
        }
    }

    fn fields(&self, decimal: char) -> Vec<String> {
        let pct = |p: Option<f64>| p.map_or_else(String::new, |p| format!("{p:.1}").replace('.', &decimal.to_string()));
        match self {
            Cell::Text(s) => vec![s.clone()],
            Cell::Count(n) => vec![n.map_or_else(String::new, |n| n.to_string())],
            Cell::Money(m) => vec![Money(*m).format_with(decimal)],
            Cell::Percent(p) => vec![pct(*p)],
            Cell::Tally(n, sum) => vec![n.to_string(), Money(*sum).format_with(decimal)],
            Cell::Ratio(r) => match r {
                Some((part, whole)) => vec![part.to_string(), whole.to_string(), pct(percent(*part, *whole))],
                None => vec![String::new(); 3],
            },
        }
    }

    fn right_aligned(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) * 100.0 / f64::from(whole))
}

pub struct Column {
    pub title: &'static str,
    /// The CSV header(s): one per field the column's cells write.
    pub csv: &'static [&'static str],
}

pub const fn col(title: &'static str, csv: &'static [&'static str]) -> Column {
    Column { title, csv }
}

/// Text cells of `values` at `columns` (an index past the end is empty),
/// cut to `width` characters: a row of a plain listing.
pub fn text_row(values: &[String], columns: &[(usize, usize)]) -> Vec<Cell> {
    columns
        .iter()
        .map(|&(i, width)| {
            let v = values.get(i).map_or("", String::as_str);
            let cut: String = if v.chars().count() > width {
                v.chars().take(width.saturating_sub(1)).chain(['…']).collect()
            } else {
                v.to_string()
            };
            Cell::Text(cut)
        })
        .collect()
}

pub struct Sheet {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows after a rule (the total).
    pub footer: Vec<Vec<Cell>>,
}

impl Sheet {
    /// A plain listing: untitled, text cells, no footer.
    pub fn listing(columns: Vec<Column>, rows: impl Iterator<Item = Vec<String>>) -> Sheet {
        Sheet {
            title: String::new(),
            columns,
            rows: rows.map(|r| r.into_iter().map(Cell::Text).collect()).collect(),
            footer: Vec::new(),
        }
    }

    pub fn write(&self, output: Output, excel: bool, out: &mut dyn Write) -> CliResult {
        match output {
            Output::Text => self.text(out),
            _ => self.csv(excel, out),
        }
    }

    fn text(&self, out: &mut dyn Write) -> CliResult {
        let body: Vec<Vec<String>> = self
            .rows
            .iter()
            .chain(&self.footer)
            .map(|r| {
                r.iter()
                    .map(|c| rapport::domain::text::printable(&c.text()).into_owned())
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                body.iter()
                    .filter_map(|r| r.get(i))
                    .map(|s| s.chars().count())
                    .chain([c.title.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let right = |i: usize| {
            self.rows
                .iter()
                .chain(&self.footer)
                .find_map(|r| r.get(i))
                .is_some_and(Cell::right_aligned)
        };
        let line = |cells: &[String]| -> String {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let w = widths.get(i).copied().unwrap_or(0);
                    if right(i) {
                        format!("{s:>w$}")
                    } else {
                        format!("{s:<w$}")
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        if !self.title.is_empty() {
            writeln!(out, "{}", self.title).map_err(io_err)?;
        }
        let titles: Vec<String> = self.columns.iter().map(|c| c.title.to_string()).collect();
        writeln!(out, "{}", line(&titles)).map_err(io_err)?;
        for (i, r) in body.iter().enumerate() {
            if i == self.rows.len() && !self.footer.is_empty() {
                let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
                writeln!(out, "{}", "─".repeat(total)).map_err(io_err)?;
            }
            writeln!(out, "{}", line(r)).map_err(io_err)?;
        }
        Ok(())
    }

    fn csv(&self, excel: bool, out: &mut dyn Write) -> CliResult {
        let (delimiter, decimal) = if excel { (b';', ',') } else { (b',', '.') };
        if excel {
            out.write_all("\u{feff}".as_bytes()).map_err(io_err)?;
        }
        let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(out);
        let header: Vec<&str> = self.columns.iter().flat_map(|c| c.csv.iter().copied()).collect();
        w.write_record(&header).map_err(io_err)?;
        for r in self.rows.iter().chain(&self.footer) {
            let fields: Vec<String> = r.iter().flat_map(|c| c.fields(decimal)).collect();
            w.write_record(fields.iter().map(|f| neutralize(f).into_owned()))
                .map_err(io_err)?;
        }
        w.flush().map_err(io_err)
    }
}

/// `value` as pretty JSON and a line break.
pub fn json(value: &impl serde::Serialize, out: &mut dyn Write) -> CliResult {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io_err)?;
    writeln!(out).map_err(io_err)
}

/// A listing: JSON of `value` for `--format json`, else the sheet made by
/// `sheet` (text, or CSV).
pub fn listing<T: serde::Serialize>(
    format: Output,
    out: &mut dyn Write,
    value: impl FnOnce() -> T,
    sheet: impl FnOnce() -> Sheet,
) -> CliResult {
    match format {
        Output::Json => json(&value(), out),
        other => sheet().write(other, false, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            title: "T".into(),
            columns: vec![
                col("who", &["who"]),
                col("primary", &["primary_count", "primary_sum"]),
                col("conv.", &["converted", "potential", "conversion_percent"]),
                col("share", &["share_percent"]),
            ],
            rows: vec![vec![
                Cell::Text("Zoë".into()),
                Cell::Tally(2, 123_450),
                Cell::Ratio(Some((1, 3))),
                Cell::Percent(Some(12.25)),
            ]],
            footer: vec![vec![
                Cell::Text("total".into()),
                Cell::Tally(0, 0),
                Cell::Ratio(None),
                Cell::Percent(None),
            ]],
        }
    }

    fn written(output: Output, excel: bool) -> String {
        let mut v = Vec::new();
        assert!(sheet().write(output, excel, &mut v).is_ok());
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn text_is_aligned_with_a_rule_before_the_total() {
        let t = written(Output::Text, false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "T");
        // Figures and their titles align right, text left.
        assert_eq!(lines[1], "who        primary     conv.   share");
        assert_eq!(lines[2], "Zoë    2 / 1234.50  1/3 33 %  12.2 %");
        assert!(lines[3].starts_with("──"));
        assert_eq!(lines[4], "total            0         –       –");
    }

    #[test]
    fn csv_and_excel_csv() {
        let c = written(Output::Csv, false);
        assert_eq!(
            c,
            "who,primary_count,primary_sum,converted,potential,conversion_percent,share_percent\n\
             Zoë,2,1234.50,1,3,33.3,12.2\ntotal,0,0.00,,,,\n"
        );
        let e = written(Output::Csv, true);
        assert!(e.starts_with('\u{feff}'));
        assert!(e.contains("Zoë;2;1234,50;1;3;33,3;12,2\n"), "{e}");
    }
}
