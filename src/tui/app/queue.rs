//! The queue tab (SPEC §5): today's call list for the user (or everyone),
//! and what can be done with an item — log the contact, mark it done,
//! snooze it, jump to the client, add a task. Every action is a command, so
//! it is stored and the list is rebuilt from the data at once.

use std::cell::Cell;

use chrono::NaiveDate;

use rapport::classes::Abc;
use rapport::domain::*;
use rapport::queue::{self, Group, Item, Scope};
use rapport::write::{Command, Completion};

use super::{App, FormKind, Overlay, Tab, Tone};
use crate::tui::action::Action;
use crate::tui::form::{Field, FieldKind, Form};

pub struct QueueState {
    pub items: Vec<Item>,
    /// Items per group, in `Group::ALL` order.
    pub counts: [usize; 3],
    pub selected: usize,
    /// Scroll position (in display rows) and visible rows, kept by the view.
    pub offset: Cell<usize>,
    pub height: Cell<usize>,
    pub scope: Scope,
    pub stale: bool,
}

impl QueueState {
    pub fn new(scope: Scope) -> QueueState {
        QueueState {
            items: Vec::new(),
            counts: [0; 3],
            selected: 0,
            offset: Cell::new(0),
            height: Cell::new(20),
            scope,
            stale: true,
        }
    }

    pub fn selected_item(&self) -> Option<&Item> {
        self.items.get(self.selected)
    }

    /// The display row of item `i`: items follow their group's heading.
    pub fn display_row(&self, i: usize) -> usize {
        let mut before = 0;
        let mut row = i;
        for count in self.counts {
            row += 1;
            before += count;
            if i < before {
                break;
            }
        }
        row
    }
}

impl App {
    /// The queue scope at start: the user's own clients when they are a
    /// manager, else everyone's.
    pub(super) fn default_scope(&self) -> Scope {
        self.model()
            .manager_by_login(&self.who)
            .map_or(Scope::All, |m| Scope::Manager(m.id))
    }

    pub(super) fn open_queue(&mut self) {
        self.tab = Tab::Queue;
        if self.queue.stale {
            self.rebuild_queue();
        }
    }

    pub(super) fn rebuild_queue(&mut self) {
        let keep = self.queue.selected_item().map(|i| i.key);
        let as_of = self.as_of();
        let items = queue::due(self.data.model(), self.engine.classes(), as_of, self.queue.scope);
        let mut counts = [0; 3];
        for i in &items {
            counts[i.group(as_of) as usize] += 1;
        }
        let q = &mut self.queue;
        q.selected = keep
            .and_then(|k| items.iter().position(|i| i.key == k))
            .unwrap_or(q.selected)
            .min(items.len().saturating_sub(1));
        q.items = items;
        q.counts = counts;
        q.stale = false;
    }

    /// Handles the queue tab's own actions; false for the rest.
    pub(super) fn queue_action(&mut self, action: Action) -> bool {
        let q = &mut self.queue;
        let last = q.items.len().saturating_sub(1);
        let page = q.height.get().max(1);
        let before = q.selected;
        match action {
            Action::MoveUp => q.selected = q.selected.saturating_sub(1),
            Action::MoveDown => q.selected = (q.selected + 1).min(last),
            Action::PageUp => q.selected = q.selected.saturating_sub(page),
            Action::PageDown => q.selected = (q.selected + page).min(last),
            Action::Top => q.selected = 0,
            Action::Bottom => q.selected = last,
            Action::OpenClient | Action::Submit => self.jump_to_client(),
            Action::LogContact => self.open_contact_form(self.queue_client()),
            Action::AddTask => self.open_task_form(self.queue_client()),
            Action::MarkDone => self.mark_done(),
            Action::Snooze => self.open_snooze_form(),
            Action::ToggleScope => {
                let mine = self.default_scope();
                let q = &mut self.queue;
                q.scope = if q.scope == Scope::All && mine != Scope::All {
                    mine
                } else {
                    Scope::All
                };
                q.selected = 0;
                self.rebuild_queue();
                let what = match self.queue.scope {
                    Scope::All => "every manager's clients".to_string(),
                    Scope::Manager(_) => format!("{}'s clients", self.who),
                };
                self.set_status(format!("Queue: {what}"), Tone::Ok);
            }
            _ => return false,
        }
        if matches!(
            action,
            Action::MoveUp | Action::MoveDown | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
        ) && self.queue.selected == before
        {
            self.dirty = false;
        }
        true
    }

    fn queue_client(&self) -> Option<ClientId> {
        self.queue.selected_item().map(|i| i.client)
    }

    fn jump_to_client(&mut self) {
        if let Some(client) = self.queue_client() {
            self.show_client(client);
        }
    }

    /// `d`: a task is completed, a cadence item is done by logging the
    /// contact, a ticket by advancing it; the rest are marked done for the
    /// date they are due.
    fn mark_done(&mut self) {
        let Some(item) = self.queue.selected_item().cloned() else {
            return;
        };
        match rapport::write::completion(&item, self.today) {
            Completion::Run(cmd) => self.run(cmd),
            Completion::LogContact(client) => self.open_contact_form(Some(client)),
            Completion::Survey(client, product) => self.open_survey_form(Some(client), product),
            Completion::AdvanceTicket(t) => self.set_status(
                format!("Ticket #{t} is done by advancing it to its next stage"),
                Tone::Error,
            ),
        }
    }

    /// The log-a-contact form for `client`; the next contact date starts at
    /// the cadence of the client's class.
    pub(super) fn open_contact_form(&mut self, client: Option<ClientId>) {
        let Some(c) = client.and_then(|id| self.model().clients.get(&id)) else {
            return;
        };
        let days = self.model().settings.cadence_days;
        let cadence = match self.classes().get(c.id).and_then(|k| k.abc) {
            Some(Abc::A) => days[0],
            Some(Abc::B) => days[1],
            Some(Abc::C) => days[2],
            None => days[3],
        };
        let person = self
            .model()
            .persons_of(c.id)
            .next()
            .map_or(String::new(), |p| p.name.clone());
        let form = Form::new(
            format!("Log a contact · {}", c.name),
            vec![
                Field::new("Channel", FieldKind::Channel, "call", true),
                Field::new("Person", FieldKind::Person(c.id), person, false),
                Field::new("Summary", FieldKind::Text, "", true),
                Field::new("Outcome", FieldKind::Text, "", false),
                Field::new("Next contact", FieldKind::DateOrDays, format!("+{cadence}"), false),
            ],
        );
        self.overlay = Overlay::Form(FormKind::Contact(c.id), form);
    }

    pub(super) fn open_task_form(&mut self, client: Option<ClientId>) {
        let Some(c) = client.and_then(|id| self.model().clients.get(&id)) else {
            return;
        };
        let form = Form::new(
            format!("New task · {}", c.name),
            vec![
                Field::new("Due", FieldKind::DateOrDays, "+1", true),
                Field::new("Text", FieldKind::Text, "", true),
            ],
        );
        self.overlay = Overlay::Form(FormKind::Task(c.id), form);
    }

    fn open_snooze_form(&mut self) {
        let Some(item) = self.queue.selected_item() else {
            return;
        };
        let mut form = Form::new(
            format!("Snooze · {}", item.reason),
            vec![Field::new("Until", FieldKind::DateOrDays, "+1", true)],
        );
        form.info = vec!["+1 tomorrow, +7 next week, or a date".to_string()];
        self.overlay = Overlay::Form(
            FormKind::Snooze {
                key: item.key,
                due: item.base_due,
            },
            form,
        );
    }

    /// The command a queue form stands for, or the problem to show in it.
    pub(super) fn queue_form_command(&self, kind: FormKind, form: &Form) -> Result<Command, String> {
        let base = self.today;
        let date = |label: &str| -> Option<NaiveDate> { form.field(label).and_then(|f| f.date_from(base)) };
        match kind {
            FormKind::Contact(client) => {
                let person = self
                    .model()
                    .persons_of(client)
                    .find(|p| p.name.eq_ignore_ascii_case(form.value("Person")))
                    .map(|p| p.id);
                Ok(Command::LogContact {
                    client,
                    person,
                    at: base.and_time(chrono::Local::now().time()),
                    channel: Channel::parse(form.value("Channel")).ok_or("unknown channel")?,
                    summary: form.value("Summary").to_string(),
                    outcome: form.value("Outcome").to_string(),
                    next_contact: date("Next contact"),
                })
            }
            FormKind::Task(client) => Ok(Command::AddTask {
                client,
                due: date("Due").ok_or("a due date is required")?,
                text: form.value("Text").to_string(),
            }),
            FormKind::Snooze { key, due } => {
                let until = date("Until").ok_or("a date is required")?;
                if until < self.today {
                    return Err(format!("{until} is in the past"));
                }
                Ok(Command::MarkItem {
                    key: key.to_string(),
                    due,
                    state: MarkState::Snoozed(until),
                })
            }
            _ => Err("not a queue form".into()),
        }
    }
}

/// How a row says when the item is due.
pub fn when(item: &Item, as_of: NaiveDate) -> String {
    match item.group(as_of) {
        Group::Overdue => format!("{}d late", item.days_late(as_of)),
        Group::Today => "today".to_string(),
        Group::Soon => format!("in {}d", (item.due - as_of).num_days()),
    }
}
