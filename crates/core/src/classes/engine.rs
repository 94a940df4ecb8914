//! Keeping the classes current. A change to one client (a settlement, its
//! segment, an offer) recomputes that client's figures from its aggregate;
//! the ABC ranking and the totals are then redone over everyone, because
//! one client's turnover moves every other client's rank (SPEC §4.5).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use super::stats::{Window, client_stats};
use super::{Abc, Classes, ClientClasses, Totals};
use crate::domain::{Client, ClientId, ProductId, SegmentId};

/// Portfolios at least this big are computed on two threads.
const PARALLEL_FROM: usize = 20_000;
use crate::model::{Change, ClientAggregate, Model};

pub struct Engine {
    window: Window,
    abc_percent: (u32, u32),
    targets: HashMap<SegmentId, Vec<ProductId>>,
    classes: Classes,
}

impl Engine {
    /// Computes every client's classes as of `as_of`.
    pub fn new(model: &Model, as_of: NaiveDate) -> Engine {
        let mut e = Engine {
            window: Window::new(as_of, &model.settings),
            abc_percent: (0, 0),
            targets: HashMap::new(),
            classes: Classes {
                as_of,
                clients: Vec::new(),
                totals: Totals::default(),
            },
        };
        e.recompute_all(model, as_of);
        e
    }

    pub fn classes(&self) -> &Classes {
        &self.classes
    }

    pub fn into_classes(self) -> Classes {
        self.classes
    }

    pub fn as_of(&self) -> NaiveDate {
        self.window.as_of
    }

    /// A new as-of date: every client's figures again, from the aggregates.
    pub fn set_as_of(&mut self, model: &Model, as_of: NaiveDate) {
        self.recompute_all(model, as_of);
    }

    /// Brings the classes up to date after `changes` were applied to `model`.
    pub fn apply(&mut self, model: &Model, changes: &[Change]) {
        let mut touched = BTreeSet::new();
        for change in changes {
            match change {
                Change::Settings(_) => {
                    self.recompute_all(model, self.window.as_of);
                    return;
                }
                Change::Portrait { segment, .. } => {
                    self.targets.insert(*segment, model.targets(*segment).collect());
                    touched.extend(
                        model
                            .clients
                            .values()
                            .filter(|c| c.segment == Some(*segment))
                            .map(|c| c.id),
                    );
                }
                Change::Client(c) => {
                    touched.insert(c.id);
                }
                Change::Settlement { old, new } => {
                    touched.extend(old.iter().chain(new).map(|s| s.client));
                }
                Change::Offer(o) | Change::OfferRemoved(o) => {
                    touched.insert(o.client);
                }
                Change::Archive { key, .. } | Change::Purge { key, .. } => {
                    touched.insert(key.client());
                }
                Change::Manager(_)
                | Change::Segment(_)
                | Change::Product(_)
                | Change::Person(_)
                | Change::Contact(_)
                | Change::Task(_)
                | Change::Survey(_)
                | Change::Ticket(_)
                | Change::Questionnaire(_)
                | Change::Mark { .. }
                | Change::ContactRewritten { .. }
                | Change::TaskRemoved(_)
                | Change::SurveyRemoved(_)
                | Change::Template(_)
                | Change::Sales { .. }
                | Change::PersonRemoved(_)
                | Change::Merge(_)
                | Change::OfferWas { .. } => {}
            }
        }
        if touched.is_empty() {
            return;
        }
        for id in touched {
            self.recompute_client(model, id);
        }
        self.rank();
    }

    fn recompute_all(&mut self, model: &Model, as_of: NaiveDate) {
        self.window = Window::new(as_of, &model.settings);
        self.abc_percent = (model.settings.abc_a_percent, model.settings.abc_b_percent);
        self.targets.clear();
        for id in model.segments.keys() {
            self.targets.insert(*id, model.targets(*id).collect());
        }
        self.classes.as_of = as_of;
        let clients: Vec<&Client> = model.clients.values().collect();
        // Big portfolios are split across two threads (the machines this
        // runs on have two cores); small ones are not worth a thread.
        let list = if clients.len() >= PARALLEL_FROM {
            let (left, right) = clients.split_at(clients.len() / 2);
            std::thread::scope(|scope| {
                let right = scope.spawn(|| self.figures_of(model, right));
                let mut list = self.figures_of(model, left);
                match right.join() {
                    Ok(rest) => list.extend(rest),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
                list
            })
        } else {
            self.figures_of(model, &clients)
        };
        self.classes.clients = list;
        self.rank();
    }

    /// Figures for a run of clients in id order. Clients, aggregates and
    /// offers are all ordered by client id: walk them together instead of
    /// looking each one up.
    fn figures_of(&self, model: &Model, clients: &[&Client]) -> Vec<ClientClasses> {
        let Some(first) = clients.first().map(|c| c.id) else {
            return Vec::new();
        };
        let mut offers = model.offers.range((first, ProductId(0))..).map(|(_, o)| o).peekable();
        let mut aggregates = model.aggregates.range(first..).peekable();
        let empty = ClientAggregate::default();
        let mut used = Vec::new();
        let mut list = Vec::with_capacity(clients.len());
        for client in clients {
            used.clear();
            while let Some(o) = offers.next_if(|o| o.client <= client.id) {
                if o.client == client.id && o.stage.counts_as_used() {
                    used.push(o.product);
                }
            }
            while aggregates.next_if(|(id, _)| **id < client.id).is_some() {}
            let agg = aggregates
                .peek()
                .filter(|(id, _)| **id == client.id)
                .map_or(&empty, |(_, a)| *a);
            list.push(self.figures(client, agg, &used));
        }
        list
    }

    fn recompute_client(&mut self, model: &Model, id: ClientId) {
        let used: Vec<ProductId> = model
            .offers_of(id)
            .filter(|o| o.stage.counts_as_used())
            .map(|o| o.product)
            .collect();
        let empty = ClientAggregate::default();
        let agg = model.aggregate(id).unwrap_or(&empty);
        let list = &mut self.classes.clients;
        let at = list.binary_search_by_key(&id, |c| c.client);
        // An archived (or purged) client leaves the classes and the ranking.
        let Some(client) = model.clients.get(&id) else {
            if let Ok(i) = at {
                list.remove(i);
            }
            return;
        };
        let figures = self.figures(client, agg, &used);
        let list = &mut self.classes.clients;
        match at {
            Ok(i) => list[i] = figures,
            Err(i) => list.insert(i, figures),
        }
    }

    /// The classes `client` would have, as of this engine's date, with
    /// settlements summed up as `agg` and every other client as it is (its
    /// ABC class placed among theirs as `rank` places it): how a settlement
    /// moved a client, for its history. `None` for a client not in `model`.
    pub fn with_aggregate(&self, model: &Model, client: ClientId, agg: &ClientAggregate) -> Option<ClientClasses> {
        let c = model.clients.get(&client)?;
        let used: Vec<ProductId> = model
            .offers_of(client)
            .filter(|o| o.stage.counts_as_used())
            .map(|o| o.product)
            .collect();
        let mut figures = self.figures(c, agg, &used);
        if figures.turnover > 0 {
            let t = figures.turnover;
            let (mut before, mut total): (i128, i128) = (0, t as i128);
            for other in self
                .classes
                .clients
                .iter()
                .filter(|o| o.client != client && o.turnover > 0)
            {
                total += other.turnover as i128;
                if other.turnover > t || (other.turnover == t && other.client < client) {
                    before += other.turnover as i128;
                }
            }
            let (a, b) = (self.abc_percent.0 as i128, self.abc_percent.1 as i128);
            figures.abc = Some(if 100 * before < a * total {
                Abc::A
            } else if 100 * before < b * total {
                Abc::B
            } else {
                Abc::C
            });
        }
        Some(figures)
    }

    /// Everything but the ABC class, which needs the ranking.
    fn figures(&self, client: &Client, agg: &ClientAggregate, offer_used: &[ProductId]) -> ClientClasses {
        let targets = client
            .segment
            .and_then(|s| self.targets.get(&s))
            .map_or(&[][..], |t| t.as_slice());
        let s = client_stats(agg, targets, offer_used, &self.window);
        ClientClasses {
            client: client.id,
            abc: None,
            xyz: s.xyz,
            status: s.status,
            maturity: s.maturity,
            turnover: s.turnover,
            cv: s.cv,
            cooperation_months: s.cooperation_months,
            first_settlement: s.first,
            last_settlement: s.last,
        }
    }

    /// SPEC §4.1: rank clients with T > 0 by T descending, ties by id; a
    /// client is A while the turnover ranked before it is under a % of the
    /// total, B under b %, else C. Integers only.
    fn rank(&mut self) {
        let clients = &mut self.classes.clients;
        let mut ranked: Vec<(i64, usize)> = clients
            .iter()
            .enumerate()
            .filter(|(_, c)| c.turnover > 0)
            .map(|(i, c)| (c.turnover, i))
            .collect();
        // Indexes follow client ids, so (−T, index) orders ties by id.
        ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let total: i128 = ranked.iter().map(|(t, _)| *t as i128).sum();
        let (a, b) = (self.abc_percent.0 as i128, self.abc_percent.1 as i128);
        for c in clients.iter_mut() {
            c.abc = None;
        }
        let mut before: i128 = 0;
        for (turnover, i) in ranked {
            let class = if 100 * before < a * total {
                Abc::A
            } else if 100 * before < b * total {
                Abc::B
            } else {
                Abc::C
            };
            clients[i].abc = Some(class);
            before += turnover as i128;
        }
        let mut totals = Totals::default();
        for c in clients.iter() {
            totals.add(c);
        }
        self.classes.totals = totals;
    }
}
