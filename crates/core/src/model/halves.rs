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
    #[serde(deserialize_with = "packed")]
    offers: BTreeMap<(ClientId, ProductId), Offer>,
    #[serde(deserialize_with = "packed")]
    tasks: BTreeMap<TaskId, Task>,
    #[serde(deserialize_with = "packed")]
    surveys: BTreeMap<SurveyId, Survey>,
    #[serde(deserialize_with = "packed")]
    tickets: BTreeMap<TicketId, Ticket>,
    #[serde(deserialize_with = "packed")]
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
    #[serde(deserialize_with = "packed")]
    clients: BTreeMap<ClientId, Client>,
    #[serde(deserialize_with = "packed")]
    persons: BTreeMap<(ClientId, PersonId), ContactPerson>,
    #[serde(deserialize_with = "packed")]
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

/// A large map, decoded into full B-tree nodes. Inserted one by one, in
/// key order, a `BTreeMap` leaves each node it splits about half empty:
/// built from the sorted entries at once, its nodes are full — on the 100k
/// data, the offers take 26,000 nodes (33 MB) instead of 45,000 (56 MB).
fn packed<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    struct Entries<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> serde::de::Visitor<'de> for Entries<K, V> {
        type Value = BTreeMap<K, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // The length a file claims is not trusted beyond a bound.
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            // Sorts (the entries come sorted: one pass) and builds full nodes.
            Ok(entries.into_iter().collect())
        }
    }
    d.deserialize_map(Entries(std::marker::PhantomData))
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
            touches: super::Touches::default(),
        }
    }
}
