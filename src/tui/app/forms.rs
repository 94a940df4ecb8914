//! Forms of the clients view (a settlement, a segment), the keys a form
//! takes, and turning a submitted form into a command run on the data.

use super::*;

impl App {
    pub(super) fn open_settlement_form(&mut self) {
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

    pub(super) fn open_segment_form(&mut self) {
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

    pub(super) fn submit(&mut self, kind: FormKind) {
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
    pub(super) fn run(&mut self, cmd: Command) {
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
}
