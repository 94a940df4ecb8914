//! Property test for the class engine: after a random sequence of commands
//! the incrementally maintained classes equal a from-scratch computation,
//! and a naive reference written here straight from SPEC §4 (sharing no
//! code with the engine) agrees on every client.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use proptest::prelude::*;

use rapport::classes::{Abc, Engine, Status, Xyz, compute};
use rapport::domain::*;
use rapport::model::{Change, Model};
use rapport::write::{Command, Context, OfferMove};

const AS_OF: [&str; 6] = [
    "2026-03-31",
    "2024-02-29",
    "2026-06-15",
    "2025-12-31",
    "2026-01-31",
    "2026-05-01",
];

#[derive(Clone, Debug)]
enum Op {
    Settle {
        client: u8,
        days_back: i32,
        amount: i64,
        product: u8,
    },
    Edit {
        pick: u16,
        days_back: i32,
        amount: i64,
    },
    Delete {
        pick: u16,
    },
    Segment {
        client: u8,
        segment: u8,
    },
    Portrait {
        segment: u8,
        product: u8,
    },
    Offer {
        client: u8,
        product: u8,
        stage: u8,
    },
    AsOf {
        pick: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    // Round amounts make exact ABC boundaries, ties and equal months common.
    let amount = prop_oneof![1 => Just(0i64), 1 => -50_000i64..200_000, 1 => 1i64..1_000_000, 4 => (1i64..=5).prop_map(|k| k * 1000)];
    prop_oneof![
        6 => (0u8..8, -40i32..1000, amount.clone(), 0u8..4).prop_map(|(client, days_back, amount, product)| Op::Settle { client, days_back, amount, product }),
        1 => (any::<u16>(), -40i32..1000, amount).prop_map(|(pick, days_back, amount)| Op::Edit { pick, days_back, amount }),
        1 => any::<u16>().prop_map(|pick| Op::Delete { pick }),
        1 => (0u8..8, 0u8..3).prop_map(|(client, segment)| Op::Segment { client, segment }),
        1 => (0u8..2, 0u8..3).prop_map(|(segment, product)| Op::Portrait { segment, product }),
        2 => (0u8..8, 0u8..3, 0u8..9).prop_map(|(client, product, stage)| Op::Offer { client, product, stage }),
        1 => (0u8..6).prop_map(|pick| Op::AsOf { pick }),
    ]
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct World {
    model: Model,
    settlements: BTreeMap<(ClientId, SettlementId), Settlement>,
    seq: u64,
}

impl World {
    fn new() -> World {
        let mut w = World {
            model: Model::default(),
            settlements: BTreeMap::new(),
            seq: 0,
        };
        let mut setup = vec![
            Command::AddSegment {
                code: "s1".into(),
                name: "S1".into(),
                description: String::new(),
            },
            Command::AddSegment {
                code: "s2".into(),
                name: "S2".into(),
                description: String::new(),
            },
        ];
        for p in 0..3 {
            setup.push(Command::AddProduct {
                code: format!("p{p}"),
                name: format!("P{p}"),
                line: "l".into(),
            });
        }
        for c in 0..8 {
            setup.push(Command::AddClient {
                reference: format!("C{c}"),
                name: format!("c{c}"),
                segment: (c % 3 != 2).then_some(SegmentId(c % 2 + 1)),
                manager: None,
                created: d("2020-01-01"),
                notes: String::new(),
                tags: vec![],
            });
        }
        for cmd in setup {
            w.run(&cmd).expect("setup");
        }
        w
    }

    /// The store's path without the disk: plan against the model, apply.
    fn run(&mut self, cmd: &Command) -> Result<Vec<Change>, rapport::write::CommandError> {
        self.seq += 1;
        let settlements = &self.settlements;
        let lookup = |c: ClientId, id: SettlementId| Ok(settlements.get(&(c, id)).cloned());
        let contacts = |_: ClientId| Ok(Vec::new());
        let settled = |c: ClientId| Ok(settlements.values().filter(|s| s.client == c).cloned().collect());
        let ctx = Context {
            who: "t",
            seq: self.seq,
            settlement: &lookup,
            contacts: &contacts,
            settlements: &settled,
        };
        let changes = cmd.plan(&self.model, &ctx)?;
        for ch in &changes {
            self.model.apply(ch);
            if let Change::Settlement { old, new } = ch {
                if let Some(o) = old {
                    self.settlements.remove(&(o.client, o.id));
                }
                if let Some(n) = new {
                    self.settlements.insert((n.client, n.id), n.clone());
                }
            }
        }
        Ok(changes)
    }
}

/// What the reference says of one client.
#[derive(Debug, PartialEq)]
struct Expect {
    abc: Option<Abc>,
    xyz: Option<Option<Xyz>>, // None: too close to a threshold to judge in floats
    status: Status,
    maturity: Option<(u32, u32)>,
    turnover: i64,
}

/// SPEC §4, naively: every rule re-derived from the raw settlements.
fn reference(model: &Model, settlements: &[Settlement], as_of: NaiveDate) -> BTreeMap<ClientId, Expect> {
    let minus = |m: u32| as_of.checked_sub_months(Months::new(m)).unwrap();
    let w_start = minus(12);
    let mut out = BTreeMap::new();
    let mut turnovers = Vec::new();
    for c in model.clients.values() {
        let mine: Vec<&Settlement> = settlements
            .iter()
            .filter(|s| s.client == c.id && s.date <= as_of)
            .collect();
        let in_range = |lo: NaiveDate, hi: NaiveDate| mine.iter().filter(move |s| s.date > lo && s.date <= hi);
        let turnover: i64 = in_range(w_start, as_of).map(|s| s.amount.0).sum();
        let months: Vec<i64> = (0..12)
            .map(|i| in_range(minus(i + 1), minus(i)).map(|s| s.amount.0).sum())
            .collect();
        let first = mine.iter().map(|s| s.date).min();
        let p0 = in_range(minus(3), as_of).count() > 0;
        let p1 = in_range(minus(6), minus(3)).count() > 0;
        let before6 = mine.iter().any(|s| s.date <= minus(6));
        let status = match first {
            None => Status::Potential,
            Some(f) if f > minus(3) => Status::New,
            _ if p0 && p1 => Status::Regular,
            _ if p0 && !p1 && before6 => Status::Restored,
            _ => Status::Lost,
        };
        let mean = months.iter().sum::<i64>() as f64 / 12.0;
        let xyz = if status == Status::New || mean <= 0.0 {
            Some(None)
        } else {
            let sigma = (months.iter().map(|m| (*m as f64 - mean).powi(2)).sum::<f64>() / 12.0).sqrt();
            let cv = sigma / mean;
            if (cv - 0.10).abs() < 1e-9 || (cv - 0.25).abs() < 1e-9 {
                None
            } else if cv <= 0.10 {
                Some(Some(Xyz::X))
            } else if cv <= 0.25 {
                Some(Some(Xyz::Y))
            } else {
                Some(Some(Xyz::Z))
            }
        };
        let targets: Vec<ProductId> = match c.segment {
            Some(s) => model
                .portrait
                .iter()
                .filter(|(seg, _)| *seg == s)
                .map(|(_, p)| *p)
                .collect(),
            None => vec![],
        };
        let maturity = (!targets.is_empty()).then(|| {
            let used = targets
                .iter()
                .filter(|p| {
                    in_range(w_start, as_of).any(|s| s.product == Some(**p))
                        || model.offers.get(&(c.id, **p)).is_some_and(|o| {
                            matches!(
                                o.stage,
                                OfferStage::Agreement | OfferStage::Invoiced | OfferStage::Delivery | OfferStage::Won
                            )
                        })
                })
                .count() as u32;
            (used, targets.len() as u32)
        });
        if turnover > 0 {
            turnovers.push((turnover, c.id));
        }
        out.insert(
            c.id,
            Expect {
                abc: None,
                xyz,
                status,
                maturity,
                turnover,
            },
        );
    }
    turnovers.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total: i128 = turnovers.iter().map(|t| t.0 as i128).sum();
    let mut before = 0i128;
    for (t, id) in turnovers {
        let class = if before * 100 < total * 50 {
            Abc::A
        } else if before * 100 < total * 80 {
            Abc::B
        } else {
            Abc::C
        };
        out.get_mut(&id).unwrap().abc = Some(class);
        before += t as i128;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_scratch_equals_reference(ops in proptest::collection::vec(op(), 1..40)) {
        let mut world = World::new();
        let mut as_of = d(AS_OF[0]);
        let mut engine = Engine::new(&world.model, as_of);
        for op in ops {
            let cmd = match op {
                Op::Settle { client, days_back, amount, product } => Command::RecordSettlement {
                    client: ClientId(client as u32 + 1),
                    date: as_of - chrono::TimeDelta::days(days_back as i64),
                    amount: Money(amount),
                    product: (product < 3).then_some(ProductId(product as u32 + 1)),
                    doc: String::new(),
                },
                Op::Edit { .. } | Op::Delete { .. } if world.settlements.is_empty() => continue,
                Op::Edit { pick, days_back, amount } => {
                    let (&(client, id), s) = world.settlements.iter().nth(pick as usize % world.settlements.len()).unwrap();
                    Command::EditSettlement { client, id, expected_seq: None, date: as_of - chrono::TimeDelta::days(days_back as i64), amount: Money(amount), product: s.product, doc: String::new() }
                }
                Op::Delete { pick } => {
                    let (&(client, id), _) = world.settlements.iter().nth(pick as usize % world.settlements.len()).unwrap();
                    Command::DeleteSettlement { client, id, expected_seq: None }
                }
                Op::Segment { client, segment } => {
                    let c = &world.model.clients[&ClientId(client as u32 + 1)];
                    Command::EditClient { client: c.id, expected_version: Some(c.version), name: c.name.clone(), segment: (segment > 0).then_some(SegmentId(segment as u32)), manager: None, notes: String::new(), tags: vec![] }
                }
                Op::Portrait { segment, product } => {
                    let (s, p) = (SegmentId(segment as u32 + 1), ProductId(product as u32 + 1));
                    Command::SetPortrait { segment: s, product: p, target: !world.model.portrait.contains(&(s, p)) }
                }
                Op::Offer { client, product, stage } => {
                    let mut m = OfferMove::new(ClientId(client as u32 + 1), ProductId(product as u32 + 1), OfferStage::ALL[stage as usize], as_of);
                    m.note = "because".into();
                    m.reason = (m.to == OfferStage::Refused).then_some(RefusalReason::Price);
                    Command::MoveOffer(m)
                }
                Op::AsOf { pick } => {
                    as_of = d(AS_OF[pick as usize]);
                    engine.set_as_of(&world.model, as_of);
                    continue;
                }
            };
            if let Ok(changes) = world.run(&cmd) {
                engine.apply(&world.model, &changes);
            }
        }
        let scratch = compute(&world.model, as_of);
        prop_assert_eq!(engine.classes(), &scratch);
        let all: Vec<Settlement> = world.settlements.values().cloned().collect();
        let expected = reference(&world.model, &all, as_of);
        for c in &scratch.clients {
            let e = &expected[&c.client];
            prop_assert_eq!(c.abc, e.abc, "ABC of {}", c.client);
            prop_assert_eq!(c.status, e.status, "status of {}", c.client);
            prop_assert_eq!(c.turnover, e.turnover, "turnover of {}", c.client);
            prop_assert_eq!(c.maturity, e.maturity, "maturity of {}", c.client);
            if let Some(xyz) = e.xyz {
                prop_assert_eq!(c.xyz, xyz, "XYZ of {}", c.client);
            }
        }
    }
}
