//! The tickets tab (SPEC §6): the list with its filters, and the forms
//! that take a complaint from registration to closure — each stage's form
//! asks for the field the stage needs, and the store refuses to advance
//! without it. Also the survey form, shared with the clients and queue tabs.

mod draw;

use ratatui::Frame;
use ratatui::layout::Rect;

use rapport::domain::*;
use rapport::model::Model;
use rapport::tickets::{self, Filter};
use rapport::write::{Command, TicketAdvance};

use crate::tui::action::Action;
use crate::tui::app::{App, FormKind, Tone};
use crate::tui::cursor::{Cursor, Moved};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Effect, Handled, Refresh, Submitted, View};

/// What the list shows: `f` cycles through these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Open,
    Overdue,
    All,
    Stage(TicketStage),
}

impl Show {
    fn next(self) -> Show {
        match self {
            Show::Open => Show::Overdue,
            Show::Overdue => Show::All,
            Show::All => Show::Stage(TicketStage::Registered),
            Show::Stage(s) => s.next().map_or(Show::Open, Show::Stage),
        }
    }
    pub fn title(self) -> String {
        match self {
            Show::Open => "open".into(),
            Show::Overdue => "overdue".into(),
            Show::All => "all".into(),
            Show::Stage(s) => s.as_str().into(),
        }
    }
}

pub struct TicketsView {
    pub ids: Vec<TicketId>,
    pub cursor: Cursor,
    pub show: Show,
    pub client: Option<ClientId>,
    pub product: Option<ProductId>,
    pub stale: bool,
}

impl Default for TicketsView {
    fn default() -> Self {
        TicketsView {
            ids: Vec::new(),
            cursor: Cursor::default(),
            show: Show::Open,
            client: None,
            product: None,
            stale: true,
        }
    }
}

impl TicketsView {
    pub fn selected<'m>(&self, model: &'m Model) -> Option<&'m Ticket> {
        self.ids.get(self.cursor.selected).and_then(|id| model.tickets.get(id))
    }

    fn rebuild(&mut self, cx: &Ctx) {
        let model = cx.model();
        let keep = self.selected(model).map(|t| t.id);
        let filter = Filter {
            open: self.show == Show::Open,
            stage: match self.show {
                Show::Stage(st) => Some(st),
                _ => None,
            },
            client: self.client,
            product: self.product,
            overdue_on: (self.show == Show::Overdue).then_some(cx.today),
        };
        // `/`: the tickets of the clients the filter leaves, and those
        // whose number (`12`, `#12`) or text the pattern names.
        let narrowed: Option<(std::collections::HashSet<ClientId>, String)> = cx.filter.narrows().then(|| {
            let mut shown = Vec::new();
            cx.filter.shown_into(model, &mut shown);
            (
                shown.into_iter().collect(),
                rapport::find::fold(cx.filter.pattern.trim()).0,
            )
        });
        let named = |t: &rapport::domain::Ticket, pattern: &str| {
            let number = pattern.trim_start_matches('#');
            (!number.is_empty() && t.id.to_string() == number)
                || (pattern.chars().count() >= 3 && rapport::find::fold(&t.description).0.contains(pattern))
        };
        // Newest first: the latest complaint is the one being worked on.
        let ids: Vec<TicketId> = tickets::list(model, &filter)
            .iter()
            .rev()
            .filter(|t| {
                narrowed
                    .as_ref()
                    .is_none_or(|(shown, p)| shown.contains(&t.client) || named(t, p))
            })
            .map(|t| t.id)
            .collect();
        self.cursor.selected = keep
            .and_then(|k| ids.iter().position(|i| *i == k))
            .unwrap_or(self.cursor.selected)
            .min(ids.len().saturating_sub(1));
        self.ids = ids;
        self.stale = false;
    }

    fn open_advance_form(&mut self, cx: &mut Ctx) {
        if let Some(t) = self.selected(cx.model()).map(|t| t.id) {
            open_advance_form(t, cx);
        }
    }

    fn open_owner_form(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let Some(t) = self.selected(model) else { return };
        let owner = t
            .owner
            .and_then(|m| model.managers.get(&m))
            .map_or(String::new(), |m| m.login.clone());
        let (id, version) = (t.id, t.version);
        let form = Form::new(
            format!("Ticket #{id} · owner"),
            vec![Field::new("Owner", FieldKind::Manager, owner, true)],
        );
        cx.open_form(FormKind::TicketOwner { ticket: id, version }, form);
    }

    fn open_edit_ticket_form(&mut self, cx: &mut Ctx) {
        let Some(t) = self.selected(cx.model()) else { return };
        let form = Form::new(
            format!("Ticket #{} · edit", t.id),
            vec![
                Field::new("Complaint", FieldKind::Text, t.description.clone(), true),
                Field::new("Cause", FieldKind::Text, t.cause.clone(), false),
                Field::new("Action taken", FieldKind::Text, t.action.clone(), false),
                Field::new("Process fix", FieldKind::Text, t.fix.clone(), false),
            ],
        );
        let kind = FormKind::EditTicket {
            ticket: t.id,
            version: t.version,
        };
        cx.open_form(kind, form);
    }
}

/// The form that moves ticket `id` to its next stage, with exactly the
/// fields that stage needs (from the tickets, or `d` in the queue).
pub fn open_advance_form(id: TicketId, cx: &mut Ctx) {
    let model = cx.model();
    let Some(t) = model.tickets.get(&id) else {
        return;
    };
    let Some(to) = t.stage.next() else {
        let id = t.id;
        cx.status(format!("Ticket #{id} is closed"), Tone::Error);
        return;
    };
    let owner = t
        .owner
        .and_then(|m| model.managers.get(&m))
        .map(|m| m.login.clone())
        .or_else(|| model.manager_by_login(cx.who).map(|m| m.login.clone()))
        .unwrap_or_default();
    let mut fields = vec![Field::new("Date", FieldKind::Date, cx.today.to_string(), true)];
    match to {
        TicketStage::Investigating => fields.push(Field::new("Owner", FieldKind::Manager, owner, true)),
        TicketStage::Resolved => {
            fields.push(Field::new("Cause", FieldKind::Text, t.cause.clone(), true));
            fields.push(Field::new("Action taken", FieldKind::Text, t.action.clone(), true));
        }
        TicketStage::Prevented => fields.push(Field::new("Process fix", FieldKind::Text, t.fix.clone(), true)),
        _ => {}
    }
    let mut form = Form::new(format!("Ticket #{} · {} → {to}", t.id, t.stage), fields);
    form.info = vec![t.description.clone()];
    let kind = FormKind::AdvanceTicket {
        ticket: t.id,
        version: t.version,
    };
    cx.open_form(kind, form);
}

/// The new-complaint form (from the tickets or the clients list).
pub fn open_new_ticket_form(client: Option<ClientId>, cx: &mut Ctx) {
    let reference = client
        .and_then(|c| cx.model().clients.get(&c))
        .map_or(String::new(), |c| c.reference.clone());
    let form = Form::new(
        "New complaint".to_string(),
        vec![
            Field::new("Client", FieldKind::Client, reference, true),
            Field::new("Product", FieldKind::Product, "", false),
            Field::new("Complaint", FieldKind::Text, "", true),
        ],
    );
    cx.open_form(FormKind::NewTicket, form);
}

/// The survey form (from the clients list or the queue): the product and
/// one score per question, typed as `5 4 3`; the questions of the chosen
/// product are listed under it.
pub fn open_survey_form(client: Option<ClientId>, product: Option<ProductId>, cx: &mut Ctx) {
    let model = cx.model();
    let Some(c) = client.and_then(|id| model.clients.get(&id)) else {
        return;
    };
    let code = product
        .and_then(|p| model.products.get(&p))
        .map_or(String::new(), |p| p.code.clone());
    let mut form = Form::new(
        format!("Satisfaction survey · {}", c.name),
        vec![
            Field::new("Product", FieldKind::Product, code, true),
            Field::new("Scores", FieldKind::Scores, "", true),
        ],
    );
    let questions = product.map_or(&model.settings.survey_questions[..], |p| model.questions(p));
    form.info = vec![format!(
        "1–5 for each, in order: {} (3 or less opens a ticket)",
        questions.join(", ")
    )];
    let id = c.id;
    cx.open_form(FormKind::Survey(id), form);
}

impl View for TicketsView {
    fn title(&self) -> &'static str {
        "Tickets"
    }

    fn filtered(&self) -> bool {
        true
    }

    fn mode(&self) -> Mode {
        Mode::Tickets
    }

    fn open(&mut self, cx: &mut Ctx) {
        if self.stale {
            self.rebuild(cx);
        }
    }

    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        if self.cursor.step(action, self.ids.len(), None) != Moved::No {
            return Handled::Yes;
        }
        let selected = self.selected(cx.model()).map(|t| (t.client, t.product));
        match action {
            Action::CycleTicketFilter => {
                self.show = self.show.next();
                self.cursor.selected = 0;
                self.rebuild(cx);
            }
            Action::TicketsOfClient => {
                self.client = if self.client.is_some() {
                    None
                } else {
                    selected.map(|(c, _)| c)
                };
                self.rebuild(cx);
            }
            Action::TicketsOfProduct => {
                self.product = if self.product.is_some() {
                    None
                } else {
                    selected.and_then(|(_, p)| p)
                };
                self.rebuild(cx);
            }
            Action::NewTicket => open_new_ticket_form(selected.map(|(c, _)| c), cx),
            Action::AdvanceTicket => self.open_advance_form(cx),
            Action::SetOwner => self.open_owner_form(cx),
            Action::EditTicket => self.open_edit_ticket_form(cx),
            Action::OpenClient | Action::Submit => {
                if let Some((client, _)) = selected {
                    cx.ask(Effect::ShowClient(client));
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// Tickets are listed against today, not the classes' date.
    fn refresh(&mut self, why: Refresh, cx: &mut Ctx) {
        if matches!(why, Refresh::Event(..) | Refresh::Replaced | Refresh::Filter) {
            self.stale = true;
            if cx.shown {
                self.rebuild(cx);
            }
        }
    }

    /// The ticket forms, and the complaint and survey forms the other
    /// views open too.
    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        ticket_command(kind, form, cx).map(|r| r.map(Submitted::Run))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        draw::draw(frame, app, self, area);
    }
}

fn ticket_command(kind: FormKind, form: &Form, cx: &Ctx) -> Option<Result<Command, String>> {
    let model = cx.model();
    let manager = |label: &str| model.manager_by_login(form.value(label)).map(|m| m.id);
    let text = |label: &str| form.value(label).to_string();
    let cmd = match kind {
        FormKind::NewTicket => {
            let Some(client) = model.client_by_ref(form.value("Client")) else {
                return Some(Err("unknown client".into()));
            };
            Command::OpenTicket {
                client: client.id,
                product: model.product_by_code(form.value("Product")).map(|p| p.id),
                date: cx.today,
                text: text("Complaint"),
            }
        }
        FormKind::AdvanceTicket { ticket, version } => {
            let present = |label: &str| form.field(label).map(|_| text(label));
            let Some(date) = form.field("Date").and_then(|f| f.date()) else {
                return Some(Err("a date is required".into()));
            };
            Command::AdvanceTicket(TicketAdvance {
                ticket,
                expected_version: Some(version),
                date,
                owner: manager("Owner"),
                cause: present("Cause"),
                action: present("Action taken"),
                fix: present("Process fix"),
            })
        }
        FormKind::TicketOwner { ticket, version } => {
            let Some(owner) = manager("Owner") else {
                return Some(Err("unknown manager".into()));
            };
            Command::SetTicketOwner {
                ticket,
                expected_version: Some(version),
                owner,
            }
        }
        FormKind::EditTicket { ticket, version } => Command::EditTicket {
            ticket,
            expected_version: Some(version),
            description: text("Complaint"),
            cause: text("Cause"),
            action: text("Action taken"),
            fix: text("Process fix"),
        },
        FormKind::Survey(client) => {
            let Some(product) = model.product_by_code(form.value("Product")) else {
                return Some(Err("unknown product".into()));
            };
            let Some(scores) = crate::tui::form::scores(form.value("Scores")) else {
                return Some(Err("scores are 1 to 5, like 5 4 3".into()));
            };
            Command::RecordSurvey {
                client,
                product: product.id,
                date: cx.today,
                scores,
            }
        }
        _ => return None,
    };
    Some(Ok(cmd))
}
