//! Stable item ids: what the item is about, never its position or date, so
//! `rapport done step-12-3` means the same item in every session and after
//! a restart. Ids use internal record numbers (short to type, unique).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::model::Model;

/// What a queue item is (SPEC §5's list, in its order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An open offer's next step date.
    NextStep,
    /// A proposal's expiry date.
    Expiry,
    /// An invoice's due date.
    Invoice,
    /// A delivery date.
    Delivery,
    /// A satisfaction survey (after a sale to a new client, or yearly).
    Survey,
    /// A refused offer's retry date.
    Retry,
    /// Contact cadence by class, from the last actual contact.
    Cadence,
    Birthday,
    Task,
    /// A complaint ticket whose stage is due.
    Ticket,
    /// A presentation's minutes not sent in time (SPEC §9).
    Minutes,
    /// A proposal's or agreement's amendment date (SPEC §9).
    Amendment,
    /// An unpaid instalment of an invoice (SPEC §9).
    Instalment,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::NextStep,
        Kind::Expiry,
        Kind::Invoice,
        Kind::Delivery,
        Kind::Survey,
        Kind::Retry,
        Kind::Cadence,
        Kind::Birthday,
        Kind::Task,
        Kind::Ticket,
        Kind::Minutes,
        Kind::Amendment,
        Kind::Instalment,
    ];

    /// The id prefix, also the short label the views show.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NextStep => "step",
            Kind::Expiry => "expiry",
            Kind::Invoice => "invoice",
            Kind::Delivery => "delivery",
            Kind::Survey => "survey",
            Kind::Retry => "retry",
            Kind::Cadence => "cadence",
            Kind::Birthday => "birthday",
            Kind::Task => "task",
            Kind::Ticket => "ticket",
            Kind::Minutes => "minutes",
            Kind::Amendment => "amend",
            Kind::Instalment => "instalment",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// An item's stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKey {
    /// Next step, expiry, invoice, delivery, retry, minutes or amendment
    /// of one offer.
    Offer(Kind, ClientId, ProductId),
    /// The n-th (1-based) instalment of an offer's invoice.
    Instalment(ClientId, ProductId, u32),
    /// The survey after a sale of one product to a new client.
    SaleSurvey(ClientId, ProductId),
    /// The yearly survey of a client.
    YearlySurvey(ClientId),
    Cadence(ClientId),
    Birthday(ClientId, PersonId),
    Task(TaskId),
    Ticket(TicketId),
    /// Not an item: where the next contact date agreed at a client's latest
    /// contact is kept.
    NextContact(ClientId),
}

impl ItemKey {
    pub fn kind(self) -> Option<Kind> {
        Some(match self {
            ItemKey::Offer(k, ..) => k,
            ItemKey::Instalment(..) => Kind::Instalment,
            ItemKey::SaleSurvey(..) | ItemKey::YearlySurvey(_) => Kind::Survey,
            ItemKey::Cadence(_) => Kind::Cadence,
            ItemKey::Birthday(..) => Kind::Birthday,
            ItemKey::Task(_) => Kind::Task,
            ItemKey::Ticket(_) => Kind::Ticket,
            ItemKey::NextContact(_) => return None,
        })
    }

    pub fn client(self, model: &Model) -> Option<ClientId> {
        match self {
            ItemKey::Offer(_, c, _)
            | ItemKey::Instalment(c, ..)
            | ItemKey::SaleSurvey(c, _)
            | ItemKey::YearlySurvey(c)
            | ItemKey::Cadence(c)
            | ItemKey::Birthday(c, _)
            | ItemKey::NextContact(c) => Some(c),
            ItemKey::Task(t) => model.tasks.get(&t).map(|t| t.client),
            ItemKey::Ticket(t) => model.tickets.get(&t).map(|t| t.client),
        }
    }

    /// The same item at client `to`, for a key that names its client (a
    /// task's or ticket's key names the record, which keeps its id).
    pub fn moved_to(self, to: ClientId) -> Option<ItemKey> {
        Some(match self {
            ItemKey::Offer(k, _, p) => ItemKey::Offer(k, to, p),
            ItemKey::Instalment(_, p, n) => ItemKey::Instalment(to, p, n),
            ItemKey::SaleSurvey(_, p) => ItemKey::SaleSurvey(to, p),
            ItemKey::YearlySurvey(_) => ItemKey::YearlySurvey(to),
            ItemKey::Cadence(_) => ItemKey::Cadence(to),
            ItemKey::Birthday(_, p) => ItemKey::Birthday(to, p),
            ItemKey::NextContact(_) => ItemKey::NextContact(to),
            ItemKey::Task(_) | ItemKey::Ticket(_) => return None,
        })
    }

    /// Whether the records the id names exist (the item itself may not be
    /// due now).
    pub fn exists(self, model: &Model) -> bool {
        match self {
            ItemKey::Offer(_, c, p) | ItemKey::SaleSurvey(c, p) => model.offers.contains_key(&(c, p)),
            ItemKey::Instalment(c, p, n) => model
                .sales
                .terms
                .get(&(c, p))
                .is_some_and(|t| (1..=t.schedule.len()).contains(&(n as usize))),
            ItemKey::YearlySurvey(c) | ItemKey::Cadence(c) | ItemKey::NextContact(c) => model.clients.contains_key(&c),
            ItemKey::Birthday(c, p) => model.persons.contains_key(&(c, p)),
            ItemKey::Task(t) => model.tasks.contains_key(&t),
            ItemKey::Ticket(t) => model.tickets.contains_key(&t),
        }
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemKey::Offer(k, c, p) => write!(f, "{k}-{c}-{p}"),
            ItemKey::Instalment(c, p, n) => write!(f, "instalment-{c}-{p}-{n}"),
            ItemKey::SaleSurvey(c, p) => write!(f, "survey-{c}-{p}"),
            ItemKey::YearlySurvey(c) => write!(f, "survey-{c}"),
            ItemKey::Cadence(c) => write!(f, "cadence-{c}"),
            ItemKey::Birthday(c, p) => write!(f, "birthday-{c}-{p}"),
            ItemKey::Task(t) => write!(f, "task-{t}"),
            ItemKey::Ticket(t) => write!(f, "ticket-{t}"),
            ItemKey::NextContact(c) => write!(f, "next-{c}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a queue item id (ids look like step-12-3, cadence-12, survey-12, birthday-12-40, task-7, ticket-5)"
)]
pub struct BadKey(pub String);

impl FromStr for ItemKey {
    type Err = BadKey;
    fn from_str(s: &str) -> Result<ItemKey, BadKey> {
        let bad = || BadKey(s.to_string());
        let mut parts = s.trim().split('-');
        let prefix = parts.next().ok_or_else(bad)?;
        let numbers: Vec<u64> = parts
            .map(|p| {
                // Digits only: `+1` or ` 1` would parse but are not ids.
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                p.parse::<u64>().map_err(|_| bad())
            })
            .collect::<Result<_, _>>()?;
        let id32 = |n: u64| u32::try_from(n).map_err(|_| bad());
        let key = match (prefix, numbers.as_slice()) {
            ("survey", [c]) => ItemKey::YearlySurvey(ClientId(id32(*c)?)),
            ("survey", [c, p]) => ItemKey::SaleSurvey(ClientId(id32(*c)?), ProductId(id32(*p)?)),
            ("cadence", [c]) => ItemKey::Cadence(ClientId(id32(*c)?)),
            ("next", [c]) => ItemKey::NextContact(ClientId(id32(*c)?)),
            ("birthday", [c, p]) => ItemKey::Birthday(ClientId(id32(*c)?), PersonId(*p)),
            ("task", [t]) => ItemKey::Task(TaskId(*t)),
            ("ticket", [t]) => ItemKey::Ticket(TicketId(*t)),
            ("instalment", [c, p, n]) => ItemKey::Instalment(ClientId(id32(*c)?), ProductId(id32(*p)?), id32(*n)?),
            (k, [c, p]) => {
                let kind = [
                    Kind::NextStep,
                    Kind::Expiry,
                    Kind::Invoice,
                    Kind::Delivery,
                    Kind::Retry,
                    Kind::Minutes,
                    Kind::Amendment,
                ]
                .into_iter()
                .find(|kind| kind.as_str() == k)
                .ok_or_else(bad)?;
                ItemKey::Offer(kind, ClientId(id32(*c)?), ProductId(id32(*p)?))
            }
            _ => return Err(bad()),
        };
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_junk_is_refused() {
        let keys = [
            ItemKey::Offer(Kind::NextStep, ClientId(12), ProductId(3)),
            ItemKey::Offer(Kind::Retry, ClientId(1), ProductId(9)),
            ItemKey::SaleSurvey(ClientId(4), ProductId(2)),
            ItemKey::YearlySurvey(ClientId(4)),
            ItemKey::Cadence(ClientId(u32::MAX)),
            ItemKey::Birthday(ClientId(5), PersonId(40)),
            ItemKey::Task(TaskId(7)),
            ItemKey::Ticket(TicketId(5)),
            ItemKey::NextContact(ClientId(8)),
            ItemKey::Offer(Kind::Minutes, ClientId(3), ProductId(1)),
            ItemKey::Offer(Kind::Amendment, ClientId(3), ProductId(1)),
            ItemKey::Instalment(ClientId(3), ProductId(1), 2),
        ];
        for k in keys {
            assert_eq!(k.to_string().parse::<ItemKey>(), Ok(k));
        }
        assert_eq!(keys[0].to_string(), "step-12-3");
        for junk in [
            "",
            "step",
            "step-1",
            "step-1-2-3",
            "cadence-+1",
            "cadence-",
            "cadence-4294967296",
            "survey-1-2-3",
            "bogus-1-2",
            "task-x",
            "instalment-1-2",
            "amend-1",
            "ticket--1",
        ] {
            assert!(junk.parse::<ItemKey>().is_err(), "{junk}");
        }
    }
}
