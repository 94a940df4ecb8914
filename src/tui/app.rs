//! The app: the shared parts (the data, the classes, the client filter, the
//! class history), the views, the overlay (help, palette, a form) and the
//! status line. A key becomes an `Action` through the keymap, or text for
//! the field being typed in; the view on screen gets the action first,
//! then the app (tabs, filter, dates, help), then the clients list. Data
//! changes go through the backend's command path, and the event each
//! returns reaches every view in the same frame.
//!
//! The parts: `input` (keys, paste, the palette) and `forms` (a form's
//! keys, and running the command a view made of it). The views are in
//! `views/`, one component each (see `view.rs`).

use chrono::{Months, NaiveDate};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rapport::backend::{Backend, BackendError};
use rapport::classes::{self, Classes, Engine, Totals};
use rapport::domain::*;
use rapport::model::Model;
use rapport::write::undo::{self, Prior};
use rapport::write::{Command, Event};

mod documents;
mod forms;
mod input;
pub mod saved;

pub use crate::tui::views::Views;

use super::action::Action;
use super::config::ConfigError;
use super::filter::Filter;
use super::form::{FieldKind, Form};
use super::fuzzy::{Search, fold};
use super::keymap::{Key, Keymap, Lookup, Mode};
use super::theme::Theme;
use super::view::{Ctx, Effect, Handled, Refresh, View};

/// The views, in the order of the tab bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Clients,
    Matrix,
    Portfolio,
    Queue,
    Tickets,
    Reports,
    Trash,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Clients,
        Tab::Matrix,
        Tab::Portfolio,
        Tab::Queue,
        Tab::Tickets,
        Tab::Reports,
        Tab::Trash,
    ];
}

/// A form on screen and what it is for; the view that owns the kind turns
/// it into a command.
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
    NewClient,
    EditClient(ClientId, u64),
    NewPerson(ClientId),
    /// Which of the client's persons to edit.
    PickPerson(ClientId),
    EditPerson {
        client: ClientId,
        person: PersonId,
        seq: u64,
    },
    EditSettlement {
        client: ClientId,
        id: SettlementId,
        seq: u64,
    },
    /// Which of the card's records (settlement, logged contact, task,
    /// survey) to correct or delete.
    PickRecord {
        client: ClientId,
        delete: bool,
    },
    EditContact {
        client: ClientId,
        id: ContactId,
        seq: u64,
    },
    EditTask {
        task: TaskId,
        seq: u64,
    },
    EditSurvey {
        survey: SurveyId,
        seq: u64,
    },
    /// Asking before a client goes to the trash.
    ArchiveClient {
        client: ClientId,
        seq: u64,
    },
    /// Which of the client's persons goes to the trash.
    ArchivePerson(ClientId),
    /// Asking before an archived record is deleted for good.
    Purge(Archivable),
    /// When and how a document went to the client.
    DocSent(rapport::domain::DocNumber),
    /// A change to every marked client.
    BulkEdit,
    /// Asking before the marked clients go to the trash.
    ArchiveMarked,
    /// Which client a duplicate is merged into.
    Merge,
    /// The name to save the view on screen under.
    SaveView,
    /// The name of a saved view to show.
    RecallView,
    /// An offer's amendment date, invoice and instalments (`seq`: of the
    /// terms as shown).
    Terms {
        client: ClientId,
        product: ProductId,
        seq: u64,
    },
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
    /// Lines to read (a client's history), scrolled like the help.
    Text {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Error,
}

/// Opens a fresh server session after the connection was lost.
pub type Reconnect = Box<dyn FnMut() -> Result<Box<dyn Backend>, String>>;

pub struct App {
    data: Box<dyn Backend>,
    pub who: String,
    pub today: NaiveDate,
    engine: Engine,
    pub filter: Filter,
    /// The class history of the last 12 month ends, computed when a view
    /// shows it.
    history: Option<Vec<Classes>>,
    pub views: Views,
    pub keymap: Keymap,
    pub theme: Theme,
    pub config_errors: Vec<ConfigError>,
    pub tab: Tab,
    pub overlay: Overlay,
    pub status: Option<(String, Tone)>,
    pending: Vec<Key>,
    pub quit: bool,
    /// Set when something visible changed; the loop draws only then.
    pub dirty: bool,
    /// Test hook (`RAPPORT_PANIC_ON_KEY`): panic at the next key, to check
    /// that a crash still restores the terminal and releases the database.
    pub panic_on_key: bool,
    /// How a server session reconnects when its connection is lost (set by
    /// the command line; a local session has none).
    pub reconnect: Option<Reconnect>,
    /// Wakes the loop when a server pushes something.
    waker: Option<std::sync::Arc<dyn Fn() + Send + Sync>>,
    /// Text the terminal loop is to hand to the user's editor (the focused
    /// field's); the answer comes back through `edited`.
    pub editor: Option<String>,
    /// This session's own changes, newest last, each with how to take it
    /// back (or why it cannot be yet); `redo` holds what was undone.
    undo: Vec<Undoable>,
    redo: Vec<Undoable>,
    /// Where documents are written (`--documents`).
    pub documents: std::path::PathBuf,
    /// A form a smaller one was opened over; it comes back when that closes.
    parked: Option<(FormKind, Form)>,
    /// Where the user's saved views are kept (`$XDG_CONFIG_HOME/rapport`).
    pub config_dir: Option<std::path::PathBuf>,
    /// Phones and emails as terminal hyperlinks (off in tests and with
    /// `links = false`).
    pub links: crate::tui::links::Links,
}

/// A change of this session's, and the command that takes it back.
struct Undoable {
    summary: String,
    inverse: Result<Command, String>,
}

impl App {
    pub fn new(data: Box<dyn Backend>, who: String, today: NaiveDate, keymap: Keymap, theme: Theme) -> App {
        // Both read the model only: build them side by side.
        let model = data.model();
        let (engine, search) = std::thread::scope(|s| {
            let search = s.spawn(|| Search::build(model));
            let engine = Engine::new(model, today);
            (engine, search.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        let scope = crate::tui::views::queue::default_scope(model, &who);
        let mut app = App {
            data,
            who,
            today,
            engine,
            filter: Filter::new(search),
            history: None,
            views: Views::new(scope),
            keymap,
            theme,
            config_errors: Vec::new(),
            tab: Tab::Clients,
            overlay: Overlay::None,
            status: None,
            pending: Vec::new(),
            quit: false,
            dirty: true,
            panic_on_key: false,
            reconnect: None,
            waker: None,
            editor: None,
            undo: Vec::new(),
            redo: Vec::new(),
            documents: rapport::documents::dir(None).unwrap_or_default(),
            parked: None,
            config_dir: None,
            links: crate::tui::links::Links::new(false),
        };
        app.with_views(Tab::Clients, |views, cx| views.clients.refresh_rows(None, cx));
        app
    }

    /// Runs `f` on the views with the shared parts (`shown`: whether the
    /// view of `tab` is on screen), then does what they asked.
    fn with_views<R>(&mut self, tab: Tab, f: impl FnOnce(&mut Views, &mut Ctx) -> R) -> R {
        let mut effects = Vec::new();
        let shown = tab == self.tab;
        let result = {
            let mut cx = Ctx::new(
                &mut *self.data,
                &self.engine,
                &self.filter,
                &mut self.history,
                self.today,
                &self.who,
                shown,
                &mut effects,
            );
            f(&mut self.views, &mut cx)
        };
        for effect in effects {
            self.carry_out(effect);
        }
        result
    }

    /// Runs `f` on the view of `tab`.
    fn with_view<R>(&mut self, tab: Tab, f: impl FnOnce(&mut dyn View, &mut Ctx) -> R) -> R {
        self.with_views(tab, |views, cx| f(views.get_mut(tab), cx))
    }

    /// Tells every view to look at the data again.
    fn refresh_all(&mut self, why: Refresh) {
        if !matches!(why, Refresh::Filter) {
            self.history = None;
        }
        self.filter.recount(self.data.model(), self.engine.classes());
        for tab in Tab::ALL {
            self.with_view(tab, |v, cx| v.refresh(why, cx));
        }
    }

    fn carry_out(&mut self, effect: Effect) {
        self.dirty = true;
        match effect {
            Effect::Form(kind, form) => self.overlay = Overlay::Form(kind, form),
            Effect::Run(cmd) => self.run(cmd),
            Effect::ShowClient(client) => self.show_client(client),
            Effect::ShowManager(manager) => self.show_manager(manager),
            Effect::Status(text, tone) => self.set_status(text, tone),
            Effect::Text { title, lines } => {
                self.overlay = Overlay::Text {
                    title,
                    lines,
                    scroll: 0,
                }
            }
        }
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
                let status = if self.data.through_server() {
                    format!("Reconnected to the server ({reason})")
                } else {
                    // PostgreSQL: no server answers, the database does.
                    format!("Lost the server ({reason}); now working on the database directly")
                };
                self.set_status(status, Tone::Ok);
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
        if self.data.poll_replaced() {
            self.rebuild();
            self.dirty = true;
        }
    }

    /// Starts again from `data` (a new server session): everything derived
    /// from the model is rebuilt; the view, filter and selection stay.
    fn replace_data(&mut self, data: Box<dyn Backend>) {
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
        self.filter.rebuild(model);
        self.refresh_all(Refresh::Replaced);
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
        self.data
            .close(chrono::Local::now().date_naive())
            .map_err(|e| e.to_string())
    }

    pub fn classes(&self) -> &Classes {
        self.engine.classes()
    }

    pub fn as_of(&self) -> NaiveDate {
        self.engine.as_of()
    }

    /// The view on screen.
    pub fn view(&self) -> &dyn View {
        self.views.get(self.tab)
    }

    /// The client selected in the clients list.
    pub fn selected_client(&self) -> Option<&Client> {
        self.views.clients.selected_client(self.model())
    }

    pub fn filter_hits(&self) -> Option<usize> {
        self.filter.hit_count()
    }

    /// Class totals over the filter, when one is active.
    pub fn filter_totals(&self) -> Option<&Totals> {
        self.filter.totals()
    }

    /// The class history, once a view asked for it.
    pub fn history(&self) -> Option<&[Classes]> {
        self.history.as_deref()
    }

    /// Opens or closes the client card.
    pub fn set_card(&mut self, open: bool) {
        self.with_views(Tab::Clients, |views, cx| views.clients.set_card(open, cx));
        self.dirty = true;
    }

    /// Work left for after the first frame, a step per call; true when it
    /// changed what shows.
    pub fn finish_loading(&mut self) -> bool {
        if !self.views.clients.next_due_loaded() {
            self.with_views(Tab::Clients, |views, cx| views.clients.load_next_due(cx));
            self.dirty = true;
            return true;
        }
        // Then a first session that opened the database itself hands it to
        // a server (started now, it does not slow the steps above).
        match self.data.hand_over() {
            Ok(false) => false,
            Ok(true) => {
                if let Some(w) = self.waker.clone() {
                    self.data.set_waker(Box::new(move || w()));
                }
                false
            }
            Err(e) => {
                self.set_status(format!("Cannot hand the database to a server: {e}"), Tone::Error);
                self.dirty = true;
                true
            }
        }
    }

    /// The mode whose keymap section applies now.
    pub fn mode(&self) -> Mode {
        match &self.overlay {
            Overlay::Help { .. } | Overlay::Text { .. } => Mode::Help,
            Overlay::Palette { .. } => Mode::Palette,
            Overlay::Form(..) => Mode::Form,
            Overlay::Confirm(..) => Mode::Confirm,
            Overlay::Errors => Mode::Help,
            Overlay::None if self.filter.open => Mode::Filter,
            Overlay::None => self.view().mode(),
        }
    }

    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        match (&self.overlay, action) {
            (_, Action::Noop) => self.dirty = false,
            (Overlay::Help { .. } | Overlay::Errors | Overlay::Text { .. }, Action::Cancel | Action::Help) => {
                self.overlay = Overlay::None
            }
            (Overlay::Text { .. }, Action::MoveDown | Action::MoveUp | Action::PageDown | Action::PageUp) => {
                if let Overlay::Text { scroll, lines, .. } = &mut self.overlay {
                    let step = if matches!(action, Action::PageDown | Action::PageUp) {
                        10
                    } else {
                        1
                    };
                    *scroll = if matches!(action, Action::MoveDown | Action::PageDown) {
                        (*scroll + step).min(lines.len().saturating_sub(1))
                    } else {
                        scroll.saturating_sub(step)
                    };
                }
            }
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
            (Overlay::Help { .. } | Overlay::Confirm(..) | Overlay::Errors | Overlay::Text { .. }, _) => {
                self.dirty = false
            }
            (Overlay::None, _) => self.navigate(action),
        }
        self.unpark();
        // A hook that failed meanwhile (they run on threads of their own).
        if let Some(failure) = self.data.hook_failures().pop() {
            self.set_status(format!("{failure} (see hooks.log)"), Tone::Error);
        }
    }

    /// The view on screen first (not while the filter is typed), then the
    /// app's own keys, then the clients list (its keys work on the views
    /// without a list of their own).
    fn navigate(&mut self, action: Action) {
        if !self.filter.open && self.tab != Tab::Clients {
            match self.with_view(self.tab, |v, cx| v.action(action, cx)) {
                Handled::No => {}
                Handled::Yes => return,
                Handled::Unchanged => {
                    self.dirty = false;
                    return;
                }
            }
        }
        if self.app_action(action) {
            return;
        }
        match self.with_view(Tab::Clients, |v, cx| v.action(action, cx)) {
            Handled::Yes => {}
            Handled::Unchanged | Handled::No => self.dirty = false,
        }
    }

    /// The keys of the app itself; false for the others.
    fn app_action(&mut self, action: Action) -> bool {
        match action {
            Action::Quit => self.quit = true,
            Action::OpenFilter => {
                if !self.view().filtered() {
                    self.tab = Tab::Clients;
                }
                self.filter.open = true;
            }
            Action::ClearFilter | Action::Cancel if self.filter.open || !self.filter.pattern.is_empty() => {
                self.filter.clear();
                self.refresh_all(Refresh::Filter);
            }
            Action::Submit if self.filter.open => self.filter.open = false,
            Action::SaveView => self.open_save_view_form(),
            Action::RecallView => self.open_recall_view_form(),
            Action::TabClients => self.show_tab(Tab::Clients),
            Action::TabMatrix => self.show_tab(Tab::Matrix),
            Action::TabPortfolio => self.show_tab(Tab::Portfolio),
            Action::TabQueue => self.show_tab(Tab::Queue),
            Action::TabTickets => self.show_tab(Tab::Tickets),
            Action::TabReports => self.show_tab(Tab::Reports),
            Action::Trash => self.show_tab(Tab::Trash),
            Action::NextTab | Action::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                let step = if action == Action::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                self.show_tab(Tab::ALL[(i + step) % Tab::ALL.len()]);
            }
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
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
            _ => return false,
        }
        true
    }

    fn show_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.with_view(tab, |v, cx| v.open(cx));
    }

    fn set_as_of(&mut self, date: Option<NaiveDate>) {
        let Some(date) = date else { return };
        if date == self.as_of() {
            self.dirty = false;
            return;
        }
        self.engine.set_as_of(self.data.model(), date);
        self.refresh_all(Refresh::AsOf);
        self.set_status(format!("Classes as of {date}"), Tone::Ok);
    }

    /// The filter's pattern changed.
    fn filter_changed(&mut self) {
        self.filter.refilter();
        self.refresh_all(Refresh::Filter);
    }

    /// Shows `client` selected in the clients view (clearing a filter
    /// that hides it).
    fn show_client(&mut self, client: ClientId) {
        if !self.filter.pattern.is_empty() {
            self.filter.clear();
            self.refresh_all(Refresh::Filter);
        }
        let manager = self.model().clients.get(&client).and_then(|c| c.manager);
        if self.filter.manager.is_some() && self.filter.manager != manager {
            self.filter.manager = None;
            self.refresh_all(Refresh::Filter);
        }
        self.tab = Tab::Clients;
        self.with_views(Tab::Clients, |views, cx| views.clients.show(client, cx));
    }

    /// Lists only `manager`'s clients (`None`: everyone's again).
    fn show_manager(&mut self, manager: Option<ManagerId>) {
        self.filter.manager = manager;
        self.tab = Tab::Clients;
        self.refresh_all(Refresh::Filter);
        let text = match manager.and_then(|m| self.model().managers.get(&m)) {
            Some(m) => format!(
                "{} clients of {} · Esc shows everyone's",
                self.views.clients.rows.len(),
                m.name
            ),
            None => "Every manager's clients".to_string(),
        };
        self.set_status(text, Tone::Ok);
    }

    fn set_status(&mut self, text: impl Into<String>, tone: Tone) {
        self.status = Some((text.into(), tone));
    }

    /// Brings every view up to date after an event (ours, or one a
    /// server pushed).
    pub fn applied(&mut self, event: &Event) {
        let abc_before: Vec<(ClientId, Option<classes::Abc>)> = self
            .engine
            .classes()
            .clients
            .iter()
            .map(|c| (c.client, c.abc))
            .collect();
        self.engine.apply(self.data.model(), &event.changes);
        // The clients whose ABC class moved: their cadence changes.
        let mut moved = Vec::new();
        let mut before = abc_before.iter().peekable();
        for c in &self.engine.classes().clients {
            while before.next_if(|(id, _)| *id < c.client).is_some() {}
            let old = before.peek().filter(|(id, _)| *id == c.client).map(|(_, abc)| *abc);
            if old != Some(c.abc) {
                moved.push(c.client);
            }
        }
        self.filter.applied(self.data.model(), &event.changes);
        self.refresh_all(Refresh::Event(event, &moved));
        self.dirty = true;
    }

    /// Applies `cmd` for the user: what it replaces is read first, so that
    /// `undo` can put it back.
    fn execute(&mut self, cmd: Command) -> Result<Event, BackendError> {
        let summary = cmd.describe(self.data.model());
        let prior = Prior::of(self.data.model(), &cmd);
        let event = self.data.execute(&self.who, cmd)?;
        self.undo.push(Undoable {
            summary,
            inverse: undo::inverse(&event, &prior),
        });
        self.redo.clear();
        Ok(event)
    }

    /// Takes back this session's last change; `redo` puts it again.
    fn undo(&mut self) {
        self.step_back(true);
    }

    fn redo(&mut self) {
        self.step_back(false);
    }

    /// Runs the inverse of the newest change on one stack and keeps its own
    /// inverse on the other.
    fn step_back(&mut self, undo: bool) {
        let (from, verb) = if undo {
            (&mut self.undo, "Undo")
        } else {
            (&mut self.redo, "Redo")
        };
        let Some(entry) = from.pop() else {
            let what = if undo {
                "nothing of this session's to undo"
            } else {
                "nothing to redo"
            };
            return self.set_status(format!("{verb}: {what}"), Tone::Error);
        };
        let cmd = match entry.inverse {
            Ok(cmd) => cmd,
            Err(why) => {
                let verb = verb.to_lowercase();
                return self.set_status(format!("Cannot {verb} \"{}\": {why}", entry.summary), Tone::Error);
            }
        };
        let prior = Prior::of(self.data.model(), &cmd);
        let result = self.data.execute(&self.who, cmd);
        self.catch_up_hand_over();
        match result {
            Ok(event) => {
                self.applied(&event);
                let back = Undoable {
                    summary: entry.summary.clone(),
                    inverse: undo::inverse(&event, &prior),
                };
                if undo { &mut self.redo } else { &mut self.undo }.push(back);
                let done = if undo { "Undone" } else { "Redone" };
                self.set_status(format!("{done}: {}", entry.summary), Tone::Ok);
            }
            Err(e) => self.set_status(
                format!("Cannot {} \"{}\": {e}", verb.to_lowercase(), entry.summary),
                Tone::Error,
            ),
        }
    }

    /// Applies a command from a quick key, reporting in the status line.
    fn run(&mut self, cmd: Command) {
        let summary = cmd.describe(self.data.model());
        let result = self.execute(cmd);
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
}
