//! The app state and `update`: every key becomes an `Action` (through the
//! keymap) or text for the field being typed in; `update` applies it. Data
//! changes go through the store's command path, and the events they return
//! keep the classes, the search index and the list current in the same
//! frame. Views only read this state.
//!
//! The parts: `data` (what the interface reads and writes through),
//! `input` (keys, paste, the palette), `clients` (the list, its filter,
//! sort and card), `forms` (the clients view's forms and running a
//! command), and one file per other view (`matrix`, `queue`, `tickets`,
//! `reports`). This file holds the state, the tabs, moving between them,
//! and what an applied event refreshes.

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rapport::classes::{self, Classes, Engine, Totals};
use rapport::domain::*;
use rapport::kpi::{GroupBy, Period, Table};
use rapport::model::{Change, Model};
use rapport::server::client::Waker;
use rapport::session::{Connector, Session};
use rapport::store::{Store, StoreError};
use rapport::write::{Command, Event};

mod clients;
mod data;
mod forms;
mod input;
mod matrix;
mod queue;
mod reports;
mod tickets;

pub use data::{Data, Reconnect};
pub use matrix::MatrixState;
pub use queue::{QueueState, when};
pub use reports::ReportsState;
pub use tickets::TicketsState;

use super::action::Action;
use super::config::ConfigError;
use super::form::{Field, FieldKind, Form};
use super::fuzzy::{Hits, Search, fold};
use super::keymap::{Key, Keymap, Lookup, Mode};
use super::theme::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Clients,
    Matrix,
    Portfolio,
    Queue,
    Tickets,
    Reports,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Clients,
        Tab::Matrix,
        Tab::Portfolio,
        Tab::Queue,
        Tab::Tickets,
        Tab::Reports,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Clients => "Clients",
            Tab::Matrix => "Matrix",
            Tab::Portfolio => "Portfolio",
            Tab::Queue => "Queue",
            Tab::Tickets => "Tickets",
            Tab::Reports => "Reports",
        }
    }
    /// The keymap section of the tab's own keys.
    pub fn mode(self) -> Mode {
        match self {
            Tab::Clients => Mode::Clients,
            Tab::Matrix => Mode::Matrix,
            Tab::Portfolio => Mode::Portfolio,
            Tab::Queue => Mode::Queue,
            Tab::Tickets => Mode::Tickets,
            Tab::Reports => Mode::Reports,
        }
    }
}

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    Settlement(ClientId),
    Segment(ClientId, u64),
    Offer {
        client: ClientId,
        product: ProductId,
        version: u64,
    },
    /// Log a contact with the client.
    Contact(ClientId),
    Task(ClientId),
    Snooze {
        key: rapport::queue::ItemKey,
        due: NaiveDate,
    },
    NewTicket,
    AdvanceTicket {
        ticket: TicketId,
        version: u64,
    },
    TicketOwner {
        ticket: TicketId,
        version: u64,
    },
    EditTicket {
        ticket: TicketId,
        version: u64,
    },
    Survey(ClientId),
    /// The reports' period, typed.
    ReportPeriod,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    Palette {
        query: String,
        selected: usize,
    },
    Form(FormKind, Form),
    /// Asking before throwing away a changed form.
    Confirm(FormKind, Form),
    /// Config problems found at start, shown until a key is pressed.
    Errors,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Error,
}

pub struct App {
    data: Box<dyn Data>,
    pub who: String,
    pub today: NaiveDate,
    engine: Engine,
    search: Search,
    pub keymap: Keymap,
    pub theme: Theme,
    pub config_errors: Vec<ConfigError>,
    pub tab: Tab,
    pub overlay: Overlay,
    pub filter_open: bool,
    pub filter: String,
    /// Filter hits, best first, with their scores.
    hits: Option<Hits>,
    /// Class totals over the filter hits (the pane shows them).
    filter_totals: Option<Totals>,
    pub rows: Vec<ClientId>,
    pub selected: usize,
    pub sort: Column,
    pub descending: bool,
    /// The client card (persons, offers, tickets, contact log) beside
    /// the list. Closed, a move in the list redraws two names and the
    /// classes pane's client lines only (issue 4's bytes-per-move budget).
    pub card_open: bool,
    /// The card's contact log (read only while the card is open).
    pub contacts: Vec<ContactEntry>,
    pub status: Option<(String, Tone)>,
    pending: Vec<Key>,
    pub quit: bool,
    /// Set when something visible changed; the loop draws only then.
    pub dirty: bool,
    /// Rows the list showed at the last draw (for paging).
    pub list_height: Cell<usize>,
    /// The first row shown, kept by the list view between draws.
    pub list_offset: Cell<usize>,
    history: Option<Vec<Classes>>,
    /// Each client's next due date in the queue (the list's column), kept
    /// current client by client after each event. Computed just after the
    /// first frame (`finish_loading`), so it does not delay it.
    next_due: Option<HashMap<ClientId, NaiveDate>>,
    pub matrix: MatrixState,
    pub queue: QueueState,
    pub tickets: TicketsState,
    pub reports: ReportsState,
    /// The clients list shows only this manager's clients (picked from a
    /// row of the reports' manager table).
    pub manager_filter: Option<ManagerId>,
    /// Test hook (`RAPPORT_PANIC_ON_KEY`): panic at the next key, to check
    /// that a crash still restores the terminal and releases the database.
    pub panic_on_key: bool,
    /// How a server session reconnects when its connection is lost (set by
    /// the command line; a local session has none).
    pub reconnect: Option<Reconnect>,
    /// Set on a first session that opened the database itself: after the
    /// first frame it hands the database to a server (and keeps its model).
    pub hand_over: Option<Connector>,
    /// Wakes the loop when a server pushes something.
    waker: Option<std::sync::Arc<dyn Fn() + Send + Sync>>,
}

impl App {
    pub fn new(data: Box<dyn Data>, who: String, today: NaiveDate, keymap: Keymap, theme: Theme) -> App {
        // Both read the model only: build them side by side.
        let model = data.model();
        let (engine, search) = std::thread::scope(|s| {
            let search = s.spawn(|| Search::build(model));
            let engine = Engine::new(model, today);
            (engine, search.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        let mut app = App {
            data,
            who,
            today,
            engine,
            search,
            keymap,
            theme,
            config_errors: Vec::new(),
            tab: Tab::Clients,
            overlay: Overlay::None,
            filter_open: false,
            filter: String::new(),
            hits: None,
            filter_totals: None,
            rows: Vec::new(),
            selected: 0,
            sort: Column::Name,
            descending: false,
            card_open: false,
            contacts: Vec::new(),
            status: None,
            pending: Vec::new(),
            quit: false,
            dirty: true,
            list_height: Cell::new(20),
            list_offset: Cell::new(0),
            history: None,
            next_due: None,
            matrix: MatrixState {
                stale: true,
                ..MatrixState::default()
            },
            queue: QueueState::new(rapport::queue::Scope::All),
            tickets: TicketsState::default(),
            reports: ReportsState::default(),
            manager_filter: None,
            panic_on_key: false,
            reconnect: None,
            hand_over: None,
            waker: None,
        };
        app.queue.scope = app.default_scope();
        app.refresh_rows(None);
        app
    }

    /// Lets a server session wake the loop (the terminal loop sends itself
    /// an input) when other sessions' events arrive.
    pub fn set_waker(&mut self, waker: std::sync::Arc<dyn Fn() + Send + Sync>) {
        let w = waker.clone();
        self.data.set_waker(Box::new(move || w()));
        self.waker = Some(waker);
    }

    /// Applies what other sessions changed (pushed by the server); on a
    /// lost connection, reconnects and starts again from a fresh copy.
    pub fn remote_events(&mut self) {
        self.catch_up_hand_over();
        for event in self.data.poll_events() {
            self.applied(&event);
        }
        let Some(reason) = self.data.connection_lost() else {
            return;
        };
        let fresh = match self.reconnect.as_mut() {
            Some(reconnect) => reconnect(),
            None => Err("no way to reconnect".into()),
        };
        match fresh {
            Ok(data) => {
                self.replace_data(data);
                self.set_status(format!("Reconnected to the server ({reason})"), Tone::Ok);
            }
            Err(e) => {
                self.reconnect = None;
                self.set_status(
                    format!(
                        "Lost the server ({reason}); cannot reconnect: {e}. Changes cannot be saved: restart rapport"
                    ),
                    Tone::Error,
                );
            }
        }
        self.dirty = true;
    }

    /// Completes a hand-over to a server that is ready; rebuilds what was
    /// derived from the model if the server brought a newer one.
    fn catch_up_hand_over(&mut self) {
        if self.data.poll_hand_over() {
            self.rebuild();
            self.dirty = true;
        }
    }

    /// Starts again from `data` (a new server session): everything derived
    /// from the model is rebuilt; the view, filter and selection stay.
    fn replace_data(&mut self, data: Box<dyn Data>) {
        self.data = data;
        if let Some(w) = self.waker.clone() {
            self.data.set_waker(Box::new(move || w()));
        }
        self.rebuild();
    }

    /// Rebuilds everything derived from the model (it was replaced); the
    /// view, filter and selection stay.
    fn rebuild(&mut self) {
        let as_of = self.as_of();
        let model = self.data.model();
        self.engine = Engine::new(model, as_of);
        self.search = Search::build(model);
        self.load_next_due();
        self.history = None;
        self.matrix.stale = true;
        self.queue.stale = true;
        self.tickets.stale = true;
        self.reports.stale = true;
        let keep = self.rows.get(self.selected).copied();
        if !self.filter.trim().is_empty() {
            let recycle = self.hits.take();
            self.hits = Some(self.search.filter(&self.filter, recycle));
        }
        self.refresh_rows(keep);
        self.dirty = true;
    }

    pub fn show_config_errors(&mut self, errors: Vec<ConfigError>) {
        if !errors.is_empty() {
            self.config_errors = errors;
            self.overlay = Overlay::Errors;
        }
    }

    pub fn model(&self) -> &Model {
        self.data.model()
    }

    pub fn close(&mut self) -> Result<(), String> {
        self.data.close(chrono::Local::now().date_naive())
    }

    pub fn classes(&self) -> &Classes {
        self.engine.classes()
    }

    pub fn as_of(&self) -> NaiveDate {
        self.engine.as_of()
    }

    pub fn selected_client(&self) -> Option<&Client> {
        self.rows.get(self.selected).and_then(|id| self.model().clients.get(id))
    }

    /// The next date the client has something due in the queue; `Err`
    /// while still loading.
    pub fn next_due(&self, client: ClientId) -> Result<Option<NaiveDate>, ()> {
        self.next_due.as_ref().map(|m| m.get(&client).copied()).ok_or(())
    }

    /// Work left for after the first frame, a step per call; true when it
    /// changed what shows.
    pub fn finish_loading(&mut self) -> bool {
        if self.next_due.is_none() {
            self.load_next_due();
            self.dirty = true;
            return true;
        }
        // Then a first session that opened the database itself hands it to
        // a server (started now, it does not slow the steps above).
        let Some(connect) = self.hand_over.take() else {
            return false;
        };
        if let Err(e) = self.data.hand_over(connect) {
            self.set_status(format!("Cannot hand the database to a server: {e}"), Tone::Error);
            self.dirty = true;
            return true;
        }
        if let Some(w) = self.waker.clone() {
            self.data.set_waker(Box::new(move || w()));
        }
        false
    }

    fn load_next_due(&mut self) {
        let model = self.data.model();
        self.next_due = Some(rapport::queue::next_due_by_client(
            model,
            self.engine.classes(),
            self.as_of(),
        ));
    }

    /// The portfolio's class history, computed when the tab needs it.
    pub fn history(&self) -> Option<&[Classes]> {
        self.history.as_deref()
    }

    /// The mode whose keymap section applies now.
    pub fn mode(&self) -> Mode {
        match &self.overlay {
            Overlay::Help { .. } => Mode::Help,
            Overlay::Palette { .. } => Mode::Palette,
            Overlay::Form(..) => Mode::Form,
            Overlay::Confirm(..) => Mode::Confirm,
            Overlay::Errors => Mode::Help,
            Overlay::None if self.filter_open => Mode::Filter,
            Overlay::None => match self.tab {
                Tab::Clients => Mode::Clients,
                Tab::Matrix if self.matrix.portrait => Mode::PortraitEditor,
                Tab::Matrix => Mode::Matrix,
                Tab::Portfolio => Mode::Portfolio,
                Tab::Queue => Mode::Queue,
                Tab::Tickets => Mode::Tickets,
                Tab::Reports => Mode::Reports,
            },
        }
    }

    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        match (&self.overlay, action) {
            (_, Action::Noop) => self.dirty = false,
            (Overlay::Help { .. } | Overlay::Errors, Action::Cancel | Action::Help) => self.overlay = Overlay::None,
            (Overlay::Help { scroll }, Action::MoveDown) => self.overlay = Overlay::Help { scroll: scroll + 1 },
            (Overlay::Help { scroll }, Action::MoveUp) => {
                self.overlay = Overlay::Help {
                    scroll: scroll.saturating_sub(1),
                }
            }
            (Overlay::Palette { .. }, _) => self.palette(action),
            (Overlay::Form(..), _) => self.form_action(action),
            (Overlay::Confirm(..), Action::Submit) => {
                self.overlay = Overlay::None;
                self.set_status("Changes discarded", Tone::Ok);
            }
            (Overlay::Confirm(kind, form), Action::Cancel) => self.overlay = Overlay::Form(*kind, form.clone()),
            (Overlay::Help { .. } | Overlay::Confirm(..) | Overlay::Errors, _) => self.dirty = false,
            (Overlay::None, _) => self.navigate(action),
        }
    }

    fn navigate(&mut self, action: Action) {
        if self.tab == Tab::Matrix && !self.filter_open && self.matrix_action(action) {
            return;
        }
        if self.tab == Tab::Queue && !self.filter_open && self.queue_action(action) {
            return;
        }
        if self.tab == Tab::Tickets && !self.filter_open && self.tickets_action(action) {
            return;
        }
        if self.tab == Tab::Reports && !self.filter_open && self.reports_action(action) {
            return;
        }
        let page = self.list_height.get().max(1);
        match action {
            Action::Quit => self.quit = true,
            Action::MoveUp => self.select(self.selected.saturating_sub(1)),
            Action::MoveDown => self.select(self.selected + 1),
            Action::PageUp => self.select(self.selected.saturating_sub(page)),
            Action::PageDown => self.select(self.selected + page),
            Action::Top => self.select(0),
            Action::Bottom => self.select(self.rows.len().saturating_sub(1)),
            Action::OpenFilter => {
                if matches!(self.tab, Tab::Portfolio | Tab::Queue | Tab::Tickets | Tab::Reports) {
                    self.tab = Tab::Clients;
                }
                self.filter_open = true;
            }
            Action::ClearFilter | Action::Cancel if self.filter_open || !self.filter.is_empty() => {
                self.filter_open = false;
                self.filter.clear();
                self.apply_filter();
            }
            Action::ClearFilter | Action::Cancel if self.manager_filter.is_some() && self.tab == Tab::Clients => {
                self.show_manager(None);
            }
            // Esc backs out one level: the filter, the manager, the card.
            Action::ClearFilter | Action::Cancel if self.card_open && self.tab == Tab::Clients => {
                self.set_card(false);
            }
            Action::Submit if self.filter_open => self.filter_open = false,
            Action::ToggleCard if self.tab == Tab::Clients => self.set_card(!self.card_open),
            Action::SortNext => {
                let i = Column::SORTABLE.iter().position(|c| *c == self.sort).unwrap_or(0);
                let mut next = Column::SORTABLE[(i + 1) % Column::SORTABLE.len()];
                if next == Column::Relevance && self.hits.is_none() {
                    next = Column::Name;
                }
                self.sort = next;
                self.descending = matches!(next, Column::Turnover | Column::Maturity | Column::Relevance);
                self.resort();
            }
            Action::SortReverse => {
                self.descending = !self.descending;
                self.resort();
            }
            Action::TabClients => self.tab = Tab::Clients,
            Action::TabMatrix => self.open_matrix(),
            Action::TabPortfolio => self.open_portfolio(),
            Action::TabQueue => self.open_queue(),
            Action::TabTickets => self.open_tickets(),
            Action::TabReports => self.open_reports(),
            Action::NextTab | Action::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                let step = if action == Action::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                match Tab::ALL[(i + step) % Tab::ALL.len()] {
                    Tab::Clients => self.tab = Tab::Clients,
                    Tab::Matrix => self.open_matrix(),
                    Tab::Portfolio => self.open_portfolio(),
                    Tab::Queue => self.open_queue(),
                    Tab::Tickets => self.open_tickets(),
                    Tab::Reports => self.open_reports(),
                }
            }
            Action::AddSettlement => self.open_settlement_form(),
            Action::EditSegment => self.open_segment_form(),
            Action::LogContact => self.open_contact_form(self.rows.get(self.selected).copied()),
            Action::AddTask => self.open_task_form(self.rows.get(self.selected).copied()),
            Action::NewTicket => self.open_new_ticket_form(self.rows.get(self.selected).copied()),
            Action::RecordSurvey => self.open_survey_form(self.rows.get(self.selected).copied(), None),
            Action::AsOfPrevMonth => self.set_as_of(self.as_of().checked_sub_months(Months::new(1))),
            Action::AsOfNextMonth => self.set_as_of(self.as_of().checked_add_months(Months::new(1))),
            Action::AsOfToday => self.set_as_of(Some(self.today)),
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Palette => {
                self.overlay = Overlay::Palette {
                    query: String::new(),
                    selected: 0,
                }
            }
            _ => self.dirty = false,
        }
    }

    fn set_as_of(&mut self, date: Option<NaiveDate>) {
        let Some(date) = date else { return };
        if date == self.as_of() {
            self.dirty = false;
            return;
        }
        self.engine.set_as_of(self.data.model(), date);
        self.load_next_due();
        self.recount();
        self.history = None;
        if self.tab == Tab::Portfolio {
            self.open_portfolio();
        }
        self.reports.stale = true;
        if self.tab == Tab::Reports {
            self.open_reports();
        }
        self.queue.stale = true;
        if self.tab == Tab::Queue {
            self.rebuild_queue();
        }
        self.resort();
        self.set_status(format!("Classes as of {date}"), Tone::Ok);
    }

    fn open_portfolio(&mut self) {
        self.tab = Tab::Portfolio;
        if self.history.is_none() {
            self.history = Some(classes::history(self.data.model(), self.as_of(), 12));
        }
    }

    /// Shows `client` selected in the clients tab (clearing a filter that
    /// hides it).
    pub(super) fn show_client(&mut self, client: ClientId) {
        if !self.filter.is_empty() {
            self.filter.clear();
            self.filter_open = false;
            self.apply_filter();
        }
        let manager = self.model().clients.get(&client).and_then(|c| c.manager);
        if self.manager_filter.is_some() && self.manager_filter != manager {
            self.manager_filter = None;
        }
        self.tab = Tab::Clients;
        // Jumping to a client (from the queue, a ticket) is to act on it:
        // its card shows the persons to call and what is open.
        self.card_open = true;
        self.refresh_rows(Some(client));
    }

    /// Lists only `manager`'s clients (`None`: everyone's again).
    pub(super) fn show_manager(&mut self, manager: Option<ManagerId>) {
        self.manager_filter = manager;
        self.tab = Tab::Clients;
        self.refresh_rows(None);
        let text = match manager.and_then(|m| self.model().managers.get(&m)) {
            Some(m) => format!("{} clients of {} · Esc shows everyone's", self.rows.len(), m.name),
            None => "Every manager's clients".to_string(),
        };
        self.set_status(text, Tone::Ok);
    }

    fn set_status(&mut self, text: impl Into<String>, tone: Tone) {
        self.status = Some((text.into(), tone));
    }

    /// Brings every derived view up to date after an event (ours, or one a
    /// server pushed).
    pub fn applied(&mut self, event: &Event) {
        let model = self.data.model();
        let abc_before: Vec<(ClientId, Option<classes::Abc>)> = self
            .engine
            .classes()
            .clients
            .iter()
            .map(|c| (c.client, c.abc))
            .collect();
        self.engine.apply(model, &event.changes);
        self.refresh_next_due(&event.changes, &abc_before);
        let model = self.data.model();
        // The filter also searches segment and contact-person names.
        for change in &event.changes {
            match change {
                Change::Client(c) => self.search.update(model, c.id),
                Change::Person(p) => self.search.update(model, p.client),
                Change::Segment(_) => self.search = Search::build(model),
                _ => {}
            }
        }
        self.history = None;
        if self.tab == Tab::Portfolio {
            self.history = Some(classes::history(self.data.model(), self.as_of(), 12));
        }
        self.queue.stale = true;
        if self.tab == Tab::Queue {
            self.rebuild_queue();
        }
        self.tickets.stale = true;
        if self.tab == Tab::Tickets {
            self.rebuild_tickets();
        }
        self.reports.stale = true;
        if self.tab == Tab::Reports {
            self.rebuild_reports();
            self.history = Some(classes::history(self.data.model(), self.as_of(), 12));
        }
        self.dirty = true;
        let keep = self.rows.get(self.selected).copied();
        if self.filter.trim().is_empty() {
            self.refresh_rows(keep);
        } else {
            let recycle = self.hits.take();
            self.hits = Some(self.search.filter(&self.filter, recycle));
            self.refresh_rows(keep);
        }
    }

    /// Recomputes the next due date of the clients an event touched, and
    /// of those whose ABC class it moved (their cadence changes with it).
    fn refresh_next_due(&mut self, changes: &[Change], abc_before: &[(ClientId, Option<classes::Abc>)]) {
        if self.next_due.is_none() {
            return;
        }
        let model = self.data.model();
        let classes = self.engine.classes();
        let as_of = self.engine.as_of();
        let Some(mut touched) = model.clients_touched(changes) else {
            self.load_next_due();
            return;
        };
        let mut before = abc_before.iter().peekable();
        for c in &classes.clients {
            while before.next_if(|(id, _)| *id < c.client).is_some() {}
            let old = before.peek().filter(|(id, _)| *id == c.client).map(|(_, abc)| *abc);
            if old != Some(c.abc) {
                touched.insert(c.client);
            }
        }
        let fresh = rapport::queue::next_due_of(model, classes, as_of, &touched);
        let Some(next_due) = &mut self.next_due else { return };
        for client in touched {
            match fresh.get(&client) {
                Some(d) => next_due.insert(client, *d),
                None => next_due.remove(&client),
            };
        }
    }
}
