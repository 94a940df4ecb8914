//! `rapport client add|edit` and `rapport person add|edit` through the real
//! binary: what they store, what they print (text and JSON), and bad input
//! refused with exit 2 and nothing changed.

mod common;

use common::*;
use rapport::store::Store;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn clients_are_added_and_edited_field_by_field() {
    let home = tempfile::tempdir().unwrap();
    drop(small_store(home.path()));
    let db = db_in(home.path());
    let db = db.to_str().unwrap();
    let run = |args: &[&str]| rapport(home.path(), &[&["--db", db, "--server", "never"], args].concat());

    let o = run(&[
        "client",
        "add",
        "--ref",
        "C9",
        "--name",
        "Atelier Neuf",
        "--segment",
        "retail",
        "--manager",
        "amy",
        "--created",
        "2026-02-01",
        "--notes",
        "VIP, calls before 10",
        "--tag",
        "vip",
        "--tag",
        "export",
        "--format",
        "json",
    ]);
    let said = json(&o);
    assert_eq!(said["command"], "add_client");
    assert_eq!(said["changes"][0]["Client"]["reference"], "C9");
    assert_eq!(
        said["changes"][0]["Client"]["tags"],
        serde_json::json!(["vip", "export"])
    );

    // Only the fields given change.
    let o = run(&["client", "edit", "C9", "--notes", "Calls after 14h"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("C9"), "{}", stdout(&o));
    let o = run(&["client", "edit", "C9", "--no-tags", "--segment", ""]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Bad input: exit 2, a clear message, nothing changed.
    for (args, message) in [
        (
            &["client", "add", "--ref", "C9", "--name", "Again"][..],
            "already exists",
        ),
        (
            &["client", "add", "--ref", "C10", "--name", "X", "--segment", "nowhere"][..],
            "unknown segment",
        ),
        (
            &["client", "add", "--ref", "C10", "--name", "X", "--manager", "zoe"][..],
            "unknown manager",
        ),
        (&["client", "edit", "C404", "--name", "X"][..], "unknown client"),
        (&["client", "add", "--ref", "C 10", "--name", "X"][..], "client ref"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }

    // The history: every change, who made it and what.
    let o = run(&["history", "C9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("History of C9 Atelier Neuf: 3 changes"), "{text}");
    assert!(text.contains("client C9 created: Atelier Neuf"), "{text}");
    assert!(text.contains("client now: Atelier Neuf · no segment · amy"), "{text}");
    let entries = json(&run(&["history", "C9", "--format", "json"]));
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(
        entries.windows(2).all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()),
        "oldest first"
    );
    assert_eq!(
        entries[0]["summary"].as_str().map(|s| s.starts_with("add client C9")),
        Some(true)
    );
    assert_eq!(entries[2]["changes"][0]["Client"]["version"], 3);
    let o = run(&["history", "C404"]);
    assert_eq!(o.status.code(), Some(2));

    let store = Store::open(std::path::Path::new(db)).unwrap();
    let c = store.model().client_by_ref("C9").unwrap();
    assert_eq!(
        (c.name.as_str(), c.notes.as_str(), c.tags.len(), c.segment, c.version),
        ("Atelier Neuf", "Calls after 14h", 0, None, 3)
    );
    assert_eq!(c.created, d("2026-02-01"));
    assert!(store.model().client_by_ref("C10").is_none());
}

#[test]
fn contact_persons_keep_several_phones_and_a_checked_email() {
    let home = tempfile::tempdir().unwrap();
    drop(small_store(home.path()));
    let db = db_in(home.path());
    let db = db.to_str().unwrap();
    let run = |args: &[&str]| rapport(home.path(), &[&["--db", db, "--server", "never"], args].concat());

    let o = run(&["person", "add", "C1", "--name", "Anne Martin", "--email", "anne@"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not an email address"), "{}", stderr(&o));

    let o = run(&[
        "person",
        "add",
        "C1",
        "--name",
        "Anne Martin",
        "--role",
        "buyer",
        "--phone",
        "+33 6 12 34 56 78",
        "--phone",
        "+33 1 40 00 00 00",
        "--email",
        "anne@muller.de",
        "--birthday",
        "1980-02-29",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let said = json(&run(&[
        "person",
        "edit",
        "C1",
        "anne martin",
        "--role",
        "head buyer",
        "--format",
        "json",
    ]));
    assert_eq!(said["command"], "edit_person");
    let p = &said["changes"][0]["Person"];
    assert_eq!(p["role"], "head buyer");
    assert_eq!(p["phone"], "+33 6 12 34 56 78, +33 1 40 00 00 00");
    assert_eq!(p["email"], "anne@muller.de");

    let o = run(&["person", "edit", "C1", "Nobody", "--role", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no contact person named 'Nobody'"),
        "{}",
        stderr(&o)
    );
    let o = run(&["person", "edit", "C1", "Anne Martin", "--birthday", "31/02/1980"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = run(&["person", "edit", "C1", "Anne Martin", "--birthday", ""]);
    assert!(o.status.success(), "{}", stderr(&o));
    let store = Store::open(std::path::Path::new(db)).unwrap();
    let anne = store
        .model()
        .persons_of(rapport::domain::ClientId(1))
        .next()
        .unwrap()
        .clone();
    assert_eq!((anne.role.as_str(), anne.birthday), ("head buyer", None));
}

/// `rapport settlement edit|delete`: a settlement named by its client, date
/// and amount; several alike need `--match-doc`; bad input changes nothing.
#[test]
fn settlements_are_corrected_and_deleted_by_date_and_amount() {
    let home = tempfile::tempdir().unwrap();
    let mut s = small_store(home.path());
    for doc in ["INV-1", "INV-2"] {
        s.execute(
            "amy",
            rapport::write::Command::RecordSettlement {
                client: rapport::domain::ClientId(1),
                date: d("2026-11-03"),
                amount: rapport::domain::Money(120_000),
                product: None,
                doc: doc.into(),
            },
        )
        .unwrap();
    }
    drop(s);
    let db = db_in(home.path());
    let db = db.to_str().unwrap();
    let run = |args: &[&str]| rapport(home.path(), &[&["--db", db, "--server", "never"], args].concat());

    let o = run(&[
        "settlement",
        "edit",
        "C1",
        "2026-11-03",
        "1200.00",
        "--new-amount",
        "1250",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("2 settlements of 1200.00 on 2026-11-03: name one with --match-doc ('INV-1', 'INV-2')"),
        "{}",
        stderr(&o)
    );
    let said = json(&run(&[
        "settlement",
        "edit",
        "C1",
        "2026-11-03",
        "1200.00",
        "--match-doc",
        "INV-2",
        "--new-amount",
        "1250",
        "--format",
        "json",
    ]));
    assert_eq!(said["command"], "edit_settlement");
    assert_eq!(said["changes"][0]["Settlement"]["old"]["amount"], 120_000);
    assert_eq!(said["changes"][0]["Settlement"]["new"]["amount"], 125_000);
    let o = run(&["settlement", "delete", "C1", "2026-11-03", "1200"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (args, message) in [
        (
            &["settlement", "delete", "C1", "2026-11-03", "1200"][..],
            "no settlement of 1200.00",
        ),
        (&["settlement", "delete", "C1", "2026-11-03", "12x"][..], "the amount"),
        (
            &["settlement", "edit", "C1", "2026-11-03", "1250", "--product", "nope"][..],
            "unknown product",
        ),
        (
            &["settlement", "delete", "C404", "2026-11-03", "1"][..],
            "unknown client",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
    let store = Store::open(std::path::Path::new(db)).unwrap();
    let left = store.settlements_of(rapport::domain::ClientId(1)).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].doc.as_str(), left[0].amount.0), ("INV-2", 125_000));
    let classes = rapport::classes::compute(store.model(), d("2026-11-30"));
    assert_eq!(
        classes.get(rapport::domain::ClientId(1)).unwrap().turnover,
        125_000,
        "the aggregates follow"
    );
}
