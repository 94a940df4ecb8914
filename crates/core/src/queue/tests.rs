//! Every item kind of SPEC §5 and its due date, on hand-built data written
//! through the command path (so marks and next dates are what the store
//! would keep).

use super::*;
use crate::classes;
use crate::testing::Planner;
use crate::write::{Command, CommandError, OfferMove};
use chrono::NaiveDateTime;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    d(s).and_hms_opt(10, 0, 0).unwrap()
}

struct Fx {
    p: Planner,
}

impl Fx {
    /// Two managers, one product per line, one segment.
    fn new() -> Fx {
        Fx {
            p: Planner::with_reference(&["ann", "bob"], &[("crm", "crm"), ("support", "support")]),
        }
    }

    fn try_run(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.p.try_run(cmd)
    }

    fn run(&mut self, cmd: Command) {
        self.p.run(cmd)
    }

    /// Client `n` (ids count from 1), created on `created`, of manager 1.
    fn client(&mut self, created: &str) -> ClientId {
        let id = ClientId(self.p.model.counters.client + 1);
        self.run(Command::AddClient {
            reference: format!("C{}", id.0),
            name: format!("Client {}", id.0),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(1)),
            created: d(created),
            notes: String::new(),
            tags: vec![],
        });
        id
    }

    fn pay(&mut self, client: ClientId, date: &str, euros: i64) {
        self.run(Command::RecordSettlement {
            client,
            date: d(date),
            amount: Money(euros * 100),
            product: Some(ProductId(1)),
            doc: String::new(),
        });
    }

    fn contact(&mut self, client: ClientId, when: &str, next: Option<&str>) {
        self.run(Command::LogContact {
            client,
            person: None,
            at: at(when),
            channel: Channel::Call,
            summary: "Called".into(),
            outcome: String::new(),
            next_contact: next.map(d),
        });
    }

    fn offer(&mut self, client: ClientId, product: u32, f: impl FnOnce(&mut OfferMove)) {
        let mut m = OfferMove::new(client, ProductId(product), OfferStage::Presentation, d("2026-11-01"));
        f(&mut m);
        self.run(Command::MoveOffer(m));
    }

    fn queue(&self, as_of: &str) -> Vec<Item> {
        let as_of = d(as_of);
        due(
            &self.p.model,
            &classes::compute(&self.p.model, as_of),
            as_of,
            Scope::All,
        )
    }

    /// The items of one kind: (id, due date).
    fn of(&self, as_of: &str, kind: Kind) -> Vec<(String, NaiveDate)> {
        self.queue(as_of)
            .into_iter()
            .filter(|i| i.kind == kind)
            .map(|i| (i.key.to_string(), i.due))
            .collect()
    }

    fn mark(&mut self, key: &str, due: &str, state: MarkState) -> Result<(), CommandError> {
        self.try_run(Command::MarkItem {
            key: key.into(),
            due: d(due),
            state,
        })
    }
}

#[test]
fn offer_control_dates_and_retries() {
    let mut fx = Fx::new();
    let c = fx.client("2026-01-01");
    fx.offer(c, 1, |m| {
        m.to = OfferStage::Proposal;
        m.next_step = Some(d("2026-11-21"));
        m.expiry = Some(d("2026-11-25"));
    });
    fx.offer(c, 2, |m| {
        m.to = OfferStage::Presentation;
        m.next_step = Some(d("2026-11-30"));
    });
    let q = fx.queue("2026-11-22");
    let got: Vec<(String, NaiveDate, Group)> = q
        .iter()
        .filter(|i| i.kind != Kind::Cadence && i.kind != Kind::Minutes)
        .map(|i| (i.key.to_string(), i.due, i.group(d("2026-11-22"))))
        .collect();
    assert_eq!(
        got,
        vec![
            ("step-1-1".into(), d("2026-11-21"), Group::Overdue),
            ("expiry-1-1".into(), d("2026-11-25"), Group::Soon),
        ],
        "the 30 Nov next step is beyond the 7 days"
    );
    let step = q.iter().find(|i| i.kind == Kind::NextStep).unwrap();
    assert_eq!(step.days_late(d("2026-11-22")), 1);
    assert_eq!(
        fx.of("2026-11-23", Kind::NextStep).len(),
        2,
        "30 Nov is within 7 days of the 23rd"
    );

    // Invoiced: the invoice due date; delivery: the delivery date.
    fx.offer(c, 1, |m| {
        m.to = OfferStage::Invoiced;
        m.expected_version = Some(1);
        m.invoice_due = Some(d("2026-11-22"));
    });
    assert_eq!(
        fx.of("2026-11-22", Kind::Invoice),
        vec![("invoice-1-1".into(), d("2026-11-22"))]
    );
    assert!(
        fx.of("2026-11-22", Kind::Expiry).is_empty(),
        "an invoiced offer has no expiry item"
    );
    fx.offer(c, 1, |m| {
        m.to = OfferStage::Delivery;
        m.delivery = Some(d("2026-11-20"));
    });
    assert_eq!(
        fx.of("2026-11-22", Kind::Delivery),
        vec![("delivery-1-1".into(), d("2026-11-20"))]
    );

    // Refused with a retry date: a retry item; a won offer has no next step.
    fx.offer(c, 2, |m| {
        m.to = OfferStage::Refused;
        m.reason = Some(RefusalReason::Price);
        m.retry = Some(d("2026-11-24"));
        m.next_step = Some(d("2026-11-23"));
    });
    assert_eq!(
        fx.of("2026-11-22", Kind::Retry),
        vec![("retry-1-2".into(), d("2026-11-24"))]
    );
    assert!(
        fx.of("2026-11-22", Kind::NextStep).is_empty(),
        "a refused offer is not open"
    );
}

#[test]
fn cadence_counts_from_the_last_actual_contact_by_class() {
    let mut fx = Fx::new();
    // Client 1 has all the turnover: class A (14 days); client 2 a little
    // (B: 30 days); client 3 the tail (C: 60); client 4 nothing (90).
    let a = fx.client("2025-01-01");
    let b = fx.client("2025-01-01");
    let c = fx.client("2025-01-01");
    let none = fx.client("2026-10-01");
    fx.pay(a, "2026-10-01", 600);
    fx.pay(b, "2026-10-01", 300);
    fx.pay(c, "2026-10-01", 100);
    for id in [a, b, c] {
        fx.contact(id, "2026-10-15", None);
    }
    let as_of = "2026-12-31";
    let got = fx.of(as_of, Kind::Cadence);
    let want: Vec<(String, NaiveDate)> = [
        ("cadence-1", "2026-10-29"),
        ("cadence-2", "2026-11-14"),
        ("cadence-3", "2026-12-14"),
        ("cadence-4", "2026-12-30"),
    ]
    .map(|(k, v)| (k.to_string(), d(v)))
    .into();
    assert_eq!(got, want);
    let q = fx.queue(as_of);
    let reason = &q.iter().find(|i| i.key == ItemKey::Cadence(a)).unwrap().reason;
    assert_eq!(reason, "no contact for 77 days — class A cadence 14");
    let reason = &q.iter().find(|i| i.key == ItemKey::Cadence(none)).unwrap().reason;
    assert_eq!(reason, "no contact yet (client since 01/10/2026) — no class cadence 90");

    // Logging a call moves the date; a back-dated entry does not.
    fx.contact(a, "2026-12-30", None);
    assert_eq!(fx.of(as_of, Kind::Cadence)[0].0, "cadence-2", "A is no longer due");
    let due_a = |fx: &Fx| {
        let as_of = d(as_of);
        find(
            &fx.p.model,
            &classes::compute(&fx.p.model, as_of),
            as_of,
            ItemKey::Cadence(a),
        )
        .map(|i| i.due)
    };
    assert_eq!(due_a(&fx), Some(d("2027-01-13")));
    fx.contact(a, "2026-12-01", Some("2026-12-05"));
    assert_eq!(due_a(&fx), Some(d("2027-01-13")), "an older entry changes nothing");
    // The next contact date agreed at the latest contact wins…
    fx.contact(a, "2026-12-31", Some("2027-01-04"));
    assert_eq!(due_a(&fx), Some(d("2027-01-04")));
    // …until a later contact without one.
    fx.contact(a, "2027-01-02", None);
    assert_eq!(due_a(&fx), Some(d("2027-01-16")));
    assert!(!fx.p.model.marks.contains_key("next-1"), "the agreed date was cleared");
}

#[test]
fn cadence_settings_are_used() {
    let mut fx = Fx::new();
    let c = fx.client("2026-11-01");
    let mut s = fx.p.model.settings.clone();
    s.cadence_days = [7, 14, 21, 10];
    fx.run(Command::UpdateSettings(s));
    assert_eq!(
        fx.of("2026-11-12", Kind::Cadence),
        vec![(format!("cadence-{c}"), d("2026-11-11"))]
    );
}

#[test]
fn sale_survey_seven_days_after_won_for_a_new_client_only() {
    let mut fx = Fx::new();
    let new = fx.client("2026-09-01");
    let old = fx.client("2024-01-01");
    fx.pay(new, "2026-10-01", 100);
    // Not new: first paid more than 3 months before the sale.
    fx.pay(old, "2025-12-01", 100);
    fx.pay(old, "2026-10-01", 100);
    for c in [new, old] {
        fx.offer(c, 2, |m| {
            m.to = OfferStage::Won;
            m.date = d("2026-11-10");
        });
    }
    assert_eq!(
        fx.of("2026-11-22", Kind::Survey),
        vec![("survey-1-2".into(), d("2026-11-17"))]
    );
    // A survey on or after the sale answers it.
    fx.run(Command::RecordSurvey {
        client: new,
        product: ProductId(2),
        date: d("2026-11-18"),
        scores: vec![5, 5, 5],
    });
    assert!(fx.of("2026-11-22", Kind::Survey).is_empty());
    // A first sale with no settlement yet is a new client's sale too.
    let fresh = fx.client("2026-11-01");
    fx.offer(fresh, 1, |m| {
        m.to = OfferStage::Won;
        m.date = d("2026-11-20");
    });
    assert_eq!(
        fx.of("2026-11-22", Kind::Survey),
        vec![("survey-3-1".into(), d("2026-11-27"))]
    );
}

#[test]
fn yearly_survey_from_the_last_survey_or_complaint() {
    let mut fx = Fx::new();
    let c = fx.client("2024-01-01");
    let potential = fx.client("2024-01-01");
    fx.pay(c, "2025-11-20", 100);
    fx.pay(c, "2026-11-01", 100);
    let _ = potential;
    // Never surveyed: 12 months after the first settlement.
    assert_eq!(
        fx.of("2026-11-22", Kind::Survey),
        vec![("survey-1".into(), d("2026-11-20"))]
    );
    fx.run(Command::RecordSurvey {
        client: c,
        product: ProductId(1),
        date: d("2026-02-28"),
        scores: vec![4, 4, 4],
    });
    assert_eq!(
        fx.of("2027-02-27", Kind::Survey),
        vec![("survey-1".into(), d("2027-02-28"))]
    );
    assert!(
        fx.of("2027-02-20", Kind::Survey).is_empty(),
        "28 Feb is 8 days after the 20th"
    );
    // A complaint is feedback too.
    fx.run(Command::OpenTicket {
        client: c,
        product: None,
        date: d("2026-06-01"),
        text: "Late delivery".into(),
    });
    assert!(fx.of("2027-02-27", Kind::Survey).is_empty());
    assert_eq!(
        fx.of("2027-06-01", Kind::Survey),
        vec![("survey-1".into(), d("2027-06-01"))]
    );
}

#[test]
fn birthdays_three_days_ahead_and_29_february() {
    let mut fx = Fx::new();
    let c = fx.client("2020-01-01");
    fx.run(Command::AddPerson {
        client: c,
        name: "Léa Dupont".into(),
        role: "CFO".into(),
        phone: String::new(),
        email: String::new(),
        birthday: Some(d("1988-02-29")),
    });
    let bday = |fx: &Fx, as_of: &str| fx.of(as_of, Kind::Birthday);
    // 2027 is not a leap year: 28 February.
    assert!(bday(&fx, "2027-02-24").is_empty(), "4 days ahead is too early");
    assert_eq!(bday(&fx, "2027-02-25"), vec![("birthday-1-1".into(), d("2027-02-28"))]);
    assert_eq!(bday(&fx, "2027-03-07"), vec![("birthday-1-1".into(), d("2027-02-28"))]);
    assert!(bday(&fx, "2027-03-08").is_empty(), "more than a week late");
    // 2028 is: 29 February. Across the new year too.
    assert_eq!(bday(&fx, "2028-02-26"), vec![("birthday-1-1".into(), d("2028-02-29"))]);
    let reason = &fx
        .queue("2028-02-26")
        .into_iter()
        .find(|i| i.kind == Kind::Birthday)
        .unwrap()
        .reason;
    assert_eq!(reason, "birthday of Léa Dupont, CFO (29/02)");
    assert_eq!(birthday_in(d("1990-01-02"), 2027), Some(d("2027-01-02")));

    // Done for this year's date only.
    fx.mark("birthday-1-1", "2027-02-28", MarkState::Done).unwrap();
    assert!(bday(&fx, "2027-02-27").is_empty());
    assert_eq!(bday(&fx, "2028-02-27"), vec![("birthday-1-1".into(), d("2028-02-29"))]);
}

#[test]
fn tasks_and_ticket_stages() {
    let mut fx = Fx::new();
    let c = fx.client("2020-01-01");
    fx.run(Command::AddTask {
        client: c,
        due: d("2026-11-22"),
        text: "Send the price list\nwith the new terms".into(),
    });
    fx.run(Command::OpenTicket {
        client: c,
        product: Some(ProductId(1)),
        date: d("2026-11-20"),
        text: "Wrong invoice".into(),
    });
    let q = fx.queue("2026-11-22");
    let task = q.iter().find(|i| i.kind == Kind::Task).unwrap();
    assert_eq!((task.key, task.due), (ItemKey::Task(TaskId(1)), d("2026-11-22")));
    assert_eq!(task.group(d("2026-11-22")), Group::Today);
    assert_eq!(task.reason, "task: Send the price list");
    let ticket = q.iter().find(|i| i.kind == Kind::Ticket).unwrap();
    // Registered on the 20th: investigating is due a day later.
    assert_eq!(ticket.due, d("2026-11-21"));
    assert_eq!(
        ticket.reason,
        "ticket #1 registered: move to investigating (needs an owner)"
    );

    fx.run(Command::CompleteTask {
        task: TaskId(1),
        date: d("2026-11-22"),
    });
    fx.run(Command::AdvanceTicket(crate::write::TicketAdvance {
        ticket: TicketId(1),
        expected_version: None,
        date: d("2026-11-22"),
        owner: Some(ManagerId(1)),
        cause: None,
        action: None,
        fix: None,
    }));
    let q = fx.queue("2026-11-22");
    assert!(q.iter().all(|i| i.kind != Kind::Task));
    let ticket = q.iter().find(|i| i.kind == Kind::Ticket).unwrap();
    assert_eq!(ticket.due, d("2026-11-25"), "resolved is due 5 days after opening");
}

/// A task set months ahead is nowhere in the week's queue, shows under
/// "Later" when asked for, and a longer horizon brings in every item up to
/// it (past the 7th day, in "Later" too).
#[test]
fn tasks_far_ahead_are_later_and_a_horizon_reaches_them() {
    let mut fx = Fx::new();
    let c = fx.client("2020-01-01");
    for due in ["2026-11-29", "2026-11-30", "2027-02-01"] {
        fx.run(Command::AddTask {
            client: c,
            due: d(due),
            text: format!("due {due}"),
        });
    }
    let as_of = d("2026-11-22");
    let classes = classes::compute(&fx.p.model, as_of);
    let tasks = |horizon: Horizon| -> Vec<(NaiveDate, Group)> {
        due_within(&fx.p.model, &classes, as_of, Scope::All, horizon)
            .into_iter()
            .filter(|i| i.kind == Kind::Task)
            .map(|i| (i.due, i.group(as_of)))
            .collect()
    };
    assert_eq!(tasks(Horizon::default()), [(d("2026-11-29"), Group::Soon)]);
    let later = Horizon {
        later_tasks: true,
        ..Horizon::default()
    };
    assert_eq!(
        tasks(later),
        [
            (d("2026-11-29"), Group::Soon),
            (d("2026-11-30"), Group::Later),
            (d("2027-02-01"), Group::Later)
        ]
    );
    let month = Horizon {
        days: 30,
        later_tasks: false,
    };
    assert_eq!(
        tasks(month),
        [(d("2026-11-29"), Group::Soon), (d("2026-11-30"), Group::Later)]
    );
}

#[test]
fn done_and_snoozed_items_stay_so_for_their_date() {
    let mut fx = Fx::new();
    let c = fx.client("2020-01-01");
    fx.offer(c, 1, |m| m.next_step = Some(d("2026-11-20")));
    fx.mark("step-1-1", "2026-11-20", MarkState::Snoozed(d("2026-11-25")))
        .unwrap();
    let q = fx.queue("2026-11-22");
    let step = q.iter().find(|i| i.kind == Kind::NextStep).unwrap();
    assert_eq!(
        (step.due, step.base_due, step.snoozed),
        (d("2026-11-25"), d("2026-11-20"), true)
    );
    assert!(step.reason.ends_with("(snoozed from 20/11)"), "{}", step.reason);
    fx.mark("step-1-1", "2026-11-20", MarkState::Done).unwrap();
    assert!(fx.of("2026-11-22", Kind::NextStep).is_empty());
    // A new next step date is a new occurrence: the mark no longer applies.
    fx.offer(c, 1, |m| {
        m.to = OfferStage::Proposal;
        m.next_step = Some(d("2026-11-24"));
    });
    assert_eq!(
        fx.of("2026-11-22", Kind::NextStep),
        vec![("step-1-1".into(), d("2026-11-24"))]
    );

    // Snoozing a cadence item; logging the contact supersedes it.
    let cad = format!("cadence-{c}");
    let base = fx
        .queue("2026-11-22")
        .into_iter()
        .find(|i| i.kind == Kind::Cadence)
        .unwrap()
        .base_due;
    fx.mark(&cad, &base.to_string(), MarkState::Snoozed(d("2026-11-23")))
        .unwrap();
    assert_eq!(fx.of("2026-11-22", Kind::Cadence), vec![(cad.clone(), d("2026-11-23"))]);
    fx.contact(c, "2026-11-22", None);
    assert!(fx.of("2026-11-22", Kind::Cadence).is_empty());
}

#[test]
fn marks_that_make_no_sense_are_refused() {
    let mut fx = Fx::new();
    let c = fx.client("2020-01-01");
    fx.run(Command::AddTask {
        client: c,
        due: d("2026-11-22"),
        text: "Call".into(),
    });
    let err = |fx: &mut Fx, key: &str, state| fx.mark(key, "2026-11-22", state).unwrap_err().to_string();
    assert!(err(&mut fx, "nonsense", MarkState::Done).contains("is not a queue item id"));
    assert_eq!(
        err(&mut fx, "step-1-1", MarkState::Done),
        "queue item step-1-1 not found"
    );
    assert_eq!(err(&mut fx, "task-9", MarkState::Done), "queue item task-9 not found");
    assert!(err(&mut fx, "cadence-1", MarkState::Done).contains("logging the contact"));
    assert!(err(&mut fx, "task-1", MarkState::Done).contains("completing the task"));
    assert!(err(&mut fx, "next-1", MarkState::Done).contains("set by logging a contact"));
    assert!(err(&mut fx, "survey-1", MarkState::Snoozed(d("2026-11-22"))).contains("not after its due date"));
    assert!(err(&mut fx, "survey-1", MarkState::NextContact(d("2026-12-22"))).contains("logging a contact"));
    assert!(fx.p.model.marks.is_empty(), "nothing was stored");
    fx.mark("task-1", "2026-11-22", MarkState::Snoozed(d("2026-11-29")))
        .unwrap();
    assert_eq!(
        fx.of("2026-11-22", Kind::Task),
        vec![("task-1".into(), d("2026-11-29"))]
    );
    // A next contact date before the contact is refused.
    let e = fx
        .try_run(Command::LogContact {
            client: c,
            person: None,
            at: at("2026-11-22"),
            channel: Channel::Call,
            summary: "x".into(),
            outcome: String::new(),
            next_contact: Some(d("2026-11-21")),
        })
        .unwrap_err();
    assert!(e.to_string().contains("is before the contact"), "{e}");
}

#[test]
fn scope_keeps_one_managers_clients_and_owned_tickets() {
    let mut fx = Fx::new();
    let mine = fx.client("2026-11-01");
    let theirs = fx.client("2026-11-01");
    fx.run(Command::EditClient {
        client: theirs,
        expected_version: None,
        name: "Theirs".into(),
        segment: None,
        manager: Some(ManagerId(2)),
        notes: String::new(),
        tags: vec![],
    });
    let mut s = fx.p.model.settings.clone();
    s.cadence_days = [1, 1, 1, 1];
    fx.run(Command::UpdateSettings(s));
    fx.run(Command::OpenTicket {
        client: theirs,
        product: None,
        date: d("2026-11-20"),
        text: "x".into(),
    });
    fx.run(Command::AdvanceTicket(crate::write::TicketAdvance {
        ticket: TicketId(1),
        expected_version: None,
        date: d("2026-11-20"),
        owner: Some(ManagerId(1)),
        cause: None,
        action: None,
        fix: None,
    }));
    let as_of = d("2026-11-22");
    let classes = classes::compute(&fx.p.model, as_of);
    let ann: Vec<String> = due(&fx.p.model, &classes, as_of, Scope::Manager(ManagerId(1)))
        .iter()
        .map(|i| i.key.to_string())
        .collect();
    assert_eq!(ann, vec![format!("cadence-{mine}"), "ticket-1".to_string()]);
    let all = due(&fx.p.model, &classes, as_of, Scope::All);
    assert_eq!(all.len(), 3);
    let next = next_due_by_client(&fx.p.model, &classes, as_of);
    assert_eq!(next.get(&mine), Some(&d("2026-11-02")));
    // For a few clients, what the whole computation says about them.
    for few in [vec![mine], vec![theirs], vec![mine, theirs]] {
        let set: std::collections::BTreeSet<ClientId> = few.iter().copied().collect();
        let part = next_due_of(&fx.p.model, &classes, as_of, &set);
        let expected: HashMap<ClientId, NaiveDate> = next
            .iter()
            .filter(|(c, _)| set.contains(c))
            .map(|(c, d)| (*c, *d))
            .collect();
        assert_eq!(part, expected);
        assert!(!part.is_empty());
    }
}

#[test]
fn minutes_amendments_and_instalments_are_control_points() {
    let mut fx = Fx::new();
    let c = fx.client("2026-01-01");
    // A presentation on 1 Nov: its minutes are due 2 days later.
    fx.offer(c, 1, |_| {});
    assert_eq!(
        fx.of("2026-11-22", Kind::Minutes),
        [("minutes-1-1".into(), d("2026-11-03"))]
    );
    fx.run(Command::WriteDocument {
        client: c,
        product: ProductId(1),
        kind: crate::templates::DocKind::Minutes,
        date: d("2026-11-02"),
        dir: "/tmp/docs".into(),
    });
    // Written is not sent.
    assert_eq!(fx.of("2026-11-22", Kind::Minutes).len(), 1);
    let number: DocNumber = "MIN-2026-0001".parse().unwrap();
    fx.run(Command::MarkDocumentSent {
        number,
        date: d("2026-11-04"),
        channel: Channel::Email,
    });
    assert_eq!(fx.of("2026-11-22", Kind::Minutes), []);
    // The lead's delay (set here as the store would hold it): 0 days.
    fx.p.model.sales.setup.minutes_days = 0;
    fx.offer(c, 2, |m| m.date = d("2026-11-20"));
    assert_eq!(
        fx.of("2026-11-22", Kind::Minutes),
        [("minutes-1-2".into(), d("2026-11-20"))]
    );

    // An amendment date is due while the offer is a proposal or agreement.
    fx.offer(c, 1, |m| m.to = OfferStage::Proposal);
    let terms = |amend_by: Option<&str>, invoice: Option<i64>, schedule: &[(i64, &str)]| Command::SetTerms {
        client: c,
        product: ProductId(1),
        expected_seq: None,
        amend_by: amend_by.map(d),
        invoice: invoice.map(Money),
        schedule: schedule
            .iter()
            .map(|&(a, due)| Instalment {
                amount: Money(a),
                due: d(due),
            })
            .collect(),
    };
    fx.run(terms(Some("2026-11-25"), None, &[]));
    assert_eq!(
        fx.of("2026-11-22", Kind::Amendment),
        [("amend-1-1".into(), d("2026-11-25"))]
    );

    // Invoiced in two instalments; the first is paid by a settlement after the invoice.
    fx.offer(c, 1, |m| {
        m.to = OfferStage::Invoiced;
        m.date = d("2026-11-10");
    });
    assert_eq!(fx.of("2026-11-22", Kind::Amendment), [], "not once invoiced");
    fx.run(terms(
        None,
        Some(100_000),
        &[(50_000, "2026-11-15"), (50_000, "2026-12-01")],
    ));
    let instalments = |fx: &Fx| fx.of("2026-12-05", Kind::Instalment);
    assert_eq!(
        instalments(&fx),
        [
            ("instalment-1-1-1".into(), d("2026-11-15")),
            ("instalment-1-1-2".into(), d("2026-12-01"))
        ]
    );
    fx.pay(c, "2026-11-14", 500);
    assert_eq!(instalments(&fx), [("instalment-1-1-2".into(), d("2026-12-01"))]);
    let cell = crate::model::sales::paid_label(
        &fx.p.model.offers[&(c, ProductId(1))],
        fx.p.model.sales.terms.get(&(c, ProductId(1))),
    );
    assert_eq!(cell.as_deref(), Some("1/2 paid"));
    // A refund of the prepayment makes the first instalment due again.
    fx.pay(c, "2026-11-20", -500);
    assert_eq!(instalments(&fx).len(), 2);
    let reason = fx
        .queue("2026-12-05")
        .into_iter()
        .find(|i| i.kind == Kind::Instalment)
        .map(|i| i.reason);
    assert_eq!(reason.as_deref(), Some("instalment 1/2 of CRM: 500.00 unpaid"));
}
