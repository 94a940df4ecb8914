//! The offer editor's documents (SPEC §9): `write_document` writes the
//! stage's document from the company template, `mark_sent` asks when and
//! how the latest one went out. The editor stays open with what was typed:
//! the "sent" form is opened over it and gives it back when it closes.

use super::*;
use crate::tui::form::Field;
use rapport::domain::DocNumber;

impl App {
    /// The offer the editor on screen is about.
    fn offer_in_editor(&self) -> Option<(ClientId, ProductId)> {
        match &self.overlay {
            Overlay::Form(FormKind::Offer { client, product, .. }, _) => Some((*client, *product)),
            _ => None,
        }
    }

    pub(super) fn write_document(&mut self) {
        let Some((client, product)) = self.offer_in_editor() else {
            return self.set_status(
                "Documents are written from the offer editor (enter on a matrix cell)",
                Tone::Error,
            );
        };
        let model = self.data.model();
        let Some(kind) = rapport::documents::kind_for(model, client, product) else {
            let stage = model
                .offers
                .get(&(client, product))
                .map_or(OfferStage::NotOffered, |o| o.stage);
            return self.set_status(format!("An offer at stage {stage} has no document"), Tone::Error);
        };
        let cmd = match rapport::documents::command(&self.documents, client, product, kind, self.today) {
            Ok(cmd) => cmd,
            Err(why) => return self.set_status(why, Tone::Error),
        };
        let event = match self.execute(cmd) {
            Ok(event) => event,
            Err(e) => return self.set_status(e.to_string(), Tone::Error),
        };
        self.applied(&event);
        let Some(doc) = rapport::documents::registered(&event.changes).cloned() else {
            return;
        };
        match rapport::documents::finish(&doc) {
            // The number first: the path may not fit the status line.
            Ok(path) => self.set_status(
                format!("{} written to {} ({})", doc.number, path.display(), kind.title()),
                Tone::Ok,
            ),
            Err(e) => self.set_status(e.to_string(), Tone::Error),
        }
        self.renew_parked_info();
    }

    pub(super) fn mark_sent(&mut self) {
        let Some((client, product)) = self.offer_in_editor() else {
            return self.set_status("Documents are marked sent from the offer editor", Tone::Error);
        };
        let unsent = self
            .data
            .model()
            .sales
            .documents_of(client)
            .into_iter()
            .find(|d| d.product == product && d.sent.is_none())
            .map(|d| d.number);
        let Some(number) = unsent else {
            return self.set_status(
                "This offer has no document waiting to be sent (ctrl-d writes one)",
                Tone::Error,
            );
        };
        let form = Form::new(
            format!("{number} sent"),
            vec![
                Field::new("Date", FieldKind::Date, self.today.to_string(), true),
                Field::new("Channel", FieldKind::Channel, Channel::Email.as_str(), true),
            ],
        );
        let parent = std::mem::replace(&mut self.overlay, Overlay::Form(FormKind::DocSent(number), form));
        if let Overlay::Form(kind, form) = parent {
            self.parked = Some((kind, form));
        }
    }

    /// The offer's latest document, to read over the editor (the file as
    /// written; the registered text when the file cannot be read here).
    pub(super) fn open_document(&mut self) {
        let Some((client, product)) = self.offer_in_editor() else {
            return self.set_status("Documents are read from the offer editor", Tone::Error);
        };
        let latest = self
            .data
            .model()
            .sales
            .documents_of(client)
            .into_iter()
            .find(|d| d.product == product)
            .cloned();
        let Some(doc) = latest else {
            return self.set_status("This offer has no document yet (ctrl-d writes one)", Tone::Error);
        };
        let text = std::fs::read_to_string(&doc.file).unwrap_or_else(|_| doc.text.clone());
        let lines = text
            .lines()
            .map(|l| rapport::domain::text::printable(l).into_owned())
            .collect();
        let parent = std::mem::replace(
            &mut self.overlay,
            Overlay::Text {
                title: format!("{} · {}", doc.number, doc.file),
                lines,
                scroll: 0,
            },
        );
        if let Overlay::Form(kind, form) = parent {
            self.parked = Some((kind, form));
        }
    }

    /// The command a "sent" form stands for.
    pub(super) fn sent_command(&self, number: DocNumber, form: &Form) -> Result<Command, String> {
        let date = form
            .field("Date")
            .and_then(|f| f.date_from(self.today))
            .ok_or("a date is required")?;
        let channel = Channel::parse(form.value("Channel")).ok_or("a channel is required")?;
        Ok(Command::MarkDocumentSent { number, date, channel })
    }

    /// Puts the form a sub-form was opened over back once it closed, with
    /// what it shows renewed and what was typed kept.
    pub(super) fn unpark(&mut self) {
        if self.overlay != Overlay::None {
            return;
        }
        if let Some((kind, form)) = self.parked.take() {
            self.overlay = Overlay::Form(kind, form);
            self.renew_parked_info();
        }
    }

    /// The editor on screen with its information lines brought up to date.
    fn renew_parked_info(&mut self) {
        let Overlay::Form(kind, _) = &self.overlay else {
            return;
        };
        let kind = *kind;
        let renewed = self.with_views(self.tab, |views, cx| {
            Tab::ALL.iter().find_map(|tab| views.get(*tab).renew(kind, cx))
        });
        if let (Some((_, fresh)), Overlay::Form(_, form)) = (renewed, &mut self.overlay) {
            form.info = fresh.info;
        }
    }
}
