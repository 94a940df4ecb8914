//! What can be asked of the data: the `Command`s. They name records by
//! internal id and carry the version they edit, so they travel unchanged
//! over a socket and a stale edit is refused instead of overwriting.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::model::Model;

/// Largest settlement amount in cents (10 billion in currency units): keeps
/// every sum over millions of settlements far from i64 overflow.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;

/// How long an archived record waits in the trash before a lead may purge
/// it, unless told otherwise.
pub const TRASH_RETENTION_DAYS: u32 = 90;

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
        /// One or more numbers, separated by commas.
        phone: String,
        email: String,
        birthday: Option<NaiveDate>,
    },
    /// Rewrites every field of a contact person; `expected_seq` is the
    /// change the editor showed (a later one refuses the edit as stale).
    EditPerson {
        client: ClientId,
        person: PersonId,
        expected_seq: Option<u64>,
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
    /// `expected_seq`: the change the settlement was read at (a later one
    /// refuses the command as stale).
    EditSettlement {
        client: ClientId,
        id: SettlementId,
        expected_seq: Option<u64>,
        date: NaiveDate,
        amount: Money,
        product: Option<ProductId>,
        doc: String,
    },
    DeleteSettlement {
        client: ClientId,
        id: SettlementId,
        expected_seq: Option<u64>,
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
    /// Takes a done or snooze mark off a queue item (the item is due again);
    /// `expected_seq`: the change that set the mark as it was read.
    ClearMark {
        key: String,
        expected_seq: Option<u64>,
    },
    /// Takes a client (and everything about it) or a contact person out of
    /// every list, into the trash; `expected_seq`: the change it was read
    /// at (a later one refuses the command as stale).
    Archive {
        key: Archivable,
        expected_seq: Option<u64>,
        on: NaiveDate,
    },
    /// Puts an archived record back where it was.
    Restore {
        key: Archivable,
    },
    /// Deletes an archived record for good (a lead's, once it has waited in
    /// the trash `retention_days` since it was archived).
    Purge {
        key: Archivable,
        today: NaiveDate,
        retention_days: u32,
    },
    /// Rewrites a contact-log entry.
    EditContact {
        client: ClientId,
        id: ContactId,
        expected_seq: Option<u64>,
        person: Option<PersonId>,
        at: NaiveDateTime,
        channel: Channel,
        summary: String,
        outcome: String,
    },
    DeleteContact {
        client: ClientId,
        id: ContactId,
        expected_seq: Option<u64>,
    },
    /// Rewrites a task (`done: None` reopens it).
    EditTask {
        task: TaskId,
        expected_seq: Option<u64>,
        due: NaiveDate,
        text: String,
        done: Option<NaiveDate>,
    },
    DeleteTask {
        task: TaskId,
        expected_seq: Option<u64>,
    },
    /// Corrects a survey's date and scores (a ticket a low score opened
    /// stays; a low score where there was none opens one, as recording).
    EditSurvey {
        survey: SurveyId,
        expected_seq: Option<u64>,
        date: NaiveDate,
        scores: Vec<u8>,
    },
    DeleteSurvey {
        survey: SurveyId,
        expected_seq: Option<u64>,
    },
    /// Stores the company's template of a document kind (a lead's).
    SetTemplate {
        kind: crate::templates::DocKind,
        text: String,
    },
    /// Writes the document of an offer's stage from the company template,
    /// numbered in the same transaction (so gap-free across sessions);
    /// `dir`: where the writer keeps its documents.
    WriteDocument {
        client: ClientId,
        product: ProductId,
        kind: crate::templates::DocKind,
        date: NaiveDate,
        dir: String,
    },
    /// Records when and how a document went to the client.
    MarkDocumentSent {
        number: DocNumber,
        date: NaiveDate,
        channel: Channel,
    },
    /// Sets an offer's amendment date, invoice amount and instalments
    /// (the instalments sum to the invoice).
    SetTerms {
        client: ClientId,
        product: ProductId,
        expected_seq: Option<u64>,
        amend_by: Option<NaiveDate>,
        invoice: Option<Money>,
        schedule: Vec<Instalment>,
    },
    /// Sets how a client was acquired ("" clears it). The client is named
    /// by its ref, so that an import can set the source of a client it
    /// creates in the same batch.
    SetSource {
        reference: String,
        source: String,
    },
    /// The lead's sources and competitors lists and the minutes delay.
    SetSalesSetup {
        sources: Vec<String>,
        competitors: Vec<String>,
        minutes_days: u32,
    },
    /// Merges client `from`, a duplicate, into `into`: its settlements,
    /// contact log, persons, offers, tasks, surveys, tickets, queue marks
    /// and sales records move to `into`, and `from` is archived with a note
    /// naming `into`. `expected`: the versions of `into` and `from` as read.
    MergeClients {
        into: ClientId,
        from: ClientId,
        expected: Option<(u64, u64)>,
        on: NaiveDate,
    },
    /// Shares a view with the team under its name (a lead's); a shared view
    /// of the same name is replaced. Its `number` is given by the planner.
    ShareView(SharedView),
    /// Stops sharing the view of that name (a lead's).
    UnshareView {
        name: String,
    },
    /// Puts an offer back as it was before a move (`None`: there was none);
    /// the undo of a move, so no stage rule applies. `expected_version`:
    /// the offer's version the move left (0: none).
    RestoreOffer {
        client: ClientId,
        product: ProductId,
        expected_version: Option<u64>,
        offer: Option<Offer>,
    },
    /// Undoes a merge, given the changes it made (its event's).
    Unmerge {
        changes: Vec<crate::model::Change>,
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
    /// Who won the sale, for a refusal for reason `competitor`.
    pub competitor: String,
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
            competitor: String::new(),
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

impl Command {
    /// The command's name, as in logs and messages (`add_client`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::UpdateSettings(_) => "update_settings",
            Command::AddManager { .. } => "add_manager",
            Command::AddSegment { .. } => "add_segment",
            Command::AddProduct { .. } => "add_product",
            Command::SetPortrait { .. } => "set_portrait",
            Command::AddClient { .. } => "add_client",
            Command::EditClient { .. } => "edit_client",
            Command::AddPerson { .. } => "add_person",
            Command::EditPerson { .. } => "edit_person",
            Command::RecordSettlement { .. } => "record_settlement",
            Command::EditSettlement { .. } => "edit_settlement",
            Command::DeleteSettlement { .. } => "delete_settlement",
            Command::MoveOffer(_) => "move_offer",
            Command::LogContact { .. } => "log_contact",
            Command::AddTask { .. } => "add_task",
            Command::CompleteTask { .. } => "complete_task",
            Command::RecordSurvey { .. } => "record_survey",
            Command::OpenTicket { .. } => "open_ticket",
            Command::AdvanceTicket(_) => "advance_ticket",
            Command::SetTicketOwner { .. } => "set_ticket_owner",
            Command::EditTicket { .. } => "edit_ticket",
            Command::SetQuestionnaire { .. } => "set_questionnaire",
            Command::MarkItem { .. } => "mark_item",
            Command::ClearMark { .. } => "clear_mark",
            Command::Archive { .. } => "archive",
            Command::Restore { .. } => "restore",
            Command::Purge { .. } => "purge",
            Command::EditContact { .. } => "edit_contact",
            Command::DeleteContact { .. } => "delete_contact",
            Command::EditTask { .. } => "edit_task",
            Command::DeleteTask { .. } => "delete_task",
            Command::EditSurvey { .. } => "edit_survey",
            Command::DeleteSurvey { .. } => "delete_survey",
            Command::SetTemplate { .. } => "set_template",
            Command::WriteDocument { .. } => "write_document",
            Command::MarkDocumentSent { .. } => "mark_document_sent",
            Command::SetTerms { .. } => "set_terms",
            Command::SetSource { .. } => "set_source",
            Command::SetSalesSetup { .. } => "set_sales_setup",
            Command::MergeClients { .. } => "merge_clients",
            Command::RestoreOffer { .. } => "restore_offer",
            Command::ShareView(_) => "share_view",
            Command::UnshareView { .. } => "unshare_view",
            Command::Unmerge { .. } => "unmerge",
            Command::Batch { .. } => "batch",
        }
    }

    /// One line for the audit trail.
    pub fn describe(&self, model: &Model) -> String {
        let client = |id: &ClientId| model.client_label(*id);
        let product = |id: &ProductId| model.product_label(*id);
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
            Command::EditPerson { client: c, name, .. } => format!("edit contact person {name} of {}", client(c)),
            Command::RecordSettlement {
                client: c,
                date,
                amount,
                ..
            } => format!("record settlement {amount} on {date} for {}", client(c)),
            Command::EditSettlement { client: c, id, .. } => format!("edit settlement #{id} of {}", client(c)),
            Command::DeleteSettlement { client: c, id, .. } => format!("delete settlement #{id} of {}", client(c)),
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
            Command::ClearMark { key, .. } => format!("clear the mark of {key}"),
            Command::Archive { key, .. } => format!("archive {}", model.archived_label(*key)),
            Command::Restore { key } => format!("restore {}", model.archived_label(*key)),
            Command::Purge { key, .. } => format!("purge {}", model.archived_label(*key)),
            Command::EditContact { client: c, id, .. } => format!("edit logged contact #{id} of {}", client(c)),
            Command::DeleteContact { client: c, id, .. } => format!("delete logged contact #{id} of {}", client(c)),
            Command::EditTask { task, .. } => format!("edit task #{task}"),
            Command::DeleteTask { task, .. } => format!("delete task #{task}"),
            Command::EditSurvey { survey, .. } => format!("edit survey #{survey}"),
            Command::DeleteSurvey { survey, .. } => format!("delete survey #{survey}"),
            Command::SetTemplate { kind, .. } => format!("set the template of the {}", kind.title()),
            Command::WriteDocument {
                client: c,
                product: p,
                kind,
                ..
            } => format!("write the {} of {} for {}", kind.title(), product(p), client(c)),
            Command::MarkDocumentSent { number, channel, .. } => format!("mark {number} sent by {}", channel.as_str()),
            Command::SetTerms {
                client: c, product: p, ..
            } => format!("set the terms of {} for {}", product(p), client(c)),
            Command::SetSource { reference, source } => match source.trim() {
                "" => format!("clear the source of {reference}"),
                s => format!("set the source of {reference} to {s}"),
            },
            Command::SetSalesSetup { .. } => "set the sources, competitors and minutes delay".into(),
            Command::RestoreOffer {
                client: c, product: p, ..
            } => format!("put back the offer of {} to {}", product(p), client(c)),
            Command::ShareView(v) => format!("share the view '{}' with the team", v.name),
            Command::UnshareView { name } => format!("stop sharing the view '{name}'"),
            Command::MergeClients { into, from, .. } => format!("merge {} into {}", client(from), client(into)),
            Command::Unmerge { changes } => match changes.iter().find_map(|c| match c {
                crate::model::Change::Merge(j) => Some((j.from, j.into)),
                _ => None,
            }) {
                Some((from, into)) => format!("undo the merge of {} into {}", client(&from), client(&into)),
                None => "undo a merge".into(),
            },
            Command::Batch { label, commands } if commands.len() == 1 => label.clone(),
            Command::Batch { label, commands } => format!("{label} ({} commands)", commands.len()),
        }
    }
}
