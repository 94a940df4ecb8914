//! The team's routine up to the demo's `today`: a team that works its
//! queue every morning has only a handful of overdue items each, not two
//! years of them. Every overdue item but the newest few of each manager is
//! worked as a manager would have: the call logged, the survey taken, the
//! ticket taken to its end, the task completed, the date dealt with or
//! moved into the coming week.

use chrono::{Days, NaiveDate, NaiveTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::domain::*;
use crate::model::Model;
use crate::queue::{self, ItemKey, Kind, Scope};
use crate::write::{Command, TicketAdvance};

/// At most this many overdue items stay with each manager.
pub(super) const OVERDUE_KEPT: usize = 12;

fn before(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap_or(today)
}

fn after(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_add_days(Days::new(days)).unwrap_or(today)
}

/// The commands that work through every manager's overdue items but the
/// newest `OVERDUE_KEPT - r` (r drawn per manager).
pub(super) fn work_the_queue(model: &Model, today: NaiveDate, rng: &mut ChaCha8Rng) -> Vec<Vec<Command>> {
    let classes = crate::classes::compute(model, today);
    let items = queue::due(model, &classes, today, Scope::All);
    let mut commands = Vec::new();
    for manager in model.managers.keys() {
        let mut overdue: Vec<&queue::Item> = items
            .iter()
            .filter(|i| i.due < today)
            .filter(|i| model.clients.get(&i.client).and_then(|c| c.manager) == Some(*manager))
            .collect();
        // Newest first: the few kept are the recent slips, not old ones.
        overdue.sort_by_key(|i| std::cmp::Reverse((i.due, i.key.to_string())));
        let keep = OVERDUE_KEPT - rng.random_range(0..6);
        // One late complaint stays on each manager's desk among them.
        let ticket = overdue.iter().position(|i| i.kind == Kind::Ticket);
        for (n, item) in overdue.into_iter().enumerate() {
            let kept = n + 1 < keep || Some(n) == ticket;
            if !kept {
                commands.push(work(model, today, item, rng));
            }
        }
    }
    // This morning's new complaints, still registered.
    for (n, client) in model.clients.keys().step_by(97).take(3).enumerate() {
        commands.push(vec![Command::OpenTicket {
            client: *client,
            product: None,
            date: today,
            text: super::tables::COMPLAINTS[n % super::tables::COMPLAINTS.len()].into(),
        }]);
    }
    commands
}

/// What a manager did about `item` before today.
fn work(model: &Model, today: NaiveDate, item: &queue::Item, rng: &mut ChaCha8Rng) -> Vec<Command> {
    let client = item.client;
    match item.kind {
        Kind::Cadence => {
            let at =
                before(today, rng.random_range(1..=6)).and_time(NaiveTime::from_hms_opt(10, 30, 0).unwrap_or_default());
            vec![Command::LogContact {
                client,
                person: None,
                at,
                channel: Channel::Call,
                summary: "Regular check-in call".into(),
                outcome: "All fine, no new needs".into(),
                next_contact: None,
            }]
        }
        Kind::Survey => {
            let product = match item.key {
                ItemKey::SaleSurvey(_, p) => Some(p),
                _ => item
                    .product
                    .or_else(|| {
                        model
                            .offers_of(client)
                            .find(|o| o.stage == OfferStage::Won)
                            .map(|o| o.product)
                    })
                    .or_else(|| model.products.keys().next().copied()),
            };
            let Some(product) = product else { return Vec::new() };
            let questions = model.questions(product).len();
            vec![Command::RecordSurvey {
                client,
                product,
                date: before(today, rng.random_range(1..=20)),
                scores: (0..questions).map(|_| rng.random_range(4..=5)).collect(),
            }]
        }
        Kind::Task => match item.key {
            ItemKey::Task(task) => vec![Command::CompleteTask {
                task,
                date: before(today, 1),
            }],
            _ => Vec::new(),
        },
        Kind::Ticket => match item.key {
            ItemKey::Ticket(id) => close_ticket(model, today, id),
            _ => Vec::new(),
        },
        Kind::Birthday => vec![Command::MarkItem {
            key: item.key.to_string(),
            due: item.base_due,
            state: MarkState::Done,
        }],
        // A delivery or an invoice that fell due closed the sale.
        Kind::Invoice | Kind::Delivery => match item.key {
            ItemKey::Offer(_, c, p) => {
                let since = model.offers.get(&(c, p)).map_or(item.base_due, |o| o.stage_date);
                let date = item.base_due.max(since).min(before(today, 1));
                vec![Command::MoveOffer(crate::write::OfferMove::new(
                    c,
                    p,
                    OfferStage::Won,
                    date,
                ))]
            }
            _ => Vec::new(),
        },
        // Dates of offers: dealt with, or moved into the coming week.
        Kind::NextStep | Kind::Expiry | Kind::Retry | Kind::Minutes | Kind::Amendment | Kind::Instalment => {
            let state = if rng.random_bool(0.35) {
                MarkState::Snoozed(after(today, rng.random_range(1..=7)))
            } else {
                MarkState::Done
            };
            vec![Command::MarkItem {
                key: item.key.to_string(),
                due: item.base_due,
                state,
            }]
        }
    }
}

/// A complaint older than this is taken to its end; a newer one moves on
/// until its stage is due again later (so that the demo has complaints in
/// every stage).
const TICKET_CLOSED_AFTER_DAYS: i64 = 45;

/// The advances that take ticket `id` on: to closed when it is old.
fn close_ticket(model: &Model, today: NaiveDate, id: TicketId) -> Vec<Command> {
    let Some(t) = model.tickets.get(&id) else {
        return Vec::new();
    };
    let old = (today - t.opened).num_days() > TICKET_CLOSED_AFTER_DAYS;
    let manager = model.clients.get(&t.client).and_then(|c| c.manager);
    let date = before(today, 1).max(t.history.last().map_or(t.opened, |h| h.date));
    let mut stage = t.stage;
    let mut out = Vec::new();
    while let Some(next) = stage.next() {
        let mut a = TicketAdvance {
            ticket: id,
            expected_version: None,
            date,
            owner: None,
            cause: None,
            action: None,
            fix: None,
        };
        match next {
            TicketStage::Investigating => a.owner = manager.or(t.owner),
            TicketStage::Resolved => {
                a.cause = Some("Checked with the warehouse and the carrier".into());
                a.action = Some("Replaced the goods and credited the client".into());
            }
            TicketStage::Prevented => a.fix = Some("Added a check to the dispatch list".into()),
            _ => {}
        }
        out.push(Command::AdvanceTicket(a));
        stage = next;
        // A recent complaint is worked until its stage is due again later.
        let due = crate::write::ticket_stage_due(&model.settings, t.opened, stage);
        if !old && due.is_none_or(|d| d >= today) {
            break;
        }
    }
    out
}
