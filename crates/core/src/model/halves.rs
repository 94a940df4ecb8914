//! The model as two halves of about equal decoding cost, so that opening
//! from a snapshot decodes them on two threads (offers and the small
//! record kinds; clients, persons and aggregates).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{ClientAggregate, Counters, Index, Model};
use crate::domain::*;

#[derive(Serialize)]
pub struct FirstRef<'a> {
    offers: &'a BTreeMap<(ClientId, ProductId), Offer>,
    tasks: &'a BTreeMap<TaskId, Task>,
    surveys: &'a BTreeMap<SurveyId, Survey>,
    tickets: &'a BTreeMap<TicketId, Ticket>,
    marks: &'a BTreeMap<String, QueueMark>,
    questionnaires: &'a BTreeMap<ProductId, Questionnaire>,
    trash: &'a super::Trash,
    templates: &'a BTreeMap<crate::templates::DocKind, crate::templates::Template>,
    sales: &'a super::Sales,
}

#[derive(Deserialize)]
pub struct First {
    offers: BTreeMap<(ClientId, ProductId), Offer>,
    tasks: BTreeMap<TaskId, Task>,
    surveys: BTreeMap<SurveyId, Survey>,
    tickets: BTreeMap<TicketId, Ticket>,
    marks: BTreeMap<String, QueueMark>,
    questionnaires: BTreeMap<ProductId, Questionnaire>,
    trash: super::Trash,
    templates: BTreeMap<crate::templates::DocKind, crate::templates::Template>,
    sales: super::Sales,
}

#[derive(Serialize)]
pub struct SecondRef<'a> {
    settings: &'a Settings,
    counters: &'a Counters,
    managers: &'a BTreeMap<ManagerId, Manager>,
    segments: &'a BTreeMap<SegmentId, Segment>,
    products: &'a BTreeMap<ProductId, Product>,
    portrait: &'a BTreeSet<(SegmentId, ProductId)>,
    clients: &'a BTreeMap<ClientId, Client>,
    persons: &'a BTreeMap<(ClientId, PersonId), ContactPerson>,
    aggregates: &'a BTreeMap<ClientId, ClientAggregate>,
}

#[derive(Deserialize)]
struct SecondFields {
    settings: Settings,
    counters: Counters,
    managers: BTreeMap<ManagerId, Manager>,
    segments: BTreeMap<SegmentId, Segment>,
    products: BTreeMap<ProductId, Product>,
    portrait: BTreeSet<(SegmentId, ProductId)>,
    clients: BTreeMap<ClientId, Client>,
    persons: BTreeMap<(ClientId, PersonId), ContactPerson>,
    aggregates: BTreeMap<ClientId, ClientAggregate>,
}

/// Decoded with its lookups built, on the thread that decoded it.
pub struct Second {
    fields: SecondFields,
    index: Index,
}

impl<'de> Deserialize<'de> for Second {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = SecondFields::deserialize(d)?;
        let index = Index::build(&f.clients, &f.segments, &f.products, &f.managers);
        Ok(Second { fields: f, index })
    }
}

impl Model {
    pub fn halves(&self) -> (FirstRef<'_>, SecondRef<'_>) {
        (
            FirstRef {
                offers: &self.offers,
                tasks: &self.tasks,
                surveys: &self.surveys,
                tickets: &self.tickets,
                marks: &self.marks,
                questionnaires: &self.questionnaires,
                trash: &self.trash,
                templates: &self.templates,
                sales: &self.sales,
            },
            SecondRef {
                settings: &self.settings,
                counters: &self.counters,
                managers: &self.managers,
                segments: &self.segments,
                products: &self.products,
                portrait: &self.portrait,
                clients: &self.clients,
                persons: &self.persons,
                aggregates: &self.aggregates,
            },
        )
    }

    pub fn from_halves(first: First, second: Second) -> Model {
        let f = second.fields;
        Model {
            settings: f.settings,
            counters: f.counters,
            managers: f.managers,
            segments: f.segments,
            products: f.products,
            portrait: f.portrait,
            clients: f.clients,
            persons: f.persons,
            aggregates: f.aggregates,
            offers: first.offers,
            tasks: first.tasks,
            surveys: first.surveys,
            tickets: first.tickets,
            marks: first.marks,
            questionnaires: first.questionnaires,
            trash: first.trash,
            templates: first.templates,
            sales: first.sales,
            index: second.index,
        }
    }
}
