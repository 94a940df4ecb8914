//! The ticket process of SPEC §6 through the command path: every legal and
//! illegal move, survey scores that open tickets, stage due dates, and the
//! complaints summary.

use super::*;
use crate::testing::Planner;
use crate::write::{Command, CommandError, TicketAdvance};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct Fx {
    p: Planner,
}

impl Fx {
    fn new() -> Fx {
        let mut fx = Fx {
            p: Planner::with_reference(&["ann"], &[("crm", "crm"), ("care", "care")]),
        };
        fx.run(Command::AddClient {
            reference: "C1".into(),
            name: "Client".into(),
            segment: None,
            manager: Some(ManagerId(1)),
            created: d("2026-01-01"),
            notes: String::new(),
            tags: vec![],
        });
        fx
    }

    fn try_run(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.p.try_run(cmd)
    }

    fn run(&mut self, cmd: Command) {
        self.p.run(cmd)
    }

    fn open(&mut self, date: &str) -> TicketId {
        self.run(Command::OpenTicket {
            client: ClientId(1),
            product: Some(ProductId(1)),
            date: d(date),
            text: "Invoice was wrong".into(),
        });
        TicketId(self.p.model.counters.ticket)
    }

    fn advance(&mut self, t: TicketId, date: &str, fields: Fields) -> Result<(), CommandError> {
        self.try_run(Command::AdvanceTicket(TicketAdvance {
            ticket: t,
            expected_version: None,
            date: d(date),
            owner: fields.owner,
            cause: fields.cause.map(str::to_string),
            action: fields.action.map(str::to_string),
            fix: fields.fix.map(str::to_string),
        }))
    }

    fn ticket(&self, t: TicketId) -> &Ticket {
        &self.p.model.tickets[&t]
    }
}

#[derive(Default, Clone, Copy)]
struct Fields {
    owner: Option<ManagerId>,
    cause: Option<&'static str>,
    action: Option<&'static str>,
    fix: Option<&'static str>,
}

const OWNER: Fields = Fields {
    owner: Some(ManagerId(1)),
    cause: None,
    action: None,
    fix: None,
};
const CAUSE_ACTION: Fields = Fields {
    owner: None,
    cause: Some("Wrong price list"),
    action: Some("Credit note sent"),
    fix: None,
};
const FIX: Fields = Fields {
    owner: None,
    cause: None,
    action: None,
    fix: Some("Price lists checked weekly"),
};

#[test]
fn every_stage_needs_its_field_and_goes_one_step_at_a_time() {
    let mut fx = Fx::new();
    let t = fx.open("2026-11-01");
    assert_eq!(fx.ticket(t).stage, TicketStage::Registered);
    assert_eq!(
        fx.ticket(t).stage_due,
        Some(d("2026-11-02")),
        "investigating is due 1 day after opening"
    );

    // Registered → investigating needs an owner.
    let e = fx.advance(t, "2026-11-02", Fields::default()).unwrap_err();
    assert_eq!(e.to_string(), "moving ticket #1 to investigating needs an owner");
    let e = fx.advance(t, "2026-11-02", CAUSE_ACTION).unwrap_err();
    assert!(e.to_string().contains("needs an owner"), "{e}");
    assert_eq!(
        fx.ticket(t).stage,
        TicketStage::Registered,
        "a refused move changes nothing"
    );
    assert!(fx.ticket(t).cause.is_empty());
    fx.advance(t, "2026-11-02", OWNER).unwrap();
    assert_eq!(fx.ticket(t).stage_due, Some(d("2026-11-06")), "resolved: 5 days");

    // Investigating → resolved needs the cause and the action.
    let only_cause = Fields {
        cause: Some("x"),
        ..Fields::default()
    };
    assert!(
        fx.advance(t, "2026-11-03", only_cause)
            .unwrap_err()
            .to_string()
            .contains("the cause and the action")
    );
    assert!(fx.advance(t, "2026-11-03", OWNER).is_err());
    fx.advance(t, "2026-11-03", CAUSE_ACTION).unwrap();
    assert_eq!(fx.ticket(t).stage_due, Some(d("2026-11-11")), "prevented: 10 days");

    // Resolved → prevented needs the process fix.
    assert!(
        fx.advance(t, "2026-11-04", CAUSE_ACTION)
            .unwrap_err()
            .to_string()
            .contains("the process fix")
    );
    fx.advance(t, "2026-11-04", FIX).unwrap();
    assert_eq!(fx.ticket(t).stage_due, Some(d("2026-11-21")), "closed: 20 days");

    // Prevented → closed needs nothing more; closed is the end.
    fx.advance(t, "2026-11-05", Fields::default()).unwrap();
    let k = fx.ticket(t);
    assert_eq!((k.stage, k.stage_due), (TicketStage::Closed, None));
    assert_eq!(
        fx.advance(t, "2026-11-06", Fields::default()).unwrap_err().to_string(),
        "ticket #1 is closed"
    );
    let moves: Vec<(TicketStage, TicketStage, NaiveDate, &str)> = fx
        .ticket(t)
        .history
        .iter()
        .map(|h| (h.from, h.to, h.date, h.who.as_str()))
        .collect();
    assert_eq!(moves.len(), 4);
    assert_eq!(
        moves[0],
        (
            TicketStage::Registered,
            TicketStage::Investigating,
            d("2026-11-02"),
            "ann"
        )
    );
    assert_eq!(moves[3].1, TicketStage::Closed);
    assert_eq!(closed_on(fx.ticket(t)), Some(d("2026-11-05")));

    // The only way forward is the next stage: there is no skipping.
    for s in TicketStage::ALL {
        let expected = match s {
            TicketStage::Closed => None,
            _ => TicketStage::ALL.get(s.index() + 1).copied(),
        };
        assert_eq!(s.next(), expected);
    }
    assert!(
        fx.try_run(Command::AdvanceTicket(TicketAdvance {
            ticket: TicketId(99),
            expected_version: None,
            date: d("2026-11-06"),
            owner: None,
            cause: None,
            action: None,
            fix: None,
        }))
        .unwrap_err()
        .to_string()
        .contains("ticket #99 not found")
    );
}

#[test]
fn fields_given_early_are_kept_and_stale_edits_refused() {
    let mut fx = Fx::new();
    let t = fx.open("2026-11-01");
    // The owner can be set before investigating; then advancing needs nothing.
    fx.run(Command::SetTicketOwner {
        ticket: t,
        expected_version: Some(1),
        owner: ManagerId(1),
    });
    fx.advance(t, "2026-11-02", Fields::default()).unwrap();
    let e = fx
        .try_run(Command::SetTicketOwner {
            ticket: t,
            expected_version: Some(1),
            owner: ManagerId(1),
        })
        .unwrap_err();
    assert!(matches!(e, CommandError::Stale { .. }), "{e}");
    // Text fields can be edited; a passed stage's field cannot be emptied.
    fx.run(Command::EditTicket {
        ticket: t,
        expected_version: Some(3),
        description: "Invoice twice".into(),
        cause: "Double booking".into(),
        action: String::new(),
        fix: String::new(),
    });
    assert_eq!(fx.ticket(t).description, "Invoice twice");
    fx.advance(
        t,
        "2026-11-03",
        Fields {
            action: Some("Refund"),
            ..Fields::default()
        },
    )
    .unwrap();
    let e = fx
        .try_run(Command::EditTicket {
            ticket: t,
            expected_version: None,
            description: "Invoice twice".into(),
            cause: " ".into(),
            action: "Refund".into(),
            fix: String::new(),
        })
        .unwrap_err();
    assert_eq!(e.to_string(), "cause is empty");
}

#[test]
fn low_survey_scores_open_a_linked_ticket() {
    let mut fx = Fx::new();
    let survey = |fx: &mut Fx, p: u32, scores: Vec<u8>| {
        fx.try_run(Command::RecordSurvey {
            client: ClientId(1),
            product: ProductId(p),
            date: d("2026-11-10"),
            scores,
        })
    };
    survey(&mut fx, 1, vec![4, 5, 4]).unwrap();
    assert!(fx.p.model.tickets.is_empty(), "4 and 5 are satisfied");
    survey(&mut fx, 1, vec![5, 3, 4]).unwrap();
    let t = &fx.p.model.tickets[&TicketId(1)];
    assert_eq!(t.source, TicketSource::Survey(SurveyId(2)));
    assert_eq!(t.description, "Survey on CRM: delivery speed 3/5");
    assert_eq!(fx.p.model.surveys[&SurveyId(2)].ticket, Some(TicketId(1)));
    survey(&mut fx, 1, vec![2, 2, 5]).unwrap();
    assert_eq!(
        fx.p.model.tickets[&TicketId(2)].description,
        "Survey on CRM: product 2/5, delivery speed 2/5"
    );

    // Bad scores change nothing.
    for (scores, says) in [
        (vec![6, 5, 5], "score 6 is outside 1–5"),
        (vec![0, 5, 5], "score 0 is outside 1–5"),
        (vec![5, 5], "the survey has 3 questions"),
    ] {
        let e = survey(&mut fx, 1, scores).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(fx.p.model.surveys.len(), 3);

    // A product's own questionnaire.
    fx.run(Command::SetQuestionnaire {
        product: ProductId(2),
        questions: vec!["Response time".into(), "Friendliness".into()],
    });
    assert!(
        survey(&mut fx, 2, vec![5, 5, 5])
            .unwrap_err()
            .to_string()
            .contains("has 2 questions")
    );
    survey(&mut fx, 2, vec![5, 1]).unwrap();
    assert_eq!(
        fx.p.model.tickets[&TicketId(3)].description,
        "Survey on CARE: Friendliness 1/5"
    );
    assert!(
        fx.try_run(Command::SetQuestionnaire {
            product: ProductId(2),
            questions: vec![],
        })
        .is_err()
    );
}

#[test]
fn filters_and_the_complaints_summary() {
    let mut fx = Fx::new();
    let a = fx.open("2026-10-01");
    let b = fx.open("2026-10-10");
    let c = fx.open("2026-09-01");
    for (t, closed) in [(a, "2026-10-05"), (b, "2026-10-30"), (c, "2026-10-02")] {
        fx.advance(t, closed, OWNER).unwrap();
        fx.advance(t, closed, CAUSE_ACTION).unwrap();
        fx.advance(t, closed, FIX).unwrap();
        fx.advance(t, closed, Fields::default()).unwrap();
    }
    let open = fx.open("2026-10-20");
    let s = summary(fx.p.model.tickets.values(), d("2026-10-01"), d("2026-10-31"));
    assert_eq!((s.opened, s.closed, s.from_surveys), (3, 3, 0));
    // Days to close: 4 (a), 20 (b), 31 (c, opened before the period).
    assert_eq!(s.median_days_to_close, Some(20.0));
    assert_eq!(
        s.by_product,
        vec![ProductCount {
            product: Some(ProductId(1)),
            opened: 3,
            closed: 3
        }]
    );
    assert_eq!(
        s.by_cause,
        vec![("Wrong price list".to_string(), 2), (String::new(), 1)]
    );
    let s = summary(fx.p.model.tickets.values(), d("2026-10-01"), d("2026-10-05"));
    assert_eq!(s.median_days_to_close, Some(17.5), "two closed: (4 + 31) / 2");

    let ids = |f: &Filter| list(&fx.p.model, f).iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(&Filter::open()), vec![open]);
    assert_eq!(ids(&Filter::default()).len(), 4);
    let overdue = Filter {
        overdue_on: Some(d("2026-10-22")),
        ..Filter::default()
    };
    assert_eq!(ids(&overdue), vec![open], "due 21/10, not closed");
    let closed = Filter {
        stage: Some(TicketStage::Closed),
        ..Filter::default()
    };
    assert_eq!(ids(&closed), vec![a, b, c]);
}
