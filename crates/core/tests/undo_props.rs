//! Apply then undo equals the state before: over random sequences of the
//! commands a session can undo, each command's inverse (through the same
//! planner) gives back the records and the classes, and redo gives back
//! the state after.

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport_core::classes;
use rapport_core::domain::*;
use rapport_core::model::Model;
use rapport_core::testing::Planner;
use rapport_core::write::Command;
use rapport_core::write::undo::{Prior, inverse};

fn day(n: u16) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(n % 300))))
        .unwrap_or_default()
}

/// One step: an operation and the numbers it picks its records and values by.
#[derive(Clone, Debug)]
struct Step {
    op: u8,
    a: u16,
    b: u16,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0u8..17, any::<u16>(), any::<u16>()).prop_map(|(op, a, b)| Step { op, a, b }),
        1..25,
    )
}

fn nth<T: Clone>(items: impl Iterator<Item = T>, n: u16) -> Option<T> {
    let all: Vec<T> = items.collect();
    (!all.is_empty()).then(|| all[usize::from(n) % all.len()].clone())
}

/// The command a step stands for in the planner's current state (`None`
/// when the records it needs are not there).
fn command(p: &Planner, s: &Step) -> Option<Command> {
    let m = &p.model;
    let client = nth(m.clients.keys().copied(), s.a);
    Some(match s.op {
        0 | 1 => Command::RecordSettlement {
            client: client?,
            date: day(s.b),
            amount: Money(i64::from(s.a) * 100 - 5_000),
            product: Some(ProductId(1 + u32::from(s.b % 2))),
            doc: format!("INV-{}", s.b),
        },
        2 => {
            let st = nth(
                p.settlements.values().filter(|x| m.clients.contains_key(&x.client)),
                s.a,
            )?;
            Command::EditSettlement {
                client: st.client,
                id: st.id,
                expected_seq: Some(st.seq),
                date: day(s.b),
                amount: Money(i64::from(s.b) * 10),
                product: None,
                doc: "fixed".into(),
            }
        }
        3 => {
            let st = nth(
                p.settlements.values().filter(|x| m.clients.contains_key(&x.client)),
                s.a,
            )?;
            Command::DeleteSettlement {
                client: st.client,
                id: st.id,
                expected_seq: Some(st.seq),
            }
        }
        4 => Command::AddClient {
            reference: format!("R{}", m.counters.client + 1),
            name: format!("Client {}", s.b),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(1)),
            created: day(s.b),
            notes: String::new(),
            tags: Vec::new(),
        },
        5 => {
            let c = &m.clients[&client?];
            Command::EditClient {
                client: c.id,
                expected_version: Some(c.version),
                name: format!("Renamed {}", s.b),
                segment: if s.b % 2 == 0 { None } else { c.segment },
                manager: c.manager,
                notes: format!("note {}", s.b),
                tags: vec![format!("t{}", s.b % 3)],
            }
        }
        6 => Command::AddPerson {
            client: client?,
            name: format!("Person {}", s.b),
            role: "buyer".into(),
            phone: String::new(),
            email: String::new(),
            birthday: Some(day(s.b)),
        },
        7 => {
            let x = nth(m.persons.values(), s.a)?;
            Command::EditPerson {
                client: x.client,
                person: x.id,
                expected_seq: Some(x.seq),
                name: format!("Edited {}", s.b),
                role: x.role.clone(),
                phone: "+33 1".into(),
                email: x.email.clone(),
                birthday: None,
            }
        }
        8 => {
            let key = if s.b % 2 == 0 {
                Archivable::Client(client?)
            } else {
                let x = nth(m.persons.values(), s.a)?;
                Archivable::Person(x.client, x.id)
            };
            Command::Archive {
                key,
                expected_seq: None,
                on: day(s.b),
            }
        }
        9 => Command::Restore {
            key: nth(m.trash.entries().into_iter().map(|a| a.key), s.a)?,
        },
        10 => Command::LogContact {
            client: client?,
            person: None,
            at: day(s.b).and_hms_opt(10, 0, 0)?,
            channel: Channel::Call,
            summary: format!("Call {}", s.b),
            outcome: String::new(),
            next_contact: (s.b % 2 == 0).then(|| day(s.b.saturating_add(10))),
        },
        11 => {
            let c = nth(p.contacts.iter().filter(|x| m.clients.contains_key(&x.client)), s.a)?;
            Command::DeleteContact {
                client: c.client,
                id: c.id,
                expected_seq: Some(c.seq),
            }
        }
        12 => Command::AddTask {
            client: client?,
            due: day(s.b),
            text: format!("Task {}", s.b),
        },
        13 => {
            let t = nth(m.tasks.values(), s.a)?;
            Command::EditTask {
                task: t.id,
                expected_seq: Some(t.seq),
                due: day(s.b),
                text: "Edited".into(),
                done: (s.b % 2 == 0).then(|| day(s.b)),
            }
        }
        14 => Command::MarkItem {
            key: format!("cadence-{}", client?),
            due: day(s.b),
            state: if s.b % 2 == 0 {
                MarkState::Done
            } else {
                MarkState::Snoozed(day(s.b.saturating_add(7)))
            },
        },
        16 => {
            let stage = OfferStage::ALL[usize::from(s.b) % OfferStage::ALL.len()];
            let mut m =
                rapport_core::write::OfferMove::new(client?, ProductId(1 + u32::from(s.b % 2)), stage, day(s.b));
            m.next_step = stage.is_open().then(|| day(s.b.saturating_add(5)));
            m.note = "changed my mind".into();
            m.reason = (stage == OfferStage::Refused).then_some(RefusalReason::Price);
            Command::MoveOffer(m)
        }
        _ => Command::RecordSurvey {
            client: client?,
            product: ProductId(1),
            date: day(s.b),
            scores: vec![4 + (s.b % 2) as u8; 3],
        },
    })
}

/// What the records say, without the ids, versions and audit numbers an
/// undo renews (a deleted record comes back under a new id). The trash is
/// left out: an undone new client or person waits there (an undo deletes
/// nothing for good), out of every list as before it was added.
fn said(p: &Planner) -> Vec<String> {
    let m: &Model = &p.model;
    let mut out: Vec<String> = Vec::new();
    out.extend(m.clients.values().map(|c| {
        format!(
            "client {} {} {:?} {:?} {} {:?}",
            c.reference, c.name, c.segment, c.manager, c.notes, c.tags
        )
    }));
    out.extend(m.persons.values().map(|x| {
        format!(
            "person {} {} {} {} {:?}",
            x.client, x.name, x.phone, x.email, x.birthday
        )
    }));
    out.extend(m.offers.values().map(|o| {
        format!(
            "offer {} {} {} {} {:?} {:?} {}",
            o.client,
            o.product,
            o.stage,
            o.stage_date,
            o.next_step,
            o.refusal,
            o.history.len()
        )
    }));
    out.extend(
        m.tasks
            .values()
            .map(|t| format!("task {} {} {} {:?}", t.client, t.due, t.text, t.done)),
    );
    out.extend(
        m.surveys
            .values()
            .map(|s| format!("survey {} {} {:?}", s.client, s.date, s.scores)),
    );
    out.extend(
        m.marks
            .values()
            .filter(|k| !k.key.starts_with("task-"))
            .map(|k| format!("mark {} {} {:?}", k.key, k.due, k.state)),
    );
    out.extend(m.aggregates.iter().map(|(c, a)| {
        format!(
            "aggregate {c} {:?} {:?} {} {:?}",
            a.days, a.product_days, a.contacts, a.last_contact
        )
    }));
    out.extend(p.settlements.values().map(|s| {
        format!(
            "settlement {} {} {} {:?} {}",
            s.client, s.date, s.amount, s.product, s.doc
        )
    }));
    out.extend(
        p.contacts
            .iter()
            .map(|c| format!("contact {} {} {}", c.client, c.at, c.summary)),
    );
    out.sort();
    out
}

fn classes_of(p: &Planner) -> classes::Classes {
    classes::compute(&p.model, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn apply_then_undo_is_the_state_before(steps in steps()) {
        let mut p = Planner::with_client();
        for s in &steps {
            let Some(cmd) = command(&p, s) else { continue };
            let before = (said(&p), classes_of(&p));
            let prior = Prior::of(&p.model, &cmd);
            let Ok(event) = p.try_event(cmd.clone()) else { continue };
            let after = (said(&p), classes_of(&p));
            let undo = inverse(&event, &prior).map_err(|e| TestCaseError::fail(format!("{cmd:?}: {e}")))?;
            let prior = Prior::of(&p.model, &undo);
            let undone = p.try_event(undo.clone()).map_err(|e| TestCaseError::fail(format!("undo {undo:?}: {e}")))?;
            prop_assert_eq!(&(said(&p), classes_of(&p)), &before, "undo of {:?}", cmd);
            let redo = inverse(&undone, &prior).map_err(|e| TestCaseError::fail(format!("redo of {cmd:?}: {e}")))?;
            p.try_event(redo.clone()).map_err(|e| TestCaseError::fail(format!("redo {redo:?}: {e}")))?;
            prop_assert_eq!(&(said(&p), classes_of(&p)), &after, "redo of {:?}", cmd);
        }
    }
}
