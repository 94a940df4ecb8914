//! The reports tab (SPEC §7): the manager table for a period picked from
//! the usual presets or typed, the funnel, loyalty and complaints of the
//! selected row's manager (or everyone's), and the class history.
//! Selecting a manager's row and pressing Enter lists their clients.

mod draw;
mod marketing;

use ratatui::Frame;
use ratatui::layout::Rect;

use rapport::domain::{ManagerId, parse_date};
use rapport::kpi::{self, Funnel, GroupBy, Period, Preset, Table};
use rapport::tickets::Summary;

use crate::tui::action::Action;
use crate::tui::app::{App, FormKind, Tone};
use crate::tui::cursor::{Cursor, Moved};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Effect, Handled, Refresh, Submitted, View};

pub struct ReportsView {
    /// `None`: dates typed by the user.
    pub preset: Option<Preset>,
    pub period: Option<Period>,
    pub by: GroupBy,
    pub table: Option<Table>,
    pub funnel: Funnel,
    pub complaints: Summary,
    /// Showing the marketing panes (sources, competitors) under the table.
    pub marketing: bool,
    pub sources: Option<kpi::Sources>,
    pub competitors: Option<kpi::Competitors>,
    /// A row of the table; one past the rows is the total.
    pub cursor: Cursor,
    pub stale: bool,
}

impl Default for ReportsView {
    fn default() -> Self {
        ReportsView {
            preset: Some(Preset::ThisMonth),
            period: None,
            by: GroupBy::Manager,
            table: None,
            funnel: Funnel::default(),
            complaints: Summary::default(),
            marketing: false,
            sources: None,
            competitors: None,
            cursor: Cursor::default(),
            stale: true,
        }
    }
}

impl ReportsView {
    /// The manager of the selected row, when rows are managers.
    pub fn selected_manager(&self) -> Option<ManagerId> {
        self.table
            .as_ref()
            .filter(|t| t.by == GroupBy::Manager)
            .and_then(|t| t.rows.get(self.cursor.selected))
            .and_then(|r| r.manager)
    }

    fn rows(&self) -> usize {
        self.table.as_ref().map_or(0, |t| t.rows.len() + 1)
    }

    pub fn period_label(&self) -> String {
        let Some(p) = self.period else {
            return String::new();
        };
        match self.preset {
            Some(preset) => format!("{} · {} to {}", preset.label(), p.from, p.to),
            None => format!("{} to {}", p.from, p.to),
        }
    }

    /// Recomputes the table for the period, then the panes for the row.
    fn rebuild(&mut self, cx: &mut Ctx) {
        let period = match (self.preset, self.period) {
            (Some(preset), _) => preset.period(cx.as_of()),
            (None, Some(p)) => p,
            (None, None) => Preset::ThisMonth.period(cx.as_of()),
        };
        self.period = Some(period);
        match cx.data.kpi_table(period, self.by) {
            Ok(table) => {
                self.cursor.clamp(table.rows.len() + 1);
                self.table = Some(table);
            }
            Err(e) => {
                self.table = None;
                cx.status(format!("Cannot read the period's data: {e}"), Tone::Error);
            }
        }
        self.stale = false;
        self.refocus(cx);
    }

    /// The funnel and complaints of the selected manager's clients (all
    /// clients on the total row or when rows are not managers).
    fn refocus(&mut self, cx: &mut Ctx) {
        let Some(period) = self.period else {
            return;
        };
        let manager = self.selected_manager();
        let model = cx.model();
        let keep = |m: Option<ManagerId>| manager.is_none() || m == manager;
        self.funnel = kpi::funnel(model, period, |c| keep(c.manager));
        let tickets = model
            .tickets
            .values()
            .filter(|t| model.clients.get(&t.client).is_some_and(|c| keep(c.manager)));
        self.complaints = rapport::tickets::summary(tickets, period.from, period.to);
        if self.marketing {
            self.competitors = Some(kpi::competitors(model, period, |c| keep(c.manager)));
            match cx.data.sources_table(period, manager) {
                Ok(s) => self.sources = Some(s),
                Err(e) => {
                    self.sources = None;
                    cx.status(format!("Cannot read the period's sales: {e}"), Tone::Error);
                }
            }
        }
    }

    fn open_period_form(&mut self, cx: &mut Ctx) {
        let (from, to) = self.period.map_or((String::new(), String::new()), |p| {
            (p.from.to_string(), p.to.to_string())
        });
        let form = Form::new(
            "Report period".to_string(),
            vec![
                Field::new("From", FieldKind::Date, from, true),
                Field::new("To", FieldKind::Date, to, true),
            ],
        );
        cx.open_form(FormKind::ReportPeriod, form);
    }

    /// Applies the typed period; the form says what is wrong otherwise.
    fn submit_period(&mut self, form: &Form, cx: &mut Ctx) -> Result<(), String> {
        let date = |label: &str| parse_date(form.value(label)).map_err(|e| format!("{label}: {e}"));
        let period = Period::new(date("From")?, date("To")?)?;
        self.preset = None;
        self.period = Some(period);
        self.rebuild(cx);
        Ok(())
    }
}

impl View for ReportsView {
    fn title(&self) -> &'static str {
        "Reports"
    }

    fn mode(&self) -> Mode {
        Mode::Reports
    }

    fn open(&mut self, cx: &mut Ctx) {
        if self.stale {
            self.rebuild(cx);
        }
        cx.load_history();
    }

    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        // A page is the whole table: PgUp and PgDn go to its ends.
        match self.cursor.step(action, self.rows(), Some(self.rows().max(1))) {
            Moved::No => {}
            Moved::Stayed => return Handled::Unchanged,
            Moved::To(_) => {
                self.refocus(cx);
                return Handled::Yes;
            }
        }
        match action {
            Action::ReportPeriodNext => {
                let i = self
                    .preset
                    .and_then(|p| Preset::ALL.iter().position(|q| *q == p))
                    .map_or(0, |i| (i + 1) % Preset::ALL.len());
                self.preset = Some(Preset::ALL[i]);
                self.rebuild(cx);
            }
            Action::ReportGroupNext => {
                self.by = self.by.next();
                self.cursor.selected = 0;
                self.rebuild(cx);
            }
            Action::ReportPeriodDates => self.open_period_form(cx),
            Action::ReportMarketing => {
                self.marketing = !self.marketing;
                self.refocus(cx);
            }
            Action::OpenClient | Action::Submit => match self.selected_manager() {
                Some(m) => cx.ask(Effect::ShowManager(Some(m))),
                None => cx.status("Select a manager's row to list their clients", Tone::Error),
            },
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn refresh(&mut self, why: Refresh, cx: &mut Ctx) {
        if matches!(why, Refresh::Filter) {
            return;
        }
        self.stale = true;
        if cx.shown {
            self.open(cx);
        }
    }

    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        match kind {
            FormKind::ReportPeriod => Some(self.submit_period(form, cx).map(|()| Submitted::Applied)),
            _ => None,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        draw::draw(frame, app, area);
    }
}
