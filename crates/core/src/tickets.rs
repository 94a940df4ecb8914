//! Complaint tickets (SPEC §6): which tickets a view or command lists, and
//! the complaints summary of SPEC §7 (opened and closed in a period, by
//! product and by cause, median days to close). Pure: reads the model.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::*;
use crate::model::Model;

/// Which tickets to list; every set condition must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only tickets not yet closed.
    pub open: bool,
    pub stage: Option<TicketStage>,
    pub client: Option<ClientId>,
    pub product: Option<ProductId>,
    /// Only tickets whose stage was due before this date.
    pub overdue_on: Option<NaiveDate>,
}

impl Filter {
    pub fn open() -> Filter {
        Filter {
            open: true,
            ..Filter::default()
        }
    }

    pub fn matches(&self, t: &Ticket) -> bool {
        (!self.open || t.stage != TicketStage::Closed)
            && self.stage.is_none_or(|s| t.stage == s)
            && self.client.is_none_or(|c| t.client == c)
            && self.product.is_none_or(|p| t.product == Some(p))
            && self.overdue_on.is_none_or(|d| is_overdue(t, d))
    }
}

/// The ticket's current stage is past its due date.
pub fn is_overdue(t: &Ticket, on: NaiveDate) -> bool {
    t.stage != TicketStage::Closed && t.stage_due.is_some_and(|due| due < on)
}

/// The tickets `filter` keeps, by id.
pub fn list<'a>(model: &'a Model, filter: &Filter) -> Vec<&'a Ticket> {
    model.tickets.values().filter(|t| filter.matches(t)).collect()
}

/// When the ticket was closed, if it was.
pub fn closed_on(t: &Ticket) -> Option<NaiveDate> {
    t.history
        .iter()
        .rev()
        .find(|h| h.to == TicketStage::Closed)
        .map(|h| h.date)
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProductCount {
    /// None: a complaint about no product in particular.
    pub product: Option<ProductId>,
    pub opened: u32,
    pub closed: u32,
}

/// SPEC §7's complaint figures for the period [from, to].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub opened: u32,
    pub closed: u32,
    /// Of the tickets opened, how many came from a low survey score.
    pub from_surveys: u32,
    pub by_product: Vec<ProductCount>,
    /// Causes of the tickets opened in the period ("" while not found yet).
    pub by_cause: Vec<(String, u32)>,
    /// Median days from opening to closing, over the tickets closed in the
    /// period.
    pub median_days_to_close: Option<f64>,
}

/// `tickets` lets a caller restrict the summary (to a manager's clients).
pub fn summary<'a>(tickets: impl IntoIterator<Item = &'a Ticket>, from: NaiveDate, to: NaiveDate) -> Summary {
    let mut s = Summary::default();
    let mut products: BTreeMap<Option<ProductId>, ProductCount> = BTreeMap::new();
    let mut causes: BTreeMap<String, u32> = BTreeMap::new();
    let mut days = Vec::new();
    let inside = |d: NaiveDate| from <= d && d <= to;
    for t in tickets {
        if inside(t.opened) {
            s.opened += 1;
            if matches!(t.source, TicketSource::Survey(_)) {
                s.from_surveys += 1;
            }
            products
                .entry(t.product)
                .or_insert_with(|| ProductCount {
                    product: t.product,
                    ..ProductCount::default()
                })
                .opened += 1;
            *causes.entry(t.cause.clone()).or_default() += 1;
        }
        if let Some(closed) = closed_on(t).filter(|d| inside(*d)) {
            s.closed += 1;
            products
                .entry(t.product)
                .or_insert_with(|| ProductCount {
                    product: t.product,
                    ..ProductCount::default()
                })
                .closed += 1;
            days.push((closed - t.opened).num_days());
        }
    }
    s.by_product = products.into_values().collect();
    let mut by_cause: Vec<(String, u32)> = causes.into_iter().collect();
    by_cause.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    s.by_cause = by_cause;
    days.sort_unstable();
    s.median_days_to_close = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2] as f64),
        n => Some((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
    };
    s
}

#[cfg(test)]
mod tests;
