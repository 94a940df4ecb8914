//! The queue tab (SPEC §5): today's call list for the user (or everyone),
//! and what can be done with an item — log the contact, mark it done,
//! snooze it, jump to the client, add a task. Every action is a command, so
//! it is stored and the list is rebuilt from the data at once.

mod draw;

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;

use rapport::classes::Abc;
use rapport::domain::*;
use rapport::queue::{self, Group, Item, Scope};
use rapport::write::{Command, Completion};

use crate::tui::action::Action;
use crate::tui::app::{App, FormKind, Tone};
use crate::tui::cursor::{Cursor, Moved};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Effect, Handled, Refresh, Submitted, View};

pub struct QueueView {
    pub items: Vec<Item>,
    /// Items per group, in `Group::ALL` order.
    pub counts: [usize; 4],
    /// The selected item; its window is in display rows (with headings).
    pub cursor: Cursor,
    pub scope: Scope,
    /// When the user's own list is empty: the team's overdue and today's
    /// items (so that an empty list does not hide the team's work).
    pub team: Option<(usize, usize)>,
    /// The next rebuild keeps the cursor's row, not its item: after a
    /// snooze or a done the next item comes under the cursor.
    hold_row: bool,
    pub stale: bool,
}

impl Default for QueueView {
    fn default() -> Self {
        QueueView::new(Scope::All)
    }
}

impl QueueView {
    pub fn new(scope: Scope) -> QueueView {
        QueueView {
            items: Vec::new(),
            counts: [0; 4],
            cursor: Cursor::default(),
            scope,
            team: None,
            hold_row: false,
            stale: true,
        }
    }

    pub fn selected_item(&self) -> Option<&Item> {
        self.items.get(self.cursor.selected)
    }

    /// The groups shown, with their counts: "Later" only when it holds
    /// something.
    pub fn groups(&self) -> impl Iterator<Item = (Group, usize)> + '_ {
        Group::ALL
            .into_iter()
            .zip(self.counts)
            .filter(|(g, count)| *g != Group::Later || *count > 0)
    }

    /// The display row of item `i`: items follow their group's heading.
    pub fn display_row(&self, i: usize) -> usize {
        let mut before = 0;
        let mut row = i;
        for (_, count) in self.groups() {
            row += 1;
            before += count;
            if i < before {
                break;
            }
        }
        row
    }

    fn rebuild(&mut self, cx: &Ctx) {
        let keep = self
            .selected_item()
            .map(|i| i.key)
            .filter(|_| !std::mem::take(&mut self.hold_row));
        let as_of = cx.as_of();
        // Tasks set further ahead than the week show under "Later".
        let horizon = queue::Horizon {
            later_tasks: true,
            ..queue::Horizon::default()
        };
        let mut items = queue::due_within(cx.model(), cx.classes(), as_of, self.scope, horizon);
        // `/` narrows the queue to the clients the filter leaves.
        if cx.filter.narrows() {
            let mut shown = Vec::new();
            cx.filter.shown_into(cx.model(), &mut shown);
            let shown: std::collections::HashSet<ClientId> = shown.into_iter().collect();
            items.retain(|i| shown.contains(&i.client));
        }
        let mut counts = [0; 4];
        for i in &items {
            counts[i.group(as_of) as usize] += 1;
        }
        self.cursor.selected = keep
            .and_then(|k| items.iter().position(|i| i.key == k))
            .unwrap_or(self.cursor.selected)
            .min(items.len().saturating_sub(1));
        self.team = (self.scope != Scope::All && items.is_empty()).then(|| {
            let all = queue::due(cx.model(), cx.classes(), as_of, Scope::All);
            let count = |g: Group| all.iter().filter(|i| i.group(as_of) == g).count();
            (count(Group::Overdue), count(Group::Today))
        });
        self.items = items;
        self.counts = counts;
        self.stale = false;
    }

    fn client(&self) -> Option<ClientId> {
        self.selected_item().map(|i| i.client)
    }

    /// `d`: what "done" means for the item (`write::completion`, shared
    /// with `rapport done`): a task is completed, a cadence item is done
    /// by logging the contact, a ticket by advancing it; the rest are
    /// marked done for the date they are due.
    fn mark_done(&mut self, cx: &mut Ctx) {
        let Some(item) = self.selected_item().cloned() else {
            return;
        };
        match rapport::write::completion(&item, cx.today) {
            Completion::Run(cmd) => {
                self.hold_row = true;
                cx.ask(Effect::Run(cmd));
            }
            Completion::LogContact(client) => open_contact_form(Some(client), cx),
            Completion::Survey(client, product) => super::tickets::open_survey_form(Some(client), product, cx),
            // A ticket is done by moving it on: its next stage's form.
            Completion::AdvanceTicket(t) => super::tickets::open_advance_form(t, cx),
        }
    }

    fn open_snooze_form(&mut self, cx: &mut Ctx) {
        let Some(item) = self.selected_item() else {
            return;
        };
        let mut form = Form::new(
            format!("Snooze · {}", item.reason),
            vec![Field::new("Until", FieldKind::DateOrDays, "+1", true)],
        );
        form.info = vec!["+1 tomorrow, +7 next week, or a date".to_string()];
        let kind = FormKind::Snooze {
            key: item.key,
            due: item.base_due,
        };
        cx.open_form(kind, form);
    }
}

/// The queue scope at start: the user's own clients when they are a
/// manager, else everyone's.
pub fn default_scope(model: &rapport::model::Model, who: &str) -> Scope {
    model.manager_by_login(who).map_or(Scope::All, |m| Scope::Manager(m.id))
}

/// The log-a-contact form for `client` (from the queue or the clients
/// list); the next contact date starts at the cadence of its class.
pub fn open_contact_form(client: Option<ClientId>, cx: &mut Ctx) {
    let model = cx.model();
    let Some(c) = client.and_then(|id| model.clients.get(&id)) else {
        return;
    };
    let days = model.settings.cadence_days;
    let cadence = match cx.classes().get(c.id).and_then(|k| k.abc) {
        Some(Abc::A) => days[0],
        Some(Abc::B) => days[1],
        Some(Abc::C) => days[2],
        None => days[3],
    };
    let person = model.persons_of(c.id).next().map_or(String::new(), |p| p.name.clone());
    let form = Form::new(
        format!("Log a contact · {}", c.name),
        vec![
            Field::new("Channel", FieldKind::Channel, "call", true),
            Field::new("Person", FieldKind::Person(c.id), person, false),
            Field::new("Summary", FieldKind::Notes, "", true),
            Field::new("Outcome", FieldKind::Text, "", false),
            Field::new("Next contact", FieldKind::DateOrDays, format!("+{cadence}"), false),
        ],
    );
    let id = c.id;
    cx.open_form(FormKind::Contact(id), form);
}

/// The new-task form for `client` (from the queue or the clients list).
pub fn open_task_form(client: Option<ClientId>, cx: &mut Ctx) {
    let Some(c) = client.and_then(|id| cx.model().clients.get(&id)) else {
        return;
    };
    let form = Form::new(
        format!("New task · {}", c.name),
        vec![
            Field::new("Due", FieldKind::DateOrDays, "+1", true),
            Field::new("Text", FieldKind::Text, "", true),
        ],
    );
    let id = c.id;
    cx.open_form(FormKind::Task(id), form);
}

impl View for QueueView {
    fn title(&self) -> &'static str {
        "Queue"
    }

    fn mode(&self) -> Mode {
        Mode::Queue
    }

    fn filtered(&self) -> bool {
        true
    }

    fn open(&mut self, cx: &mut Ctx) {
        if self.stale {
            self.rebuild(cx);
        }
    }

    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        match self.cursor.step(action, self.items.len(), None) {
            Moved::No => {}
            Moved::Stayed => return Handled::Unchanged,
            Moved::To(_) => return Handled::Yes,
        }
        match action {
            Action::OpenClient | Action::Submit => {
                if let Some(client) = self.client() {
                    cx.ask(Effect::ShowClient(client));
                }
            }
            Action::LogContact => open_contact_form(self.client(), cx),
            Action::AddTask => open_task_form(self.client(), cx),
            Action::MarkDone => self.mark_done(cx),
            Action::Snooze => self.open_snooze_form(cx),
            Action::JumpOverdue | Action::JumpToday | Action::JumpWeek => {
                let group = match action {
                    Action::JumpOverdue => Group::Overdue,
                    Action::JumpToday => Group::Today,
                    _ => Group::Soon,
                };
                let at = Group::ALL.iter().position(|g| *g == group).unwrap_or(0);
                let first: usize = self.counts[..at].iter().sum();
                if self.counts[at] == 0 {
                    cx.status(format!("Nothing in {}", group.title()), Tone::Ok);
                    return Handled::Yes;
                }
                self.cursor.go(first, self.items.len());
                // Its heading and as many of its items as fit, from the top.
                self.cursor.offset.set(self.display_row(first).saturating_sub(1));
            }
            Action::ToggleScope => {
                let mine = default_scope(cx.model(), cx.who);
                self.scope = if self.scope == Scope::All && mine != Scope::All {
                    mine
                } else {
                    Scope::All
                };
                self.cursor.selected = 0;
                self.rebuild(cx);
                let what = match self.scope {
                    Scope::All => "every manager's clients".to_string(),
                    Scope::Manager(_) => format!("{}'s clients", cx.who),
                };
                cx.status(format!("Queue: {what}"), Tone::Ok);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn refresh(&mut self, _why: Refresh, cx: &mut Ctx) {
        self.stale = true;
        if cx.shown {
            self.rebuild(cx);
        }
    }

    /// The contact and task forms (opened here or from the clients list)
    /// and the snooze form.
    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        let base = cx.today;
        let date = |label: &str| -> Option<NaiveDate> { form.field(label).and_then(|f| f.date_from(base)) };
        let cmd = match kind {
            FormKind::Contact(client) => {
                let person = cx
                    .model()
                    .persons_of(client)
                    .find(|p| p.name.eq_ignore_ascii_case(form.value("Person")))
                    .map(|p| p.id);
                let Some(channel) = Channel::parse(form.value("Channel")) else {
                    return Some(Err("unknown channel".into()));
                };
                Command::LogContact {
                    client,
                    person,
                    at: base.and_time(chrono::Local::now().time()),
                    channel,
                    summary: form.value("Summary").to_string(),
                    outcome: form.value("Outcome").to_string(),
                    next_contact: date("Next contact"),
                }
            }
            FormKind::Task(client) => {
                let Some(due) = date("Due") else {
                    return Some(Err("a due date is required".into()));
                };
                Command::AddTask {
                    client,
                    due,
                    text: form.value("Text").to_string(),
                }
            }
            FormKind::Snooze { key, due } => {
                let Some(until) = date("Until") else {
                    return Some(Err("a date is required".into()));
                };
                if until < cx.today {
                    return Some(Err(format!("{until} is in the past")));
                }
                self.hold_row = true;
                Command::MarkItem {
                    key: key.to_string(),
                    due,
                    state: MarkState::Snoozed(until),
                }
            }
            _ => return None,
        };
        Some(Ok(Submitted::Run(cmd)))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        draw::draw(frame, app, self, area);
    }
}

/// How a row says when the item is due.
pub fn when(item: &Item, as_of: NaiveDate) -> String {
    match item.group(as_of) {
        Group::Overdue => format!("{}d late", item.days_late(as_of)),
        Group::Today => "today".to_string(),
        Group::Soon | Group::Later => format!("in {}d", (item.due - as_of).num_days()),
    }
}
