//! The forms the clients view opens on the selected client: a
//! settlement, the client itself (and a new one), a contact person, the
//! segment; and the client forms' acquisition source.

use super::*;

impl ClientsView {
    pub(super) fn open_settlement_form(&mut self, cx: &mut Ctx) {
        let Some(c) = self.selected_client(cx.model()) else {
            return;
        };
        let form = Form::new(
            format!("New settlement · {}", c.name),
            vec![
                Field::new("Date", FieldKind::Date, cx.today.to_string(), true),
                Field::new("Amount", FieldKind::Amount, "", true),
                Field::new("Product", FieldKind::Product, "", false),
                Field::new("Document", FieldKind::Text, "", false),
            ],
        );
        let id = c.id;
        cx.open_form(FormKind::Settlement(id), form);
    }

    /// Every field of the selected client but its ref and first date.
    pub(super) fn open_client_form(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let Some(c) = self.selected_client(model) else { return };
        let segment = c.segment.and_then(|s| model.segments.get(&s)).map(|s| s.code.clone());
        let manager = c.manager.and_then(|m| model.managers.get(&m)).map(|m| m.login.clone());
        let mut form = Form::new(
            format!("Edit {} · {}", c.reference, c.name),
            vec![
                Field::new("Name", FieldKind::Text, c.name.clone(), true),
                Field::new("Segment", FieldKind::Segment, segment.unwrap_or_default(), false),
                Field::new("Manager", FieldKind::Manager, manager.unwrap_or_default(), false),
                Field::new("Notes", FieldKind::Notes, c.notes.clone(), false),
                Field::new("Tags", FieldKind::Tags, c.tags.join(" "), false),
                Field::new("Source", FieldKind::Source, model.sales.source_of(c.id), false),
            ],
        );
        form.info = vec![format!("client since {}", c.created)];
        let kind = FormKind::EditClient(c.id, c.version);
        cx.open_form(kind, form);
    }

    /// A new contact person of the selected client, or `person` edited.
    pub(super) fn open_person_form(&mut self, person: Option<PersonId>, cx: &mut Ctx) {
        let model = cx.model();
        let Some(c) = self.selected_client(model) else { return };
        let old = person.and_then(|p| model.persons.get(&(c.id, p)));
        let text = |f: fn(&ContactPerson) -> &String| old.map_or(String::new(), |p| f(p).clone());
        let mut form = Form::new(
            match old {
                Some(p) => format!("{} · {}", p.name, c.name),
                None => format!("New contact person · {}", c.name),
            },
            vec![
                Field::new("Name", FieldKind::Text, text(|p| &p.name), true),
                Field::new("Role", FieldKind::Text, text(|p| &p.role), false),
                Field::new("Phones", FieldKind::Text, text(|p| &p.phone), false),
                Field::new("Email", FieldKind::Email, text(|p| &p.email), false),
                Field::new(
                    "Birthday",
                    FieldKind::Date,
                    old.and_then(|p| p.birthday).map_or(String::new(), |d| d.to_string()),
                    false,
                ),
            ],
        );
        form.info = vec!["several phones: separate them with commas".into()];
        let kind = match old {
            Some(p) => FormKind::EditPerson {
                client: c.id,
                person: p.id,
                seq: p.seq,
            },
            None => FormKind::NewPerson(c.id),
        };
        cx.open_form(kind, form);
    }

    /// Edits the client's one contact person, or asks which of several.
    pub(super) fn pick_person(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let Some(c) = self.selected_client(model) else { return };
        let persons: Vec<&ContactPerson> = model.persons_of(c.id).collect();
        match persons.as_slice() {
            [] => {
                let name = c.name.clone();
                cx.status(
                    format!("{name} has no contact person yet: add one with new_person"),
                    crate::tui::app::Tone::Error,
                );
            }
            [one] => {
                let id = one.id;
                self.open_person_form(Some(id), cx);
            }
            several => {
                let first = several[0].name.clone();
                let mut form = Form::new(
                    format!("Which contact person · {}", c.name),
                    vec![Field::new("Person", FieldKind::Person(c.id), first, true)],
                );
                form.info = vec![several.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")];
                let id = c.id;
                cx.open_form(FormKind::PickPerson(id), form);
            }
        }
    }

    pub(super) fn open_segment_form(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let Some(c) = self.selected_client(model) else { return };
        let current = c
            .segment
            .and_then(|s| model.segments.get(&s))
            .map(|s| s.code.clone())
            .unwrap_or_default();
        let (id, version, title) = (c.id, c.version, format!("Segment · {}", c.name));
        let form = Form::new(title, vec![Field::new("Segment", FieldKind::Segment, current, false)]);
        cx.open_form(FormKind::Segment(id, version), form);
    }
}

/// A new client: its ref, name and filing; a manager files it under
/// themselves.
pub(super) fn open_new_client_form(cx: &mut Ctx) {
    let model = cx.model();
    let me = model
        .manager_by_login(cx.who)
        .map_or(String::new(), |m| m.login.clone());
    let form = Form::new(
        "New client",
        vec![
            Field::new("Ref", FieldKind::NewRef, "", true),
            Field::new("Name", FieldKind::Text, "", true),
            Field::new("Segment", FieldKind::Segment, "", false),
            Field::new("Manager", FieldKind::Manager, me, false),
            Field::new("Created", FieldKind::Date, cx.today.to_string(), true),
            Field::new("Notes", FieldKind::Notes, "", false),
            Field::new("Tags", FieldKind::Tags, "", false),
            Field::new("Source", FieldKind::Source, "", false),
        ],
    );
    cx.open_form(FormKind::NewClient, form);
}

/// `cmd`, and the client's acquisition source set in the same transaction
/// when the form changed it.
pub(super) fn with_source(cmd: Command, reference: &str, before: &str, source: &str) -> Command {
    if source.trim() == before {
        return cmd;
    }
    rapport::write::bulk::with_source(cmd, reference, source)
}
