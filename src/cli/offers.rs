//! `rapport offers`, `rapport offer`, `rapport portrait`: the product
//! matrix from the command line, through the same command path as the TUI.

use std::io::Write;

use chrono::NaiveDate;
use clap::Args;

use super::sheet::{Output, Sheet, col, text_row};
use super::{CliResult, Failure, Target, current_login, date_arg, io_err, today};
use rapport::backend::Backend;
use rapport::domain::{OfferStage, RefusalReason};
use rapport::io::Kind;
use rapport::io::export::{Format, RowWriter, offer_row};
use rapport::model::{Change, Model};
use rapport::write::{Command, OfferMove};

#[derive(Args, Debug)]
pub struct OffersArgs {
    /// Only this client's offers (its ref).
    #[arg(long, value_name = "REF")]
    client: Option<String>,
    /// Only clients of this segment (its id).
    #[arg(long, value_name = "SEGMENT")]
    segment: Option<String>,
    /// Only offers at this stage.
    #[arg(long, value_parser = stage_arg)]
    stage: Option<OfferStage>,
    /// Aligned text (the default, like every listing), CSV or JSON.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Args, Debug)]
pub struct OfferArgs {
    /// The client's ref.
    client: String,
    /// The product's id.
    product: String,
    /// The stage to move to: presentation, proposal, agreement, invoiced,
    /// delivery, won, refused, excluded (or back to not_offered).
    #[arg(value_parser = stage_arg)]
    stage: OfferStage,
    /// The stage date (default: today).
    #[arg(long, value_parser = date_arg)]
    date: Option<NaiveDate>,
    /// The next step's date.
    #[arg(long, value_parser = date_arg)]
    next: Option<NaiveDate>,
    /// What the next step is.
    #[arg(long, default_value = "")]
    next_note: String,
    /// Why (required when moving back).
    #[arg(long, default_value = "")]
    note: String,
    /// Refusal reason: price, timing, competitor, no_need, no_budget, other.
    #[arg(long, value_parser = reason_arg)]
    reason: Option<RefusalReason>,
    /// Who won the sale, for reason competitor.
    #[arg(long, default_value = "")]
    competitor: String,
    /// When to try again after a refusal.
    #[arg(long, value_parser = date_arg)]
    retry: Option<NaiveDate>,
    /// Proposal expiry date.
    #[arg(long, value_parser = date_arg)]
    expiry: Option<NaiveDate>,
    /// Invoice due date.
    #[arg(long, value_parser = date_arg)]
    invoice_due: Option<NaiveDate>,
    /// Delivery date.
    #[arg(long, value_parser = date_arg)]
    delivery: Option<NaiveDate>,
    /// The offer version this edit is based on (from `rapport offers`): a
    /// later change by someone else makes the edit fail instead of being
    /// overwritten.
    #[arg(long)]
    version: Option<u64>,
}

#[derive(Args, Debug)]
pub struct PortraitArgs {
    /// `text`: segments × products grid; `csv`: one `segment,product` row per target.
    #[arg(long, value_enum, default_value_t = PortraitFormat::Text)]
    format: PortraitFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PortraitFormat {
    Text,
    Csv,
}

fn stage_arg(s: &str) -> Result<OfferStage, String> {
    OfferStage::parse(s).ok_or_else(|| {
        let names: Vec<&str> = OfferStage::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown stage '{s}' (one of {})", names.join(", "))
    })
}

fn reason_arg(s: &str) -> Result<RefusalReason, String> {
    RefusalReason::parse(s).ok_or_else(|| {
        let names: Vec<&str> = RefusalReason::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown reason '{s}' (one of {})", names.join(", "))
    })
}

/// Through a server the server lists them (`Backend::query`).
pub fn offers(args: OffersArgs, db: Target) -> CliResult {
    super::read_here_or_there(db, |model, out| write_offers(model, &args, out))
}

/// What `rapport offers` prints, from `model`.
pub fn write_offers(model: &Model, args: &OffersArgs, out: &mut dyn Write) -> CliResult {
    let client = match &args.client {
        Some(r) => Some(super::client_by_ref(model, r)?.id),
        None => None,
    };
    let segment = match &args.segment {
        Some(s) => Some(
            model
                .segment_by_code(s)
                .ok_or_else(|| Failure::input(format!("unknown segment '{s}'")))?
                .id,
        ),
        None => None,
    };
    let rows = model.offers.values().filter(|o| {
        let in_segment = || segment.is_none_or(|s| model.clients.get(&o.client).and_then(|c| c.segment) == Some(s));
        client.is_none_or(|c| c == o.client) && args.stage.is_none_or(|s| s == o.stage) && in_segment()
    });
    let format = match args.format {
        Output::Text => {
            // Client, product, stage, since, next step, its note, refusal reason.
            const SHOWN: [(usize, usize); 7] = [(0, 16), (1, 16), (2, 12), (3, 10), (4, 10), (5, 32), (9, 16)];
            let sheet = Sheet {
                title: String::new(),
                columns: vec![
                    col("Client", &[]),
                    col("Product", &[]),
                    col("Stage", &[]),
                    col("Since", &[]),
                    col("Next step", &[]),
                    col("Note", &[]),
                    col("Reason", &[]),
                ],
                rows: rows.map(|o| text_row(&offer_row(model, o), &SHOWN)).collect(),
                footer: Vec::new(),
            };
            return sheet
                .write(Output::Text, false, out)
                .and_then(|()| out.flush().map_err(io_err));
        }
        Output::Csv => Format::Csv,
        Output::Json => Format::Json,
    };
    let mut w = RowWriter::new(
        &mut *out,
        format,
        Kind::Offers.columns().iter().map(|(c, _)| *c).collect(),
    )
    .map_err(io_err)?;
    for o in rows {
        w.row(&offer_row(model, o)).map_err(io_err)?;
    }
    w.finish().map_err(io_err)?;
    out.flush().map_err(io_err)
}

/// Through a server the move travels alone, as `log`'s does: the server
/// names the client and the product, and the event says what the offer was.
pub fn offer(args: OfferArgs, db: Target) -> CliResult {
    let mut store = super::open_for_command(db)?;
    let named = store.named(&args.client, None, Some(&args.product))?;
    let Some((product, code)) = named.product else {
        return Err(Failure::input(format!("unknown product '{}'", args.product)));
    };
    let (reference, client) = (named.reference, named.client);
    let mut m = OfferMove::new(client, product, args.stage, args.date.unwrap_or_else(today));
    m.expected_version = args.version;
    m.next_step = args.next;
    m.next_note = args.next_note;
    m.note = args.note;
    m.reason = args.reason;
    m.retry = args.retry;
    m.competitor = args.competitor;
    m.expiry = args.expiry;
    m.invoice_due = args.invoice_due;
    m.delivery = args.delivery;
    let event = store.execute(&current_login(), Command::MoveOffer(m))?;
    let mut from = OfferStage::NotOffered;
    let mut version = 0;
    for change in &event.changes {
        match change {
            Change::OfferWas { offer: Some(o), .. } if (o.client, o.product) == (client, product) => from = o.stage,
            Change::Offer(o) if (o.client, o.product) == (client, product) => version = o.version,
            _ => {}
        }
    }
    println!(
        "offer {code} of {reference}: {from} → {} (version {version})",
        args.stage
    );
    Ok(())
}

pub fn portrait(args: PortraitArgs, db: Target) -> CliResult {
    let mut store = super::open_holding(db, rapport::find::named::Wanted::none())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        PortraitFormat::Csv => {
            rapport::io::export::export(&mut store, Kind::Portrait, Format::Csv, &mut out).map_err(io_err)?;
        }
        PortraitFormat::Text => {
            let model = store.model();
            let products = rapport::matrix::columns(model);
            let width = model
                .segments
                .values()
                .map(|s| s.code.chars().count())
                .max()
                .unwrap_or(7)
                .max(7);
            write!(out, "{:width$}", "segment").map_err(io_err)?;
            for p in &products {
                let code = model.products.get(p).map_or("", |p| p.code.as_str());
                write!(out, "  {code}").map_err(io_err)?;
            }
            writeln!(out).map_err(io_err)?;
            for s in model.segments.values() {
                write!(out, "{:width$}", s.code).map_err(io_err)?;
                for p in &products {
                    let w = model.products.get(p).map_or(1, |p| p.code.chars().count());
                    let mark = if model.portrait.contains(&(s.id, *p)) {
                        "●"
                    } else {
                        "·"
                    };
                    write!(out, "  {mark:^w$}").map_err(io_err)?;
                }
                writeln!(out).map_err(io_err)?;
            }
        }
    }
    out.flush().map_err(io_err)
}
