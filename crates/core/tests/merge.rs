//! Merging a duplicate client into the one that stays: everything moves,
//! totals are kept, bad merges are refused with nothing changed, and the
//! undo gives back the state before (a proptest over random records).

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport_core::domain::*;
use rapport_core::testing::Planner;
use rapport_core::write::undo::{Prior, inverse};
use rapport_core::write::{Command, CommandError, OfferMove};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn day(n: u16) -> NaiveDate {
    d("2026-01-01") + chrono::Days::new(u64::from(n % 300))
}

/// Managers ann (who runs the commands) and bob, products crm and train,
/// clients C1 and C2 of ann's and C3 of bob's.
fn book() -> Planner {
    let mut p = Planner::with_reference(&["ann", "bob"], &[("crm", "software"), ("train", "training")]);
    for (i, manager) in [1, 1, 2].into_iter().enumerate() {
        p.run(Command::AddClient {
            reference: format!("C{}", i + 1),
            name: format!("Client {}", i + 1),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(manager)),
            created: d("2025-01-01"),
            notes: String::new(),
            tags: vec![format!("t{}", i + 1)],
        });
    }
    p
}

fn settle(p: &mut Planner, client: u32, date: &str, cents: i64) {
    p.run(Command::RecordSettlement {
        client: ClientId(client),
        date: d(date),
        amount: Money(cents),
        product: Some(ProductId(1)),
        doc: String::new(),
    });
}

fn offer(p: &mut Planner, client: u32, product: u32, stage: OfferStage, date: &str) {
    let mut m = OfferMove::new(ClientId(client), ProductId(product), stage, d(date));
    m.next_step = stage.is_open().then(|| d(date) + chrono::Days::new(7));
    p.run(Command::MoveOffer(m));
}

fn merge(into: u32, from: u32) -> Command {
    Command::MergeClients {
        into: ClientId(into),
        from: ClientId(from),
        expected: None,
        on: d("2026-11-20"),
    }
}

/// What the records say, without the versions and audit numbers a merge
/// and its undo renew.
fn said(p: &Planner) -> Vec<String> {
    let m = &p.model;
    let mut out: Vec<String> = Vec::new();
    out.extend(
        m.clients
            .values()
            .map(|c| format!("client {} {} {:?} {:?} {:?}", c.id, c.name, c.manager, c.notes, c.tags)),
    );
    out.extend(
        m.persons
            .values()
            .map(|x| format!("person {} {} {}", x.client, x.id, x.name)),
    );
    out.extend(m.offers.values().map(|o| {
        let moves: Vec<String> = o
            .history
            .iter()
            .map(|t| format!("{}>{} {} {}", t.from, t.to, t.date, t.note))
            .collect();
        format!(
            "offer {} {} {} {} {:?} {moves:?}",
            o.client, o.product, o.stage, o.stage_date, o.next_step
        )
    }));
    out.extend(
        m.tasks
            .values()
            .map(|t| format!("task {} {} {}", t.id, t.client, t.text)),
    );
    out.extend(
        m.surveys
            .values()
            .map(|s| format!("survey {} {} {:?}", s.id, s.client, s.scores)),
    );
    out.extend(
        m.tickets
            .values()
            .map(|t| format!("ticket {} {} {}", t.id, t.client, t.stage)),
    );
    out.extend(
        m.marks
            .values()
            .map(|k| format!("mark {} {} {:?}", k.key, k.due, k.state)),
    );
    out.extend(m.aggregates.iter().map(|(c, a)| {
        format!(
            "aggregate {c} {:?} {:?} {} {:?}",
            a.days, a.product_days, a.contacts, a.last_contact
        )
    }));
    out.extend(
        m.sales
            .terms
            .values()
            .map(|t| format!("terms {} {} {:?}", t.client, t.product, t.amend_by)),
    );
    out.extend(
        m.sales
            .sources
            .values()
            .map(|a| format!("source {} {}", a.client, a.source)),
    );
    out.extend(m.trash.clients.keys().map(|c| format!("archived {c}")));
    out.extend(
        p.settlements
            .values()
            .map(|s| format!("settlement {} {} {} {}", s.id, s.client, s.date, s.amount)),
    );
    out.extend(
        p.contacts
            .iter()
            .map(|c| format!("contact {} {} {} {}", c.id, c.client, c.at, c.summary)),
    );
    out.sort();
    out
}

/// The totals a merge must keep: money, contacts, persons, tasks,
/// surveys, tickets.
fn totals(p: &Planner) -> (i64, usize, usize, usize, usize, usize) {
    (
        p.settlements.values().map(|s| s.amount.0).sum(),
        p.contacts.len(),
        p.model.persons.len(),
        p.model.tasks.len(),
        p.model.surveys.len(),
        p.model.tickets.len(),
    )
}

/// C2 with a bit of everything; C1 with an offer of crm too.
fn duplicate() -> Planner {
    let mut p = book();
    settle(&mut p, 1, "2026-02-01", 10_000);
    settle(&mut p, 2, "2026-03-01", 25_050);
    settle(&mut p, 2, "2026-04-01", 4_950);
    p.run(Command::LogContact {
        client: ClientId(2),
        person: None,
        at: d("2026-05-02").and_hms_opt(9, 30, 0).unwrap(),
        channel: Channel::Call,
        summary: "asked for a quote".into(),
        outcome: String::new(),
        next_contact: Some(d("2026-12-01")),
    });
    p.run(Command::AddPerson {
        client: ClientId(2),
        name: "Eva Roth".into(),
        role: "buyer".into(),
        phone: "+49 30 1234".into(),
        email: "eva@example.de".into(),
        birthday: None,
    });
    offer(&mut p, 1, 1, OfferStage::Presentation, "2026-03-01");
    offer(&mut p, 2, 1, OfferStage::Presentation, "2026-02-01");
    offer(&mut p, 2, 1, OfferStage::Proposal, "2026-04-01");
    offer(&mut p, 2, 2, OfferStage::Presentation, "2026-04-02");
    p.run(Command::AddTask {
        client: ClientId(2),
        due: d("2026-11-30"),
        text: "send the brochure".into(),
    });
    p.run(Command::RecordSurvey {
        client: ClientId(2),
        product: ProductId(1),
        date: d("2026-05-05"),
        scores: vec![2, 2, 2],
    });
    p.run(Command::MarkItem {
        key: "cadence-2".into(),
        due: d("2026-11-10"),
        state: MarkState::Snoozed(d("2026-12-10")),
    });
    p.run(Command::SetSource {
        reference: "C2".into(),
        source: "Trade fair".into(),
    });
    p
}

#[test]
fn everything_of_the_duplicate_moves_and_it_is_archived_with_a_pointer() {
    let mut p = duplicate();
    let before = totals(&p);
    assert_eq!(p.model.tickets.len(), 1, "the low survey opened a ticket");
    p.run(merge(1, 2));
    assert_eq!(totals(&p), before);
    let m = &p.model;
    assert!(!m.clients.contains_key(&ClientId(2)));
    let archived = &m.trash.clients[&ClientId(2)].client;
    assert!(
        archived
            .notes
            .contains("Merged into C1 (Client 1) on 2026-11-20 by ann."),
        "{}",
        archived.notes
    );
    assert!(p.settlements.values().all(|s| s.client == ClientId(1)));
    assert!(p.contacts.iter().all(|c| c.client == ClientId(1)));
    assert_eq!(
        m.persons_of(ClientId(1)).map(|x| x.name.as_str()).collect::<Vec<_>>(),
        ["Eva Roth"]
    );
    assert!(
        m.tasks
            .values()
            .chain(std::iter::empty())
            .all(|t| t.client == ClientId(1))
    );
    assert!(m.surveys.values().all(|s| s.client == ClientId(1)));
    assert!(m.tickets.values().all(|t| t.client == ClientId(1)));
    // The further offer stays (C2's proposal), with C1's presentation and
    // C2's moves (noted) in its history; C2's only offer of train moves.
    let crm = &m.offers[&(ClientId(1), ProductId(1))];
    assert_eq!(crm.stage, OfferStage::Proposal);
    let notes: Vec<&str> = crm.history.iter().map(|t| &*t.note).collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(notes.iter().filter(|n| n.starts_with("[C2]")).count(), 2, "{notes:?}");
    assert_eq!(m.offers[&(ClientId(1), ProductId(2))].stage, OfferStage::Presentation);
    assert_eq!(m.offers.keys().filter(|(c, _)| *c == ClientId(2)).count(), 0);
    // Queue marks follow, under C1's keys.
    assert!(m.marks.contains_key("cadence-1") && !m.marks.contains_key("cadence-2"));
    assert!(m.marks.contains_key("next-1"));
    assert_eq!(m.sales.source_of(ClientId(1)), "Trade fair");
    assert_eq!(m.clients[&ClientId(1)].tags, ["t1", "t2"]);
    // The aggregates: C1 holds the three settlements and the contact.
    let agg = &m.aggregates[&ClientId(1)];
    assert_eq!(agg.days.iter().map(|x| x.amount).sum::<i64>(), 40_000);
    assert_eq!(agg.contacts, 1);
    assert_eq!(m.trash.clients[&ClientId(2)].aggregate, Default::default());
}

#[test]
fn bad_merges_are_refused_and_change_nothing() {
    let mut p = duplicate();
    let err = p.refused(merge(1, 1));
    assert!(err.to_string().contains("cannot be merged into itself"), "{err}");
    let err = p.refused(merge(1, 9));
    assert!(matches!(err, CommandError::NotFound(_)), "{err}");
    // Clients of two managers: a lead's merge.
    let err = p.refused(merge(1, 3));
    assert!(err.to_string().contains("only a lead merges them"), "{err}");
    // A stale read of either client.
    let stale = Command::MergeClients {
        into: ClientId(1),
        from: ClientId(2),
        expected: Some((1, 99)),
        on: d("2026-11-20"),
    };
    assert!(matches!(p.refused(stale), CommandError::Stale { .. }));
    // Into or from an archived client.
    p.run(Command::Archive {
        key: Archivable::Client(ClientId(2)),
        expected_seq: None,
        on: d("2026-11-20"),
    });
    for cmd in [merge(1, 2), merge(2, 1)] {
        let err = p.refused(cmd);
        assert!(err.to_string().contains("is archived"), "{err}");
    }
}

#[test]
fn a_merge_is_undone_and_redone_as_a_whole() {
    let mut p = duplicate();
    let before = said(&p);
    let cmd = merge(1, 2);
    let prior = Prior::of(&p.model, &cmd);
    let event = p.event(cmd);
    let after = said(&p);
    let undo = inverse(&event, &prior).unwrap();
    assert!(matches!(undo, Command::Unmerge { .. }));
    assert_eq!(undo.describe(&p.model), "undo the merge of C2 into C1");
    let prior = Prior::of(&p.model, &undo);
    let undone = p.event(undo);
    assert_eq!(said(&p), before);
    let redo = inverse(&undone, &prior).unwrap();
    assert!(matches!(redo, Command::MergeClients { .. }));
    p.run(redo);
    assert_eq!(said(&p), after);
}

#[test]
fn an_undo_after_someone_changed_a_moved_record_is_refused() {
    let mut p = duplicate();
    let event = p.event(merge(1, 2));
    let undo = inverse(&event, &Prior::default()).unwrap();
    let s = p
        .settlements
        .values()
        .find(|s| s.amount == Money(4_950))
        .unwrap()
        .clone();
    p.run(Command::EditSettlement {
        client: ClientId(1),
        id: s.id,
        expected_seq: Some(s.seq),
        date: s.date,
        amount: Money(5_000),
        product: None,
        doc: String::new(),
    });
    assert!(matches!(p.refused(undo.clone()), CommandError::Stale { .. }));
    // The moved person archived since: refused with a reason.
    let mut p = duplicate();
    let event = p.event(merge(1, 2));
    let undo = inverse(&event, &Prior::default()).unwrap();
    let eva = p.model.persons_of(ClientId(1)).next().unwrap().clone();
    p.run(Command::Archive {
        key: Archivable::Person(ClientId(1), eva.id),
        expected_seq: None,
        on: d("2026-11-21"),
    });
    let err = p.refused(undo);
    assert!(err.to_string().contains("Eva Roth"), "{err}");
}

/// One random record for one of the three clients.
#[derive(Clone, Debug)]
struct Step {
    op: u8,
    client: u32,
    n: u16,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0u8..8, 1u32..=2, any::<u16>()).prop_map(|(op, client, n)| Step { op, client, n }),
        0..30,
    )
}

fn apply(p: &mut Planner, s: &Step) {
    let client = ClientId(s.client);
    let cmd = match s.op {
        0 | 1 => Command::RecordSettlement {
            client,
            date: day(s.n),
            amount: Money(i64::from(s.n) * 7 - 20_000),
            product: Some(ProductId(1 + u32::from(s.n % 2))),
            doc: String::new(),
        },
        2 => Command::LogContact {
            client,
            person: None,
            at: day(s.n).and_hms_opt(10, 0, 0).unwrap_or_default(),
            channel: Channel::Visit,
            summary: format!("visit {}", s.n),
            outcome: String::new(),
            next_contact: (s.n % 3 == 0).then(|| day(s.n.saturating_add(20))),
        },
        3 => Command::AddPerson {
            client,
            name: format!("P{}", s.n),
            role: String::new(),
            phone: String::new(),
            email: String::new(),
            birthday: (s.n % 2 == 0).then(|| day(s.n)),
        },
        4 => {
            let stage = OfferStage::from_rank(1 + (s.n % 6) as u8).unwrap_or(OfferStage::Presentation);
            let mut m = OfferMove::new(client, ProductId(1 + u32::from(s.n % 2)), stage, day(s.n));
            m.next_step = stage.is_open().then(|| day(s.n.saturating_add(5)));
            m.expiry = (stage == OfferStage::Proposal).then(|| day(s.n.saturating_add(30)));
            m.invoice_due = (stage == OfferStage::Invoiced).then(|| day(s.n.saturating_add(30)));
            m.delivery = (stage == OfferStage::Delivery).then(|| day(s.n.saturating_add(10)));
            Command::MoveOffer(m)
        }
        5 => Command::AddTask {
            client,
            due: day(s.n),
            text: format!("task {}", s.n),
        },
        6 => Command::RecordSurvey {
            client,
            product: ProductId(1),
            date: day(s.n),
            scores: vec![1 + (s.n % 5) as u8; 3],
        },
        _ => Command::MarkItem {
            key: format!("cadence-{client}"),
            due: day(s.n),
            state: MarkState::Done,
        },
    };
    // Offer moves the stage rules refuse are simply not taken.
    let _ = p.try_run(cmd);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn merge_keeps_the_totals_and_undo_gives_back_the_state_before(steps in steps(), reverse in any::<bool>()) {
        let mut p = book();
        for s in &steps {
            apply(&mut p, s);
        }
        let (into, from) = if reverse { (2, 1) } else { (1, 2) };
        let before = said(&p);
        let sums = totals(&p);
        let cmd = merge(into, from);
        let prior = Prior::of(&p.model, &cmd);
        let event = p.try_event(cmd).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(totals(&p), sums);
        let undo = inverse(&event, &prior).map_err(TestCaseError::fail)?;
        p.try_event(undo).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(said(&p), before);
    }
}
