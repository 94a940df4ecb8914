//! SPEC §7 on a hand-built book of six clients whose every figure is worked
//! out by hand in the comments, for the period Q3 2026 (F = 1 July,
//! T = 30 September).

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;

use super::*;
use crate::domain::*;
use crate::testing::Planner;
use crate::write::{Command, OfferMove};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    d(s).and_hms_opt(10, 0, 0).unwrap()
}

const CRM: ProductId = ProductId(1);
const ADDON: ProductId = ProductId(2);
const SUPPORT: ProductId = ProductId(3);
const ANN: ManagerId = ManagerId(1);
const BOB: ManagerId = ManagerId(2);

fn q3() -> Period {
    Period::new(d("2026-07-01"), d("2026-09-30")).unwrap()
}

struct Book {
    p: Planner,
}

impl Book {
    fn empty() -> Book {
        // crm and its add-on share the software line.
        Book {
            p: Planner::with_reference(
                &["ann", "bob"],
                &[("crm", "software"), ("addon", "software"), ("support", "support")],
            ),
        }
    }

    fn client(&mut self, manager: ManagerId, created: &str) -> ClientId {
        let id = ClientId(self.p.model.counters.client + 1);
        self.p.run(Command::AddClient {
            reference: format!("C{}", id.0),
            name: format!("Client {}", id.0),
            segment: Some(SegmentId(1)),
            manager: Some(manager),
            created: d(created),
            notes: String::new(),
            tags: vec![],
        });
        id
    }

    fn pay(&mut self, client: ClientId, date: &str, euros: i64, product: Option<ProductId>) {
        self.p.run(Command::RecordSettlement {
            client,
            date: d(date),
            amount: Money(euros * 100),
            product,
            doc: String::new(),
        });
    }

    fn offer(
        &mut self,
        client: ClientId,
        product: ProductId,
        to: OfferStage,
        date: &str,
        reason: Option<RefusalReason>,
    ) {
        let mut m = OfferMove::new(client, product, to, d(date));
        m.reason = reason;
        self.p.run(Command::MoveOffer(m));
    }

    fn sales(&self, period: Period) -> Vec<Sale> {
        let list: Vec<Settlement> = self.p.settlements.values().cloned().collect();
        let Ok(s) = sales(&self.p.model, period, from_list(&list));
        s
    }

    fn table(&self, by: GroupBy) -> Table {
        table(&self.p.model, q3(), by, &self.sales(q3()), &self.p.contacts)
    }

    /// The book of the module comment.
    fn q3() -> Book {
        let mut b = Book::empty();
        // C1 (ann), no settlement before F: a primary sale, a repeat in the
        // same line (the add-on is software too), then a new line.
        let c1 = b.client(ANN, "2026-01-01");
        b.pay(c1, "2026-07-05", 1000, Some(CRM));
        b.pay(c1, "2026-08-01", 500, Some(ADDON));
        b.pay(c1, "2026-09-01", 300, Some(SUPPORT));
        // C2 (ann): regular at F − 1 (30 June: 2 April in P0, 10 January
        // in P1), lost at T (nothing after 2 April): lost in the period.
        let c2 = b.client(ANN, "2025-01-01");
        b.pay(c2, "2026-01-10", 200, Some(CRM));
        b.pay(c2, "2026-04-02", 200, Some(CRM));
        // C3 (bob): back on 20 July after 10 March (more than 3 months):
        // restored, and a repeat in support; then a refund.
        let c3 = b.client(BOB, "2025-01-01");
        b.pay(c3, "2026-03-10", 400, Some(SUPPORT));
        b.pay(c3, "2026-07-20", 600, Some(SUPPORT));
        b.pay(c3, "2026-08-10", -100, Some(SUPPORT));
        // C4 (bob): two settlements on one day; the lower id is the primary
        // sale, the other a new line.
        let c4 = b.client(BOB, "2026-01-01");
        b.pay(c4, "2026-09-10", 700, Some(CRM));
        b.pay(c4, "2026-09-10", 300, Some(SUPPORT));
        // C5 (ann): potential at F and still at T.
        let c5 = b.client(ANN, "2026-05-01");
        // C6 (bob): created inside the period, so not potential at F.
        let c6 = b.client(BOB, "2026-08-01");
        b.pay(c6, "2026-08-15", 250, Some(CRM));

        // Activity: one contact each in the period (C3's June call is
        // before F), one task done in the period, one after T.
        for (client, when) in [(c1, "2026-07-02"), (c3, "2026-06-30"), (c3, "2026-09-30")] {
            b.p.run(Command::LogContact {
                client,
                person: None,
                at: at(when),
                channel: Channel::Call,
                summary: "Called".into(),
                outcome: String::new(),
                next_contact: None,
            });
        }
        for (client, done) in [(c2, "2026-07-11"), (c5, "2026-10-01")] {
            b.p.run(Command::AddTask {
                client,
                due: d("2026-07-10"),
                text: "Call back".into(),
            });
            let task = TaskId(b.p.model.counters.task);
            b.p.run(Command::CompleteTask { task, date: d(done) });
        }
        // Complaints: one in the period (support, bob's client), one before.
        for (client, product, date) in [(c3, SUPPORT, "2026-08-12"), (c1, CRM, "2026-06-01")] {
            b.p.run(Command::OpenTicket {
                client,
                product: Some(product),
                date: d(date),
                text: "Late delivery".into(),
            });
        }

        // Funnel. C5 crm: presented, proposed, refused on price.
        b.offer(c5, CRM, OfferStage::Presentation, "2026-07-03", None);
        b.offer(c5, CRM, OfferStage::Proposal, "2026-07-20", None);
        b.offer(c5, CRM, OfferStage::Refused, "2026-08-05", Some(RefusalReason::Price));
        // C5 support: presented in June, signed without a proposal, won.
        b.offer(c5, SUPPORT, OfferStage::Presentation, "2026-06-15", None);
        b.offer(c5, SUPPORT, OfferStage::Agreement, "2026-07-10", None);
        b.offer(c5, SUPPORT, OfferStage::Won, "2026-09-01", None);
        // C2 support: refused at presentation (timing), reopened, refused
        // again (no budget): the first reason is no longer kept.
        b.offer(c2, SUPPORT, OfferStage::Presentation, "2026-07-05", None);
        b.offer(
            c2,
            SUPPORT,
            OfferStage::Refused,
            "2026-07-06",
            Some(RefusalReason::Timing),
        );
        b.offer(c2, SUPPORT, OfferStage::Presentation, "2026-08-01", None);
        b.offer(
            c2,
            SUPPORT,
            OfferStage::Refused,
            "2026-09-02",
            Some(RefusalReason::NoBudget),
        );
        b
    }
}

fn tally(count: u32, euros: i64) -> Tally {
    Tally {
        count,
        sum: euros * 100,
    }
}

fn row<'a>(t: &'a Table, group: &str) -> &'a Row {
    t.rows
        .iter()
        .find(|r| r.group == group)
        .unwrap_or_else(|| panic!("no row {group}: {t:#?}"))
}

#[test]
fn sales_are_primary_repeat_or_new_line_and_same_day_goes_by_id() {
    let b = Book::q3();
    let kinds: Vec<(u32, NaiveDate, i64, Option<SaleKind>)> = b
        .sales(q3())
        .iter()
        .map(|s| (s.client.0, s.date, s.amount / 100, s.kind))
        .collect();
    use SaleKind::*;
    assert_eq!(
        kinds,
        vec![
            (1, d("2026-07-05"), 1000, Some(Primary)),
            (1, d("2026-08-01"), 500, Some(Repeat)),
            (1, d("2026-09-01"), 300, Some(NewLine)),
            (3, d("2026-07-20"), 600, Some(Repeat)),
            (3, d("2026-08-10"), -100, None),
            (4, d("2026-09-10"), 700, Some(Primary)),
            (4, d("2026-09-10"), 300, Some(NewLine)),
            (6, d("2026-08-15"), 250, Some(Primary)),
        ]
    );
}

#[test]
fn the_manager_table_computed_by_hand() {
    let t = Book::q3().table(GroupBy::Manager);
    assert_eq!(
        t.rows.iter().map(|r| r.group.as_str()).collect::<Vec<_>>(),
        ["ann", "bob"]
    );

    let ann = row(&t, "ann");
    assert_eq!(ann.manager, Some(ANN));
    assert_eq!(ann.new_clients, Some(1)); // C1
    assert_eq!(ann.primary, tally(1, 1000));
    assert_eq!(ann.repeat, tally(1, 500));
    assert_eq!(ann.new_line, tally(1, 300));
    assert_eq!(ann.refunds, Tally::default());
    assert_eq!(ann.turnover, 180_000);
    assert_eq!(ann.lost, Some(1)); // C2
    assert_eq!(ann.restored, Some(0));
    // C1 converted, C5 did not; C2 had settlements before F.
    assert_eq!(
        ann.conversion,
        Some(Conversion {
            potential: 2,
            converted: 1
        })
    );
    assert_eq!(ann.contacts, Some(1));
    assert_eq!(ann.tasks_done, Some(1));
    assert_eq!(ann.complaints, 0);
    // C1 bought and bought again; it is new, so none of the turnover is
    // from clients that were not new.
    assert_eq!(
        ann.loyalty,
        Loyalty {
            active_clients: 1,
            repeat_clients: 1,
            turnover: 180_000,
            turnover_not_new: 0
        }
    );

    let bob = row(&t, "bob");
    assert_eq!(bob.new_clients, Some(2)); // C4, C6
    assert_eq!(bob.primary, tally(2, 950)); // C4 700, C6 250
    assert_eq!(bob.repeat, tally(1, 600)); // C3
    assert_eq!(bob.new_line, tally(1, 300)); // C4's second of the day
    assert_eq!(bob.refunds, tally(1, -100));
    assert_eq!(bob.turnover, 175_000);
    assert_eq!(bob.lost, Some(0)); // C3 was lost at F − 1, not at T
    assert_eq!(bob.restored, Some(1)); // C3
    // C4 converted; C6 was created after F; C3 had settlements.
    assert_eq!(
        bob.conversion,
        Some(Conversion {
            potential: 1,
            converted: 1
        })
    );
    assert_eq!(bob.contacts, Some(1));
    assert_eq!(bob.tasks_done, Some(0));
    assert_eq!(bob.complaints, 1);
    // C3, C4, C6 active; C3 repeated; C3's 600 − 100 is from a client that
    // was not new.
    assert_eq!(
        bob.loyalty,
        Loyalty {
            active_clients: 3,
            repeat_clients: 1,
            turnover: 175_000,
            turnover_not_new: 50_000
        }
    );
    assert!((bob.loyalty.repeat_percent().unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert!((bob.loyalty.not_new_percent().unwrap() - 50_000.0 * 100.0 / 175_000.0).abs() < 1e-9);

    let total = &t.total;
    assert_eq!(total.new_clients, Some(3));
    assert_eq!(total.primary, tally(3, 1950));
    assert_eq!(total.repeat, tally(2, 1100));
    assert_eq!(total.new_line, tally(2, 600));
    assert_eq!(total.refunds, tally(1, -100));
    assert_eq!(total.turnover, 355_000);
    assert_eq!((total.lost, total.restored), (Some(1), Some(1)));
    assert_eq!(
        total.conversion,
        Some(Conversion {
            potential: 3,
            converted: 2
        })
    );
    assert_eq!(total.conversion.unwrap().percent(), Some(200.0 / 3.0));
    assert_eq!(
        (total.contacts, total.tasks_done, total.complaints),
        (Some(2), Some(1), 1)
    );
    assert_eq!(total.loyalty.active_clients, 4);
    assert_eq!(total.loyalty.repeat_clients, 2);
    assert_eq!(total.loyalty.repeat_percent(), Some(50.0));
    assert_eq!(total.loyalty.turnover_not_new, 50_000);
}

#[test]
fn by_product_line_sales_split_by_line_and_client_figures_stay_in_the_total() {
    let t = Book::q3().table(GroupBy::Line);
    assert_eq!(
        t.rows.iter().map(|r| r.group.as_str()).collect::<Vec<_>>(),
        ["software", "support"]
    );
    let sw = row(&t, "software");
    assert_eq!(sw.primary, tally(3, 1950)); // C1 crm, C4 crm, C6 crm
    assert_eq!(sw.repeat, tally(1, 500)); // C1's add-on
    assert_eq!(sw.new_line, Tally::default());
    assert_eq!((sw.loyalty.active_clients, sw.loyalty.repeat_clients), (3, 1));
    assert_eq!(
        (sw.new_clients, sw.lost, sw.conversion, sw.contacts),
        (None, None, None, None)
    );
    let sup = row(&t, "support");
    assert_eq!(sup.new_line, tally(2, 600)); // C1, C4
    assert_eq!(sup.repeat, tally(1, 600)); // C3
    assert_eq!(sup.refunds, tally(1, -100));
    assert_eq!(sup.complaints, 1);
    assert_eq!((sup.loyalty.active_clients, sup.loyalty.repeat_clients), (3, 1));
    assert_eq!(t.total.new_clients, Some(3));
    assert_eq!(t.total.primary, tally(3, 1950));
}

#[test]
fn by_segment_and_the_catch_all_row() {
    let mut b = Book::q3();
    let t = b.table(GroupBy::Segment);
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0].group, "s");
    assert_eq!(t.rows[0].primary, t.total.primary);
    // A client with no manager shows in a row of its own.
    let orphan = ClientId(b.p.model.counters.client + 1);
    b.p.run(Command::AddClient {
        reference: "C7".into(),
        name: "Orphan".into(),
        segment: None,
        manager: None,
        created: d("2026-01-01"),
        notes: String::new(),
        tags: vec![],
    });
    b.pay(orphan, "2026-07-01", 10, None);
    let t = b.table(GroupBy::Manager);
    let none = row(&t, "(no manager)");
    assert_eq!((none.new_clients, none.primary), (Some(1), tally(1, 10)));
    assert_eq!(t.total.primary, tally(4, 1960));
}

#[test]
fn the_funnel_by_stage_and_reason() {
    let b = Book::q3();
    let f = funnel(&b.p.model, q3(), |_| true);
    let reached: Vec<(OfferStage, u32)> = f.reached.iter().map(|s| (s.stage, s.offers)).collect();
    use OfferStage::*;
    assert_eq!(
        reached,
        vec![
            (Presentation, 2), // C5 crm; C2 support (twice, counted once)
            (Proposal, 1),
            (Agreement, 1), // C5 support skipped the proposal
            (Invoiced, 0),
            (Delivery, 0),
            (Won, 1),
        ]
    );
    let refusals: Vec<(OfferStage, Option<RefusalReason>, u32)> =
        f.refusals.iter().map(|r| (r.stage, r.reason, r.count)).collect();
    assert_eq!(
        refusals,
        vec![
            (Presentation, None, 1),
            (Presentation, Some(RefusalReason::NoBudget), 1),
            (Proposal, Some(RefusalReason::Price), 1),
        ]
    );
    assert_eq!(f.refused, 3);
    assert_eq!(f.refused_at(Presentation), 2);
    // Only bob's clients: none of these offers.
    let bob = funnel(&b.p.model, q3(), |c| c.manager == Some(BOB));
    assert!(bob.reached.iter().all(|s| s.offers == 0) && bob.refused == 0);
    // A period that ends before the proposal sees only the presentations.
    let july_first_week = Period::new(d("2026-07-01"), d("2026-07-07")).unwrap();
    let early = funnel(&b.p.model, july_first_week, |_| true);
    assert_eq!(early.reached[0].offers, 2);
    assert_eq!(early.reached[1].offers, 0);
    assert_eq!(
        early.refusals,
        vec![RefusalCount {
            stage: Presentation,
            reason: None,
            count: 1
        }]
    );
}

#[test]
fn lost_and_restored_at_their_boundaries() {
    let mut b = Book::empty();
    // Last settlement 31 March: at F − 1 (30 June) it is in P0 = (30 March,
    // 30 June], so the client is lost inside the period.
    let lost_inside = b.client(ANN, "2025-01-01");
    b.pay(lost_inside, "2026-03-31", 10, Some(CRM));
    // Last settlement 30 March: already lost at F − 1.
    let lost_before = b.client(ANN, "2025-01-01");
    b.pay(lost_before, "2026-03-30", 10, Some(CRM));
    // Back exactly 3 months later: not "more than 3 months".
    let three = b.client(BOB, "2025-01-01");
    b.pay(three, "2026-04-20", 10, Some(CRM));
    b.pay(three, "2026-07-20", 10, Some(CRM));
    // One day more: restored.
    let more = b.client(BOB, "2025-01-01");
    b.pay(more, "2026-04-20", 10, Some(CRM));
    b.pay(more, "2026-07-21", 10, Some(CRM));
    // Its first settlement on F itself: new, and not potential at F.
    let on_f = b.client(BOB, "2025-01-01");
    b.pay(on_f, "2026-07-01", 10, Some(CRM));
    let t = b.table(GroupBy::Manager);
    assert_eq!(row(&t, "ann").lost, Some(1));
    assert_eq!(row(&t, "bob").restored, Some(1));
    assert_eq!(row(&t, "bob").new_clients, Some(1));
    assert_eq!(
        row(&t, "bob").conversion,
        Some(Conversion {
            potential: 0,
            converted: 0
        })
    );
    assert_eq!(t.total.conversion.unwrap().percent(), None);
}

#[test]
fn an_empty_book_has_zero_rows_and_no_shares() {
    let b = Book::empty();
    let t = b.table(GroupBy::Manager);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.total.loyalty.repeat_percent(), None);
    assert_eq!(t.total.loyalty.not_new_percent(), None);
    assert_eq!(t.total.turnover, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Classifying from the aggregates gives what classifying every
    /// settlement one by one gives.
    #[test]
    fn the_aggregate_path_agrees_with_settlement_by_settlement(
        pays in prop::collection::vec((0u32..3, 0i64..500, -2i64..5, 0u32..4), 1..40),
        from in 0i64..400,
        len in 0i64..200,
    ) {
        let mut b = Book::empty();
        for _ in 0..3 {
            b.client(ANN, "2025-01-01");
        }
        let start = d("2025-01-01");
        for (client, day, euros, product) in pays {
            let product = (product > 0).then_some(ProductId(product.min(3)));
            let date = start + chrono::Duration::days(day);
            b.pay(ClientId(client + 1), &date.to_string(), euros, product);
        }
        let from = start + chrono::Duration::days(from);
        let period = Period::new(from, from + chrono::Duration::days(len)).unwrap();
        let fast = b.sales(period);
        let mut exact = Vec::new();
        for client in b.p.model.clients.keys() {
            let list: Vec<Settlement> =
                b.p.settlements.values().filter(|s| s.client == *client).cloned().collect();
            super::sales::classify_exact(&b.p.model, period, list, &mut exact);
        }
        prop_assert_eq!(fast, exact);
    }
}
