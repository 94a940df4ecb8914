//! A queue kept between reads, as a server keeps it for `rapport today`:
//! built once for a date and a horizon, then brought up to date for the
//! clients changed since (the model's `Touches`) and those whose ABC class
//! moved, instead of built again from every client for each read.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{Days, NaiveDate};

use super::{Horizon, Item, ItemKey, Scope, Want, all_items};
use crate::classes::Classes;
use crate::domain::*;
use crate::model::{Mark, Model};

/// Past this share of the book changed, building it all again is cheaper
/// (a small book is brought up to date all the same: the same code runs
/// for it as for a large one).
const REBUILD_SHARE: usize = 4;
const SMALL_BOOK: usize = 1024;

#[derive(Default)]
pub struct Kept {
    last: Mutex<Option<State>>,
    /// How many times the items were built from every client.
    built: AtomicU64,
}

struct State {
    as_of: NaiveDate,
    horizon: Horizon,
    /// Where the model's history stood when the items were brought up to date.
    mark: Mark,
    /// The classes they were built with.
    classes: Arc<Classes>,
    /// Every item of the whole book, by the client it is about.
    by_client: HashMap<ClientId, Vec<Item>>,
}

impl Kept {
    /// `super::due_within`'s items, from what is kept, handed to `read`
    /// (borrowed: a manager's list is tens of thousands of items).
    pub fn read_due<R>(
        &self,
        model: &Model,
        classes: Arc<Classes>,
        as_of: NaiveDate,
        scope: Scope,
        horizon: Horizon,
        read: impl FnOnce(&[&Item]) -> R,
    ) -> R {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let state = match last.take() {
            Some(state) if state.as_of == as_of && state.horizon == horizon => state.brought_up(model, classes.clone()),
            _ => None,
        };
        let state = last.insert(state.unwrap_or_else(|| {
            self.built.fetch_add(1, Ordering::Relaxed);
            State::build(model, classes, as_of, horizon)
        }));
        let mut items = state.select(model, scope);
        items.sort_by_key(|i| (i.due, i.kind, i.client, i.key));
        read(&items)
    }

    /// How many times the items were built from every client (the other
    /// reads brought them up to date).
    pub fn builds(&self) -> u64 {
        self.built.load(Ordering::Relaxed)
    }
}

impl State {
    fn want(as_of: NaiveDate, horizon: Horizon, only: Option<&BTreeSet<ClientId>>) -> Want<'_> {
        Want {
            scope: Scope::All,
            only,
            until: Some(as_of.checked_add_days(Days::new(horizon.days)).unwrap_or(as_of)),
            later_tasks: horizon.later_tasks,
            reasons: true,
        }
    }

    fn build(model: &Model, classes: Arc<Classes>, as_of: NaiveDate, horizon: Horizon) -> State {
        let mut by_client: HashMap<ClientId, Vec<Item>> = HashMap::with_capacity(model.clients.len());
        all_items(model, &classes, as_of, &State::want(as_of, horizon, None), &mut |i| {
            by_client.entry(i.client).or_default().push(i);
        });
        State {
            as_of,
            horizon,
            mark: model.touches().mark(),
            classes,
            by_client,
        }
    }

    /// The items again for the clients changed since they were built, and
    /// for those whose ABC class moved (their cadence did); `None` when
    /// building them all is needed, or cheaper.
    fn brought_up(mut self, model: &Model, classes: Arc<Classes>) -> Option<State> {
        let mut touched = model.touches().since(self.mark)?;
        if !Arc::ptr_eq(&self.classes, &classes) {
            abc_moved(&self.classes, &classes, &mut touched);
        }
        if touched.len() * REBUILD_SHARE > model.clients.len().max(SMALL_BOOK) {
            return None;
        }
        if !touched.is_empty() {
            for c in &touched {
                self.by_client.remove(c);
            }
            let by_client = &mut self.by_client;
            let want = State::want(self.as_of, self.horizon, Some(&touched));
            all_items(model, &classes, self.as_of, &want, &mut |i| {
                by_client.entry(i.client).or_default().push(i);
            });
        }
        self.mark = model.touches().mark();
        self.classes = classes;
        Some(self)
    }

    /// The items `scope` sees, as `all_items` picks them: a manager's
    /// clients', and the tickets they own about other clients.
    fn select(&self, model: &Model, scope: Scope) -> Vec<&Item> {
        let Scope::Manager(m) = scope else {
            return self.by_client.values().flatten().collect();
        };
        let mut items: Vec<&Item> = model
            .clients
            .values()
            .filter(|c| c.manager == Some(m))
            .filter_map(|c| self.by_client.get(&c.id))
            .flatten()
            .collect();
        let theirs = |c: ClientId| model.clients.get(&c).is_some_and(|c| c.manager == Some(m));
        for t in model
            .tickets
            .values()
            .filter(|t| t.owner == Some(m) && !theirs(t.client))
        {
            let ticket = self
                .by_client
                .get(&t.client)
                .and_then(|items| items.iter().find(|i| i.key == ItemKey::Ticket(t.id)));
            items.extend(ticket);
        }
        items
    }
}

/// Adds to `touched` each client whose ABC class differs between `old`
/// and `new` (both sorted by client).
fn abc_moved(old: &Classes, new: &Classes, touched: &mut BTreeSet<ClientId>) {
    let mut old = old.clients.iter().peekable();
    let mut new = new.clients.iter().peekable();
    loop {
        match (old.peek(), new.peek()) {
            (None, None) => return,
            (Some(o), Some(n)) if o.client == n.client => {
                if o.abc != n.abc {
                    touched.insert(o.client);
                }
                old.next();
                new.next();
            }
            (Some(o), Some(n)) if o.client < n.client => {
                touched.insert(o.client);
                old.next();
            }
            (Some(o), None) => {
                touched.insert(o.client);
                old.next();
            }
            (_, Some(n)) => {
                touched.insert(n.client);
                new.next();
            }
        }
    }
}
