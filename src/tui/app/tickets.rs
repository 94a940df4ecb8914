//! The tickets tab (SPEC §6): the list with its filters, and the forms
//! that take a complaint from registration to closure — each stage's form
//! asks for the field the stage needs, and the store refuses to advance
//! without it. Also the survey form, shared with the clients and queue tabs.

use std::cell::Cell;

use rapport::domain::*;
use rapport::tickets::{self, Filter};
use rapport::write::{Command, TicketAdvance};

use super::{App, FormKind, Overlay, Tab};
use crate::tui::action::Action;
use crate::tui::form::{Field, FieldKind, Form};

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

pub struct TicketsState {
    pub ids: Vec<TicketId>,
    pub selected: usize,
    pub offset: Cell<usize>,
    pub height: Cell<usize>,
    pub show: Show,
    pub client: Option<ClientId>,
    pub product: Option<ProductId>,
    pub stale: bool,
}

impl Default for TicketsState {
    fn default() -> Self {
        TicketsState {
            ids: Vec::new(),
            selected: 0,
            offset: Cell::new(0),
            height: Cell::new(20),
            show: Show::Open,
            client: None,
            product: None,
            stale: true,
        }
    }
}

impl App {
    pub fn selected_ticket(&self) -> Option<&Ticket> {
        self.tickets
            .ids
            .get(self.tickets.selected)
            .and_then(|id| self.model().tickets.get(id))
    }

    pub(super) fn open_tickets(&mut self) {
        self.tab = Tab::Tickets;
        if self.tickets.stale {
            self.rebuild_tickets();
        }
    }

    pub(super) fn rebuild_tickets(&mut self) {
        let keep = self.selected_ticket().map(|t| t.id);
        let s = &self.tickets;
        let filter = Filter {
            open: s.show == Show::Open,
            stage: match s.show {
                Show::Stage(st) => Some(st),
                _ => None,
            },
            client: s.client,
            product: s.product,
            overdue_on: (s.show == Show::Overdue).then_some(self.today),
        };
        // Newest first: the latest complaint is the one being worked on.
        let ids: Vec<TicketId> = tickets::list(self.data.model(), &filter)
            .iter()
            .rev()
            .map(|t| t.id)
            .collect();
        let t = &mut self.tickets;
        t.selected = keep
            .and_then(|k| ids.iter().position(|i| *i == k))
            .unwrap_or(t.selected)
            .min(ids.len().saturating_sub(1));
        t.ids = ids;
        t.stale = false;
    }

    pub(super) fn tickets_action(&mut self, action: Action) -> bool {
        let t = &mut self.tickets;
        let last = t.ids.len().saturating_sub(1);
        let page = t.height.get().max(1);
        match action {
            Action::MoveUp => t.selected = t.selected.saturating_sub(1),
            Action::MoveDown => t.selected = (t.selected + 1).min(last),
            Action::PageUp => t.selected = t.selected.saturating_sub(page),
            Action::PageDown => t.selected = (t.selected + page).min(last),
            Action::Top => t.selected = 0,
            Action::Bottom => t.selected = last,
            Action::CycleTicketFilter => {
                t.show = t.show.next();
                t.selected = 0;
                self.rebuild_tickets();
            }
            Action::TicketsOfClient => {
                let client = self.selected_ticket().map(|k| k.client);
                let t = &mut self.tickets;
                t.client = if t.client.is_some() { None } else { client };
                self.rebuild_tickets();
            }
            Action::TicketsOfProduct => {
                let product = self.selected_ticket().and_then(|k| k.product);
                let t = &mut self.tickets;
                t.product = if t.product.is_some() { None } else { product };
                self.rebuild_tickets();
            }
            Action::NewTicket => self.open_new_ticket_form(self.selected_ticket().map(|t| t.client)),
            Action::AdvanceTicket => self.open_advance_form(),
            Action::SetOwner => self.open_owner_form(),
            Action::EditTicket => self.open_edit_ticket_form(),
            Action::OpenClient | Action::Submit => {
                if let Some(client) = self.selected_ticket().map(|t| t.client) {
                    self.show_client(client);
                }
            }
            _ => return false,
        }
        true
    }

    pub(super) fn open_new_ticket_form(&mut self, client: Option<ClientId>) {
        let reference = client
            .and_then(|c| self.model().clients.get(&c))
            .map_or(String::new(), |c| c.reference.clone());
        let form = Form::new(
            "New complaint".to_string(),
            vec![
                Field::new("Client", FieldKind::Client, reference, true),
                Field::new("Product", FieldKind::Product, "", false),
                Field::new("Complaint", FieldKind::Text, "", true),
            ],
        );
        self.overlay = Overlay::Form(FormKind::NewTicket, form);
    }

    /// The form for the next stage, with exactly the fields it needs.
    fn open_advance_form(&mut self) {
        let Some(t) = self.selected_ticket().cloned() else {
            return;
        };
        let Some(to) = t.stage.next() else {
            self.set_status(format!("Ticket #{} is closed", t.id), super::Tone::Error);
            return;
        };
        let owner = t
            .owner
            .and_then(|m| self.model().managers.get(&m))
            .map(|m| m.login.clone())
            .or_else(|| self.model().manager_by_login(&self.who).map(|m| m.login.clone()))
            .unwrap_or_default();
        let mut fields = vec![Field::new("Date", FieldKind::Date, self.today.to_string(), true)];
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
        self.overlay = Overlay::Form(
            FormKind::AdvanceTicket {
                ticket: t.id,
                version: t.version,
            },
            form,
        );
    }

    fn open_owner_form(&mut self) {
        let Some(t) = self.selected_ticket() else { return };
        let owner = t
            .owner
            .and_then(|m| self.model().managers.get(&m))
            .map_or(String::new(), |m| m.login.clone());
        let (id, version) = (t.id, t.version);
        let form = Form::new(
            format!("Ticket #{id} · owner"),
            vec![Field::new("Owner", FieldKind::Manager, owner, true)],
        );
        self.overlay = Overlay::Form(FormKind::TicketOwner { ticket: id, version }, form);
    }

    fn open_edit_ticket_form(&mut self) {
        let Some(t) = self.selected_ticket() else { return };
        let form = Form::new(
            format!("Ticket #{} · edit", t.id),
            vec![
                Field::new("Complaint", FieldKind::Text, t.description.clone(), true),
                Field::new("Cause", FieldKind::Text, t.cause.clone(), false),
                Field::new("Action taken", FieldKind::Text, t.action.clone(), false),
                Field::new("Process fix", FieldKind::Text, t.fix.clone(), false),
            ],
        );
        self.overlay = Overlay::Form(
            FormKind::EditTicket {
                ticket: t.id,
                version: t.version,
            },
            form,
        );
    }

    /// The survey form: the product and one score per question, typed as
    /// `5 4 3`; the questions of the chosen product are listed under it.
    pub(super) fn open_survey_form(&mut self, client: Option<ClientId>, product: Option<ProductId>) {
        let Some(c) = client.and_then(|id| self.model().clients.get(&id)) else {
            return;
        };
        let model = self.model();
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
        self.overlay = Overlay::Form(FormKind::Survey(c.id), form);
    }

    pub(super) fn ticket_form_command(&self, kind: FormKind, form: &Form) -> Result<Command, String> {
        let model = self.model();
        let manager = |label: &str| model.manager_by_login(form.value(label)).map(|m| m.id);
        let text = |label: &str| form.value(label).to_string();
        match kind {
            FormKind::NewTicket => Ok(Command::OpenTicket {
                client: model.client_by_ref(form.value("Client")).ok_or("unknown client")?.id,
                product: model.product_by_code(form.value("Product")).map(|p| p.id),
                date: self.today,
                text: text("Complaint"),
            }),
            FormKind::AdvanceTicket { ticket, version } => {
                let present = |label: &str| form.field(label).map(|_| text(label));
                Ok(Command::AdvanceTicket(TicketAdvance {
                    ticket,
                    expected_version: Some(version),
                    date: form.field("Date").and_then(|f| f.date()).ok_or("a date is required")?,
                    owner: manager("Owner"),
                    cause: present("Cause"),
                    action: present("Action taken"),
                    fix: present("Process fix"),
                }))
            }
            FormKind::TicketOwner { ticket, version } => Ok(Command::SetTicketOwner {
                ticket,
                expected_version: Some(version),
                owner: manager("Owner").ok_or("unknown manager")?,
            }),
            FormKind::EditTicket { ticket, version } => Ok(Command::EditTicket {
                ticket,
                expected_version: Some(version),
                description: text("Complaint"),
                cause: text("Cause"),
                action: text("Action taken"),
                fix: text("Process fix"),
            }),
            FormKind::Survey(client) => Ok(Command::RecordSurvey {
                client,
                product: model
                    .product_by_code(form.value("Product"))
                    .ok_or("unknown product")?
                    .id,
                date: self.today,
                scores: crate::tui::form::scores(form.value("Scores")).ok_or("scores are 1 to 5, like 5 4 3")?,
            }),
            _ => Err("not a ticket form".into()),
        }
    }
}
