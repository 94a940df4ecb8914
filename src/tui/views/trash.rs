//! The trash: archived clients and contact persons, who archived them and
//! when. `restore` brings the selected one back; `purge` deletes it for
//! good (a lead's, once it has waited the retention).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use rapport::domain::text::printable;
use rapport::domain::{Archivable, Archival};
use rapport::model::Model;
use rapport::write::{Command, TRASH_RETENTION_DAYS};

use crate::tui::action::Action;
use crate::tui::app::{App, FormKind, Tone};
use crate::tui::cursor::{Cursor, Moved};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Handled, Refresh, Submitted, View};

#[derive(Default)]
pub struct TrashView {
    /// The archived records, oldest archival first.
    pub entries: Vec<Archival>,
    pub cursor: Cursor,
}

impl TrashView {
    fn reload(&mut self, model: &Model) {
        self.entries = model.trash.entries().into_iter().cloned().collect();
        self.cursor.clamp(self.entries.len());
    }

    fn selected(&self) -> Option<&Archival> {
        self.entries.get(self.cursor.selected)
    }
}

/// "client C000123 Name" or "Anna Beck (contact person of C000123)".
pub fn describe(model: &Model, key: Archivable) -> String {
    match key {
        Archivable::Client(c) => model.trash.clients.get(&c).map_or_else(
            || format!("client #{c}"),
            |t| format!("{}  {}", t.client.reference, printable(&t.client.name)),
        ),
        Archivable::Person(c, p) => {
            let name = model
                .trash
                .persons
                .get(&(c, p))
                .map_or_else(|| format!("#{p}"), |t| printable(&t.person.name).into_owned());
            format!("{name} (contact person of {})", model.client_label(c))
        }
    }
}

impl View for TrashView {
    fn title(&self) -> &'static str {
        "Trash"
    }

    fn mode(&self) -> Mode {
        Mode::Trash
    }

    fn open(&mut self, cx: &mut Ctx) {
        self.reload(cx.model());
    }

    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        match self.cursor.step(action, self.entries.len(), None) {
            Moved::To(_) => return Handled::Yes,
            Moved::Stayed => return Handled::Unchanged,
            Moved::No => {}
        }
        let Some(a) = self.selected().cloned() else {
            return match action {
                Action::Restore | Action::Purge => {
                    cx.status("The trash is empty", Tone::Error);
                    Handled::Yes
                }
                _ => Handled::No,
            };
        };
        match action {
            Action::Restore => cx.ask(crate::tui::view::Effect::Run(Command::Restore { key: a.key })),
            Action::Purge => {
                let what = describe(cx.model(), a.key);
                let mut form = Form::new(
                    "Delete for good".to_string(),
                    vec![Field::new("Type yes", FieldKind::Text, "", true)],
                );
                form.info = vec![
                    format!("{what}, archived on {} by {}", a.on, printable(&a.who)),
                    "and everything about it is deleted: this cannot be undone".into(),
                ];
                cx.open_form(FormKind::Purge(a.key), form);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn refresh(&mut self, _why: Refresh, cx: &mut Ctx) {
        self.reload(cx.model());
    }

    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        let FormKind::Purge(key) = kind else { return None };
        if !form.value("Type yes").trim().eq_ignore_ascii_case("yes") {
            return Some(Err("type yes to delete it for good, or press Esc".into()));
        }
        Some(Ok(Submitted::Run(Command::Purge {
            key,
            today: cx.today,
            retention_days: TRASH_RETENTION_DAYS,
        })))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let model = app.model();
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border"))
            .title(Span::styled(
                format!(" Trash · {} archived ", self.entries.len()),
                t.style("header"),
            ));
        if self.entries.is_empty() {
            let text = "Nothing archived. X on a client (x on a person) moves it here; it can be brought back.";
            let text = Paragraph::new(text)
                .style(t.style("muted"))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block);
            frame.render_widget(text, area);
            return;
        }
        let height = area.height.saturating_sub(3) as usize;
        self.cursor.height.set(height.max(1));
        let offset = super::scroll_to(
            self.cursor.selected,
            self.cursor.offset.get(),
            height,
            self.entries.len(),
        );
        self.cursor.offset.set(offset);
        let rows = self.entries.iter().enumerate().skip(offset).take(height).map(|(i, a)| {
            let purge_from =
                a.on.checked_add_days(chrono::Days::new(u64::from(TRASH_RETENTION_DAYS)))
                    .map_or_else(String::new, |d| d.format("%d/%m/%Y").to_string());
            let row = Row::new(vec![
                Cell::from(Span::styled(a.on.format("%d/%m/%Y").to_string(), t.style("text"))),
                Cell::from(Span::styled(printable(&a.who).into_owned(), t.style("muted"))),
                Cell::from(Span::styled(describe(model, a.key), t.style("text"))),
                Cell::from(Span::styled(purge_from, t.style("muted"))),
            ]);
            if i == self.cursor.selected {
                row.style(t.selection())
            } else {
                row
            }
        });
        let widths = [
            ratatui::layout::Constraint::Length(10),
            ratatui::layout::Constraint::Length(10),
            ratatui::layout::Constraint::Min(20),
            ratatui::layout::Constraint::Length(12),
        ];
        let header = Row::new(["Archived", "By", "What", "Purge from"]).style(t.style("header"));
        frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
    }
}
