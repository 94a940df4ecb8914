//! The clients view: the clients the filter leaves, sorted by a column
//! (keeping the cursor's client), the selection, the client card beside
//! it, and the forms on the selected client (a settlement, its segment;
//! a contact, a task, a complaint and a survey through their owners'
//! forms). Its list keys also work on the views that have none of their
//! own (the app falls back to it).

mod card;
mod classes_pane;
mod forms;
mod list;
mod marks;
mod records;
mod settlements;

use settlements::last_settlements;

pub use classes_pane::grid;

use std::collections::HashMap;

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use rapport::classes::Classes;
use rapport::domain::*;
use rapport::model::{Change, Model};
use rapport::write::Command;

use super::{queue, tickets};
use crate::tui::action::Action;
use crate::tui::app::{App, FormKind};
use crate::tui::cursor::{Cursor, Moved};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::fuzzy::fold;
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Effect, Handled, Refresh, Submitted, View};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Relevance,
    Name,
    Segment,
    Manager,
    Class,
    Status,
    Maturity,
    Turnover,
    NextDue,
}

impl Column {
    pub const SORTABLE: [Column; 9] = [
        Column::Name,
        Column::Segment,
        Column::Manager,
        Column::Class,
        Column::Status,
        Column::Maturity,
        Column::Turnover,
        Column::NextDue,
        Column::Relevance,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Column::Relevance => "relevance",
            Column::Name => "name",
            Column::Segment => "segment",
            Column::Manager => "manager",
            Column::Class => "class",
            Column::Status => "status",
            Column::Maturity => "maturity",
            Column::Turnover => "turnover",
            Column::NextDue => "next due",
        }
    }
}

pub struct ClientsView {
    pub rows: Vec<ClientId>,
    pub cursor: Cursor,
    pub sort: Column,
    pub descending: bool,
    /// The client card (persons, offers, tickets, contact log) beside
    /// the list. Closed, a move in the list redraws two names and the
    /// classes pane's client lines only (issue 4's bytes-per-move budget).
    pub card_open: bool,
    /// The card's contact log (read only while the card is open).
    pub contacts: Vec<ContactEntry>,
    /// The card's last settlements, newest first (read with the log).
    pub settlements: Vec<Settlement>,
    /// Lines of the card scrolled past, and whose card it is (another
    /// client's starts at the top).
    pub card_scroll: u16,
    card_of: Option<ClientId>,
    /// The card's lines at the last draw (scrolling stops at the last).
    pub card_lines: std::cell::Cell<u16>,
    /// Each client's next due date in the queue (the list's column), kept
    /// current client by client after each event. Computed just after the
    /// first frame (`App::finish_loading`), so it does not delay it.
    next_due: Option<HashMap<ClientId, NaiveDate>>,
    /// The longest client name, for the clients count it was measured at.
    pub widest_name: std::cell::Cell<(usize, u16)>,
    /// The "Offer" column (the product to offer next, SPEC §9) is shown
    /// where it fits; `toggle_offer_column` hides it.
    pub offer_column: bool,
    /// Clients marked for a change at once (`marks.rs`).
    pub marked: std::collections::BTreeSet<ClientId>,
    /// The summary of the bulk command submitted: its event clears the marks.
    pending: Option<String>,
}

impl Default for ClientsView {
    fn default() -> Self {
        ClientsView {
            rows: Vec::new(),
            cursor: Cursor::default(),
            sort: Column::Name,
            descending: false,
            card_open: false,
            contacts: Vec::new(),
            settlements: Vec::new(),
            card_scroll: 0,
            card_of: None,
            card_lines: std::cell::Cell::new(0),
            next_due: None,
            widest_name: std::cell::Cell::new((usize::MAX, 0)),
            offer_column: true,
            marked: std::collections::BTreeSet::new(),
            pending: None,
        }
    }
}

impl ClientsView {
    pub fn selected_id(&self) -> Option<ClientId> {
        self.rows.get(self.cursor.selected).copied()
    }

    pub fn selected_client<'m>(&self, model: &'m Model) -> Option<&'m Client> {
        self.selected_id().and_then(|id| model.clients.get(&id))
    }

    /// The next date the client has something due in the queue; `Err`
    /// while still loading.
    pub fn next_due(&self, client: ClientId) -> Result<Option<NaiveDate>, ()> {
        self.next_due.as_ref().map(|m| m.get(&client).copied()).ok_or(())
    }

    pub fn next_due_loaded(&self) -> bool {
        self.next_due.is_some()
    }

    pub fn load_next_due(&mut self, cx: &Ctx) {
        self.next_due = Some(rapport::queue::next_due_by_client(cx.model(), cx.classes(), cx.as_of()));
    }

    /// Opens or closes the client card.
    pub fn set_card(&mut self, open: bool, cx: &mut Ctx) {
        self.card_open = open;
        self.load_detail(cx);
    }

    fn select(&mut self, moved: Moved, cx: &mut Ctx) -> Handled {
        match moved {
            Moved::No => Handled::No,
            Moved::Stayed => Handled::Unchanged,
            Moved::To(_) => {
                self.load_detail(cx);
                Handled::Yes
            }
        }
    }

    /// Reads what the card shows and the model does not hold.
    fn load_detail(&mut self, cx: &mut Ctx) {
        if self.card_of != self.selected_id() {
            self.card_of = self.selected_id();
            self.card_scroll = 0;
        }
        if !self.card_open {
            self.contacts.clear();
            self.settlements.clear();
            return;
        }
        self.settlements = match self.selected_id().map(|id| last_settlements(id, cx)) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                cx.status(e, crate::tui::app::Tone::Error);
                Vec::new()
            }
            None => Vec::new(),
        };
        self.contacts = match self.selected_id() {
            Some(id) => match cx.data.contacts_of(id) {
                Ok(mut c) => {
                    c.sort_by_key(|e| std::cmp::Reverse(e.at));
                    // More than any pane shows.
                    c.truncate(40);
                    c
                }
                Err(e) => {
                    cx.status(
                        format!("Cannot read the contact log: {e}"),
                        crate::tui::app::Tone::Error,
                    );
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
    }

    /// Shows `client` selected with its card open: jumping to a client
    /// (from the queue, a ticket) is to act on it. The app has cleared a
    /// filter that hid it.
    pub fn show(&mut self, client: ClientId, cx: &mut Ctx) {
        self.card_open = true;
        self.refresh_rows(Some(client), cx);
    }

    /// The filter changed: a new pattern selects its best match, as an
    /// incremental filter should; clearing it keeps the client that was
    /// selected.
    fn filter_changed(&mut self, cx: &mut Ctx) {
        if cx.filter.ranked() {
            self.sort = Column::Relevance;
            self.descending = true;
        } else if self.sort == Column::Relevance {
            self.sort = Column::Name;
            self.descending = false;
        }
        let keep = self.selected_id();
        self.refresh_rows(None, cx);
        if cx.filter.ranked() && self.cursor.selected != 0 {
            self.cursor.selected = 0;
            self.load_detail(cx);
        } else if !cx.filter.ranked() {
            self.refresh_rows(keep, cx);
        }
    }

    /// Rebuilds the list from the filter and the sort, keeping `keep` (or
    /// the current client) selected where it still shows.
    pub fn refresh_rows(&mut self, keep: Option<ClientId>, cx: &mut Ctx) {
        let keep = keep.or_else(|| self.selected_id());
        cx.filter.shown_into(cx.model(), &mut self.rows);
        self.resort_keep(keep, cx);
    }

    /// Sorts by `sort` (kept when `None`), in `descending` order.
    pub fn sort_by(&mut self, sort: Option<Column>, descending: bool, cx: &mut Ctx) {
        if let Some(sort) = sort {
            self.sort = sort;
        }
        self.descending = descending;
        self.resort(cx);
    }

    fn resort(&mut self, cx: &mut Ctx) {
        self.resort_keep(self.selected_id(), cx);
    }

    fn resort_keep(&mut self, keep: Option<ClientId>, cx: &mut Ctx) {
        let sort = self.sort;
        if sort == Column::NextDue && self.next_due.is_none() {
            self.load_next_due(cx);
        }
        sort_rows(&mut self.rows, sort, cx, self.next_due.as_ref());
        // Keys sort ascending; filter hits come best first.
        let natural_descending = sort == Column::Relevance;
        if self.descending != natural_descending {
            self.rows.reverse();
        }
        self.cursor.selected = keep.and_then(|k| self.rows.iter().position(|id| *id == k)).unwrap_or(0);
        self.load_detail(cx);
    }

    /// Recomputes the next due date of the clients an event touched, and
    /// of those whose ABC class it moved (their cadence changes with it).
    fn refresh_next_due(&mut self, changes: &[Change], moved: &[ClientId], cx: &Ctx) {
        if self.next_due.is_none() {
            return;
        }
        let Some(mut touched) = cx.model().clients_touched(changes) else {
            self.load_next_due(cx);
            return;
        };
        touched.extend(moved.iter().copied());
        let fresh = rapport::queue::next_due_of(cx.model(), cx.classes(), cx.as_of(), &touched);
        let Some(next_due) = &mut self.next_due else { return };
        for client in touched {
            match fresh.get(&client) {
                Some(d) => next_due.insert(client, *d),
                None => next_due.remove(&client),
            };
        }
    }

    /// The selected client's history, read from the backend.
    fn show_history(&mut self, cx: &mut Ctx) {
        let Some(id) = self.selected_id() else { return };
        match cx.data.history_of(id) {
            Ok(entries) => {
                let lines = rapport::history::lines(cx.model(), cx.engine, id, &entries);
                let title = cx.model().client_label(id);
                cx.ask(Effect::Text {
                    title: format!("History · {title}"),
                    lines,
                });
            }
            Err(e) => cx.status(format!("Cannot read the history: {e}"), crate::tui::app::Tone::Error),
        }
    }
}

/// Sorts `rows` by `sort`, ascending (ties by id).
fn sort_rows(rows: &mut Vec<ClientId>, sort: Column, cx: &Ctx, next_due: Option<&HashMap<ClientId, NaiveDate>>) {
    let model = cx.model();
    let classes: &Classes = cx.classes();
    let rank = |c: ClientId| classes.get(c);
    match sort {
        // The filter's order, best first.
        Column::Relevance => {
            if cx.filter.ranked() {
                cx.filter.shown_into(model, rows);
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
            let search = cx.filter.search();
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
            let mut keyed: Vec<(&str, ClientId)> = rows.iter().map(|id| (key(id), *id)).collect();
            keyed.sort_unstable();
            let sorted: Vec<ClientId> = keyed.into_iter().map(|(_, id)| id).collect();
            *rows = sorted;
        }
        Column::Class => rows.sort_by_key(|id| {
            let c = rank(*id);
            (
                c.and_then(|c| c.abc).map_or(3, |a| a as u8),
                c.and_then(|c| c.xyz).map_or(3, |x| x as u8),
                *id,
            )
        }),
        Column::Status => rows.sort_by_key(|id| (rank(*id).map_or(0, |c| c.status as u8), *id)),
        Column::Maturity => rows.sort_by_key(|id| {
            let m = rank(*id).and_then(|c| c.maturity);
            // Ascending: no portrait first, then the least mature.
            (m.map_or(-1, |(u, t)| (u as i64 * 1000) / t.max(1) as i64), *id)
        }),
        Column::Turnover => rows.sort_by_key(|id| (rank(*id).map_or(0, |c| c.turnover), std::cmp::Reverse(*id))),
        Column::NextDue => rows.sort_by_key(|id| {
            let due = next_due.and_then(|m| m.get(id)).copied();
            (due.unwrap_or(NaiveDate::MAX), *id)
        }),
    }
}

impl View for ClientsView {
    fn title(&self) -> &'static str {
        "Clients"
    }

    fn mode(&self) -> Mode {
        Mode::Clients
    }

    fn filtered(&self) -> bool {
        true
    }

    fn open(&mut self, _cx: &mut Ctx) {}

    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        let moved = self.cursor.step(action, self.rows.len(), None);
        if moved != Moved::No {
            return self.select(moved, cx);
        }
        let client = self.selected_id();
        match action {
            // Esc backs out one level: the manager, then the card.
            Action::ClearFilter | Action::Cancel if cx.filter.manager.is_some() && cx.shown => {
                cx.ask(Effect::ShowManager(None));
            }
            Action::ClearFilter | Action::Cancel if self.card_open && cx.shown => self.set_card(false, cx),
            Action::ToggleCard if cx.shown => self.set_card(!self.card_open, cx),
            Action::CardDown if self.card_open && cx.shown => {
                let last = self.card_lines.get().saturating_sub(1);
                if self.card_scroll >= last {
                    return Handled::Unchanged;
                }
                self.card_scroll = self.card_scroll.saturating_add(3).min(last);
            }
            Action::CardUp if self.card_open && cx.shown => {
                if self.card_scroll == 0 {
                    return Handled::Unchanged;
                }
                self.card_scroll = self.card_scroll.saturating_sub(3);
            }
            Action::SortNext => {
                let i = Column::SORTABLE.iter().position(|c| *c == self.sort).unwrap_or(0);
                let mut next = Column::SORTABLE[(i + 1) % Column::SORTABLE.len()];
                if next == Column::Relevance && !cx.filter.ranked() {
                    next = Column::Name;
                }
                self.sort = next;
                self.descending = matches!(next, Column::Turnover | Column::Maturity | Column::Relevance);
                // A new order is read from its top.
                self.resort_keep(None, cx);
            }
            Action::SortReverse => {
                self.descending = !self.descending;
                self.resort_keep(None, cx);
            }
            Action::History => self.show_history(cx),
            Action::ToggleOfferColumn => {
                self.offer_column = !self.offer_column;
                let said = if self.offer_column {
                    "The Offer column shows the product to offer next (where it fits)"
                } else {
                    "The Offer column is hidden"
                };
                cx.status(said, crate::tui::app::Tone::Ok);
            }
            Action::EditRecord | Action::DeleteRecord => {
                if let Some(c) = self.selected_client(cx.model()) {
                    let (id, name) = (c.id, c.name.clone());
                    records::pick(id, &name, action == Action::DeleteRecord, cx);
                }
            }
            Action::ArchiveClient if !self.marked_rows().is_empty() => self.ask_archive_marked(cx),
            Action::ArchiveClient => {
                if let Some(c) = self.selected_client(cx.model()).cloned() {
                    records::ask_archive_client(&c, cx);
                }
            }
            Action::ToggleMark => self.toggle_mark(),
            Action::MarkAll => self.mark_all(cx),
            Action::BulkEdit => self.open_bulk_form(cx),
            Action::Duplicates => self.show_duplicates(cx),
            Action::MergeClients => self.open_merge_form(cx),
            Action::ArchivePerson => {
                if let Some(c) = self.selected_client(cx.model()).cloned() {
                    records::ask_archive_person(&c, cx);
                }
            }
            Action::NewClient => forms::open_new_client_form(cx),
            Action::EditClient => self.open_client_form(cx),
            Action::NewPerson => self.open_person_form(None, cx),
            Action::EditPerson => self.pick_person(cx),
            Action::AddSettlement => self.open_settlement_form(cx),
            Action::EditSegment => self.open_segment_form(cx),
            Action::LogContact => queue::open_contact_form(client, cx),
            Action::AddTask => queue::open_task_form(client, cx),
            Action::NewTicket => tickets::open_new_ticket_form(client, cx),
            Action::RecordSurvey => tickets::open_survey_form(client, None, cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn refresh(&mut self, why: Refresh, cx: &mut Ctx) {
        match why {
            Refresh::Event(event, moved) => {
                if self.pending.as_deref() == Some(event.summary.as_str()) {
                    self.pending = None;
                    self.marked.clear();
                }
                // Archived or purged clients are no longer marked.
                let model = cx.model();
                self.marked.retain(|c| model.clients.contains_key(c));
                self.refresh_next_due(&event.changes, moved, cx);
                self.refresh_rows(None, cx);
            }
            Refresh::AsOf => {
                self.load_next_due(cx);
                self.resort(cx);
            }
            Refresh::Filter => self.filter_changed(cx),
            Refresh::Replaced => {
                self.load_next_due(cx);
                self.refresh_rows(None, cx);
            }
        }
    }

    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        if let Some(done) = records::submit(kind, form, cx) {
            return Some(done);
        }
        if let Some(done) = self.submit_marks(kind, form, cx) {
            return Some(done);
        }
        let model = cx.model();
        // A likely duplicate is said once; Enter again creates it anyway.
        if kind == FormKind::NewClient {
            let like = rapport::find::duplicates::likely(model, form.value("Name"));
            if let Some(first) = like.first() {
                let warning = format!("looks like {first} — Enter again to create it anyway");
                if form.error.as_deref() != Some(warning.as_str()) {
                    return Some(Err(warning));
                }
            }
        }
        let cmd = match kind {
            FormKind::Settlement(client) => {
                let date = form.fields.first().and_then(Field::date).ok_or("a date is required");
                let amount = Money::parse(form.value("Amount")).map_err(|e| e.to_string());
                let (date, amount) = match (date, amount) {
                    (Ok(d), Ok(a)) => (d, a),
                    (Err(e), _) => return Some(Err(e.into())),
                    (_, Err(e)) => return Some(Err(e)),
                };
                Command::RecordSettlement {
                    client,
                    date,
                    amount,
                    product: model.product_by_code(form.value("Product")).map(|p| p.id),
                    doc: form.value("Document").to_string(),
                }
            }
            FormKind::Segment(client, version) => {
                let Some(c) = model.clients.get(&client) else {
                    return Some(Err("this client is no longer there".into()));
                };
                Command::EditClient {
                    client,
                    expected_version: Some(version),
                    name: c.name.clone(),
                    segment: model.segment_by_code(form.value("Segment")).map(|s| s.id),
                    manager: c.manager,
                    notes: c.notes.clone(),
                    tags: c.tags.clone(),
                }
            }
            FormKind::NewClient => forms::with_source(
                Command::AddClient {
                    reference: form.value("Ref").to_string(),
                    name: form.value("Name").to_string(),
                    segment: model.segment_by_code(form.value("Segment")).map(|s| s.id),
                    manager: model.manager_by_login(form.value("Manager")).map(|m| m.id),
                    created: form.field("Created").and_then(Field::date).unwrap_or(cx.today),
                    notes: form.value("Notes").to_string(),
                    tags: crate::tui::form::tags(form.value("Tags")),
                },
                form.value("Ref"),
                "",
                form.value("Source"),
            ),
            FormKind::EditClient(client, version) => forms::with_source(
                Command::EditClient {
                    client,
                    expected_version: Some(version),
                    name: form.value("Name").to_string(),
                    segment: model.segment_by_code(form.value("Segment")).map(|s| s.id),
                    manager: model.manager_by_login(form.value("Manager")).map(|m| m.id),
                    notes: form.value("Notes").to_string(),
                    tags: crate::tui::form::tags(form.value("Tags")),
                },
                &model.client_label(client),
                model.sales.source_of(client),
                form.value("Source"),
            ),
            FormKind::NewPerson(client) => Command::AddPerson {
                client,
                name: form.value("Name").to_string(),
                role: form.value("Role").to_string(),
                phone: form.value("Phones").to_string(),
                email: form.value("Email").to_string(),
                birthday: form.field("Birthday").and_then(Field::date),
            },
            FormKind::PickPerson(client) => {
                let name = form.value("Person");
                let Some(p) = model.persons_of(client).find(|p| p.name.eq_ignore_ascii_case(name)) else {
                    return Some(Err(format!("no contact person '{name}'")));
                };
                let id = p.id;
                self.open_person_form(Some(id), cx);
                return Some(Ok(Submitted::Applied));
            }
            FormKind::EditSettlement { client, id, seq } => {
                let (Some(date), Ok(amount)) = (
                    form.field("Date").and_then(Field::date),
                    Money::parse(form.value("Amount")),
                ) else {
                    return Some(Err("a date and an amount are required".into()));
                };
                Command::EditSettlement {
                    client,
                    id,
                    expected_seq: Some(seq),
                    date,
                    amount,
                    product: model.product_by_code(form.value("Product")).map(|p| p.id),
                    doc: form.value("Document").to_string(),
                }
            }
            FormKind::EditPerson { client, person, seq } => Command::EditPerson {
                client,
                person,
                expected_seq: Some(seq),
                name: form.value("Name").to_string(),
                role: form.value("Role").to_string(),
                phone: form.value("Phones").to_string(),
                email: form.value("Email").to_string(),
                birthday: form.field("Birthday").and_then(Field::date),
            },
            _ => return None,
        };
        Some(Ok(Submitted::Run(cmd)))
    }

    fn draw(&self, frame: &mut Frame, main: Rect, app: &App) {
        // The list takes what its columns need (the segment and manager
        // when they fit beside a card), the card the rest, from 32 to 72.
        let mut cols = list::Widths::of(app, self);
        let wide = main.width >= cols.total(true) + 44;
        // The next product's column when it fits beside everything else.
        if !(wide && self.offer_column && main.width >= cols.total(true) + cols.offer + 1 + 44) {
            cols.offer = 0;
        }
        let right = if main.width >= 110 {
            main.width.saturating_sub(cols.total(wide)).clamp(40, 72)
        } else {
            32
        };
        let [list, side] = Layout::horizontal([Constraint::Min(20), Constraint::Length(right)]).areas(main);
        list::draw(frame, app, self, list, &cols, wide);
        if self.card_open {
            // On a short screen the opened card comes first: the pane keeps
            // the client's own classes (its first lines), the portfolio
            // grid shows again when the card is closed.
            let pane_height = if side.height >= 30 { 18 } else { 6 };
            let [det, pane] = Layout::vertical([Constraint::Min(0), Constraint::Length(pane_height)]).areas(side);
            card::draw(frame, app, self, det);
            classes_pane::draw(frame, app, pane);
        } else {
            classes_pane::draw(frame, app, side);
        }
    }
}
