//! Manager results for a period [F, T] (SPEC §7): sales by kind, new, lost
//! and restored clients, conversion, loyalty, activity and complaints,
//! grouped by the client's manager (or segment, or product line) with a
//! total; and the offer funnel. Pure: the caller reads what the model does
//! not hold (a few clients' settlements, the contact log) and passes it in.

mod funnel;
pub mod marketing;
mod period;
mod sales;
#[cfg(test)]
mod tests;

pub use funnel::{Funnel, RefusalCount, StageCount, funnel};
pub use marketing::{Competitors, Sources, competitors, sources};
pub use period::{Period, Preset};
pub use sales::{Sale, SaleKind, clients_to_fetch, from_list, sales};

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::classes::{Status, status_on};
use crate::domain::dates::months_after;
use crate::domain::{Client, ClientId, ContactEntry, ManagerId, ProductId};
use crate::model::{ClientAggregate, Model};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Manager,
    Segment,
    Line,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::Manager, GroupBy::Segment, GroupBy::Line];

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Manager => "manager",
            GroupBy::Segment => "segment",
            GroupBy::Line => "line",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::ALL
            .into_iter()
            .find(|g| g.name() == s.trim().to_ascii_lowercase())
    }

    pub fn next(self) -> GroupBy {
        match self {
            GroupBy::Manager => GroupBy::Segment,
            GroupBy::Segment => GroupBy::Line,
            GroupBy::Line => GroupBy::Manager,
        }
    }
}

/// A number of settlements and their sum in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u32,
    pub sum: i64,
}

impl Tally {
    fn add(&mut self, amount: i64) {
        self.count += 1;
        self.sum += amount;
    }
}

/// Of the potential clients at F, those with a first settlement in the period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Conversion {
    pub potential: u32,
    pub converted: u32,
}

impl Conversion {
    pub fn percent(&self) -> Option<f64> {
        percent(i128::from(self.converted), i128::from(self.potential))
    }
}

/// The loyalty index: of the clients with settlements in the period, those
/// that also had a repeat sale; and the part of the period's turnover that
/// came from clients that were not new.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Loyalty {
    pub active_clients: u32,
    pub repeat_clients: u32,
    pub turnover: i64,
    pub turnover_not_new: i64,
}

impl Loyalty {
    pub fn repeat_percent(&self) -> Option<f64> {
        percent(i128::from(self.repeat_clients), i128::from(self.active_clients))
    }
    /// None when the period's turnover is not positive (no share to take).
    pub fn not_new_percent(&self) -> Option<f64> {
        (self.turnover > 0)
            .then(|| percent(i128::from(self.turnover_not_new), i128::from(self.turnover)))
            .flatten()
    }
}

fn percent(part: i128, whole: i128) -> Option<f64> {
    (whole != 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// One line of the manager table. Figures about clients rather than
/// settlements (new, lost, restored, conversion, contacts, tasks) have no
/// meaning per product line: those rows leave them `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub group: String,
    /// The manager of a by-manager row (selecting it filters the clients).
    pub manager: Option<ManagerId>,
    pub new_clients: Option<u32>,
    pub primary: Tally,
    pub repeat: Tally,
    pub new_line: Tally,
    /// Negative settlements (refunds, credit notes) of the period.
    pub refunds: Tally,
    /// Net sum of every settlement of the period.
    pub turnover: i64,
    pub lost: Option<u32>,
    pub restored: Option<u32>,
    pub conversion: Option<Conversion>,
    pub loyalty: Loyalty,
    pub contacts: Option<u32>,
    pub tasks_done: Option<u32>,
    pub complaints: u32,
}

impl Row {
    fn new(group: String, manager: Option<ManagerId>, per_client: bool) -> Row {
        let zero = per_client.then_some(0);
        Row {
            group,
            manager,
            new_clients: zero,
            lost: zero,
            restored: zero,
            conversion: per_client.then(Conversion::default),
            contacts: zero,
            tasks_done: zero,
            ..Row::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub period: Period,
    pub by: GroupBy,
    pub rows: Vec<Row>,
    pub total: Row,
}

/// The groups of a table: labels, and which one a client or a product is in.
struct Groups {
    by: GroupBy,
    rows: Vec<Row>,
    manager: BTreeMap<ManagerId, usize>,
    segment: BTreeMap<crate::domain::SegmentId, usize>,
    line: BTreeMap<String, usize>,
    /// The row of clients (or settlements) with no manager, segment or line.
    none: usize,
}

impl Groups {
    fn new(model: &Model, by: GroupBy) -> Groups {
        let per_client = by != GroupBy::Line;
        let mut rows = Vec::new();
        let mut manager = BTreeMap::new();
        let mut segment = BTreeMap::new();
        let mut line = BTreeMap::new();
        match by {
            GroupBy::Manager => {
                let mut ms: Vec<_> = model.managers.values().collect();
                ms.sort_by(|a, b| a.login.cmp(&b.login));
                for m in ms {
                    manager.insert(m.id, rows.len());
                    rows.push(Row::new(m.login.clone(), Some(m.id), true));
                }
            }
            GroupBy::Segment => {
                let mut ss: Vec<_> = model.segments.values().collect();
                ss.sort_by(|a, b| a.code.cmp(&b.code));
                for s in ss {
                    segment.insert(s.id, rows.len());
                    rows.push(Row::new(s.code.clone(), None, true));
                }
            }
            GroupBy::Line => {
                let lines: BTreeSet<&str> = model.products.values().map(|p| p.line.as_str()).collect();
                for l in lines {
                    line.insert(l.to_string(), rows.len());
                    rows.push(Row::new(l.to_string(), None, false));
                }
            }
        }
        let none = rows.len();
        let label = match by {
            GroupBy::Manager => "(no manager)",
            GroupBy::Segment => "(no segment)",
            GroupBy::Line => "(no product)",
        };
        rows.push(Row::new(label.to_string(), None, per_client));
        Groups {
            by,
            rows,
            manager,
            segment,
            line,
            none,
        }
    }

    /// The row of a client's figures; `None` when grouping by line.
    fn of_client(&self, client: Option<&Client>) -> Option<usize> {
        match self.by {
            GroupBy::Manager => Some(
                client
                    .and_then(|c| c.manager)
                    .and_then(|m| self.manager.get(&m).copied())
                    .unwrap_or(self.none),
            ),
            GroupBy::Segment => Some(
                client
                    .and_then(|c| c.segment)
                    .and_then(|s| self.segment.get(&s).copied())
                    .unwrap_or(self.none),
            ),
            GroupBy::Line => None,
        }
    }

    /// The row of something about a client and maybe a product (a sale, a
    /// ticket): by the product's line when grouping by line.
    fn of(&self, model: &Model, client: ClientId, product: Option<ProductId>) -> usize {
        match self.by {
            GroupBy::Line => product
                .and_then(|p| model.products.get(&p))
                .and_then(|p| self.line.get(&p.line).copied())
                .unwrap_or(self.none),
            _ => self.of_client(model.clients.get(&client)).unwrap_or(self.none),
        }
    }
}

/// SPEC §7's manager table for `period`. `sales` is what [`sales`] returned
/// for the same period; `contacts` may hold the whole contact log (only
/// the period's entries count).
pub fn table(model: &Model, period: Period, by: GroupBy, sales: &[Sale], contacts: &[ContactEntry]) -> Table {
    let mut groups = Groups::new(model, by);
    let mut total = Row::new("total".to_string(), None, true);
    let settings = &model.settings;
    let before = period.day_before();
    let empty = ClientAggregate::default();

    for client in model.clients.values() {
        let g = groups.of_client(Some(client));
        let agg = model.aggregates.get(&client.id).unwrap_or(&empty);
        let first = agg.first_settlement();
        let is_new = first.is_some_and(|f| period.contains(f));
        let lost = status_on(Some(agg), period.to, settings) == Status::Lost
            && status_on(Some(agg), before, settings) != Status::Lost;
        let restored = restored_in(agg, period, settings.status_window_months);
        let potential = client.created <= period.from && first.is_none_or(|f| f > period.from);
        for row in g.map(|g| &mut groups.rows[g]).into_iter().chain([&mut total]) {
            bump(&mut row.new_clients, is_new);
            bump(&mut row.lost, lost);
            bump(&mut row.restored, restored);
            if let Some(c) = &mut row.conversion
                && potential
            {
                c.potential += 1;
                c.converted += u32::from(is_new);
            }
        }
    }

    // One client at a time (sorted by client if the caller's list is not):
    // its group, whether it is new, and the groups it bought in are looked
    // up once per client rather than once per settlement.
    let sorted;
    let sales = if sales.is_sorted_by_key(|s| s.client) {
        sales
    } else {
        let mut v = sales.to_vec();
        v.sort_by_key(|s| s.client);
        sorted = v;
        &sorted
    };
    let mut active: Vec<usize> = Vec::new();
    let mut repeat: Vec<usize> = Vec::new();
    for chunk in sales.chunk_by(|a, b| a.client == b.client) {
        let Some(client) = chunk.first().map(|s| s.client) else {
            continue;
        };
        let client_group = groups.of_client(model.clients.get(&client));
        let not_new = model
            .aggregates
            .get(&client)
            .and_then(ClientAggregate::first_settlement)
            .is_some_and(|f| f < period.from);
        active.clear();
        repeat.clear();
        for s in chunk.iter().filter(|s| period.contains(s.date)) {
            let g = client_group.unwrap_or_else(|| groups.of(model, s.client, s.product));
            for row in [&mut groups.rows[g], &mut total] {
                match s.kind {
                    Some(SaleKind::Primary) => row.primary.add(s.amount),
                    Some(SaleKind::Repeat) => row.repeat.add(s.amount),
                    Some(SaleKind::NewLine) => row.new_line.add(s.amount),
                    None if s.amount < 0 => row.refunds.add(s.amount),
                    None => {}
                }
                row.turnover += s.amount;
                row.loyalty.turnover += s.amount;
                if not_new {
                    row.loyalty.turnover_not_new += s.amount;
                }
            }
            if !active.contains(&g) {
                active.push(g);
            }
            if s.kind == Some(SaleKind::Repeat) && !repeat.contains(&g) {
                repeat.push(g);
            }
        }
        for g in &active {
            groups.rows[*g].loyalty.active_clients += 1;
        }
        for g in &repeat {
            groups.rows[*g].loyalty.repeat_clients += 1;
        }
        total.loyalty.active_clients += u32::from(!active.is_empty());
        total.loyalty.repeat_clients += u32::from(!repeat.is_empty());
    }

    for c in contacts.iter().filter(|c| period.contains(c.at.date())) {
        let g = groups.of_client(model.clients.get(&c.client));
        for row in g.map(|g| &mut groups.rows[g]).into_iter().chain([&mut total]) {
            bump(&mut row.contacts, true);
        }
    }
    for t in model
        .tasks
        .values()
        .filter(|t| t.done.is_some_and(|d| period.contains(d)))
    {
        let g = groups.of_client(model.clients.get(&t.client));
        for row in g.map(|g| &mut groups.rows[g]).into_iter().chain([&mut total]) {
            bump(&mut row.tasks_done, true);
        }
    }
    for t in model.tickets.values().filter(|t| period.contains(t.opened)) {
        let g = groups.of(model, t.client, t.product);
        groups.rows[g].complaints += 1;
        total.complaints += 1;
    }

    // The catch-all row only shows when something fell into it.
    let none = groups.none;
    let blank = Row::new(groups.rows[none].group.clone(), None, by != GroupBy::Line);
    let mut rows = groups.rows;
    if rows.get(none) == Some(&blank) {
        rows.remove(none);
    }
    Table {
        period,
        by,
        rows,
        total,
    }
}

fn bump(field: &mut Option<u32>, yes: bool) {
    if yes && let Some(n) = field {
        *n += 1;
    }
}

/// A settlement in the period more than `months` months after the
/// previous one (of any amount).
fn restored_in(agg: &ClientAggregate, period: Period, months: u32) -> bool {
    let start = agg.days.partition_point(|d| d.date < period.from);
    agg.days
        .iter()
        .skip(start)
        .take_while(|d| d.date <= period.to)
        .enumerate()
        .any(|(i, d)| {
            (start + i)
                .checked_sub(1)
                .and_then(|p| agg.days.get(p))
                .is_some_and(|prev| d.date > months_after(prev.date, months))
        })
}
