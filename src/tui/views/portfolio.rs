//! The portfolio view: the class totals and the class history of the last
//! 12 month ends (computed when it is shown). Its list keys are the
//! clients list's.

mod draw;

use ratatui::Frame;
use ratatui::layout::Rect;

pub use draw::history_chart;

use crate::tui::action::Action;
use crate::tui::app::{App, FormKind};
use crate::tui::form::Form;
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Handled, Refresh, Submitted, View};

#[derive(Default)]
pub struct PortfolioView;

impl View for PortfolioView {
    fn title(&self) -> &'static str {
        "Portfolio"
    }

    fn mode(&self) -> Mode {
        Mode::Portfolio
    }

    fn open(&mut self, cx: &mut Ctx) {
        cx.load_history();
    }

    fn action(&mut self, _action: Action, _cx: &mut Ctx) -> Handled {
        Handled::No
    }

    /// The app dropped the history: compute it again while shown.
    fn refresh(&mut self, why: Refresh, cx: &mut Ctx) {
        if cx.shown && !matches!(why, Refresh::Filter) {
            cx.load_history();
        }
    }

    fn submit(&mut self, _kind: FormKind, _form: &Form, _cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        draw::draw(frame, app, area);
    }
}
