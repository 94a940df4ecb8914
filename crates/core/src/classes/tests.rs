//! Hand-computed examples for every rule of SPEC §4 and its boundaries.

use super::*;
use crate::domain::*;
use crate::model::{Change, Model};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A model built change by change, like a remote session would.
struct Fx {
    model: Model,
    next_settlement: u64,
}

impl Fx {
    fn new() -> Fx {
        let mut model = Model::default();
        model.apply(&Change::Segment(Segment {
            id: SegmentId(1),
            code: "s".into(),
            name: "S".into(),
            description: String::new(),
            seq: 0,
        }));
        for p in 1..=3 {
            model.apply(&Change::Product(Product {
                id: ProductId(p),
                code: format!("p{p}"),
                name: format!("P{p}"),
                line: "l".into(),
                seq: 0,
            }));
        }
        Fx {
            model,
            next_settlement: 0,
        }
    }

    fn client(&mut self, id: u32) -> &mut Self {
        self.model.apply(&Change::Client(Client {
            id: ClientId(id),
            reference: format!("C{id}"),
            name: format!("Client {id}"),
            segment: Some(SegmentId(1)),
            manager: None,
            created: d("2020-01-01"),
            notes: String::new(),
            tags: vec![],
            version: 1,
            seq: 0,
        }));
        self
    }

    fn pay(&mut self, client: u32, date: &str, cents: i64) -> &mut Self {
        self.pay_product(client, date, cents, None)
    }

    fn pay_product(&mut self, client: u32, date: &str, cents: i64, product: Option<u32>) -> &mut Self {
        if !self.model.clients.contains_key(&ClientId(client)) {
            self.client(client);
        }
        self.next_settlement += 1;
        self.model.apply(&Change::Settlement {
            old: None,
            new: Some(Settlement {
                id: SettlementId(self.next_settlement),
                client: ClientId(client),
                date: d(date),
                amount: Money(cents),
                product: product.map(ProductId),
                doc: String::new(),
                seq: 0,
            }),
        });
        self
    }

    /// One settlement in each of the 12 buckets before `as_of` (bucket i
    /// gets amounts[i]), dated 1 day after the bucket's lower end.
    fn monthly(&mut self, client: u32, as_of: &str, amounts: [i64; 12]) -> &mut Self {
        for (i, a) in amounts.iter().enumerate() {
            let date = d(as_of).checked_sub_months(chrono::Months::new(i as u32)).unwrap();
            self.pay(client, &date.to_string(), *a);
        }
        self
    }

    fn classes(&self, as_of: &str) -> Classes {
        compute(&self.model, d(as_of))
    }
}

fn get(c: &Classes, id: u32) -> &ClientClasses {
    c.get(ClientId(id)).unwrap()
}

const D: &str = "2026-06-15";

#[test]
fn largest_client_is_a_even_at_70_percent() {
    let mut fx = Fx::new();
    fx.pay(1, "2026-06-01", 7000)
        .pay(2, "2026-06-01", 2000)
        .pay(3, "2026-06-01", 1000);
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).abc, Some(Abc::A));
    assert_eq!(get(&c, 2).abc, Some(Abc::B)); // 70 % before it: < 80
    assert_eq!(get(&c, 3).abc, Some(Abc::C)); // 90 % before it
    assert_eq!(c.totals.abc, [1, 1, 1, 0]);
}

#[test]
fn exact_boundaries_fall_to_the_lower_class() {
    // 50 / 30 / 20: the second has exactly 50 % before it (not < 50): B;
    // the third exactly 80 % (not < 80): C.
    let mut fx = Fx::new();
    fx.pay(1, "2026-06-01", 5000)
        .pay(2, "2026-06-01", 3000)
        .pay(3, "2026-06-01", 2000);
    let c = fx.classes(D);
    assert_eq!(
        [get(&c, 1).abc, get(&c, 2).abc, get(&c, 3).abc],
        [Some(Abc::A), Some(Abc::B), Some(Abc::C)]
    );
    // One cent less before the boundary keeps the higher class: the client
    // that crosses 50 % is still A.
    let mut fx = Fx::new();
    fx.pay(1, "2026-06-01", 4999)
        .pay(2, "2026-06-01", 3000)
        .pay(3, "2026-06-01", 2001);
    let c = fx.classes(D);
    assert_eq!(get(&c, 2).abc, Some(Abc::A));
    assert_eq!(get(&c, 3).abc, Some(Abc::B)); // 7999 before it of 10000
}

#[test]
fn ties_rank_by_client_id() {
    let mut fx = Fx::new();
    fx.pay(2, "2026-06-01", 5000).pay(1, "2026-06-01", 5000);
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).abc, Some(Abc::A));
    assert_eq!(get(&c, 2).abc, Some(Abc::B));
}

#[test]
fn refunds_and_non_positive_turnover_have_no_abc() {
    let mut fx = Fx::new();
    fx.pay(1, "2026-05-01", 1000).pay(1, "2026-06-01", -1500); // T = −5.00
    fx.pay(2, "2026-06-01", 0); // T = 0
    fx.pay(3, "2026-06-01", 100);
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).turnover, -500);
    assert_eq!(get(&c, 1).abc, None);
    assert_eq!(get(&c, 1).xyz, None); // mean ≤ 0
    assert_eq!(get(&c, 2).abc, None);
    assert_eq!(get(&c, 3).abc, Some(Abc::A));
    assert_eq!(c.totals.abc, [1, 0, 0, 2]);
}

#[test]
fn cv_exactly_ten_and_twenty_five_percent() {
    let mut fx = Fx::new();
    let alt = |a: i64, b: i64| std::array::from_fn::<i64, 12, _>(|i| if i % 2 == 0 { a } else { b });
    fx.client(9).pay(9, "2020-01-01", 1); // history so none is "new"
    for (id, (a, b)) in [
        (1, (9000, 11000)),
        (2, (7500, 12500)),
        (3, (8999, 11001)),
        (4, (7499, 12501)),
        (5, (10000, 10000)),
    ] {
        fx.pay(id, "2020-01-01", 0);
        fx.monthly(id, D, alt(a, b));
    }
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).xyz, Some(Xyz::X));
    assert_eq!(get(&c, 1).cv, Some(0.1));
    assert_eq!(get(&c, 2).xyz, Some(Xyz::Y));
    assert_eq!(get(&c, 2).cv, Some(0.25));
    assert_eq!(get(&c, 3).xyz, Some(Xyz::Y)); // CV 0.1001
    assert_eq!(get(&c, 4).xyz, Some(Xyz::Z)); // CV 0.2501
    assert_eq!(get(&c, 5).xyz, Some(Xyz::X));
    assert_eq!(get(&c, 5).cv, Some(0.0));
}

#[test]
fn empty_months_count_as_zero_in_sigma() {
    // One purchase of 1200 in 12 months: mean 100, σ = √((1100² + 11·100²)/12) = 331.66…
    let mut fx = Fx::new();
    fx.pay(1, "2020-01-01", 0).pay(1, "2026-06-10", 1200);
    let c = fx.classes(D);
    let cv = get(&c, 1).cv.unwrap();
    assert!((cv - 3.3166247903554).abs() < 1e-9, "{cv}");
    assert_eq!(get(&c, 1).xyz, Some(Xyz::Z));
}

#[test]
fn new_clients_have_abc_but_no_xyz() {
    let mut fx = Fx::new();
    fx.pay(1, "2026-05-01", 1000);
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).status, Status::New);
    assert_eq!(get(&c, 1).abc, Some(Abc::A));
    assert_eq!(get(&c, 1).xyz, None);
    assert_eq!(get(&c, 1).cv, None);
}

#[test]
fn settlements_after_as_of_are_ignored() {
    let mut fx = Fx::new();
    fx.pay(1, "2026-06-15", 100)
        .pay(1, "2026-06-16", 1_000_000)
        .pay(2, "2026-06-20", 5);
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).turnover, 100);
    assert_eq!(get(&c, 1).last_settlement, Some(d("2026-06-15")));
    assert_eq!(get(&c, 2).status, Status::Potential);
    assert_eq!(get(&c, 2).first_settlement, None);
}

#[test]
fn window_edges_and_end_of_month_clamping() {
    // D = 31 March 2026: B0 = (28 Feb, 31 Mar], B1 = (31 Jan, 28 Feb],
    // W = (31 Mar 2025, 31 Mar 2026].
    let w = Window::new(d("2026-03-31"), &Settings::default());
    assert_eq!(w.bounds[1], d("2026-02-28"));
    assert_eq!(w.bounds[2], d("2026-01-31"));
    assert_eq!(w.start(), d("2025-03-31"));
    let mut fx = Fx::new();
    fx.pay(1, "2025-03-31", 1_000_000) // on the open lower end: outside W
        .pay(1, "2025-04-01", 100)
        .pay(1, "2026-02-28", 10)
        .pay(1, "2026-03-01", 1);
    let c = fx.classes("2026-03-31");
    assert_eq!(get(&c, 1).turnover, 111);
    // Leap day as-of: 29 Feb 2024 − 12 months = 28 Feb 2023.
    let w = Window::new(d("2024-02-29"), &Settings::default());
    assert_eq!(w.start(), d("2023-02-28"));
    assert_eq!(w.bounds[1], d("2024-01-29"));
    let mut fx = Fx::new();
    fx.pay(1, "2023-02-28", 7)
        .pay(1, "2023-03-01", 3)
        .pay(1, "2024-02-29", 2);
    assert_eq!(get(&fx.classes("2024-02-29"), 1).turnover, 5);
}

#[test]
fn buckets_follow_the_rolling_months() {
    // D = 31 March: 28 Feb is in B1 and 1 March in B0; two months with
    // 100 each and ten empty ones give the same CV wherever they fall.
    let mut fx = Fx::new();
    fx.pay(1, "2020-01-01", 0)
        .pay(1, "2026-02-28", 100)
        .pay(1, "2026-03-01", 100);
    fx.pay(2, "2020-01-01", 0)
        .pay(2, "2026-03-01", 100)
        .pay(2, "2026-03-31", 100);
    let c = fx.classes("2026-03-31");
    // Client 1: two months of 100 → σ/mean = √(12·20000 − 200²)/200 = √5.
    assert!((get(&c, 1).cv.unwrap() - 5f64.sqrt()).abs() < 1e-12);
    // Client 2: one month of 200 → √(12·40000 − 200²)/200 = √11.
    assert!((get(&c, 2).cv.unwrap() - 11f64.sqrt()).abs() < 1e-12);
}

#[test]
fn the_five_statuses_and_their_edges() {
    // D = 15 June 2026: P0 = (15 Mar, 15 Jun], P1 = (15 Dec 2025, 15 Mar].
    let mut fx = Fx::new();
    fx.client(1); // potential
    fx.pay(2, "2026-03-16", 10); // new: first in P0
    fx.pay(3, "2026-01-10", 10).pay(3, "2026-05-01", 10); // regular
    fx.pay(4, "2025-10-01", 10).pay(4, "2026-05-01", 10); // restored
    fx.pay(5, "2025-10-01", 10).pay(5, "2026-02-01", 10); // lost
    // Edges: exactly D − 3 months lies in P1, not P0.
    fx.pay(6, "2026-03-15", 10); // first settlement on D − 3 m: lost, not new
    fx.pay(7, "2026-03-15", 10).pay(7, "2026-06-15", 10); // P1 and P0: regular
    // Exactly D − 6 months is before P1: back in P0 after it → restored.
    fx.pay(8, "2025-12-15", 10).pay(8, "2026-04-01", 10);
    // One day later it is inside P1 → regular.
    fx.pay(9, "2025-12-16", 10).pay(9, "2026-04-01", 10);
    // A zero-amount settlement counts for status, not for turnover.
    fx.pay(10, "2026-05-01", 0);
    let c = fx.classes(D);
    let st = |id| get(&c, id).status;
    assert_eq!(st(1), Status::Potential);
    assert_eq!(st(2), Status::New);
    assert_eq!(st(3), Status::Regular);
    assert_eq!(st(4), Status::Restored);
    assert_eq!(st(5), Status::Lost);
    assert_eq!(st(6), Status::Lost);
    assert_eq!(st(7), Status::Regular);
    assert_eq!(st(8), Status::Restored);
    assert_eq!(st(9), Status::Regular);
    assert_eq!(st(10), Status::New);
    assert_eq!(get(&c, 10).turnover, 0);
    assert_eq!(get(&c, 10).abc, None);
    assert_eq!(c.totals.status, [1, 2, 3, 2, 2]);
}

#[test]
fn maturity_counts_targets_used_by_settlement_or_late_offer() {
    let mut fx = Fx::new();
    for p in [1, 2, 3] {
        fx.model.apply(&Change::Portrait {
            segment: SegmentId(1),
            product: ProductId(p),
            target: true,
        });
    }
    fx.client(1);
    fx.pay_product(1, "2026-01-01", 10, Some(1)); // used: settled in W
    fx.pay_product(1, "2025-01-01", 10, Some(2)); // outside W: not by itself
    let offer =
        |product: u32, stage| Change::Offer(Offer::new(ClientId(1), ProductId(product), stage, d("2026-01-01")));
    fx.model.apply(&offer(3, OfferStage::Proposal));
    assert_eq!(get(&fx.classes(D), 1).maturity, Some((1, 3)));
    fx.model.apply(&offer(3, OfferStage::Agreement));
    assert_eq!(get(&fx.classes(D), 1).maturity, Some((2, 3)));
    fx.model.apply(&offer(2, OfferStage::Won));
    assert_eq!(get(&fx.classes(D), 1).maturity, Some((3, 3)));
    // A client without a segment (or a segment without targets) has none.
    fx.model.apply(&Change::Client(Client {
        segment: None,
        ..fx.model.clients[&ClientId(1)].clone()
    }));
    assert_eq!(get(&fx.classes(D), 1).maturity, None);
}

#[test]
fn cooperation_and_first_last_dates() {
    let mut fx = Fx::new();
    fx.pay(1, "2024-01-31", 1).pay(1, "2026-06-01", 1);
    let c = fx.classes("2026-02-28");
    // 31 Jan 2024 + 25 months = 28 Feb 2026 (clamped): 25 whole months.
    assert_eq!(get(&c, 1).cooperation_months, Some(25));
    assert_eq!(get(&c, 1).last_settlement, Some(d("2024-01-31")));
    let c = fx.classes(D);
    assert_eq!(get(&c, 1).first_settlement, Some(d("2024-01-31")));
    assert_eq!(get(&c, 1).cooperation_months, Some(28));
}

#[test]
fn thresholds_are_settings() {
    let mut fx = Fx::new();
    fx.pay(1, "2026-06-01", 6000).pay(2, "2026-06-01", 4000);
    assert_eq!(get(&fx.classes(D), 2).abc, Some(Abc::B));
    fx.model.apply(&Change::Settings(Settings {
        abc_a_percent: 70,
        ..Settings::default()
    }));
    assert_eq!(get(&fx.classes(D), 2).abc, Some(Abc::A));
    fx.model.apply(&Change::Settings(Settings {
        window_months: 1,
        ..Settings::default()
    }));
    fx.pay(3, "2026-05-14", 100_000); // outside a 1-month window
    assert_eq!(get(&fx.classes(D), 3).turnover, 0);
}

#[test]
fn grid_and_totals() {
    let mut fx = Fx::new();
    fx.client(9).pay(9, "2020-01-01", 0);
    for id in 1..=3 {
        fx.pay(id, "2020-01-01", 0);
        fx.monthly(id, D, [1000 * id as i64; 12]);
    }
    let c = fx.classes(D);
    // All X; ranks 3000/2000/1000 per month: A (0 %), B (50 % before: not < 50), C.
    assert_eq!(c.totals.grid, [[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]);
    assert_eq!(c.totals.xyz, [3, 0, 0, 1]);
    assert_eq!(c.totals.turnover, 12 * 6000);
    let filtered = Totals::of(&c, &[ClientId(1), ClientId(9)]);
    assert_eq!(filtered.clients, 2);
    assert_eq!(filtered.abc, [0, 0, 1, 1]);
}

#[test]
fn history_shows_transitions() {
    let mut fx = Fx::new();
    fx.pay(1, "2025-01-10", 1000);
    fx.pay(2, "2025-01-10", 500).pay(2, "2025-09-10", 5000);
    let h = history(&fx.model, d("2025-11-20"), 12);
    assert_eq!(h.len(), 12);
    assert_eq!(h[0].as_of, d("2024-11-30"));
    assert_eq!(h[11].as_of, d("2025-10-31"));
    let (points, transitions) = client_history(&h, ClientId(1));
    assert_eq!(points.len(), 12);
    let text: Vec<String> = transitions.iter().map(|t| t.to_string()).collect();
    assert!(text.contains(&"ABC –→A in 2025-01".to_string()), "{text:?}");
    // 5500 of 6500 ranked before it: 84.6 % ≥ 80 %, so straight to C.
    assert!(text.contains(&"ABC A→C in 2025-09".to_string()), "{text:?}");
    assert!(
        text.contains(&"status potential→new in 2025-01".to_string()),
        "{text:?}"
    );
    assert!(text.contains(&"status new→lost in 2025-04".to_string()), "{text:?}");
    assert_eq!(month_ends(d("2026-03-31"), 2), vec![d("2026-02-28"), d("2026-03-31")]);
}

#[test]
fn engine_follows_changes_incrementally() {
    let mut fx = Fx::new();
    fx.pay(1, "2026-06-01", 7000).pay(2, "2026-06-01", 3000);
    let mut engine = Engine::new(&fx.model, d(D));
    assert_eq!(engine.classes().get(ClientId(2)).unwrap().abc, Some(Abc::B));
    // A settlement for client 2 makes it A and pushes client 1 to B.
    let change = Change::Settlement {
        old: None,
        new: Some(Settlement {
            id: SettlementId(99),
            client: ClientId(2),
            date: d("2026-06-02"),
            amount: Money(10_000),
            product: None,
            doc: String::new(),
            seq: 0,
        }),
    };
    fx.model.apply(&change);
    engine.apply(&fx.model, std::slice::from_ref(&change));
    assert_eq!(engine.classes(), &compute(&fx.model, d(D)));
    assert_eq!(engine.classes().get(ClientId(1)).unwrap().abc, Some(Abc::B));
    engine.set_as_of(&fx.model, d("2026-01-01"));
    assert_eq!(engine.classes(), &compute(&fx.model, d("2026-01-01")));
}

#[test]
fn two_thread_split_equals_client_by_client() {
    // Above the parallel threshold the engine splits the portfolio; the
    // per-client path (used after edits) must agree with it exactly.
    let mut fx = Fx::new();
    fx.model.apply(&Change::Portrait {
        segment: SegmentId(1),
        product: ProductId(1),
        target: true,
    });
    let n = 25_000u32;
    for id in 1..=n {
        fx.client(id);
        let day = 1 + id % 28;
        let month = 1 + id % 12;
        fx.pay_product(
            id,
            &format!("2026-{month:02}-{day:02}"),
            (id % 97) as i64 * 100 - 500,
            Some(1 + id % 3),
        );
        if id % 3 == 0 {
            fx.pay(id, &format!("2025-{month:02}-{day:02}"), 1000);
        }
    }
    let parallel = Engine::new(&fx.model, d(D));
    let mut small = Fx::new();
    small.model.portrait = fx.model.portrait.clone();
    let mut one_by_one = Engine::new(&small.model, d(D));
    let changes: Vec<Change> = fx.model.clients.values().map(|c| Change::Client(c.clone())).collect();
    one_by_one.apply(&fx.model, &changes);
    assert_eq!(parallel.classes().clients.len(), n as usize);
    assert_eq!(parallel.classes(), one_by_one.classes());
}
