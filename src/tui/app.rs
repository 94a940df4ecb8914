//! The app state and `update`: every key becomes an `Action` (through the
//! keymap) or text for the field being typed in; `update` applies it. Data
//! changes go through the store's command path, and the events they return
//! keep the classes, the search index and the list current in the same
//! frame. Views only read this state.

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

mod matrix;
mod queue;
mod reports;
mod tickets;

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

/// What the TUI needs from the data: the in-memory model, the one write
/// path, and the reads that stay on disk — from a store opened here, or
/// from a shared server, which also pushes other sessions' events.
pub trait Data {
    fn model(&self) -> &Model;
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError>;
    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError>;
    /// The manager results of a period (the reports tab).
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError>;
    /// Other sessions' events that arrived since the last call, already in
    /// the model.
    fn poll_events(&mut self) -> Vec<Event> {
        Vec::new()
    }
    /// Why the connection to the server ended, once it has.
    fn connection_lost(&self) -> Option<String> {
        None
    }
    /// Lets a server session wake the loop when events arrive.
    fn set_waker(&mut self, _waker: Waker) {}
    /// Moves a local session to a server (see `Session::hand_over`).
    fn hand_over(&mut self, _connect: Connector) -> Result<(), String> {
        Err("only a session on a store opened here can be handed over".into())
    }
    /// Completes a hand-over that is ready; true when the server brought
    /// a newer model (everything derived from the old one is stale).
    fn poll_hand_over(&mut self) -> bool {
        false
    }
    /// The session ends: keep what makes the next one start fast, and take
    /// the day's automatic backup if there is none yet.
    fn close(&mut self, today: NaiveDate) -> Result<(), String>;
}

/// Opens a fresh server session after the connection was lost.
pub type Reconnect = Box<dyn FnMut() -> Result<Box<dyn Data>, String>>;

impl Data for Store {
    fn model(&self) -> &Model {
        Store::model(self)
    }
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        Store::execute(self, who, cmd)
    }
    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError> {
        Store::contacts_of(self, client)
    }
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError> {
        rapport::session::kpi_table_local(self, period, by)
    }
    fn close(&mut self, today: NaiveDate) -> Result<(), String> {
        self.save_snapshot().map_err(|e| e.to_string())?;
        if let Some(dir) = rapport::paths::backup_dir(self.path()) {
            self.daily_backup(&dir, today, 7).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Data for Session {
    fn model(&self) -> &Model {
        Session::model(self)
    }
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        Session::execute(self, who, cmd)
    }
    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError> {
        Session::contacts_of(self, client)
    }
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError> {
        Session::kpi_table(self, period, by)
    }
    fn poll_events(&mut self) -> Vec<Event> {
        Session::poll_events(self)
    }
    fn connection_lost(&self) -> Option<String> {
        Session::connection_lost(self)
    }
    fn set_waker(&mut self, waker: Waker) {
        Session::set_waker(self, waker);
    }
    fn hand_over(&mut self, connect: Connector) -> Result<(), String> {
        Session::hand_over(self, connect).map_err(|e| e.to_string())
    }
    fn poll_hand_over(&mut self) -> bool {
        Session::poll_hand_over(self)
    }
    fn close(&mut self, today: NaiveDate) -> Result<(), String> {
        match self {
            Session::Local(store) => Data::close(store, today),
            // The server keeps its own snapshot and backups.
            Session::Remote(_) | Session::Joining(_) => Ok(()),
        }
    }
}

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

    pub fn filter_hits(&self) -> Option<usize> {
        self.hits.as_ref().map(|h| h.ranked.len())
    }

    /// Class totals over the filter, when one is active.
    pub fn filter_totals(&self) -> Option<&Totals> {
        self.filter_totals.as_ref()
    }

    /// Recounts the totals of the listed clients when a filter narrows
    /// them: one merge of two id-ordered lists.
    fn recount(&mut self) {
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

    /// One key press.
    pub fn key(&mut self, event: KeyEvent) {
        if self.panic_on_key {
            panic!("RAPPORT_PANIC_ON_KEY is set: panicking on purpose");
        }
        self.catch_up_hand_over();
        if self.overlay == Overlay::Errors {
            self.overlay = Overlay::None;
            self.dirty = true;
            return;
        }
        let key = Key::from_event(&event);
        self.pending.push(key);
        let mode = self.mode();
        match self.keymap.lookup(mode, &self.pending) {
            Lookup::Run(actions) => {
                let actions = actions.to_vec();
                self.pending.clear();
                for a in actions {
                    self.update(a);
                }
            }
            Lookup::Prefix => {}
            Lookup::None => {
                self.pending.clear();
                if mode.is_text() {
                    self.type_key(event);
                }
            }
        }
    }

    /// A paste: text for the input that has the focus (a form field, the
    /// filter, the palette), never keys. The inputs are one line: line
    /// breaks and tabs become spaces, other control characters are dropped.
    /// Anywhere else it is ignored, and the status line says so.
    pub fn paste(&mut self, text: &str) {
        self.catch_up_hand_over();
        self.pending.clear();
        self.dirty = true;
        let line = pasted_line(text);
        let taken = match &mut self.overlay {
            Overlay::None if self.filter_open => {
                self.filter.push_str(&line);
                self.apply_filter();
                true
            }
            Overlay::Form(_, form) => match form.focused() {
                Some(field) => {
                    field.value.push_str(&line);
                    form.error = None;
                    true
                }
                None => false,
            },
            Overlay::Palette { query, selected } => {
                query.push_str(&line);
                *selected = 0;
                true
            }
            _ => false,
        };
        if !taken {
            self.set_status(
                "Paste ignored: nothing here takes text (open a form, or / to filter, then paste)",
                Tone::Error,
            );
        }
    }

    /// Text typed into the filter, a form field or the palette.
    fn type_key(&mut self, event: KeyEvent) {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let edit = |s: &mut String| -> bool {
            match event.code {
                KeyCode::Char('u') if ctrl => {
                    s.clear();
                    true
                }
                KeyCode::Char('w') if ctrl => {
                    let keep = s.trim_end().rfind(' ').map_or(0, |i| i + 1);
                    s.truncate(keep);
                    true
                }
                KeyCode::Char(c) if !ctrl && !c.is_control() => {
                    s.push(c);
                    true
                }
                KeyCode::Backspace => s.pop().is_some(),
                _ => false,
            }
        };
        match &mut self.overlay {
            Overlay::None if self.filter_open && edit(&mut self.filter) => {
                self.apply_filter();
                self.dirty = true;
            }
            Overlay::Form(_, form) => {
                if let Some(field) = form.focused()
                    && edit(&mut field.value)
                {
                    form.error = None;
                    self.dirty = true;
                }
            }
            Overlay::Palette { query, selected } => {
                let typed = edit(query);
                if typed {
                    *selected = 0;
                    self.dirty = true;
                }
            }
            _ => {}
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

    fn select(&mut self, index: usize) {
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
    fn load_detail(&mut self) {
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
    fn apply_filter(&mut self) {
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
    fn refresh_rows(&mut self, keep: Option<ClientId>) {
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

    fn resort(&mut self) {
        let keep = self.rows.get(self.selected).copied();
        self.resort_keep(keep);
    }

    fn resort_keep(&mut self, keep: Option<ClientId>) {
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

    fn open_settlement_form(&mut self) {
        let Some(c) = self.selected_client() else { return };
        let id = c.id;
        let title = format!("New settlement · {}", c.name);
        let form = Form::new(
            title,
            vec![
                Field::new("Date", FieldKind::Date, self.today.to_string(), true),
                Field::new("Amount", FieldKind::Amount, "", true),
                Field::new("Product", FieldKind::Product, "", false),
                Field::new("Document", FieldKind::Text, "", false),
            ],
        );
        self.overlay = Overlay::Form(FormKind::Settlement(id), form);
    }

    fn open_segment_form(&mut self) {
        let Some(c) = self.selected_client() else { return };
        let current = c
            .segment
            .and_then(|s| self.model().segments.get(&s))
            .map(|s| s.code.clone())
            .unwrap_or_default();
        let (id, version, title) = (c.id, c.version, format!("Segment · {}", c.name));
        let form = Form::new(title, vec![Field::new("Segment", FieldKind::Segment, current, false)]);
        self.overlay = Overlay::Form(FormKind::Segment(id, version), form);
    }

    fn form_action(&mut self, action: Action) {
        let Overlay::Form(kind, form) = &mut self.overlay else {
            return;
        };
        let kind = *kind;
        match action {
            Action::NextField => form.next(),
            Action::PrevField => form.prev(),
            Action::Cancel => {
                let form = form.clone();
                self.overlay = if form.changed() {
                    Overlay::Confirm(kind, form)
                } else {
                    Overlay::None
                };
            }
            Action::Submit => self.submit(kind),
            _ => self.dirty = false,
        }
    }

    fn submit(&mut self, kind: FormKind) {
        let Overlay::Form(_, form) = &mut self.overlay else {
            return;
        };
        let model = self.data.model();
        if let Some(problem) = form.check(model) {
            form.error = Some(problem);
            return;
        }
        if kind == FormKind::ReportPeriod {
            let form = form.clone();
            match self.submit_period(&form) {
                Ok(()) => self.overlay = Overlay::None,
                Err(problem) => {
                    if let Overlay::Form(_, form) = &mut self.overlay {
                        form.error = Some(problem);
                    }
                }
            }
            return;
        }
        let cmd = match kind {
            FormKind::Settlement(client) => {
                let Some(date) = form.fields.first().and_then(Field::date) else {
                    return;
                };
                let Ok(amount) = Money::parse(form.value("Amount")) else {
                    return;
                };
                Command::RecordSettlement {
                    client,
                    date,
                    amount,
                    product: model.product_by_code(form.value("Product")).map(|p| p.id),
                    doc: form.value("Document").to_string(),
                }
            }
            FormKind::Offer {
                client,
                product,
                version,
            } => {
                let Some(cmd) = matrix::offer_command(self.today, form, client, product, version) else {
                    return;
                };
                cmd
            }
            FormKind::Contact(_)
            | FormKind::Task(_)
            | FormKind::Snooze { .. }
            | FormKind::NewTicket
            | FormKind::AdvanceTicket { .. }
            | FormKind::TicketOwner { .. }
            | FormKind::EditTicket { .. }
            | FormKind::Survey(_)
            | FormKind::ReportPeriod => {
                let form = form.clone();
                let cmd = match kind {
                    FormKind::Contact(_) | FormKind::Task(_) | FormKind::Snooze { .. } => {
                        self.queue_form_command(kind, &form)
                    }
                    _ => self.ticket_form_command(kind, &form),
                };
                match cmd {
                    Ok(cmd) => cmd,
                    Err(problem) => {
                        if let Overlay::Form(_, form) = &mut self.overlay {
                            form.error = Some(problem);
                        }
                        return;
                    }
                }
            }
            FormKind::Segment(client, version) => {
                let Some(c) = model.clients.get(&client) else { return };
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
        };
        let summary = cmd.describe(model);
        match self.data.execute(&self.who, cmd) {
            Ok(event) => {
                self.overlay = Overlay::None;
                self.applied(&event);
                // A low survey score opens a ticket by itself: say so.
                let opened = event.changes.iter().find_map(|c| match c {
                    Change::Ticket(t) if matches!(t.source, TicketSource::Survey(_)) && t.history.is_empty() => {
                        Some(t.id)
                    }
                    _ => None,
                });
                match opened {
                    Some(t) if matches!(kind, FormKind::Survey(_)) => self.set_status(
                        format!("Survey recorded: a score of 3 or less opened ticket #{t}"),
                        Tone::Error,
                    ),
                    _ => self.set_status(format!("Done: {summary}"), Tone::Ok),
                }
            }
            Err(e) => {
                if let Overlay::Form(_, form) = &mut self.overlay {
                    form.error = Some(e.to_string());
                }
            }
        }
    }

    /// Applies a command from a quick key, reporting in the status line.
    fn run(&mut self, cmd: Command) {
        let summary = cmd.describe(self.data.model());
        let result = self.data.execute(&self.who, cmd);
        // The call may have waited for a hand-over that brought a newer model.
        self.catch_up_hand_over();
        match result {
            Ok(event) => {
                self.applied(&event);
                self.set_status(format!("Done: {summary}"), Tone::Ok);
            }
            Err(e) => self.set_status(e.to_string(), Tone::Error),
        }
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

    /// The actions the palette offers for its query, best first.
    pub fn palette_items(&self, query: &str) -> Vec<(Action, Option<String>)> {
        let (q, _) = fold(query);
        let mode = self.tab.mode();
        let matcher = fuzzy_matcher::skim::SkimMatcherV2::default();
        let mut items: Vec<(i64, Action)> = Action::ALL
            .iter()
            .filter(|a| {
                !matches!(
                    a,
                    Action::Noop
                        | Action::Submit
                        | Action::Cancel
                        | Action::NextField
                        | Action::PrevField
                        | Action::Palette
                )
            })
            .filter_map(|a| {
                let hay = format!("{} {}", a.name().replace('_', " "), fold(a.describe()).0);
                if q.is_empty() {
                    Some((0, *a))
                } else {
                    fuzzy_matcher::FuzzyMatcher::fuzzy_match(&matcher, &hay, &q).map(|s| (s, *a))
                }
            })
            .collect();
        items.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        items
            .into_iter()
            .map(|(_, a)| (a, self.keymap.key_for(mode, a)))
            .collect()
    }

    fn palette(&mut self, action: Action) {
        let Overlay::Palette { query, selected } = &self.overlay else {
            return;
        };
        let (query, selected) = (query.clone(), *selected);
        let n = self.palette_items(&query).len();
        match action {
            Action::Cancel => self.overlay = Overlay::None,
            Action::MoveDown => {
                self.overlay = Overlay::Palette {
                    query,
                    selected: (selected + 1).min(n.saturating_sub(1)),
                }
            }
            Action::MoveUp => {
                self.overlay = Overlay::Palette {
                    query,
                    selected: selected.saturating_sub(1),
                }
            }
            Action::Submit => {
                let chosen = self.palette_items(&query).get(selected).map(|(a, _)| *a);
                self.overlay = Overlay::None;
                if let Some(a) = chosen {
                    self.update(a);
                }
            }
            _ => self.dirty = false,
        }
    }
}

/// Pasted text as one line of an input: the line break that ends most
/// pastes is dropped, the others and tabs become spaces, and no other
/// control character is kept.
fn pasted_line(text: &str) -> String {
    text.trim_end_matches(['\n', '\r'])
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}
