//! A form's keys, and submitting it: the view that owns its kind turns it
//! into a command (or applies it), which runs on the data here.

use super::*;
use crate::tui::view::Submitted;

impl App {
    pub(super) fn form_action(&mut self, action: Action) {
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

    fn form_error(&mut self, problem: String) {
        if let Overlay::Form(_, form) = &mut self.overlay {
            form.error = Some(problem);
        }
    }

    pub(super) fn submit(&mut self, kind: FormKind) {
        let Overlay::Form(_, form) = &mut self.overlay else {
            return;
        };
        if let Some(problem) = form.check(self.data.model()) {
            form.error = Some(problem);
            return;
        }
        let form = form.clone();
        let made = self.with_views(self.tab, |views, cx| {
            Tab::ALL
                .iter()
                .find_map(|tab| views.get_mut(*tab).submit(kind, &form, cx))
        });
        let cmd = match made {
            Some(Ok(Submitted::Run(cmd))) => cmd,
            Some(Ok(Submitted::Applied)) => {
                self.overlay = Overlay::None;
                return;
            }
            Some(Err(problem)) => return self.form_error(problem),
            None => return self.form_error("no view takes this form".into()),
        };
        let summary = cmd.describe(self.data.model());
        match self.data.execute(&self.who, cmd) {
            Ok(event) => {
                self.overlay = Overlay::None;
                self.applied(&event);
                // A low survey score opens a ticket by itself: say so.
                let opened = event.changes.iter().find_map(|c| match c {
                    rapport::model::Change::Ticket(t)
                        if matches!(t.source, TicketSource::Survey(_)) && t.history.is_empty() =>
                    {
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
            Err(e) => self.form_error(e.to_string()),
        }
    }
}
