//! The one write path: a `Command` is validated against the current model
//! and turned into the `Change`s it makes. Commands name records by internal
//! id and carry the version they edit, so they travel unchanged over a
//! socket and a stale edit is refused instead of overwriting.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::domain::offer::{TransitionError, check_transition};
use crate::domain::*;
use crate::model::{Change, Model};
use crate::queue::{ItemKey, Kind};

/// Largest settlement amount in cents (10 billion in currency units): keeps
/// every sum over millions of settlements far from i64 overflow.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    UpdateSettings(Settings),
    AddManager {
        login: String,
        name: String,
        role: Role,
    },
    AddSegment {
        code: String,
        name: String,
        description: String,
    },
    AddProduct {
        code: String,
        name: String,
        line: String,
    },
    SetPortrait {
        segment: SegmentId,
        product: ProductId,
        target: bool,
    },
    AddClient {
        reference: String,
        name: String,
        segment: Option<SegmentId>,
        manager: Option<ManagerId>,
        created: NaiveDate,
        notes: String,
        tags: Vec<String>,
    },
    EditClient {
        client: ClientId,
        expected_version: Option<u64>,
        name: String,
        segment: Option<SegmentId>,
        manager: Option<ManagerId>,
        notes: String,
        tags: Vec<String>,
    },
    AddPerson {
        client: ClientId,
        name: String,
        role: String,
        phone: String,
        email: String,
        birthday: Option<NaiveDate>,
    },
    RecordSettlement {
        client: ClientId,
        date: NaiveDate,
        amount: Money,
        product: Option<ProductId>,
        doc: String,
    },
    EditSettlement {
        client: ClientId,
        id: SettlementId,
        date: NaiveDate,
        amount: Money,
        product: Option<ProductId>,
        doc: String,
    },
    DeleteSettlement {
        client: ClientId,
        id: SettlementId,
    },
    MoveOffer(OfferMove),
    LogContact {
        client: ClientId,
        person: Option<PersonId>,
        at: NaiveDateTime,
        channel: Channel,
        summary: String,
        outcome: String,
        next_contact: Option<NaiveDate>,
    },
    AddTask {
        client: ClientId,
        due: NaiveDate,
        text: String,
    },
    CompleteTask {
        task: TaskId,
        date: NaiveDate,
    },
    RecordSurvey {
        client: ClientId,
        product: ProductId,
        date: NaiveDate,
        scores: Vec<u8>,
    },
    OpenTicket {
        client: ClientId,
        product: Option<ProductId>,
        date: NaiveDate,
        text: String,
    },
    AdvanceTicket(TicketAdvance),
    /// Sets who owns a ticket (before or after `investigating`).
    SetTicketOwner {
        ticket: TicketId,
        expected_version: Option<u64>,
        owner: ManagerId,
    },
    /// Edits a ticket's text fields; a stage's field cannot be emptied once
    /// the ticket has passed it.
    EditTicket {
        ticket: TicketId,
        expected_version: Option<u64>,
        description: String,
        cause: String,
        action: String,
        fix: String,
    },
    /// Sets a product's own survey questions.
    SetQuestionnaire {
        product: ProductId,
        questions: Vec<String>,
    },
    /// Marks a queue item done or snoozed for the date it is due
    /// (`MarkState::NextContact` is set by logging a contact only).
    MarkItem {
        key: String,
        due: NaiveDate,
        state: MarkState,
    },
    /// Several commands applied all or nothing, as one audit entry (imports).
    Batch {
        label: String,
        commands: Vec<Command>,
    },
}

/// Moves the offer of one product at one client (SPEC §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferMove {
    pub client: ClientId,
    pub product: ProductId,
    /// The offer version the edit was made against (0: no offer yet).
    pub expected_version: Option<u64>,
    pub to: OfferStage,
    pub date: NaiveDate,
    pub next_step: Option<NaiveDate>,
    pub next_note: String,
    pub expiry: Option<NaiveDate>,
    pub invoice_due: Option<NaiveDate>,
    pub delivery: Option<NaiveDate>,
    pub note: String,
    pub reason: Option<RefusalReason>,
    pub retry: Option<NaiveDate>,
}

impl OfferMove {
    pub fn new(client: ClientId, product: ProductId, to: OfferStage, date: NaiveDate) -> Self {
        OfferMove {
            client,
            product,
            expected_version: None,
            to,
            date,
            next_step: None,
            next_note: String::new(),
            expiry: None,
            invoice_due: None,
            delivery: None,
            note: String::new(),
            reason: None,
            retry: None,
        }
    }
}

/// Moves a complaint ticket to its next stage (SPEC §6), with the fields
/// that stage requires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketAdvance {
    pub ticket: TicketId,
    pub expected_version: Option<u64>,
    pub date: NaiveDate,
    pub owner: Option<ManagerId>,
    pub cause: Option<String>,
    pub action: Option<String>,
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum CommandError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "{what} was changed by someone else (you edited version {expected}, it is now at {current}); reload and try again"
    )]
    Stale { what: String, expected: u64, current: u64 },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("command {index} of the batch: {source}")]
    InBatch { index: usize, source: Box<CommandError> },
}

type Result<T> = std::result::Result<T, CommandError>;

/// The record `id` of `map`, or "`what` #id not found".
fn found<'a, K: Ord + std::fmt::Display, V>(
    map: &'a std::collections::BTreeMap<K, V>,
    id: K,
    what: &str,
) -> Result<&'a V> {
    map.get(&id)
        .ok_or_else(|| CommandError::NotFound(format!("{what} #{id}")))
}

fn invalid(msg: impl Into<String>) -> CommandError {
    CommandError::Invalid(msg.into())
}

/// A name-like key users type: not empty, no spaces or control characters.
fn check_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if key.chars().count() > 64 {
        return Err(invalid(format!("{what} '{key}' is longer than 64 characters")));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!("{what} '{key}' contains spaces or control characters")));
    }
    Ok(())
}

fn check_text(what: &str, text: &str, required: bool) -> Result<()> {
    if required && text.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(invalid(format!("{what} contains control characters")));
    }
    if text.len() > 16 * 1024 {
        return Err(invalid(format!("{what} is longer than 16 KiB")));
    }
    Ok(())
}

/// A one-line field (a name, a phone, a reference): no control character
/// at all, not even a line break or tab, so that no list, export or
/// calendar line can be split or forged by what was typed or imported.
fn check_line(what: &str, text: &str, required: bool) -> Result<()> {
    check_text(what, text, required)?;
    if text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must be one line, without tabs or control characters"
        )));
    }
    Ok(())
}

/// Dates outside this range are typing mistakes, not business dates.
fn check_date(what: &str, date: NaiveDate) -> Result<()> {
    if !(1900..=2200).contains(&date.year()) {
        return Err(invalid(format!("{what} {date} is outside the years 1900–2200")));
    }
    Ok(())
}

fn check_version(what: impl Fn() -> String, expected: Option<u64>, current: u64) -> Result<()> {
    match expected {
        Some(expected) if expected != current => Err(CommandError::Stale {
            what: what(),
            expected,
            current,
        }),
        _ => Ok(()),
    }
}

/// Everything a command needs besides the model: who, the audit sequence
/// number it will get, and how to read a stored settlement (they are not
/// kept in memory).
pub struct Context<'a> {
    pub who: &'a str,
    pub seq: u64,
    pub settlement: &'a dyn Fn(ClientId, SettlementId) -> std::result::Result<Option<Settlement>, String>,
}

impl Command {
    /// Validates a (non-batch) command against `model` and returns the
    /// changes it makes. Nothing is changed here.
    pub fn plan(&self, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
        let seq = ctx.seq;
        let client = |id: ClientId| found(&model.clients, id, "client");
        let product = |id: ProductId| found(&model.products, id, "product");
        let segment = |id: SegmentId| found(&model.segments, id, "segment");
        let manager = |id: ManagerId| found(&model.managers, id, "manager");
        let c = &model.counters;
        Ok(match self {
            Command::UpdateSettings(s) => {
                s.validate().map_err(invalid)?;
                vec![Change::Settings(s.clone())]
            }
            Command::AddManager { login, name, role } => {
                check_key("login", login)?;
                check_line("name", name, true)?;
                if model.manager_by_login(login).is_some() {
                    return Err(CommandError::AlreadyExists(format!("manager '{login}'")));
                }
                vec![Change::Manager(Manager {
                    id: ManagerId(c.manager + 1),
                    login: login.clone(),
                    name: name.trim().to_string(),
                    role: *role,
                    seq,
                })]
            }
            Command::AddSegment {
                code,
                name,
                description,
            } => {
                check_key("segment id", code)?;
                check_line("name", name, true)?;
                check_text("description", description, false)?;
                if model.segment_by_code(code).is_some() {
                    return Err(CommandError::AlreadyExists(format!("segment '{code}'")));
                }
                vec![Change::Segment(Segment {
                    id: SegmentId(c.segment + 1),
                    code: code.clone(),
                    name: name.trim().to_string(),
                    description: description.clone(),
                    seq,
                })]
            }
            Command::AddProduct { code, name, line } => {
                check_key("product id", code)?;
                check_line("name", name, true)?;
                check_line("line", line, true)?;
                if model.product_by_code(code).is_some() {
                    return Err(CommandError::AlreadyExists(format!("product '{code}'")));
                }
                vec![Change::Product(Product {
                    id: ProductId(c.product + 1),
                    code: code.clone(),
                    name: name.trim().to_string(),
                    line: line.trim().to_string(),
                    seq,
                })]
            }
            Command::SetPortrait {
                segment: s,
                product: p,
                target,
            } => {
                let seg = segment(*s)?;
                let prod = product(*p)?;
                let present = model.portrait.contains(&(*s, *p));
                if present == *target {
                    let state = if *target { "already" } else { "not" };
                    return Err(invalid(format!(
                        "product '{}' is {state} a target of segment '{}'",
                        prod.code, seg.code
                    )));
                }
                vec![Change::Portrait {
                    segment: *s,
                    product: *p,
                    target: *target,
                }]
            }
            Command::AddClient {
                reference,
                name,
                segment: seg,
                manager: mgr,
                created,
                notes,
                tags,
            } => {
                check_key("client ref", reference)?;
                check_line("name", name, true)?;
                check_text("notes", notes, false)?;
                check_date("created date", *created)?;
                if model.client_by_ref(reference).is_some() {
                    return Err(CommandError::AlreadyExists(format!("client '{reference}'")));
                }
                if let Some(s) = seg {
                    segment(*s)?;
                }
                if let Some(m) = mgr {
                    manager(*m)?;
                }
                for t in tags {
                    check_key("tag", t)?;
                }
                vec![Change::Client(Client {
                    id: ClientId(c.client + 1),
                    reference: reference.clone(),
                    name: name.trim().to_string(),
                    segment: *seg,
                    manager: *mgr,
                    created: *created,
                    notes: notes.clone(),
                    tags: tags.clone(),
                    version: 1,
                    seq,
                })]
            }
            Command::EditClient {
                client: id,
                expected_version,
                name,
                segment: seg,
                manager: mgr,
                notes,
                tags,
            } => {
                let old = client(*id)?;
                check_version(|| format!("client '{}'", old.reference), *expected_version, old.version)?;
                check_line("name", name, true)?;
                check_text("notes", notes, false)?;
                if let Some(s) = seg {
                    segment(*s)?;
                }
                if let Some(m) = mgr {
                    manager(*m)?;
                }
                for t in tags {
                    check_key("tag", t)?;
                }
                vec![Change::Client(Client {
                    name: name.trim().to_string(),
                    segment: *seg,
                    manager: *mgr,
                    notes: notes.clone(),
                    tags: tags.clone(),
                    version: old.version + 1,
                    seq,
                    ..old.clone()
                })]
            }
            Command::AddPerson {
                client: id,
                name,
                role,
                phone,
                email,
                birthday,
            } => {
                client(*id)?;
                check_line("name", name, true)?;
                check_line("role", role, false)?;
                check_line("phone", phone, false)?;
                check_line("email", email, false)?;
                if !email.is_empty() && !email.contains('@') {
                    return Err(invalid(format!("'{email}' is not an email address")));
                }
                if let Some(b) = birthday {
                    check_date("birthday", *b)?;
                }
                vec![Change::Person(ContactPerson {
                    id: PersonId(c.person + 1),
                    client: *id,
                    name: name.trim().to_string(),
                    role: role.clone(),
                    phone: phone.clone(),
                    email: email.clone(),
                    birthday: *birthday,
                    seq,
                })]
            }
            Command::RecordSettlement {
                client: id,
                date,
                amount,
                product: prod,
                doc,
            } => {
                let new = settlement_fields(*id, SettlementId(c.settlement + 1), *date, *amount, *prod, doc, seq)?;
                client(*id)?;
                if let Some(p) = prod {
                    product(*p)?;
                }
                vec![Change::Settlement {
                    old: None,
                    new: Some(new),
                }]
            }
            Command::EditSettlement {
                client: cid,
                id,
                date,
                amount,
                product: prod,
                doc,
            } => {
                let old = stored_settlement(ctx, *cid, *id)?;
                let new = settlement_fields(*cid, *id, *date, *amount, *prod, doc, seq)?;
                if let Some(p) = prod {
                    product(*p)?;
                }
                vec![Change::Settlement {
                    old: Some(old),
                    new: Some(new),
                }]
            }
            Command::DeleteSettlement { client: cid, id } => {
                let old = stored_settlement(ctx, *cid, *id)?;
                vec![Change::Settlement {
                    old: Some(old),
                    new: None,
                }]
            }
            Command::MoveOffer(m) => vec![Change::Offer(move_offer(model, ctx, m)?)],
            Command::LogContact {
                client: id,
                person,
                at,
                channel,
                summary,
                outcome,
                next_contact,
            } => {
                client(*id)?;
                if let Some(p) = person
                    && !model.persons.contains_key(&(*id, *p))
                {
                    return Err(CommandError::NotFound(format!("contact person #{p} of this client")));
                }
                check_text("summary", summary, true)?;
                check_text("outcome", outcome, false)?;
                check_date("contact date", at.date())?;
                if let Some(n) = next_contact {
                    check_date("next contact date", *n)?;
                    if *n < at.date() {
                        return Err(invalid(format!(
                            "the next contact date {n} is before the contact ({})",
                            at.date()
                        )));
                    }
                }
                let mut changes = Vec::with_capacity(2);
                // SPEC §5.4: the latest contact decides the next cadence
                // date; a back-dated entry only adds to the log.
                let latest = model
                    .aggregate(*id)
                    .and_then(|a| a.last_contact)
                    .is_none_or(|last| *at >= last);
                if latest {
                    let key = ItemKey::NextContact(*id).to_string();
                    match next_contact {
                        Some(next) => changes.push(Change::Mark {
                            key: key.clone(),
                            mark: Some(QueueMark {
                                key,
                                due: at.date(),
                                state: MarkState::NextContact(*next),
                                who: ctx.who.to_string(),
                                seq,
                            }),
                        }),
                        None if model.marks.contains_key(&key) => changes.push(Change::Mark { key, mark: None }),
                        None => {}
                    }
                }
                changes.insert(
                    0,
                    Change::Contact(ContactEntry {
                        id: ContactId(c.contact + 1),
                        client: *id,
                        person: *person,
                        at: *at,
                        channel: *channel,
                        summary: summary.trim().to_string(),
                        outcome: outcome.trim().to_string(),
                        next_contact: *next_contact,
                        who: ctx.who.to_string(),
                        seq,
                    }),
                );
                changes
            }
            Command::AddTask { client: id, due, text } => {
                client(*id)?;
                check_text("task text", text, true)?;
                check_date("due date", *due)?;
                vec![Change::Task(Task {
                    id: TaskId(c.task + 1),
                    client: *id,
                    due: *due,
                    text: text.trim().to_string(),
                    done: None,
                    who: ctx.who.to_string(),
                    seq,
                })]
            }
            Command::CompleteTask { task, date } => {
                let t = found(&model.tasks, *task, "task")?;
                if let Some(done) = t.done {
                    return Err(invalid(format!("task #{task} was already done on {done}")));
                }
                vec![Change::Task(Task {
                    done: Some(*date),
                    seq,
                    ..t.clone()
                })]
            }
            Command::RecordSurvey {
                client: id,
                product: p,
                date,
                scores,
            } => {
                client(*id)?;
                let prod = product(*p)?;
                check_date("survey date", *date)?;
                let questions = model.questions(*p);
                if scores.len() != questions.len() {
                    return Err(invalid(format!(
                        "the survey has {} questions ({}), got {} scores",
                        questions.len(),
                        questions.join(", "),
                        scores.len()
                    )));
                }
                if let Some(bad) = scores.iter().find(|s| !(1..=5).contains(*s)) {
                    return Err(invalid(format!("score {bad} is outside 1–5")));
                }
                let survey_id = SurveyId(c.survey + 1);
                let mut survey = Survey {
                    id: survey_id,
                    client: *id,
                    product: *p,
                    date: *date,
                    scores: scores.clone(),
                    ticket: None,
                    who: ctx.who.to_string(),
                    seq,
                };
                let low: Vec<String> = questions
                    .iter()
                    .zip(scores)
                    .filter(|(_, s)| **s <= 3)
                    .map(|(q, s)| format!("{q} {s}/5"))
                    .collect();
                let mut changes = Vec::new();
                if !low.is_empty() {
                    // SPEC §6: a score of 3 or less opens a ticket by itself.
                    let ticket = new_ticket(
                        model,
                        ctx,
                        *id,
                        Some(*p),
                        *date,
                        format!("Survey on {}: {}", prod.name, low.join(", ")),
                        TicketSource::Survey(survey_id),
                    );
                    survey.ticket = Some(ticket.id);
                    changes.push(Change::Survey(survey));
                    changes.push(Change::Ticket(ticket));
                } else {
                    changes.push(Change::Survey(survey));
                }
                changes
            }
            Command::OpenTicket {
                client: id,
                product: p,
                date,
                text,
            } => {
                client(*id)?;
                if let Some(p) = p {
                    product(*p)?;
                }
                check_text("description", text, true)?;
                check_date("date", *date)?;
                vec![Change::Ticket(new_ticket(
                    model,
                    ctx,
                    *id,
                    *p,
                    *date,
                    text.trim().to_string(),
                    TicketSource::Complaint,
                ))]
            }
            Command::AdvanceTicket(a) => vec![Change::Ticket(advance_ticket(model, ctx, a)?)],
            Command::MarkItem { key, due, state } => vec![mark_item(model, ctx, key, *due, *state)?],
            Command::SetTicketOwner {
                ticket,
                expected_version,
                owner,
            } => {
                let old = found(&model.tickets, *ticket, "ticket")?;
                check_version(|| format!("ticket #{ticket}"), *expected_version, old.version)?;
                manager(*owner)?;
                if old.stage == TicketStage::Closed {
                    return Err(invalid(format!("ticket #{ticket} is closed")));
                }
                vec![Change::Ticket(Ticket {
                    owner: Some(*owner),
                    version: old.version + 1,
                    seq,
                    ..old.clone()
                })]
            }
            Command::EditTicket {
                ticket,
                expected_version,
                description,
                cause,
                action,
                fix,
            } => {
                let old = found(&model.tickets, *ticket, "ticket")?;
                check_version(|| format!("ticket #{ticket}"), *expected_version, old.version)?;
                check_text("description", description, true)?;
                let past = |s: TicketStage| old.stage >= s;
                check_text("cause", cause, past(TicketStage::Resolved))?;
                check_text("action", action, past(TicketStage::Resolved))?;
                check_text("process fix", fix, past(TicketStage::Prevented))?;
                vec![Change::Ticket(Ticket {
                    description: description.trim().to_string(),
                    cause: cause.trim().to_string(),
                    action: action.trim().to_string(),
                    fix: fix.trim().to_string(),
                    version: old.version + 1,
                    seq,
                    ..old.clone()
                })]
            }
            Command::SetQuestionnaire { product: p, questions } => {
                product(*p)?;
                if questions.is_empty() || questions.len() > 20 {
                    return Err(invalid("a survey has 1 to 20 questions"));
                }
                for q in questions {
                    check_line("question", q, true)?;
                    if q.contains('\n') {
                        return Err(invalid("a question is one line"));
                    }
                }
                vec![Change::Questionnaire(Questionnaire {
                    product: *p,
                    questions: questions.iter().map(|q| q.trim().to_string()).collect(),
                    seq,
                })]
            }
            Command::Batch { .. } => {
                return Err(invalid("a batch is applied by the store, not planned as one command"));
            }
        })
    }

    /// One line for the audit trail.
    pub fn describe(&self, model: &Model) -> String {
        let client = |id: &ClientId| {
            model
                .clients
                .get(id)
                .map_or_else(|| format!("#{id}"), |c| c.reference.clone())
        };
        let product = |id: &ProductId| {
            model
                .products
                .get(id)
                .map_or_else(|| format!("#{id}"), |p| p.code.clone())
        };
        match self {
            Command::UpdateSettings(_) => "update settings".into(),
            Command::AddManager { login, .. } => format!("add manager {login}"),
            Command::AddSegment { code, .. } => format!("add segment {code}"),
            Command::AddProduct { code, .. } => format!("add product {code}"),
            Command::SetPortrait {
                segment,
                product: p,
                target,
            } => {
                let seg = model
                    .segments
                    .get(segment)
                    .map_or_else(|| format!("#{segment}"), |s| s.code.clone());
                let verb = if *target { "add" } else { "remove" };
                format!("{verb} target {} for segment {seg}", product(p))
            }
            Command::AddClient { reference, .. } => format!("add client {reference}"),
            Command::EditClient { client: c, .. } => format!("edit client {}", client(c)),
            Command::AddPerson { client: c, name, .. } => format!("add contact person {name} to {}", client(c)),
            Command::RecordSettlement {
                client: c,
                date,
                amount,
                ..
            } => format!("record settlement {amount} on {date} for {}", client(c)),
            Command::EditSettlement { client: c, id, .. } => format!("edit settlement #{id} of {}", client(c)),
            Command::DeleteSettlement { client: c, id } => format!("delete settlement #{id} of {}", client(c)),
            Command::MoveOffer(m) => format!(
                "move offer {} of {} to {}",
                product(&m.product),
                client(&m.client),
                m.to
            ),
            Command::LogContact { client: c, channel, .. } => format!("log {} with {}", channel.as_str(), client(c)),
            Command::AddTask { client: c, due, .. } => format!("add task for {} due {due}", client(c)),
            Command::CompleteTask { task, .. } => format!("complete task #{task}"),
            Command::RecordSurvey {
                client: c, product: p, ..
            } => {
                format!("record survey of {} for {}", product(p), client(c))
            }
            Command::OpenTicket { client: c, .. } => format!("open ticket for {}", client(c)),
            Command::AdvanceTicket(a) => format!("advance ticket #{}", a.ticket),
            Command::SetTicketOwner { ticket, .. } => format!("set the owner of ticket #{ticket}"),
            Command::EditTicket { ticket, .. } => format!("edit ticket #{ticket}"),
            Command::SetQuestionnaire { product: p, .. } => format!("set the survey questions of {}", product(p)),
            Command::MarkItem { key, state, .. } => match state {
                MarkState::Done => format!("mark {key} done"),
                MarkState::Snoozed(until) => format!("snooze {key} to {until}"),
                MarkState::NextContact(next) => format!("set the next contact of {key} to {next}"),
            },
            Command::Batch { label, commands } => format!("{label} ({} commands)", commands.len()),
        }
    }
}

fn settlement_fields(
    client: ClientId,
    id: SettlementId,
    date: NaiveDate,
    amount: Money,
    product: Option<ProductId>,
    doc: &str,
    seq: u64,
) -> Result<Settlement> {
    check_date("settlement date", date)?;
    check_line("document ref", doc, false)?;
    if amount.0.unsigned_abs() > MAX_AMOUNT_CENTS as u64 {
        return Err(invalid(format!(
            "amount {amount} is beyond ±{}",
            Money(MAX_AMOUNT_CENTS)
        )));
    }
    Ok(Settlement {
        id,
        client,
        date,
        amount,
        product,
        doc: doc.trim().to_string(),
        seq,
    })
}

fn stored_settlement(ctx: &Context, client: ClientId, id: SettlementId) -> Result<Settlement> {
    (ctx.settlement)(client, id)
        .map_err(CommandError::Invalid)?
        .ok_or_else(|| CommandError::NotFound(format!("settlement #{id} of client #{client}")))
}

fn move_offer(model: &Model, ctx: &Context, m: &OfferMove) -> Result<Offer> {
    let client = found(&model.clients, m.client, "client")?;
    let product = found(&model.products, m.product, "product")?;
    check_date("stage date", m.date)?;
    for (what, d) in [
        ("next step date", m.next_step),
        ("expiry date", m.expiry),
        ("invoice due date", m.invoice_due),
        ("delivery date", m.delivery),
        ("retry date", m.retry),
    ] {
        if let Some(d) = d {
            check_date(what, d)?;
        }
    }
    check_text("note", &m.note, false)?;
    check_text("next step note", &m.next_note, false)?;
    if m.retry.is_some() && m.to != OfferStage::Refused {
        return Err(invalid("a retry date only goes with a refusal"));
    }
    let old = model.offers.get(&(m.client, m.product));
    let current_version = old.map_or(0, |o| o.version);
    check_version(
        || format!("the offer of {} to {}", product.code, client.reference),
        m.expected_version,
        current_version,
    )?;
    let from = old.map_or(OfferStage::NotOffered, |o| o.stage);
    let refused_at = old.and_then(|o| o.refusal.as_ref()).map(|r| r.at_stage);
    check_transition(from, refused_at, m.to, &m.note, m.reason)?;
    let mut history = old.map(|o| o.history.clone()).unwrap_or_default();
    history.push(Transition {
        from,
        to: m.to,
        date: m.date,
        who: ctx.who.to_string(),
        note: m.note.trim().to_string(),
        seq: ctx.seq,
    });
    let keep = |given: Option<NaiveDate>, old_value: Option<NaiveDate>, stage: OfferStage| {
        given.or(if m.to == stage { old_value } else { None })
    };
    let refusal = match (m.to, m.reason) {
        (OfferStage::Refused, Some(reason)) => Some(Refusal {
            reason,
            at_stage: from,
            retry: m.retry,
        }),
        _ => None,
    };
    Ok(Offer {
        client: m.client,
        product: m.product,
        stage: m.to,
        stage_date: m.date,
        next_step: m.next_step,
        next_note: m.next_note.trim().to_string(),
        expiry: keep(m.expiry, old.and_then(|o| o.expiry), OfferStage::Proposal),
        invoice_due: keep(m.invoice_due, old.and_then(|o| o.invoice_due), OfferStage::Invoiced),
        delivery: keep(m.delivery, old.and_then(|o| o.delivery), OfferStage::Delivery),
        refusal,
        history,
        version: current_version + 1,
        seq: ctx.seq,
    })
}

/// The due date of a ticket's current stage: settings count days from opening.
pub fn ticket_stage_due(settings: &Settings, opened: NaiveDate, stage: TicketStage) -> Option<NaiveDate> {
    let days = settings.ticket_due_days.get(stage.index())?;
    opened.checked_add_days(chrono::Days::new(u64::from(*days)))
}

fn new_ticket(
    model: &Model,
    ctx: &Context,
    client: ClientId,
    product: Option<ProductId>,
    date: NaiveDate,
    description: String,
    source: TicketSource,
) -> Ticket {
    Ticket {
        id: TicketId(model.counters.ticket + 1),
        client,
        product,
        opened: date,
        source,
        description,
        stage: TicketStage::Registered,
        owner: None,
        cause: String::new(),
        action: String::new(),
        fix: String::new(),
        stage_due: ticket_stage_due(&model.settings, date, TicketStage::Registered),
        history: Vec::new(),
        version: 1,
        seq: ctx.seq,
    }
}

fn advance_ticket(model: &Model, ctx: &Context, a: &TicketAdvance) -> Result<Ticket> {
    let old = found(&model.tickets, a.ticket, "ticket")?;
    check_version(|| format!("ticket #{}", a.ticket), a.expected_version, old.version)?;
    let to = old
        .stage
        .next()
        .ok_or_else(|| invalid(format!("ticket #{} is closed", a.ticket)))?;
    check_date("date", a.date)?;
    let mut t = old.clone();
    if let Some(owner) = a.owner {
        if !model.managers.contains_key(&owner) {
            return Err(CommandError::NotFound(format!("manager #{owner}")));
        }
        t.owner = Some(owner);
    }
    let set = |field: &mut String, value: &Option<String>, what: &str| -> Result<()> {
        if let Some(v) = value {
            check_text(what, v, false)?;
            *field = v.trim().to_string();
        }
        Ok(())
    };
    set(&mut t.cause, &a.cause, "cause")?;
    set(&mut t.action, &a.action, "action")?;
    set(&mut t.fix, &a.fix, "process fix")?;
    let missing = match to {
        TicketStage::Investigating if t.owner.is_none() => Some("an owner"),
        TicketStage::Resolved if t.cause.is_empty() || t.action.is_empty() => Some("the cause and the action taken"),
        TicketStage::Prevented if t.fix.is_empty() => Some("the process fix"),
        _ => None,
    };
    if let Some(missing) = missing {
        return Err(invalid(format!("moving ticket #{} to {to} needs {missing}", a.ticket)));
    }
    t.history.push(TicketTransition {
        from: old.stage,
        to,
        date: a.date,
        who: ctx.who.to_string(),
        seq: ctx.seq,
    });
    t.stage = to;
    t.stage_due = ticket_stage_due(&model.settings, t.opened, to);
    t.version += 1;
    t.seq = ctx.seq;
    Ok(t)
}

/// Done or snoozed, for the date the item is due. Cadence items are done by
/// logging the contact, tasks by completing them and tickets by advancing
/// them: marking those done would hide work that is still there.
fn mark_item(model: &Model, ctx: &Context, key: &str, due: NaiveDate, state: MarkState) -> Result<Change> {
    let parsed: ItemKey = key.parse().map_err(|e: crate::queue::BadKey| invalid(e.to_string()))?;
    if !parsed.exists(model) {
        return Err(CommandError::NotFound(format!("queue item {parsed}")));
    }
    check_date("due date", due)?;
    match (parsed.kind(), state) {
        (None, _) | (_, MarkState::NextContact(_)) => {
            return Err(invalid(format!("{parsed} is set by logging a contact")));
        }
        (Some(Kind::Cadence), MarkState::Done) => {
            return Err(invalid(format!(
                "{parsed} is done by logging the contact (rapport log), which also sets the next date"
            )));
        }
        (Some(Kind::Task), MarkState::Done) => {
            return Err(invalid(format!("{parsed} is done by completing the task")));
        }
        (Some(Kind::Ticket), MarkState::Done) => {
            return Err(invalid(format!(
                "{parsed} is done by advancing the ticket to its next stage (rapport ticket advance)"
            )));
        }
        (_, MarkState::Snoozed(until)) => {
            check_date("snooze date", until)?;
            if until <= due {
                return Err(invalid(format!(
                    "a snooze moves an item later: {until} is not after its due date {due}"
                )));
            }
        }
        (_, MarkState::Done) => {}
    }
    let key = parsed.to_string();
    Ok(Change::Mark {
        key: key.clone(),
        mark: Some(QueueMark {
            key,
            due,
            state,
            who: ctx.who.to_string(),
            seq: ctx.seq,
        }),
    })
}
