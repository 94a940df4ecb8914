use serde::{Deserialize, Serialize};

use super::Model;
use crate::domain::*;

/// One change to the data, carrying the whole new record so that applying it
/// needs no I/O. An `Event` is a list of these.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    Settings(Settings),
    Manager(Manager),
    Segment(Segment),
    Product(Product),
    Portrait {
        segment: SegmentId,
        product: ProductId,
        target: bool,
    },
    Client(Client),
    Person(ContactPerson),
    /// Added (`old` none), edited (both), or deleted (`new` none).
    Settlement {
        old: Option<Settlement>,
        new: Option<Settlement>,
    },
    Offer(Offer),
    Contact(ContactEntry),
    Task(Task),
    Survey(Survey),
    /// Boxed, as `ContactRewritten`'s entries: the largest records would
    /// make every change of an import of millions of settlements as large.
    Ticket(Box<Ticket>),
    Questionnaire(Questionnaire),
    /// A queue mark set (`Some`) or cleared (`None`).
    Mark {
        key: String,
        mark: Option<QueueMark>,
    },
    // Schema 2 (appended, so that schema-1 change logs decode unchanged).
    /// A record archived (`Some`) or restored (`None`).
    Archive {
        key: Archivable,
        archival: Option<Archival>,
    },
    /// An archived record deleted for good, with the tickets and queue
    /// marks the store deletes besides the records kept under its client.
    Purge {
        key: Archivable,
        tickets: Vec<TicketId>,
        marks: Vec<String>,
    },
    /// A contact-log entry edited (`new` some) or deleted (`new` none);
    /// `last_contact`: the client's latest contact afterwards.
    ContactRewritten {
        old: Box<ContactEntry>,
        new: Option<Box<ContactEntry>>,
        #[serde(with = "crate::domain::compact::opt_datetime")]
        last_contact: Option<chrono::NaiveDateTime>,
    },
    TaskRemoved(Task),
    SurveyRemoved(Survey),
    /// Schema 3: a company template stored by a lead.
    Template(crate::templates::Template),
    /// Schema 4: a sales record (SPEC §9) written (`Some`) or deleted.
    Sales {
        key: SalesKey,
        record: Option<SalesRecord>,
    },
    // Schema 5: merges of duplicate clients.
    /// A contact person taken off a client (to another one, by a merge).
    PersonRemoved(ContactPerson),
    /// An offer taken off a client (to another one, by a merge).
    OfferRemoved(Offer),
    /// What a merge replaced (or that its undo ran); changes nothing itself.
    Merge(Box<MergeJournal>),
    /// The offer of a client and product as it was before the change that
    /// follows (none: there was none); changes nothing itself, it is what
    /// an undo of an offer's move puts back.
    OfferWas {
        client: ClientId,
        product: ProductId,
        offer: Option<Offer>,
    },
}

impl Change {
    /// A ticket written (boxed: see the variant).
    pub fn ticket(t: Ticket) -> Change {
        Change::Ticket(Box::new(t))
    }

    /// A change kept for the undo only, which a history does not list.
    pub fn for_undo_only(&self) -> bool {
        matches!(self, Change::OfferWas { .. })
    }

    /// One line saying what the change did to the record, for a client's
    /// history (the command line and the interface say it alike).
    pub fn describe(&self, model: &Model) -> String {
        let product = |p: ProductId| model.product_label(p);
        let text = |s: &str| crate::domain::text::printable(s).into_owned();
        match self {
            Change::Settings(_) => "settings".into(),
            Change::Manager(m) => format!("manager {}", m.login),
            Change::Segment(s) => format!("segment {}", s.code),
            Change::Product(p) => format!("product {}", p.code),
            Change::Portrait {
                segment,
                product: p,
                target,
            } => {
                format!(
                    "portrait: segment {segment} {} {}",
                    if *target { "targets" } else { "drops" },
                    product(*p)
                )
            }
            Change::Client(c) if c.version == 1 => format!("client {} created: {}", c.reference, text(&c.name)),
            Change::Client(c) => {
                let segment = c
                    .segment
                    .and_then(|s| model.segments.get(&s))
                    .map_or("no segment", |s| s.code.as_str());
                let manager = model.manager_login(c.manager);
                format!(
                    "client now: {} · {segment} · {manager}{}",
                    text(&c.name),
                    if c.tags.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", c.tags.join(" "))
                    }
                )
            }
            Change::Person(p) => format!("contact person {} ({})", text(&p.name), text(&p.role)),
            Change::Settlement { old, new } => match (old, new) {
                (None, Some(n)) => format!("settlement {} on {} {}", n.amount, n.date, text(&n.doc)),
                (Some(o), Some(n)) => format!("settlement {} on {} → {} on {}", o.amount, o.date, n.amount, n.date),
                (Some(o), None) => format!("settlement {} on {} deleted", o.amount, o.date),
                (None, None) => "settlement".into(),
            },
            Change::Offer(o) => format!("offer {}: {} on {}", product(o.product), o.stage, o.stage_date),
            Change::Contact(c) => format!(
                "{} logged: {}",
                c.channel.as_str(),
                text(c.summary.lines().next().unwrap_or(""))
            ),
            Change::Task(t) => match t.done {
                Some(d) => format!("task done on {d}: {}", text(&t.text)),
                None => format!("task due {}: {}", t.due, text(&t.text)),
            },
            Change::Survey(s) => {
                let scores: Vec<String> = s.scores.iter().map(u8::to_string).collect();
                format!("survey {} on {}: {}", product(s.product), s.date, scores.join(" "))
            }
            Change::Ticket(t) => format!("ticket #{} {}", t.id, t.stage),
            Change::Questionnaire(q) => format!("questions of {}", product(q.product)),
            Change::Mark { key, mark: Some(m) } => match m.state {
                MarkState::Done => format!("{key} done (due {})", m.due),
                MarkState::Snoozed(to) => format!("{key} snoozed to {to} (due {})", m.due),
                MarkState::NextContact(next) => format!("next contact agreed for {next}"),
            },
            Change::Mark { key, mark: None } => format!("{key} mark cleared"),
            Change::Archive { key, archival: Some(a) } => {
                format!("{} archived by {} on {}", model.archived_label(*key), a.who, a.on)
            }
            Change::Archive { key, archival: None } => format!("{} restored", model.archived_label(*key)),
            Change::Purge { key, .. } => format!("{} purged from the trash", model.archived_label(*key)),
            Change::ContactRewritten { old, new: Some(n), .. } => format!(
                "{} of {} corrected: {}",
                old.channel.as_str(),
                old.at.format("%Y-%m-%d %H:%M"),
                text(n.summary.lines().next().unwrap_or(""))
            ),
            Change::ContactRewritten { old, new: None, .. } => format!(
                "{} of {} deleted: {}",
                old.channel.as_str(),
                old.at.format("%Y-%m-%d %H:%M"),
                text(old.summary.lines().next().unwrap_or(""))
            ),
            Change::TaskRemoved(t) => format!("task due {} deleted: {}", t.due, text(&t.text)),
            Change::SurveyRemoved(s) => format!("survey {} of {} deleted", product(s.product), s.date),
            Change::Template(t) => format!("template of the {}", t.kind.title()),
            Change::Sales { record, key } => match record {
                Some(SalesRecord::Document(d)) => match d.sent {
                    Some(sent) => format!(
                        "{} {} sent on {} by {}",
                        d.number.kind.title(),
                        d.number,
                        sent.date,
                        sent.channel.as_str()
                    ),
                    None => format!(
                        "{} {} of {} written",
                        d.number.kind.title(),
                        d.number,
                        product(d.product)
                    ),
                },
                Some(SalesRecord::Terms(t)) => {
                    let mut parts = Vec::new();
                    if let Some(d) = t.amend_by {
                        parts.push(format!("amendment by {d}"));
                    }
                    if let Some(a) = t.invoice {
                        parts.push(format!("invoice {a} in {} instalment(s)", t.schedule.len().max(1)));
                    }
                    if !t.competitor.is_empty() {
                        parts.push(format!("lost to {}", text(&t.competitor)));
                    }
                    format!(
                        "terms of {}: {}",
                        product(t.product),
                        if parts.is_empty() {
                            "none".into()
                        } else {
                            parts.join(", ")
                        }
                    )
                }
                Some(SalesRecord::Acquisition(a)) => format!("acquired through {}", text(&a.source)),
                Some(SalesRecord::Setup(_)) => "sources, competitors and minutes delay".into(),
                Some(SalesRecord::View(v)) => format!("view '{}' shared with the team", text(&v.name)),
                None => match key {
                    SalesKey::Document(n) => format!("document {n} deleted"),
                    SalesKey::Terms(_, p) => format!("terms of {} deleted", product(*p)),
                    SalesKey::Acquisition(_) => "acquisition source cleared".into(),
                    SalesKey::Setup => "sales lists reset".into(),
                    SalesKey::View(_) => "a shared view removed".into(),
                },
            },
            Change::OfferWas { product: p, offer, .. } => match offer {
                Some(o) => format!("offer {} was {} on {}", product(*p), o.stage, o.stage_date),
                None => format!("offer {} was not there", product(*p)),
            },
            Change::PersonRemoved(p) => format!("contact person {} moved away", text(&p.name)),
            Change::OfferRemoved(o) => format!("offer {} moved away", product(o.product)),
            Change::Merge(j) if j.undone => format!(
                "merge of {} into {} undone",
                model.client_label(j.from),
                model.client_label(j.into)
            ),
            Change::Merge(j) => format!(
                "{} merged into {}",
                model.client_label(j.from),
                model.client_label(j.into)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    /// An import holds one change per settlement row (1.9 million in the
    /// 100k demo): a change is as large as its largest variant, so large
    /// records go in boxes. At 272 bytes (before), the changes of that
    /// import took 570 MB.
    #[test]
    fn a_change_stays_small() {
        let size = std::mem::size_of::<super::Change>();
        assert!(size <= 144, "a Change is {size} bytes");
    }
}
