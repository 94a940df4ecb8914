//! The store on a real database: validation leaves it unchanged and
//! reopening gives the same model (on sled in a temp dir and on
//! PostgreSQL); the audit trail, opening safely, the snapshot file and
//! durability under SIGKILL (sled's own; PostgreSQL's are in
//! `crates/pg/tests` and `tests/backends.rs`).

mod common;

use common::*;
use rapport::backend::{Backend, BackendError};
use rapport::domain::*;
use rapport::store::{OpenError, Store};
use rapport::write::{Command, CommandError, OfferMove, TicketAdvance};

fn settle(client: u32, date: &str, cents: i64) -> Command {
    Command::RecordSettlement {
        client: ClientId(client),
        date: d(date),
        amount: Money(cents),
        product: Some(ProductId(1)),
        doc: String::new(),
    }
}

fn assert_refused(store: &mut dyn Backend, cmd: Command) -> CommandError {
    let before = store.model().clone();
    let err = match store.execute("amy", cmd) {
        Err(BackendError::Command(e)) => e,
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert_eq!(store.model(), &before, "a refused command changed the model");
    err
}

on_both! {
fn validation_errors_change_nothing_in_memory_or_on_disk(kind) {
    let Some(book) = Book::on(kind) else { return };
    let mut store = book.open();
    store.execute("amy", settle(1, "2026-01-05", 1000)).unwrap();
    let before = store.model().clone();

    let e = assert_refused(store.as_mut(), settle(99, "2026-01-05", 1000));
    assert!(e.to_string().contains("client #99 not found"), "{e}");
    let mut back = OfferMove::new(ClientId(1), ProductId(1), OfferStage::Agreement, d("2026-01-01"));
    store.execute("amy", Command::MoveOffer(back.clone())).unwrap();
    let before_move = store.model().clone();
    back.to = OfferStage::Presentation;
    let e = assert_refused(store.as_mut(), Command::MoveOffer(back.clone()));
    assert!(e.to_string().contains("needs a note"), "{e}");
    let e = assert_refused(store.as_mut(), settle(1, "1066-10-14", 5));
    assert!(e.to_string().contains("outside the years"), "{e}");
    let e = assert_refused(
        store.as_mut(),
        Command::AddClient {
            reference: "C1".into(),
            name: "dup".into(),
            segment: None,
            manager: None,
            created: d("2026-01-01"),
            notes: String::new(),
            tags: vec![],
        },
    );
    assert!(matches!(e, CommandError::AlreadyExists(_)));
    // A batch failing at its second command leaves nothing of the first.
    let e = assert_refused(
        store.as_mut(),
        Command::Batch {
            label: "t".into(),
            commands: vec![settle(1, "2026-02-01", 7), settle(42, "2026-02-01", 7)],
        },
    );
    assert!(matches!(e, CommandError::InBatch { index: 1, .. }), "{e:?}");
    assert_eq!(store.model(), &before_move);
    drop(store);
    let mut reopened = book.open();
    assert_eq!(reopened.model(), &before_move);
    assert_eq!(reopened.settlements_of(ClientId(1)).unwrap().len(), 1);
    assert_ne!(&before, &before_move);
}
}

on_both! {
fn stale_offer_edit_is_refused(kind) {
    let Some(book) = Book::on(kind) else { return };
    let mut store = book.open();
    let mut m = OfferMove::new(ClientId(1), ProductId(1), OfferStage::Presentation, d("2026-01-01"));
    m.expected_version = Some(0);
    store.execute("amy", Command::MoveOffer(m.clone())).unwrap();
    // A second session still believes there is no offer.
    m.to = OfferStage::Proposal;
    let e = assert_refused(store.as_mut(), Command::MoveOffer(m.clone()));
    assert!(
        matches!(
            e,
            CommandError::Stale {
                expected: 0,
                current: 1,
                ..
            }
        ),
        "{e:?}"
    );
    m.expected_version = Some(1);
    store.execute("amy", Command::MoveOffer(m)).unwrap();
    let offer = &store.model().offers[&(ClientId(1), ProductId(1))];
    assert_eq!(offer.version, 2);
    assert_eq!(offer.history.len(), 2);
    assert_eq!(offer.history[1].from, OfferStage::Presentation);
}
}

on_both! {
fn every_kind_of_command_survives_a_reopen(kind) {
    let Some(book) = Book::on(kind) else { return };
    let mut store = book.open();
    let cmds = vec![
        Command::AddPerson {
            client: ClientId(1),
            name: "Zoë Brontë".into(),
            role: "CEO".into(),
            phone: String::new(),
            email: "z@example.com".into(),
            birthday: Some(d("1980-02-29")),
        },
        settle(1, "2026-01-05", 120_000),
        settle(1, "2026-01-05", -20_000),
        settle(2, "2025-06-30", 0),
        Command::EditSettlement {
            client: ClientId(2),
            id: SettlementId(3),
            expected_seq: None,
            date: d("2025-07-01"),
            amount: Money(500),
            product: None,
            doc: "X".into(),
        },
        Command::DeleteSettlement {
            client: ClientId(1),
            id: SettlementId(2),
            expected_seq: None,
        },
        Command::MoveOffer(OfferMove::new(
            ClientId(1),
            ProductId(2),
            OfferStage::Won,
            d("2026-01-10"),
        )),
        Command::LogContact {
            client: ClientId(1),
            person: Some(PersonId(1)),
            at: "2026-01-11T10:00:00".parse().unwrap(),
            channel: Channel::Call,
            summary: "Renewal".into(),
            outcome: "ok".into(),
            next_contact: Some(d("2026-02-01")),
        },
        Command::AddTask {
            client: ClientId(2),
            due: d("2026-01-20"),
            text: "Send deck".into(),
        },
        Command::CompleteTask {
            task: TaskId(1),
            date: d("2026-01-19"),
        },
        Command::RecordSurvey {
            client: ClientId(1),
            product: ProductId(2),
            date: d("2026-01-17"),
            scores: vec![5, 3, 4],
        },
        Command::OpenTicket {
            client: ClientId(2),
            product: None,
            date: d("2026-01-12"),
            text: "Late delivery".into(),
        },
        Command::AdvanceTicket(TicketAdvance {
            ticket: TicketId(2),
            expected_version: Some(1),
            date: d("2026-01-13"),
            owner: Some(ManagerId(1)),
            cause: None,
            action: None,
            fix: None,
        }),
        Command::EditClient {
            client: ClientId(2),
            expected_version: Some(1),
            name: "SG".into(),
            segment: None,
            manager: Some(ManagerId(2)),
            notes: "moved".into(),
            tags: vec!["vip".into()],
        },
        Command::SetPortrait {
            segment: SegmentId(1),
            product: ProductId(2),
            target: false,
        },
        Command::UpdateSettings(Settings {
            abc_a_percent: 60,
            ..Settings::default()
        }),
    ];
    for c in cmds {
        store.execute("amy", c).unwrap();
    }
    let m = store.model();
    assert_eq!(m.aggregates[&ClientId(1)].days.len(), 1);
    assert_eq!(m.aggregates[&ClientId(1)].days[0].amount, 120_000);
    assert_eq!(m.aggregates[&ClientId(2)].days[0].date, d("2025-07-01"));
    assert_eq!(m.aggregates[&ClientId(1)].contacts, 1);
    // The survey scored 3: it opened ticket #1 by itself.
    assert_eq!(m.surveys[&SurveyId(1)].ticket, Some(TicketId(1)));
    assert_eq!(m.tickets[&TicketId(2)].stage, TicketStage::Investigating);
    let before = m.clone();
    drop(store);
    let mut store = book.open();
    assert_eq!(store.model(), &before);
    assert_eq!(store.settlements_of(ClientId(1)).unwrap().len(), 1);
    assert_eq!(store.contacts_of(ClientId(1)).unwrap()[0].summary, "Renewal");
}
}

#[test]
fn audit_trail_names_who_and_when() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = small_store(dir.path());
    let at = "2026-03-04T05:06:07".parse().unwrap();
    let ev = store.execute_at("lea", at, settle(2, "2026-03-01", 999)).unwrap();
    assert_eq!(ev.who, "lea");
    let entry = store.audit_entry(ev.seq).unwrap().unwrap();
    assert_eq!(entry.who, "lea");
    assert_eq!(entry.at, at);
    assert!(
        entry.summary.contains("9.99") && entry.summary.contains("C2"),
        "{}",
        entry.summary
    );
    let s = &store.settlements_of(ClientId(2)).unwrap()[0];
    assert_eq!(s.seq, ev.seq, "the record points at its audit entry");
    let all: Vec<_> = store.audit().collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].who, "amy");
}

#[test]
fn opening_refuses_what_is_not_a_database_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"hello").unwrap();
    assert!(matches!(Store::open(&file), Err(OpenError::NotADatabase(..))));
    assert_eq!(std::fs::read(&file).unwrap(), b"hello");

    let other = dir.path().join("photos");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("cat.jpg"), b"jpg").unwrap();
    let err = Store::open(&other).err().expect("refused");
    assert!(err.to_string().contains("not a rapport database"), "{err}");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
}

#[test]
fn a_new_database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/db");
    drop(Store::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let conf = std::fs::metadata(path.join("conf")).unwrap().permissions().mode();
    assert_eq!(conf & 0o077, 0, "conf is {conf:o}");
}

#[test]
fn a_damaged_database_is_an_error_not_a_panic_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    drop(small_store(dir.path()));
    let db = db_in(dir.path());
    for name in ["conf", "db"] {
        let p = db.join(name);
        let mut bytes = std::fs::read(&p).unwrap();
        for b in bytes.iter_mut().step_by(7) {
            *b ^= 0x5a;
        }
        std::fs::write(&p, &bytes).unwrap();
    }
    let snapshot: Vec<_> = ["conf", "db"]
        .iter()
        .map(|n| std::fs::read(db.join(n)).unwrap())
        .collect();
    let result = std::panic::catch_unwind(|| Store::open(&db).map(|_| ()));
    let result = result.expect("open must not panic");
    // sled may or may not notice; whatever it says, nothing is rewritten.
    if let Err(e) = &result {
        assert!(
            e.to_string().contains("nothing was changed") || e.to_string().contains("not a rapport"),
            "{e}"
        );
        let after: Vec<_> = ["conf", "db"]
            .iter()
            .map(|n| std::fs::read(db.join(n)).unwrap())
            .collect();
        assert_eq!(after, snapshot);
    }
}

#[test]
fn killed_writers_lose_no_confirmed_command() {
    let dir = tempfile::tempdir().unwrap();
    common::kill_loop(db_in(dir.path()).to_str().unwrap(), 50);
}

/// The long run, by hand: `cargo test --release --test store -- --ignored`.
#[test]
#[ignore]
fn killed_writers_stress_1000() {
    let dir = tempfile::tempdir().unwrap();
    common::kill_loop(db_in(dir.path()).to_str().unwrap(), 1000);
}

#[test]
fn the_model_snapshot_is_a_cache_that_is_never_trusted_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = small_store(dir.path());
    store.execute("amy", settle(1, "2026-01-05", 1000)).unwrap();
    assert!(!store.loaded_from_snapshot());
    store.save_snapshot().unwrap();
    let expected = store.model().clone();
    drop(store);

    // Current snapshot: used, and the model is the same.
    let mut store = Store::open(&db).unwrap();
    assert!(store.loaded_from_snapshot());
    assert_eq!(store.model(), &expected);
    assert_eq!(store.model().client_by_ref("C1").map(|c| c.id), Some(ClientId(1)));

    // Commands after the snapshot: their logged changes bring it up to
    // date, and the result is what reading every record gives.
    store.execute("amy", settle(2, "2026-01-06", 500)).unwrap();
    store
        .execute(
            "amy",
            Command::AddTask {
                client: ClientId(2),
                due: d("2026-01-20"),
                text: "Call back".into(),
            },
        )
        .unwrap();
    let expected = store.model().clone();
    drop(store);
    let store = Store::open(&db).unwrap();
    assert!(!store.loaded_from_snapshot());
    assert_eq!(store.replayed(), 2);
    assert_eq!(store.model(), &expected);
    drop(store);
    let snapshot = db.join("rapport-model.snapshot");
    let kept = std::fs::read(&snapshot).unwrap();
    std::fs::remove_file(&snapshot).unwrap();
    let store = Store::open(&db).unwrap();
    assert_eq!(store.replayed(), 0, "no snapshot: the records are read");
    assert_eq!(store.model(), &expected);
    drop(store);
    std::fs::write(&snapshot, kept).unwrap();

    // A command too large for the log (an import) leaves a gap: the
    // records are read.
    let mut store = Store::open(&db).unwrap();
    let many: Vec<Command> = (0..=rapport::store::CHANGE_LOG_MAX)
        .map(|i| Command::AddTask {
            client: ClientId(1),
            due: d("2026-02-01"),
            text: format!("t{i}"),
        })
        .collect();
    store
        .execute(
            "amy",
            Command::Batch {
                label: "many".into(),
                commands: many,
            },
        )
        .unwrap();
    let expected = store.model().clone();
    drop(store);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.replayed(), 0);
    assert!(!store.loaded_from_snapshot());
    assert_eq!(store.model(), &expected);
    drop(store);

    // A damaged snapshot is ignored, not an error.
    let mut store = Store::open(&db).unwrap();
    store.save_snapshot().unwrap();
    drop(store);
    let file = db.join("rapport-model.snapshot");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let store = Store::open(&db).unwrap();
    assert!(!store.loaded_from_snapshot());
    assert_eq!(store.model(), &expected);
    drop(store);

    // Another database's snapshot, even at the same sequence number, is ignored.
    let other = tempfile::tempdir().unwrap();
    let mut o = small_store(other.path());
    o.execute("amy", settle(1, "2026-01-05", 999_999)).unwrap();
    o.execute("amy", settle(2, "2026-01-06", 1)).unwrap();
    o.save_snapshot().unwrap();
    drop(o);
    std::fs::copy(db_in(other.path()).join("rapport-model.snapshot"), &file).unwrap();
    let store = Store::open(&db).unwrap();
    assert!(!store.loaded_from_snapshot());
    assert_eq!(store.model(), &expected);
}

/// A key written then cleared by one command (a next-contact date set by
/// one logged call and cleared by a later call of the same import) ends
/// cleared on disk, as in the model: reading the records gives the model.
#[test]
fn a_mark_set_then_cleared_in_one_batch_is_cleared_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let mut store = small_store(dir.path());
    let call = |day: &str, next: Option<&str>| Command::LogContact {
        client: ClientId(1),
        person: None,
        at: d(day).and_hms_opt(9, 0, 0).unwrap(),
        channel: Channel::Call,
        summary: "Called".into(),
        outcome: String::new(),
        next_contact: next.map(d),
    };
    store
        .execute(
            "amy",
            Command::Batch {
                label: "calls".into(),
                commands: vec![call("2026-03-01", Some("2026-03-20")), call("2026-03-05", None)],
            },
        )
        .unwrap();
    assert!(store.model().marks.is_empty(), "the latest call set no next date");
    let expected = store.model().clone();
    drop(store);
    let _ = std::fs::remove_file(db.join("rapport-model.snapshot"));
    let store = Store::open(&db).unwrap();
    assert_eq!(store.replayed(), 0);
    assert_eq!(store.model(), &expected);
}
