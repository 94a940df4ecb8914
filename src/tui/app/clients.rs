//! The clients list: the fuzzy filter and its totals, sorting (keeping the
//! cursor's client), the selection and the client card beside it.

use super::*;

impl App {
    pub fn filter_hits(&self) -> Option<usize> {
        self.hits.as_ref().map(|h| h.ranked.len())
    }

    /// Class totals over the filter, when one is active.
    pub fn filter_totals(&self) -> Option<&Totals> {
        self.filter_totals.as_ref()
    }

    /// Recounts the totals of the listed clients when a filter narrows
    /// them: one merge of two id-ordered lists.
    pub(super) fn recount(&mut self) {
        let filtered = self.hits.is_some() || self.manager_filter.is_some();
        self.filter_totals = filtered.then(|| {
            let sorted;
            let ids: &[ClientId] = match (&self.hits, self.manager_filter) {
                (Some(h), None) => &h.ascending,
                _ => {
                    let mut rows = self.rows.clone();
                    rows.sort_unstable();
                    sorted = rows;
                    &sorted
                }
            };
            let mut totals = Totals::default();
            let mut classes = self.engine.classes().clients.iter().peekable();
            for &id in ids {
                while classes.next_if(|c| c.client < id).is_some() {}
                if let Some(c) = classes.peek().filter(|c| c.client == id) {
                    totals.add(c);
                }
            }
            totals
        });
    }

    pub fn highlight(&self, id: ClientId) -> Vec<usize> {
        if self.filter.trim().is_empty() {
            Vec::new()
        } else {
            self.search.highlight(id, &self.filter)
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        let index = index.min(self.rows.len().saturating_sub(1));
        if index == self.selected {
            // Already there (top or bottom of the list): nothing to redraw.
            self.dirty = false;
            return;
        }
        self.selected = index;
        self.load_detail();
    }

    /// Opens or closes the client card.
    pub fn set_card(&mut self, open: bool) {
        self.card_open = open;
        self.load_detail();
        self.dirty = true;
    }

    /// Reads what the card shows and the model does not hold.
    pub(super) fn load_detail(&mut self) {
        if !self.card_open {
            self.contacts.clear();
            return;
        }
        self.contacts = match self.rows.get(self.selected) {
            Some(id) => match self.data.contacts_of(*id) {
                Ok(mut c) => {
                    c.sort_by_key(|e| std::cmp::Reverse(e.at));
                    // More than any pane shows.
                    c.truncate(40);
                    c
                }
                Err(e) => {
                    self.set_status(format!("Cannot read the contact log: {e}"), Tone::Error);
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
    }

    /// Filters by the pattern (a longer pattern narrows the last hits:
    /// the search keeps them).
    pub(super) fn apply_filter(&mut self) {
        if self.filter.trim().is_empty() {
            if let Some(hits) = self.hits.take() {
                self.search.give_back(hits);
            }
            if self.sort == Column::Relevance {
                self.sort = Column::Name;
                self.descending = false;
            }
        } else {
            let recycle = self.hits.take();
            self.hits = Some(self.search.filter(&self.filter, recycle));
            self.sort = Column::Relevance;
            self.descending = true;
        }
        let keep = self.rows.get(self.selected).copied();
        self.refresh_rows(None);
        // A new pattern selects its best match, as an incremental filter
        // should; clearing the filter keeps the client that was selected.
        if self.hits.is_some() && self.selected != 0 {
            self.selected = 0;
            self.load_detail();
        } else if self.hits.is_none() {
            self.refresh_rows(keep);
        }
    }

    /// Rebuilds the list from the filter and the sort, keeping `keep` (or
    /// the current client) selected where it still shows.
    pub(super) fn refresh_rows(&mut self, keep: Option<ClientId>) {
        let keep = keep.or_else(|| self.rows.get(self.selected).copied());
        self.matrix.stale = true;
        let model = self.data.model();
        let shown = |id: &ClientId| {
            self.manager_filter
                .is_none_or(|m| model.clients.get(id).is_some_and(|c| c.manager == Some(m)))
        };
        // Refilled in place: the buffer outlives the keystroke.
        self.rows.clear();
        match &self.hits {
            Some(h) => self.rows.extend(h.ranked.iter().map(|(id, _)| *id).filter(shown)),
            None => self.rows.extend(model.clients.keys().copied().filter(shown)),
        }
        self.recount();
        self.resort_keep(keep);
    }

    pub(super) fn resort(&mut self) {
        let keep = self.rows.get(self.selected).copied();
        self.resort_keep(keep);
    }

    pub(super) fn resort_keep(&mut self, keep: Option<ClientId>) {
        let model = self.data.model();
        let classes = self.engine.classes();
        let rank = |c: ClientId| classes.get(c);
        let sort = self.sort;
        match sort {
            Column::Relevance => {
                if let Some(h) = &self.hits {
                    let manager = self.manager_filter;
                    self.rows.clear();
                    self.rows.extend(h.ranked.iter().map(|(id, _)| *id).filter(|id| {
                        manager.is_none_or(|m| model.clients.get(id).is_some_and(|c| c.manager == Some(m)))
                    }));
                }
            }
            Column::Name | Column::Segment | Column::Manager => {
                // Folded once per segment and manager, not once per client;
                // names come folded from the search index.
                let segments: HashMap<SegmentId, String> =
                    model.segments.values().map(|s| (s.id, fold(&s.name).0)).collect();
                let managers: HashMap<ManagerId, String> =
                    model.managers.values().map(|m| (m.id, fold(&m.name).0)).collect();
                const LAST: &str = "\u{10ffff}";
                let search = &self.search;
                let key = |id: &ClientId| -> &str {
                    let c = model.clients.get(id);
                    match sort {
                        Column::Segment => c
                            .and_then(|c| c.segment)
                            .and_then(|s| segments.get(&s))
                            .map_or(LAST, String::as_str),
                        Column::Manager => c
                            .and_then(|c| c.manager)
                            .and_then(|m| managers.get(&m))
                            .map_or(LAST, String::as_str),
                        _ => search.name_key(*id).unwrap_or(""),
                    }
                };
                let mut keyed: Vec<(&str, ClientId)> = self.rows.iter().map(|id| (key(id), *id)).collect();
                keyed.sort_unstable();
                let rows: Vec<ClientId> = keyed.into_iter().map(|(_, id)| id).collect();
                self.rows = rows;
            }
            Column::Class => self.rows.sort_by_key(|id| {
                let c = rank(*id);
                (
                    c.and_then(|c| c.abc).map_or(3, |a| a as u8),
                    c.and_then(|c| c.xyz).map_or(3, |x| x as u8),
                    *id,
                )
            }),
            Column::Status => self
                .rows
                .sort_by_key(|id| (rank(*id).map_or(0, |c| c.status as u8), *id)),
            Column::Maturity => self.rows.sort_by_key(|id| {
                let m = rank(*id).and_then(|c| c.maturity);
                // Ascending: no portrait first, then the least mature.
                (m.map_or(-1, |(u, t)| (u as i64 * 1000) / t.max(1) as i64), *id)
            }),
            Column::Turnover => self
                .rows
                .sort_by_key(|id| (rank(*id).map_or(0, |c| c.turnover), std::cmp::Reverse(*id))),
            Column::NextDue => {
                if self.next_due.is_none() {
                    self.load_next_due();
                }
                let next = self.next_due.as_ref();
                self.rows.sort_by_key(|id| {
                    let due = next.and_then(|m| m.get(id)).copied();
                    (due.unwrap_or(NaiveDate::MAX), *id)
                })
            }
        }
        // Keys sort ascending; filter hits come best first.
        let natural_descending = sort == Column::Relevance;
        if self.descending != natural_descending {
            self.rows.reverse();
        }
        let index = keep.and_then(|k| self.rows.iter().position(|id| *id == k)).unwrap_or(0);
        self.selected = index;
        self.load_detail();
        if self.tab == Tab::Matrix && self.matrix.stale {
            self.rebuild_matrix();
        }
    }
}
