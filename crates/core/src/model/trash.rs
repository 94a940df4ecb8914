//! The trash: archived clients and contact persons, out of every list,
//! class, queue and KPI until restored or purged. An archived client takes
//! everything about it along (persons, offers, tasks, surveys, tickets,
//! queue marks and its aggregate), so that no computation over the model
//! has to remember to skip it; its settlements and contact log stay on
//! disk, and the reads of them skip clients the model does not hold.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ClientAggregate, Model};
use crate::domain::*;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trash {
    pub clients: BTreeMap<ClientId, TrashedClient>,
    /// Persons archived on their own (their client is live, or was archived
    /// after them).
    pub persons: BTreeMap<(ClientId, PersonId), TrashedPerson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrashedClient {
    pub archival: Archival,
    pub client: Client,
    pub persons: Vec<ContactPerson>,
    pub aggregate: ClientAggregate,
    pub offers: Vec<Offer>,
    pub tasks: Vec<Task>,
    pub surveys: Vec<Survey>,
    pub tickets: Vec<Ticket>,
    pub marks: Vec<QueueMark>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrashedPerson {
    pub archival: Archival,
    pub person: ContactPerson,
}

impl Trash {
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.persons.is_empty()
    }

    /// The archived client with this ref.
    pub fn client_by_ref(&self, reference: &str) -> Option<&TrashedClient> {
        self.clients.values().find(|t| t.client.reference == reference)
    }

    /// When and by whom `key` was archived, if it is in the trash.
    pub fn archival(&self, key: Archivable) -> Option<&Archival> {
        match key {
            Archivable::Client(c) => self.clients.get(&c).map(|t| &t.archival),
            Archivable::Person(c, p) => self.persons.get(&(c, p)).map(|t| &t.archival),
        }
    }

    /// Every archived record, oldest archival first.
    pub fn entries(&self) -> Vec<&Archival> {
        let mut all: Vec<&Archival> = self
            .clients
            .values()
            .map(|t| &t.archival)
            .chain(self.persons.values().map(|t| &t.archival))
            .collect();
        all.sort_by_key(|a| (a.on, a.seq));
        all
    }

    /// The tickets and queue marks a purge of `key` deletes from disk
    /// besides the records stored under its client.
    pub fn purge_list(&self, key: Archivable) -> (Vec<TicketId>, Vec<String>) {
        match key {
            Archivable::Client(c) => self.clients.get(&c).map_or_else(Default::default, |t| {
                (
                    t.tickets.iter().map(|t| t.id).collect(),
                    t.marks.iter().map(|m| m.key.clone()).collect(),
                )
            }),
            Archivable::Person(..) => Default::default(),
        }
    }
}

impl Model {
    /// "client C000123" or "contact person Anna Beck of C000123", wherever
    /// the record is now (live, archived, or gone: `#id`).
    pub fn archived_label(&self, key: Archivable) -> String {
        match key {
            Archivable::Client(c) => format!("client {}", self.client_label(c)),
            Archivable::Person(c, p) => {
                let name = self
                    .persons
                    .get(&(c, p))
                    .or_else(|| self.trash.persons.get(&(c, p)).map(|t| &t.person))
                    .or_else(|| {
                        self.trash
                            .clients
                            .get(&c)
                            .and_then(|t| t.persons.iter().find(|x| x.id == p))
                    })
                    .map_or_else(
                        || format!("#{p}"),
                        |x| crate::domain::text::printable(&x.name).into_owned(),
                    );
                format!("contact person {name} of {}", self.client_label(c))
            }
        }
    }

    /// Loading path: the archivals read from disk, applied after every
    /// other record (persons archived on their own before their clients).
    pub fn load_archivals(&mut self, mut archivals: Vec<Archival>) {
        archivals.sort_by_key(|a| matches!(a.key, Archivable::Client(_)));
        for a in archivals {
            self.archive(a);
        }
    }

    /// Moves `archival.key` and what belongs to it into the trash.
    pub(super) fn archive(&mut self, archival: Archival) {
        match archival.key {
            Archivable::Client(id) => {
                let Some(client) = self.clients.remove(&id) else { return };
                self.index.client_by_ref.remove(&client.reference);
                // Marks first: their keys are resolved through the tasks and
                // tickets still in the model.
                let mark_keys: Vec<String> = self
                    .marks
                    .keys()
                    .filter(|k| self.client_of_mark(k) == Some(id))
                    .cloned()
                    .collect();
                let marks = mark_keys.iter().filter_map(|k| self.marks.remove(k)).collect();
                let persons = take(&mut self.persons, |(c, _), _| *c == id);
                let offers = take(&mut self.offers, |(c, _), _| *c == id);
                let tasks = take(&mut self.tasks, |_, t| t.client == id);
                let surveys = take(&mut self.surveys, |_, s| s.client == id);
                let tickets = take(&mut self.tickets, |_, t| t.client == id);
                let aggregate = self.aggregates.remove(&id).unwrap_or_default();
                self.trash.clients.insert(
                    id,
                    TrashedClient {
                        archival,
                        client,
                        persons,
                        aggregate,
                        offers,
                        tasks,
                        surveys,
                        tickets,
                        marks,
                    },
                );
            }
            Archivable::Person(c, p) => {
                if let Some(person) = self.persons.remove(&(c, p)) {
                    self.trash.persons.insert((c, p), TrashedPerson { archival, person });
                }
            }
        }
    }

    /// Puts `key` and what went with it back.
    pub(super) fn restore(&mut self, key: Archivable) {
        match key {
            Archivable::Client(id) => {
                let Some(t) = self.trash.clients.remove(&id) else {
                    return;
                };
                self.index.client_by_ref.insert(t.client.reference.clone(), id);
                self.clients.insert(id, t.client);
                self.aggregates.insert(id, t.aggregate);
                self.persons
                    .extend(t.persons.into_iter().map(|p| ((p.client, p.id), p)));
                self.offers
                    .extend(t.offers.into_iter().map(|o| ((o.client, o.product), o)));
                self.tasks.extend(t.tasks.into_iter().map(|x| (x.id, x)));
                self.surveys.extend(t.surveys.into_iter().map(|x| (x.id, x)));
                self.tickets.extend(t.tickets.into_iter().map(|x| (x.id, x)));
                self.marks.extend(t.marks.into_iter().map(|m| (m.key.clone(), m)));
            }
            Archivable::Person(c, p) => {
                if let Some(t) = self.trash.persons.remove(&(c, p)) {
                    self.persons.insert((c, p), t.person);
                }
            }
        }
    }

    /// Forgets an archived record for good (a purged client takes its
    /// archived persons along).
    pub(super) fn purge(&mut self, key: Archivable) {
        match key {
            Archivable::Client(id) => {
                self.trash.clients.remove(&id);
                self.trash.persons.retain(|(c, _), _| *c != id);
            }
            Archivable::Person(c, p) => {
                self.trash.persons.remove(&(c, p));
            }
        }
    }
}

/// Removes the entries `pick` says yes to and returns their values.
fn take<K: Ord + Clone, V>(map: &mut BTreeMap<K, V>, pick: impl Fn(&K, &V) -> bool) -> Vec<V> {
    let keys: Vec<K> = map.iter().filter(|(k, v)| pick(k, v)).map(|(k, _)| k.clone()).collect();
    keys.iter().filter_map(|k| map.remove(k)).collect()
}
