//! The model as two halves of about equal decoding cost, so that opening
//! from a snapshot decodes them on two threads (offers and the small
//! record kinds; clients, persons and aggregates).

use std::collections::{BTreeMap, BTreeSet};

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::{ClientAggregate, Counters, Index, Model};
use crate::domain::*;

#[derive(Serialize)]
pub struct FirstRef<'a> {
    offers: Picked<'a, (ClientId, ProductId), Offer>,
    tasks: Picked<'a, TaskId, Task>,
    surveys: Picked<'a, SurveyId, Survey>,
    tickets: Picked<'a, TicketId, Ticket>,
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
    clients: Picked<'a, ClientId, Client>,
    persons: Picked<'a, (ClientId, PersonId), ContactPerson>,
    aggregates: Picked<'a, ClientId, ClientAggregate>,
}

/// A map of the model as it is encoded: whole, or only the entries about
/// some clients (a manager's share), read in place instead of copied.
pub struct Picked<'a, K, V> {
    map: &'a BTreeMap<K, V>,
    only: Option<(&'a Clients, ClientOf<K, V>)>,
}

/// Whom an entry of a map is about.
type ClientOf<K, V> = fn(&K, &V) -> ClientId;

/// A share's clients, in id order: asked about every entry of the large
/// maps, so a search of one contiguous slice rather than of a tree.
pub struct Clients(Vec<ClientId>);

impl Clients {
    fn contains(&self, c: ClientId) -> bool {
        self.0.binary_search(&c).is_ok()
    }
}

impl<'a, K, V> Picked<'a, K, V> {
    fn whole(map: &'a BTreeMap<K, V>) -> Self {
        Picked { map, only: None }
    }

    /// Only the entries about `clients` (when given): `client` says whom
    /// an entry is about.
    fn new(map: &'a BTreeMap<K, V>, clients: Option<&'a Clients>, client: ClientOf<K, V>) -> Self {
        Picked {
            map,
            only: clients.map(|ids| (ids, client)),
        }
    }
}

impl<K: Serialize, V: Serialize> Serialize for Picked<'_, K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some((clients, client)) = self.only else {
            return self.map.serialize(s);
        };
        // The length goes first in the encoding: the entries are picked
        // once, then written.
        let kept: Vec<(&K, &V)> = self
            .map
            .iter()
            .filter(|(k, v)| clients.contains(client(k, v)))
            .collect();
        let mut map = s.serialize_map(Some(kept.len()))?;
        for (k, v) in kept {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// What a share of the model needs besides the maps it reads in place:
/// its clients, and the parts it copies (`Model::copied_parts`).
pub struct Share {
    clients: Clients,
    marks: BTreeMap<String, QueueMark>,
    trash: super::Trash,
    sales: super::Sales,
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
                offers: Picked::whole(&self.offers),
                tasks: Picked::whole(&self.tasks),
                surveys: Picked::whole(&self.surveys),
                tickets: Picked::whole(&self.tickets),
                marks: &self.marks,
                questionnaires: &self.questionnaires,
                trash: &self.trash,
                templates: &self.templates,
                sales: &self.sales,
            },
            self.second_half(None),
        )
    }

    fn second_half<'a>(&'a self, only: Option<&'a Clients>) -> SecondRef<'a> {
        SecondRef {
            settings: &self.settings,
            counters: &self.counters,
            managers: &self.managers,
            segments: &self.segments,
            products: &self.products,
            portrait: &self.portrait,
            clients: Picked::new(&self.clients, only, |c, _| *c),
            persons: Picked::new(&self.persons, only, |(c, _), _| *c),
            aggregates: Picked::new(&self.aggregates, only, |c, _| *c),
        }
    }

    /// What `share_halves` needs for manager `m`'s share: encoded from it,
    /// the share is the same bytes as `only_of(m)`'s halves, without
    /// copying the share's clients, persons, offers and aggregates.
    pub fn share_of(&self, m: ManagerId) -> Share {
        // The map's order: sorted already.
        let clients = Clients(
            self.clients
                .values()
                .filter(|c| c.manager == Some(m))
                .map(|c| c.id)
                .collect(),
        );
        let (marks, trash, sales) = self.copied_parts(&|c| c.manager == Some(m), &|c| clients.contains(*c));
        Share {
            clients,
            marks,
            trash,
            sales,
        }
    }

    /// The halves of a share (`share_of`), reading this model's maps.
    pub fn share_halves<'a>(&'a self, share: &'a Share) -> (FirstRef<'a>, SecondRef<'a>) {
        let ids = &share.clients;
        (
            FirstRef {
                offers: Picked::new(&self.offers, Some(ids), |(c, _), _| *c),
                tasks: Picked::new(&self.tasks, Some(ids), |_, t| t.client),
                surveys: Picked::new(&self.surveys, Some(ids), |_, s| s.client),
                tickets: Picked::new(&self.tickets, Some(ids), |_, t| t.client),
                marks: &share.marks,
                questionnaires: &self.questionnaires,
                trash: &share.trash,
                templates: &self.templates,
                sales: &share.sales,
            },
            self.second_half(Some(ids)),
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
