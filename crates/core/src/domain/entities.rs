//! The records of SPEC §2. Every editable record carries a `version` (bumped
//! on each change, so a stale edit can be refused) and `seq`, the audit-trail
//! entry of its last change (who and when).

use super::ids::*;
use super::login::Login;
use super::money::Money;
use super::offer::{OfferStage, RefusalReason};
use super::ticket::{TicketSource, TicketStage};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Lead,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Lead => "lead",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "manager" | "" => Some(Role::Manager),
            "lead" => Some(Role::Lead),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manager {
    pub id: ManagerId,
    /// Unix user name; the key users type.
    pub login: String,
    pub name: String,
    pub role: Role,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: SegmentId,
    /// Short key users type (`retail`).
    pub code: String,
    pub name: String,
    pub description: String,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    /// Short key users type (`crm-pro`).
    pub code: String,
    pub name: String,
    /// Product direction ("software", "support"); used by KPIs.
    pub line: String,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortraitEntry {
    pub segment: SegmentId,
    pub product: ProductId,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    /// External reference; the key users type.
    pub reference: String,
    pub name: String,
    pub segment: Option<SegmentId>,
    pub manager: Option<ManagerId>,
    #[serde(with = "crate::domain::compact::date")]
    pub created: NaiveDate,
    pub notes: String,
    pub tags: Vec<String>,
    pub version: u64,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPerson {
    pub id: PersonId,
    pub client: ClientId,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub email: String,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub birthday: Option<NaiveDate>,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub id: SettlementId,
    pub client: ClientId,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    /// Negative = refund / credit note.
    pub amount: Money,
    pub product: Option<ProductId>,
    pub doc: String,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: RefusalReason,
    /// The stage the offer had reached when refused: the funnel counts it there.
    pub at_stage: OfferStage,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub retry: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: OfferStage,
    pub to: OfferStage,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    pub who: Login,
    /// Boxed: most are empty, and a history holds millions (8 bytes each).
    pub note: Box<str>,
    pub seq: u64,
}

/// One matrix cell: the work on one product at one client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub client: ClientId,
    pub product: ProductId,
    pub stage: OfferStage,
    #[serde(with = "crate::domain::compact::date")]
    pub stage_date: NaiveDate,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub next_step: Option<NaiveDate>,
    pub next_note: String,
    /// Proposal expiry.
    #[serde(with = "crate::domain::compact::opt_date")]
    pub expiry: Option<NaiveDate>,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub invoice_due: Option<NaiveDate>,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub delivery: Option<NaiveDate>,
    pub refusal: Option<Refusal>,
    pub history: Vec<Transition>,
    pub version: u64,
    pub seq: u64,
}

impl Offer {
    /// An offer at `stage` since `stage_date`, with no dates, refusal or
    /// history yet.
    pub fn new(client: ClientId, product: ProductId, stage: OfferStage, stage_date: NaiveDate) -> Offer {
        Offer {
            client,
            product,
            stage,
            stage_date,
            next_step: None,
            next_note: String::new(),
            expiry: None,
            invoice_due: None,
            delivery: None,
            refusal: None,
            history: Vec::new(),
            version: 1,
            seq: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Call,
    Meeting,
    Email,
    Message,
    Visit,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Call,
        Channel::Meeting,
        Channel::Email,
        Channel::Message,
        Channel::Visit,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Meeting => "meeting",
            Channel::Email => "email",
            Channel::Message => "message",
            Channel::Visit => "visit",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        let s = s.trim().to_ascii_lowercase();
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactEntry {
    pub id: ContactId,
    pub client: ClientId,
    pub person: Option<PersonId>,
    #[serde(with = "crate::domain::compact::datetime")]
    pub at: NaiveDateTime,
    pub channel: Channel,
    pub summary: String,
    pub outcome: String,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub next_contact: Option<NaiveDate>,
    pub who: Login,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub client: ClientId,
    #[serde(with = "crate::domain::compact::date")]
    pub due: NaiveDate,
    pub text: String,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub done: Option<NaiveDate>,
    pub who: Login,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub id: SurveyId,
    pub client: ClientId,
    pub product: ProductId,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    /// 1–5 per question.
    pub scores: Vec<u8>,
    /// The ticket a low score opened.
    pub ticket: Option<TicketId>,
    pub who: Login,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketTransition {
    pub from: TicketStage,
    pub to: TicketStage,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    pub who: Login,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub client: ClientId,
    pub product: Option<ProductId>,
    #[serde(with = "crate::domain::compact::date")]
    pub opened: NaiveDate,
    pub source: TicketSource,
    pub description: String,
    pub stage: TicketStage,
    pub owner: Option<ManagerId>,
    pub cause: String,
    pub action: String,
    pub fix: String,
    #[serde(with = "crate::domain::compact::opt_date")]
    pub stage_due: Option<NaiveDate>,
    pub history: Vec<TicketTransition>,
    pub version: u64,
    pub seq: u64,
}

/// One line of the audit trail (SPEC §2): who did what, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub who: String,
    #[serde(with = "crate::domain::compact::datetime")]
    pub at: NaiveDateTime,
    pub summary: String,
}

/// A product's own satisfaction questionnaire (SPEC §6); products without
/// one use the default questions of the settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub product: ProductId,
    pub questions: Vec<String>,
    pub seq: u64,
}

/// What a user did with one item of the due-contacts queue (SPEC §5), or
/// the next contact date agreed at a client's latest contact. Stored, so the
/// queue is the same after a restart and in every session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueMark {
    /// The item's stable id (`step-12-3`, `cadence-12`…).
    pub key: String,
    /// The due date the mark was made for: when the data moves the item to
    /// another date, the mark no longer applies.
    #[serde(with = "crate::domain::compact::date")]
    pub due: NaiveDate,
    pub state: MarkState,
    pub who: Login,
    pub seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkState {
    Done,
    Snoozed(#[serde(with = "crate::domain::compact::date")] NaiveDate),
    /// The next contact date agreed at the contact logged on `due`.
    NextContact(#[serde(with = "crate::domain::compact::date")] NaiveDate),
}

/// What can be archived: a client (with everything about it) or one of its
/// contact persons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Archivable {
    Client(ClientId),
    Person(ClientId, PersonId),
}

impl Archivable {
    pub fn client(self) -> ClientId {
        match self {
            Archivable::Client(c) | Archivable::Person(c, _) => c,
        }
    }
}

/// Who archived a record and when: it waits in the trash until restored or
/// purged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archival {
    pub key: Archivable,
    #[serde(with = "crate::domain::compact::date")]
    pub on: NaiveDate,
    pub who: String,
    pub seq: u64,
}
