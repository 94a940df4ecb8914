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
            Action::WriteDocument => self.write_document(),
            Action::MarkSent => self.mark_sent(),
            Action::OpenDocument => self.open_document(),
            Action::OpenEditor => match form.focused() {
                Some(f) if f.kind == FieldKind::Notes => self.editor = Some(f.value.clone()),
                _ => self.set_status("Only notes and summaries open in the editor", Tone::Error),
            },
            _ => self.dirty = false,
        }
    }

    /// What the editor gave back for the focused field: `Ok(None)` when
    /// the text came back unchanged, `Err` when the editor failed. Only a
    /// changed text changes the field.
    pub fn edited(&mut self, result: Result<Option<String>, String>) {
        self.dirty = true;
        let Overlay::Form(_, form) = &mut self.overlay else {
            return;
        };
        match result {
            Ok(Some(text)) => {
                if let Some(field) = form.focused() {
                    field.value = text.trim_end_matches('\n').to_string();
                    form.error = None;
                }
            }
            Ok(None) => self.set_status("The text came back unchanged", Tone::Ok),
            Err(why) => self.set_status(format!("{why}: the field is as it was"), Tone::Error),
        }
    }

    /// Submits the form on screen. It leaves the screen meanwhile, so
    /// that what the view opens next (another form) stays; a refusal puts
    /// it back with the reason.
    pub(super) fn submit(&mut self, kind: FormKind) {
        let Overlay::Form(_, mut form) = std::mem::replace(&mut self.overlay, Overlay::None) else {
            return;
        };
        let refused = |app: &mut App, mut form: Form, problem: String| {
            form.error = Some(problem);
            app.overlay = Overlay::Form(kind, form);
        };
        if let Some(problem) = form.check(self.data.model()) {
            return refused(self, form, problem);
        }
        let made = match kind {
            FormKind::SaveView | FormKind::RecallView => match self.submit_saved(kind, &form) {
                Ok(Some(cmd)) => Some(Ok(Submitted::Run(cmd))),
                Ok(None) => return,
                Err(problem) => return refused(self, form, problem),
            },
            FormKind::DocSent(number) => Some(self.sent_command(number, &form).map(Submitted::Run)),
            _ => self.with_views(self.tab, |views, cx| {
                Tab::ALL
                    .iter()
                    .find_map(|tab| views.get_mut(*tab).submit(kind, &form, cx))
            }),
        };
        let cmd = match made {
            Some(Ok(Submitted::Run(cmd))) => cmd,
            Some(Ok(Submitted::Applied)) => return,
            Some(Err(problem)) => return refused(self, form, problem),
            None => return refused(self, form, "no view takes this form".into()),
        };
        let summary = cmd.describe(self.data.model());
        match self.execute(cmd) {
            Ok(event) => {
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
            Err(e) => {
                let stale = matches!(
                    e,
                    rapport::backend::BackendError::Command(rapport::write::CommandError::Stale { .. })
                );
                // Someone changed the record: the form shows it as it is
                // now, with what was typed kept.
                let renewed = if stale {
                    self.with_views(self.tab, |views, cx| {
                        Tab::ALL.iter().find_map(|tab| views.get(*tab).renew(kind, cx))
                    })
                } else {
                    None
                };
                match renewed {
                    Some((new_kind, mut new_form)) => {
                        for f in &mut new_form.fields {
                            if let Some(old) = form.fields.iter().find(|o| o.label == f.label) {
                                f.value = old.value.clone();
                            }
                        }
                        new_form.focus = form.focus.min(new_form.fields.len().saturating_sub(1));
                        new_form.error = Some(format!("{e} — the form now shows it as it is"));
                        self.overlay = Overlay::Form(new_kind, new_form);
                    }
                    None => refused(self, form, e.to_string()),
                }
            }
        }
    }
}
