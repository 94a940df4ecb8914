//! The in-memory read model: everything the views and computations read,
//! loaded at open and kept current by applying the same `Change`s the store
//! writes (so a remote session can keep its own copy from pushed events).
//! Settlements themselves stay on disk; the model keeps per-client
//! aggregates of them.

pub mod aggregate;
mod change;
pub mod halves;
pub mod sales;
mod touches;
pub mod trash;

pub use aggregate::{ClientAggregate, DayTotal, ProductDay};
pub use change::Change;
pub use sales::Sales;
pub use touches::{Mark, Touches};
pub use trash::{Trash, TrashedClient, TrashedPerson};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::domain::*;

/// The last id handed out of each kind, and the last audit sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub seq: u64,
    pub manager: u32,
    pub segment: u32,
    pub product: u32,
    pub client: u32,
    pub person: u64,
    pub settlement: u64,
    pub contact: u64,
    pub task: u64,
    pub survey: u64,
    pub ticket: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub settings: Settings,
    pub counters: Counters,
    pub managers: BTreeMap<ManagerId, Manager>,
    pub segments: BTreeMap<SegmentId, Segment>,
    pub products: BTreeMap<ProductId, Product>,
    pub portrait: BTreeSet<(SegmentId, ProductId)>,
    pub clients: BTreeMap<ClientId, Client>,
    pub persons: BTreeMap<(ClientId, PersonId), ContactPerson>,
    pub aggregates: BTreeMap<ClientId, ClientAggregate>,
    pub offers: BTreeMap<(ClientId, ProductId), Offer>,
    pub tasks: BTreeMap<TaskId, Task>,
    pub surveys: BTreeMap<SurveyId, Survey>,
    pub tickets: BTreeMap<TicketId, Ticket>,
    /// Queue marks by item key (SPEC §5: done, snoozed, next contact).
    pub marks: BTreeMap<String, QueueMark>,
    /// Per-product survey questions (SPEC §6).
    pub questionnaires: BTreeMap<ProductId, Questionnaire>,
    /// Archived clients and persons, out of every other map.
    pub trash: Trash,
    /// The company's document templates a lead stored (SPEC §9).
    pub templates: BTreeMap<crate::templates::DocKind, crate::templates::Template>,
    /// Documents, offer terms, acquisition sources and the lead's lists (SPEC §9).
    pub sales: Sales,
    #[serde(skip)]
    index: Index,
    #[serde(skip)]
    touches: Touches,
}

/// Lookups by the keys users type; derived from the records.
#[derive(Clone, Debug, Default, PartialEq)]
struct Index {
    client_by_ref: HashMap<String, ClientId>,
    segment_by_code: HashMap<String, SegmentId>,
    product_by_code: HashMap<String, ProductId>,
    manager_by_login: HashMap<String, ManagerId>,
}

impl Index {
    fn build(
        clients: &BTreeMap<ClientId, Client>,
        segments: &BTreeMap<SegmentId, Segment>,
        products: &BTreeMap<ProductId, Product>,
        managers: &BTreeMap<ManagerId, Manager>,
    ) -> Index {
        Index {
            client_by_ref: clients.values().map(|c| (c.reference.clone(), c.id)).collect(),
            segment_by_code: segments.values().map(|s| (s.code.clone(), s.id)).collect(),
            product_by_code: products.values().map(|p| (p.code.clone(), p.id)).collect(),
            manager_by_login: managers.values().map(|m| (m.login.clone(), m.id)).collect(),
        }
    }
}

impl Model {
    pub fn client_by_ref(&self, reference: &str) -> Option<&Client> {
        self.index
            .client_by_ref
            .get(reference)
            .and_then(|id| self.clients.get(id))
    }
    pub fn segment_by_code(&self, code: &str) -> Option<&Segment> {
        self.index
            .segment_by_code
            .get(code)
            .and_then(|id| self.segments.get(id))
    }
    pub fn product_by_code(&self, code: &str) -> Option<&Product> {
        self.index
            .product_by_code
            .get(code)
            .and_then(|id| self.products.get(id))
    }
    pub fn manager_by_login(&self, login: &str) -> Option<&Manager> {
        self.index
            .manager_by_login
            .get(login)
            .and_then(|id| self.managers.get(id))
    }

    /// The survey questions of a product: its own, or the default ones.
    pub fn questions(&self, product: ProductId) -> &[String] {
        self.questionnaires
            .get(&product)
            .map_or(&self.settings.survey_questions, |q| &q.questions)
    }

    /// The target products of a segment (its portrait).
    pub fn targets(&self, segment: SegmentId) -> impl Iterator<Item = ProductId> + '_ {
        self.portrait
            .range((segment, ProductId(0))..=(segment, ProductId(u32::MAX)))
            .map(|&(_, p)| p)
    }

    pub fn persons_of(&self, client: ClientId) -> impl Iterator<Item = &ContactPerson> {
        self.persons
            .range((client, PersonId(0))..=(client, PersonId(u64::MAX)))
            .map(|(_, p)| p)
    }

    pub fn offers_of(&self, client: ClientId) -> impl Iterator<Item = &Offer> {
        self.offers
            .range((client, ProductId(0))..=(client, ProductId(u32::MAX)))
            .map(|(_, o)| o)
    }

    pub fn aggregate(&self, client: ClientId) -> Option<&ClientAggregate> {
        self.aggregates.get(&client)
    }

    /// Applies one change; the store calls this for what it writes, a
    /// remote session for what it is pushed.
    pub fn apply(&mut self, change: &Change) {
        self.apply_owned(change.clone());
    }

    /// `apply` for a change the caller no longer needs: records move into
    /// the model without a copy (loading reads millions of them).
    pub fn apply_owned(&mut self, change: Change) {
        self.note_touches(&change);
        match change {
            Change::Settings(s) => self.settings = s,
            Change::Manager(m) => {
                self.counters.manager = self.counters.manager.max(m.id.0);
                if let Some(old) = self.managers.get(&m.id) {
                    self.index.manager_by_login.remove(&old.login);
                }
                self.index.manager_by_login.insert(m.login.clone(), m.id);
                self.managers.insert(m.id, m);
            }
            Change::Segment(s) => {
                self.counters.segment = self.counters.segment.max(s.id.0);
                if let Some(old) = self.segments.get(&s.id) {
                    self.index.segment_by_code.remove(&old.code);
                }
                self.index.segment_by_code.insert(s.code.clone(), s.id);
                self.segments.insert(s.id, s);
            }
            Change::Product(p) => {
                self.counters.product = self.counters.product.max(p.id.0);
                if let Some(old) = self.products.get(&p.id) {
                    self.index.product_by_code.remove(&old.code);
                }
                self.index.product_by_code.insert(p.code.clone(), p.id);
                self.products.insert(p.id, p);
            }
            Change::Portrait {
                segment,
                product,
                target,
            } => {
                if target {
                    self.portrait.insert((segment, product));
                } else {
                    self.portrait.remove(&(segment, product));
                }
            }
            Change::Client(c) => {
                self.counters.client = self.counters.client.max(c.id.0);
                if let Some(old) = self.clients.get(&c.id) {
                    self.index.client_by_ref.remove(&old.reference);
                }
                self.index.client_by_ref.insert(c.reference.clone(), c.id);
                self.aggregates.entry(c.id).or_default();
                self.clients.insert(c.id, c);
            }
            Change::Person(p) => {
                self.counters.person = self.counters.person.max(p.id.0);
                self.persons.insert((p.client, p.id), p);
            }
            Change::Settlement { old, new } => {
                if let Some(old) = old {
                    self.aggregates.entry(old.client).or_default().remove_settlement(&old);
                }
                if let Some(new) = new {
                    self.counters.settlement = self.counters.settlement.max(new.id.0);
                    self.aggregates.entry(new.client).or_default().add_settlement(&new);
                }
            }
            Change::Offer(o) => {
                self.offers.insert((o.client, o.product), o);
            }
            Change::Contact(c) => {
                self.counters.contact = self.counters.contact.max(c.id.0);
                self.aggregates.entry(c.client).or_default().record_contact(c.at);
            }
            Change::Task(t) => {
                self.counters.task = self.counters.task.max(t.id.0);
                self.tasks.insert(t.id, t);
            }
            Change::Survey(s) => {
                self.counters.survey = self.counters.survey.max(s.id.0);
                self.surveys.insert(s.id, s);
            }
            Change::Ticket(t) => {
                self.counters.ticket = self.counters.ticket.max(t.id.0);
                self.tickets.insert(t.id, *t);
            }
            Change::Questionnaire(q) => {
                self.questionnaires.insert(q.product, q);
            }
            Change::Mark { key, mark } => match mark {
                Some(m) => {
                    self.marks.insert(key, m);
                }
                None => {
                    self.marks.remove(&key);
                }
            },
            Change::Archive { key, archival } => match archival {
                Some(a) => self.archive(a),
                None => self.restore(key),
            },
            Change::Purge { key, .. } => self.purge(key),
            Change::ContactRewritten { old, new, last_contact } => {
                let agg = self.aggregates.entry(old.client).or_default();
                if new.is_none() {
                    agg.contacts = agg.contacts.saturating_sub(1);
                }
                agg.last_contact = last_contact;
            }
            Change::TaskRemoved(t) => {
                self.tasks.remove(&t.id);
            }
            Change::Template(t) => {
                self.templates.insert(t.kind, t);
            }
            Change::SurveyRemoved(s) => {
                self.surveys.remove(&s.id);
            }
            Change::Sales { key, record } => self.sales.apply(key, record),
            Change::PersonRemoved(p) => {
                self.persons.remove(&(p.client, p.id));
            }
            Change::OfferRemoved(o) => {
                self.offers.remove(&(o.client, o.product));
            }
            Change::Merge(_) | Change::OfferWas { .. } => {}
        }
    }

    /// Which clients the latest changes were about.
    pub fn touches(&self) -> &Touches {
        &self.touches
    }

    /// Notes the clients `change` is about, as they were before it and as
    /// it leaves them (a ticket or a task may move to another client, a
    /// merge empties one into another).
    fn note_touches(&mut self, change: &Change) {
        let before = match change {
            Change::Settlement { old: Some(old), .. } => Some(old.client),
            Change::Task(t) => self.tasks.get(&t.id).map(|old| old.client),
            Change::Ticket(t) => self.tickets.get(&t.id).map(|old| old.client),
            Change::Survey(s) => self.surveys.get(&s.id).map(|old| old.client),
            Change::Merge(j) => Some(j.from),
            Change::Sales {
                key: SalesKey::Document(n),
                ..
            } => self.sales.documents.get(n).map(|d| d.client),
            _ => None,
        };
        if let Some(c) = before {
            self.touches.note(Some(c));
        }
        let after = match change {
            // A document written names its client; one taken back, the
            // client it had (none: any client may be affected).
            Change::Sales {
                key: SalesKey::Document(_),
                record,
            } => match record {
                Some(SalesRecord::Document(d)) => Some(d.client),
                _ => before,
            },
            _ => self.client_of(change),
        };
        self.touches.note(after);
    }

    /// The model as one manager sees it when managers may read only their
    /// own clients: their clients and everything about them, and all the
    /// shared reference data (managers, segments, products, portrait).
    pub fn only_of(&self, manager: ManagerId) -> Model {
        self.only(&|c: &Client| c.manager == Some(manager))
    }

    /// The clients `keep` picks (live or in the trash) and everything about
    /// them, and all the shared reference data and counters.
    pub fn only(&self, keep: &dyn Fn(&Client) -> bool) -> Model {
        let ids: BTreeSet<ClientId> = self.clients.values().filter(|c| keep(c)).map(|c| c.id).collect();
        let mine = |c: &ClientId| ids.contains(c);
        // A few clients (one command's) are read by key; a share by a walk.
        let few = ids.len() * 64 < self.clients.len();
        let (marks, trash, sales) = self.copied_parts(keep, &mine);
        let mut m = Model {
            settings: self.settings.clone(),
            counters: self.counters.clone(),
            managers: self.managers.clone(),
            segments: self.segments.clone(),
            products: self.products.clone(),
            portrait: self.portrait.clone(),
            clients: picked(&self.clients, &ids, few, |c| c..=c, |c, _| mine(c)),
            persons: picked(
                &self.persons,
                &ids,
                few,
                |c| (c, PersonId(0))..=(c, PersonId(u64::MAX)),
                |(c, _), _| mine(c),
            ),
            aggregates: picked(&self.aggregates, &ids, few, |c| c..=c, |c, _| mine(c)),
            offers: picked(
                &self.offers,
                &ids,
                few,
                |c| (c, ProductId(0))..=(c, ProductId(u32::MAX)),
                |(c, _), _| mine(c),
            ),
            tasks: kept(&self.tasks, |_, t| mine(&t.client)),
            surveys: kept(&self.surveys, |_, s| mine(&s.client)),
            tickets: kept(&self.tickets, |_, t| mine(&t.client)),
            marks,
            questionnaires: self.questionnaires.clone(),
            trash,
            templates: self.templates.clone(),
            sales,
            index: Index::default(),
            touches: Touches::default(),
        };
        m.rebuild_index();
        m
    }

    /// The queue marks, the trash and the sales records about the clients
    /// `keep` picks (`mine`: their live ids). A share's encoding copies
    /// these too (`halves::Share`): marks are keyed by item, and the trash
    /// and sales records hold their client inside.
    pub(crate) fn copied_parts(
        &self,
        keep: &dyn Fn(&Client) -> bool,
        mine: &dyn Fn(&ClientId) -> bool,
    ) -> (BTreeMap<String, QueueMark>, Trash, Sales) {
        (
            kept(&self.marks, |k, _| self.client_of_mark(k).is_some_and(|c| mine(&c))),
            Trash {
                clients: kept(&self.trash.clients, |_, t| keep(&t.client)),
                persons: kept(&self.trash.persons, |(c, _), _| mine(c)),
            },
            self.sales.only(|c| mine(&c)),
        )
    }

    /// The client a queue mark's key is about.
    pub fn client_of_mark(&self, key: &str) -> Option<ClientId> {
        key.parse::<crate::queue::ItemKey>().ok().and_then(|k| k.client(self))
    }

    /// The client a change is about (`None` for shared reference data).
    pub fn client_of(&self, change: &Change) -> Option<ClientId> {
        match change {
            Change::Settings(_)
            | Change::Manager(_)
            | Change::Segment(_)
            | Change::Product(_)
            | Change::Portrait { .. }
            | Change::Questionnaire(_)
            | Change::Template(_) => None,
            Change::Client(c) => Some(c.id),
            Change::Person(p) => Some(p.client),
            Change::Settlement { old, new } => new.as_ref().or(old.as_ref()).map(|s| s.client),
            Change::Offer(o) => Some(o.client),
            Change::Contact(c) => Some(c.client),
            Change::Task(t) => Some(t.client),
            Change::Survey(s) => Some(s.client),
            Change::Ticket(t) => Some(t.client),
            Change::Mark { key, .. } => self.client_of_mark(key),
            Change::Archive { key, .. } | Change::Purge { key, .. } => Some(key.client()),
            Change::ContactRewritten { old, .. } => Some(old.client),
            Change::TaskRemoved(t) => Some(t.client),
            Change::SurveyRemoved(s) => Some(s.client),
            Change::PersonRemoved(p) => Some(p.client),
            Change::OfferRemoved(o) => Some(o.client),
            Change::Merge(j) => Some(j.into),
            Change::OfferWas { client, .. } => Some(*client),
            Change::Sales { key, .. } => match key {
                SalesKey::Document(n) => self.sales.documents.get(n).map(|d| d.client),
                SalesKey::Terms(c, _) | SalesKey::Acquisition(c) => Some(*c),
                SalesKey::Setup | SalesKey::View(_) => None,
            },
        }
    }

    /// The text of the company's template of `kind`, or the built-in one.
    pub fn template_text(&self, kind: crate::templates::DocKind) -> &str {
        self.templates
            .get(&kind)
            .map_or(kind.default_text(), |t| t.text.as_str())
    }

    /// How a client is named in messages: its ref, or `#id` when unknown.
    pub fn client_label(&self, id: ClientId) -> String {
        self.clients
            .get(&id)
            .or_else(|| self.trash.clients.get(&id).map(|t| &t.client))
            .map_or_else(|| format!("#{id}"), |c| c.reference.clone())
    }

    /// How a client's manager is named in messages: their login, or "no
    /// manager".
    pub fn manager_login(&self, manager: Option<ManagerId>) -> &str {
        manager
            .and_then(|m| self.managers.get(&m))
            .map_or("no manager", |m| m.login.as_str())
    }

    /// How a product is named in messages: its code, or `#id` when unknown.
    pub fn product_label(&self, id: ProductId) -> String {
        self.products
            .get(&id)
            .map_or_else(|| format!("#{id}"), |p| p.code.clone())
    }

    /// The clients `changes` touch (a settlement moved between clients
    /// touches both); `None` when one of them changes shared reference data
    /// or names no client, so that any client may be affected.
    pub fn clients_touched(&self, changes: &[Change]) -> Option<BTreeSet<ClientId>> {
        let mut set = BTreeSet::new();
        for change in changes {
            if let Change::Settlement { old: Some(old), .. } = change {
                set.insert(old.client);
            }
            set.insert(self.client_of(change)?);
        }
        Some(set)
    }

    /// Rebuilds the lookups by user keys (after decoding a snapshot, which
    /// does not carry them).
    pub fn rebuild_index(&mut self) {
        self.index = Index::build(&self.clients, &self.segments, &self.products, &self.managers);
    }

    /// Loading path: the store hands over persisted records directly.
    pub fn insert_aggregate(&mut self, client: ClientId, aggregate: ClientAggregate) {
        self.aggregates.insert(client, aggregate);
    }
}

/// The entries of a map keyed by client that belong to `ids`: read by key
/// range (`range`) when they are `few`, else by a walk with `keep`.
fn picked<K: Ord + Clone, V: Clone>(
    map: &BTreeMap<K, V>,
    ids: &BTreeSet<ClientId>,
    few: bool,
    range: impl Fn(ClientId) -> std::ops::RangeInclusive<K>,
    keep: impl Fn(&K, &V) -> bool,
) -> BTreeMap<K, V> {
    match few {
        true => ids
            .iter()
            .flat_map(|c| map.range(range(*c)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        false => kept(map, keep),
    }
}

/// The entries of `map` that `keep` says yes to.
fn kept<K: Ord + Clone, V: Clone>(map: &BTreeMap<K, V>, keep: impl Fn(&K, &V) -> bool) -> BTreeMap<K, V> {
    map.iter()
        .filter(|(k, v)| keep(k, v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
