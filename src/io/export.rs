//! `rapport export KIND`: the same columns the importer reads (plus
//! offers), so export → import into an empty database round-trips.

use std::io::Write;

use super::Kind;
use crate::backend::{Backend, BackendError};
use crate::domain::*;
use crate::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] BackendError),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

impl From<ExportError> for std::io::Error {
    fn from(e: ExportError) -> std::io::Error {
        match e {
            ExportError::Io(e) => e,
            // A broken pipe stays one (`rapport offers | head` ends quietly).
            ExportError::Csv(e) if e.is_io_error() => match e.into_kind() {
                csv::ErrorKind::Io(io) => io,
                other => std::io::Error::other(format!("{other:?}")),
            },
            ExportError::Csv(e) => e.into(),
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// Writes rows as CSV or as a JSON array of objects (all values strings,
/// exactly as in the CSV: amounts keep their cents without float rounding).
pub struct RowWriter<'w> {
    format: Format,
    columns: Vec<&'static str>,
    csv: Option<csv::Writer<&'w mut dyn Write>>,
    out: Option<&'w mut dyn Write>,
    rows: usize,
}

impl<'w> RowWriter<'w> {
    pub fn new(out: &'w mut dyn Write, format: Format, columns: Vec<&'static str>) -> Result<Self, ExportError> {
        let mut w = RowWriter {
            format,
            columns,
            csv: None,
            out: None,
            rows: 0,
        };
        match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(&w.columns)?;
                w.csv = Some(csv);
            }
            Format::Json => {
                out.write_all(b"[")?;
                w.out = Some(out);
            }
        }
        Ok(w)
    }

    pub fn row(&mut self, values: &[String]) -> Result<(), ExportError> {
        if let Some(csv) = &mut self.csv {
            csv.write_record(values.iter().map(|v| super::cell::neutralize(v).into_owned()))?;
        } else if let Some(out) = &mut self.out {
            let object: serde_json::Map<String, serde_json::Value> = self
                .columns
                .iter()
                .zip(values)
                .map(|(c, v)| (c.to_string(), serde_json::Value::String(v.clone())))
                .collect();
            let sep = if self.rows == 0 { "\n" } else { ",\n" };
            out.write_all(sep.as_bytes())?;
            // serde_json hands back the I/O error itself (a broken pipe stays one).
            serde_json::to_writer(&mut *out, &object).map_err(std::io::Error::from)?;
        }
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), ExportError> {
        if let Some(mut csv) = self.csv.take() {
            csv.flush()?;
        }
        if let Some(out) = self.out.take() {
            out.write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
            out.flush()?;
        }
        let _ = self.format;
        Ok(())
    }
}

impl ExportError {
    /// The reader went away (`rapport export … | head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            ExportError::Io(e) => Some(e.kind()),
            ExportError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e.kind()),
                _ => None,
            },
            ExportError::Store(_) => None,
        };
        io == Some(std::io::ErrorKind::BrokenPipe)
    }
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

use chrono::NaiveDate;

fn client_ref(model: &Model, id: ClientId) -> String {
    model.clients.get(&id).map(|c| c.reference.clone()).unwrap_or_default()
}
fn product_code(model: &Model, id: ProductId) -> String {
    model.products.get(&id).map(|p| p.code.clone()).unwrap_or_default()
}

/// Writes every record of `kind` in id order.
pub fn export(data: &mut dyn Backend, kind: Kind, format: Format, out: &mut dyn Write) -> Result<(), ExportError> {
    let mut w = RowWriter::new(out, format, kind.columns().iter().map(|(c, _)| *c).collect())?;
    if kind == Kind::Settlements {
        // Streamed from a store opened here; a server sends them all first.
        let mut failed = None;
        let mut row = |s: Settlement, model: &Model| {
            let written = w.row(&[
                client_ref(model, s.client),
                s.date.to_string(),
                s.amount.to_string(),
                s.product.map(|p| product_code(model, p)).unwrap_or_default(),
                s.doc.clone(),
            ]);
            match written {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        };
        data.each_settlement(&mut |model, s| row(s, model))?;
        if let Some(e) = failed {
            return Err(e);
        }
        return w.finish();
    }
    // The log is read from the backend (the model holds no entries).
    let log = if kind == Kind::Log {
        let mut all = data.contacts_between(NaiveDate::MIN, NaiveDate::MAX)?;
        all.sort_by_key(|c| (c.at, c.id));
        all
    } else {
        Vec::new()
    };
    let model = data.model();
    match kind {
        Kind::Managers => {
            for m in model.managers.values() {
                w.row(&[m.login.clone(), m.name.clone(), m.role.as_str().into()])?;
            }
        }
        Kind::Segments => {
            for s in model.segments.values() {
                w.row(&[s.code.clone(), s.name.clone(), s.description.clone()])?;
            }
        }
        Kind::Products => {
            for p in model.products.values() {
                w.row(&[p.code.clone(), p.name.clone(), p.line.clone()])?;
            }
        }
        Kind::Portrait => {
            for (s, p) in &model.portrait {
                let seg = model.segments.get(s).map(|s| s.code.clone()).unwrap_or_default();
                w.row(&[seg, product_code(model, *p)])?;
            }
        }
        Kind::Clients => {
            for c in model.clients.values() {
                let seg = c.segment.and_then(|s| model.segments.get(&s)).map(|s| s.code.clone());
                let mgr = c.manager.and_then(|m| model.managers.get(&m)).map(|m| m.login.clone());
                w.row(&[
                    c.reference.clone(),
                    c.name.clone(),
                    seg.unwrap_or_default(),
                    mgr.unwrap_or_default(),
                    c.created.to_string(),
                    c.notes.clone(),
                    c.tags.join(" "),
                    model.sales.source_of(c.id).to_string(),
                ])?;
            }
        }
        Kind::Contacts => {
            for p in model.persons.values() {
                w.row(&[
                    client_ref(model, p.client),
                    p.name.clone(),
                    p.role.clone(),
                    p.phone.clone(),
                    p.email.clone(),
                    opt_date(p.birthday),
                ])?;
            }
        }
        Kind::Settlements => {} // streamed above
        Kind::Offers => {
            for o in model.offers.values() {
                w.row(&offer_row(model, o))?;
            }
        }
        Kind::Log => {
            for c in &log {
                let person = c
                    .person
                    .and_then(|p| model.persons.get(&(c.client, p)))
                    .map_or(String::new(), |p| p.name.clone());
                w.row(&[
                    client_ref(model, c.client),
                    c.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    c.channel.as_str().into(),
                    c.summary.clone(),
                    person,
                    c.outcome.clone(),
                    opt_date(c.next_contact),
                    c.who.to_string(),
                ])?;
            }
        }
        Kind::Tasks => {
            for t in model.tasks.values() {
                w.row(&[
                    client_ref(model, t.client),
                    t.due.to_string(),
                    t.text.clone(),
                    opt_date(t.done),
                    t.who.to_string(),
                ])?;
            }
        }
        Kind::Surveys => {
            for s in model.surveys.values() {
                let scores: Vec<String> = s.scores.iter().map(u8::to_string).collect();
                w.row(&[
                    client_ref(model, s.client),
                    product_code(model, s.product),
                    s.date.to_string(),
                    scores.join(" "),
                    s.who.to_string(),
                ])?;
            }
        }
    }
    w.finish()
}

/// One offer in the columns of `Kind::Offers`.
pub fn offer_row(model: &Model, o: &Offer) -> Vec<String> {
    let refusal = o.refusal.as_ref();
    vec![
        client_ref(model, o.client),
        product_code(model, o.product),
        o.stage.as_str().into(),
        o.stage_date.to_string(),
        opt_date(o.next_step),
        o.next_note.clone(),
        opt_date(o.expiry),
        opt_date(o.invoice_due),
        opt_date(o.delivery),
        refusal.map(|r| r.reason.as_str().to_string()).unwrap_or_default(),
        refusal.map(|r| r.at_stage.as_str().to_string()).unwrap_or_default(),
        opt_date(refusal.and_then(|r| r.retry)),
        o.version.to_string(),
    ]
}
