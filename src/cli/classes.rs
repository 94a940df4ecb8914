//! `rapport classes`: every client's classes (SPEC §4) as CSV or JSON, the
//! portfolio summary, or the class history.

use rapport::io::cell::neutralize;
use std::io::Write;

use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;

use super::sheet::Output;
use super::{CliResult, Target, date_arg, io_err, today};
use rapport::classes::{self, Abc, ClientClasses, Status, Totals, Xyz};
use rapport::domain::Money;
use rapport::io::export::Format;
use rapport::model::Model;

#[derive(Args, Debug)]
pub struct ClassesArgs {
    /// Compute as of this date (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Print the portfolio totals: counts per class, the ABC×XYZ grid, statuses.
    #[arg(long, conflicts_with = "history")]
    summary: bool,
    /// Print the classes at each of the last 12 month ends.
    #[arg(long)]
    history: bool,
    /// With --history: one client's classes and transitions.
    #[arg(long, value_name = "REF", requires = "history")]
    client: Option<String>,
}

#[derive(Serialize)]
struct Row<'a> {
    client: &'a str,
    name: &'a str,
    abc: Option<Abc>,
    xyz: Option<Xyz>,
    status: Status,
    maturity: Option<String>,
    turnover: String,
    cv: Option<String>,
    turnover_cents: i64,
    cooperation_months: Option<u32>,
    first_settlement: Option<NaiveDate>,
    last_settlement: Option<NaiveDate>,
}

fn row<'a>(model: &'a Model, c: &ClientClasses) -> Option<Row<'a>> {
    let client = model.clients.get(&c.client)?;
    Some(Row {
        client: &client.reference,
        name: &client.name,
        abc: c.abc,
        xyz: c.xyz,
        status: c.status,
        maturity: c.maturity.map(|(u, t)| format!("{u}/{t}")),
        turnover: Money(c.turnover).to_string(),
        cv: c.cv.map(|cv| format!("{cv:.4}")),
        turnover_cents: c.turnover,
        cooperation_months: c.cooperation_months,
        first_settlement: c.first_settlement,
        last_settlement: c.last_settlement,
    })
}

/// Through a server, the server computes the classes and only the text
/// travels (`Backend::query`).
pub fn run(args: ClassesArgs, db: Target) -> CliResult {
    super::read_here_or_there(db, |model, out| write(model, &super::compute_classes, args, out))
}

/// What `rapport classes` prints, from `model`.
pub fn write(model: &Model, classes_of: &super::ClassesOf<'_>, args: ClassesArgs, out: &mut dyn Write) -> CliResult {
    let as_of = args.as_of.unwrap_or_else(today);
    if args.history {
        let output = match args.format {
            Format::Json => Output::Json,
            Format::Csv => Output::Text,
        };
        super::report::history(model, as_of, args.client.as_deref(), output, false, out)
    } else {
        let classes = classes_of(model, as_of);
        if args.summary {
            summary(&classes.totals, as_of, args.format, out)
        } else {
            rows(model, &classes, args.format, out)
        }
    }
}

fn rows(model: &Model, classes: &classes::Classes, format: Format, out: &mut dyn Write) -> CliResult {
    let mut rows: Vec<Row> = classes.clients.iter().filter_map(|c| row(model, c)).collect();
    rows.sort_by(|a, b| a.client.cmp(b.client));
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(io_err)?;
            writeln!(out).map_err(io_err)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["client", "name", "abc", "xyz", "status", "maturity", "turnover", "cv"])
                .map_err(io_err)?;
            for r in &rows {
                w.write_record([
                    &*neutralize(r.client),
                    &*neutralize(r.name),
                    r.abc.map_or("", |a| a.as_str()),
                    r.xyz.map_or("", |x| x.as_str()),
                    r.status.as_str(),
                    r.maturity.as_deref().unwrap_or(""),
                    &r.turnover,
                    r.cv.as_deref().unwrap_or(""),
                ])
                .map_err(io_err)?;
            }
            w.flush().map_err(io_err)?;
        }
    }
    Ok(())
}

fn summary(t: &Totals, as_of: NaiveDate, format: Format, out: &mut dyn Write) -> CliResult {
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "as_of": as_of, "totals": t })).map_err(io_err)?;
        return writeln!(out).map_err(io_err);
    }
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(io_err);
    w(
        out,
        format!(
            "Classes as of {as_of}: {} clients, turnover {}",
            t.clients,
            Money(t.turnover)
        ),
    )?;
    w(out, String::new())?;
    w(
        out,
        format!("{:<6}{:>7}{:>7}{:>7}{:>7}{:>8}", "", "X", "Y", "Z", "–", "total"),
    )?;
    for (row, label) in t.grid.iter().zip(["A", "B", "C", "–"]) {
        let total: u32 = row.iter().sum();
        w(
            out,
            format!(
                "{label:<6}{:>7}{:>7}{:>7}{:>7}{total:>8}",
                row[0], row[1], row[2], row[3]
            ),
        )?;
    }
    w(
        out,
        format!(
            "{:<6}{:>7}{:>7}{:>7}{:>7}{:>8}",
            "total", t.xyz[0], t.xyz[1], t.xyz[2], t.xyz[3], t.clients
        ),
    )?;
    w(out, String::new())?;
    let statuses: Vec<String> = Status::ALL
        .iter()
        .zip(t.status)
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    w(out, format!("status: {}", statuses.join(" · ")))
}
