//! The client filter every view shares: the typed pattern and its fuzzy
//! hits, the manager picked in the reports, and the class totals over
//! what they leave. The clients list shows it, the matrix takes its rows
//! from it, the status line shows the pattern on every tab.

use rapport::classes::{Classes, Totals};
use rapport::domain::{ClientId, ManagerId};
use rapport::model::{Change, Model};

use super::fuzzy::{Hits, Search};

pub struct Filter {
    search: Search,
    /// The pattern is being typed.
    pub open: bool,
    pub pattern: String,
    /// Hits of the pattern, best first, with their scores.
    hits: Option<Hits>,
    /// Only this manager's clients (picked from the reports).
    pub manager: Option<ManagerId>,
    /// Class totals over the clients left, when something narrows them.
    totals: Option<Totals>,
}

impl Filter {
    pub fn new(search: Search) -> Filter {
        Filter {
            search,
            open: false,
            pattern: String::new(),
            hits: None,
            manager: None,
            totals: None,
        }
    }

    pub fn search(&self) -> &Search {
        &self.search
    }

    /// Whether the pattern or the manager leaves out some clients.
    pub fn narrows(&self) -> bool {
        self.hits.is_some() || self.manager.is_some()
    }

    /// Whether a pattern narrows the list (its hits are ranked).
    pub fn ranked(&self) -> bool {
        self.hits.is_some()
    }

    pub fn hit_count(&self) -> Option<usize> {
        self.hits.as_ref().map(|h| h.ranked.len())
    }

    pub fn totals(&self) -> Option<&Totals> {
        self.totals.as_ref()
    }

    /// The clients left, best hit first (or in id order without a
    /// pattern), into `rows` (refilled in place: the buffer outlives the
    /// keystroke).
    pub fn shown_into(&self, model: &Model, rows: &mut Vec<ClientId>) {
        let manager = self.manager;
        let shown = |id: &ClientId| manager.is_none_or(|m| model.clients.get(id).is_some_and(|c| c.manager == Some(m)));
        rows.clear();
        match &self.hits {
            Some(h) => rows.extend(h.ranked.iter().map(|(id, _)| *id).filter(shown)),
            None => rows.extend(model.clients.keys().copied().filter(shown)),
        }
    }

    /// Matches the pattern again (a longer one narrows the last hits: the
    /// search keeps them).
    pub fn refilter(&mut self) {
        if self.pattern.trim().is_empty() {
            if let Some(hits) = self.hits.take() {
                self.search.give_back(hits);
            }
        } else {
            let recycle = self.hits.take();
            self.hits = Some(self.search.filter(&self.pattern, recycle));
        }
    }

    /// Clears the pattern (and closes it).
    pub fn clear(&mut self) {
        self.open = false;
        self.pattern.clear();
        self.refilter();
    }

    /// Recounts the class totals of the clients left when something
    /// narrows them: one merge of two id-ordered lists.
    pub fn recount(&mut self, model: &Model, classes: &Classes) {
        let filtered = self.hits.is_some() || self.manager.is_some();
        self.totals = filtered.then(|| {
            let sorted;
            let ids: &[ClientId] = match (&self.hits, self.manager) {
                (Some(h), None) => &h.ascending,
                _ => {
                    let mut rows = Vec::new();
                    self.shown_into(model, &mut rows);
                    rows.sort_unstable();
                    sorted = rows;
                    &sorted
                }
            };
            let mut totals = Totals::default();
            let mut classes = classes.clients.iter().peekable();
            for &id in ids {
                while classes.next_if(|c| c.client < id).is_some() {}
                if let Some(c) = classes.peek().filter(|c| c.client == id) {
                    totals.add(c);
                }
            }
            totals
        });
    }

    /// The character positions of a client's name (`shown`) the pattern
    /// matched.
    pub fn highlight(&self, id: ClientId, shown: &str) -> Vec<usize> {
        if self.pattern.trim().is_empty() {
            Vec::new()
        } else {
            self.search.highlight(id, shown, &self.pattern)
        }
    }

    /// Keeps the index current after an event: the filter also searches
    /// segment and contact-person names.
    pub fn applied(&mut self, model: &Model, changes: &[Change]) {
        for change in changes {
            match change {
                Change::Client(c) => self.search.update(model, c.id),
                Change::Person(p) => self.search.update(model, p.client),
                Change::Segment(_) => self.search = Search::build(model),
                _ => {}
            }
        }
        if !self.pattern.trim().is_empty() {
            self.refilter();
        }
    }

    /// Starts again from a new model (the pattern stays).
    pub fn rebuild(&mut self, model: &Model) {
        self.search = Search::build(model);
        self.hits = None;
        self.refilter();
    }
}
