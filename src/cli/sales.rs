//! `rapport doc`, `rapport docs`, `rapport terms`, `rapport sales-setup`:
//! the sales process of SPEC §9 from the command line — documents written
//! from the company templates, an offer's amendment date and instalments,
//! the lead's sources and competitors lists.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::records::{Said, apply};
use super::sheet::{Output, Sheet, col, listing};
use super::{
    CliResult, Failure, Target, client_by_ref, current_login, date_arg, finish_read, io_err, open_holding, today,
};
use rapport::backend::Backend;
use rapport::domain::{Channel, DocNumber, Document, Instalment, Money, text::printable};
use rapport::find::named::Wanted;
use rapport::model::Model;
use rapport::templates::DocKind;
use rapport::write::Command;

#[derive(Args, Debug)]
pub struct DocArgs {
    #[command(subcommand)]
    action: DocAction,
}

#[derive(Subcommand, Debug)]
enum DocAction {
    /// Write the document of an offer's stage from the company template
    /// (minutes, offer, contract, invoice, questionnaire) into the
    /// documents directory, with the next number of its kind and year.
    New {
        /// The client's ref.
        client: String,
        /// The product's code.
        product: String,
        /// The kind (default: the one of the offer's stage).
        #[arg(long, value_parser = kind_arg)]
        kind: Option<DocKind>,
        /// The document's date (default: today).
        #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
    },
    /// Record that a document went to the client.
    Sent {
        /// The document's number (OFF-2026-0042).
        number: String,
        /// When (default: today).
        #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
        /// How: email, call, meeting, message, visit.
        #[arg(long, default_value = "email", value_parser = channel_arg)]
        channel: Channel,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Open a document with $PAGER (or xdg-open); a missing file is
    /// written again from the registered text.
    Open { number: String },
    /// Print a document's registered text.
    Show { number: String },
}

#[derive(Args, Debug)]
pub struct DocsArgs {
    /// Only this client's documents (its ref).
    #[arg(long, value_name = "REF")]
    client: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Args, Debug)]
pub struct TermsArgs {
    /// The client's ref.
    client: String,
    /// The product's code.
    product: String,
    /// The date by which a change to the proposal or agreement must be settled.
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    amend_by: Option<NaiveDate>,
    /// Take the amendment date off.
    #[arg(long, conflicts_with = "amend_by")]
    no_amend_by: bool,
    /// The invoice's amount (1234.56).
    #[arg(long, value_name = "AMOUNT")]
    invoice: Option<String>,
    /// An instalment as AMOUNT@YYYY-MM-DD (repeat; they replace the old
    /// ones and must sum to the invoice).
    #[arg(long = "instalment", value_name = "AMOUNT@DATE", value_parser = instalment_arg)]
    instalments: Vec<Instalment>,
    /// Take the instalments off.
    #[arg(long, conflicts_with = "instalments")]
    no_instalments: bool,
    #[arg(long, value_enum, default_value = "text")]
    format: Said,
}

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// An acquisition source (repeat; they replace the list).
    #[arg(long = "source", value_name = "SOURCE")]
    sources: Vec<String>,
    /// A competitor (repeat; they replace the list).
    #[arg(long = "competitor", value_name = "NAME")]
    competitors: Vec<String>,
    /// Days after a presentation by which its minutes must be sent.
    #[arg(long, value_name = "DAYS")]
    minutes_days: Option<u32>,
    #[arg(long, value_enum, default_value = "text")]
    format: Said,
}

fn kind_arg(s: &str) -> Result<DocKind, String> {
    DocKind::parse(s).ok_or_else(|| {
        let kinds: Vec<&str> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown document kind '{s}' (one of {})", kinds.join(", "))
    })
}

fn channel_arg(s: &str) -> Result<Channel, String> {
    Channel::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown channel '{s}' (one of {})", names.join(", "))
    })
}

fn instalment_arg(s: &str) -> Result<Instalment, String> {
    Instalment::parse(s)
}

fn number_arg(s: &str) -> Result<DocNumber, Failure> {
    s.parse::<DocNumber>().map_err(|e| Failure::input(e.to_string()))
}

fn document<'m>(model: &'m Model, number: &str) -> Result<&'m Document, Failure> {
    let n = number_arg(number)?;
    model
        .sales
        .documents
        .get(&n)
        .filter(|d| model.clients.contains_key(&d.client))
        .ok_or_else(|| Failure::input(format!("no document {n}")))
}

fn product_id(model: &Model, code: &str) -> Result<rapport::domain::ProductId, Failure> {
    model
        .product_by_code(code)
        .map(|p| p.id)
        .ok_or_else(|| Failure::input(format!("unknown product '{code}'")))
}

pub fn doc_cmd(args: DocArgs, db: Target) -> CliResult {
    let documents = db.documents_dir()?;
    let wanted = match &args.action {
        DocAction::New { client, .. } => Wanted::refs([client.clone()]),
        DocAction::Sent { number, .. } | DocAction::Open { number } | DocAction::Show { number } => {
            Wanted::items([number.clone()])
        }
    };
    let mut store = open_holding(db, wanted)?;
    match args.action {
        DocAction::New {
            client,
            product,
            kind,
            date,
        } => {
            let model = store.model();
            let c = client_by_ref(model, &client)?.id;
            let p = product_id(model, &product)?;
            let kind = match kind.or_else(|| rapport::documents::kind_for(model, c, p)) {
                Some(k) => k,
                None => {
                    let stage = model
                        .offers
                        .get(&(c, p))
                        .map_or(rapport::domain::OfferStage::NotOffered, |o| o.stage);
                    return Err(Failure::input(format!(
                        "the offer of {product} to {client} is at stage {stage}, which has no document"
                    )));
                }
            };
            let date = date.unwrap_or_else(today);
            let doc =
                rapport::documents::write(&mut store, &current_login(), &documents, c, p, kind, date).map_err(|e| {
                    match e {
                        rapport::documents::WriteError::Command(e) => e.into(),
                        rapport::documents::WriteError::Dir(m) => Failure::input(m),
                        e => Failure::system(e.to_string()),
                    }
                })?;
            println!("{} {} written to {}", kind.title(), doc.number, printable(&doc.file));
            Ok(())
        }
        DocAction::Sent {
            number,
            date,
            channel,
            format,
        } => {
            let cmd = Command::MarkDocumentSent {
                number: number_arg(&number)?,
                date: date.unwrap_or_else(today),
                channel,
            };
            apply(&mut store, cmd, format)
        }
        DocAction::Open { number } => {
            let doc = document(store.model(), &number)?;
            let path = rapport::documents::file_to_open(doc, &documents).map_err(Failure::system)?;
            open(&path)
        }
        DocAction::Show { number } => {
            let doc = document(store.model(), &number)?;
            let mut out = std::io::stdout().lock();
            // Line by line: line breaks kept, any other control character
            // made harmless.
            for line in doc.text.split_inclusive('\n') {
                let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
                write!(out, "{}{end}", printable(body)).map_err(io_err)?;
            }
            out.flush().map_err(io_err)?;
            finish_read(store)
        }
    }
}

/// Runs the opener on `path` and waits for it (a pager takes the terminal).
fn open(path: &Path) -> CliResult {
    let Some(mut words) = rapport::documents::opener() else {
        println!("{}", path.display());
        return Ok(());
    };
    let program = words.remove(0);
    let status = std::process::Command::new(&program)
        .args(&words)
        .arg(path)
        .status()
        .map_err(|e| Failure::system(format!("cannot run {program}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::system(format!("{program} ended with {status}")))
    }
}

/// Through a server the server lists them (`Backend::query`).
pub fn docs_cmd(args: DocsArgs, db: Target) -> CliResult {
    super::read_here_or_there(db, |model, out| write_docs(model, &args, out))
}

/// What `rapport docs` prints, from `model`.
pub fn write_docs(model: &Model, args: &DocsArgs, out: &mut dyn Write) -> CliResult {
    let client = match &args.client {
        Some(r) => Some(client_by_ref(model, r)?.id),
        None => None,
    };
    let mut docs: Vec<&Document> = model
        .sales
        .documents
        .values()
        .filter(|d| model.clients.contains_key(&d.client) && client.is_none_or(|c| c == d.client))
        .collect();
    docs.sort_by(|a, b| a.date.cmp(&b.date).then(a.number.cmp(&b.number)));
    let sheet = || {
        let columns = vec![
            col("Number", &["number"]),
            col("Date", &["date"]),
            col("Client", &["client"]),
            col("Product", &["product"]),
            col("Stage", &["stage"]),
            col("Sent", &["sent"]),
            col("By", &["channel"]),
            col("File", &["file"]),
        ];
        Sheet::listing(
            columns,
            docs.iter().map(|d| {
                vec![
                    d.number.to_string(),
                    d.date.to_string(),
                    model.client_label(d.client),
                    model.product_label(d.product),
                    d.stage.to_string(),
                    d.sent.map_or_else(String::new, |s| s.date.to_string()),
                    d.sent.map_or_else(String::new, |s| s.channel.as_str().to_string()),
                    d.file.clone(),
                ]
            }),
        )
    };
    listing(args.format, &mut *out, || &docs, sheet)?;
    Ok(())
}

pub fn terms_cmd(args: TermsArgs, db: Target) -> CliResult {
    let mut store = open_holding(db, Wanted::refs([args.client.clone()]))?;
    let model = store.model();
    let c = client_by_ref(model, &args.client)?.id;
    let p = product_id(model, &args.product)?;
    let old = model.sales.terms.get(&(c, p));
    let changing = args.amend_by.is_some()
        || args.no_amend_by
        || args.invoice.is_some()
        || !args.instalments.is_empty()
        || args.no_instalments;
    if !changing {
        print_terms(model, c, p);
        return finish_read(store);
    }
    let invoice = match &args.invoice {
        Some(a) => Some(Money::parse(a).map_err(|e| Failure::input(format!("--invoice: {e}")))?),
        None => old.and_then(|t| t.invoice),
    };
    let cmd = Command::SetTerms {
        client: c,
        product: p,
        expected_seq: Some(old.map_or(0, |t| t.seq)),
        amend_by: if args.no_amend_by {
            None
        } else {
            args.amend_by.or(old.and_then(|t| t.amend_by))
        },
        invoice,
        schedule: if args.no_instalments {
            Vec::new()
        } else if args.instalments.is_empty() {
            old.map(|t| t.schedule.clone()).unwrap_or_default()
        } else {
            args.instalments
        },
    };
    apply(&mut store, cmd, args.format)?;
    if matches!(args.format, Said::Text) {
        print_terms(store.model(), c, p);
    }
    Ok(())
}

fn print_terms(model: &Model, c: rapport::domain::ClientId, p: rapport::domain::ProductId) {
    let label = format!("{} of {}", model.product_label(p), model.client_label(c));
    let Some(t) = model.sales.terms.get(&(c, p)) else {
        println!("{label}: no terms");
        return;
    };
    println!("{label}:");
    if let Some(d) = t.amend_by {
        println!("  amendment by {d}");
    }
    if let Some(a) = t.invoice {
        println!("  invoice {a}");
    }
    if let Some(o) = model.offers.get(&(c, p)) {
        for s in rapport::model::sales::instalments(o, t) {
            let state = if s.is_paid() {
                "paid".to_string()
            } else if s.paid.0 > 0 {
                format!("{} paid", s.paid)
            } else {
                "unpaid".to_string()
            };
            println!("  instalment {}: {} due {} — {state}", s.index, s.amount, s.due);
        }
    }
    if !t.competitor.is_empty() {
        println!("  lost to {}", printable(&t.competitor));
    }
}

pub fn setup_cmd(args: SetupArgs, db: Target) -> CliResult {
    let mut store = open_holding(db, Wanted::none())?;
    let setup = store.model().sales.setup.clone();
    if args.sources.is_empty() && args.competitors.is_empty() && args.minutes_days.is_none() {
        println!("sources: {}", printable(&setup.sources.join(", ")));
        println!("competitors: {}", printable(&setup.competitors.join(", ")));
        println!("minutes due {} days after a presentation", setup.minutes_days);
        return finish_read(store);
    }
    let cmd = Command::SetSalesSetup {
        sources: if args.sources.is_empty() {
            setup.sources
        } else {
            args.sources
        },
        competitors: if args.competitors.is_empty() {
            setup.competitors
        } else {
            args.competitors
        },
        minutes_days: args.minutes_days.unwrap_or(setup.minutes_days),
    };
    apply(&mut store, cmd, args.format)
}

impl Target {
    /// The documents directory: `--documents`, `RAPPORT_DOCUMENTS`, or
    /// `$XDG_DATA_HOME/rapport/documents`.
    pub fn documents_dir(&self) -> Result<PathBuf, Failure> {
        rapport::documents::dir(self.documents.clone()).map_err(Failure::system)
    }
}
