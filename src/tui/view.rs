//! What a view is to the app: a component that owns its state, its keys,
//! its forms (turned into commands there), its reaction to what changed,
//! and its drawing. The app holds the shared parts (the data, the classes,
//! the client filter), hands them to the views in a `Ctx`, and carries out
//! what a view asks of it (`Effect`): it never names a view's insides.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;

use rapport::backend::Backend;
use rapport::classes::{Classes, Engine};
use rapport::domain::{ClientId, ManagerId};
use rapport::model::Model;
use rapport::write::{Command, Event};

use super::action::Action;
use super::app::{App, FormKind, Tone};
use super::filter::Filter;
use super::form::Form;
use super::keymap::Mode;

/// The shared parts a view works with.
pub struct Ctx<'a> {
    pub data: &'a mut dyn Backend,
    pub engine: &'a Engine,
    pub filter: &'a Filter,
    /// The class history of the last 12 month ends (the portfolio and the
    /// reports show it), computed when a view needs it.
    pub history: &'a mut Option<Vec<Classes>>,
    pub today: NaiveDate,
    pub who: &'a str,
    /// Whether the view is the one on screen.
    pub shown: bool,
    effects: &'a mut Vec<Effect>,
}

impl<'a> Ctx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        data: &'a mut dyn Backend,
        engine: &'a Engine,
        filter: &'a Filter,
        history: &'a mut Option<Vec<Classes>>,
        today: NaiveDate,
        who: &'a str,
        shown: bool,
        effects: &'a mut Vec<Effect>,
    ) -> Ctx<'a> {
        Ctx {
            data,
            engine,
            filter,
            history,
            today,
            who,
            shown,
            effects,
        }
    }

    pub fn model(&self) -> &Model {
        self.data.model()
    }

    pub fn classes(&self) -> &Classes {
        self.engine.classes()
    }

    pub fn as_of(&self) -> NaiveDate {
        self.engine.as_of()
    }

    /// The class history, computed on first use.
    pub fn load_history(&mut self) {
        if self.history.is_none() {
            *self.history = Some(rapport::classes::history(self.data.model(), self.engine.as_of(), 12));
        }
    }

    /// Asks the app for something once the view is done.
    pub fn ask(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    pub fn status(&mut self, text: impl Into<String>, tone: Tone) {
        self.ask(Effect::Status(text.into(), tone));
    }

    pub fn open_form(&mut self, kind: FormKind, form: Form) {
        self.ask(Effect::Form(kind, form));
    }
}

/// What a view asks of the app.
#[derive(Debug)]
pub enum Effect {
    /// Show this form.
    Form(FormKind, Form),
    /// Apply this command (reported in the status line).
    Run(Command),
    /// Show this client in the clients list, its card open.
    ShowClient(ClientId),
    /// List only this manager's clients (`None`: everyone's).
    ShowManager(Option<ManagerId>),
    Status(String, Tone),
    /// Show these lines to read (a client's history), scrollable.
    Text {
        title: String,
        lines: Vec<String>,
    },
}

/// Whether a view took an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Not one of its keys: the app (then the clients list) has it.
    No,
    Yes,
    /// Taken, but nothing changed on screen.
    Unchanged,
}

/// Why a view must look at the data again.
#[derive(Clone, Copy, Debug)]
pub enum Refresh<'e> {
    /// An event was applied (ours, or one a server pushed), with the
    /// clients whose ABC class it moved.
    Event(&'e Event, &'e [ClientId]),
    /// The classes are now as of another date.
    AsOf,
    /// The client filter changed.
    Filter,
    /// The model was replaced (a new server session): rebuild everything.
    Replaced,
}

/// What a submitted form did.
pub enum Submitted {
    /// Apply this command.
    Run(Command),
    /// The view applied it itself (nothing to store).
    Applied,
}

pub trait View {
    fn title(&self) -> &'static str;

    /// The keymap section of the view's own keys now.
    fn mode(&self) -> Mode;

    /// Whether the client filter narrows what the view shows (`/` then
    /// filters here instead of going to the clients list).
    fn filtered(&self) -> bool {
        false
    }

    /// The view comes on screen: bring what it shows up to date.
    fn open(&mut self, cx: &mut Ctx);

    /// One of the view's own keys; `Handled::No` for the rest.
    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled;

    /// Look at the data again; `cx.shown` says whether to do it now or
    /// when the view is next opened.
    fn refresh(&mut self, why: Refresh, cx: &mut Ctx);

    /// The command a form of this view's stands for, or the problem to
    /// show in it; `None` when the form is not one of this view's.
    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>>;

    /// The form of `kind` made again from the record as it is now, after
    /// someone else's change refused it as stale (`None`: not this view's).
    fn renew(&self, _kind: FormKind, _cx: &Ctx) -> Option<(FormKind, Form)> {
        None
    }

    /// Draws the view in `area`; the app is there to read (the theme, the
    /// model, the shared parts). No I/O.
    fn draw(&self, frame: &mut Frame, area: Rect, app: &App);
}
