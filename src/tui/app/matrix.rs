//! The product matrix tab: its rows (the client filter, grouped by
//! segment, optionally one segment or manager), the cell cursor, the cell
//! editor, quick stage moves, and the portrait editor.

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{Days, NaiveDate};

use rapport::domain::*;
use rapport::matrix::{self, Whitespace};
use rapport::write::{Command, OfferMove};

use super::{App, FormKind, Overlay, Tone};
use crate::tui::action::Action;
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::fuzzy::fold;

#[derive(Default)]
pub struct MatrixState {
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
}

impl App {
    /// Rebuilds the matrix rows from the client filter and restrictions.
    pub(super) fn rebuild_matrix(&mut self) {
        let model = self.data.model();
        let keep = self.matrix.rows.get(self.matrix.row).copied();
        let seg_rank: HashMap<SegmentId, usize> = {
            let mut segs: Vec<&Segment> = model.segments.values().collect();
            segs.sort_by_key(|s| fold(&s.name).0);
            segs.iter().enumerate().map(|(i, s)| (s.id, i)).collect()
        };
        let m = &self.matrix;
        let mut keyed: Vec<(usize, &str, ClientId)> = self
            .rows
            .iter()
            .filter_map(|id| model.clients.get(id))
            .filter(|c| m.segment.is_none_or(|s| c.segment == Some(s)))
            .filter(|c| m.manager.is_none_or(|mg| c.manager == Some(mg)))
            .map(|c| {
                let rank = c.segment.and_then(|s| seg_rank.get(&s).copied()).unwrap_or(usize::MAX);
                (rank, self.search.name_key(c.id).unwrap_or(""), c.id)
            })
            .collect();
        keyed.sort_unstable();
        let rows: Vec<ClientId> = keyed.into_iter().map(|(_, _, id)| id).collect();
        self.matrix.whitespace = matrix::whitespace(model, rows.iter());
        self.matrix.columns = matrix::columns(model);
        self.matrix.row = keep.and_then(|k| rows.iter().position(|r| *r == k)).unwrap_or(0);
        self.matrix.col = self.matrix.col.min(self.matrix.columns.len().saturating_sub(1));
        self.matrix.rows = rows;
        self.matrix.stale = false;
    }

    pub(super) fn open_matrix(&mut self) {
        self.tab = super::Tab::Matrix;
        if self.matrix.stale || self.matrix.columns.is_empty() {
            self.rebuild_matrix();
        }
    }

    pub fn matrix_client(&self) -> Option<&Client> {
        self.matrix
            .rows
            .get(self.matrix.row)
            .and_then(|id| self.model().clients.get(id))
    }

    pub fn matrix_product(&self) -> Option<&Product> {
        self.matrix
            .columns
            .get(self.matrix.col)
            .and_then(|id| self.model().products.get(id))
    }

    /// Handles a matrix action; false when it is not one.
    pub(super) fn matrix_action(&mut self, action: Action) -> bool {
        let m = &mut self.matrix;
        let page = m.height.get().max(1);
        if m.portrait {
            let (rows, cols) = (self.data.model().segments.len(), m.columns.len());
            match action {
                Action::MoveUp => m.portrait_row = m.portrait_row.saturating_sub(1),
                Action::MoveDown => m.portrait_row = (m.portrait_row + 1).min(rows.saturating_sub(1)),
                Action::MoveLeft => m.portrait_col = m.portrait_col.saturating_sub(1),
                Action::MoveRight => m.portrait_col = (m.portrait_col + 1).min(cols.saturating_sub(1)),
                Action::TogglePortrait => m.portrait = false,
                Action::ToggleTarget => self.toggle_target(),
                _ => return false,
            }
            return true;
        }
        let last_row = m.rows.len().saturating_sub(1);
        let last_col = m.columns.len().saturating_sub(1);
        match action {
            Action::MoveUp => m.row = m.row.saturating_sub(1),
            Action::MoveDown => m.row = (m.row + 1).min(last_row),
            Action::PageUp => m.row = m.row.saturating_sub(page),
            Action::PageDown => m.row = (m.row + page).min(last_row),
            Action::Top => m.row = 0,
            Action::Bottom => m.row = last_row,
            Action::MoveLeft => m.col = m.col.saturating_sub(1),
            Action::MoveRight => m.col = (m.col + 1).min(last_col),
            Action::TogglePortrait => m.portrait = true,
            Action::CycleSegment => {
                let ids: Vec<SegmentId> = self.data.model().segments.keys().copied().collect();
                m.segment = cycle(&ids, m.segment);
                self.rebuild_matrix();
            }
            Action::CycleManager => {
                let ids: Vec<ManagerId> = self.data.model().managers.keys().copied().collect();
                m.manager = cycle(&ids, m.manager);
                self.rebuild_matrix();
            }
            Action::EditCell => self.open_cell_form(),
            Action::AdvanceTo => {
                // The editor on the next stage, with the cursor on the date.
                self.open_cell_form();
                if let Overlay::Form(_, form) = &mut self.overlay
                    && let Some(i) = form.fields.iter().position(|f| f.label == "Next step")
                {
                    form.focus = i;
                }
            }
            Action::AdvanceWeek => self.advance(7),
            Action::AdvanceFortnight => self.advance(14),
            _ => return false,
        }
        true
    }

    fn open_cell_form(&mut self) {
        let (Some(c), Some(p)) = (self.matrix_client(), self.matrix_product()) else {
            return;
        };
        let (client, product) = (c.id, p.id);
        let title = format!("{} · {}", p.name, c.name);
        let offer = self.data.model().offers.get(&(client, product));
        let stage = offer.map_or(OfferStage::NotOffered, |o| o.stage);
        let version = offer.map_or(0, |o| o.version);
        let suggested = next_stage(offer).unwrap_or(stage);
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut form = Form::new(
            title,
            vec![
                Field::new("Stage", FieldKind::Stage, suggested.as_str(), true),
                Field::new("Date", FieldKind::Date, self.today.to_string(), true),
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
                Field::new("Retry", FieldKind::DateOrDays, "", false),
            ],
        );
        form.info = match offer {
            Some(o) => {
                let mut lines = vec![format!(
                    "now {} since {} (version {})",
                    o.stage, o.stage_date, o.version
                )];
                lines.extend(o.history.iter().rev().take(4).map(|t| {
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
        self.overlay = Overlay::Form(
            FormKind::Offer {
                client,
                product,
                version,
            },
            form,
        );
    }
}

/// The offer command a cell form stands for; `+N` dates count from `today`
/// (the next step and others from the stage date).
pub(super) fn offer_command(
    today: NaiveDate,
    form: &Form,
    client: ClientId,
    product: ProductId,
    version: u64,
) -> Option<Command> {
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
    m.retry = opt("Retry");
    Some(Command::MoveOffer(m))
}

impl App {
    /// One stage forward with the next step `days` ahead.
    fn advance(&mut self, days: u64) {
        let (Some(c), Some(p)) = (self.matrix_client(), self.matrix_product()) else {
            return;
        };
        let offer = self.data.model().offers.get(&(c.id, p.id));
        let Some(to) = next_stage(offer) else {
            self.set_status("This offer is won: nothing further to move", Tone::Error);
            return;
        };
        let mut m = OfferMove::new(c.id, p.id, to, self.today);
        m.expected_version = Some(offer.map_or(0, |o| o.version));
        m.next_step = self.today.checked_add_days(Days::new(days));
        self.run(Command::MoveOffer(m));
    }

    fn toggle_target(&mut self) {
        let model = self.data.model();
        let segment = model.segments.keys().nth(self.matrix.portrait_row).copied();
        let product = self.matrix.columns.get(self.matrix.portrait_col).copied();
        let (Some(segment), Some(product)) = (segment, product) else {
            return;
        };
        let target = !model.portrait.contains(&(segment, product));
        self.run(Command::SetPortrait {
            segment,
            product,
            target,
        });
    }
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
