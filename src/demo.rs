//! A deterministic synthetic data set: same seed and same `today`, same
//! data. Everything is written through the command path (in batches), so
//! the demo exercises exactly the rules real data goes through.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::BackendError;
use crate::domain::dates::months_before;
use crate::domain::*;
use crate::model::Model;
use crate::store::Store;
use crate::write::{Command, OfferMove, TicketAdvance};

/// Who `rapport --demo` opens the interface as: one of the demo's
/// managers, so that the first screen is one person's morning (`m` in the
/// queue shows the team's).
pub const DEMO_LOGIN: &str = "amartin";

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub clients: usize,
    pub seed: u64,
    /// The date the generated history ends at.
    pub today: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds data; the demo is only written into an empty one")]
    NotEmpty,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Where the demo is written: a database opened here (the sled store or
/// PostgreSQL) that applies a command at a given time, so that the same
/// seed and date give the same data.
pub trait DemoTarget {
    fn model(&self) -> &Model;
    fn execute_at(&mut self, at: NaiveDateTime, cmd: Command) -> Result<(), BackendError>;
}

impl DemoTarget for Store {
    fn model(&self) -> &Model {
        Store::model(self)
    }
    fn execute_at(&mut self, at: NaiveDateTime, cmd: Command) -> Result<(), BackendError> {
        Store::execute_at(self, "demo", at, cmd)
            .map(drop)
            .map_err(BackendError::from)
    }
}

impl DemoTarget for rapport_pg::PgStore {
    fn model(&self) -> &Model {
        rapport_pg::PgStore::model(self)
    }
    fn execute_at(&mut self, at: NaiveDateTime, cmd: Command) -> Result<(), BackendError> {
        rapport_pg::PgStore::execute_as(self, "demo", at, cmd)
            .map(drop)
            .map_err(BackendError::from)
    }
}

/// Clients per transaction: large enough to write fast, small enough to
/// show progress.
const CHUNK: usize = 500;

mod routine;
mod tables;
use tables::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Steady,
    Seasonal,
    Irregular,
    OneOff,
    Churned,
    Returning,
    New,
    Potential,
}

fn pick_pattern(rng: &mut ChaCha8Rng) -> Pattern {
    let r = rng.random_range(0..100);
    match r {
        0..38 => Pattern::Steady,
        38..52 => Pattern::Seasonal,
        52..63 => Pattern::Irregular,
        63..71 => Pattern::OneOff,
        71..81 => Pattern::Churned,
        81..87 => Pattern::Returning,
        87..93 => Pattern::New,
        _ => Pattern::Potential,
    }
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).unwrap_or(d)
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs())).unwrap_or(d)
    }
}

/// Writes the demo data set into an empty store; `progress` is told how
/// many clients are written so far.
pub fn generate(
    store: &mut dyn DemoTarget,
    opts: &DemoOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<(), DemoError> {
    if !store.model().clients.is_empty() || !store.model().managers.is_empty() {
        return Err(DemoError::NotEmpty);
    }
    let at = opts
        .today
        .and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default());
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut reference = Vec::new();
    for (login, name, role) in MANAGERS {
        reference.push(Command::AddManager {
            login: login.into(),
            name: name.into(),
            role,
        });
    }
    for (code, name, description) in SEGMENTS {
        reference.push(Command::AddSegment {
            code: code.into(),
            name: name.into(),
            description: description.into(),
        });
    }
    for (code, name, line) in PRODUCTS {
        reference.push(Command::AddProduct {
            code: code.into(),
            name: name.into(),
            line: line.into(),
        });
    }
    for (s, targets) in PORTRAIT.iter().enumerate() {
        for p in *targets {
            reference.push(Command::SetPortrait {
                segment: SegmentId(s as u32 + 1),
                product: ProductId(*p as u32 + 1),
                target: true,
            });
        }
    }
    reference.push(Command::SetSalesSetup {
        sources: SOURCES.iter().map(|s| s.to_string()).collect(),
        competitors: COMPETITORS.iter().map(|s| s.to_string()).collect(),
        minutes_days: MINUTES_DAYS,
    });
    store.execute_at(
        at,
        Command::Batch {
            label: "demo: reference data".into(),
            commands: reference,
        },
    )?;
    let mut done = 0;
    while done < opts.clients {
        let n = CHUNK.min(opts.clients - done);
        let mut commands = Vec::new();
        for i in done..done + n {
            client_commands(&mut rng, opts.today, i, &mut commands);
        }
        // Commands refer to ids the batch itself creates: ids are handed
        // out in order, so client i gets id i + 1, and so on (see below).
        store.execute_at(
            at,
            Command::Batch {
                label: format!("demo: clients {}–{}", done + 1, done + n),
                commands: resolve_ids(store, commands),
            },
        )?;
        done += n;
        progress(done);
    }
    // Follow-ups worked through in the past, so activity reports have tasks
    // done. Derived from the client number (no random draw), and last, so
    // every id handed out above stays what it was.
    let mut next_task = store.model().counters.task;
    let mut work = Vec::new();
    for i in (4..opts.clients).step_by(9) {
        let client = ClientId(i as u32 + 1);
        let due = add_days(opts.today, -(20 + (i % 60) as i64));
        work.push(Command::AddTask {
            client,
            due,
            text: "Follow up on the last order".into(),
        });
        next_task += 1;
        work.push(Command::CompleteTask {
            task: TaskId(next_task),
            date: add_days(due, (i % 3) as i64),
        });
    }
    if !work.is_empty() {
        store.execute_at(
            at,
            Command::Batch {
                label: "demo: follow-ups done".into(),
                commands: work,
            },
        )?;
    }
    // Last: the team's routine up to today, one item's work at a time (an
    // item whose work the rules refuse is left as it is).
    let mut routine = routine::work_the_queue(store.model(), opts.today, &mut rng);
    while !routine.is_empty() {
        let commands: Vec<Command> = routine.iter().flatten().cloned().collect();
        let batch = Command::Batch {
            label: "demo: the team's routine".into(),
            commands,
        };
        match store.execute_at(at, batch) {
            Ok(_) => break,
            Err(BackendError::Command(crate::write::CommandError::InBatch { index, .. })) => {
                let mut seen = 0;
                let failed = routine.iter().position(|item| {
                    seen += item.len();
                    index < seen
                });
                match failed {
                    Some(i) => drop(routine.remove(i)),
                    None => break,
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Placeholder ids used while generating, replaced by the real ones the
/// store will assign (person, survey and ticket ids are sequential).
#[derive(Clone, Copy)]
enum Pending {
    /// The n-th person created for the current client (0-based).
    Person(usize),
}

enum Gen {
    Ready(Command),
    Contact {
        client: ClientId,
        person: Option<Pending>,
        cmd: Command,
    },
    /// Advance the ticket opened by the previous command.
    AdvanceLastTicket(TicketAdvance),
}

fn resolve_ids(store: &dyn DemoTarget, gens: Vec<Gen>) -> Vec<Command> {
    let counters = &store.model().counters;
    let mut next_person = counters.person;
    let mut next_ticket = counters.ticket;
    let mut persons_of_client: Vec<PersonId> = Vec::new();
    let mut current_client = ClientId(0);
    let mut out = Vec::with_capacity(gens.len());
    for g in gens {
        match g {
            Gen::Ready(cmd) => {
                match &cmd {
                    Command::AddClient { .. } => {
                        persons_of_client.clear();
                    }
                    Command::AddPerson { client, .. } => {
                        next_person += 1;
                        current_client = *client;
                        persons_of_client.push(PersonId(next_person));
                    }
                    Command::OpenTicket { .. } => next_ticket += 1,
                    Command::RecordSurvey { scores, .. } if scores.iter().any(|s| *s <= 3) => next_ticket += 1,
                    _ => {}
                }
                out.push(cmd);
            }
            Gen::Contact {
                client,
                person,
                mut cmd,
            } => {
                if let Command::LogContact { person: p, .. } = &mut cmd {
                    *p = match person {
                        Some(Pending::Person(n)) if client == current_client => persons_of_client.get(n).copied(),
                        _ => None,
                    };
                }
                out.push(cmd);
            }
            Gen::AdvanceLastTicket(mut a) => {
                a.ticket = TicketId(next_ticket);
                out.push(Command::AdvanceTicket(a));
            }
        }
    }
    out
}

fn client_commands(rng: &mut ChaCha8Rng, today: NaiveDate, i: usize, out: &mut Vec<Gen>) {
    let id = ClientId(i as u32 + 1);
    let segment = rng.random_range(0..SEGMENTS.len());
    let manager = ManagerId(rng.random_range(1..=4));
    let name = match FIXED_NAMES.get(i) {
        Some(n) => n.to_string(),
        None => format!(
            "{} {} {}",
            NAME_HEADS.choose(rng).copied().unwrap_or("Atelier"),
            NAME_TAILS.choose(rng).copied().unwrap_or("Martin"),
            LEGAL.choose(rng).copied().unwrap_or("SA"),
        ),
    };
    let client_name = name.clone();
    let pattern = pick_pattern(rng);
    let history_start = months_before(today, 24);
    let created = match pattern {
        Pattern::New | Pattern::Potential => add_days(today, -rng.random_range(20..200)),
        _ => add_days(history_start, -rng.random_range(0..400)),
    };
    out.push(Gen::Ready(Command::AddClient {
        reference: format!("C{:06}", i + 1),
        name,
        segment: Some(SegmentId(segment as u32 + 1)),
        manager: Some(manager),
        created,
        notes: String::new(),
        tags: if rng.random_bool(0.1) {
            vec!["key-account".into()]
        } else {
            Vec::new()
        },
    }));
    // How the client was acquired: drawn from its number, not the random
    // stream (so that the rest of the data stays as it was); one in five
    // was never recorded.
    if i % 5 != 4 {
        out.push(Gen::Ready(Command::SetSource {
            reference: format!("C{:06}", i + 1),
            source: SOURCES[(i * 7) % SOURCES.len()].into(),
        }));
    }
    let persons = rng.random_range(1..=3);
    for _ in 0..persons {
        let birthday = if rng.random_bool(0.5) {
            let year = rng.random_range(1960..2000);
            // Some birthdays on 29 February, to keep the queue honest.
            if rng.random_bool(0.03) && year % 4 == 0 {
                NaiveDate::from_ymd_opt(year, 2, 29)
            } else {
                NaiveDate::from_ymd_opt(year, rng.random_range(1..=12), rng.random_range(1..=28))
            }
        } else {
            None
        };
        let first = FIRST.choose(rng).copied().unwrap_or("Alex");
        let last = LAST.choose(rng).copied().unwrap_or("Martin");
        out.push(Gen::Ready(Command::AddPerson {
            client: id,
            name: format!("{first} {last}"),
            role: ROLES.choose(rng).copied().unwrap_or("CEO").into(),
            phone: format!(
                "+33 1 {:02} {:02} {:02} {:02}",
                rng.random_range(10..99),
                rng.random_range(10..99),
                rng.random_range(10..99),
                rng.random_range(10..99)
            ),
            // At the client's own domain: two clients never share an address.
            email: format!(
                "{}.{}@{}.example",
                mail_word(first, ""),
                mail_word(last, ""),
                mail_word(&client_name, "-")
            ),
            birthday,
        }));
    }
    let targets: &[usize] = PORTRAIT[segment];
    let bought = settlements(rng, today, id, pattern, targets, out);
    offers(rng, today, id, targets, &bought, out);
    let used: Vec<usize> = bought.iter().map(|(p, _)| *p).collect();
    contacts(rng, today, id, persons, pattern, out);
    if rng.random_bool(0.08) {
        let due = add_days(today, rng.random_range(-6..12));
        out.push(Gen::Ready(Command::AddTask {
            client: id,
            due,
            text: [
                "Send the updated price list",
                "Prepare the renewal proposal",
                "Call about the pilot results",
            ]
            .choose(rng)
            .copied()
            .unwrap_or("Call back")
            .into(),
        }));
    }
    // Most buying clients answered a survey in the last year.
    if !used.is_empty() && rng.random_bool(0.7) {
        let product = used.choose(rng).copied().unwrap_or(0);
        let low = rng.random_bool(0.3);
        let scores = (0..3)
            .map(|_| {
                if low && rng.random_bool(0.5) {
                    rng.random_range(2..=3)
                } else {
                    rng.random_range(4..=5)
                }
            })
            .collect::<Vec<u8>>();
        out.push(Gen::Ready(Command::RecordSurvey {
            client: id,
            product: ProductId(product as u32 + 1),
            date: add_days(today, -rng.random_range(5..380)),
            scores,
        }));
    }
    if rng.random_bool(0.04) {
        let opened = add_days(today, -rng.random_range(0..40));
        out.push(Gen::Ready(Command::OpenTicket {
            client: id,
            product: targets.choose(rng).map(|p| ProductId(*p as u32 + 1)),
            date: opened,
            text: COMPLAINTS.choose(rng).copied().unwrap_or("Complaint").into(),
        }));
        let steps = rng.random_range(0..=4);
        for step in 0..steps {
            let mut a = TicketAdvance {
                ticket: TicketId(0),
                expected_version: None,
                date: add_days(opened, (step as i64 + 1) * 2).min(today),
                owner: None,
                cause: None,
                action: None,
                fix: None,
            };
            match step {
                0 => a.owner = Some(manager),
                1 => {
                    a.cause = Some("Carrier mix-up in the warehouse".into());
                    a.action = Some("Re-sent the goods by express, credited shipping".into());
                }
                2 => a.fix = Some("Added a dispatch check before pick-up".into()),
                _ => {}
            }
            out.push(Gen::AdvanceLastTicket(a));
        }
    }
}

/// Emits the client's settlements; returns the products used (their
/// indexes) with the day each was first bought.
fn settlements(
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
    client: ClientId,
    pattern: Pattern,
    targets: &[usize],
    out: &mut Vec<Gen>,
) -> Vec<(usize, NaiveDate)> {
    let scale: i64 = if rng.random_bool(0.05) { 10 } else { 1 };
    let main = targets.first().copied().unwrap_or(0);
    let second = targets.get(1).copied().unwrap_or(main);
    // (date, cents, product index), emitted in order below.
    let mut plan: Vec<(NaiveDate, i64, usize)> = Vec::new();
    let month_day = |rng: &mut ChaCha8Rng, months_ago: u32| {
        let base = months_before(today, months_ago);
        let first = base.with_day(1).unwrap_or(base);
        add_days(first, rng.random_range(0..28))
    };
    match pattern {
        Pattern::Potential => {}
        Pattern::Steady => {
            let base = rng.random_range(20_000..300_000) * scale;
            let two = rng.random_bool(0.6);
            let day = rng.random_range(1..28);
            // How much the monthly amount wanders: steady payers spread
            // over X (a few %) and Y (up to a quarter).
            let noise: i64 = rng.random_range(2..=25);
            for m in (0..24).rev() {
                let month = months_before(today, m);
                let date = month.with_day(day).unwrap_or(month);
                plan.push((date, base + base * rng.random_range(-noise..=noise) / 100, main));
                if two {
                    plan.push((
                        add_days(date, 2),
                        base / 3 + base * rng.random_range(-3..=3) / 100,
                        second,
                    ));
                }
            }
        }
        Pattern::Seasonal => {
            let base = rng.random_range(150_000..2_000_000) * scale;
            let months = [rng.random_range(1..=6), rng.random_range(7..=12)];
            for m in (0..24).rev() {
                let date = month_day(rng, m);
                if months.contains(&date.month()) {
                    plan.push((date, base + base * rng.random_range(-20..=20) / 100, main));
                }
            }
        }
        Pattern::Irregular => {
            let base = rng.random_range(30_000..500_000) * scale;
            for m in (0..24).rev() {
                if rng.random_bool(0.55) {
                    let date = month_day(rng, m);
                    let product = *targets.choose(rng).unwrap_or(&main);
                    plan.push((date, base * rng.random_range(30..170) / 100, product));
                }
            }
        }
        Pattern::OneOff => {
            for _ in 0..rng.random_range(1..=2) {
                let ago = rng.random_range(0..24);
                let date = month_day(rng, ago);
                let product = *targets.choose(rng).unwrap_or(&main);
                plan.push((date, rng.random_range(50_000..1_500_000) * scale, product));
            }
        }
        Pattern::Churned => {
            let base = rng.random_range(20_000..250_000) * scale;
            let stop = rng.random_range(4..14);
            for m in (stop..24).rev() {
                plan.push((month_day(rng, m), base + base * rng.random_range(-10..=10) / 100, main));
            }
        }
        Pattern::Returning => {
            let base = rng.random_range(20_000..250_000) * scale;
            for m in (14..24).rev() {
                if rng.random_bool(0.7) {
                    plan.push((month_day(rng, m), base, main));
                }
            }
            for m in (0..2).rev() {
                plan.push((month_day(rng, m).min(today), base, second));
            }
        }
        Pattern::New => {
            let first = add_days(today, -rng.random_range(5..85));
            plan.push((first, rng.random_range(30_000..400_000) * scale, main));
            if rng.random_bool(0.5) {
                plan.push((add_days(first, 30), rng.random_range(30_000..400_000) * scale, main));
            }
        }
    }
    // A few zero-amount settlements (free replacements): they count for
    // status, not for turnover.
    if pattern != Pattern::Potential && rng.random_bool(0.02) {
        plan.push((add_days(today, -rng.random_range(0..60)), 0, main));
    }
    let mut used: Vec<(usize, NaiveDate)> = Vec::new();
    for (doc, (date, cents, product)) in plan.into_iter().enumerate() {
        if date > today {
            continue;
        }
        match used.iter_mut().find(|(p, _)| *p == product) {
            Some((_, first)) => *first = (*first).min(date),
            None => used.push((product, date)),
        }
        out.push(Gen::Ready(Command::RecordSettlement {
            client,
            date,
            amount: Money(cents),
            product: Some(ProductId(product as u32 + 1)),
            doc: format!("INV-{}-{}", client.0, doc + 1),
        }));
        if cents > 0 && rng.random_bool(0.02) {
            // A refund of part of the amount a few days later.
            out.push(Gen::Ready(Command::RecordSettlement {
                client,
                date: add_days(date, rng.random_range(3..20)).min(today),
                amount: Money(-(cents / rng.random_range(2..5))),
                product: Some(ProductId(product as u32 + 1)),
                doc: format!("CN-{}-{}", client.0, doc + 1),
            }));
        }
    }
    used
}

fn offers(
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
    client: ClientId,
    targets: &[usize],
    bought: &[(usize, NaiveDate)],
    out: &mut Vec<Gen>,
) {
    // Terms go after the moves that make them possible.
    let mut terms = Vec::new();
    let mut mv = |product: usize, to: OfferStage, date: NaiveDate, f: &dyn Fn(&mut OfferMove)| {
        let mut m = OfferMove::new(client, ProductId(product as u32 + 1), to, date.min(today));
        f(&mut m);
        out.push(Gen::Ready(Command::MoveOffer(m)));
    };
    for &p in targets {
        // Won a little before the first purchase: clients that started
        // buying this quarter were won this quarter.
        if let Some(&(_, first)) = bought.iter().find(|(q, _)| *q == p) {
            let start = add_days(first, -rng.random_range(65..90));
            mv(p, OfferStage::Presentation, start, &|_| {});
            mv(p, OfferStage::Proposal, add_days(start, 14), &|m| {
                m.expiry = Some(add_days(m.date, 30))
            });
            mv(p, OfferStage::Agreement, add_days(start, 30), &|_| {});
            mv(p, OfferStage::Won, add_days(start, 60), &|_| {});
            continue;
        }
        let r = rng.random_range(0..100);
        let began = add_days(today, -rng.random_range(10..120));
        let next = add_days(today, rng.random_range(-10..21));
        match r {
            0..35 => {}
            35..50 => mv(p, OfferStage::Presentation, began, &|m| {
                m.next_step = Some(next);
                m.next_note = "Send references".into();
            }),
            50..62 => {
                mv(p, OfferStage::Presentation, began, &|_| {});
                mv(p, OfferStage::Proposal, add_days(began, 7), &|m| {
                    m.expiry = Some(next);
                    m.next_step = Some(add_days(next, -3));
                    m.next_note = "Follow up on the proposal".into();
                });
            }
            62..68 => {
                mv(p, OfferStage::Presentation, began, &|_| {});
                mv(p, OfferStage::Agreement, add_days(began, 10), &|m| {
                    m.next_step = Some(next)
                });
            }
            68..72 => {
                mv(p, OfferStage::Proposal, began, &|m| {
                    m.expiry = Some(add_days(m.date, 30))
                });
                mv(p, OfferStage::Invoiced, add_days(began, 12), &|m| {
                    m.invoice_due = Some(next)
                });
                // Half before the work, half after (SPEC §9).
                let invoiced = add_days(began, 12).min(today);
                terms.push(Gen::Ready(Command::SetTerms {
                    client,
                    product: ProductId(p as u32 + 1),
                    expected_seq: None,
                    amend_by: None,
                    invoice: Some(Money(300_000)),
                    schedule: vec![
                        Instalment {
                            amount: Money(150_000),
                            due: add_days(invoiced, 10),
                        },
                        Instalment {
                            amount: Money(150_000),
                            due: add_days(invoiced, 40),
                        },
                    ],
                }));
            }
            72..75 => {
                mv(p, OfferStage::Agreement, began, &|_| {});
                mv(p, OfferStage::Delivery, add_days(began, 9), &|m| {
                    m.delivery = Some(next)
                });
            }
            75..88 => {
                let reached = *[OfferStage::Presentation, OfferStage::Proposal, OfferStage::Agreement]
                    .choose(rng)
                    .unwrap_or(&OfferStage::Proposal);
                let reason = *RefusalReason::ALL.choose(rng).unwrap_or(&RefusalReason::Other);
                let retry = rng.random_bool(0.4).then(|| add_days(today, rng.random_range(-10..90)));
                mv(p, reached, began, &|_| {});
                let competitor = COMPETITORS[(client.0 as usize + p) % COMPETITORS.len()];
                mv(p, OfferStage::Refused, add_days(began, 10), &|m| {
                    m.reason = Some(reason);
                    m.retry = retry;
                    if reason == RefusalReason::Competitor {
                        m.competitor = competitor.into();
                    }
                });
            }
            88..91 => {
                mv(p, OfferStage::Proposal, began, &|_| {});
                mv(p, OfferStage::Presentation, add_days(began, 5), &|m| {
                    m.note = "Client wants a demo of the new version first".into();
                    m.next_step = Some(next);
                });
            }
            91..96 => mv(p, OfferStage::Excluded, began, &|m| m.note = "Not eligible".into()),
            _ => {}
        }
    }
    out.extend(terms);
}

fn contacts(
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
    client: ClientId,
    persons: usize,
    pattern: Pattern,
    out: &mut Vec<Gen>,
) {
    // Most active clients were called recently, as a working team's would
    // be; a few were neglected, which the queue shows as overdue.
    let (n, recent) = match pattern {
        Pattern::Potential => (rng.random_range(0..=1), 150),
        Pattern::Churned => (rng.random_range(0..=2), 150),
        _ => (rng.random_range(1..=5), if rng.random_bool(0.85) { 45 } else { 150 }),
    };
    let mut days: Vec<i64> = (0..n).map(|_| rng.random_range(0..recent)).collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    for ago in days {
        let at = add_days(today, -ago)
            .and_time(NaiveTime::from_hms_opt(rng.random_range(8..18), rng.random_range(0..60), 0).unwrap_or_default());
        let cmd = Command::LogContact {
            client,
            person: None,
            at,
            channel: *Channel::ALL.choose(rng).unwrap_or(&Channel::Call),
            summary: SUMMARIES.choose(rng).copied().unwrap_or("Call").into(),
            outcome: OUTCOMES.choose(rng).copied().unwrap_or("").into(),
            next_contact: rng
                .random_bool(0.3)
                .then(|| add_days(today, rng.random_range(7..45) - ago)),
        };
        out.push(Gen::Contact {
            client,
            person: Some(Pending::Person(rng.random_range(0..persons))),
            cmd,
        });
    }
}

/// `Zoë` → `zoe`: for e-mail addresses.
/// `s` as a word of an email address: folded (`Müller` → `muller`),
/// ASCII letters and digits, words joined by `sep`.
fn mail_word(s: &str, sep: &str) -> String {
    let folded = crate::find::fold(s).0;
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join(sep)
}
