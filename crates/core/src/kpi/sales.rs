//! SPEC §7: every settlement of the period, and for each positive one
//! whether it is a primary, repeat or new-line sale.
//!
//! Settlements stay on disk; the model keeps per-client day totals and the
//! products settled on each day. A day with exactly one settlement tells
//! its amount and product exactly, and history before F only needs dates
//! and lines, so most clients are classified from the model alone. Only a
//! client with several settlements on one day of the period needs them one
//! by one (same-day order is by settlement id): those are read through
//! `fetch`.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::Period;
use crate::domain::{ClientId, ProductId, Settlement};
use crate::model::{ClientAggregate, Model};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    /// The client's first settlement ever.
    Primary,
    /// The client had a settlement in this product's line before.
    Repeat,
    /// The client had settlements before, none in this product's line.
    NewLine,
}

/// One settlement of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sale {
    pub client: ClientId,
    pub date: NaiveDate,
    pub amount: i64,
    pub product: Option<ProductId>,
    /// `None` for a zero amount or a refund: only positive amounts are sales.
    pub kind: Option<SaleKind>,
}

/// A product's line; a settlement without a product counts in a line of
/// its own (`None`), so two of them make a repeat.
fn line_of(model: &Model, product: Option<ProductId>) -> Option<&str> {
    product.and_then(|p| model.products.get(&p)).map(|p| p.line.as_str())
}

/// Every settlement dated in `period`, classified, by client then date
/// (then id within a day).
pub fn sales<E>(
    model: &Model,
    period: Period,
    mut fetch: impl FnMut(ClientId) -> Result<Vec<Settlement>, E>,
) -> Result<Vec<Sale>, E> {
    let mut out = Vec::new();
    for (client, agg) in &model.aggregates {
        match read_of(agg, period) {
            Read::Nothing => {}
            Read::Fetch => {
                let settlements = fetch(*client)?;
                classify_exact(model, period, settlements, &mut out);
            }
            Read::Aggregate => classify_from_aggregate(model, period, *client, agg, &mut out),
        }
    }
    Ok(out)
}

/// The clients whose settlements `sales` fetches: a caller that cannot
/// fetch while it lends out the model reads them first.
pub fn clients_to_fetch(model: &Model, period: Period) -> Vec<ClientId> {
    let fetch = |(c, agg): (&ClientId, &ClientAggregate)| (read_of(agg, period) == Read::Fetch).then_some(*c);
    model.aggregates.iter().filter_map(fetch).collect()
}

#[derive(PartialEq, Eq)]
enum Read {
    /// No settlement in the period (or the day before).
    Nothing,
    /// One settlement a day at most: the aggregates tell each apart.
    Aggregate,
    /// Several settlements on one day: only the records tell their order.
    Fetch,
}

fn read_of(agg: &ClientAggregate, period: Period) -> Read {
    let days = agg.days_in(period.day_before(), period.to);
    if days.is_empty() {
        Read::Nothing
    } else if days.iter().any(|d| d.count > 1) {
        Read::Fetch
    } else {
        Read::Aggregate
    }
}

/// Same-day order is by settlement id; the fetched list is the client's
/// whole history.
pub(super) fn classify_exact(model: &Model, period: Period, mut settlements: Vec<Settlement>, out: &mut Vec<Sale>) {
    settlements.sort_by_key(|s| (s.date, s.id));
    let mut seen: BTreeSet<Option<&str>> = BTreeSet::new();
    for (i, s) in settlements.iter().enumerate() {
        if s.date > period.to {
            break;
        }
        let line = line_of(model, s.product);
        if period.contains(s.date) {
            out.push(Sale {
                client: s.client,
                date: s.date,
                amount: s.amount.0,
                product: s.product,
                kind: kind(s.amount.0, i == 0, seen.contains(&line)),
            });
        }
        seen.insert(line);
    }
}

fn kind(amount: i64, first_ever: bool, line_seen: bool) -> Option<SaleKind> {
    if amount <= 0 {
        None
    } else if first_ever {
        Some(SaleKind::Primary)
    } else if line_seen {
        Some(SaleKind::Repeat)
    } else {
        Some(SaleKind::NewLine)
    }
}

/// Every day of the period has one settlement: its amount is the day's
/// total, its product the one product settled that day (if any).
fn classify_from_aggregate(
    model: &Model,
    period: Period,
    client: ClientId,
    agg: &ClientAggregate,
    out: &mut Vec<Sale>,
) {
    let before = period.day_before();
    let mut seen: BTreeSet<Option<&str>> = BTreeSet::new();
    let mut with_product_before = 0u64;
    let mut products_in: Vec<(NaiveDate, ProductId)> = Vec::new();
    for pd in &agg.product_days {
        if pd.date <= before {
            seen.insert(line_of(model, Some(pd.product)));
            with_product_before += u64::from(pd.count);
        } else if pd.date <= period.to {
            products_in.push((pd.date, pd.product));
        }
    }
    products_in.sort_unstable();
    let all_before: u64 = agg
        .days
        .iter()
        .take_while(|d| d.date <= before)
        .map(|d| u64::from(d.count))
        .sum();
    if all_before > with_product_before {
        seen.insert(None);
    }
    let first = agg.first_settlement();
    for day in agg.days_in(before, period.to) {
        let product = products_in
            .binary_search_by_key(&day.date, |(d, _)| *d)
            .ok()
            .map(|i| products_in[i].1);
        let line = line_of(model, product);
        out.push(Sale {
            client,
            date: day.date,
            amount: day.amount,
            product,
            kind: kind(day.amount, first == Some(day.date), seen.contains(&line)),
        });
        seen.insert(line);
    }
}

/// Reads a client's settlements from a list (tests and small tools).
pub fn from_list(
    list: &[Settlement],
) -> impl FnMut(ClientId) -> Result<Vec<Settlement>, std::convert::Infallible> + '_ {
    move |client| Ok(list.iter().filter(|s| s.client == client).cloned().collect())
}
