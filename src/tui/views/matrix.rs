//! The product matrix tab: its rows (the client filter, grouped by
//! segment, optionally one segment or manager), the cell cursor, the cell
//! editor, quick stage moves, and the portrait editor.

mod draw;

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use ratatui::Frame;
use ratatui::layout::Rect;

use rapport::domain::*;
use rapport::matrix::{self, Whitespace};
use rapport::model::Model;
use rapport::write::{Command, OfferMove};

use crate::tui::action::Action;
use crate::tui::app::{App, FormKind, Tone};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::fuzzy::fold;
use crate::tui::keymap::Mode;
use crate::tui::view::{Ctx, Effect, Handled, Refresh, Submitted, View};

#[derive(Default)]
pub struct MatrixView {
    /// Shown clients: the client filter, by segment then name.
    pub rows: Vec<ClientId>,
    /// Products grouped by line.
    pub columns: Vec<ProductId>,
    pub row: usize,
    pub col: usize,
    /// Scroll position and visible size, kept by the view between draws.
    pub row_offset: Cell<usize>,
    pub col_offset: Cell<usize>,
    pub height: Cell<usize>,
    pub segment: Option<SegmentId>,
    pub manager: Option<ManagerId>,
    /// The sales plan over the shown rows.
    pub whitespace: Whitespace,
    /// Showing the portrait editor instead of the matrix.
    pub portrait: bool,
    pub portrait_row: usize,
    pub portrait_col: usize,
    /// The rows need rebuilding before they are next shown.
    pub stale: bool,
    /// Cells marked (`space`) to move at once with `>` or `}`.
    pub marked: std::collections::BTreeSet<(ClientId, ProductId)>,
}

impl MatrixView {
    /// Rebuilds the rows from the client filter and the restrictions.
    fn rebuild(&mut self, cx: &Ctx) {
        let model = cx.model();
        let keep = self.rows.get(self.row).copied();
        let seg_rank: HashMap<SegmentId, usize> = {
            let mut segs: Vec<&Segment> = model.segments.values().collect();
            segs.sort_by_key(|s| fold(&s.name).0);
            segs.iter().enumerate().map(|(i, s)| (s.id, i)).collect()
        };
        let mut shown = Vec::new();
        cx.filter.shown_into(model, &mut shown);
        let search = cx.filter.search();
        let mut keyed: Vec<(usize, &str, ClientId)> = shown
            .iter()
            .filter_map(|id| model.clients.get(id))
            .filter(|c| self.segment.is_none_or(|s| c.segment == Some(s)))
            .filter(|c| self.manager.is_none_or(|mg| c.manager == Some(mg)))
            .map(|c| {
                let rank = c.segment.and_then(|s| seg_rank.get(&s).copied()).unwrap_or(usize::MAX);
                (rank, search.name_key(c.id).unwrap_or(""), c.id)
            })
            .collect();
        keyed.sort_unstable();
        let rows: Vec<ClientId> = keyed.into_iter().map(|(_, _, id)| id).collect();
        self.whitespace = matrix::whitespace(model, rows.iter());
        self.columns = matrix::columns(model);
        self.row = keep.and_then(|k| rows.iter().position(|r| *r == k)).unwrap_or(0);
        self.col = self.col.min(self.columns.len().saturating_sub(1));
        self.rows = rows;
        self.stale = false;
    }

    pub fn client<'m>(&self, model: &'m Model) -> Option<&'m Client> {
        self.rows.get(self.row).and_then(|id| model.clients.get(id))
    }

    pub fn product<'m>(&self, model: &'m Model) -> Option<&'m Product> {
        self.columns.get(self.col).and_then(|id| model.products.get(id))
    }

    fn portrait_action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        let (rows, cols) = (cx.model().segments.len(), self.columns.len());
        match action {
            Action::MoveUp => self.portrait_row = self.portrait_row.saturating_sub(1),
            Action::MoveDown => self.portrait_row = (self.portrait_row + 1).min(rows.saturating_sub(1)),
            Action::MoveLeft => self.portrait_col = self.portrait_col.saturating_sub(1),
            Action::MoveRight => self.portrait_col = (self.portrait_col + 1).min(cols.saturating_sub(1)),
            Action::TogglePortrait => self.portrait = false,
            Action::ToggleTarget => self.toggle_target(cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// The cell form of `kind`'s offer again, when the cursor is still on it.
    fn renewed(&self, kind: FormKind, cx: &Ctx) -> Option<(FormKind, Form)> {
        let FormKind::Offer { client, product, .. } = kind else {
            return None;
        };
        match self.cell_form(cx)? {
            (
                k @ FormKind::Offer {
                    client: c, product: p, ..
                },
                f,
            ) if c == client && p == product => Some((k, f)),
            _ => None,
        }
    }

    /// The editor of the cell under the cursor, on the next stage.
    fn cell_form(&self, cx: &Ctx) -> Option<(FormKind, Form)> {
        let model = cx.model();
        let (c, p) = (self.client(model)?, self.product(model)?);
        let (client, product) = (c.id, p.id);
        let title = format!("{} · {}", p.name, c.name);
        let offer = model.offers.get(&(client, product));
        let stage = offer.map_or(OfferStage::NotOffered, |o| o.stage);
        let version = offer.map_or(0, |o| o.version);
        let suggested = next_stage(offer).unwrap_or(stage);
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut form = Form::new(
            title,
            vec![
                Field::new("Stage", FieldKind::Stage, suggested.as_str(), true),
                Field::new("Date", FieldKind::Date, cx.today.to_string(), true),
                Field::new("Next step", FieldKind::DateOrDays, "", false),
                Field::new(
                    "Next note",
                    FieldKind::Text,
                    offer.map_or(String::new(), |o| o.next_note.clone()),
                    false,
                ),
                Field::new("Note", FieldKind::Text, "", false),
                Field::new(
                    "Expiry",
                    FieldKind::DateOrDays,
                    date(offer.and_then(|o| o.expiry)),
                    false,
                ),
                Field::new(
                    "Invoice due",
                    FieldKind::DateOrDays,
                    date(offer.and_then(|o| o.invoice_due)),
                    false,
                ),
                Field::new(
                    "Delivery",
                    FieldKind::DateOrDays,
                    date(offer.and_then(|o| o.delivery)),
                    false,
                ),
                Field::new("Reason", FieldKind::Reason, "", false),
                Field::new("Competitor", FieldKind::Competitor, "", false),
                Field::new("Retry", FieldKind::DateOrDays, "", false),
            ],
        );
        form.info = match offer {
            Some(o) => {
                let mut lines = vec![format!(
                    "now {} since {} (version {})",
                    o.stage, o.stage_date, o.version
                )];
                lines.extend(sales_lines(model, o));
                lines.extend(o.history.iter().rev().take(3).map(|t| {
                    let note = if t.note.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", t.note)
                    };
                    format!("{} {}→{} by {}{note}", t.date, t.from, t.to, t.who)
                }));
                lines
            }
            None => vec!["never offered".to_string()],
        };
        let kind = FormKind::Offer {
            client,
            product,
            version,
        };
        Some((kind, form))
    }

    /// The editor of the terms of the offer under the cursor.
    fn terms_form(&self, cx: &Ctx) -> Option<(FormKind, Form)> {
        let model = cx.model();
        let (c, p) = (self.client(model)?, self.product(model)?);
        let terms = model.sales.terms.get(&(c.id, p.id));
        let mut form = Form::new(
            format!("Terms · {} · {}", p.name, c.name),
            vec![
                Field::new(
                    "Amend by",
                    FieldKind::DateOrDays,
                    terms
                        .and_then(|t| t.amend_by)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    false,
                ),
                Field::new(
                    "Invoice",
                    FieldKind::Amount,
                    terms.and_then(|t| t.invoice).map(|a| a.to_string()).unwrap_or_default(),
                    false,
                ),
                Field::new(
                    "Instalments",
                    FieldKind::Instalments,
                    terms.map(|t| schedule_text(&t.schedule)).unwrap_or_default(),
                    false,
                ),
            ],
        );
        let stage = model
            .offers
            .get(&(c.id, p.id))
            .map_or(OfferStage::NotOffered, |o| o.stage);
        form.info = vec![
            format!("the offer is at stage {stage}"),
            "amend by: a proposal or agreement; invoice: once invoiced".into(),
            "instalments: 500.00@2026-12-01 500.00@2027-01-15 (sum = invoice)".into(),
        ];
        let kind = FormKind::Terms {
            client: c.id,
            product: p.id,
            seq: terms.map_or(0, |t| t.seq),
        };
        Some((kind, form))
    }

    /// One stage forward with the next step `days` ahead.
    fn toggle_mark(&mut self, cx: &Ctx) {
        let model = cx.model();
        if let (Some(c), Some(p)) = (self.client(model), self.product(model)) {
            let key = (c.id, p.id);
            if !self.marked.remove(&key) {
                self.marked.insert(key);
            }
        }
        self.row = (self.row + 1).min(self.rows.len().saturating_sub(1));
    }

    /// The marked offers one stage forward, next steps `days` ahead: one
    /// command (all or nothing, one undo).
    fn advance_marked(&mut self, days: u64, cx: &mut Ctx) {
        let model = cx.model();
        let mut commands = Vec::new();
        for &(client, product) in &self.marked {
            let offer = model.offers.get(&(client, product));
            let Some(to) = next_stage(offer) else {
                let label = format!("{} of {}", model.product_label(product), model.client_label(client));
                return cx.status(
                    format!("{label} is won: nothing further to move (unmark it)"),
                    Tone::Error,
                );
            };
            let mut m = OfferMove::new(client, product, to, cx.today);
            m.expected_version = Some(offer.map_or(0, |o| o.version));
            m.next_step = cx.today.checked_add_days(Days::new(days));
            commands.push(Command::MoveOffer(m));
        }
        let label = format!("move {} offers one stage", commands.len());
        self.marked.clear();
        cx.ask(Effect::Run(Command::Batch { label, commands }));
    }

    fn advance(&mut self, days: u64, cx: &mut Ctx) {
        if !self.marked.is_empty() {
            return self.advance_marked(days, cx);
        }
        let model = cx.model();
        let (Some(c), Some(p)) = (self.client(model), self.product(model)) else {
            return;
        };
        let offer = model.offers.get(&(c.id, p.id));
        let Some(to) = next_stage(offer) else {
            cx.status("This offer is won: nothing further to move", Tone::Error);
            return;
        };
        let mut m = OfferMove::new(c.id, p.id, to, cx.today);
        m.expected_version = Some(offer.map_or(0, |o| o.version));
        m.next_step = cx.today.checked_add_days(Days::new(days));
        cx.ask(Effect::Run(Command::MoveOffer(m)));
    }

    fn toggle_target(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let segment = model.segments.keys().nth(self.portrait_row).copied();
        let product = self.columns.get(self.portrait_col).copied();
        let (Some(segment), Some(product)) = (segment, product) else {
            return;
        };
        let target = !model.portrait.contains(&(segment, product));
        cx.ask(Effect::Run(Command::SetPortrait {
            segment,
            product,
            target,
        }));
    }
}

impl View for MatrixView {
    fn title(&self) -> &'static str {
        "Matrix"
    }

    fn mode(&self) -> Mode {
        if self.portrait {
            Mode::PortraitEditor
        } else {
            Mode::Matrix
        }
    }

    fn filtered(&self) -> bool {
        true
    }

    fn open(&mut self, cx: &mut Ctx) {
        if self.stale || self.columns.is_empty() {
            self.rebuild(cx);
        }
    }

    fn action(&mut self, action: Action, cx: &mut Ctx) -> Handled {
        if self.portrait {
            return self.portrait_action(action, cx);
        }
        let page = self.height.get().max(1);
        let last_row = self.rows.len().saturating_sub(1);
        let last_col = self.columns.len().saturating_sub(1);
        match action {
            Action::MoveUp => self.row = self.row.saturating_sub(1),
            Action::MoveDown => self.row = (self.row + 1).min(last_row),
            Action::PageUp => self.row = self.row.saturating_sub(page),
            Action::PageDown => self.row = (self.row + page).min(last_row),
            Action::Top => self.row = 0,
            Action::Bottom => self.row = last_row,
            Action::MoveLeft => self.col = self.col.saturating_sub(1),
            Action::MoveRight => self.col = (self.col + 1).min(last_col),
            Action::TogglePortrait => self.portrait = true,
            Action::CycleSegment => {
                let ids: Vec<SegmentId> = cx.model().segments.keys().copied().collect();
                self.segment = cycle(&ids, self.segment);
                self.rebuild(cx);
            }
            Action::CycleManager => {
                let ids: Vec<ManagerId> = cx.model().managers.keys().copied().collect();
                self.manager = cycle(&ids, self.manager);
                self.rebuild(cx);
            }
            Action::EditCell => {
                if let Some((kind, form)) = self.cell_form(cx) {
                    cx.open_form(kind, form);
                }
            }
            Action::AdvanceTo => {
                // The editor on the next stage, with the cursor on the date.
                if let Some((kind, mut form)) = self.cell_form(cx) {
                    if let Some(i) = form.fields.iter().position(|f| f.label == "Next step") {
                        form.focus = i;
                    }
                    cx.open_form(kind, form);
                }
            }
            Action::EditTerms => {
                if let Some((kind, form)) = self.terms_form(cx) {
                    cx.open_form(kind, form);
                }
            }
            Action::ToggleMark => self.toggle_mark(cx),
            Action::AdvanceWeek => self.advance(7, cx),
            Action::AdvanceFortnight => self.advance(14, cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// The rows follow the client filter; the cells follow the data (not
    /// the classes' date).
    fn refresh(&mut self, why: Refresh, cx: &mut Ctx) {
        if matches!(why, Refresh::AsOf) {
            return;
        }
        self.stale = true;
        if cx.shown {
            self.rebuild(cx);
        }
    }

    fn renew(&self, kind: FormKind, cx: &Ctx) -> Option<(FormKind, Form)> {
        if let FormKind::Terms { client, product, .. } = kind {
            return self.terms_form(cx).filter(
                |(k, _)| matches!(k, FormKind::Terms { client: c, product: p, .. } if *c == client && *p == product),
            );
        }
        self.renewed(kind, cx)
    }

    fn submit(&mut self, kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
        if let FormKind::Terms { client, product, seq } = kind {
            return Some(terms_command(cx.today, form, client, product, seq).map(Submitted::Run));
        }
        let FormKind::Offer {
            client,
            product,
            version,
        } = kind
        else {
            return None;
        };
        Some(
            offer_command(cx.today, form, client, product, version)
                .map(Submitted::Run)
                .ok_or_else(|| "a stage and a date are required".to_string()),
        )
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        draw::draw(frame, app, area);
    }
}

/// The offer command a cell form stands for; `+N` dates count from `today`
/// (the next step and others from the stage date).
fn offer_command(today: NaiveDate, form: &Form, client: ClientId, product: ProductId, version: u64) -> Option<Command> {
    let stage = OfferStage::parse(form.value("Stage"))?;
    let date = form.field("Date")?.date_from(today)?;
    let opt = |label: &str| form.field(label).and_then(|f| f.date_from(date));
    let mut m = OfferMove::new(client, product, stage, date);
    m.expected_version = Some(version);
    m.next_step = opt("Next step");
    m.next_note = form.value("Next note").to_string();
    m.note = form.value("Note").to_string();
    m.expiry = opt("Expiry");
    m.invoice_due = opt("Invoice due");
    m.delivery = opt("Delivery");
    m.reason = RefusalReason::parse(form.value("Reason"));
    m.competitor = form.value("Competitor").trim().to_string();
    m.retry = opt("Retry");
    Some(Command::MoveOffer(m))
}

/// What the cell editor says of the offer's documents and terms.
fn sales_lines(model: &Model, o: &Offer) -> Vec<String> {
    let mut lines = Vec::new();
    // The latest document (and how many before it), then the keys: one
    // line that fits the editor at 80 columns.
    let docs: Vec<&rapport::domain::Document> = model
        .sales
        .documents_of(o.client)
        .into_iter()
        .filter(|d| d.product == o.product)
        .collect();
    let latest = docs.first().map(|d| {
        let state = match d.sent {
            Some(s) => format!("sent {}", s.date.format("%d/%m")),
            None => "not sent".to_string(),
        };
        let more = if docs.len() > 1 {
            format!(" (+{})", docs.len() - 1)
        } else {
            String::new()
        };
        format!("{} {state}{more}", d.number)
    });
    let hint = match rapport::documents::kind_for(model, o.client, o.product) {
        Some(k) => format!("ctrl-d {}, ctrl-t sent, ctrl-o read", k.as_str()),
        None => "no document at this stage".into(),
    };
    lines.push(format!("{} — {hint}", latest.unwrap_or_else(|| "no document".into())));
    if let Some(t) = model.sales.terms.get(&(o.client, o.product)) {
        let mut parts = Vec::new();
        if let Some(a) = t.invoice {
            parts.push(format!("invoice {a}"));
        }
        if let Some(paid) = rapport::model::sales::paid_label(o, Some(t)) {
            parts.push(paid);
        }
        if let Some(d) = t.amend_by {
            parts.push(format!("amend by {d}"));
        }
        if !parts.is_empty() {
            lines.push(parts.join(" · "));
        }
    }
    lines
}

/// The terms command a terms form stands for; `+N` dates count from `today`.
fn terms_command(
    today: NaiveDate,
    form: &Form,
    client: ClientId,
    product: ProductId,
    seq: u64,
) -> Result<Command, String> {
    let invoice = match form.value("Invoice").trim() {
        "" => None,
        v => Some(Money::parse(v).map_err(|e| e.to_string())?),
    };
    Ok(Command::SetTerms {
        client,
        product,
        expected_seq: Some(seq),
        amend_by: form.field("Amend by").and_then(|f| f.date_from(today)),
        invoice,
        schedule: parse_schedule(form.value("Instalments"))?,
    })
}

/// The stage a quick move goes to: the next on the path; a refused offer
/// resumes after the stage it was refused at; an excluded one starts over.
fn next_stage(offer: Option<&Offer>) -> Option<OfferStage> {
    match offer {
        None => Some(OfferStage::Presentation),
        Some(o) => match o.stage {
            OfferStage::Refused => o
                .refusal
                .as_ref()
                .and_then(|r| r.at_stage.next())
                .or(Some(OfferStage::Presentation)),
            OfferStage::Excluded => Some(OfferStage::Presentation),
            s => s.next(),
        },
    }
}

/// All → the first → … → the last → all.
fn cycle<T: Copy + PartialEq>(ids: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => ids.first().copied(),
        Some(c) => ids.iter().position(|i| *i == c).and_then(|i| ids.get(i + 1)).copied(),
    }
}
