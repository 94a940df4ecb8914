//! Codec tests: every record kind round-trips, fixed byte samples pin the
//! format (a silent change fails here), and bad bytes give errors.

use super::*;
use crate::model::{ClientAggregate, Counters, DayTotal, ProductDay};
use chrono::{NaiveDate, NaiveDateTime};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn dt(s: &str) -> NaiveDateTime {
    s.parse().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sample_client() -> Client {
    Client {
        id: ClientId(7),
        reference: "C-7".into(),
        name: "Müller & Söhne".into(),
        segment: Some(SegmentId(2)),
        manager: None,
        created: d("2024-02-29"),
        notes: "n".into(),
        tags: vec!["vip".into()],
        version: 3,
        seq: 9,
    }
}

fn sample_offer() -> Offer {
    Offer {
        client: ClientId(7),
        product: ProductId(1),
        stage: OfferStage::Refused,
        stage_date: d("2026-02-25"),
        next_step: None,
        next_note: String::new(),
        expiry: Some(d("2026-03-01")),
        invoice_due: None,
        delivery: None,
        refusal: Some(Refusal {
            reason: RefusalReason::Price,
            at_stage: OfferStage::Proposal,
            retry: Some(d("2026-09-01")),
        }),
        history: vec![Transition {
            from: OfferStage::Proposal,
            to: OfferStage::Refused,
            date: d("2026-02-25"),
            who: "amy".into(),
            note: "".into(),
            seq: 4,
        }],
        version: 2,
        seq: 4,
    }
}

fn sample_ticket() -> Ticket {
    Ticket {
        id: TicketId(3),
        client: ClientId(7),
        product: Some(ProductId(1)),
        opened: d("2026-01-10"),
        source: TicketSource::Survey(SurveyId(5)),
        description: "late".into(),
        stage: TicketStage::Investigating,
        owner: Some(ManagerId(1)),
        cause: String::new(),
        action: String::new(),
        fix: String::new(),
        stage_due: Some(d("2026-01-15")),
        history: vec![TicketTransition {
            from: TicketStage::Registered,
            to: TicketStage::Investigating,
            date: d("2026-01-11"),
            who: "amy".into(),
            seq: 8,
        }],
        version: 2,
        seq: 8,
    }
}

/// One encoded sample of every record kind, named.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let e = |r: Result<Vec<u8>, CodecError>| r.unwrap();
    vec![
        (
            "db_info",
            e(encode(&DbInfo {
                app: "rapport".into(),
                created: dt("2026-01-02T03:04:05"),
            })),
        ),
        (
            "counters",
            e(encode(&Counters {
                seq: 300,
                client: 2,
                ..Counters::default()
            })),
        ),
        ("settings", e(encode(&Settings::default()))),
        (
            "manager",
            e(encode(&Manager {
                id: ManagerId(1),
                login: "amy".into(),
                name: "Amélie".into(),
                role: Role::Lead,
                seq: 1,
            })),
        ),
        (
            "segment",
            e(encode(&Segment {
                id: SegmentId(2),
                code: "retail".into(),
                name: "Retail".into(),
                description: String::new(),
                seq: 2,
            })),
        ),
        (
            "product",
            e(encode(&Product {
                id: ProductId(1),
                code: "crm".into(),
                name: "CRM".into(),
                line: "software".into(),
                seq: 3,
            })),
        ),
        (
            "portrait",
            e(encode(&PortraitEntry {
                segment: SegmentId(2),
                product: ProductId(1),
                seq: 4,
            })),
        ),
        ("client", e(encode(&sample_client()))),
        (
            "person",
            e(encode(&ContactPerson {
                id: PersonId(1),
                client: ClientId(7),
                name: "Zoë".into(),
                role: "CEO".into(),
                phone: "+33 1".into(),
                email: "z@x.fr".into(),
                birthday: Some(d("1980-02-29")),
                seq: 5,
            })),
        ),
        (
            "settlement",
            e(encode(&Settlement {
                id: SettlementId(11),
                client: ClientId(7),
                date: d("2026-03-31"),
                amount: Money(-123456),
                product: Some(ProductId(1)),
                doc: "INV-1".into(),
                seq: 6,
            })),
        ),
        (
            "aggregate",
            e(encode(&ClientAggregate {
                days: vec![DayTotal {
                    date: d("2026-03-31"),
                    amount: 500,
                    count: 2,
                }],
                product_days: vec![ProductDay {
                    product: ProductId(1),
                    date: d("2026-03-31"),
                    count: 1,
                }],
                last_contact: Some(dt("2026-04-01T09:30:00")),
                contacts: 1,
            })),
        ),
        ("offer", e(encode(&sample_offer()))),
        (
            "contact",
            e(encode(&ContactEntry {
                id: ContactId(1),
                client: ClientId(7),
                person: Some(PersonId(1)),
                at: dt("2026-04-01T09:30:00"),
                channel: Channel::Call,
                summary: "hi".into(),
                outcome: String::new(),
                next_contact: Some(d("2026-04-15")),
                who: "amy".into(),
                seq: 7,
            })),
        ),
        (
            "task",
            e(encode(&Task {
                id: TaskId(1),
                client: ClientId(7),
                due: d("2026-04-02"),
                text: "send deck".into(),
                done: None,
                who: "amy".into(),
                seq: 8,
            })),
        ),
        (
            "survey",
            e(encode(&Survey {
                id: SurveyId(5),
                client: ClientId(7),
                product: ProductId(1),
                date: d("2026-01-10"),
                scores: vec![5, 3, 4],
                ticket: Some(TicketId(3)),
                who: "amy".into(),
                seq: 9,
            })),
        ),
        ("ticket", e(encode(&sample_ticket()))),
        (
            "audit",
            e(encode(&AuditEntry {
                seq: 9,
                who: "amy".into(),
                at: dt("2026-01-10T08:00:00"),
                summary: "x".into(),
            })),
        ),
        (
            "questionnaire",
            e(encode(&Questionnaire {
                product: ProductId(2),
                questions: vec!["qualité".into()],
                seq: 11,
            })),
        ),
        (
            "change_log",
            e(encode(&crate::ChangeLog {
                seq: 12,
                changes: vec![crate::model::Change::Mark {
                    key: "task-3".into(),
                    mark: None,
                }],
            })),
        ),
        (
            "mark",
            e(encode(&QueueMark {
                key: "step-7-1".into(),
                due: d("2026-01-10"),
                state: MarkState::Snoozed(d("2026-01-12")),
                who: "amy".into(),
                seq: 10,
            })),
        ),
        (
            "template",
            e(encode(&rapport_core::templates::Template {
                kind: rapport_core::templates::DocKind::Offer,
                text: "Dear {{person.name}}".into(),
                seq: 12,
            })),
        ),
        (
            "archival",
            e(encode(&Archival {
                key: Archivable::Person(ClientId(7), PersonId(2)),
                on: d("2026-01-10"),
                who: "amy".into(),
                seq: 11,
            })),
        ),
        (
            "sales_document",
            e(encode(&SalesRecord::Document(Document {
                number: DocNumber {
                    kind: rapport_core::templates::DocKind::Offer,
                    year: 2026,
                    number: 42,
                },
                client: ClientId(7),
                product: ProductId(1),
                stage: OfferStage::Proposal,
                date: d("2026-01-10"),
                file: "/home/amy/OFF-2026-0042.txt".into(),
                text: "OFFER".into(),
                sent: Some(Sent {
                    date: d("2026-01-11"),
                    channel: Channel::Email,
                }),
                who: "amy".into(),
                seq: 13,
            }))),
        ),
        (
            "sales_terms",
            e(encode(&SalesRecord::Terms(OfferTerms {
                client: ClientId(7),
                product: ProductId(1),
                amend_by: None,
                invoice: Some(Money(100_000)),
                schedule: vec![Instalment {
                    amount: Money(100_000),
                    due: d("2026-02-01"),
                }],
                payments: vec![Payment {
                    settlement: SettlementId(3),
                    date: d("2026-01-20"),
                    amount: Money(-500),
                }],
                competitor: "Rival".into(),
                seq: 14,
            }))),
        ),
        (
            "sales_setup",
            e(encode(&SalesRecord::Setup(SalesSetup {
                sources: vec!["Referral".into()],
                competitors: vec!["Rival".into()],
                minutes_days: 2,
                seq: 15,
            }))),
        ),
        (
            "sales_view",
            e(encode(&SalesRecord::View(Box::new(SharedView {
                number: 1,
                name: "Brasseries".into(),
                tab: 0,
                filter: "brasserie".into(),
                manager: Some("amy".into()),
                sort: Some("Turnover".into()),
                descending: true,
                as_of: Some("today".into()),
                who: "lea".into(),
                seq: 17,
            })))),
        ),
        (
            "change_log_merge",
            e(encode(&crate::ChangeLog {
                seq: 16,
                changes: vec![
                    crate::model::Change::Merge(Box::new(MergeJournal {
                        into: ClientId(1),
                        from: ClientId(2),
                        undone: false,
                        clients: vec![sample_client()],
                        offers: vec![sample_offer()],
                        tickets: Vec::new(),
                        marks: vec![("cadence-2".into(), None)],
                        sales: vec![(SalesKey::Acquisition(ClientId(1)), None)],
                    })),
                    crate::model::Change::OfferRemoved(sample_offer()),
                    crate::model::Change::OfferWas {
                        client: ClientId(1),
                        product: ProductId(2),
                        offer: Some(sample_offer()),
                    },
                ],
            })),
        ),
    ]
}

/// The bytes schema 1 wrote (rapport before the trash). Every kind still
/// decodes from them to what it was (`schema_1_records_still_decode`).
const SCHEMA_1: &[(&str, &str)] = &[
    ("db_info", "525001000107726170706f7274fc4a6baed200d728a2b3"),
    ("counters", "5250020001fb2c010000000200000000000010240e8a"),
    (
        "settings",
        "525003000132500a19030c0e1e3c5a01050a14030770726f647563740e64656c69766572792073706565640d7061796d656e74207465726d736ddbc1cd",
    ),
    ("manager", "52500400010103616d7907416dc3a96c696501015713dd41"),
    ("segment", "5250050001020672657461696c0652657461696c0002f67735d1"),
    ("product", "5250060001010363726d0343524d08736f66747761726503cf4d20d9"),
    ("portrait", "5250070001020104e9bfb48e"),
    (
        "client",
        "52500800010703432d37104dc3bc6c6c657220262053c3b6686e65010200fc028d1600016e0103766970030967ea88cd",
    ),
    (
        "person",
        "52500900010107045a6fc3ab0343454f052b33332031067a40782e667201fc740f16000572166d22",
    ),
    (
        "settlement",
        "52500a00010b07fcf4921600fc7fc40300010105494e562d310695d5d5e9",
    ),
    (
        "aggregate",
        "52500b000101fcf4921600fbe803020101fcf49216000101fc30cb99d300012be5d7ff",
    ),
    (
        "offer",
        "52500c0001070107fcb0921600000001fcb8921600000001000201fc28941600010207fcb092160003616d7900040204042c4376",
    ),
    (
        "contact",
        "52500d000101070101fc30cb99d300000268690001fc1293160003616d7907da034e96",
    ),
    (
        "task",
        "52500e00010107fcf89216000973656e64206465636b0003616d790823f60e69",
    ),
    ("survey", "52500f0001050701fc5492160003050304010303616d790917e03fae"),
    (
        "ticket",
        "525010000103070101fc549216000105046c61746501010100000001fc5e921600010001fc5692160003616d79080208b8aa6dec",
    ),
    ("audit", "52501100010903616d79fc000ec4d2000178353dc6db"),
    ("questionnaire", "52501400010201087175616c6974c3a90be8696341"),
    ("change_log", "52501600010c010e067461736b2d33008e5f2060"),
    (
        "mark",
        "525013000108737465702d372d31fc5492160001fc5892160003616d790ae8d2885e",
    ),
];

/// The pinned bytes. If this fails after a deliberate change to a record,
/// bump `SCHEMA_VERSION` (and keep reading the previous one), then renew
/// the samples.
const EXPECTED: &[(&str, &str)] = &[
    ("db_info", "525001000507726170706f7274fc4a6baed2005d54c7d0"),
    ("counters", "5250020005fb2c010000000200000000000009888191"),
    (
        "settings",
        "525003000532500a19030c0e1e3c5a01050a14030770726f647563740e64656c69766572792073706565640d7061796d656e74207465726d734dc80688",
    ),
    ("manager", "52500400050103616d7907416dc3a96c69650101832291c6"),
    ("segment", "5250050005020672657461696c0652657461696c0002fddfe2d7"),
    ("product", "5250060005010363726d0343524d08736f6674776172650381a0cb80"),
    ("portrait", "525007000502010466dd23d9"),
    (
        "client",
        "52500800050703432d37104dc3bc6c6c657220262053c3b6686e65010200fc028d1600016e01037669700309b76bcb12",
    ),
    (
        "person",
        "52500900050107045a6fc3ab0343454f052b33332031067a40782e667201fc740f160005039c7708",
    ),
    (
        "settlement",
        "52500a00050b07fcf4921600fc7fc40300010105494e562d3106c97446e9",
    ),
    (
        "aggregate",
        "52500b000501fcf4921600fbe803020101fcf49216000101fc30cb99d300014aa4bcba",
    ),
    (
        "offer",
        "52500c0005070107fcb0921600000001fcb8921600000001000201fc28941600010207fcb092160003616d7900040204ac8ca2fe",
    ),
    (
        "contact",
        "52500d000501070101fc30cb99d300000268690001fc1293160003616d7907bb4225d3",
    ),
    (
        "task",
        "52500e00050107fcf89216000973656e64206465636b0003616d79084af09036",
    ),
    ("survey", "52500f0005050701fc5492160003050304010303616d7909590dd4f7"),
    (
        "ticket",
        "525010000503070101fc549216000105046c61746501010100000001fc5e921600010001fc5692160003616d79080208100a8c64",
    ),
    ("audit", "52501100050903616d79fc000ec4d20001782c9149c0"),
    ("questionnaire", "52501400050201087175616c6974c3a90b28d009d7"),
    ("change_log", "52501600050c010e067461736b2d33008d591b1f"),
    (
        "mark",
        "525013000508737465702d372d31fc5492160001fc5892160003616d790ac2461e80",
    ),
    (
        "template",
        "52501a0005011444656172207b7b706572736f6e2e6e616d657d7d0c30efdf89",
    ),
    ("archival", "5250190005010702fc5492160003616d790b53146c3e"),
    (
        "sales_document",
        "52501b00050001fbd40f2a070102fc549216001b2f686f6d652f616d792f4f46462d323032362d303034322e747874054f4646455201fc569216000203616d790d2924402c",
    ),
    (
        "sales_terms",
        "52501b00050107010001fc400d030001fc400d0300fc809216000103fc68921600fbe70305526976616c0e9a6ad5bf",
    ),
    (
        "sales_setup",
        "52501b0005030108526566657272616c0105526976616c020f79844a7c",
    ),
    (
        "sales_view",
        "52501b000504010a4272617373657269657300096272617373657269650103616d7901085475726e6f766572010105746f646179036c6561113cb4d85d",
    ),
    (
        "change_log_merge",
        "5250160005100318010200010703432d37104dc3bc6c6c657220262053c3b6686e65010200fc028d1600016e0103766970030901070107fcb0921600000001fcb8921600000001000201fc28941600010207fcb092160003616d7900040204000109636164656e63652d32000102010017070107fcb0921600000001fcb8921600000001000201fc28941600010207fcb092160003616d790004020419010201070107fcb0921600000001fcb8921600000001000201fc28941600010207fcb092160003616d790004020429d484e2",
    ),
];

/// The bytes schema 4 wrote (before merges). Every kind still decodes
/// from them to what it is now (`schema_4_records_still_decode`).
const SCHEMA_4: &[(&str, &str)] = &[
    ("db_info", "525001000407726170706f7274fc4a6baed200e4af1c38"),
    ("counters", "5250020004fb2c0100000002000000000000948760e7"),
    (
        "settings",
        "525003000432500a19030c0e1e3c5a01050a14030770726f647563740e64656c69766572792073706565640d7061796d656e74207465726d733310b6c9",
    ),
    ("manager", "52500400040103616d7907416dc3a96c696501012d4a0057"),
    ("segment", "5250050004020672657461696c0652657461696c0002128d5436"),
    ("product", "5250060004010363726d0343524d08736f66747761726503e4c7f0c6"),
    ("portrait", "5250070004020104de6144bc"),
    (
        "client",
        "52500800040703432d37104dc3bc6c6c657220262053c3b6686e65010200fc028d1600016e01037669700309182f5955",
    ),
    (
        "person",
        "52500900040107045a6fc3ab0343454f052b33332031067a40782e667201fc740f160005f24672a2",
    ),
    (
        "settlement",
        "52500a00040b07fcf4921600fc7fc40300010105494e562d3106de5c2229",
    ),
    (
        "aggregate",
        "52500b000401fcf4921600fbe803020101fcf49216000101fc30cb99d300012428a7fb",
    ),
    (
        "offer",
        "52500c0004070107fcb0921600000001fcb8921600000001000201fc28941600010207fcb092160003616d790004020486a49a9c",
    ),
    (
        "contact",
        "52500d000401070101fc30cb99d300000268690001fc1293160003616d7907d5ce3e92",
    ),
    (
        "task",
        "52500e00040107fcf89216000973656e64206465636b0003616d7908cbd5f511",
    ),
    ("survey", "52500f0004050701fc5492160003050304010303616d79093c6aefb1"),
    (
        "ticket",
        "525010000403070101fc549216000105046c61746501010100000001fc5e921600010001fc5692160003616d790802083a22b406",
    ),
    ("audit", "52501100040903616d79fc000ec4d2000178b19ea8b6"),
    ("questionnaire", "52501400040201087175616c6974c3a90bf546d052"),
    ("change_log", "52501600040c010e067461736b2d330016fc5770"),
    (
        "mark",
        "525013000408737465702d372d31fc5492160001fc5892160003616d790a255bb817",
    ),
    (
        "template",
        "52501a0004011444656172207b7b706572736f6e2e6e616d657d7d0cb1cabaae",
    ),
    ("archival", "5250190004010702fc5492160003616d790bce1b8d48"),
    (
        "sales_document",
        "52501b00040001fbd40f2a070102fc549216001b2f686f6d652f616d792f4f46462d323032362d303034322e747874054f4646455201fc569216000203616d790d54e90d13",
    ),
    (
        "sales_terms",
        "52501b00040107010001fc400d030001fc400d0300fc809216000103fc68921600fbe70305526976616c0ed4e3de16",
    ),
    (
        "sales_setup",
        "52501b0004030108526566657272616c0105526976616c020fe65ec9e2",
    ),
];

#[test]
fn fixed_byte_samples() {
    let actual = samples();
    let mut report = String::new();
    for (name, bytes) in &actual {
        let want = EXPECTED.iter().find(|(n, _)| n == name).map(|(_, h)| *h);
        let got = hex(bytes);
        if want != Some(got.as_str()) {
            report.push_str(&format!("    (\"{name}\", \"{got}\"),\n"));
        }
    }
    assert!(report.is_empty(), "record bytes changed:\n{report}");
    assert_eq!(EXPECTED.len(), actual.len());
}

/// A schema-1 record is read as it was: the same payload under the older
/// version number (schema 2 appended record kinds and `Change` variants and
/// changed no shape), and a value of its kind comes out of it.
#[test]
fn schema_1_records_still_decode() {
    let now = samples();
    for (name, old) in SCHEMA_1 {
        let old = unhex(old);
        let (_, new) = now.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(u16::from_be_bytes([old[3], old[4]]), 1, "{name}");
        let kind = new[2];
        let kind = [
            RecordKind::DbInfo,
            RecordKind::Counters,
            RecordKind::Settings,
            RecordKind::Manager,
            RecordKind::Segment,
            RecordKind::Product,
            RecordKind::Portrait,
            RecordKind::Client,
            RecordKind::Person,
            RecordKind::Settlement,
            RecordKind::Aggregate,
            RecordKind::Offer,
            RecordKind::Contact,
            RecordKind::Task,
            RecordKind::Survey,
            RecordKind::Ticket,
            RecordKind::Audit,
            RecordKind::Mark,
            RecordKind::Questionnaire,
            RecordKind::ChangeLog,
        ]
        .into_iter()
        .find(|k| *k as u8 == kind)
        .unwrap();
        let payload = open_envelope(&old, kind).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(payload, &new[5..new.len() - 4], "{name}");
    }
    let client = SCHEMA_1.iter().find(|(n, _)| *n == "client").unwrap().1;
    assert_eq!(decode::<Client>(&unhex(client)).unwrap(), sample_client());
    let log = SCHEMA_1.iter().find(|(n, _)| *n == "change_log").unwrap().1;
    assert_eq!(decode::<crate::ChangeLog>(&unhex(log)).unwrap().seq, 12);
}

/// A schema-4 record is read as it was: schema 5 appended `Change`
/// variants only, so each payload is the same under the older version.
#[test]
fn schema_4_records_still_decode() {
    let now = samples();
    for (name, old) in SCHEMA_4 {
        let old = unhex(old);
        let (_, new) = now.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(u16::from_be_bytes([old[3], old[4]]), 4, "{name}");
        assert_eq!(old[2], new[2], "{name}: the kind");
        assert_eq!(&old[5..old.len() - 4], &new[5..new.len() - 4], "{name}");
    }
    let client = SCHEMA_4.iter().find(|(n, _)| *n == "client").unwrap().1;
    assert_eq!(decode::<Client>(&unhex(client)).unwrap(), sample_client());
    let log = SCHEMA_4.iter().find(|(n, _)| *n == "change_log").unwrap().1;
    assert_eq!(decode::<crate::ChangeLog>(&unhex(log)).unwrap().seq, 12);
}

/// A schema-1 snapshot is not read (its model has no trash): the records
/// are, instead.
#[test]
fn a_schema_1_snapshot_is_refused() {
    let m = crate::model::Model::default();
    let mut bytes = encode_snapshot(&SnapshotRef {
        created: dt("2026-01-02T03:04:05"),
        seq: 0,
        model: &m,
    })
    .unwrap();
    bytes[4] = 1;
    let n = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(decode_snapshot(&bytes), Err(CodecError::UnknownVersion(1))));
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn round_trip<R: Record + PartialEq + std::fmt::Debug>(r: R) {
    let bytes = encode(&r).unwrap();
    assert_eq!(decode::<R>(&bytes).unwrap(), r);
}

#[test]
fn every_kind_round_trips() {
    round_trip(sample_client());
    round_trip(sample_offer());
    round_trip(sample_ticket());
    for state in [
        MarkState::Done,
        MarkState::Snoozed(NaiveDate::MAX),
        MarkState::NextContact(NaiveDate::MIN),
    ] {
        round_trip(QueueMark {
            key: "cadence-1".into(),
            due: d("2026-02-28"),
            state,
            who: Login::default(),
            seq: 1,
        });
    }
    round_trip(Settings::default());
    round_trip(Counters {
        seq: u64::MAX,
        ..Counters::default()
    });
    round_trip(Settlement {
        id: SettlementId(u64::MAX),
        client: ClientId(u32::MAX),
        date: NaiveDate::MIN,
        amount: Money(i64::MIN),
        product: None,
        doc: "é".repeat(100),
        seq: 0,
    });
    // Every sample decodes as its own kind and no other.
    for (name, bytes) in samples() {
        assert_eq!(&bytes[..2], b"RP", "{name}");
        assert!(decode::<Client>(&bytes).is_ok() == (name == "client"), "{name}");
    }
}

#[test]
fn truncated_bytes_are_errors() {
    let bytes = encode(&sample_offer()).unwrap();
    for len in 0..bytes.len() {
        assert!(decode::<Offer>(&bytes[..len]).is_err(), "prefix of {len} bytes decoded");
    }
}

#[test]
fn corruption_is_detected() {
    let bytes = encode(&sample_client()).unwrap();
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            assert!(decode::<Client>(&b).is_err(), "flip {flip:#x} at {i} went unnoticed");
        }
    }
}

#[test]
fn future_version_and_trailing_bytes_are_errors() {
    let bytes = encode(&sample_client()).unwrap();
    let mut future = bytes[..bytes.len() - 4].to_vec();
    future[3..5].copy_from_slice(&(SCHEMA_VERSION + 1).to_be_bytes());
    let crc = crc32fast::hash(&future);
    future.extend_from_slice(&crc.to_be_bytes());
    assert_eq!(
        decode::<Client>(&future),
        Err(CodecError::UnknownVersion(SCHEMA_VERSION + 1))
    );

    let mut trailing = bytes[..bytes.len() - 4].to_vec();
    trailing.push(0);
    let crc = crc32fast::hash(&trailing);
    trailing.extend_from_slice(&crc.to_be_bytes());
    assert_eq!(decode::<Client>(&trailing), Err(CodecError::TrailingBytes(1)));

    let wrong = encode(&sample_ticket()).unwrap();
    assert!(matches!(decode::<Client>(&wrong), Err(CodecError::WrongKind { .. })));
    assert_eq!(decode::<Client>(b"XXXXXXXXXXXX"), Err(CodecError::BadMagic));
}

#[test]
fn huge_length_prefix_inside_payload_is_an_error_not_an_allocation() {
    // A valid envelope around a payload that claims a 2^60-byte string.
    let mut body = b"RP".to_vec();
    body.push(RecordKind::Audit as u8);
    body.extend_from_slice(&SCHEMA_VERSION.to_be_bytes());
    body.push(9); // seq
    body.push(0xfd); // varint u64 marker: a length of 2^60
    body.extend_from_slice(&(1u64 << 60).to_le_bytes());
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_be_bytes());
    assert!(matches!(decode::<AuditEntry>(&body), Err(CodecError::Payload(_))));
}

mod snapshot {
    use super::*;
    use crate::model::{Change, Model};

    fn model() -> Model {
        let mut m = Model::default();
        m.apply(&Change::Client(sample_client()));
        m.apply(&Change::Offer(sample_offer()));
        m.counters.seq = 12;
        m
    }

    fn encoded(m: &Model) -> Vec<u8> {
        encode_snapshot(&SnapshotRef {
            created: dt("2026-11-22T08:00:00"),
            seq: 12,
            model: m,
        })
        .unwrap()
    }

    #[test]
    fn both_halves_come_back_with_the_lookups() {
        let m = model();
        let s = decode_snapshot(&encoded(&m)).unwrap();
        assert_eq!((s.created, s.seq), (dt("2026-11-22T08:00:00"), 12));
        assert_eq!(s.model, m);
        assert_eq!(s.model.client_by_ref("C-7").map(|c| c.id), Some(ClientId(7)));
    }

    /// Large maps are decoded into full B-tree nodes (`halves::packed`):
    /// many nodes deep, every entry comes back, in order, with lookups.
    #[test]
    fn large_maps_come_back_whole() {
        let mut m = Model::default();
        for c in 1..=2_000u32 {
            m.apply(&Change::Client(Client {
                id: ClientId(c),
                reference: format!("C-{c}"),
                ..sample_client()
            }));
            for p in 1..=3 {
                m.apply(&Change::Offer(Offer {
                    client: ClientId(c),
                    product: ProductId(p),
                    ..sample_offer()
                }));
            }
        }
        m.counters.seq = 12;
        let s = decode_snapshot(&encoded(&m)).unwrap();
        assert_eq!(s.model, m);
        assert_eq!(s.model.offers.len(), 6_000);
        assert_eq!(s.model.offers_of(ClientId(1_234)).count(), 3);
        assert_eq!(s.model.client_by_ref("C-1999").map(|c| c.id), Some(ClientId(1_999)));
    }

    /// A writer that takes at most 7 bytes a call, as a file may.
    struct Trickle(Vec<u8>);

    impl std::io::Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `save_snapshot` writes as it encodes is the snapshot's bytes,
    /// checksum included, even through short writes.
    #[test]
    fn a_snapshot_written_as_encoded_is_the_same_bytes() {
        let mut m = model();
        for c in 8..=300u32 {
            m.apply(&Change::Client(Client {
                id: ClientId(c),
                reference: format!("C-{c}"),
                ..sample_client()
            }));
        }
        let mut out = Trickle(Vec::new());
        let s = SnapshotRef {
            created: dt("2026-11-22T08:00:00"),
            seq: 12,
            model: &m,
        };
        write_snapshot(&s, &mut out).unwrap();
        assert_eq!(out.0, encoded(&m));
        assert_eq!(decode_snapshot(&out.0).unwrap().model, m);
    }

    /// Re-seals `payload` so the checksum passes and the halves' framing
    /// itself is what gets tested.
    fn sealed(payload: Vec<u8>) -> Vec<u8> {
        envelope(RecordKind::Snapshot, payload)
    }

    #[test]
    fn bad_framing_is_an_error_never_a_panic() {
        let bytes = encoded(&model());
        let payload = bytes[HEADER..bytes.len() - TRAILER].to_vec();
        // The first half's length pointing past the end.
        let mut long = encode_whole(&(dt("2026-11-22T08:00:00"), 12u64, u64::MAX)).unwrap();
        long.extend_from_slice(&payload[payload.len() - 10..]);
        assert!(decode_snapshot(&sealed(long)).is_err());
        // Every truncation of the payload.
        for cut in 0..payload.len() {
            assert!(
                decode_snapshot(&sealed(payload[..cut].to_vec())).is_err(),
                "cut at {cut}"
            );
        }
        // An older single-payload snapshot (kind 18) is not read as this one.
        let mut old = bytes[..bytes.len() - TRAILER].to_vec();
        old[MAGIC.len()] = 18;
        let crc = crc32fast::hash(&old);
        old.extend_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            decode_snapshot(&old),
            Err(CodecError::WrongKind { found: 18, .. })
        ));
    }
}

/// Found by the `snapshot_decoder` fuzz target: a checksummed snapshot
/// whose header claims a 2 GB string. The limit follows the input size,
/// so this is a quick error, not a 2 GB allocation.
#[test]
fn a_snapshot_claiming_gigabytes_is_refused_without_allocating_them() {
    let payload = include_bytes!("../tests/data/snapshot-huge-string.bin");
    let sealed = envelope(RecordKind::Snapshot, payload.to_vec());
    assert!(matches!(decode_snapshot(&sealed), Err(CodecError::Payload(_))));
}
