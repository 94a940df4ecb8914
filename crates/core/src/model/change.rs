use serde::{Deserialize, Serialize};

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
    Ticket(Ticket),
    Questionnaire(Questionnaire),
    /// A queue mark set (`Some`) or cleared (`None`).
    Mark {
        key: String,
        mark: Option<QueueMark>,
    },
}
