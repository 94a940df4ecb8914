//! Complaints and surveys from the command line (SPEC §6): `rapport
//! tickets`, `rapport ticket new|advance`, `rapport survey`, `rapport
//! questionnaire`.

use rapport::backend::Backend;
use rapport::io::cell::neutralize;
use std::io::Write;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::sheet::{Output, Sheet, col, text_row};
use super::{CliResult, Failure, Target, client_by_ref, current_login, date_arg, io_err, open_holding, today};
use rapport::domain::*;
use rapport::find::named::Wanted;
use rapport::model::Model;
use rapport::queue::ItemKey;
use rapport::tickets::{self, Filter};
use rapport::write::{Command, TicketAdvance};

#[derive(Args, Debug)]
pub struct TicketsArgs {
    /// Only tickets at this stage (registered, investigating, resolved,
    /// prevented, closed).
    #[arg(long, value_parser = stage_arg)]
    stage: Option<TicketStage>,
    /// Only this client's tickets (its ref).
    #[arg(long, value_name = "REF")]
    client: Option<String>,
    /// Closed tickets too (default: open ones only, unless --stage closed).
    #[arg(long)]
    all: bool,
    /// Aligned text (the default, like every listing), CSV or JSON.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Args, Debug)]
pub struct TicketArgs {
    #[command(subcommand)]
    action: TicketAction,
}

#[derive(Subcommand, Debug)]
enum TicketAction {
    /// Register a complaint.
    New {
        /// The client's ref.
        client: String,
        /// The product it is about (its id).
        #[arg(long)]
        product: Option<String>,
        /// What the client complains about.
        #[arg(long)]
        text: String,
        #[arg(long, value_parser = date_arg)]
        date: Option<NaiveDate>,
    },
    /// Move a ticket to its next stage, with the field that stage needs:
    /// investigating an owner, resolved the cause and action, prevented the
    /// process fix.
    Advance {
        id: u64,
        #[arg(long, value_name = "LOGIN")]
        owner: Option<String>,
        #[arg(long)]
        cause: Option<String>,
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        fix: Option<String>,
        #[arg(long, value_parser = date_arg)]
        date: Option<NaiveDate>,
    },
}

#[derive(Args, Debug)]
pub struct SurveyArgs {
    /// The client's ref.
    client: String,
    /// The product surveyed (its id).
    product: String,
    /// One score from 1 to 5 per question of the product's questionnaire.
    #[arg(required = true, value_parser = clap::value_parser!(u8))]
    scores: Vec<u8>,
    #[arg(long, value_parser = date_arg)]
    date: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct QuestionnaireArgs {
    /// The product (its id).
    product: String,
    /// The new questions; none prints the current ones.
    questions: Vec<String>,
}

fn stage_arg(s: &str) -> Result<TicketStage, String> {
    TicketStage::parse(s).ok_or_else(|| {
        let names: Vec<&str> = TicketStage::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown stage '{s}' (one of {})", names.join(", "))
    })
}

fn product<'a>(model: &'a Model, code: &str) -> Result<&'a Product, Failure> {
    model
        .product_by_code(code)
        .ok_or_else(|| Failure::input(format!("unknown product '{code}'")))
}

/// One ticket as `rapport tickets` prints it.
#[derive(Serialize)]
struct Row {
    id: u64,
    client: String,
    client_name: String,
    product: String,
    stage: &'static str,
    opened: NaiveDate,
    age_days: i64,
    stage_due: Option<NaiveDate>,
    overdue: bool,
    owner: String,
    source: &'static str,
    description: String,
    cause: String,
    action: String,
    fix: String,
}

impl Row {
    /// The row with its typed text made safe for a spreadsheet.
    fn for_csv(&self) -> Row {
        let safe = |s: &String| neutralize(s).into_owned();
        Row {
            client: safe(&self.client),
            client_name: safe(&self.client_name),
            product: safe(&self.product),
            owner: safe(&self.owner),
            description: safe(&self.description),
            cause: safe(&self.cause),
            action: safe(&self.action),
            fix: safe(&self.fix),
            ..*self
        }
    }
}

/// Through a server the server lists them (`Backend::query`).
pub fn list(args: TicketsArgs, db: Target) -> CliResult {
    super::read_here_or_there(db, |model, out| write_list(model, &args, out))
}

/// What `rapport tickets` prints, from `model`.
pub fn write_list(model: &Model, args: &TicketsArgs, out: &mut dyn Write) -> CliResult {
    let as_of = today();
    let filter = Filter {
        open: !args.all && args.stage != Some(TicketStage::Closed),
        stage: args.stage,
        client: args
            .client
            .as_deref()
            .map(|r| client_by_ref(model, r).map(|c| c.id))
            .transpose()?,
        product: None,
        overdue_on: None,
    };
    let rows: Vec<Row> = tickets::list(model, &filter)
        .into_iter()
        .map(|t| {
            let c = model.clients.get(&t.client);
            Row {
                id: t.id.0,
                client: c.map_or(String::new(), |c| c.reference.clone()),
                client_name: c.map_or(String::new(), |c| c.name.clone()),
                product: t
                    .product
                    .and_then(|p| model.products.get(&p))
                    .map_or(String::new(), |p| p.code.clone()),
                stage: t.stage.as_str(),
                opened: t.opened,
                age_days: (as_of - t.opened).num_days(),
                stage_due: t.stage_due,
                overdue: tickets::is_overdue(t, as_of),
                owner: t
                    .owner
                    .and_then(|m| model.managers.get(&m))
                    .map_or(String::new(), |m| m.login.clone()),
                source: t.source.as_str(),
                description: t.description.clone(),
                cause: t.cause.clone(),
                action: t.action.clone(),
                fix: t.fix.clone(),
            }
        })
        .collect();
    match args.format {
        Output::Text => {
            let sheet = Sheet {
                title: String::new(),
                columns: vec![
                    col("#", &[]),
                    col("Client", &[]),
                    col("Name", &[]),
                    col("Stage", &[]),
                    col("Opened", &[]),
                    col("Due", &[]),
                    col("Owner", &[]),
                    col("Description", &[]),
                ],
                rows: rows
                    .iter()
                    .map(|r| {
                        let due = r.stage_due.map_or_else(String::new, |d| {
                            format!("{d}{}", if r.overdue { " overdue" } else { "" })
                        });
                        let values = [
                            r.id.to_string(),
                            r.client.clone(),
                            r.client_name.clone(),
                            r.stage.to_string(),
                            r.opened.to_string(),
                            due,
                            r.owner.clone(),
                            r.description.clone(),
                        ];
                        text_row(
                            &values,
                            &[(0, 6), (1, 12), (2, 24), (3, 14), (4, 10), (5, 18), (6, 12), (7, 40)],
                        )
                    })
                    .collect(),
                footer: Vec::new(),
            };
            sheet.write(Output::Text, false, &mut *out)?;
        }
        Output::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(io_err)?;
            writeln!(out).map_err(io_err)?;
        }
        Output::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            for r in &rows {
                w.serialize(r.for_csv()).map_err(io_err)?;
            }
            if rows.is_empty() {
                w.write_record([
                    "id",
                    "client",
                    "client_name",
                    "product",
                    "stage",
                    "opened",
                    "age_days",
                    "stage_due",
                    "overdue",
                    "owner",
                    "source",
                    "description",
                    "cause",
                    "action",
                    "fix",
                ])
                .map_err(io_err)?;
            }
            w.flush().map_err(io_err)?;
        }
    }
    Ok(())
}

pub fn ticket(args: TicketArgs, db: Target) -> CliResult {
    let wanted = match &args.action {
        TicketAction::New { client, .. } => Wanted::refs([client.clone()]),
        TicketAction::Advance { id, .. } => Wanted::items([ItemKey::Ticket(TicketId(*id)).to_string()]),
    };
    let mut store = open_holding(db, wanted)?;
    let model = store.model();
    match args.action {
        TicketAction::New {
            client: reference,
            product: code,
            text,
            date,
        } => {
            let c = client_by_ref(model, &reference)?.id;
            let p = code.as_deref().map(|p| product(model, p).map(|p| p.id)).transpose()?;
            store.execute(
                &current_login(),
                Command::OpenTicket {
                    client: c,
                    product: p,
                    date: date.unwrap_or_else(today),
                    text,
                },
            )?;
            let id = store.model().counters.ticket;
            let due = match store.model().tickets.get(&TicketId(id)).and_then(|t| t.stage_due) {
                Some(d) => format!(", investigating due {d}"),
                None => String::new(),
            };
            println!("ticket #{id} registered for {reference}{due}");
        }
        TicketAction::Advance {
            id,
            owner,
            cause,
            action,
            fix,
            date,
        } => {
            let owner = owner
                .as_deref()
                .map(|login| {
                    model
                        .manager_by_login(login)
                        .map(|m| m.id)
                        .ok_or_else(|| Failure::input(format!("unknown manager '{login}'")))
                })
                .transpose()?;
            store.execute(
                &current_login(),
                Command::AdvanceTicket(TicketAdvance {
                    ticket: TicketId(id),
                    expected_version: None,
                    date: date.unwrap_or_else(today),
                    owner,
                    cause,
                    action,
                    fix,
                }),
            )?;
            match store.model().tickets.get(&TicketId(id)) {
                Some(t) => {
                    let due = t.stage_due.map_or(String::new(), |d| format!(" (next stage due {d})"));
                    println!("ticket #{id} is now {}{due}", t.stage);
                }
                None => println!("ticket #{id} advanced"),
            }
        }
    }
    Ok(())
}

pub fn survey(args: SurveyArgs, db: Target) -> CliResult {
    let mut store = open_holding(db, Wanted::refs([args.client.clone()]))?;
    let model = store.model();
    let c = client_by_ref(model, &args.client)?.id;
    let p = product(model, &args.product)?.id;
    store.execute(
        &current_login(),
        Command::RecordSurvey {
            client: c,
            product: p,
            date: args.date.unwrap_or_else(today),
            scores: args.scores,
        },
    )?;
    let id = SurveyId(store.model().counters.survey);
    match store.model().surveys.get(&id).and_then(|s| s.ticket) {
        Some(t) => println!("survey #{id} recorded; a score of 3 or less opened ticket #{t}"),
        None => println!("survey #{id} recorded"),
    }
    Ok(())
}

pub fn questionnaire(args: QuestionnaireArgs, db: Target) -> CliResult {
    let mut store = open_holding(db, Wanted::none())?;
    let p = product(store.model(), &args.product)?.id;
    if !args.questions.is_empty() {
        store.execute(
            &current_login(),
            Command::SetQuestionnaire {
                product: p,
                questions: args.questions,
            },
        )?;
    }
    for (i, q) in store.model().questions(p).iter().enumerate() {
        println!("{}. {q}", i + 1);
    }
    Ok(())
}
