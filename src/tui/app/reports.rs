//! The reports tab (SPEC §7): the manager table for a period picked from
//! the usual presets or typed, the funnel, loyalty and complaints of the
//! selected row's manager (or everyone's), and the class history.
//! Selecting a manager's row and pressing Enter lists their clients.

use rapport::domain::{ManagerId, parse_date};
use rapport::kpi::{self, Funnel, GroupBy, Period, Preset, Table};
use rapport::tickets::Summary;

use super::{App, FormKind, Overlay, Tab, Tone};
use crate::tui::action::Action;
use crate::tui::form::{Field, FieldKind, Form};

pub struct ReportsState {
    /// `None`: dates typed by the user.
    pub preset: Option<Preset>,
    pub period: Option<Period>,
    pub by: GroupBy,
    pub table: Option<Table>,
    pub funnel: Funnel,
    pub complaints: Summary,
    /// A row of the table; one past the rows is the total.
    pub selected: usize,
    pub stale: bool,
}

impl Default for ReportsState {
    fn default() -> Self {
        ReportsState {
            preset: Some(Preset::ThisMonth),
            period: None,
            by: GroupBy::Manager,
            table: None,
            funnel: Funnel::default(),
            complaints: Summary::default(),
            selected: 0,
            stale: true,
        }
    }
}

impl ReportsState {
    /// The manager of the selected row, when rows are managers.
    pub fn selected_manager(&self) -> Option<ManagerId> {
        self.table
            .as_ref()
            .filter(|t| t.by == GroupBy::Manager)
            .and_then(|t| t.rows.get(self.selected))
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
}

impl App {
    pub(super) fn open_reports(&mut self) {
        self.tab = Tab::Reports;
        if self.reports.stale {
            self.rebuild_reports();
        }
        if self.history.is_none() {
            self.history = Some(rapport::classes::history(self.data.model(), self.as_of(), 12));
        }
    }

    /// Recomputes the table for the period, then the panes for the row.
    pub(super) fn rebuild_reports(&mut self) {
        let r = &mut self.reports;
        let period = match (r.preset, r.period) {
            (Some(preset), _) => preset.period(self.engine.as_of()),
            (None, Some(p)) => p,
            (None, None) => Preset::ThisMonth.period(self.engine.as_of()),
        };
        r.period = Some(period);
        let by = r.by;
        match self.data.kpi_table(period, by) {
            Ok(table) => {
                let r = &mut self.reports;
                r.selected = r.selected.min(table.rows.len());
                r.table = Some(table);
            }
            Err(e) => {
                self.reports.table = None;
                self.set_status(format!("Cannot read the period's data: {e}"), Tone::Error);
            }
        }
        self.reports.stale = false;
        self.refocus_reports();
    }

    /// The funnel and complaints of the selected manager's clients (all
    /// clients on the total row or when rows are not managers).
    fn refocus_reports(&mut self) {
        let Some(period) = self.reports.period else {
            return;
        };
        let manager = self.reports.selected_manager();
        let model = self.data.model();
        let keep = |m: Option<ManagerId>| manager.is_none() || m == manager;
        self.reports.funnel = kpi::funnel(model, period, |c| keep(c.manager));
        let tickets = model
            .tickets
            .values()
            .filter(|t| model.clients.get(&t.client).is_some_and(|c| keep(c.manager)));
        self.reports.complaints = rapport::tickets::summary(tickets, period.from, period.to);
    }

    pub(super) fn reports_action(&mut self, action: Action) -> bool {
        let last = self.reports.rows().saturating_sub(1);
        let before = self.reports.selected;
        let r = &mut self.reports;
        match action {
            Action::MoveUp => r.selected = r.selected.saturating_sub(1),
            Action::MoveDown => r.selected = (r.selected + 1).min(last),
            Action::Top | Action::PageUp => r.selected = 0,
            Action::Bottom | Action::PageDown => r.selected = last,
            Action::ReportPeriodNext => {
                let i = r
                    .preset
                    .and_then(|p| Preset::ALL.iter().position(|q| *q == p))
                    .map_or(0, |i| (i + 1) % Preset::ALL.len());
                r.preset = Some(Preset::ALL[i]);
                self.rebuild_reports();
                return true;
            }
            Action::ReportGroupNext => {
                r.by = r.by.next();
                r.selected = 0;
                self.rebuild_reports();
                return true;
            }
            Action::ReportPeriodDates => {
                self.open_period_form();
                return true;
            }
            Action::OpenClient | Action::Submit => {
                match self.reports.selected_manager() {
                    Some(m) => self.show_manager(Some(m)),
                    None => self.set_status("Select a manager's row to list their clients", Tone::Error),
                }
                return true;
            }
            _ => return false,
        }
        if self.reports.selected == before {
            self.dirty = false;
        } else {
            self.refocus_reports();
        }
        true
    }

    fn open_period_form(&mut self) {
        let (from, to) = self.reports.period.map_or((String::new(), String::new()), |p| {
            (p.from.to_string(), p.to.to_string())
        });
        let form = Form::new(
            "Report period".to_string(),
            vec![
                Field::new("From", FieldKind::Date, from, true),
                Field::new("To", FieldKind::Date, to, true),
            ],
        );
        self.overlay = Overlay::Form(FormKind::ReportPeriod, form);
    }

    /// Applies the typed period; the form says what is wrong otherwise.
    pub(super) fn submit_period(&mut self, form: &Form) -> Result<(), String> {
        let date = |label: &str| parse_date(form.value(label)).map_err(|e| format!("{label}: {e}"));
        let period = Period::new(date("From")?, date("To")?)?;
        self.reports.preset = None;
        self.reports.period = Some(period);
        self.rebuild_reports();
        Ok(())
    }
}
