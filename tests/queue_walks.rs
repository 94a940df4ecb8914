//! The queue is built three ways: through the whole book, through one
//! manager's share, and through a few clients (the interface's next-due
//! column after an edit). On the demo data all three must say the same.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rapport::queue::{self, Horizon, ItemKey, Scope};

mod common;
use common::demo;

#[test]
fn a_managers_queue_and_a_few_clients_agree_with_the_whole_book() {
    let as_of: NaiveDate = "2026-11-22".parse().unwrap();
    let (_dir, store) = demo(400, 11, as_of);
    let model = store.model();
    let classes = rapport::classes::compute(model, as_of);
    // A year ahead, with far tasks: every kind of item the data holds.
    let horizon = Horizon {
        days: 366,
        later_tasks: true,
    };
    let all = queue::due_within(model, &classes, as_of, Scope::All, horizon);
    let kinds: BTreeSet<&str> = all.iter().map(|i| i.kind.as_str()).collect();
    assert!(
        kinds.len() >= 6,
        "the demo data gives too few kinds of items: {kinds:?}"
    );

    for manager in model.managers.values() {
        let theirs = |i: &queue::Item| {
            let client_is = model
                .clients
                .get(&i.client)
                .is_some_and(|c| c.manager == Some(manager.id));
            let owns = match i.key {
                ItemKey::Ticket(t) => model.tickets.get(&t).is_some_and(|t| t.owner == Some(manager.id)),
                _ => false,
            };
            client_is || owns
        };
        let expected: Vec<&queue::Item> = all.iter().filter(|i| theirs(i)).collect();
        let got = queue::due_within(model, &classes, as_of, Scope::Manager(manager.id), horizon);
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            expected,
            "the queue of {}",
            manager.login
        );
    }

    // Every client's next due date, from the whole book and client by client.
    let next = queue::next_due_by_client(model, &classes, as_of);
    assert!(next.len() > 300, "{} clients have something due", next.len());
    let clients: Vec<_> = model.clients.keys().copied().collect();
    for few in clients.chunks(37) {
        let set: BTreeSet<_> = few.iter().copied().collect();
        let part = queue::next_due_of(model, &classes, as_of, &set);
        let expected: HashMap<_, _> = next
            .iter()
            .filter(|(c, _)| set.contains(c))
            .map(|(c, d)| (*c, *d))
            .collect();
        assert_eq!(part, expected);
    }
}

/// The queue a server keeps between reads, brought up to date for what
/// each command changed, equals the queue built from scratch after every
/// kind of change: contacts, settlements that move ABC classes, tasks,
/// marks, tickets and their owners, a client given to another manager,
/// birthdays, archives and restores, merges, surveys, offers, settings.
#[test]
fn a_kept_queue_follows_every_kind_of_change() {
    use chrono::{Datelike, NaiveTime};
    use rand::{Rng, SeedableRng};
    use rapport::domain::*;
    use rapport::write::{Command, OfferMove};

    let as_of: NaiveDate = "2026-11-22".parse().unwrap();
    let (_dir, mut store) = demo(300, 5, as_of);
    let kept = queue::Kept::default();
    let wide = queue::Kept::default();
    let cache = rapport::classes::Cache::default();
    let far = Horizon {
        days: 40,
        later_tasks: true,
    };
    let day = |n: i64| as_of.checked_add_signed(chrono::Duration::days(n)).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut applied: BTreeSet<&str> = BTreeSet::new();
    let steps = 160;
    for step in 0..steps {
        let model = store.model();
        let classes = cache.get(model, as_of, None);
        let scopes = std::iter::once(Scope::All).chain(model.managers.keys().map(|m| Scope::Manager(*m)));
        for scope in scopes {
            for (kept, horizon) in [(&kept, Horizon::default()), (&wide, far)] {
                let fresh = queue::due_within(model, &classes, as_of, scope, horizon);
                let got: Vec<queue::Item> = kept.read_due(model, classes.clone(), as_of, scope, horizon, |items| {
                    items.iter().map(|&i| i.clone()).collect()
                });
                if got != fresh {
                    let first = got.iter().zip(&fresh).position(|(a, b)| a != b);
                    panic!(
                        "step {step}, {scope:?}, {horizon:?}: kept {} items, built {}; first difference: {:?} vs {:?}",
                        got.len(),
                        fresh.len(),
                        first.map(|i| &got[i]),
                        first.map(|i| &fresh[i]),
                    );
                }
            }
        }
        let clients: Vec<ClientId> = model.clients.keys().copied().collect();
        let client = clients[rng.random_range(0..clients.len())];
        let other = clients[rng.random_range(0..clients.len())];
        let managers: Vec<ManagerId> = model.managers.keys().copied().collect();
        let manager = managers[rng.random_range(0..managers.len())];
        let products: Vec<ProductId> = model.products.keys().copied().collect();
        let product = products[rng.random_range(0..products.len())];
        let items = queue::due_within(model, &classes, as_of, Scope::All, far);
        // An item found by its id (`rapport done`, `snooze`) is the listed one.
        for _ in 0..3 {
            let Some(item) = items.get(rng.random_range(0..items.len().max(1))) else {
                break;
            };
            let (found, _) = queue::due_item(model, &item.key.to_string(), as_of).unwrap();
            assert_eq!(&found, item, "step {step}");
        }
        let (name, cmd) = match step % 17 {
            0 => (
                "contact",
                Command::LogContact {
                    client,
                    person: None,
                    at: as_of.and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap()),
                    channel: Channel::Call,
                    summary: "called".into(),
                    outcome: String::new(),
                    next_contact: rng.random_bool(0.5).then(|| day(rng.random_range(-2..20))),
                },
            ),
            1 => (
                "settlement",
                Command::RecordSettlement {
                    client,
                    date: day(-rng.random_range(1..200)),
                    amount: Money(rng.random_range(1..50_000_000)),
                    product: None,
                    doc: format!("T{step}"),
                },
            ),
            2 => (
                "task",
                Command::AddTask {
                    client,
                    due: day(rng.random_range(-3..60)),
                    text: "call back".into(),
                },
            ),
            3 => {
                let Some(t) = model.tasks.values().find(|t| t.done.is_none()) else {
                    continue;
                };
                (
                    "task done",
                    Command::CompleteTask {
                        task: t.id,
                        date: as_of,
                    },
                )
            }
            4 | 5 => {
                let Some(item) = items.get(rng.random_range(0..items.len().max(1))) else {
                    continue;
                };
                let state = if step % 17 == 4 {
                    MarkState::Done
                } else {
                    MarkState::Snoozed(day(3))
                };
                (
                    "mark",
                    Command::MarkItem {
                        key: item.key.to_string(),
                        due: item.base_due,
                        state,
                    },
                )
            }
            6 => {
                let Some(key) = model.marks.keys().nth(rng.random_range(0..model.marks.len().max(1))) else {
                    continue;
                };
                (
                    "unmark",
                    Command::ClearMark {
                        key: key.clone(),
                        expected_seq: None,
                    },
                )
            }
            7 => (
                "ticket",
                Command::OpenTicket {
                    client,
                    product: None,
                    date: day(-rng.random_range(0..10)),
                    text: "broken".into(),
                },
            ),
            8 => {
                let open: Vec<&Ticket> = model
                    .tickets
                    .values()
                    .filter(|t| t.stage != TicketStage::Closed)
                    .collect();
                let Some(t) = open.get(rng.random_range(0..open.len().max(1))) else {
                    continue;
                };
                (
                    "ticket owner",
                    Command::SetTicketOwner {
                        ticket: t.id,
                        expected_version: None,
                        owner: manager,
                    },
                )
            }
            9 => {
                let c = &model.clients[&client];
                (
                    "manager",
                    Command::EditClient {
                        client,
                        expected_version: None,
                        name: c.name.clone(),
                        segment: c.segment,
                        manager: Some(manager),
                        notes: c.notes.clone(),
                        tags: c.tags.clone(),
                    },
                )
            }
            10 => (
                "birthday",
                Command::AddPerson {
                    client,
                    name: format!("Person {step}"),
                    role: String::new(),
                    phone: String::new(),
                    email: String::new(),
                    birthday: day(rng.random_range(-8..5)).with_year(1980),
                },
            ),
            11 => (
                "archive",
                Command::Archive {
                    key: Archivable::Client(client),
                    expected_seq: None,
                    on: as_of,
                },
            ),
            12 => {
                let Some(c) = model.trash.clients.keys().next() else {
                    continue;
                };
                (
                    "restore",
                    Command::Restore {
                        key: Archivable::Client(*c),
                    },
                )
            }
            13 if client != other => (
                "merge",
                Command::MergeClients {
                    into: client,
                    from: other,
                    expected: None,
                    on: as_of,
                },
            ),
            14 => (
                "survey",
                Command::RecordSurvey {
                    client,
                    product,
                    date: day(-rng.random_range(0..400)),
                    scores: vec![4; model.questions(product).len()],
                },
            ),
            15 => {
                let mut m = OfferMove::new(client, product, OfferStage::Presentation, day(-rng.random_range(0..9)));
                m.next_step = Some(day(rng.random_range(-2..9)));
                ("offer", Command::MoveOffer(m))
            }
            _ => {
                let mut s = model.settings.clone();
                s.cadence_days[rng.random_range(0..4)] = rng.random_range(7..120);
                ("settings", Command::UpdateSettings(s))
            }
        };
        if store.execute("demo", cmd).is_ok() {
            applied.insert(name);
        }
    }
    assert!(applied.len() >= 15, "too few kinds of change applied: {applied:?}");
    // Most reads brought the kept items up to date rather than building
    // them all (the settings change every 17 steps does).
    assert!(kept.builds() < steps / 4, "{} builds in {steps} steps", kept.builds());
}
